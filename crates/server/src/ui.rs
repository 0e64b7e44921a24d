//! The web pages: the Connect UI at `/connect/` (what `@nangohq/frontend`'s `openConnectUI`
//! embeds, or a connect link opens) and the operator dashboard at `/`, with their scripts and
//! styles under `/ui/`.
//!
//! Contract: the files are embedded in the binary and served as they are, never templated, so no
//! secret, token or server state can end up in a page; pages read everything through the public
//! API with the credential their user holds (a connect-session token, or the secret key the
//! operator types). Every answer carries `Cache-Control: no-cache` with an `ETag` (a browser
//! revalidates with one `304` and never runs a previous version's script; weak, since the same
//! tag covers the gzip-compressed and the plain form), `nosniff` and
//! `Referrer-Policy: no-referrer` (connect links carry the session token in the query). Pages
//! carry a Content-Security-Policy that allows scripts and styles only from these files and
//! network requests only to this server: the Connect UI cannot be made to send a private key
//! elsewhere, whatever its `apiURL` says. The Connect UI may be framed by any site
//! (`frame-ancestors *`, as apps embed it); the dashboard by none.

use std::sync::Arc;

use axum::{
    Router,
    http::{
        HeaderMap, HeaderName, HeaderValue, StatusCode,
        header::{
            CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
            REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
        },
    },
    response::{IntoResponse, Response},
    routing::get,
};
use tower_http::compression::CompressionLayer;

/// A file under `/ui/`.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!("../assets/ui/", $name)),
        }
    };
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";

const ASSETS: &[Asset] = &[
    asset!("api.js", JAVASCRIPT),
    asset!("dom.js", JAVASCRIPT),
    asset!("key.js", JAVASCRIPT),
    asset!("connect.js", JAVASCRIPT),
    asset!("dashboard.js", JAVASCRIPT),
    asset!("base.css", CSS),
    asset!("connect.css", CSS),
    asset!("dashboard.css", CSS),
    asset!("snowgate.svg", "image/svg+xml"),
];

const CONNECT_HTML: &[u8] = include_bytes!("../assets/ui/connect.html");
const DASHBOARD_HTML: &[u8] = include_bytes!("../assets/ui/dashboard.html");

/// One servable file: its body and every header of a `200`.
#[derive(Clone)]
struct Served {
    body: &'static [u8],
    headers: Arc<HeaderMap>,
}

impl Served {
    fn new(
        body: &'static [u8],
        content_type: &'static str,
        extra: impl IntoIterator<Item = (HeaderName, HeaderValue)>,
    ) -> Self {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body);
        let etag: String = digest.as_ref()[..16]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(
            ETAG,
            HeaderValue::from_str(&format!("W/\"{etag}\"")).expect("hex is a valid header value"),
        );
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
        headers.extend(extra);
        Self {
            body,
            headers: Arc::new(headers),
        }
    }

    /// The file, or `304` when the browser's copy (`If-None-Match`) is current.
    fn respond(&self, request: &HeaderMap) -> Response {
        let etag = self.headers[ETAG].as_bytes().strip_prefix(b"W/");
        // Weak comparison (RFC 9110 §13.1.2), as If-None-Match asks.
        let fresh = request
            .get_all(IF_NONE_MATCH)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(|tag| tag.trim().trim_start_matches("W/"))
            .any(|tag| tag == "*" || Some(tag.as_bytes()) == etag);
        if fresh {
            (StatusCode::NOT_MODIFIED, (*self.headers).clone()).into_response()
        } else {
            ((*self.headers).clone(), self.body).into_response()
        }
    }
}

/// The Content-Security-Policy of a page: everything from this origin (and `public_url`'s, when
/// the server is reached through another name), nothing inline.
fn policy(public_url: &str, framing: &str) -> HeaderValue {
    let public = url::Url::parse(public_url)
        .ok()
        .map(|url| url.origin().ascii_serialization())
        .filter(|origin| origin != "null")
        .map(|origin| format!(" {origin}"))
        .unwrap_or_default();
    let policy = format!(
        "default-src 'none'; script-src 'self'{public}; style-src 'self'{public}; \
         img-src 'self'{public} data:; connect-src 'self'{public}; frame-src 'self'{public}; \
         base-uri 'none'; form-action 'none'; frame-ancestors {framing}"
    );
    HeaderValue::from_str(&policy).expect("an origin is a valid header value")
}

fn route<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    path: &str,
    served: Served,
) -> Router<S> {
    router.route(
        path,
        get(move |request: HeaderMap| async move { served.respond(&request) }),
    )
}

/// The pages and their files, for a server reached at `public_url`. Mounted by the API router.
pub(crate) fn router<S: Clone + Send + Sync + 'static>(public_url: &str) -> Router<S> {
    let connect = Served::new(
        CONNECT_HTML,
        HTML,
        [(CONTENT_SECURITY_POLICY, policy(public_url, "*"))],
    );
    let dashboard = Served::new(
        DASHBOARD_HTML,
        HTML,
        [
            (CONTENT_SECURITY_POLICY, policy(public_url, "'none'")),
            (X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        ],
    );
    let mut router = Router::new();
    router = route(router, "/", dashboard);
    router = route(router, "/connect", connect.clone());
    router = route(router, "/connect/", connect);
    for asset in ASSETS {
        router = route(
            router,
            &format!("/ui/{}", asset.name),
            Served::new(asset.body, asset.content_type, []),
        );
    }
    router.layer(CompressionLayer::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serves the pages on a loopback port; answers the base URL.
    async fn serve() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("bound"));
        let app = router::<()>(&url);
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .no_gzip()
            .build()
            .expect("a client")
    }

    fn header(response: &reqwest::Response, name: HeaderName) -> &str {
        response
            .headers()
            .get(&name)
            .unwrap_or_else(|| panic!("{name} is missing"))
            .to_str()
            .expect("ASCII")
    }

    #[tokio::test]
    async fn pages_carry_their_type_cache_rules_and_policy() {
        let url = serve().await;
        let http = client();
        for (path, framing) in [
            ("/", "frame-ancestors 'none'"),
            ("/connect/", "frame-ancestors *"),
            ("/connect", "frame-ancestors *"),
        ] {
            let response = http.get(format!("{url}{path}")).send().await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
            assert_eq!(header(&response, CONTENT_TYPE), HTML, "{path}");
            assert_eq!(header(&response, CACHE_CONTROL), "no-cache");
            assert_eq!(header(&response, X_CONTENT_TYPE_OPTIONS), "nosniff");
            assert_eq!(header(&response, REFERRER_POLICY), "no-referrer");
            let policy = header(&response, CONTENT_SECURITY_POLICY);
            assert!(
                policy.starts_with("default-src 'none'; script-src 'self'"),
                "{policy}"
            );
            assert!(
                policy.contains(&format!("connect-src 'self' {url};")),
                "{policy}"
            );
            assert!(policy.ends_with(framing), "{path}: {policy}");
            assert!(!policy.contains("unsafe"), "{policy}");
        }
        let dashboard = http.get(format!("{url}/")).send().await.unwrap();
        assert_eq!(header(&dashboard, X_FRAME_OPTIONS), "DENY");
        let connect = http.get(format!("{url}/connect/")).send().await.unwrap();
        assert!(connect.headers().get(X_FRAME_OPTIONS).is_none());
    }

    #[tokio::test]
    async fn every_file_is_served_with_its_content_type() {
        let url = serve().await;
        let http = client();
        for asset in ASSETS {
            let response = http
                .get(format!("{url}/ui/{}", asset.name))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{}", asset.name);
            assert_eq!(header(&response, CONTENT_TYPE), asset.content_type);
            assert_eq!(header(&response, CACHE_CONTROL), "no-cache");
            assert_eq!(
                response.bytes().await.unwrap(),
                asset.body,
                "{}",
                asset.name
            );
        }
        let missing = http.get(format!("{url}/ui/nope.js")).send().await.unwrap();
        assert_eq!(missing.status(), 404);
    }

    #[tokio::test]
    async fn a_current_copy_is_revalidated_with_304() {
        let url = serve().await;
        let http = client();
        let first = http
            .get(format!("{url}/ui/connect.js"))
            .send()
            .await
            .unwrap();
        let etag = header(&first, ETAG).to_owned();
        assert!(etag.starts_with("W/\"") && etag.len() == 36, "{etag}");
        let strong = etag.trim_start_matches("W/").to_owned();
        for tag in [etag.clone(), strong, format!("\"other\", {etag}")] {
            let again = http
                .get(format!("{url}/ui/connect.js"))
                .header(IF_NONE_MATCH, tag)
                .send()
                .await
                .unwrap();
            assert_eq!(again.status(), 304);
            assert_eq!(header(&again, ETAG), etag);
            assert!(again.bytes().await.unwrap().is_empty());
        }
        let stale = http
            .get(format!("{url}/ui/connect.js"))
            .header(IF_NONE_MATCH, "\"0123\"")
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), 200);
        let other = http
            .get(format!("{url}/ui/dashboard.js"))
            .send()
            .await
            .unwrap();
        assert_ne!(header(&other, ETAG), etag, "each file has its own tag");
    }

    #[tokio::test]
    async fn scripts_are_compressed_for_browsers_that_accept_gzip() {
        let url = serve().await;
        let response = client()
            .get(format!("{url}/ui/dashboard.js"))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(
            header(&response, "content-encoding".parse().unwrap()),
            "gzip"
        );
        let compressed = response.bytes().await.unwrap();
        let original = ASSETS
            .iter()
            .find(|asset| asset.name == "dashboard.js")
            .unwrap();
        assert!(
            compressed.len() * 3 < original.body.len(),
            "{} bytes",
            compressed.len()
        );
    }

    /// The policy forbids inline code, so the pages must have none: a `<script>` without `src`,
    /// a `style=` or `on…=` attribute would be refused by every browser.
    #[test]
    fn pages_hold_no_inline_script_or_style() {
        for (name, page) in [
            ("connect.html", CONNECT_HTML),
            ("dashboard.html", DASHBOARD_HTML),
        ] {
            let page = std::str::from_utf8(page).expect("UTF-8");
            for tag in page.split("<script").skip(1) {
                let open = &tag[..tag.find('>').expect("a closed tag")];
                assert!(open.contains(" src=\"/ui/"), "{name}: inline script {open}");
            }
            assert!(!page.contains("<style"), "{name}: a <style> element");
            assert!(!page.contains(" style="), "{name}: a style attribute");
            assert!(
                !page
                    .split(['<', ' '])
                    .any(|word| word.starts_with("on") && word.contains('=')),
                "{name}: an event handler attribute"
            );
        }
    }

    /// Every file a page links or a script imports is one this router serves.
    #[test]
    fn every_referenced_file_is_served() {
        let served: Vec<&str> = ASSETS.iter().map(|asset| asset.name).collect();
        let pages = [CONNECT_HTML, DASHBOARD_HTML].map(|page| std::str::from_utf8(page).unwrap());
        for page in pages {
            for reference in page.split("\"/ui/").skip(1) {
                let name = &reference[..reference.find('"').unwrap()];
                assert!(served.contains(&name), "{name} is linked but not served");
            }
        }
        for asset in ASSETS.iter().filter(|asset| asset.name.ends_with(".js")) {
            let script = std::str::from_utf8(asset.body).unwrap();
            for import in script.split("from './").skip(1) {
                let name = &import[..import.find('\'').unwrap()];
                assert!(
                    served.contains(&name),
                    "{} imports {name}, which is not served",
                    asset.name
                );
            }
        }
    }
}
