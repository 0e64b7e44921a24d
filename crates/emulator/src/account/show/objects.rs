//! SHOW USERS, ROLES, WAREHOUSES and the schema objects (stages, streams, tasks, …).

use super::context::*;
use crate::account::{
    catalog::{ObjectKind, qualified},
    types::show_time,
};
use crate::exec::{Column, SqlError};

impl Context<'_> {
    pub(super) fn users(&self, rows: &mut Rows) -> Vec<Column> {
        let names = [
            "name",
            "created_on",
            "login_name",
            "display_name",
            "first_name",
            "last_name",
            "email",
            "mins_to_unlock",
            "days_to_expiry",
            "comment",
            "disabled",
            "must_change_password",
            "snowflake_lock",
            "default_warehouse",
            "default_namespace",
            "default_role",
            "default_secondary_roles",
            "ext_authn_duo",
            "ext_authn_uid",
            "mins_to_bypass_mfa",
            "owner",
            "last_success_login",
            "expires_at_time",
            "locked_until_time",
            "has_password",
            "has_rsa_public_key",
            "type",
            "has_mfa",
            "has_pat",
            "has_workload_identity",
            "is_from_organization_user",
        ];
        for user in self.catalog.users.values() {
            let more = rows.offer(&user.name, || {
                let full = self.vis.sees_all()
                    || self.vis.roles.contains(&user.owner)
                    || self.vis.roles.contains("USERADMIN");
                if !full {
                    let mut row = vec![None; names.len()];
                    row[0] = s(&user.name);
                    return row;
                }
                let flag = |b: bool| s(b.to_string());
                vec![
                    s(&user.name),
                    s(show_time(user.created_on)),
                    s(&user.login_name),
                    s(&user.display_name),
                    user.first_name.clone(),
                    user.last_name.clone(),
                    user.email.clone(),
                    user.mins_to_unlock.clone(),
                    user.days_to_expiry.clone(),
                    user.comment.clone(),
                    flag(user.disabled),
                    flag(user.must_change_password),
                    flag(false),
                    user.default_warehouse.clone(),
                    user.default_namespace.clone(),
                    user.default_role.clone(),
                    user.default_secondary_roles.clone(),
                    flag(false),
                    None,
                    None,
                    s(&user.owner),
                    None,
                    None,
                    None,
                    flag(user.has_password),
                    flag(user.rsa_public_key.is_some() || user.rsa_public_key_2.is_some()),
                    user.kind.clone(),
                    flag(false),
                    flag(false),
                    flag(false),
                    flag(false),
                ]
            });
            if !more {
                break;
            }
        }
        text_columns(&names)
    }

    pub(super) fn roles(&self, rows: &mut Rows) -> Vec<Column> {
        let default_role = self.user_default(|u| u.default_role.clone());
        for role in self.catalog.roles.values() {
            let more = rows.offer(&role.name, || {
                let count = |f: &dyn Fn(&crate::account::catalog::Grant) -> bool| {
                    s(self
                        .catalog
                        .grants
                        .iter()
                        .filter(|g| g.on == ObjectKind::Role && f(g))
                        .count()
                        .to_string())
                };
                vec![
                    s(show_time(role.created_on)),
                    s(&role.name),
                    yes_no(
                        default_role.as_deref() == Some(&role.name)
                            || (default_role.is_none() && self.session.role == role.name),
                    ),
                    yes_no(self.session.role == role.name),
                    yes_no(self.session.role != role.name && self.vis.roles.contains(&role.name)),
                    count(&|g| g.name == role.name && g.grantee_kind == "USER"),
                    count(&|g| g.name == role.name && g.grantee_kind == "ROLE"),
                    count(&|g| g.grantee == role.name && g.grantee_kind == "ROLE"),
                    s(&role.owner),
                    s(&role.comment),
                    s("N"),
                ]
            });
            if !more {
                break;
            }
        }
        text_columns(&[
            "created_on",
            "name",
            "is_default",
            "is_current",
            "is_inherited",
            "assigned_to_users",
            "granted_to_roles",
            "granted_roles",
            "owner",
            "comment",
            "is_from_organization_user_group",
        ])
    }

    pub(super) fn warehouses(&self, rows: &mut Rows) -> Vec<Column> {
        let default_warehouse = self.user_default(|u| u.default_warehouse.clone());
        for w in self.catalog.warehouses.values() {
            if !self
                .vis
                .sees(ObjectKind::Warehouse, &w.owner, &qualified(&[&w.name]))
            {
                continue;
            }
            let more = rows.offer(&w.name, || {
                let started = w.state == "STARTED";
                let n = |v: u32| s(v.to_string());
                vec![
                    s(&w.name),
                    s(&w.state),
                    s(&w.kind),
                    s(&w.size),
                    n(w.min_cluster_count),
                    n(w.max_cluster_count),
                    n(if started { w.min_cluster_count } else { 0 }),
                    n(0),
                    n(0),
                    yes_no(default_warehouse.as_deref() == Some(&w.name)),
                    yes_no(self.session.warehouse.as_deref() == Some(&w.name)),
                    n(w.auto_suspend),
                    s(w.auto_resume.to_string()),
                    s(""),
                    s(""),
                    s(""),
                    s(""),
                    s(show_time(w.created_on)),
                    s(show_time(w.created_on)),
                    s(show_time(w.created_on)),
                    s(&w.owner),
                    s(&w.comment),
                    s("true"),
                    n(2),
                    s("null"),
                    n(if started { w.min_cluster_count } else { 0 }),
                    n(0),
                    n(0),
                    n(if started { 0 } else { w.min_cluster_count }),
                    s(&w.uuid),
                    s("STANDARD"),
                    role_type(&w.owner),
                    s("STANDARD_GEN_2"),
                    s("2"),
                    None,
                    None,
                    None,
                    None,
                ]
            });
            if !more {
                break;
            }
        }
        text_columns(&[
            "name",
            "state",
            "type",
            "size",
            "min_cluster_count",
            "max_cluster_count",
            "started_clusters",
            "running",
            "queued",
            "is_default",
            "is_current",
            "auto_suspend",
            "auto_resume",
            "available",
            "provisioning",
            "quiescing",
            "other",
            "created_on",
            "resumed_on",
            "updated_on",
            "owner",
            "comment",
            "enable_query_acceleration",
            "query_acceleration_max_scale_factor",
            "resource_monitor",
            "actives",
            "pendings",
            "failed",
            "suspended",
            "uuid",
            "scaling_policy",
            "owner_role_type",
            "resource_constraint",
            "generation",
            "query_throughput_multiplier",
            "max_query_performance_level",
            "disabled_reasons",
            "tables",
        ])
    }

    pub(super) fn schema_objects(
        &self,
        what: &str,
        scope: &Scope,
        rows: &mut Rows,
    ) -> Result<Vec<Column>, SqlError> {
        'schemas: for (db, schema) in self.scope_schemas(scope)? {
            let more = match what {
                "STAGES" => schema.stages.values().all(|stage| {
                    !self.sees(
                        ObjectKind::Stage,
                        &db.name,
                        &schema.name,
                        &stage.owner,
                        &stage.name,
                    ) || rows.offer(&stage.name, || {
                        let external = !stage.url.is_empty();
                        vec![
                            s(show_time(stage.created_on)),
                            s(&stage.name),
                            s(&db.name),
                            s(&schema.name),
                            s(&stage.url),
                            s("N"),
                            s("N"),
                            s(&stage.owner),
                            s(&stage.comment),
                            None,
                            s(if external { "EXTERNAL" } else { "INTERNAL" }),
                            None,
                            None,
                            None,
                            None,
                            role_type(&stage.owner),
                            s("N"),
                        ]
                    })
                }),
                "STREAMS" => schema.streams.values().all(|stream| {
                    !self.sees(
                        ObjectKind::Stream,
                        &db.name,
                        &schema.name,
                        &stream.owner,
                        &stream.name,
                    ) || rows.offer(&stream.name, || {
                        vec![
                            s(show_time(stream.created_on)),
                            s(&stream.name),
                            s(&db.name),
                            s(&schema.name),
                            s(&stream.owner),
                            s(&stream.comment),
                            s(&stream.table_name),
                            s("Table"),
                            s(&stream.table_name),
                            s("DELTA"),
                            s("false"),
                            s(&stream.mode),
                            s(show_time(stream.created_on + 14 * 86_400_000)),
                            s("N/A"),
                            role_type(&stream.owner),
                        ]
                    })
                }),
                _ => schema.tasks.values().all(|task| {
                    !self.sees(
                        ObjectKind::Task,
                        &db.name,
                        &schema.name,
                        &task.owner,
                        &task.name,
                    ) || rows.offer(&task.name, || {
                        vec![
                            s(show_time(task.created_on)),
                            s(&task.name),
                            s(&task.id),
                            s(&db.name),
                            s(&schema.name),
                            s(&task.owner),
                            s(&task.comment),
                            (!task.warehouse.is_empty()).then(|| task.warehouse.clone()),
                            (!task.schedule.is_empty()).then(|| task.schedule.clone()),
                            s("[]"),
                            s(&task.state),
                            s(&task.definition),
                            None,
                            s("false"),
                            s("null"),
                            None,
                            None,
                            role_type(&task.owner),
                            None,
                            s(r#"{"Predecessors":[]}"#),
                            None,
                            s("null"),
                            None,
                            None,
                            None,
                            s("NO_OVERLAP"),
                            s(&task.created_by),
                        ]
                    })
                }),
            };
            if !more {
                break 'schemas;
            }
        }
        Ok(text_columns(match what {
            "STAGES" => &[
                "created_on",
                "name",
                "database_name",
                "schema_name",
                "url",
                "has_credentials",
                "has_encryption_key",
                "owner",
                "comment",
                "region",
                "type",
                "cloud",
                "notification_channel",
                "storage_integration",
                "endpoint",
                "owner_role_type",
                "directory_enabled",
            ],
            "STREAMS" => &[
                "created_on",
                "name",
                "database_name",
                "schema_name",
                "owner",
                "comment",
                "table_name",
                "source_type",
                "base_tables",
                "type",
                "stale",
                "mode",
                "stale_after",
                "invalid_reason",
                "owner_role_type",
            ],
            _ => &[
                "created_on",
                "name",
                "id",
                "database_name",
                "schema_name",
                "owner",
                "comment",
                "warehouse",
                "schedule",
                "predecessors",
                "state",
                "definition",
                "condition",
                "allow_overlapping_execution",
                "error_integration",
                "last_committed_on",
                "last_suspended_on",
                "owner_role_type",
                "config",
                "task_relations",
                "last_suspended_reason",
                "success_integration",
                "scheduling_mode",
                "target_completion_interval",
                "execute_as_user",
                "overlap_policy",
                "created_by_user",
            ],
        }))
    }
}
