//! What every SHOW command shares: where it looks ([`Scope`]), its filter, the rows it offers,
//! the [`Context`] it reads the catalog through, and the column and value helpers.

use crate::account::{
    Account,
    catalog::{Catalog, ObjectKind, Visibility, qualified},
    types::{Kind, SfType},
};
use crate::exec::{Column, Session};

/// The most rows SHOW returns.
pub(super) const SHOW_LIMIT: usize = 10_000;
pub(super) const INFORMATION_SCHEMA_COMMENT: &str =
    "Views describing the contents of schemas in this database";

/// Where a SHOW command looks.
#[derive(Debug, Clone)]
pub(super) enum Scope {
    Account,
    Database(String),
    Schema(String, String),
    Table(String, String, String),
}

#[derive(Debug, Default)]
pub(super) struct Filter {
    pub(super) like: Option<String>,
    pub(super) starts_with: Option<String>,
    pub(super) limit: Option<usize>,
    pub(super) from: Option<String>,
}

impl Filter {
    pub(super) fn accepts(&self, name: &str) -> bool {
        self.like.as_deref().is_none_or(|p| like(p, name))
            && self
                .starts_with
                .as_deref()
                .is_none_or(|s| name.starts_with(s))
            && self.from.as_deref().is_none_or(|f| name >= f)
    }
}

/// Rows of one SHOW result, filtered as they are offered.
pub(super) struct Rows<'f> {
    pub(super) filter: &'f Filter,
    pub(super) cap: usize,
    pub(super) rows: Vec<Vec<Option<String>>>,
}

impl Rows<'_> {
    /// Offers a row named `name`; `false` once no more rows are wanted.
    pub(super) fn offer(&mut self, name: &str, make: impl FnOnce() -> Vec<Option<String>>) -> bool {
        if self.rows.len() >= self.cap {
            return false;
        }
        if self.filter.accepts(name) {
            self.rows.push(make());
        }
        self.rows.len() < self.cap
    }
}

/// SQL `LIKE` with `%` and `_` (and `\` escapes), case-insensitive.
pub fn like(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.to_uppercase().chars().collect();
    let text: Vec<char> = text.to_uppercase().chars().collect();
    // Classic wildcard matching with one backtrack point for the last `%`.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('%') => {
                star = Some((p, t));
                p += 1;
                continue;
            }
            Some('\\') if pattern.get(p + 1) == Some(&text[t]) => {
                p += 2;
                t += 1;
                continue;
            }
            Some('_') => {
                p += 1;
                t += 1;
                continue;
            }
            Some(&c) if c == text[t] && c != '\\' => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, st)) => {
                p = sp + 1;
                t = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|c| *c == '%')
}

pub(super) fn text_columns(names: &[&str]) -> Vec<Column> {
    names.iter().map(|n| column(n)).collect()
}

/// One SHOW output column: its type from the name, per §3.2.
pub(super) fn column(name: &str) -> Column {
    let ty = match name {
        "created_on" | "resumed_on" | "updated_on" | "last_success_login" | "expires_at_time"
        | "locked_until_time" | "stale_after" | "last_committed_on" | "last_suspended_on" => {
            SfType::scaled(Kind::TimestampLtz, 3)
        }
        "rows"
        | "bytes"
        | "search_optimization_progress"
        | "search_optimization_bytes"
        | "assigned_to_users"
        | "granted_to_roles"
        | "granted_roles" => SfType::fixed(38, 0),
        "min_cluster_count"
        | "max_cluster_count"
        | "started_clusters"
        | "running"
        | "queued"
        | "auto_suspend"
        | "query_acceleration_max_scale_factor"
        | "actives"
        | "pendings"
        | "failed"
        | "suspended"
        | "query_throughput_multiplier" => SfType::fixed(9, 0),
        "object_visibility" | "data_quality_monitoring_settings" => SfType::new(Kind::Object),
        "predecessors" => SfType::new(Kind::Array),
        _ => SfType::show_text(),
    };
    ty.column(name, None)
}

pub(super) fn s(text: impl Into<String>) -> Option<String> {
    Some(text.into())
}

pub(super) fn yes_no(flag: bool) -> Option<String> {
    s(if flag { "Y" } else { "N" })
}

pub(super) fn role_type(owner: &str) -> Option<String> {
    s(if owner.is_empty() { "" } else { "ROLE" })
}

pub(super) struct Context<'a> {
    pub(super) account: &'a Account,
    pub(super) catalog: &'a Catalog,
    pub(super) vis: &'a Visibility,
    pub(super) session: &'a Session,
}

impl Context<'_> {
    /// Whether the role sees the object `db.schema.name` of this kind and owner.
    pub(super) fn sees(
        &self,
        kind: ObjectKind,
        db: &str,
        schema: &str,
        owner: &str,
        name: &str,
    ) -> bool {
        self.vis.sees(kind, owner, &qualified(&[db, schema, name]))
    }

    pub(super) fn user_default(
        &self,
        pick: impl Fn(&crate::account::catalog::User) -> Option<String>,
    ) -> Option<String> {
        self.catalog.users.get(&self.session.user).and_then(pick)
    }
}
