//! The authorisation table: every route of the home and of the hub, with what each kind of
//! caller gets — anonymous, a device (kiosk bearer token), a staffer and an administrator.
//!
//! Each row is sent through the real router (`Home::router()` / `Hub::router()`) as each
//! caller, with a harmless body and path parameters that name nothing, and the answer is
//! classed: refused (401, 403, or for pages a redirect to the login page) or let through
//! (anything else: a 404 for the made-up id, a 422 for the empty form, a 200).
//!
//! So that a new route cannot slip past without a row, the test also reads the two router
//! files at test time (`src/http/router.rs` and `src/hub/router.rs`; a `.route(` anywhere else
//! fails a test of its own), collects each `.route("…", method(…).method(…))` call with the
//! prefix of the `.nest("…", name)` it is built into, and compares that list with the tables.
//! Parsing the source is cruder than registering routes from a table, but it needs no change to
//! how `router.rs` reads and it fails loudly, naming the route, when the two drift apart.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

use crate::Home;
use crate::accounts;
use crate::clock::{Clock, FixedClock};
use crate::config::RawConfig;
use crate::domain::access::{DeviceRole, StaffRole, Username};
use crate::hub::Hub;
use crate::secrets;
use crate::store::{Store, users};
use crate::web::auth::SESSION_LENGTH;

/// What one caller gets from one route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gets {
    /// Let through to the handler.
    In,
    /// 401: log in or bring a token.
    NoAuth,
    /// 403: known, but not allowed.
    Forbidden,
    /// A page's redirect to the staff login.
    LogIn,
}
use Gets::*;

/// Anonymous, kiosk, staff, admin.
type Access = [Gets; 4];

/// Anyone, with no check (health, login, assets, the phone pages, the setup link's own token).
const PUBLIC: Access = [In, In, In, In];
/// Logging out: anyone may, and every caller ends on the login page (with no session there is
/// nothing to end).
const LOGOUT: Access = [LogIn, LogIn, LogIn, LogIn];
/// The JSON API for staff; a device token is refused.
const STAFF_API: Access = [NoAuth, Forbidden, In, In];
/// The JSON API a kiosk needs too.
const KIOSK_API: Access = [NoAuth, In, In, In];
/// A staff page: strangers to the login page, a device token refused.
const STAFF_PAGE: Access = [LogIn, Forbidden, In, In];
/// The dashboard's event stream: a staff page's data, answered like the API.
const STAFF_STREAM: Access = [NoAuth, Forbidden, In, In];

struct Row {
    method: &'static str,
    path: &'static str,
    access: Access,
}

const fn row(method: &'static str, path: &'static str, access: Access) -> Row {
    Row {
        method,
        path,
        access,
    }
}

/// No route asks for an administrator: `StaffRole::Admin` adds only the managing of accounts
/// and devices, which is done with `kejia user add` and `kejia token add`, not over HTTP.
const HOME: &[Row] = &[
    row("GET", "/healthz", PUBLIC),
    row("GET", "/setup", PUBLIC),
    row("POST", "/setup", PUBLIC),
    row("GET", "/", PUBLIC),
    row("GET", "/static/kejia.css", PUBLIC),
    row("GET", "/static/kejia.js", PUBLIC),
    row("GET", "/admin/login", PUBLIC),
    row("POST", "/admin/login", PUBLIC),
    row("POST", "/admin/logout", LOGOUT),
    row("GET", "/m/checkin", PUBLIC),
    row("POST", "/m/checkin", PUBLIC),
    row("POST", "/m/register", PUBLIC),
    row("POST", "/m/forget", PUBLIC),
    row("GET", "/admin", STAFF_PAGE),
    row("GET", "/admin/live", STAFF_STREAM),
    row("POST", "/admin/clock/confirm", STAFF_PAGE),
    row("GET", "/admin/activities", STAFF_PAGE),
    row("POST", "/admin/activities", STAFF_PAGE),
    row("GET", "/admin/activities/new", STAFF_PAGE),
    row("GET", "/admin/activities/{id}", STAFF_PAGE),
    row("GET", "/admin/activities/{id}/edit", STAFF_PAGE),
    row("POST", "/admin/activities/{id}/edit", STAFF_PAGE),
    row("POST", "/admin/activities/{id}/{action}", STAFF_PAGE),
    row("POST", "/admin/activities/{id}/checkins", STAFF_PAGE),
    row(
        "POST",
        "/admin/activities/{id}/checkins/{checkin}/undo",
        STAFF_PAGE,
    ),
    row("GET", "/admin/activities/{id}/sign-in-sheet", STAFF_PAGE),
    row("GET", "/admin/activities/{id}/sheet", STAFF_PAGE),
    row("POST", "/admin/activities/{id}/photos", STAFF_PAGE),
    row("GET", "/admin/photos/{photo}", STAFF_PAGE),
    row("GET", "/admin/photos/{photo}/print", STAFF_PAGE),
    row("POST", "/admin/photos/{photo}/delete", STAFF_PAGE),
    row("GET", "/admin/members", STAFF_PAGE),
    row("POST", "/admin/members", STAFF_PAGE),
    row("GET", "/admin/members/new", STAFF_PAGE),
    row("GET", "/admin/members/{id}", STAFF_PAGE),
    row("POST", "/admin/members/{id}/credential/reissue", STAFF_PAGE),
    row("POST", "/admin/members/{id}/credential/revoke", STAFF_PAGE),
    row("POST", "/admin/members/{id}/status", STAFF_PAGE),
    row("POST", "/admin/members/{id}/erase", STAFF_PAGE),
    row("POST", "/admin/members/{id}/cards", STAFF_PAGE),
    row("POST", "/admin/members/{id}/cards/unbind", STAFF_PAGE),
    row("POST", "/admin/members/{id}/phones/revoke", STAFF_PAGE),
    row("GET", "/admin/members/{id}/badge", STAFF_PAGE),
    row("GET", "/admin/badges", STAFF_PAGE),
    row("GET", "/admin/ledger", STAFF_PAGE),
    row("GET", "/admin/ledger/print", STAFF_PAGE),
    row("GET", "/admin/settings", STAFF_PAGE),
    row("POST", "/admin/settings", STAFF_PAGE),
    row("POST", "/api/v1/session", PUBLIC),
    row("GET", "/api/v1/session", STAFF_API),
    row("DELETE", "/api/v1/session", STAFF_API),
    row("POST", "/api/v1/members", STAFF_API),
    row("GET", "/api/v1/members", STAFF_API),
    row("GET", "/api/v1/members/{id}", STAFF_API),
    row("PATCH", "/api/v1/members/{id}", STAFF_API),
    row("GET", "/api/v1/members/{id}/qr.png", STAFF_API),
    row("POST", "/api/v1/members/{id}/credential", STAFF_API),
    row("DELETE", "/api/v1/members/{id}/credential", STAFF_API),
    row("POST", "/api/v1/members/{id}/cards", STAFF_API),
    row("DELETE", "/api/v1/members/{id}/cards/{uid}", STAFF_API),
    row("POST", "/api/v1/activities", STAFF_API),
    row("GET", "/api/v1/activities", KIOSK_API),
    row("GET", "/api/v1/activities/{id}", KIOSK_API),
    row("PATCH", "/api/v1/activities/{id}", STAFF_API),
    row("GET", "/api/v1/activities/{id}/attendance", STAFF_API),
    row("POST", "/api/v1/activities/{id}/open", STAFF_API),
    row("POST", "/api/v1/activities/{id}/close", STAFF_API),
    row("POST", "/api/v1/activities/{id}/restore", STAFF_API),
    row("POST", "/api/v1/activities/{id}/cancel", STAFF_API),
    row("POST", "/api/v1/activities/{id}/filing", STAFF_API),
    row("POST", "/api/v1/checkins", KIOSK_API),
    row("POST", "/api/v1/checkins/{id}/undo", STAFF_API),
    row("GET", "/api/v1/clock", STAFF_API),
    row("POST", "/api/v1/clock/confirm", STAFF_API),
    row("GET", "/api/v1/scans", STAFF_API),
    row("GET", "/api/v1/audit", STAFF_API),
    row("GET", "/api/v1/kiosk/status", KIOSK_API),
    row("GET", "/api/v1/kiosk/members", KIOSK_API),
    row("GET", "/api/v1/compliance", STAFF_API),
    row("GET", "/api/v1/sync/status", STAFF_API),
    row("GET", "/api/v1/exports/ledger.xlsx", STAFF_API),
    row("GET", "/api/v1/exports/ledger.csv", STAFF_API),
];

/// The hub's routes. Homes prove themselves by signature (enrolment code, signed pushes), so
/// those two are open to any caller; everything else is for the association's staff.
const HUB: &[Row] = &[
    row("GET", "/healthz", PUBLIC),
    row("GET", "/", PUBLIC),
    row("GET", "/results", PUBLIC),
    row("GET", "/static/kejia.css", PUBLIC),
    row("GET", "/static/kejia.js", PUBLIC),
    row("GET", "/admin/login", PUBLIC),
    row("POST", "/admin/login", PUBLIC),
    row("POST", "/admin/logout", LOGOUT),
    row("GET", "/admin", STAFF_PAGE),
    row("GET", "/admin/evaluation", STAFF_PAGE),
    row("GET", "/admin/evaluation.xlsx", STAFF_PAGE),
    row("GET", "/admin/homes", STAFF_PAGE),
    row("POST", "/admin/homes", STAFF_PAGE),
    row("GET", "/admin/homes/{id}", STAFF_PAGE),
    row("POST", "/admin/homes/{id}", STAFF_PAGE),
    row("POST", "/admin/homes/{id}/ratings", STAFF_PAGE),
    row(
        "POST",
        "/admin/homes/{id}/ratings/{year}/withdraw",
        STAFF_PAGE,
    ),
    row("POST", "/admin/homes/{id}/decisions", STAFF_PAGE),
    row("GET", "/admin/refusals", STAFF_PAGE),
    row("GET", "/admin/notices", STAFF_PAGE),
    row("POST", "/admin/notices", STAFF_PAGE),
    row("POST", "/api/v1/session", PUBLIC),
    row("GET", "/api/v1/session", STAFF_API),
    row("DELETE", "/api/v1/session", STAFF_API),
    row("POST", "/api/v1/enroll", PUBLIC),
    row("POST", "/api/v1/sync/push", PUBLIC),
    row("GET", "/api/v1/evaluation", STAFF_API),
    row("GET", "/api/v1/homes", STAFF_API),
    row("POST", "/api/v1/homes", STAFF_API),
    row("GET", "/api/v1/homes/{id}", STAFF_API),
    row("PATCH", "/api/v1/homes/{id}", STAFF_API),
    row("POST", "/api/v1/homes/{id}/code", STAFF_API),
    row("PUT", "/api/v1/homes/{id}/ratings/{year}", STAFF_API),
    row("DELETE", "/api/v1/homes/{id}/ratings/{year}", STAFF_API),
    row("GET", "/api/v1/homes/{id}/members", STAFF_API),
    row("POST", "/api/v1/homes/{id}/decisions", STAFF_API),
    row("GET", "/api/v1/refusals", STAFF_API),
    row("POST", "/api/v1/notices", STAFF_API),
];

const CSRF: &str = "access-table-csrf";

/// The callers: credentials for one request each (a fresh session every time, so a logout
/// row cannot log the next row out).
struct Callers {
    kiosk: String,
}

async fn session(store: &Store, role: StaffRole, clock: &FixedClock) -> String {
    let token = secrets::new_token("").expect("token");
    let hash = secrets::token_hash(&token);
    let at = clock.now();
    let name = format!("{}{}", role.code(), &token[..8]);
    store
        .write(move |conn| {
            let username = Username::parse(&name).expect("name");
            let user = users::insert(conn, &username, "not-a-real-hash", role, at)?;
            users::create_session(conn, user.id, &hash, at, at + SESSION_LENGTH)
        })
        .await
        .expect("session");
    token
}

/// A made-up value for a path parameter: well formed, naming nothing.
fn fill(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{year}" => "2026".to_owned(),
            "{action}" => "open".to_owned(),
            "{uid}" => "0a1b2c3d4e".to_owned(),
            s if s.starts_with('{') => uuid::Uuid::new_v4().to_string(),
            s => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn answer(
    router: axum::Router,
    store: &Store,
    clock: &FixedClock,
    callers: &Callers,
    row: &Row,
    who: usize,
) -> Gets {
    let path = fill(row.path);
    let mut builder = Request::builder().method(row.method).uri(&path);
    let mut cookie = format!("kejia_csrf={CSRF}");
    match who {
        0 => {}
        1 => builder = builder.header("authorization", format!("Bearer {}", callers.kiosk)),
        _ => {
            let role = if who == 2 {
                StaffRole::Staff
            } else {
                StaffRole::Admin
            };
            let token = session(store, role, clock).await;
            cookie.push_str(&format!("; kejia_session={token}"));
        }
    }
    builder = builder.header("cookie", cookie);
    let body = if row.method == "GET" {
        Body::empty()
    } else if path.starts_with("/api/") {
        builder = builder.header("content-type", "application/json");
        Body::from("{}")
    } else {
        builder = builder.header("content-type", "application/x-www-form-urlencoded");
        Body::from(format!("csrf={CSRF}"))
    };
    let response = router
        .oneshot(builder.body(body).expect("request"))
        .await
        .expect("answer");
    let to_login = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|to| to.starts_with("/admin/login"));
    match response.status() {
        StatusCode::UNAUTHORIZED => NoAuth,
        StatusCode::FORBIDDEN => Forbidden,
        status if status.is_redirection() && to_login => LogIn,
        _ => In,
    }
}

async fn check_table(
    name: &str,
    router: impl Fn() -> axum::Router,
    store: &Store,
    clock: &FixedClock,
    table: &[Row],
) {
    let kiosk = accounts::add_token(store, "门口签到机", DeviceRole::Kiosk, clock.now())
        .await
        .expect("token");
    let callers = Callers { kiosk };
    let mut wrong = Vec::new();
    for row in table {
        for (who, expected) in row.access.iter().enumerate() {
            let got = answer(router(), store, clock, &callers, row, who).await;
            if got != *expected {
                let caller = ["anonymous", "kiosk", "staff", "admin"][who];
                wrong.push(format!(
                    "{name}: {} {} as {caller}: expected {expected:?}, got {got:?}",
                    row.method, row.path
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn every_home_route_answers_each_caller_as_its_row_says() {
    let dir = tempfile::tempdir().expect("dir");
    let settings = RawConfig::default()
        .check(dir.path().to_owned())
        .expect("settings");
    let clock = Arc::new(FixedClock::at("2026-05-12T02:00:00Z".parse().expect("now")));
    let home = Home::open_with_clock(settings, clock.clone()).expect("home");
    let store = home.state.store.clone();
    check_table("home", || home.router(), &store, &clock, HOME).await;
}

#[tokio::test]
async fn every_hub_route_answers_each_caller_as_its_row_says() {
    let dir = tempfile::tempdir().expect("dir");
    let settings = RawConfig::default()
        .check(dir.path().to_owned())
        .expect("settings");
    let clock = Arc::new(FixedClock::at("2026-07-15T04:00:00Z".parse().expect("now")));
    let hub = Hub::open_with_clock(settings, clock.clone()).expect("hub");
    let store = hub.store().clone();
    check_table("hub", || hub.router(), &store, &clock, HUB).await;
}

/// Each face names every path it serves in its router file (`http/router.rs`, `hub/router.rs`),
/// and nowhere else: the table below is checked against those two files, and a `.route(`
/// anywhere else in the library fails here.
#[test]
fn every_route_in_the_source_has_a_row_and_every_row_a_route() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let read = |path: &str| std::fs::read_to_string(src.join(path)).expect("read");
    let home: BTreeSet<_> = routes_in(&read("http/router.rs")).into_iter().collect();
    let hub: BTreeSet<_> = routes_in(&read("hub/router.rs")).into_iter().collect();
    assert!(
        home.len() > 50 && hub.len() > 20,
        "the parser found too little"
    );
    compare("home", &home, HOME);
    compare("hub", &hub, HUB);
}

#[test]
fn no_route_is_declared_outside_the_two_routers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let strays: Vec<String> = rust_files(&src)
        .into_iter()
        .filter(|file| {
            let name = relative(&src, file);
            name != "http/router.rs" && name != "hub/router.rs"
        })
        .filter(|file| !routes_in(&std::fs::read_to_string(file).expect("read")).is_empty())
        .map(|file| relative(&src, &file))
        .collect();
    assert!(
        strays.is_empty(),
        "routes declared outside http/router.rs and hub/router.rs: {strays:?}"
    );
}

fn compare(name: &str, found: &BTreeSet<(String, String)>, table: &[Row]) {
    let listed: BTreeSet<(String, String)> = table
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(listed.len(), table.len(), "{name}: a row is listed twice");
    let missing: Vec<_> = found.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(found).collect();
    assert!(
        missing.is_empty(),
        "{name}: routes without a row in the authorisation table: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "{name}: rows for routes the source no longer has: {stale:?}"
    );
}

fn relative(src: &Path, file: &Path) -> String {
    file.strip_prefix(src)
        .expect("under src")
        .to_string_lossy()
        .replace('\\', "/")
}

/// Every `.rs` file under `dir` but test code.
fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                if name != "tests" {
                    pending.push(path);
                }
            } else if name.ends_with(".rs")
                && !name.ends_with("tests.rs")
                && name != "test_support.rs"
            {
                found.push(path);
            }
        }
    }
    found
}

const METHODS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "head", "options", "any",
];

/// `(METHOD, path)` of every `.route(…)` call in a source file, with the prefix of the
/// `.nest("prefix", name)` whose `let name = …;` (or `fn name()`) holds it. Inline test modules are skipped.
fn routes_in(source: &str) -> Vec<(String, String)> {
    let source = source.split("mod tests {").next().unwrap_or(source);
    let nests = nests_in(source);
    let mut routes = Vec::new();
    let mut from = 0;
    while let Some(found) = source[from..].find(".route(") {
        let start = from + found + ".route(".len();
        let args = balanced(&source[start..]);
        from = start + args.len();
        let Some(path) = first_string(args) else {
            continue;
        };
        let prefix = nests
            .iter()
            .find(|(_, span)| span.contains(&start))
            .map(|(prefix, _)| prefix.as_str())
            .unwrap_or("");
        let full = if path == "/" && !prefix.is_empty() {
            prefix.to_owned()
        } else {
            format!("{prefix}{path}")
        };
        for method in methods_in(args) {
            routes.push((method.to_ascii_uppercase(), full.clone()));
        }
    }
    routes
}

/// For each `.nest("prefix", name)`: the prefix and the byte span of `let name = …;` or of
/// `fn name() { … }`.
fn nests_in(source: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut nests = Vec::new();
    let mut from = 0;
    while let Some(found) = source[from..].find(".nest(") {
        let start = from + found + ".nest(".len();
        let args = balanced(&source[start..]);
        from = start + args.len();
        let Some(prefix) = first_string(args) else {
            continue;
        };
        let Some(name) = args.rsplit(',').next().map(str::trim) else {
            continue;
        };
        // `name` is a binding (`let api = …;`) or a function of the file (`api()`).
        let span = match name.strip_suffix("()") {
            Some(function) => source.find(&format!("fn {function}(")).map(|begin| {
                let end = source[begin..]
                    .find("\n}")
                    .map_or(source.len(), |e| begin + e);
                begin..end
            }),
            None => source.find(&format!("let {name} = ")).map(|begin| {
                let end = source[begin..]
                    .find(';')
                    .map_or(source.len(), |e| begin + e);
                begin..end
            }),
        };
        if let Some(span) = span {
            nests.push((prefix.to_owned(), span));
        }
    }
    nests
}

/// The text up to the parenthesis that closes the one just opened.
fn balanced(text: &str) -> &str {
    let mut depth = 1usize;
    let mut in_string = false;
    let mut previous = ' ';
    for (i, c) in text.char_indices() {
        match c {
            '"' if previous != '\\' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return &text[..i];
                }
            }
            _ => {}
        }
        previous = c;
    }
    text
}

fn first_string(text: &str) -> Option<&str> {
    let start = text.find('"')? + 1;
    let end = text[start..].find('"')? + start;
    Some(&text[start..end])
}

/// Method routers named in a `.route` call's second argument: `get(…)`, `.post(…)`, not
/// `session::get` or `Redirect::to(…)`.
fn methods_in(args: &str) -> Vec<&'static str> {
    let bytes = args.as_bytes();
    let mut methods = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_alphabetic() || c == b'_' {
            let begin = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let word = &args[begin..i];
            let before = if begin == 0 { b' ' } else { bytes[begin - 1] };
            let opens = args[i..].trim_start().starts_with('(');
            if let Some(method) = METHODS.iter().find(|m| **m == word)
                && opens
                && before != b':'
            {
                methods.push(*method);
            }
        } else {
            i += 1;
        }
    }
    methods
}

#[test]
fn the_route_parser_reads_chained_methods_and_nested_prefixes() {
    let source = r#"
        let api = Router::new()
            .route("/session", post(session::login).get(session::get).delete(session::logout))
            .route("/push", post(api::push).layer(DefaultBodyLimit::max(PUSH)));
        let routes = Router::new()
            .route("/", get(|| async { Redirect::to("/admin") }))
            .nest("/api/v1", api);
    "#;
    let routes: BTreeSet<_> = routes_in(source).into_iter().collect();
    let expected: BTreeSet<_> = [
        ("POST", "/api/v1/session"),
        ("GET", "/api/v1/session"),
        ("DELETE", "/api/v1/session"),
        ("POST", "/api/v1/push"),
        ("GET", "/"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_owned(), p.to_owned()))
    .collect();
    assert_eq!(routes, expected);
}
