//! RSA key pairs for emulator users: the demo user of `snowgate emulator`, and tests.

use aws_lc_rs::{
    digest,
    encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der},
    rsa::{KeyPair, KeySize},
    signature::KeyPair as _,
};
use base64::{Engine, engine::general_purpose::STANDARD};

/// A generated RSA-2048 key pair in the PEM forms Snowflake's docs use.
#[derive(Clone)]
pub struct GeneratedKey {
    /// `-----BEGIN PRIVATE KEY-----` (unencrypted PKCS#8), as `openssl pkcs8 -topk8 -nocrypt` writes.
    pub private_key_pem: String,
    /// `-----BEGIN PUBLIC KEY-----` (SubjectPublicKeyInfo).
    pub public_key_pem: String,
    /// `SHA256:` + base64 of the SHA-256 of the public key's DER, as `DESC USER` shows it.
    pub fingerprint: String,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("private_key_pem", &"[redacted]")
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

/// Why a key could not be generated (the system's random source or the crypto library failed).
#[derive(Debug, thiserror::Error)]
#[error("cannot generate an RSA key pair")]
pub struct KeyError;

impl GeneratedKey {
    /// A fresh RSA-2048 key pair.
    pub fn generate() -> Result<Self, KeyError> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError)?;
        let private: Pkcs8V1Der<'static> = pair.as_der().map_err(|_| KeyError)?;
        let public: PublicKeyX509Der<'static> = pair.public_key().as_der().map_err(|_| KeyError)?;
        Ok(Self {
            private_key_pem: pem("PRIVATE KEY", private.as_ref()),
            public_key_pem: pem("PUBLIC KEY", public.as_ref()),
            fingerprint: format!(
                "SHA256:{}",
                STANDARD.encode(digest::digest(&digest::SHA256, public.as_ref()))
            ),
        })
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut text = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        text.push_str(&String::from_utf8_lossy(line));
        text.push('\n');
    }
    text.push_str(&format!("-----END {label}-----\n"));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_is_the_hash_of_the_public_pem_body() {
        let key = GeneratedKey::generate().expect("key");
        let body: String = key
            .public_key_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let der = STANDARD.decode(body).expect("base64");
        assert_eq!(der.len(), 294, "RSA-2048 SPKI");
        assert_eq!(
            key.fingerprint,
            format!(
                "SHA256:{}",
                STANDARD.encode(digest::digest(&digest::SHA256, &der))
            )
        );
        assert!(
            key.private_key_pem
                .starts_with("-----BEGIN PRIVATE KEY-----\n")
        );
        assert!(!format!("{key:?}").contains("PRIVATE KEY-----"));
    }
}
