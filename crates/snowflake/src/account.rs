//! Account identifiers as users paste them, and what follows from one: the account part of the
//! JWT claims and the account's base URL.
//!
//! Accepted: org-account names (`myorg-myaccount`, any case, underscores kept), the SQL form
//! `myorg.myaccount`, locators with or without region and cloud (`xy12345`,
//! `xy12345.us-east-2.aws`, `xy12345.us-east-1.privatelink`), `….global` identifiers, hosts and
//! whole URLs (`https://myorg-myaccount.snowflakecomputing.com/`, also `.cn`), and Snowsight URLs
//! (`https://app.snowflake.com/myorg/myaccount/`). The JWT account follows Snowflake's own rule
//! (reference §1.2): the part before the first `.` (before the first `-` for `.global`),
//! upper-cased; the SQL form becomes `MYORG-MYACCOUNT`.

use std::{fmt, str::FromStr};

use url::Url;

const DOMAIN: &str = ".snowflakecomputing.com";
const DOMAIN_CHINA: &str = ".snowflakecomputing.cn";
/// Words that follow a locator and are never part of an account name.
const LOCATOR_SUFFIXES: [&str; 5] = ["privatelink", "global", "aws", "azure", "gcp"];

/// An account identifier that could not be understood.
#[derive(Debug, thiserror::Error)]
#[error(
    "{reason}: give the account identifier as Snowflake shows it, for example myorg-myaccount \
     (organization and account name) or xy12345.us-east-2.aws (account locator), or the account \
     URL https://myorg-myaccount.snowflakecomputing.com"
)]
pub struct AccountError {
    reason: String,
}

impl AccountError {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// A Snowflake account: the name it has in JWT claims and the host that serves it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AccountIdentifier {
    jwt_account: String,
    host: String,
}

impl AccountIdentifier {
    /// Understands an account identifier, host or URL in any of the forms users paste.
    pub fn parse(input: &str) -> Result<Self, AccountError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(AccountError::new("the account identifier is empty"));
        }
        let lower = input.to_ascii_lowercase();
        let (identifier, given_host) = if lower.contains("://") || lower.contains('/') {
            from_url(&lower)?
        } else {
            split_host(&lower)
        };
        let jwt_account = claims_account(&identifier)?;
        let host = match given_host {
            Some(host) => host,
            None => derived_host(&identifier),
        };
        Ok(Self { jwt_account, host })
    }

    /// The account part of the JWT `iss` and `sub` claims, upper case (`MYORG-MYACCOUNT`).
    pub fn jwt_account(&self) -> &str {
        &self.jwt_account
    }

    /// The host of the account's SQL API (`myorg-myaccount.snowflakecomputing.com`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The account's base URL (`https://myorg-myaccount.snowflakecomputing.com`).
    pub fn base_url(&self) -> Url {
        Url::parse(&format!("https://{}", self.host))
            .expect("hosts are built from validated identifier characters")
    }
}

impl FromStr for AccountIdentifier {
    type Err = AccountError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse(input)
    }
}

impl fmt::Display for AccountIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.jwt_account)
    }
}

/// The identifier and the host from a URL (or a host with a path).
fn from_url(lower: &str) -> Result<(String, Option<String>), AccountError> {
    let with_scheme = if lower.contains("://") {
        lower.to_owned()
    } else {
        format!("https://{lower}")
    };
    let url = Url::parse(&with_scheme)
        .map_err(|error| AccountError::new(format!("{lower:?} is not a valid URL ({error})")))?;
    let host = url
        .host_str()
        .ok_or_else(|| AccountError::new(format!("the URL {lower:?} has no host")))?;
    if host == "app.snowflake.com" {
        // Snowsight: https://app.snowflake.com/<org>/<account>/…
        let mut segments = url.path_segments().into_iter().flatten();
        return match (segments.next(), segments.next()) {
            (Some(org), Some(account)) if !org.is_empty() && !account.is_empty() => {
                Ok((format!("{org}-{account}"), None))
            }
            _ => Err(AccountError::new(
                "this Snowsight URL does not name an organization and an account",
            )),
        };
    }
    let (identifier, host) = split_host(host);
    if host.is_none() || url.port().is_some() {
        return Err(AccountError::new(format!(
            "{host_text:?} is not a Snowflake account host; to reach Snowflake through a proxy, \
             PrivateLink or the emulator, give the account identifier here and that URL as the \
             base URL",
            host_text = url.host_str().unwrap_or_default()
        )));
    }
    Ok((identifier, host))
}

/// Splits `xy12345.snowflakecomputing.com` into the identifier and the host; a bare identifier
/// has no host.
fn split_host(text: &str) -> (String, Option<String>) {
    let text = text.trim_end_matches('.');
    for domain in [DOMAIN, DOMAIN_CHINA] {
        if let Some(identifier) = text.strip_suffix(domain) {
            return (identifier.to_owned(), Some(text.to_owned()));
        }
    }
    (text.to_owned(), None)
}

/// `org.account` (the SQL form) rather than `locator.region…`: exactly two parts, neither with a
/// hyphen (every region has one), the second not a cloud or `privatelink`.
fn is_sql_form(identifier: &str) -> bool {
    let parts: Vec<&str> = identifier.split('.').collect();
    parts.len() == 2
        && parts
            .iter()
            .all(|part| !part.is_empty() && !part.contains('-'))
        && !LOCATOR_SUFFIXES.contains(&parts[1])
}

fn claims_account(identifier: &str) -> Result<String, AccountError> {
    let account = if is_sql_form(identifier) {
        identifier.replacen('.', "-", 1)
    } else if identifier.split('.').any(|part| part == "global") {
        identifier
            .split(['-', '.'])
            .next()
            .unwrap_or_default()
            .to_owned()
    } else {
        identifier.split('.').next().unwrap_or_default().to_owned()
    };
    if account.is_empty() {
        return Err(AccountError::new("the account identifier is empty"));
    }
    if let Some(bad) = account
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(AccountError::new(format!(
            "{identifier:?} contains {bad:?}, which no account identifier has"
        )));
    }
    Ok(account.to_ascii_uppercase())
}

/// The host for an identifier given without one. Underscores become hyphens, as Snowflake's
/// URLs recommend; China regions live under `.snowflakecomputing.cn`.
fn derived_host(identifier: &str) -> String {
    let name = if is_sql_form(identifier) {
        identifier.replacen('.', "-", 1)
    } else {
        identifier.to_owned()
    };
    let name = name.replace('_', "-");
    let china = identifier.split('.').any(|part| part.starts_with("cn-"));
    format!("{name}{}", if china { DOMAIN_CHINA } else { DOMAIN })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn parsed(input: &str) -> (String, String) {
        let account = AccountIdentifier::parse(input).unwrap();
        (
            account.jwt_account().to_owned(),
            account.base_url().to_string(),
        )
    }

    #[test]
    fn every_form_in_the_reference_table() {
        let cases = [
            (
                "myorg-myaccount",
                "MYORG-MYACCOUNT",
                "https://myorg-myaccount.snowflakecomputing.com/",
            ),
            (
                "MYORG-MYACCOUNT",
                "MYORG-MYACCOUNT",
                "https://myorg-myaccount.snowflakecomputing.com/",
            ),
            (
                "MyOrg-MyAccount",
                "MYORG-MYACCOUNT",
                "https://myorg-myaccount.snowflakecomputing.com/",
            ),
            (
                "myorg.myaccount",
                "MYORG-MYACCOUNT",
                "https://myorg-myaccount.snowflakecomputing.com/",
            ),
            (
                "xy12345",
                "XY12345",
                "https://xy12345.snowflakecomputing.com/",
            ),
            (
                "xy12345.us-east-1",
                "XY12345",
                "https://xy12345.us-east-1.snowflakecomputing.com/",
            ),
            (
                "xy12345.us-east-2.aws",
                "XY12345",
                "https://xy12345.us-east-2.aws.snowflakecomputing.com/",
            ),
            (
                "xy12345.west-us-2.azure",
                "XY12345",
                "https://xy12345.west-us-2.azure.snowflakecomputing.com/",
            ),
            (
                "xy12345.us-central1.gcp",
                "XY12345",
                "https://xy12345.us-central1.gcp.snowflakecomputing.com/",
            ),
            (
                "xy12345.cn-northwest-1.aws",
                "XY12345",
                "https://xy12345.cn-northwest-1.aws.snowflakecomputing.cn/",
            ),
            (
                "xy12345.us-east-1.privatelink",
                "XY12345",
                "https://xy12345.us-east-1.privatelink.snowflakecomputing.com/",
            ),
            (
                "myorg-myaccount.privatelink",
                "MYORG-MYACCOUNT",
                "https://myorg-myaccount.privatelink.snowflakecomputing.com/",
            ),
            (
                "xy12345-abcde.global",
                "XY12345",
                "https://xy12345-abcde.global.snowflakecomputing.com/",
            ),
            (
                "acme-marketing_test_account",
                "ACME-MARKETING_TEST_ACCOUNT",
                "https://acme-marketing-test-account.snowflakecomputing.com/",
            ),
            (
                "acme.marketing_test_account",
                "ACME-MARKETING_TEST_ACCOUNT",
                "https://acme-marketing-test-account.snowflakecomputing.com/",
            ),
        ];
        for (input, account, url) in cases {
            assert_eq!(
                parsed(input),
                (account.to_owned(), url.to_owned()),
                "{input}"
            );
        }
    }

    #[test]
    fn hosts_and_urls_keep_their_host() {
        let cases = [
            (
                "https://myorg-myaccount.snowflakecomputing.com/",
                "MYORG-MYACCOUNT",
                "https://myorg-myaccount.snowflakecomputing.com/",
            ),
            (
                "  https://MyOrg-MyAccount.snowflakecomputing.com  ",
                "MYORG-MYACCOUNT",
                "https://myorg-myaccount.snowflakecomputing.com/",
            ),
            (
                "myorg-myaccount.snowflakecomputing.com",
                "MYORG-MYACCOUNT",
                "https://myorg-myaccount.snowflakecomputing.com/",
            ),
            (
                "xy12345.us-east-2.aws.snowflakecomputing.com",
                "XY12345",
                "https://xy12345.us-east-2.aws.snowflakecomputing.com/",
            ),
            (
                "https://xy12345.cn-northwest-1.aws.snowflakecomputing.cn/console",
                "XY12345",
                "https://xy12345.cn-northwest-1.aws.snowflakecomputing.cn/",
            ),
            (
                "https://xy12345.us-east-1.privatelink.snowflakecomputing.com",
                "XY12345",
                "https://xy12345.us-east-1.privatelink.snowflakecomputing.com/",
            ),
            (
                "acme-marketing_test_account.snowflakecomputing.com",
                "ACME-MARKETING_TEST_ACCOUNT",
                "https://acme-marketing_test_account.snowflakecomputing.com/",
            ),
            (
                "https://app.snowflake.com/myorg/myaccount/#/homepage",
                "MYORG-MYACCOUNT",
                "https://myorg-myaccount.snowflakecomputing.com/",
            ),
        ];
        for (input, account, url) in cases {
            assert_eq!(
                parsed(input),
                (account.to_owned(), url.to_owned()),
                "{input}"
            );
        }
    }

    #[test]
    fn refuses_what_is_not_an_account() {
        for input in [
            "",
            "   ",
            "http://127.0.0.1:8080",
            "https://example.com/",
            "my org",
            "https://app.snowflake.com/",
            "https://myorg-myaccount.snowflakecomputing.com:8443/",
        ] {
            let error = AccountIdentifier::parse(input).unwrap_err().to_string();
            assert!(error.contains("myorg-myaccount"), "{input}: {error}");
        }
        let error = AccountIdentifier::parse("http://127.0.0.1:8080")
            .unwrap_err()
            .to_string();
        assert!(error.contains("base URL"), "{error}");
    }

    proptest! {
        #[test]
        fn org_account_names_in_any_case_and_form(
            org in "[a-zA-Z][a-zA-Z0-9]{0,15}",
            account in "[a-zA-Z][a-zA-Z0-9_]{0,20}",
        ) {
            let expected = format!("{org}-{account}").to_ascii_uppercase();
            let host = format!("{org}-{account}").to_ascii_lowercase().replace('_', "-");
            for input in [
                format!("{org}-{account}"),
                format!("{org}.{account}"),
                format!("https://{org}-{account}.snowflakecomputing.com/"),
            ] {
                let parsed = AccountIdentifier::parse(&input).unwrap();
                prop_assert_eq!(parsed.jwt_account(), expected.as_str());
                if !input.starts_with("https") {
                    prop_assert_eq!(parsed.host(), format!("{host}.snowflakecomputing.com"));
                }
            }
        }

        #[test]
        fn locators_with_any_region_keep_only_the_locator(
            locator in "[a-z]{2}[0-9]{5}",
            region in "(us|eu|ap|ca)-(east|west|central)-[1-4]",
            cloud in prop::option::of("(aws|azure|gcp)"),
        ) {
            let input = match &cloud {
                Some(cloud) => format!("{locator}.{region}.{cloud}"),
                None => format!("{locator}.{region}"),
            };
            let parsed = AccountIdentifier::parse(&input).unwrap();
            prop_assert_eq!(parsed.jwt_account(), locator.to_ascii_uppercase());
            prop_assert_eq!(parsed.host(), format!("{input}.snowflakecomputing.com"));
        }
    }
}
