//! RSA private keys for key-pair authentication, and their public-key fingerprints.
//!
//! [`PrivateKey::from_pem`] reads the keys users really have — PKCS#8 (`BEGIN PRIVATE KEY`),
//! encrypted PKCS#8 (`BEGIN ENCRYPTED PRIVATE KEY`, PBES2 with PBKDF2 or scrypt and AES or 3DES,
//! as every openssl version writes them) and PKCS#1 (`BEGIN RSA PRIVATE KEY`) — however they were
//! pasted: with literal `\n`, CRLF, on one line, without line wraps, with surrounding whitespace
//! or quotes, or as bare base64 without the PEM markers. Everything else is refused with a
//! [`KeyError`] that says what was found and what to do instead.
//!
//! Key material never leaves this module except through [`PrivateKey::to_pkcs8_pem`] and
//! [`PrivateKey::to_encrypted_pkcs8_pem`], which return secrets; `Debug` shows only the
//! fingerprint and the size, and no error message quotes the input.

use std::fmt;

use aws_lc_rs::{
    digest,
    encoding::AsDer,
    rand::{SecureRandom, SystemRandom},
    rsa::KeySize,
    signature::{KeyPair, RsaKeyPair},
};
use base64::{
    Engine, alphabet,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig, general_purpose::STANDARD},
};
use jsonwebtoken::EncodingKey;
use pkcs8::{
    AlgorithmIdentifierRef, EncryptedPrivateKeyInfoRef, LineEnding, ObjectIdentifier,
    PrivateKeyInfoRef, SubjectPublicKeyInfoRef,
    der::{
        Decode, Reader, SliceReader,
        asn1::{OctetStringRef, UintRef},
    },
    pkcs5,
};
use secrecy::{ExposeSecret, SecretSlice, SecretString};

/// The smallest RSA key Snowflake accepts.
pub const MIN_BITS: usize = 2048;
/// The largest RSA key this client can sign with.
pub const MAX_BITS: usize = 8192;
/// PBKDF2-SHA256 rounds used when this crate encrypts a key (OWASP's 2023 recommendation).
const PBKDF2_ITERATIONS: u32 = 600_000;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// Why a private key could not be used. Messages never quote the key text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Nothing but whitespace was given.
    #[error(
        "the private key is empty: paste the whole key file, from -----BEGIN PRIVATE KEY----- \
         (or -----BEGIN ENCRYPTED PRIVATE KEY-----) to the matching END line"
    )]
    Empty,
    /// A public key or certificate was given where the private key belongs.
    #[error(
        "this is {found}, not a private key: Snowgate needs the private key file (for example \
         rsa_key.p8, beginning with -----BEGIN PRIVATE KEY----- or -----BEGIN ENCRYPTED PRIVATE \
         KEY-----); the public key is what you register in Snowflake with ALTER USER … SET \
         RSA_PUBLIC_KEY='…'"
    )]
    NotAPrivateKey {
        /// What was found, e.g. "a public key".
        found: &'static str,
    },
    /// The key is encrypted and no passphrase was given.
    #[error(
        "the private key is encrypted: provide its passphrase (for the command line, in the \
         PRIVATE_KEY_PASSPHRASE environment variable or at the prompt)"
    )]
    PassphraseRequired,
    /// The passphrase does not decrypt the key.
    #[error(
        "the passphrase does not decrypt this private key: check it for typos and trailing \
         whitespace, or export the key again"
    )]
    WrongPassphrase,
    /// The key is encrypted with a scheme this crate cannot read.
    #[error(
        "this private key is encrypted with {scheme}, which Snowgate cannot read: re-encrypt it \
         with `openssl pkcs8 -topk8 -v2 aes256 -in OLD_KEY -out rsa_key.p8`"
    )]
    UnsupportedEncryption {
        /// The encryption scheme, named or as an OID.
        scheme: String,
    },
    /// A traditional openssl PEM with `Proc-Type: 4,ENCRYPTED` headers.
    #[error(
        "this RSA private key uses openssl's legacy PEM encryption (Proc-Type: 4,ENCRYPTED), which \
         Snowgate does not read: convert it with `openssl pkcs8 -topk8 -v2 aes256 -in OLD_KEY \
         -out rsa_key.p8`"
    )]
    LegacyEncryptedPem,
    /// An OpenSSH private key.
    #[error(
        "this is an OpenSSH private key: convert it to PKCS#8 with `ssh-keygen -p -m PKCS8 -f \
         KEY_FILE` (RSA keys only), or generate a new key pair with `snowgate keygen`"
    )]
    OpenSsh,
    /// The key is not an RSA key.
    #[error(
        "this is {algorithm} key, but Snowflake key-pair authentication needs an RSA key of at \
         least 2048 bits: generate one with `snowgate keygen`"
    )]
    NotRsa {
        /// The algorithm found, e.g. "an EC (ECDSA)".
        algorithm: String,
    },
    /// The RSA key is smaller than Snowflake's minimum.
    #[error(
        "this RSA key has {bits} bits; Snowflake requires at least 2048: generate a new key pair \
         with `snowgate keygen` and register its public key"
    )]
    TooSmall {
        /// The modulus size.
        bits: usize,
    },
    /// The RSA key is larger than this client supports.
    #[error("this RSA key has {bits} bits; keys above 8192 bits are not supported")]
    TooLarge {
        /// The modulus size.
        bits: usize,
    },
    /// A key size that cannot be generated.
    #[error("cannot generate an RSA key of {bits} bits: choose 2048, 3072, 4096 or 8192")]
    UnsupportedSize {
        /// The size asked for.
        bits: usize,
    },
    /// The text is not a recognisable key.
    #[error(
        "this is not a private key ({reason}): paste the whole key file, from -----BEGIN PRIVATE \
         KEY----- (or ENCRYPTED PRIVATE KEY, or RSA PRIVATE KEY) to the matching END line"
    )]
    Malformed {
        /// What is wrong, without quoting the input.
        reason: String,
    },
    /// Key generation or encryption failed in the crypto library.
    #[error("the crypto library failed to {operation}")]
    Crypto {
        /// What was being done.
        operation: &'static str,
    },
}

/// A public-key fingerprint as Snowflake computes it: `SHA256:` and the standard base64 of the
/// SHA-256 digest of the DER SubjectPublicKeyInfo. It equals `RSA_PUBLIC_KEY_FP` in `DESC USER`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The fingerprint of a DER-encoded SubjectPublicKeyInfo.
    pub fn of_public_key_der(spki_der: &[u8]) -> Self {
        let digest = digest::digest(&digest::SHA256, spki_der);
        Self(format!("SHA256:{}", STANDARD.encode(digest.as_ref())))
    }

    /// The fingerprint as text, `SHA256:…`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.0)
    }
}

/// An RSA private key ready to sign key-pair JWTs.
pub struct PrivateKey {
    pkcs8_der: SecretSlice<u8>,
    signing_key: EncodingKey,
    public_key_der: Vec<u8>,
    fingerprint: Fingerprint,
    bits: usize,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("bits", &self.bits)
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Reads a private key from the text a user pasted or a key file holds.
    ///
    /// `passphrase` is needed only for encrypted keys and ignored otherwise.
    pub fn from_pem(text: &str, passphrase: Option<&SecretString>) -> Result<Self, KeyError> {
        let text = normalise(text);
        if text.is_empty() {
            return Err(KeyError::Empty);
        }
        let der = match pem_block(&text) {
            Some(block) => block.decode()?,
            None => decode_base64(&text).map_err(|_| KeyError::Malformed {
                reason: "found neither -----BEGIN … KEY----- markers nor base64 key data".into(),
            })?,
        };
        Self::from_der(&der, passphrase)
    }

    /// Generates a new RSA key pair of `bits` bits (2048, 3072, 4096 or 8192).
    pub fn generate(bits: usize) -> Result<Self, KeyError> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            8192 => KeySize::Rsa8192,
            _ if bits < MIN_BITS => return Err(KeyError::TooSmall { bits }),
            _ => return Err(KeyError::UnsupportedSize { bits }),
        };
        let key_pair = RsaKeyPair::generate(size).map_err(|_| KeyError::Crypto {
            operation: "generate an RSA key",
        })?;
        let pkcs8 = key_pair.as_der().map_err(|_| KeyError::Crypto {
            operation: "encode the new key",
        })?;
        Self::from_der(pkcs8.as_ref(), None)
    }

    /// The public-key fingerprint, as Snowflake shows it in `RSA_PUBLIC_KEY_FP`.
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// The public key as DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> &[u8] {
        &self.public_key_der
    }

    /// The public key as one line of base64: the value for
    /// `ALTER USER … SET RSA_PUBLIC_KEY='…'`.
    pub fn public_key_base64(&self) -> String {
        STANDARD.encode(&self.public_key_der)
    }

    /// The public key as a `-----BEGIN PUBLIC KEY-----` PEM document.
    pub fn public_key_pem(&self) -> String {
        pem_encode("PUBLIC KEY", &self.public_key_der)
    }

    /// The key as unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), the normal form to
    /// store (encrypted at rest) whatever form it was given in.
    pub fn to_pkcs8_pem(&self) -> SecretString {
        SecretString::from(pem_encode("PRIVATE KEY", self.pkcs8_der.expose_secret()))
    }

    /// The key as encrypted PKCS#8 PEM (`-----BEGIN ENCRYPTED PRIVATE KEY-----`; PBES2 with
    /// PBKDF2-SHA256 and AES-256-CBC, readable by openssl and Snowflake's connectors).
    pub fn to_encrypted_pkcs8_pem(
        &self,
        passphrase: &SecretString,
    ) -> Result<SecretString, KeyError> {
        let failed = |_| KeyError::Crypto {
            operation: "encrypt the private key",
        };
        let rng = SystemRandom::new();
        let mut salt = [0u8; 16];
        let mut iv = [0u8; 16];
        rng.fill(&mut salt).map_err(failed)?;
        rng.fill(&mut iv).map_err(failed)?;
        let params = pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
            PBKDF2_ITERATIONS,
            &salt,
            iv,
        )
        .map_err(|_| KeyError::Crypto {
            operation: "set up key encryption",
        })?;
        let info = PrivateKeyInfoRef::try_from(self.pkcs8_der.expose_secret()).map_err(|_| {
            KeyError::Crypto {
                operation: "re-read the private key",
            }
        })?;
        let encrypted = info
            .encrypt_with_params(params, passphrase.expose_secret().as_bytes())
            .map_err(|_| KeyError::Crypto {
                operation: "encrypt the private key",
            })?;
        Ok(SecretString::from(pem_encode(
            "ENCRYPTED PRIVATE KEY",
            encrypted.as_bytes(),
        )))
    }

    /// The key for signing tokens.
    pub(crate) fn signing_key(&self) -> &EncodingKey {
        &self.signing_key
    }

    /// Reads DER in any of the accepted structures.
    fn from_der(der: &[u8], passphrase: Option<&SecretString>) -> Result<Self, KeyError> {
        if SubjectPublicKeyInfoRef::from_der(der).is_ok() {
            return Err(KeyError::NotAPrivateKey {
                found: "a public key",
            });
        }
        if let Ok(info) = PrivateKeyInfoRef::from_der(der) {
            return Self::from_private_key_info(&info);
        }
        if let Some(scheme) = encryption_scheme(der) {
            let encrypted = EncryptedPrivateKeyInfoRef::from_der(der).map_err(|_| {
                KeyError::UnsupportedEncryption {
                    scheme: describe_scheme(&scheme),
                }
            })?;
            let passphrase = passphrase.ok_or(KeyError::PassphraseRequired)?;
            let decrypted = encrypted
                .decrypt(passphrase.expose_secret().as_bytes())
                .map_err(|error| match error {
                    pkcs8::Error::EncryptedPrivateKey(pkcs5::Error::DecryptFailed)
                    | pkcs8::Error::Asn1(_) => KeyError::WrongPassphrase,
                    _ => KeyError::UnsupportedEncryption {
                        scheme: describe_scheme(&scheme),
                    },
                })?;
            // A wrong passphrase passes the padding check about once in 256 tries; the DER
            // that comes out then is noise.
            let info = PrivateKeyInfoRef::from_der(decrypted.as_bytes())
                .map_err(|_| KeyError::WrongPassphrase)?;
            return Self::from_private_key_info(&info);
        }
        if modulus_bits(der).is_some() {
            return Self::from_rsa_private_key(der);
        }
        Err(KeyError::Malformed {
            reason: "the data is not a PKCS#8, encrypted PKCS#8 or PKCS#1 structure".into(),
        })
    }

    fn from_private_key_info(info: &PrivateKeyInfoRef<'_>) -> Result<Self, KeyError> {
        let oid = info.algorithm.oid;
        if oid != RSA_ENCRYPTION {
            return Err(KeyError::NotRsa {
                algorithm: describe_key_algorithm(&oid),
            });
        }
        Self::from_rsa_private_key(info.private_key.as_bytes())
    }

    /// Builds the key from a PKCS#1 `RSAPrivateKey`.
    fn from_rsa_private_key(pkcs1: &[u8]) -> Result<Self, KeyError> {
        let bits = modulus_bits(pkcs1).ok_or_else(|| KeyError::Malformed {
            reason: "the RSA key structure is damaged".into(),
        })?;
        if bits < MIN_BITS {
            return Err(KeyError::TooSmall { bits });
        }
        if bits > MAX_BITS {
            return Err(KeyError::TooLarge { bits });
        }
        let key_pair = RsaKeyPair::from_der(pkcs1).map_err(|rejected| KeyError::Malformed {
            reason: format!("the RSA key is invalid: {}", rejected.description_()),
        })?;
        let pkcs8_der = key_pair.as_der().map_err(|_| KeyError::Crypto {
            operation: "encode the key as PKCS#8",
        })?;
        let public_key_der = key_pair
            .public_key()
            .as_der()
            .map_err(|_| KeyError::Crypto {
                operation: "encode the public key",
            })?
            .as_ref()
            .to_vec();
        Ok(Self {
            pkcs8_der: SecretSlice::from(pkcs8_der.as_ref().to_vec()),
            signing_key: EncodingKey::from_rsa_der(pkcs1),
            fingerprint: Fingerprint::of_public_key_der(&public_key_der),
            public_key_der,
            bits,
        })
    }
}

/// Undoes what pasting does to key text: surrounding whitespace and quotes, literal `\n`, CRLF.
fn normalise(text: &str) -> String {
    let text = text.trim().trim_matches(['"', '\'']).trim();
    text.replace("\\r\\n", "\n")
        .replace("\\n", "\n")
        .replace("\\r", "\n")
        .replace('\r', "\n")
}

/// A PEM block: its label and the text between the markers.
struct PemBlock<'a> {
    label: &'a str,
    body: &'a str,
}

/// The block to use: the first whose label names a private key, else the first block.
fn pem_block(text: &str) -> Option<PemBlock<'_>> {
    let mut first = None;
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + "-----BEGIN ".len()..];
        let label_end = after.find("-----")?;
        let label = after[..label_end].trim();
        let after_label = &after[label_end + "-----".len()..];
        let end_marker = format!("-----END {label}-----");
        let (body, next) = match after_label.find(&end_marker) {
            Some(end) => (&after_label[..end], &after_label[end + end_marker.len()..]),
            None => (after_label, ""),
        };
        let block = PemBlock { label, body };
        if label.ends_with("PRIVATE KEY") {
            return Some(block);
        }
        first.get_or_insert(block);
        rest = next;
    }
    first
}

impl PemBlock<'_> {
    fn decode(&self) -> Result<Vec<u8>, KeyError> {
        match self.label {
            "PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" | "RSA PRIVATE KEY" => {}
            "PUBLIC KEY" | "RSA PUBLIC KEY" => {
                return Err(KeyError::NotAPrivateKey {
                    found: "a public key",
                });
            }
            "CERTIFICATE" | "TRUSTED CERTIFICATE" => {
                return Err(KeyError::NotAPrivateKey {
                    found: "a certificate",
                });
            }
            "OPENSSH PRIVATE KEY" => return Err(KeyError::OpenSsh),
            "EC PRIVATE KEY" => {
                return Err(KeyError::NotRsa {
                    algorithm: "an EC (ECDSA)".into(),
                });
            }
            "DSA PRIVATE KEY" => {
                return Err(KeyError::NotRsa {
                    algorithm: "a DSA".into(),
                });
            }
            other => {
                return Err(KeyError::Malformed {
                    reason: format!("found a PEM block labelled {}", printable_label(other)),
                });
            }
        }
        if self.body.contains("Proc-Type:") || self.body.contains("DEK-Info:") {
            return Err(KeyError::LegacyEncryptedPem);
        }
        decode_base64(self.body).map_err(|_| KeyError::Malformed {
            reason: "the text between the PEM markers is not valid base64".into(),
        })
    }
}

/// A label is safe to repeat in an error only when it looks like one.
fn printable_label(label: &str) -> &str {
    let plausible = label.len() <= 40
        && label
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == ' ');
    if plausible {
        label
    } else {
        "with an unknown label"
    }
}

fn decode_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err(base64::DecodeError::InvalidLength(0));
    }
    LENIENT.decode(compact)
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    pkcs8::der::pem::encode_string(label, LineEnding::LF, der)
        .expect("PEM encoding of in-memory DER with a fixed label cannot fail")
}

/// The modulus size of a PKCS#1 `RSAPrivateKey` (`SEQUENCE { version, modulus, … }`), or `None`
/// if `der` does not start like one.
fn modulus_bits(der: &[u8]) -> Option<usize> {
    let mut reader = SliceReader::new(der).ok()?;
    let modulus = reader
        .sequence(|inner| {
            let _version = UintRef::decode(inner)?;
            let modulus = UintRef::decode(inner)?;
            // The public exponent follows; requiring it rules out other two-integer structures.
            let _exponent = UintRef::decode(inner)?;
            inner.drain(inner.remaining_len())?;
            Ok::<_, pkcs8::der::Error>(modulus)
        })
        .ok()?;
    let bytes = modulus.as_bytes();
    let first = *bytes.first()?;
    Some(bytes.len() * 8 - first.leading_zeros() as usize)
}

/// The encryption scheme of an `EncryptedPrivateKeyInfo` (`SEQUENCE { AlgorithmIdentifier,
/// OCTET STRING }`), read loosely so that unsupported schemes can still be named.
fn encryption_scheme(der: &[u8]) -> Option<ObjectIdentifier> {
    let mut reader = SliceReader::new(der).ok()?;
    reader
        .sequence(|inner| {
            let algorithm = AlgorithmIdentifierRef::decode(inner)?;
            let _data = <&OctetStringRef>::decode(inner)?;
            Ok::<_, pkcs8::der::Error>(algorithm.oid)
        })
        .ok()
}

fn describe_scheme(oid: &ObjectIdentifier) -> String {
    let name = match oid.to_string().as_str() {
        "1.2.840.113549.1.12.1.3" => "PKCS#12 PBE-SHA1-3DES (openssl -v1 PBE-SHA1-3DES)",
        "1.2.840.113549.1.12.1.6" => "PKCS#12 PBE-SHA1-RC2-40",
        "1.2.840.113549.1.5.3" => "PBES1 MD5-DES (openssl -v1 PBE-MD5-DES)",
        "1.2.840.113549.1.5.10" => "PBES1 SHA1-DES (openssl -v1 PBE-SHA1-DES)",
        "1.2.840.113549.1.5.13" => "a PBES2 cipher or key derivation it does not support",
        other => return format!("an unknown scheme (OID {other})"),
    };
    name.to_owned()
}

fn describe_key_algorithm(oid: &ObjectIdentifier) -> String {
    let name = match oid.to_string().as_str() {
        "1.2.840.10045.2.1" => "an EC (ECDSA)",
        "1.3.101.112" => "an Ed25519",
        "1.3.101.113" => "an Ed448",
        "1.2.840.10040.4.1" => "a DSA",
        "1.2.840.113549.1.1.10" => "an RSA-PSS (restricted)",
        other => return format!("a non-RSA (OID {other})"),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use std::{
        io::Write,
        process::{Command, Stdio},
        sync::OnceLock,
    };

    use super::*;

    /// Runs openssl with `input` on stdin and returns stdout; the test fails if openssl does.
    fn openssl(args: &[&str], input: &[u8]) -> String {
        let mut child = Command::new("openssl")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("openssl must be installed to run the key tests");
        child.stdin.take().unwrap().write_all(input).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "openssl {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// One RSA-2048 key made by openssl, as PKCS#1 PEM.
    fn openssl_key() -> &'static str {
        static KEY: OnceLock<String> = OnceLock::new();
        KEY.get_or_init(|| openssl(&["genrsa", "-traditional", "2048"], b""))
    }

    fn pkcs8_plain() -> String {
        openssl(&["pkcs8", "-topk8", "-nocrypt"], openssl_key().as_bytes())
    }

    fn encrypted(args: &[&str]) -> String {
        let mut all = vec!["pkcs8", "-topk8", "-passout", "pass:s3cret pass"];
        all.extend_from_slice(args);
        openssl(&all, openssl_key().as_bytes())
    }

    /// What Snowflake's docs say to run to get the fingerprint.
    fn openssl_fingerprint(private_pem: &str) -> String {
        let der = Command::new("openssl")
            .args(["pkey", "-pubout", "-outform", "DER"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(private_pem.as_bytes())?;
                child.wait_with_output()
            })
            .unwrap()
            .stdout;
        let digest = Command::new("openssl")
            .args(["dgst", "-sha256", "-binary"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                child.stdin.take().unwrap().write_all(&der)?;
                child.wait_with_output()
            })
            .unwrap()
            .stdout;
        format!("SHA256:{}", STANDARD.encode(digest))
    }

    fn passphrase() -> SecretString {
        SecretString::from("s3cret pass")
    }

    fn load(text: &str) -> Result<PrivateKey, KeyError> {
        PrivateKey::from_pem(text, Some(&passphrase()))
    }

    #[test]
    fn every_openssl_format_loads_to_the_same_key() {
        let expected = openssl_fingerprint(openssl_key());
        assert!(
            expected.starts_with("SHA256:") && expected.len() == 51,
            "{expected}"
        );
        let forms = [
            ("PKCS#1", openssl_key().to_owned()),
            ("PKCS#8", pkcs8_plain()),
            (
                "PBES2 AES-256 (docs' command)",
                encrypted(&["-v2", "aes256"]),
            ),
            ("PBES2 AES-256-CBC", encrypted(&["-v2", "aes-256-cbc"])),
            (
                "PBES2 3DES (docs' des3 variant)",
                encrypted(&["-v2", "des3"]),
            ),
            (
                "PBES2 AES-128 with SHA-1 PRF",
                encrypted(&["-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1"]),
            ),
            (
                "PBES2 AES-192 with SHA-512 PRF",
                encrypted(&["-v2", "aes-192-cbc", "-v2prf", "hmacWithSHA512"]),
            ),
            ("PBES2 scrypt", encrypted(&["-scrypt"])),
            ("openssl's default encryption", encrypted(&[])),
        ];
        for (name, pem) in forms {
            let key = load(&pem).unwrap_or_else(|error| panic!("{name}: {error}"));
            assert_eq!(key.fingerprint().as_str(), expected, "{name}");
            assert_eq!(key.bits(), 2048, "{name}");
        }
    }

    #[test]
    fn the_fingerprint_is_over_the_spki_der() {
        let key = load(openssl_key()).unwrap();
        let spki_der = key.public_key_der();
        assert_eq!(spki_der.len(), 294);
        assert_eq!(&spki_der[..4], &[0x30, 0x82, 0x01, 0x22]);
        let openssl_public = openssl(&["rsa", "-pubout"], openssl_key().as_bytes());
        assert_eq!(key.public_key_pem(), openssl_public);
        assert_eq!(
            key.public_key_base64(),
            openssl_public
                .lines()
                .filter(|line| !line.starts_with("-----"))
                .collect::<String>()
        );
    }

    #[test]
    fn pasted_keys_load_however_they_were_mangled() {
        let pem = pkcs8_plain();
        let expected = load(&pem).unwrap().fingerprint().clone();
        let body: String = pem
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        let mangled = [
            pem.replace('\n', "\\n"),
            pem.replace('\n', "\r\n"),
            pem.replace('\n', "\\r\\n"),
            format!("-----BEGIN PRIVATE KEY-----{body}-----END PRIVATE KEY-----"),
            format!("-----BEGIN PRIVATE KEY----- {body} -----END PRIVATE KEY-----"),
            pem.replace('\n', " "),
            format!("\n\n   {pem}   \n\t"),
            format!("\"{}\"", pem.replace('\n', "\\n")),
            body.clone(),
            body.trim_end_matches('=').to_owned(),
        ];
        for (index, text) in mangled.iter().enumerate() {
            let key = load(text).unwrap_or_else(|error| panic!("form {index}: {error}"));
            assert_eq!(key.fingerprint(), &expected, "form {index}");
        }
    }

    #[test]
    fn the_normalised_form_is_unencrypted_pkcs8_that_openssl_reads() {
        let key = load(&encrypted(&["-v2", "aes256"])).unwrap();
        let pem = key.to_pkcs8_pem();
        let pem = pem.expose_secret();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert_eq!(openssl_fingerprint(pem), key.fingerprint().as_str());
        assert_eq!(load(pem).unwrap().fingerprint(), key.fingerprint());
    }

    #[test]
    fn encrypted_output_is_readable_by_openssl_and_by_us() {
        let key = load(openssl_key()).unwrap();
        let encrypted = key.to_encrypted_pkcs8_pem(&passphrase()).unwrap();
        let encrypted = encrypted.expose_secret();
        assert!(encrypted.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
        let decrypted = openssl(
            &["pkey", "-passin", "pass:s3cret pass"],
            encrypted.as_bytes(),
        );
        assert_eq!(openssl_fingerprint(&decrypted), key.fingerprint().as_str());
        assert_eq!(load(encrypted).unwrap().fingerprint(), key.fingerprint());
    }

    #[test]
    fn generated_keys_match_openssl() {
        let key = PrivateKey::generate(2048).unwrap();
        assert_eq!(key.bits(), 2048);
        let pem = key.to_pkcs8_pem();
        assert_eq!(
            openssl_fingerprint(pem.expose_secret()),
            key.fingerprint().as_str()
        );
        assert!(matches!(
            PrivateKey::generate(1024),
            Err(KeyError::TooSmall { bits: 1024 })
        ));
        assert!(matches!(
            PrivateKey::generate(2500),
            Err(KeyError::UnsupportedSize { bits: 2500 })
        ));
    }

    #[test]
    fn encrypted_keys_need_the_right_passphrase() {
        let pem = encrypted(&["-v2", "aes256"]);
        assert!(matches!(
            PrivateKey::from_pem(&pem, None),
            Err(KeyError::PassphraseRequired)
        ));
        let wrong = SecretString::from("not it");
        assert!(matches!(
            PrivateKey::from_pem(&pem, Some(&wrong)),
            Err(KeyError::WrongPassphrase)
        ));
        let scrypt = encrypted(&["-scrypt"]);
        assert!(matches!(
            PrivateKey::from_pem(&scrypt, Some(&wrong)),
            Err(KeyError::WrongPassphrase)
        ));
        // A passphrase given for a plain key is ignored.
        assert!(PrivateKey::from_pem(&pkcs8_plain(), Some(&wrong)).is_ok());
    }

    #[test]
    fn old_and_unsupported_encryptions_say_how_to_convert() {
        let pkcs12_pbe = encrypted(&["-v1", "PBE-SHA1-3DES"]);
        let without_passphrase = PrivateKey::from_pem(&pkcs12_pbe, None).unwrap_err();
        assert!(
            matches!(without_passphrase, KeyError::UnsupportedEncryption { .. }),
            "said before asking for a passphrase"
        );
        let error = load(&pkcs12_pbe).unwrap_err();
        assert!(
            matches!(error, KeyError::UnsupportedEncryption { .. }),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .contains("openssl pkcs8 -topk8 -v2 aes256"),
            "{error}"
        );
        let legacy = openssl(
            &[
                "rsa",
                "-aes256",
                "-traditional",
                "-passout",
                "pass:s3cret pass",
            ],
            openssl_key().as_bytes(),
        );
        assert!(legacy.contains("Proc-Type: 4,ENCRYPTED"));
        assert!(matches!(load(&legacy), Err(KeyError::LegacyEncryptedPem)));
    }

    #[test]
    fn small_and_non_rsa_keys_are_refused() {
        let small = openssl(&["genrsa", "1024"], b"");
        assert!(matches!(
            load(&small),
            Err(KeyError::TooSmall { bits: 1024 })
        ));
        let small_pkcs1 = openssl(&["rsa", "-traditional"], small.as_bytes());
        assert!(matches!(
            load(&small_pkcs1),
            Err(KeyError::TooSmall { bits: 1024 })
        ));
        let ec = openssl(
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
            ],
            b"",
        );
        let error = load(&ec).unwrap_err();
        assert!(
            matches!(&error, KeyError::NotRsa { algorithm } if algorithm.contains("EC")),
            "{error}"
        );
        let ec_traditional = openssl(&["ec"], ec.as_bytes());
        assert!(ec_traditional.contains("BEGIN EC PRIVATE KEY"));
        assert!(matches!(
            load(&ec_traditional),
            Err(KeyError::NotRsa { .. })
        ));
        let ed25519 = openssl(&["genpkey", "-algorithm", "ED25519"], b"");
        let error = load(&ed25519).unwrap_err();
        assert!(
            error.to_string().contains("Ed25519") && error.to_string().contains("snowgate keygen"),
            "{error}"
        );
    }

    #[test]
    fn public_keys_certificates_and_garbage_are_refused_clearly() {
        let public = openssl(&["rsa", "-pubout"], openssl_key().as_bytes());
        let error = load(&public).unwrap_err();
        assert!(
            matches!(
                error,
                KeyError::NotAPrivateKey {
                    found: "a public key"
                }
            ),
            "{error}"
        );
        assert!(error.to_string().contains("not a private key"));
        let bare_public: String = public
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        assert!(matches!(
            load(&bare_public),
            Err(KeyError::NotAPrivateKey { .. })
        ));
        let pkcs1_public = openssl(&["rsa", "-RSAPublicKey_out"], openssl_key().as_bytes());
        assert!(matches!(
            load(&pkcs1_public),
            Err(KeyError::NotAPrivateKey { .. })
        ));
        let certificate = openssl(
            &[
                "req",
                "-new",
                "-x509",
                "-key",
                "/dev/stdin",
                "-subj",
                "/CN=test",
                "-days",
                "1",
            ],
            openssl_key().as_bytes(),
        );
        assert!(matches!(
            load(&certificate),
            Err(KeyError::NotAPrivateKey {
                found: "a certificate"
            })
        ));
        let openssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
        assert!(matches!(load(openssh), Err(KeyError::OpenSsh)));
        assert!(matches!(load(""), Err(KeyError::Empty)));
        assert!(matches!(load("  \n\t "), Err(KeyError::Empty)));
        for garbage in [
            "hello world",
            "-----BEGIN PRIVATE KEY-----\nnot base64 !!\n-----END PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY-----\naGVsbG8gd29ybGQ=\n-----END PRIVATE KEY-----",
            "-----BEGIN SOMETHING ELSE-----\naGVsbG8=\n-----END SOMETHING ELSE-----",
            "aGVsbG8gd29ybGQ=",
        ] {
            let error = load(garbage).unwrap_err();
            assert!(
                matches!(error, KeyError::Malformed { .. }),
                "{garbage}: {error}"
            );
            assert!(error.to_string().contains("BEGIN PRIVATE KEY"), "{error}");
        }
    }

    #[test]
    fn key_material_never_shows_in_debug_or_errors() {
        let pem = pkcs8_plain();
        let key = load(&pem).unwrap();
        let debug = format!("{key:?}");
        let body: String = pem
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        assert!(!debug.contains(&body[..40]), "{debug}");
        assert!(debug.contains("SHA256:"), "{debug}");
        assert_eq!(
            format!("{:?}", key.to_pkcs8_pem()),
            "SecretBox<str>([REDACTED])"
        );
        // An error for a damaged key does not echo it.
        let damaged = format!("{}{}{}", &body[..80], "A".repeat(40), &body[120..]);
        let error = load(&damaged).unwrap_err();
        assert!(matches!(error, KeyError::Malformed { .. }), "{error}");
        let error = error.to_string();
        assert!(
            !error.contains(&body[..40]) && !error.contains(&body[200..240]),
            "{error}"
        );
    }
}
