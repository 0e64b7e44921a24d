//! Tokens of one statement and a cursor over them, for the commands the emulator parses itself
//! (SHOW, DESCRIBE, DDL, GRANT, USE, …); SELECT and DML go to `sqlparser`. Also the statement
//! splitter and classifier the HTTP side uses.
//!
//! Identifiers follow Snowflake's rules (§4): unquoted ones are upper-cased, quoted ones kept exact
//! (an inner `""` is one `"`).

use sqlparser::{
    dialect::SnowflakeDialect,
    tokenizer::{Token, TokenWithSpan, Tokenizer},
};

use crate::exec::{SqlError, StatementClass};

/// A cursor over the significant tokens of one statement.
#[derive(Debug)]
pub struct Cursor<'a> {
    sql: &'a str,
    tokens: Vec<TokenWithSpan>,
    pos: usize,
    line_starts: Vec<usize>,
}

impl<'a> Cursor<'a> {
    pub fn new(sql: &'a str) -> Result<Self, SqlError> {
        let tokens = Tokenizer::new(&SnowflakeDialect {}, sql)
            .tokenize_with_location()
            .map_err(|e| syntax_error_text(&e.to_string()))?
            .into_iter()
            .filter(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
            .collect();
        let mut line_starts = vec![0];
        line_starts.extend(sql.match_indices('\n').map(|(i, _)| i + 1));
        Ok(Self {
            sql,
            tokens,
            pos: 0,
            line_starts,
        })
    }

    pub fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|t| &t.token)
    }

    pub fn peek_at(&self, ahead: usize) -> Option<&Token> {
        self.tokens.get(self.pos + ahead).map(|t| &t.token)
    }

    pub fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).map(|t| t.token.clone());
        if token.is_some() {
            self.pos += 1;
        }
        token
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.tokens.len()
            || self.tokens[self.pos..]
                .iter()
                .all(|t| matches!(t.token, Token::SemiColon))
    }

    /// Whether the next token is the unquoted keyword `word` (any case), without consuming it.
    pub fn is_keyword(&self, word: &str) -> bool {
        is_word(self.peek(), word)
    }

    /// Consumes the unquoted keyword `word` if it is next.
    pub fn keyword(&mut self, word: &str) -> bool {
        if self.is_keyword(word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes the keywords `words` if they all come next, in order; otherwise nothing.
    pub fn keywords(&mut self, words: &[&str]) -> bool {
        if words
            .iter()
            .enumerate()
            .all(|(i, w)| is_word(self.peek_at(i), w))
        {
            self.pos += words.len();
            true
        } else {
            false
        }
    }

    pub fn expect_keyword(&mut self, word: &str) -> Result<(), SqlError> {
        if self.keyword(word) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    /// Consumes `token` if it is next.
    pub fn eat(&mut self, token: &Token) -> bool {
        if self.peek() == Some(token) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub fn expect(&mut self, token: &Token) -> Result<(), SqlError> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    /// One identifier: unquoted upper-cased, quoted exact.
    pub fn ident(&mut self) -> Result<String, SqlError> {
        match self.peek() {
            Some(Token::Word(w)) => {
                let name = match w.quote_style {
                    Some(_) => w.value.clone(),
                    None => w.value.to_ascii_uppercase(),
                };
                self.pos += 1;
                Ok(name)
            }
            _ => Err(self.unexpected()),
        }
    }

    /// A dotted name, `a.b.c`, as its parts.
    pub fn object_name(&mut self) -> Result<Vec<String>, SqlError> {
        let mut parts = vec![self.ident()?];
        while self.eat(&Token::Period) {
            parts.push(self.ident()?);
        }
        Ok(parts)
    }

    /// A string literal (single-quoted or `$$…$$`).
    pub fn string(&mut self) -> Result<String, SqlError> {
        match self.peek() {
            Some(Token::SingleQuotedString(s)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            Some(Token::DollarQuotedString(s)) => {
                let s = s.value.clone();
                self.pos += 1;
                Ok(s)
            }
            _ => Err(self.unexpected()),
        }
    }

    /// An unsigned integer literal.
    pub fn integer(&mut self) -> Result<u64, SqlError> {
        match self.peek() {
            Some(Token::Number(n, _)) => {
                let n = n.parse().map_err(|_| self.unexpected())?;
                self.pos += 1;
                Ok(n)
            }
            _ => Err(self.unexpected()),
        }
    }

    /// A property value after `=`: a string, a number, a word (`TRUE`, `X-Small`, a name) or a
    /// parenthesised list, as text.
    pub fn value(&mut self) -> Result<String, SqlError> {
        match self.peek() {
            Some(Token::SingleQuotedString(_) | Token::DollarQuotedString(_)) => self.string(),
            Some(Token::Number(n, _)) => {
                let n = n.clone();
                self.pos += 1;
                Ok(n)
            }
            Some(Token::Minus) => {
                self.pos += 1;
                Ok(format!("-{}", self.value()?))
            }
            Some(Token::Word(_)) => Ok(self.object_name()?.join(".")),
            Some(Token::LParen) => {
                let start = self.offset();
                self.skip_balanced()?;
                Ok(self.sql[start..self.offset()].to_owned())
            }
            _ => Err(self.unexpected()),
        }
    }

    /// Skips a parenthesised group, nested ones included.
    pub fn skip_balanced(&mut self) -> Result<(), SqlError> {
        self.expect(&Token::LParen)?;
        let mut depth = 1;
        while depth > 0 {
            match self.next() {
                Some(Token::LParen) => depth += 1,
                Some(Token::RParen) => depth -= 1,
                Some(_) => {}
                None => return Err(self.unexpected()),
            }
        }
        Ok(())
    }

    /// Byte offset in the statement of the next token (the end when none is left).
    pub fn offset(&self) -> usize {
        match self.tokens.get(self.pos) {
            Some(t) => self.byte_offset(t.span.start.line, t.span.start.column),
            None => self.sql.len(),
        }
    }

    fn byte_offset(&self, line: u64, column: u64) -> usize {
        let start = self
            .line_starts
            .get(line.saturating_sub(1) as usize)
            .copied()
            .unwrap_or(0);
        self.sql[start..]
            .char_indices()
            .nth(column.saturating_sub(1) as usize)
            .map_or(self.sql.len(), |(i, _)| start + i)
    }

    /// The text between two byte offsets of the statement.
    pub fn source(&self, start: usize, end: usize) -> &'a str {
        &self.sql[start..end]
    }

    /// The whole statement.
    pub fn sql(&self) -> &'a str {
        self.sql
    }

    /// The statement text from the next token to the end, without a trailing `;`.
    pub fn rest(&self) -> &'a str {
        self.sql[self.offset()..]
            .trim()
            .trim_end_matches(';')
            .trim_end()
    }

    /// Snowflake's syntax error at the next token.
    pub fn unexpected(&self) -> SqlError {
        match self.tokens.get(self.pos) {
            Some(t) => syntax_error(
                t.span.start.line,
                t.span.start.column.saturating_sub(1),
                &t.token.to_string(),
            ),
            None => {
                let line = self.line_starts.len() as u64;
                let column = self.sql.len() - self.line_starts.last().copied().unwrap_or(0);
                syntax_error(line, column as u64, "<EOF>")
            }
        }
    }

    /// Fails unless the statement ends here.
    pub fn end(&self) -> Result<(), SqlError> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }
}

fn is_word(token: Option<&Token>, word: &str) -> bool {
    matches!(token, Some(Token::Word(w)) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
}

/// `SQL compilation error:\nsyntax error line 1 at position 0 unexpected 'SELEC'.`
pub fn syntax_error(line: u64, position: u64, token: &str) -> SqlError {
    SqlError::new(
        "001003",
        "42000",
        format!(
            "SQL compilation error:\nsyntax error line {line} at position {position} unexpected '{token}'."
        ),
    )
}

/// A syntax error from a `sqlparser` message (`… found: X at Line: 1, Column: 8`).
pub fn syntax_error_text(message: &str) -> SqlError {
    let number_after = |key: &str| {
        message.find(key).and_then(|i| {
            message[i + key.len()..]
                .trim_start()
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse::<u64>().ok())
        })
    };
    let line = number_after("Line:").unwrap_or(1);
    let column = number_after("Column:").unwrap_or(1).saturating_sub(1);
    let token = message
        .find("found: ")
        .map(|i| {
            let rest = &message[i + 7..];
            rest.find(" at Line:")
                .map_or(rest, |end| &rest[..end])
                .trim()
        })
        .unwrap_or("<EOF>");
    let token = if token == "EOF" { "<EOF>" } else { token };
    syntax_error(line, column, token)
}

/// Splits a request's text into statements at `;` outside quotes and comments, dropping empty
/// ones (only whitespace and comments).
pub fn split_statements(sql: &str) -> Result<Vec<String>, SqlError> {
    let bytes = sql.as_bytes();
    let mut statements = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut meaningful = false;
    while i < bytes.len() {
        let rest = &sql[i..];
        let consumed = if rest.starts_with("--") || rest.starts_with("//") {
            rest.find('\n').map_or(rest.len(), |n| n + 1)
        } else if let Some(body) = rest.strip_prefix("/*") {
            match body.find("*/") {
                Some(end) => end + 4,
                None => return Err(unterminated(sql, i, "comment")),
            }
        } else if let Some(body) = rest.strip_prefix("$$") {
            meaningful = true;
            match body.find("$$") {
                Some(end) => end + 4,
                None => return Err(unterminated(sql, i, "string")),
            }
        } else if bytes[i] == b'\'' || bytes[i] == b'"' {
            meaningful = true;
            quoted_length(rest).ok_or_else(|| unterminated(sql, i, "string"))?
        } else if bytes[i] == b';' {
            if meaningful {
                statements.push(sql[start..i].trim().to_owned());
            }
            meaningful = false;
            start = i + 1;
            1
        } else {
            if !bytes[i].is_ascii_whitespace() {
                meaningful = true;
            }
            rest.chars().next().map_or(1, char::len_utf8)
        };
        i += consumed;
    }
    if meaningful {
        statements.push(sql[start..].trim().to_owned());
    }
    Ok(statements)
}

/// Length of the quoted literal at the start of `text` (`'…'` with `''` and `\'`, or `"…"` with `""`).
fn quoted_length(text: &str) -> Option<usize> {
    let quote = text.as_bytes()[0];
    let bytes = text.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        if quote == b'\'' && bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

fn unterminated(sql: &str, at: usize, what: &str) -> SqlError {
    let line = sql[..at].matches('\n').count() + 1;
    let position = at - sql[..at].rfind('\n').map_or(0, |n| n + 1);
    SqlError::new(
        "001003",
        "42000",
        format!(
            "SQL compilation error:\nsyntax error line {line} at position {position} unexpected unterminated {what}."
        ),
    )
}

/// What kind of statement `sql` is (see [`StatementClass`]).
pub fn classify(sql: &str) -> StatementClass {
    let Ok(mut cursor) = Cursor::new(sql) else {
        return StatementClass::Normal;
    };
    let session_only = |name: &str| StatementClass::SessionOnly(name.to_owned());
    if cursor.keyword("USE") {
        session_only("USE")
    } else if cursor.keyword("BEGIN") || cursor.keywords(&["START", "TRANSACTION"]) {
        session_only("TRANSACTION_BEGIN")
    } else if cursor.keyword("COMMIT") {
        session_only("TRANSACTION_COMMIT")
    } else if cursor.keyword("ROLLBACK") {
        session_only("TRANSACTION_ROLLBACK")
    } else if cursor.keywords(&["ALTER", "SESSION"]) {
        session_only("ALTER_SESSION")
    } else if cursor.keyword("PUT") {
        StatementClass::Unsupported("PUT".into())
    } else if cursor.keyword("GET") {
        StatementClass::Unsupported("GET".into())
    } else {
        StatementClass::Normal
    }
}

/// Snowflake's `QUERY_TYPE` of a statement, as `QUERY_HISTORY` reports it: `SELECT`, `INSERT`,
/// `SHOW`, `DESCRIBE`, `CREATE_TABLE`, `ALTER_USER`, `DROP`, `GRANT`, … (`UNKNOWN` otherwise).
pub fn query_type(sql: &str) -> String {
    let Ok(mut cursor) = Cursor::new(sql) else {
        return "UNKNOWN".to_owned();
    };
    if matches!(cursor.peek(), Some(Token::LParen)) {
        return "SELECT".to_owned();
    }
    let mut word = || match cursor.next() {
        Some(Token::Word(word)) if word.quote_style.is_none() => word.value.to_uppercase(),
        _ => String::new(),
    };
    let first = word();
    match first.as_str() {
        "SELECT" | "WITH" | "VALUES" => "SELECT".to_owned(),
        "INSERT" | "UPDATE" | "DELETE" | "MERGE" | "SHOW" | "GRANT" | "REVOKE" | "USE"
        | "COMMIT" | "ROLLBACK" | "CALL" | "DROP" => first,
        "DESCRIBE" | "DESC" => "DESCRIBE".to_owned(),
        "BEGIN" | "START" => "BEGIN_TRANSACTION".to_owned(),
        "TRUNCATE" => "TRUNCATE_TABLE".to_owned(),
        "CREATE" | "ALTER" => {
            let mut object = word();
            while [
                "OR",
                "REPLACE",
                "TEMPORARY",
                "TRANSIENT",
                "SECURE",
                "TEMP",
                "LOCAL",
            ]
            .contains(&object.as_str())
            {
                object = word();
            }
            if object.is_empty() {
                first
            } else {
                format!("{first}_{object}")
            }
        }
        _ => "UNKNOWN".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_outside_quotes_and_comments() {
        let parts = split_statements("select 'a;b'; -- c;\nselect \"x;\" /* ; */ ; ;").unwrap();
        assert_eq!(parts, vec!["select 'a;b'", "-- c;\nselect \"x;\" /* ; */"]);
        assert_eq!(split_statements("select 1; -- trailing").unwrap().len(), 1);
        assert_eq!(split_statements("select 'it''s;'").unwrap().len(), 1);
        assert!(split_statements("select 'open").is_err());
    }

    #[test]
    fn identifiers_follow_snowflake_rules() {
        let mut c = Cursor::new(r#"my_db."My.Schema"."quote""d""#).unwrap();
        assert_eq!(
            c.object_name().unwrap(),
            vec!["MY_DB", "My.Schema", "quote\"d"]
        );
    }

    #[test]
    fn syntax_errors_name_the_token() {
        let mut c = Cursor::new("SHOW\n  FOO").unwrap();
        c.keyword("SHOW");
        assert_eq!(
            c.unexpected().message,
            "SQL compilation error:\nsyntax error line 2 at position 2 unexpected 'FOO'."
        );
    }
}
