//! The records built from rows recorded from a real Snowflake account equal the records Nango saved
//! from the same rows (`nango.batchSave` of `fixtures/recorded/*.test.json`), field for
//! field; every record also passes its model's validator.

use std::{collections::BTreeMap, path::PathBuf};

use serde_json::{Value, json};
use snowgate_engine::{
    mapping::{self, QueryResultMapper, RowValues},
    models::Model,
    row::NamedRow,
    validation::PreparedRecord,
    value::ResultColumn,
};

fn fixture(name: &str) -> Value {
    let dir = std::env::var_os("SNOWGATE_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/recorded")
        });
    let path = dir.join(format!("{name}.test.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// One recorded statement: its text, column names and rows.
struct Recorded {
    statement: String,
    columns: Vec<ResultColumn>,
    names: Vec<String>,
    rows: Vec<Vec<Option<String>>>,
}

fn statements(fixture: &Value) -> Vec<Recorded> {
    let exchanges = &fixture["api"]["post"]["/api/v2/statements"];
    let exchanges = match exchanges {
        Value::Array(list) => list.clone(),
        single => vec![single.clone()],
    };
    exchanges
        .iter()
        .map(|exchange| {
            let response = &exchange["response"];
            let row_type = response["resultSetMetaData"]["rowType"].as_array().unwrap();
            let columns: Vec<ResultColumn> = row_type
                .iter()
                .map(|c| {
                    let column: snowgate_snowflake::Column =
                        serde_json::from_value(c.clone()).unwrap();
                    ResultColumn::from_row_type(&column)
                })
                .collect();
            let rows = response["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| {
                    row.as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .collect();
            Recorded {
                statement: exchange["request"]["data"]["statement"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                names: columns.iter().map(|c| c.name.clone()).collect(),
                columns,
                rows,
            }
        })
        .collect()
}

/// The records Nango saved for `model`, by id.
fn saved(fixture: &Value, model: &str) -> BTreeMap<String, Value> {
    fixture["nango"]["batchSave"][model]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

fn prepared<M: Model>(record: &M) -> Value {
    PreparedRecord::from_model(record)
        .unwrap_or_else(|e| panic!("{e}"))
        .payload
}

fn assert_same(ours: &BTreeMap<String, Value>, nango: &BTreeMap<String, Value>) {
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        nango.keys().collect::<Vec<_>>(),
        "record ids"
    );
    for (id, record) in nango {
        assert_eq!(&ours[id], record, "record {id}");
    }
}

#[test]
fn databases_equal_nangos() {
    let fixture = fixture("databases");
    let mut ours = BTreeMap::new();
    for statement in statements(&fixture) {
        for cells in &statement.rows {
            if let Some(database) =
                mapping::database(&NamedRow::new(&statement.names, cells)).unwrap()
            {
                ours.insert(database.id.clone(), prepared(&database));
            }
        }
    }
    assert!(
        !ours.contains_key("USER$VICTORNANGO2"),
        "personal databases are skipped"
    );
    assert_same(&ours, &saved(&fixture, "Database"));
}

#[test]
fn schemas_equal_nangos() {
    let fixture = fixture("schemas");
    let mut ours = BTreeMap::new();
    for statement in statements(&fixture) {
        let Some(database) = statement
            .statement
            .strip_prefix("SHOW SCHEMAS IN DATABASE ")
        else {
            continue;
        };
        let database = database.trim_matches('"');
        for cells in &statement.rows {
            if let Some(schema) =
                mapping::schema(&NamedRow::new(&statement.names, cells), database).unwrap()
            {
                ours.insert(schema.id.clone(), prepared(&schema));
            }
        }
    }
    assert!(!ours.keys().any(|id| id.ends_with("/INFORMATION_SCHEMA")));
    assert_same(&ours, &saved(&fixture, "Schema"));
}

#[test]
fn roles_equal_nangos() {
    let fixture = fixture("roles");
    let mut ours = BTreeMap::new();
    for statement in statements(&fixture) {
        for cells in &statement.rows {
            let role = mapping::role(&NamedRow::new(&statement.names, cells)).unwrap();
            ours.insert(role.id.clone(), prepared(&role));
        }
    }
    assert_same(&ours, &saved(&fixture, "Role"));
}

#[test]
fn query_results_equal_nangos() {
    let fixture = fixture("query-results");
    let metadata = &fixture["nango"]["getMetadata"];
    let config = snowgate_engine::metadata::QueryResultsConfig::from_metadata(metadata).unwrap();
    let mut ours = BTreeMap::new();
    for statement in statements(&fixture) {
        assert_eq!(statement.statement, config.query);
        let mapper = QueryResultMapper::new(
            statement.columns.clone(),
            &config.id_columns,
            config.row_values,
        )
        .unwrap();
        for cells in &statement.rows {
            let record = mapper.map(&NamedRow::new(&statement.names, cells)).unwrap();
            ours.insert(record.id.clone(), prepared(&record));
        }
    }
    assert_same(&ours, &saved(&fixture, "QueryResult"));
}

#[test]
fn query_results_typed_values() {
    let fixture = fixture("query-results");
    let statement = statements(&fixture).remove(0);
    let mapper = QueryResultMapper::new(
        statement.columns.clone(),
        &["CUSTOMER_ID".to_owned()],
        RowValues::Typed,
    )
    .unwrap();
    let record = mapper
        .map(&NamedRow::new(&statement.names, &statement.rows[0]))
        .unwrap();
    assert_eq!(record.id, "1");
    // NUMBER(38,0) stays exact text; TIMESTAMP_NTZ(9) becomes ISO 8601 without a zone.
    assert_eq!(record.row_data["CUSTOMER_ID"], json!("1"));
    assert_eq!(
        record.row_data["CREATED_AT"],
        json!("2026-06-04T04:49:04.065000000")
    );
    assert_eq!(record.row_data["EMAIL"], json!("alice@acme.com"));
}

/// `list-columns.test.json` holds SHOW COLUMNS rows but no sync output: the expected `Column` records
/// follow §3.4 of the integration reference, and agree with the action's recorded output on the fields
/// both have (`data_type`, `nullable`, `autoincrement`).
#[test]
fn columns_from_recorded_show_columns() {
    let fixture = fixture("list-columns");
    let statement = statements(&fixture).remove(0);
    assert_eq!(
        statement.statement,
        r#"SHOW COLUMNS IN TABLE "NANGO_TEST_DB"."SALES"."CUSTOMERS""#
    );
    let columns: Vec<Value> = statement
        .rows
        .iter()
        .enumerate()
        .map(|(i, cells)| {
            let row = NamedRow::new(&statement.names, cells);
            prepared(
                &mapping::column(&row, "NANGO_TEST_DB", "SALES", "CUSTOMERS", i as u32 + 1)
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(
        columns[0],
        json!({
            "id": "NANGO_TEST_DB.SALES.CUSTOMERS.CUSTOMER_ID",
            "database_name": "NANGO_TEST_DB", "schema_name": "SALES", "table_name": "CUSTOMERS",
            "column_name": "CUSTOMER_ID", "ordinal_position": 1,
            "data_type": "{\"type\":\"FIXED\",\"precision\":38,\"scale\":0,\"nullable\":false}",
            "data_type_type": "FIXED", "data_type_precision": 38, "data_type_scale": 0, "nullable": false,
            "kind": "COLUMN", "autoincrement": "IDENTITY START 1 INCREMENT 1 NOORDER"
        })
    );
    assert_eq!(
        columns[1],
        json!({
            "id": "NANGO_TEST_DB.SALES.CUSTOMERS.EMAIL",
            "database_name": "NANGO_TEST_DB", "schema_name": "SALES", "table_name": "CUSTOMERS",
            "column_name": "EMAIL", "ordinal_position": 2,
            "data_type": "{\"type\":\"TEXT\",\"length\":255,\"byteLength\":1020,\"nullable\":false,\"fixed\":false}",
            "data_type_type": "TEXT", "data_type_byte_length": 1020, "data_type_length": 255, "nullable": false,
            "kind": "COLUMN"
        })
    );
    assert_eq!(columns[5]["default_value"], json!("'free'"));
    assert_eq!(
        columns[6],
        json!({
            "id": "NANGO_TEST_DB.SALES.CUSTOMERS.CREATED_AT",
            "database_name": "NANGO_TEST_DB", "schema_name": "SALES", "table_name": "CUSTOMERS",
            "column_name": "CREATED_AT", "ordinal_position": 7,
            "data_type": "{\"type\":\"TIMESTAMP_NTZ\",\"precision\":0,\"scale\":9,\"nullable\":true}",
            "data_type_type": "TIMESTAMP_NTZ", "data_type_precision": 0, "data_type_scale": 9, "nullable": true,
            "default_value": "CURRENT_TIMESTAMP()", "kind": "COLUMN"
        })
    );
    let action_output = fixture["output"]["columns"].as_array().unwrap();
    assert_eq!(action_output.len(), columns.len());
    for (ours, action) in columns.iter().zip(action_output) {
        assert_eq!(ours["column_name"], action["column_name"]);
        assert_eq!(ours["data_type"], action["data_type"]);
        assert_eq!(ours["nullable"], action["nullable"]);
        let autoincrement = action["autoincrement"].as_str().filter(|a| !a.is_empty());
        assert_eq!(
            ours.get("autoincrement").and_then(Value::as_str),
            autoincrement
        );
    }
}
