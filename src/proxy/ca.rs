//! The run's certificate authority: generated for the run, written to the run's private
//! directory for the bot to trust (the key mode 0600, though the bot never needs it), and
//! the leaf certificate it signs for each intercepted host, made once per host and cached.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tokio_rustls::rustls::crypto::{ring, CryptoProvider};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;

use super::ProxyError;
use crate::sync::lock;

/// The name of the CA certificate file (PEM) in the run's directory.
const CERT_FILE: &str = "banter-ca.pem";
/// The name of the CA key file (PEM, mode 0600) in the run's directory.
const KEY_FILE: &str = "banter-ca-key.pem";

/// The run's CA and the TLS settings of each host it has stood in for.
pub(super) struct RunCa {
    cert_file: PathBuf,
    cert: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
    /// One key for every leaf: a leaf per host, not a key per host, is what clients check.
    leaf_key: KeyPair,
    provider: Arc<CryptoProvider>,
    leaves: Mutex<HashMap<String, Arc<ServerConfig>>>,
}

impl RunCa {
    /// Generates a CA and writes its certificate and key to `dir`.
    pub(super) fn generate(dir: &Path) -> Result<RunCa, ProxyError> {
        let mut params = CertificateParams::default();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "banter capture proxy (this run only)");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().map_err(ProxyError::Ca)?;
        let cert = params.self_signed(&key).map_err(ProxyError::Ca)?;
        let cert_file = dir.join(CERT_FILE);
        write(&cert_file, cert.pem().as_bytes(), 0o644)?;
        write(&dir.join(KEY_FILE), key.serialize_pem().as_bytes(), 0o600)?;
        Ok(RunCa {
            cert_file,
            cert: cert.der().clone(),
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
        let host = host.to_ascii_lowercase();
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
