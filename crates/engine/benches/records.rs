//! Cost per record of what every sync does to each row: map, validate, hash.
//!
//! `cargo bench -p snowgate-engine --bench records`

use divan::{Bencher, black_box};
use snowgate_engine::{
    mapping,
    models::{Column, Model},
    row::NamedRow,
    validation::PreparedRecord,
};

fn main() {
    divan::main();
}

const NAMES: [&str; 13] = [
    "table_name",
    "schema_name",
    "column_name",
    "data_type",
    "null?",
    "default",
    "kind",
    "expression",
    "comment",
    "database_name",
    "autoincrement",
    "schema_evolution_record",
    "write_default",
];

fn show_columns_row(i: usize) -> Vec<Option<String>> {
    let cells = [
        Some("CUSTOMERS".to_owned()),
        Some("SALES".to_owned()),
        Some(format!("COLUMN_{i}")),
        Some(
            r#"{"type":"TEXT","length":255,"byteLength":1020,"nullable":true,"fixed":false}"#
                .to_owned(),
        ),
        Some("true".to_owned()),
        Some(String::new()),
        Some("COLUMN".to_owned()),
        Some(String::new()),
        Some("customer e-mail address".to_owned()),
        Some("NANGO_TEST_DB".to_owned()),
        Some(String::new()),
        None,
        None,
    ];
    cells.to_vec()
}

fn column(i: usize) -> Column {
    let names: Vec<String> = NAMES.iter().map(|n| (*n).to_owned()).collect();
    let cells = show_columns_row(i);
    mapping::column(
        &NamedRow::new(&names, &cells),
        "NANGO_TEST_DB",
        "SALES",
        "CUSTOMERS",
        3,
    )
    .unwrap()
}

/// Validation + content hash of one `Column` (the budget: well under 2 µs).
#[divan::bench]
fn validate_and_hash_column(bencher: Bencher) {
    let record = column(7);
    let _ = Column::validator();
    bencher.bench(|| PreparedRecord::from_model(black_box(&record)).unwrap());
}

/// SHOW COLUMNS row → `Column` → validated, hashed record.
#[divan::bench]
fn map_validate_and_hash_column(bencher: Bencher) {
    let names: Vec<String> = NAMES.iter().map(|n| (*n).to_owned()).collect();
    let cells = show_columns_row(7);
    let _ = Column::validator();
    bencher.bench(|| {
        let row = NamedRow::new(&names, &cells);
        let record =
            mapping::column(black_box(&row), "NANGO_TEST_DB", "SALES", "CUSTOMERS", 3).unwrap();
        PreparedRecord::from_model(&record).unwrap()
    });
}
