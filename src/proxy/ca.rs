//! The proxy's certificate authority: generated for the run in the run's private directory,
//! or kept in a directory the user names (made once, reused by later runs, so that it can be
//! installed in a bot's trust store); the certificate is there for the bot to trust, the key
//! is mode 0600 (the bot never needs it). It signs a leaf certificate for each intercepted
//! host, made once per host and cached.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tokio_rustls::rustls::crypto::{ring, CryptoProvider};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;

use super::routes::normal;
use super::ProxyError;
use crate::sync::lock;

/// The name of the CA certificate file (PEM) in the CA's directory.
const CERT_FILE: &str = "banter-ca.pem";
/// The name of the CA key file (PEM, mode 0600) in the CA's directory.
const KEY_FILE: &str = "banter-ca-key.pem";

/// The proxy's CA and the TLS settings of each host it has stood in for.
pub(super) struct RunCa {
    cert_file: PathBuf,
    cert: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
    /// One key for every leaf: a leaf per host, not a key per host, is what clients check.
    leaf_key: KeyPair,
    provider: Arc<CryptoProvider>,
    leaves: Mutex<HashMap<String, Arc<ServerConfig>>>,
}

/// The CA's own settings: the same for a new CA and for one read back from its directory,
/// whose leaves must name it as their issuer.
fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "banter capture proxy");
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

impl RunCa {
    /// Generates a CA and writes its certificate and key to `dir`, which exists.
    pub(super) fn generate(dir: &Path) -> Result<RunCa, ProxyError> {
        let params = ca_params();
        let key = KeyPair::generate().map_err(ProxyError::Ca)?;
        let cert = params.self_signed(&key).map_err(ProxyError::Ca)?;
        let cert_file = dir.join(CERT_FILE);
        write(&cert_file, cert.pem().as_bytes(), 0o644)?;
        write(&dir.join(KEY_FILE), key.serialize_pem().as_bytes(), 0o600)?;
        RunCa::new(cert_file, cert.der().clone(), params, key)
    }

    /// The CA kept in `dir`: read back when a run made it there before, else made there
    /// (the directory too, mode 0700). A key file that others can read is refused.
    pub(super) fn kept_in(dir: &Path) -> Result<RunCa, ProxyError> {
        let (cert_file, key_file) = (dir.join(CERT_FILE), dir.join(KEY_FILE));
        if !key_file.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|source| ProxyError::Write {
                    path: dir.to_path_buf(),
                    source,
                })?;
            return RunCa::generate(dir);
        }
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| ProxyError::Read {
                path: path.to_path_buf(),
                source,
            })
        };
        let mode = std::fs::metadata(&key_file)
            .map_err(|source| ProxyError::Read {
                path: key_file.clone(),
                source,
            })?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(ProxyError::KeyExposed(key_file));
        }
        let key = KeyPair::from_pem(&read(&key_file)?).map_err(ProxyError::Ca)?;
        let cert = CertificateDer::from_pem_slice(read(&cert_file)?.as_bytes()).map_err(|e| {
            ProxyError::NotPem {
                path: cert_file.clone(),
                reason: e.to_string(),
            }
        })?;
        RunCa::new(cert_file, cert, ca_params(), key)
    }

    fn new(
        cert_file: PathBuf,
        cert: CertificateDer<'static>,
        params: CertificateParams,
        key: KeyPair,
    ) -> Result<RunCa, ProxyError> {
        Ok(RunCa {
            cert_file,
            cert,
            issuer: Issuer::new(params, key),
            leaf_key: KeyPair::generate().map_err(ProxyError::Ca)?,
            provider: Arc::new(ring::default_provider()),
            leaves: Mutex::new(HashMap::new()),
        })
    }

    /// The CA certificate (PEM) that the bot is told to trust.
    pub(super) fn cert_file(&self) -> &Path {
        &self.cert_file
    }

    /// The TLS settings that present a certificate for `host`, offering HTTP/2 and HTTP/1.1.
    pub(super) fn server_config(&self, host: &str) -> Result<Arc<ServerConfig>, ProxyError> {
        // A certificate names the host without a trailing dot, which clients strip.
        let host = normal(host);
        if let Some(config) = lock(&self.leaves).get(&host) {
            return Ok(Arc::clone(config));
        }
        let mut params = CertificateParams::new(vec![host.clone()]).map_err(ProxyError::Ca)?;
        params.distinguished_name.push(DnType::CommonName, &host);
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf = params
            .signed_by(&self.leaf_key, &self.issuer)
            .map_err(ProxyError::Ca)?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.leaf_key.serialize_der()));
        let mut config = ServerConfig::builder_with_provider(Arc::clone(&self.provider))
            .with_safe_default_protocol_versions()
            .and_then(|builder| {
                builder
                    .with_no_client_auth()
                    .with_single_cert(vec![leaf.der().clone(), self.cert.clone()], key)
            })
            .map_err(ProxyError::Tls)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let config = Arc::new(config);
        lock(&self.leaves).insert(host, Arc::clone(&config));
        Ok(config)
    }
}

/// Writes a new file with permissions `mode`.
fn write(path: &Path, contents: &[u8], mode: u32) -> Result<(), ProxyError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .and_then(|mut file| file.write_all(contents))
        .map_err(|source| ProxyError::Write {
            path: path.to_path_buf(),
            source,
        })
}
