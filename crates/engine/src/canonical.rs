//! Canonical JSON and content hashes.
//!
//! Canonical JSON is compact (no whitespace) with object keys sorted recursively by their UTF-8 bytes;
//! strings and numbers are written as `serde_json` writes them, which for the ASCII keys and integer
//! counts of webhooks is byte-for-byte what Nango's `JSON.stringify` of a key-sorted object produces.
//! It is the one encoding behind both a record's [`ContentHash`] and a webhook body, so that the same
//! value always hashes and signs the same way whatever order its fields were built in.

use std::fmt;

use aws_lc_rs::digest;
use serde::{Serialize, Serializer, ser::SerializeMap};
use serde_json::Value;

/// Serialises `value` as canonical JSON (keys sorted recursively, no whitespace).
pub fn to_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write(value, &mut out);
    out
}

/// Appends the canonical JSON of `value` to `out`.
pub fn write(value: &Value, out: &mut Vec<u8>) {
    serde_json::to_writer(out, &Sorted(value)).expect("writing JSON to a Vec cannot fail");
}

/// The canonical JSON of `value` as a raw JSON value (ready to store without re-serialising).
pub fn to_raw(value: &Value) -> Box<serde_json::value::RawValue> {
    serde_json::value::to_raw_value(&Sorted(value)).expect("JSON values serialise")
}

/// SHA-256 of a value's canonical JSON: equal for equal values, whatever their key order.
pub fn content_hash(value: &Value) -> ContentHash {
    let mut buffer = Vec::with_capacity(512);
    write(value, &mut buffer);
    ContentHash::of_bytes(&buffer)
}

/// The SHA-256 of a record's canonical JSON; decides added / updated / unchanged.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentHash([u8; 32]);

impl ContentHash {
    /// Hashes bytes that are already canonical JSON.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        let digest = digest::digest(&digest::SHA256, bytes);
        let mut hash = [0; 32];
        hash.copy_from_slice(digest.as_ref());
        Self(hash)
    }

    /// The 32 raw bytes, as stored.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Rebuilds a hash from its stored bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({self})")
    }
}

/// Serialises a value with the keys of every object sorted.
struct Sorted<'a>(&'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                let mut out = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    out.serialize_entry(key, &Sorted(value))?;
                }
                out.end()
            }
            Value::Array(items) => serializer.collect_seq(items.iter().map(Sorted)),
            other => other.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sorts_keys_recursively_without_whitespace() {
        let value = json!({"b": 1, "a": {"z": [{"y": true, "x": null}], "c": "é\n"}});
        assert_eq!(
            String::from_utf8(to_vec(&value)).unwrap(),
            r#"{"a":{"c":"é\n","z":[{"x":null,"y":true}]},"b":1}"#
        );
    }

    #[test]
    fn hash_ignores_key_order_but_not_content() {
        let one = json!({"id": "A", "name": "A", "owner": ""});
        let same = json!({"owner": "", "name": "A", "id": "A"});
        let other = json!({"id": "A", "name": "A"});
        assert_eq!(content_hash(&one), content_hash(&same));
        assert_ne!(content_hash(&one), content_hash(&other));
    }

    #[test]
    fn hash_is_sha256_of_the_canonical_text() {
        // sha256 of the 2 bytes `{}`
        assert_eq!(
            content_hash(&json!({})).to_string(),
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        let hash = content_hash(&json!({"a": 1}));
        assert_eq!(ContentHash::from_bytes(*hash.as_bytes()), hash);
    }
}
