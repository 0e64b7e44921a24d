//! `snowgate schema --typescript --config FILE` types the custom actions of the file with the
//! built-in ones, from the README's example.

use std::process::Command;

#[test]
fn the_readmes_custom_actions_are_typed_in_typescript() -> anyhow::Result<()> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))?;
    let start = readme
        .find("```toml\n[[engine.custom_actions]]")
        .expect("the README declares custom actions");
    let block = &readme[start + "```toml\n".len()..];
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("snowgate.toml");
    std::fs::write(&file, &block[..block.find("```").expect("the block ends")])?;
    let output = Command::new(env!("CARGO_BIN_EXE_snowgate"))
        .args(["schema", "--typescript", "--config"])
        .arg(&file)
        .env_remove("SNOWGATE_DATABASE_URL")
        .output()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let typescript = String::from_utf8(output.stdout)?;
    for expected in [
        "export type SetPlanInput = {",
        "plan: \"free\" | \"pro\" | \"enterprise\";",
        "export type OrdersReportOutput = Array<",
        "export type ListTablesInput = {",
    ] {
        assert!(
            typescript.contains(expected),
            "{expected} in:\n{typescript}"
        );
    }
    // Without the file, the built-in actions only.
    let builtin = Command::new(env!("CARGO_BIN_EXE_snowgate"))
        .args(["schema", "--typescript"])
        .output()?;
    let builtin = String::from_utf8(builtin.stdout)?;
    assert!(builtin.contains("ListTablesInput") && !builtin.contains("SetPlanInput"));
    Ok(())
}
