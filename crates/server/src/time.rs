//! Nango's three timestamp forms (see the API reference, "Quirks"): apps parse them as they are,
//! so each route uses the one Nango uses there.

use chrono::{DateTime, SecondsFormat, Utc};

/// `2026-08-21T18:43:31.123Z`: most routes.
pub fn millis_z(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `2026-08-21T18:43:31.123+00:00`: the top level of `GET /connections/{id}`.
pub fn millis_offset(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, false)
}

/// `2026-08-20T10:00:00.123456+00:00`: `_nango_metadata` of records.
pub fn micros_offset(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, false)
}
