//! Record ids, byte-compatible with Nango, and detection of ids that two objects share.
//!
//! Nango's ids (integration reference §5.1): `NAME` for databases, roles and users, `DB/SCHEMA`,
//! `DB/SCHEMA/TABLE`, `DB.SCHEMA.VIEW` and `DB.SCHEMA.TABLE.COLUMN`. Both separators are legal inside
//! quoted Snowflake names, so two objects can share an id (`"A.B"."C"."V"` and `"A"."B.C"."V"`). All ids
//! are built by [`ObjectKey::id`], and an [`IdTracker`] reports such collisions instead of letting the
//! second record silently replace the first.
//!
//! Collisions are only possible between objects whose names contain their model's separator: without
//! one, an id splits back into exactly one name per level, which a name containing the separator cannot
//! produce. The tracker therefore remembers only those rare objects, so its memory stays small even for a
//! run of millions of columns.

use std::{collections::HashMap, fmt};

use crate::sql::quote_ident;

/// The names that identify one Snowflake object, by model family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKey<'a> {
    /// A database (id: the name).
    Database(&'a str),
    /// A role (id: the name).
    Role(&'a str),
    /// A user (id: the name).
    User(&'a str),
    /// A schema (id: `DB/SCHEMA`).
    Schema {
        /// The database name.
        database: &'a str,
        /// The schema name.
        schema: &'a str,
    },
    /// A table (id: `DB/SCHEMA/TABLE`).
    Table {
        /// The database name.
        database: &'a str,
        /// The schema name.
        schema: &'a str,
        /// The table name.
        table: &'a str,
    },
    /// A view (id: `DB.SCHEMA.VIEW`).
    View {
        /// The database name.
        database: &'a str,
        /// The schema name.
        schema: &'a str,
        /// The view name.
        view: &'a str,
    },
    /// A table column (id: `DB.SCHEMA.TABLE.COLUMN`).
    Column {
        /// The database name.
        database: &'a str,
        /// The schema name.
        schema: &'a str,
        /// The table name.
        table: &'a str,
        /// The column name.
        column: &'a str,
    },
}

impl<'a> ObjectKey<'a> {
    fn parts(&self) -> (&'static str, Vec<&'a str>) {
        match *self {
            Self::Database(name) | Self::Role(name) | Self::User(name) => ("", vec![name]),
            Self::Schema { database, schema } => ("/", vec![database, schema]),
            Self::Table {
                database,
                schema,
                table,
            } => ("/", vec![database, schema, table]),
            Self::View {
                database,
                schema,
                view,
            } => (".", vec![database, schema, view]),
            Self::Column {
                database,
                schema,
                table,
                column,
            } => (".", vec![database, schema, table, column]),
        }
    }

    /// The record id, exactly as Nango builds it.
    pub fn id(&self) -> String {
        let (separator, parts) = self.parts();
        parts.join(separator)
    }

    /// Whether another object of the same family could produce the same id.
    fn is_ambiguous(&self) -> bool {
        let (separator, parts) = self.parts();
        !separator.is_empty() && parts.iter().any(|part| part.contains(separator))
    }
}

impl fmt::Display for ObjectKey<'_> {
    /// The object's fully quoted Snowflake name, e.g. `"My.DB"."S"."T"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (_, parts) = self.parts();
        let quoted: Vec<String> = parts.iter().map(|part| quote_ident(part)).collect();
        f.write_str(&quoted.join("."))
    }
}

/// The id of a `QueryResult` row from its id column values: the value itself for one id column
/// (Nango's `String(row[id_column])`), a JSON array of the values for several (`["7","EU"]`), which
/// no two different value tuples share.
pub fn composite_id(values: &[&str]) -> String {
    match values {
        [single] => (*single).to_owned(),
        several => serde_json::to_string(several).expect("strings serialise"),
    }
}

/// Two different objects that produce the same record id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error(
    "objects {kept} and {rejected} both have the record id {id:?}; the first is kept and the second is not saved (join on the *_name fields to tell such objects apart)"
)]
pub struct IdCollision {
    /// The shared id.
    pub id: String,
    /// The object saved under the id (quoted name).
    pub kept: String,
    /// The object left out (quoted name).
    pub rejected: String,
}

/// Collisions found in one run, for the run report.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Collisions {
    /// How many objects were left out because their id was taken.
    pub count: u64,
    /// The first few collisions.
    pub examples: Vec<IdCollision>,
}

/// Detects record ids shared by different objects within one sync run.
///
/// Call [`IdTracker::register`] for every record before saving it; on `Err` do not save that record
/// and add the collision to the run's [`Collisions`] ([`IdTracker::collisions`] keeps them). The
/// same object registered twice (a repeated SHOW page boundary) is not a collision.
#[derive(Debug, Default)]
pub struct IdTracker {
    ambiguous: HashMap<String, String>,
    collisions: Collisions,
}

impl IdTracker {
    /// How many collision examples a run keeps.
    const MAX_EXAMPLES: usize = 20;

    /// A tracker for one run of one model.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers an object; `Err` if a different object already produced its id in this run.
    pub fn register(&mut self, key: ObjectKey<'_>) -> Result<(), IdCollision> {
        if !key.is_ambiguous() {
            return Ok(());
        }
        let name = key.to_string();
        let id = key.id();
        match self.ambiguous.get(&id) {
            None => {
                self.ambiguous.insert(id, name);
                Ok(())
            }
            Some(kept) if *kept == name => Ok(()),
            Some(kept) => {
                let collision = IdCollision {
                    id,
                    kept: kept.clone(),
                    rejected: name,
                };
                tracing::warn!(record.id = %collision.id, kept = %collision.kept, rejected = %collision.rejected, "record id collision");
                self.collisions.count += 1;
                if self.collisions.examples.len() < Self::MAX_EXAMPLES {
                    self.collisions.examples.push(collision.clone());
                }
                Err(collision)
            }
        }
    }

    /// The collisions found so far.
    pub fn collisions(&self) -> &Collisions {
        &self.collisions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_nango_formats() {
        assert_eq!(ObjectKey::Database("DB").id(), "DB");
        assert_eq!(ObjectKey::Role("R").id(), "R");
        assert_eq!(ObjectKey::User("U").id(), "U");
        assert_eq!(
            ObjectKey::Schema {
                database: "DB",
                schema: "S"
            }
            .id(),
            "DB/S"
        );
        assert_eq!(
            ObjectKey::Table {
                database: "DB",
                schema: "S",
                table: "T"
            }
            .id(),
            "DB/S/T"
        );
        assert_eq!(
            ObjectKey::View {
                database: "DB",
                schema: "S",
                view: "V"
            }
            .id(),
            "DB.S.V"
        );
        assert_eq!(
            ObjectKey::Column {
                database: "DB",
                schema: "S",
                table: "T",
                column: "C"
            }
            .id(),
            "DB.S.T.C"
        );
    }

    #[test]
    fn composite_ids() {
        assert_eq!(composite_id(&["42"]), "42");
        assert_eq!(composite_id(&["7", "EU"]), r#"["7","EU"]"#);
        assert_ne!(
            composite_id(&["a\",\"b", "c"]),
            composite_id(&["a", "b\",\"c"])
        );
    }

    #[test]
    fn collisions_are_reported_not_dropped() {
        let mut tracker = IdTracker::new();
        let first = ObjectKey::View {
            database: "A.B",
            schema: "C",
            view: "V",
        };
        let second = ObjectKey::View {
            database: "A",
            schema: "B.C",
            view: "V",
        };
        assert_eq!(first.id(), second.id());
        assert!(tracker.register(first).is_ok());
        assert!(
            tracker.register(first).is_ok(),
            "the same object twice is fine"
        );
        let collision = tracker.register(second).unwrap_err();
        assert_eq!(collision.id, "A.B.C.V");
        assert_eq!(collision.kept, r#""A.B"."C"."V""#);
        assert_eq!(collision.rejected, r#""A"."B.C"."V""#);
        assert!(collision.to_string().contains("both have the record id"));
        assert_eq!(tracker.collisions().count, 1);
        assert_eq!(tracker.collisions().examples, vec![collision]);
    }

    #[test]
    fn names_without_separators_are_not_remembered() {
        let mut tracker = IdTracker::new();
        for i in 0..1000 {
            let table = format!("T{i}");
            tracker
                .register(ObjectKey::Table {
                    database: "DB",
                    schema: "S",
                    table: &table,
                })
                .unwrap();
        }
        // A dot is no separator for tables: not ambiguous either.
        tracker
            .register(ObjectKey::Table {
                database: "D.B",
                schema: "S",
                table: "T",
            })
            .unwrap();
        assert!(tracker.ambiguous.is_empty());
        tracker
            .register(ObjectKey::Table {
                database: "D/B",
                schema: "S",
                table: "T",
            })
            .unwrap();
        assert_eq!(tracker.ambiguous.len(), 1);
        assert!(
            tracker
                .register(ObjectKey::Table {
                    database: "D",
                    schema: "B/S",
                    table: "T"
                })
                .is_err()
        );
    }
}
