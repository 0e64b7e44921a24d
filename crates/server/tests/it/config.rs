//! The configuration loader: unknown keys and variables are refused with the nearest known one,
//! the variables that are not settings pass, and every configuration example of the README loads.

use figment::Jail;
use snowgate_server::{Config, config::ConfigError};

/// Loads `snowgate.toml` holding `file`, with `variables` set, in a jail (its own directory and
/// environment, one jail at a time).
#[expect(
    clippy::result_large_err,
    reason = "figment's Jail takes a closure returning figment's own (large) error type"
)]
fn load(file: &str, variables: &[(&str, &str)]) -> Result<Config, String> {
    let mut outcome = Err(String::new());
    Jail::expect_with(|jail| {
        jail.create_file("snowgate.toml", file)?;
        for (name, value) in variables {
            jail.set_env(name, value);
        }
        outcome = Config::load(None).map_err(|error| error.to_string());
        Ok(())
    });
    outcome
}

#[test]
fn unknown_keys_are_refused_with_the_nearest_known_one() {
    let cases = [
        (
            "[[custom_syncs]]\nname = \"orders\"\n",
            "unknown configuration key `custom_syncs`",
            "did you mean `engine.custom_syncs`?",
        ),
        (
            "[engine]\nworker = 2\n",
            "unknown configuration key `engine.worker`",
            "did you mean `engine.workers`?",
        ),
        (
            "[engine.webhooks]\ntimeout_sec = 2\n",
            "`engine.webhooks.timeout_sec`",
            "did you mean `engine.webhooks.timeout_secs`?",
        ),
        (
            "[api]\npublic_uri = \"x\"\n",
            "`api.public_uri`",
            "`api.public_url`",
        ),
        (
            "lisen = \"127.0.0.1:1\"\n",
            "`lisen`",
            "did you mean `listen`?",
        ),
    ];
    for (file, named, suggested) in cases {
        let error = load(file, &[]).expect_err(file);
        assert!(error.contains(named), "{file}: {error}");
        assert!(error.contains(suggested), "{file}: {error}");
        assert!(error.contains("snowgate.toml"), "{file}: {error}");
    }
    let error = load("[engine]\nzzzzzz = 1\n", &[]).expect_err("unknown");
    assert!(
        error.contains("`engine.zzzzzz`") && !error.contains("did you mean"),
        "{error}"
    );
}

#[test]
fn unknown_variables_are_refused_and_the_programs_own_pass() {
    let error = load("", &[("SNOWGATE_ENGINE__WORKER", "2")]).expect_err("a typo");
    assert!(
        error.contains("SNOWGATE_ENGINE__WORKER") && error.contains("SNOWGATE_ENGINE__WORKERS"),
        "{error}"
    );
    let error = load("", &[("SNOWGATE_CUSTOM_SYNCS", "[]")]).expect_err("misplaced");
    assert!(error.contains("SNOWGATE_ENGINE__CUSTOM_SYNCS"), "{error}");
    let config = load(
        "",
        &[
            ("SNOWGATE_TEST_DATABASE_URL", "postgres://x@127.0.0.1/test"),
            ("SNOWGATE_BENCH_SCALE", "0.1"),
            ("SNOWGATE_FIXTURES", "/tmp"),
            ("SNOWGATE_ENCRYPTION_KEY_PREVIOUS", "a,b"),
            ("SNOWGATE_ENGINE__WEBHOOKS__FOLLOW_REDIRECTS", "true"),
        ],
    )
    .expect("accepted");
    assert!(config.engine.webhooks.follow_redirects);
    assert!(config.encryption_key_previous.is_some());
    assert!(matches!(
        Config::load(Some(std::path::Path::new("/nonexistent/snowgate.toml"))),
        Err(ConfigError::Invalid(_))
    ));
}

/// The README's text.
fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("the README")
}

#[test]
fn every_configuration_example_of_the_readme_loads() {
    let readme = readme();
    let mut blocks = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "```toml" {
            let block: Vec<&str> = lines
                .by_ref()
                .take_while(|line| line.trim() != "```")
                .collect();
            blocks.push(block.join("\n"));
        }
    }
    assert!(!blocks.is_empty(), "the README has configuration examples");
    for block in &blocks {
        let config = load(block, &[]).unwrap_or_else(|error| panic!("{block}\n→ {error}"));
        config
            .engine
            .validate()
            .unwrap_or_else(|error| panic!("{block}\n→ {error}"));
    }
    // Every `SNOWGATE_…=value` the README shows.
    let mut variables = 0;
    for (index, _) in readme.match_indices("SNOWGATE_") {
        let text = &readme[index..];
        let end = text
            .find(|c: char| c.is_whitespace() || matches!(c, '`' | '|' | ')' | '\''))
            .unwrap_or(text.len());
        let Some((name, value)) = text[..end].split_once('=') else {
            continue;
        };
        variables += 1;
        load("", &[(name, value)]).unwrap_or_else(|error| panic!("{name}={value}\n→ {error}"));
    }
    assert!(variables > 0, "the README sets variables");
}
