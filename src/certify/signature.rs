//! Ed25519 keys and signatures of certificates (`ed25519-dalek`).
//!
//! Key files are text: one line of 64 lowercase hex digits, the 32-byte Ed25519 secret seed
//! (`banter-ed25519.key`, mode 0600; a key file others can read is refused) or the 32-byte
//! public key (`banter-ed25519.pub`). `certificate.sig` holds the 64-byte signature of the
//! certificate's canonical bytes as 128 hex digits.

use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

/// The private key's file name in `banter keygen --out DIR`.
pub const PRIVATE_FILE: &str = "banter-ed25519.key";
/// The public key's file name in `banter keygen --out DIR`.
pub const PUBLIC_FILE: &str = "banter-ed25519.pub";

/// A key file could not be made, read or used.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// Reading or writing a key file failed.
    #[error("{}: {action}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file does not hold a key.
    #[error("{}: not an Ed25519 key: {why}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// The private key file can be read by others.
    #[error("{}: the private key can be read by others (mode {mode:o}); run chmod 600 on it", path.display())]
    Exposed {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The operating system gave no randomness for a new key.
    #[error("no randomness for a new key: {0}")]
    Random(String),
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Exactly `N` bytes from hex text (surrounding whitespace ignored).
fn unhex<const N: usize>(text: &str) -> Result<[u8; N], String> {
    let text = text.trim();
    if text.len() != 2 * N {
        return Err(format!(
            "expected {} hex digits, found {} characters",
            2 * N,
            text.len()
        ));
    }
    let mut bytes = [0u8; N];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = text
            .get(2 * i..2 * i + 2)
            .and_then(|pair| u8::from_str_radix(pair, 16).ok())
            .ok_or_else(|| format!("not hex at character {}", 2 * i + 1))?;
    }
    Ok(bytes)
}

/// A public key and its hex form.
#[derive(Debug, Clone)]
pub struct PublicKey {
    key: VerifyingKey,
    /// Lowercase hex, as certificates name their signer.
    pub hex: String,
}

impl PublicKey {
    /// Reads a public key from hex.
    pub fn from_hex(text: &str) -> Result<PublicKey, String> {
        let bytes = unhex::<32>(text)?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|e| e.to_string())?;
        Ok(PublicKey {
            hex: hex(key.as_bytes()),
            key,
        })
    }

    /// Checks `signature` (hex text) over `message`; says what does not match otherwise.
    pub fn verify(&self, message: &[u8], signature: &str) -> Result<(), String> {
        let bytes = unhex::<64>(signature).map_err(|why| format!("not a signature: {why}"))?;
        self.key
            .verify(message, &Signature::from_bytes(&bytes))
            .map_err(|_| {
                format!(
                    "the signature does not match the certificate for key {}",
                    self.hex
                )
            })
    }
}

/// A signing key read from its file.
pub struct PrivateKey(SigningKey);

impl PrivateKey {
    /// The public half.
    pub fn public(&self) -> PublicKey {
        let key = self.0.verifying_key();
        PublicKey {
            hex: hex(key.as_bytes()),
            key,
        }
    }

    /// The hex signature of `message`.
    pub fn sign(&self, message: &[u8]) -> String {
        hex(&self.0.sign(message).to_bytes())
    }
}

fn read(path: &Path) -> Result<String, SignatureError> {
    std::fs::read_to_string(path).map_err(|source| SignatureError::Io {
        path: path.to_path_buf(),
        action: "cannot read",
        source,
    })
}

/// Reads a private key file, refusing one that others can read.
pub fn read_private_key(path: &Path) -> Result<PrivateKey, SignatureError> {
    let text = read(path)?;
    let mode = std::fs::metadata(path)
        .map_err(|source| SignatureError::Io {
            path: path.to_path_buf(),
            action: "cannot read",
            source,
        })?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(SignatureError::Exposed {
            path: path.to_path_buf(),
            mode: mode & 0o777,
        });
    }
    let seed = unhex::<32>(&text).map_err(|why| SignatureError::Malformed {
        path: path.to_path_buf(),
        why,
    })?;
    Ok(PrivateKey(SigningKey::from_bytes(&seed)))
}

/// Reads a public key file.
pub fn read_public_key(path: &Path) -> Result<PublicKey, SignatureError> {
    PublicKey::from_hex(&read(path)?).map_err(|why| SignatureError::Malformed {
        path: path.to_path_buf(),
        why,
    })
}

/// Makes a key pair in `dir` (created if missing): the private key with mode 0600, never
/// overwriting an existing one. Returns the two files.
pub fn keygen(dir: &Path) -> Result<(PathBuf, PathBuf), SignatureError> {
    let io = |path: &Path, action| {
        let path = path.to_path_buf();
        move |source| SignatureError::Io {
            path,
            action,
            source,
        }
    };
    std::fs::create_dir_all(dir).map_err(io(dir, "cannot create the directory"))?;
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| SignatureError::Random(e.to_string()))?;
    let key = PrivateKey(SigningKey::from_bytes(&seed));
    let private = dir.join(PRIVATE_FILE);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&private)
        .map_err(io(&private, "cannot create the private key"))?;
    writeln!(file, "{}", hex(&seed)).map_err(io(&private, "cannot write"))?;
    // create_new's mode is masked by the umask, which may only take bits away.
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600))
        .map_err(io(&private, "cannot restrict"))?;
    let public = dir.join(PUBLIC_FILE);
    std::fs::write(&public, format!("{}\n", key.public().hex))
        .map_err(io(&public, "cannot write"))?;
    Ok((private, public))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_signs_and_its_public_half_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let (private, public) = keygen(dir.path()).unwrap();
        let mode = std::fs::metadata(&private).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let key = read_private_key(&private).unwrap();
        let public = read_public_key(&public).unwrap();
        let sig = key.sign(b"certificate");
        assert!(public.verify(b"certificate", &sig).is_ok());
        assert!(public.verify(b"certificatf", &sig).is_err());
        assert!(
            keygen(dir.path()).is_err(),
            "an existing key is never overwritten"
        );
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = read_private_key(&private).err().unwrap().to_string();
        assert!(err.contains("can be read by others"), "{err}");
        std::fs::write(dir.path().join("bad.pub"), "zz").unwrap();
        let err = read_public_key(&dir.path().join("bad.pub")).unwrap_err();
        assert!(err.to_string().contains("not an Ed25519 key"), "{err}");
    }
}
