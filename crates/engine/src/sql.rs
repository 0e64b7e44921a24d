//! Identifier quoting, qualified-name parsing and the SHOW statements of the metadata syncs.
//!
//! Quoting ([`quote_ident`]) is the Snowflake client's, re-exported here, and paging SHOW output past
//! 10,000 rows is its `ShowPages`; [`ShowTarget`] only says which statement to page. Names from SHOW
//! output are always double-quoted with inner `"` doubled, so they resolve exactly, case and dots
//! included (Snowflake reference §4).

/// Identifier quoting is the Snowflake client's: `My "DB"` → `"My ""DB"""`.
pub use snowgate_snowflake::quote_identifier as quote_ident;

/// Where a statement runs: its `warehouse`, `database`, `schema` and `role`, each where given
/// (the session's default otherwise).
#[derive(Debug, Clone, Copy, Default)]
pub struct StatementContext<'a> {
    /// The warehouse.
    pub warehouse: Option<&'a str>,
    /// The default database.
    pub database: Option<&'a str>,
    /// The default schema.
    pub schema: Option<&'a str>,
    /// The role.
    pub role: Option<&'a str>,
}

impl StatementContext<'_> {
    /// `statement` with this context set.
    pub fn apply(
        self,
        mut statement: snowgate_snowflake::Statement,
    ) -> snowgate_snowflake::Statement {
        if let Some(warehouse) = self.warehouse {
            statement = statement.warehouse(warehouse);
        }
        if let Some(database) = self.database {
            statement = statement.database(database);
        }
        if let Some(schema) = self.schema {
            statement = statement.schema(schema);
        }
        if let Some(role) = self.role {
            statement = statement.role(role);
        }
        statement
    }
}

/// One part of a dotted name as written: `"My.DB"` is quoted, `SALES` is not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamePart {
    /// The name with quotes removed and `""` unescaped.
    pub name: String,
    /// Whether it was written in double quotes.
    pub quoted: bool,
}

/// A dotted name that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// An empty name or an empty part (`DB..S`, `.S`).
    #[error(
        "{0:?} has an empty part; write names as DATABASE.SCHEMA, quoting parts that contain dots: \"My.DB\".\"S\""
    )]
    EmptyPart(String),
    /// A quote that is never closed.
    #[error(
        "{0:?} has an unterminated quoted name; close it with \" and write a quote inside a name as \"\""
    )]
    Unterminated(String),
    /// Something other than `.` right after a closing quote.
    #[error("{0:?} has text right after a closing quote; separate parts with a dot")]
    AfterQuote(String),
}

/// Splits `"My.DB".SALES` into its parts, honouring Snowflake quoting. Unquoted parts are kept as
/// written (not upper-cased), as Nango's templates use them; whitespace around parts is ignored.
pub fn parse_qualified_name(text: &str) -> Result<Vec<NamePart>, NameError> {
    let mut parts = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let part = if chars.next_if_eq(&'"').is_some() {
            let mut name = String::new();
            loop {
                match chars.next() {
                    None => return Err(NameError::Unterminated(text.to_owned())),
                    Some('"') if chars.next_if_eq(&'"').is_some() => name.push('"'),
                    Some('"') => break,
                    Some(c) => name.push(c),
                }
            }
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            if chars.peek().is_some_and(|&c| c != '.') {
                return Err(NameError::AfterQuote(text.to_owned()));
            }
            NamePart { name, quoted: true }
        } else {
            let mut name = String::new();
            while let Some(c) = chars.next_if(|&c| c != '.') {
                if c == '"' {
                    return Err(NameError::AfterQuote(text.to_owned()));
                }
                name.push(c);
            }
            let name = name.trim_end().to_owned();
            if name.is_empty() {
                return Err(NameError::EmptyPart(text.to_owned()));
            }
            NamePart {
                name,
                quoted: false,
            }
        };
        parts.push(part);
        if chars.next().is_none() {
            return Ok(parts);
        }
    }
}

/// The most rows one SHOW statement returns (SHOW COLUMNS stops there silently).
pub const SHOW_ROW_CAP: usize = 10_000;

/// What a metadata sync lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShowTarget<'a> {
    /// `SHOW DATABASES`.
    Databases,
    /// `SHOW SCHEMAS IN DATABASE "<db>"`.
    Schemas {
        /// The database.
        database: &'a str,
    },
    /// `SHOW TABLES IN SCHEMA "<db>"."<schema>"`.
    Tables {
        /// The database.
        database: &'a str,
        /// The schema.
        schema: &'a str,
    },
    /// `SHOW VIEWS IN SCHEMA "<db>"."<schema>"`.
    Views {
        /// The database.
        database: &'a str,
        /// The schema.
        schema: &'a str,
    },
    /// `SHOW COLUMNS IN SCHEMA "<db>"."<schema>"`: every column of the schema's tables and views in one
    /// statement. It silently stops at [`SHOW_ROW_CAP`] rows and cannot be paged: when a result has
    /// that many rows, list the schema's tables one by one with [`ShowTarget::TableColumns`].
    SchemaColumns {
        /// The database.
        database: &'a str,
        /// The schema.
        schema: &'a str,
    },
    /// `SHOW COLUMNS IN TABLE "<db>"."<schema>"."<table>"`.
    TableColumns {
        /// The database.
        database: &'a str,
        /// The schema.
        schema: &'a str,
        /// The table.
        table: &'a str,
    },
    /// `SHOW ROLES` (not pageable).
    Roles,
    /// `SHOW USERS`.
    Users,
}

impl ShowTarget<'_> {
    /// Whether the statement is paged with `LIMIT 10000 FROM '<last name>'` (the client's
    /// `ShowPages`): it fails above 10,000 rows without it, and its rows are ordered by `name`.
    pub fn pageable(&self) -> bool {
        matches!(
            self,
            Self::Databases
                | Self::Schemas { .. }
                | Self::Tables { .. }
                | Self::Views { .. }
                | Self::Users
        )
    }

    /// The statement text, without `LIMIT` (paging adds it).
    pub fn statement(&self) -> String {
        match *self {
            Self::Databases => "SHOW DATABASES".to_owned(),
            Self::Schemas { database } => {
                format!("SHOW SCHEMAS IN DATABASE {}", quote_ident(database))
            }
            Self::Tables { database, schema } => {
                format!(
                    "SHOW TABLES IN SCHEMA {}.{}",
                    quote_ident(database),
                    quote_ident(schema)
                )
            }
            Self::Views { database, schema } => {
                format!(
                    "SHOW VIEWS IN SCHEMA {}.{}",
                    quote_ident(database),
                    quote_ident(schema)
                )
            }
            Self::SchemaColumns { database, schema } => {
                format!(
                    "SHOW COLUMNS IN SCHEMA {}.{}",
                    quote_ident(database),
                    quote_ident(schema)
                )
            }
            Self::TableColumns {
                database,
                schema,
                table,
            } => format!(
                "SHOW COLUMNS IN TABLE {}.{}.{}",
                quote_ident(database),
                quote_ident(schema),
                quote_ident(table)
            ),
            Self::Roles => "SHOW ROLES".to_owned(),
            Self::Users => "SHOW USERS".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quoted_and_unquoted_parts() {
        let parts = parse_qualified_name(r#""My.DB"."S""#).unwrap();
        assert_eq!(
            parts,
            vec![
                NamePart {
                    name: "My.DB".into(),
                    quoted: true
                },
                NamePart {
                    name: "S".into(),
                    quoted: true
                }
            ]
        );
        let parts = parse_qualified_name(r#" sales . "a""b" "#).unwrap();
        assert_eq!(
            parts[0],
            NamePart {
                name: "sales".into(),
                quoted: false
            }
        );
        assert_eq!(
            parts[1],
            NamePart {
                name: "a\"b".into(),
                quoted: true
            }
        );
        assert_eq!(parse_qualified_name("DB.S.T").unwrap().len(), 3);
        assert_eq!(parse_qualified_name("DB.*").unwrap()[1].name, "*");
    }

    #[test]
    fn rejects_malformed_names() {
        assert!(matches!(
            parse_qualified_name(""),
            Err(NameError::EmptyPart(_))
        ));
        assert!(matches!(
            parse_qualified_name("DB..S"),
            Err(NameError::EmptyPart(_))
        ));
        assert!(matches!(
            parse_qualified_name("DB."),
            Err(NameError::EmptyPart(_))
        ));
        assert!(matches!(
            parse_qualified_name(r#""DB"#),
            Err(NameError::Unterminated(_))
        ));
        assert!(matches!(
            parse_qualified_name(r#""DB"x.S"#),
            Err(NameError::AfterQuote(_))
        ));
        assert!(matches!(
            parse_qualified_name(r#"D"B".S"#),
            Err(NameError::AfterQuote(_))
        ));
        let message = parse_qualified_name("DB..S").unwrap_err().to_string();
        assert!(message.contains("\"My.DB\".\"S\""), "{message}");
    }

    #[test]
    fn show_statements() {
        assert_eq!(ShowTarget::Databases.statement(), "SHOW DATABASES");
        assert_eq!(
            ShowTarget::Tables {
                database: "My.DB",
                schema: "S\"1"
            }
            .statement(),
            r#"SHOW TABLES IN SCHEMA "My.DB"."S""1""#
        );
        assert_eq!(
            ShowTarget::Schemas {
                database: "NANGO_TEST_DB"
            }
            .statement(),
            r#"SHOW SCHEMAS IN DATABASE "NANGO_TEST_DB""#
        );
        assert_eq!(
            ShowTarget::Views {
                database: "D",
                schema: "S"
            }
            .statement(),
            r#"SHOW VIEWS IN SCHEMA "D"."S""#
        );
        assert_eq!(ShowTarget::Roles.statement(), "SHOW ROLES");
        assert_eq!(ShowTarget::Users.statement(), "SHOW USERS");
        let table = ShowTarget::TableColumns {
            database: "NANGO_TEST_DB",
            schema: "SALES",
            table: "CUSTOMERS",
        };
        assert_eq!(
            table.statement(),
            r#"SHOW COLUMNS IN TABLE "NANGO_TEST_DB"."SALES"."CUSTOMERS""#
        );
        let schema = ShowTarget::SchemaColumns {
            database: "D",
            schema: "S",
        };
        assert_eq!(schema.statement(), r#"SHOW COLUMNS IN SCHEMA "D"."S""#);
        assert!(ShowTarget::Users.pageable());
        assert!(!ShowTarget::Roles.pageable());
        assert!(!schema.pageable());
    }
}
