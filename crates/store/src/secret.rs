//! Secrets at rest: the master key, the AEAD cipher that seals secrets with it, and the
//! redacting wrappers that carry secrets through the store.
//!
//! A sealed value is `version (1) ‖ key id (8) ‖ nonce (12) ‖ AES-256-GCM ciphertext and tag`.
//! The key id is derived from the key, so a database remembers which key sealed each value and a
//! cipher holding the current key plus previous ones opens everything during a rotation. The
//! associated data names the row a secret belongs to, so a sealed value copied into another row
//! fails to open.

use std::{fmt, io::Write, path::Path, sync::Arc};

use aws_lc_rs::{
    aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey},
    digest,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde_json::Value;

use crate::error::{Result, StoreError};

const FORMAT_VERSION: u8 = 1;
const KEY_ID_LEN: usize = 8;
const HEADER_LEN: usize = 1 + KEY_ID_LEN + NONCE_LEN;
/// The file, inside the data directory, that holds a generated master key.
pub const MASTER_KEY_FILE: &str = "master.key";

/// A 256-bit master key. Its `Debug` shows only its key id.
pub struct MasterKey(SecretBox<[u8; 32]>);

impl MasterKey {
    /// Parses a key from standard base64 of exactly 32 bytes (the form of
    /// `SNOWGATE_ENCRYPTION_KEY`; `openssl rand -base64 32` makes one).
    pub fn from_base64(encoded: &str) -> Result<Self> {
        let bytes = STANDARD
            .decode(encoded.trim())
            .map_err(|_| StoreError::InvalidMasterKey {
                reason: "it is not standard base64; generate one with `openssl rand -base64 32`"
                    .into(),
            })?;
        let key: [u8; 32] =
            bytes
                .try_into()
                .map_err(|bytes: Vec<u8>| StoreError::InvalidMasterKey {
                    reason: format!(
                        "it decodes to {} bytes, AES-256 needs exactly 32; generate one with \
                     `openssl rand -base64 32`",
                        bytes.len()
                    ),
                })?;
        Ok(Self(SecretBox::new(Box::new(key))))
    }

    /// A new random key.
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        aws_lc_rs::rand::fill(&mut key).expect("the system random generator works");
        Self(SecretBox::new(Box::new(key)))
    }

    /// The key as standard base64, for an operator to store elsewhere.
    pub fn to_base64(&self) -> SecretString {
        STANDARD.encode(self.0.expose_secret()).into()
    }

    /// Reads `<data_dir>/master.key`, or creates it (mode 0600) with a new random key and logs a
    /// warning that the key must be backed up. Used when `SNOWGATE_ENCRYPTION_KEY` is not set.
    pub fn load_or_create(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join(MASTER_KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => return Self::from_base64(&text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(StoreError::File {
                    action: "reading the master key",
                    path,
                    source,
                });
            }
        }
        let key = Self::generate();
        let file_error = |source| StoreError::File {
            action: "writing the master key",
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(file_error)?;
        // Written under a private name, then linked into place: the key file appears complete
        // or not at all, and of two processes starting together exactly one key wins.
        let staging = data_dir.join(format!(
            "{MASTER_KEY_FILE}.{}.tmp",
            uuid::Uuid::new_v4().simple()
        ));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options.open(&staging).and_then(|mut file| {
            file.write_all(key.to_base64().expose_secret().as_bytes())?;
            file.sync_all()
        });
        let linked = written.and_then(|()| std::fs::hard_link(&staging, &path));
        // Best effort: a leftover staging file holds no key anyone uses.
        let _ = std::fs::remove_file(&staging);
        match linked {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                return Self::load_or_create(data_dir);
            }
            Err(error) => return Err(file_error(error)),
        }
        tracing::warn!(
            path = %path.display(),
            key_id = %key.id(),
            "generated a new master key for secrets at rest; back this file up (without it the \
             stored credentials cannot be read) or set SNOWGATE_ENCRYPTION_KEY"
        );
        Ok(key)
    }

    /// The key id recorded in every value sealed with this key (16 hex digits).
    pub fn id(&self) -> KeyId {
        let mut context = digest::Context::new(&digest::SHA256);
        context.update(b"snowgate master key id\0");
        context.update(self.0.expose_secret());
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&context.finish().as_ref()[..KEY_ID_LEN]);
        KeyId(id)
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MasterKey").field(&self.id()).finish()
    }
}

/// Identifies a master key without revealing it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId([u8; KEY_ID_LEN]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

struct SealingKey {
    id: KeyId,
    key: RandomizedNonceKey,
}

impl SealingKey {
    fn new(master: &MasterKey) -> Self {
        let key = RandomizedNonceKey::new(&AES_256_GCM, master.0.expose_secret())
            .expect("a 32-byte key is valid for AES-256-GCM");
        Self {
            id: master.id(),
            key,
        }
    }
}

/// Seals and opens secrets: seals with the current key, opens with the current or any previous key.
pub struct Cipher {
    current: Arc<SealingKey>,
    previous: Vec<Arc<SealingKey>>,
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cipher")
            .field("current", &self.current.id)
            .field(
                "previous",
                &self.previous.iter().map(|key| key.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Cipher {
    /// A cipher that seals with `current` and still opens values sealed with `previous` keys.
    pub fn new(current: &MasterKey, previous: &[MasterKey]) -> Self {
        Self {
            current: Arc::new(SealingKey::new(current)),
            previous: previous
                .iter()
                .map(|key| Arc::new(SealingKey::new(key)))
                .collect(),
        }
    }

    /// A cipher that seals with `next` and still opens everything this one opens.
    pub fn rotated(&self, next: &MasterKey) -> Self {
        let next = Arc::new(SealingKey::new(next));
        let previous = std::iter::once(&self.current)
            .chain(&self.previous)
            .filter(|key| key.id != next.id)
            .cloned()
            .collect();
        Self {
            current: next,
            previous,
        }
    }

    /// The id of the key new values are sealed with.
    pub fn current_key_id(&self) -> KeyId {
        self.current.id
    }

    /// Seals `plaintext`; `context` names the row it belongs to (checked when opening).
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Vec<u8> {
        let mut sealed = Vec::with_capacity(HEADER_LEN + plaintext.len() + 16);
        sealed.push(FORMAT_VERSION);
        sealed.extend_from_slice(&self.current.id.0);
        sealed.extend_from_slice(&[0; NONCE_LEN]);
        let mut body = plaintext.to_vec();
        let nonce = self
            .current
            .key
            .seal_in_place_append_tag(Aad::from(context.as_bytes()), &mut body)
            .expect("AES-256-GCM sealing does not fail for in-memory buffers");
        sealed[1 + KEY_ID_LEN..HEADER_LEN].copy_from_slice(nonce.as_ref());
        sealed.extend_from_slice(&body);
        sealed
    }

    /// The id of the key that sealed `sealed`, if it is a sealed value at all.
    pub fn key_id_of(sealed: &[u8]) -> Option<KeyId> {
        (sealed.len() > HEADER_LEN && sealed[0] == FORMAT_VERSION).then(|| {
            let mut id = [0u8; KEY_ID_LEN];
            id.copy_from_slice(&sealed[1..1 + KEY_ID_LEN]);
            KeyId(id)
        })
    }

    /// Opens a value sealed for `context` by this or a previous key.
    pub fn open(&self, sealed: &[u8], context: &str) -> Result<SecretBox<[u8]>> {
        let tampered = || StoreError::Tampered {
            what: context.to_owned(),
        };
        let id = Self::key_id_of(sealed).ok_or_else(tampered)?;
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|key| key.id == id)
            .ok_or_else(|| StoreError::UnknownMasterKey {
                key_id: id.to_string(),
            })?;
        let nonce = Nonce::try_assume_unique_for_key(&sealed[1 + KEY_ID_LEN..HEADER_LEN])
            .map_err(|_| tampered())?;
        let mut body = sealed[HEADER_LEN..].to_vec();
        let plaintext_len = key
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut body)
            .map_err(|_| tampered())?
            .len();
        body.truncate(plaintext_len);
        Ok(SecretBox::new(body.into_boxed_slice()))
    }

    /// Seals a JSON secret.
    pub(crate) fn seal_json(&self, secret: &SecretJson, context: &str) -> Vec<u8> {
        self.seal(secret.0.expose_secret().as_bytes(), context)
    }

    /// Opens a JSON secret.
    pub(crate) fn open_json(&self, sealed: &[u8], context: &str) -> Result<SecretJson> {
        let text = self.open_string(sealed, context)?;
        serde_json::from_str::<serde::de::IgnoredAny>(text.expose_secret()).map_err(|_| {
            StoreError::Tampered {
                what: context.to_owned(),
            }
        })?;
        Ok(SecretJson(text))
    }

    /// Seals a secret string.
    pub(crate) fn seal_string(&self, secret: &SecretString, context: &str) -> Vec<u8> {
        self.seal(secret.expose_secret().as_bytes(), context)
    }

    /// Opens a secret string.
    pub(crate) fn open_string(&self, sealed: &[u8], context: &str) -> Result<SecretString> {
        let plaintext = self.open(sealed, context)?;
        let text =
            std::str::from_utf8(plaintext.expose_secret()).map_err(|_| StoreError::Tampered {
                what: context.to_owned(),
            })?;
        Ok(text.into())
    }
}

/// A secret JSON document (connection credentials: account, user, private key, cached token…).
/// Its `Debug` is redacted; the text is zeroed when dropped.
pub struct SecretJson(SecretString);

impl SecretJson {
    /// Wraps a JSON value.
    pub fn new(value: &Value) -> Self {
        Self(value.to_string().into())
    }

    /// The JSON value. Do not log it.
    pub fn expose_value(&self) -> Value {
        serde_json::from_str(self.0.expose_secret())
            .expect("a SecretJson always holds the text of a JSON value")
    }
}

impl fmt::Debug for SecretJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretJson([REDACTED])")
    }
}

impl Clone for SecretJson {
    fn clone(&self) -> Self {
        Self(self.0.expose_secret().into())
    }
}
