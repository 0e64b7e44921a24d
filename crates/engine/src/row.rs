//! Row access: how the engine reads one row of a Snowflake result.
//!
//! The mappers of [`crate::mapping`] read cells through [`ShowRow`] by column name: lower-case for SHOW
//! output (`name`, `created_on`, `null?`), as `rowType[].name` spells it for SELECT results. Values are the
//! raw jsonv2 strings; `None` is SQL NULL or a column the result does not have (SHOW outputs gain
//! columns over time, so mappers never depend on positions).

/// One result row, read by column name.
///
/// The client's row type implements this with one small adapter; [`NamedRow`] is the plain
/// implementation over a `rowType` name list and one row of cells.
pub trait ShowRow {
    /// The raw jsonv2 string in `column`, or `None` for SQL NULL or a missing column.
    fn get(&self, column: &str) -> Option<&str>;
}

/// A row as the SQL API returns it: the `rowType[].name` list zipped with one `data` entry.
#[derive(Debug, Clone, Copy)]
pub struct NamedRow<'a> {
    names: &'a [String],
    cells: &'a [Option<String>],
}

impl<'a> NamedRow<'a> {
    /// Zips column names with the cells of one row (extra names or cells are ignored).
    pub fn new(names: &'a [String], cells: &'a [Option<String>]) -> Self {
        Self { names, cells }
    }
}

impl ShowRow for NamedRow<'_> {
    fn get(&self, column: &str) -> Option<&str> {
        // Results have at most a few dozen columns: a scan beats hashing here.
        let index = self.names.iter().position(|name| name == column)?;
        self.cells.get(index)?.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_by_name_and_treats_null_and_missing_alike() {
        let names = vec!["name".to_owned(), "owner".to_owned(), "comment".to_owned()];
        let cells = vec![Some("DB".to_owned()), None, Some(String::new())];
        let row = NamedRow::new(&names, &cells);
        assert_eq!(row.get("name"), Some("DB"));
        assert_eq!(row.get("owner"), None);
        assert_eq!(row.get("comment"), Some(""));
        assert_eq!(row.get("kind"), None);
        assert_eq!(row.get("NAME"), None, "names are matched exactly");
    }
}
