//! Views, INFORMATION_SCHEMA and DESCRIBE.

use crate::support::*;

#[test]
fn views_expand_their_text_and_keep_it_for_show() {
    let (account, mut session) = shop();
    ok(
        &account,
        &mut session,
        "INSERT INTO ITEMS (NAME, PRICE) VALUES ('a', 1), ('b', 20)",
    );
    let text = "CREATE VIEW EXPENSIVE COMMENT = 'over ten' AS SELECT NAME, PRICE FROM ITEMS WHERE PRICE > 10";
    ok(&account, &mut session, text);
    let rows = ok(&account, &mut session, "SELECT * FROM SHOP.SALES.EXPENSIVE");
    assert_eq!(cells(&rows), vec![vec![Some("b"), Some("20.00")]]);
    assert_eq!(
        (rows.columns[1].kind.as_str(), rows.columns[1].scale),
        ("fixed", Some(2))
    );
    let views = ok(&account, &mut session, "SHOW VIEWS IN SCHEMA SHOP.SALES");
    assert_eq!(views.columns.len(), 12);
    assert_eq!(views.rows[0][1].as_deref(), Some("EXPENSIVE"));
    assert_eq!(views.rows[0][6].as_deref(), Some("over ten"));
    assert_eq!(views.rows[0][7].as_deref(), Some(text));
    let error = run(
        &account,
        &mut session,
        "CREATE VIEW BROKEN AS SELECT * FROM MISSING",
    )
    .unwrap_err();
    assert_eq!(error.code, "002003", "a view is checked when it is created");
    let described = ok(&account, &mut session, "DESCRIBE VIEW EXPENSIVE");
    assert_eq!(
        cells(&described)[1][..4],
        [
            Some("PRICE"),
            Some("NUMBER(10,2)"),
            Some("COLUMN"),
            Some("Y")
        ]
    );
}

#[test]
fn information_schema_describes_the_database() {
    let (account, mut session) = shop();
    ok(
        &account,
        &mut session,
        "CREATE VIEW V AS SELECT ID FROM ITEMS",
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM SHOP.INFORMATION_SCHEMA.TABLES ORDER BY TABLE_NAME",
    );
    assert_eq!(
        cells(&rows),
        vec![
            vec![Some("SALES"), Some("ITEMS"), Some("BASE TABLE")],
            vec![Some("SALES"), Some("V"), Some("VIEW")]
        ]
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT COLUMN_NAME, ORDINAL_POSITION, IS_NULLABLE, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, COLUMN_DEFAULT, IS_IDENTITY \
         FROM information_schema.columns WHERE TABLE_NAME = 'ITEMS' AND ORDINAL_POSITION <= 3 ORDER BY ORDINAL_POSITION",
    );
    assert_eq!(
        cells(&rows),
        vec![
            vec![
                Some("ID"),
                Some("1"),
                Some("NO"),
                Some("NUMBER"),
                None,
                Some("38"),
                Some("0"),
                None,
                Some("YES")
            ],
            vec![
                Some("NAME"),
                Some("2"),
                Some("NO"),
                Some("TEXT"),
                Some("100"),
                None,
                None,
                None,
                Some("NO")
            ],
            vec![
                Some("PRICE"),
                Some("3"),
                Some("YES"),
                Some("NUMBER"),
                None,
                Some("10"),
                Some("2"),
                None,
                Some("NO")
            ],
        ]
    );
    assert_eq!(rows.columns[1].kind, "fixed");
    let all = ok(
        &account,
        &mut session,
        "SELECT * FROM SHOP.INFORMATION_SCHEMA.COLUMNS",
    );
    assert_eq!(all.columns.len(), 47);
    assert_eq!(all.rows.len(), 12);
    let rows = ok(
        &account,
        &mut session,
        "SELECT VIEW_DEFINITION FROM SHOP.INFORMATION_SCHEMA.VIEWS",
    );
    assert_eq!(
        cells(&rows),
        vec![vec![Some("CREATE VIEW V AS SELECT ID FROM ITEMS")]]
    );
    let rows = ok(
        &account,
        &mut session,
        "SELECT SCHEMA_NAME FROM SHOP.INFORMATION_SCHEMA.SCHEMATA ORDER BY 1",
    );
    assert_eq!(
        cells(&rows),
        vec![vec![Some("PUBLIC")], vec![Some("SALES")]]
    );
    assert_eq!(
        run(
            &account,
            &mut session,
            "SELECT * FROM SHOP.INFORMATION_SCHEMA.NOPE"
        )
        .unwrap_err()
        .code,
        "002003"
    );
}

#[test]
fn describe_table_lists_columns_with_types_and_defaults() {
    let (account, mut session) = shop();
    let rows = ok(&account, &mut session, "DESC TABLE ITEMS");
    assert_eq!(rows.columns[0].name, "name");
    assert_eq!(
        cells(&rows)[0][..5],
        [
            Some("ID"),
            Some("NUMBER(38,0)"),
            Some("COLUMN"),
            Some("N"),
            Some("IDENTITY START 1 INCREMENT 1 NOORDER")
        ]
    );
    assert_eq!(
        cells(&rows)[11][..5],
        [
            Some("CATEGORY"),
            Some("VARCHAR(16777216)"),
            Some("COLUMN"),
            Some("Y"),
            Some("'misc'")
        ]
    );
}
