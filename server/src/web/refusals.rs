//! Refusals in the user's language. serde and axum explain a bad request in English ("missing
//! field `source` at line 1 column 2", "invalid digit found in string", an empty 405); the
//! people who read kejia's answers read Chinese, so every such text is said again here, naming
//! the field and what it should hold.
//!
//! Two places use it: the extractors ([`json_body`], [`query`]) say which field is wrong, and
//! [`in_chinese`], around every route, is the net for whatever still answers without Chinese
//! words (a path nothing serves, a method a path does not take, a body over the limit): staff
//! and phone pages get an HTML page, everything else `{"error": …}`.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::Face;
use super::error::ApiError;
use super::render::error_page;
use crate::domain::Invalid;

/// A JSON body as `T`, or the refusal that says what to correct.
pub fn json_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut reader).map_err(json_refusal)?;
    reader.end().map_err(|e| syntax_refusal(&e))?;
    Ok(value)
}

/// A query string as `T`, or the refusal that says which parameter is wrong.
pub fn query<T: DeserializeOwned>(raw: Option<&str>) -> Result<T, ApiError> {
    urlencoded(raw.unwrap_or_default().as_bytes(), "查询参数")
}

/// A form body as `T`, or the refusal that says which field is wrong.
pub fn form<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    urlencoded(body, "表单字段")
}

fn urlencoded<T: DeserializeOwned>(raw: &[u8], what: &str) -> Result<T, ApiError> {
    let reader = serde_urlencoded::Deserializer::new(form_urlencoded::parse(raw));
    serde_path_to_error::deserialize(reader).map_err(|error| {
        let name = parameter_name(&error.path().to_string()).map(str::to_owned);
        let problem = problem(&error.inner().to_string());
        ApiError::BadRequest(match name {
            Some(name) => format!("{what} {name} 有误：{problem}"),
            None => format!("{what}有误：{problem}"),
        })
    })
}

fn json_refusal(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let inner = error.inner();
    if !inner.is_data() {
        return syntax_refusal(inner);
    }
    let path = error.path().to_string();
    let problem = problem(&strip_position(&inner.to_string()));
    match parameter_name(&path) {
        Some(field) => ApiError::BadField {
            message: format!("字段 {field}：{problem}"),
            field: field.to_owned(),
        },
        None => ApiError::Invalid(Invalid::new("body", format!("请求内容有误：{problem}"))),
    }
}

fn syntax_refusal(error: &serde_json::Error) -> ApiError {
    if error.is_eof() {
        return ApiError::BadRequest(format!(
            "JSON 不完整：在第 {} 行第 {} 列处意外结束",
            error.line(),
            error.column()
        ));
    }
    if error.to_string().contains("recursion limit") {
        return ApiError::BadRequest(format!(
            "JSON 嵌套层数过多（最多 {} 层）",
            super::error::JSON_DEPTH
        ));
    }
    ApiError::BadRequest(format!(
        "不是有效的 JSON：第 {} 行第 {} 列附近有误",
        error.line(),
        error.column()
    ))
}

/// The field a serde path names, or `None` for the body or query as a whole (`.`).
fn parameter_name(path: &str) -> Option<&str> {
    (!path.is_empty() && path != ".").then_some(path)
}

/// serde_json ends its messages with " at line L column C"; the field says where already.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// What serde's English message asks for, in Chinese. serde's messages follow a few fixed
/// shapes (`serde::de::Error`'s provided methods) and the standard library's number parsing a
/// few more; anything else gets a plain "取值有误" rather than English.
fn problem(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return format!("缺少必填字段 {name}");
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (value, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let choices = quoted_names(expected);
        return if choices.is_empty() {
            format!("“{value}”不是可选的值")
        } else {
            format!("“{value}”不是可选的值，可选：{}", choices.join("、"))
        };
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return format!("不认识的字段 {name}");
    }
    if let Some(rest) = message.strip_prefix("duplicate field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return format!("字段 {name} 出现了两次");
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let expected = rest.split_once(", expected ").map_or("", |(_, e)| e);
        return format!("类型有误，应为{}", kind_of(expected));
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        let expected = rest.split_once(", expected ").map_or("", |(_, e)| e);
        return format!("取值有误，应为{}", kind_of(expected));
    }
    if message.starts_with("invalid length ") {
        return "长度有误".into();
    }
    match message {
        "invalid digit found in string" => "须为整数".into(),
        "number too large to fit in target type" => "数值过大".into(),
        "number too small to fit in target type" => "数值过小".into(),
        "cannot parse integer from empty string" => "不能为空".into(),
        "invalid float literal" => "须为数字".into(),
        _ => "取值有误".into(),
    }
}

/// The names serde lists as expected (`` `a`, `b` `` or `` `a` or `b` ``).
fn quoted_names(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// What serde's "expected …" means, in words a user knows.
fn kind_of(expected: &str) -> &'static str {
    let expected = expected.trim();
    if expected.contains("bool") {
        "true 或 false"
    } else if expected.contains("string") || expected.contains("char") {
        "文字"
    } else if [
        "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "usize", "isize",
    ]
    .iter()
    .any(|kind| expected.contains(kind))
        || expected.contains("integer")
    {
        "整数"
    } else if expected.contains("f32") || expected.contains("f64") || expected.contains("float") {
        "数字"
    } else if expected.contains("sequence") || expected.contains("tuple") {
        "列表（[…]）"
    } else if expected.contains("map") || expected.contains("struct") {
        "对象（{…}）"
    } else {
        "正确的类型"
    }
}

/// Who reads the answer to a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// Staff pages (and the hub's public results): the staff error page.
    Staff,
    /// A member's phone: the phone pages' own frame, with no link to the admin.
    Phone,
    /// A program: `{"error": …}`.
    Program,
}

fn reader_of(path: &str) -> Reader {
    if path == "/m" || path.starts_with("/m/") {
        Reader::Phone
    } else if ["/admin", "/setup", "/results"]
        .iter()
        .any(|prefix| path.starts_with(prefix))
    {
        Reader::Staff
    } else {
        Reader::Program
    }
}

/// What a refusal with no words of its own says.
pub fn status_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "请求格式有误，请检查后重试",
        401 => "请先登录",
        403 => "没有权限进行此操作",
        404 => "未找到该页面或记录，请检查地址",
        405 => "此地址不支持这种请求方式",
        408 => "请求超时，请重试",
        413 => "请求内容过大",
        415 => "请求内容的格式不受支持",
        422 => "提交的内容有误，请检查后重试",
        429 => "请求过于频繁，请稍后再试",
        503 => "暂时无法处理，请稍后重试",
        _ if status.is_server_error() => "服务器内部错误",
        _ => "无法完成此请求",
    }
}

/// Errors are at most a few hundred bytes; a larger body is not a refusal of ours to reword.
const REFUSAL_BYTES: usize = 16 * 1024;

/// Around every route: an error answer without Chinese words gets them, and a page path gets a
/// page (see the module's text). Answers that already speak (a page, `{"error": …}` on the API,
/// a check-in's refusal) pass untouched.
pub async fn in_chinese<S: Face>(State(state): State<S>, request: Request, next: Next) -> Response {
    let reader = reader_of(request.uri().path());
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let kind = content_kind(&response);
    match (reader, kind) {
        (Reader::Staff | Reader::Phone, Kind::Html) | (Reader::Program, Kind::Json) => response,
        (Reader::Staff, kind) => {
            let message = words_of(response, kind).await;
            let mut page = error_page(status, &message);
            carry_headers(status, &mut page);
            page
        }
        (Reader::Phone, kind) => {
            let message = words_of(response, kind).await;
            let mut page = state.phone_refusal(status, message);
            carry_headers(status, &mut page);
            page
        }
        (Reader::Program, kind) => {
            let retry = response.headers().get(header::RETRY_AFTER).cloned();
            let allow = response.headers().get(header::ALLOW).cloned();
            let message = words_of(response, kind).await;
            let mut answer =
                (status, axum::Json(serde_json::json!({ "error": message }))).into_response();
            for (name, value) in [(header::RETRY_AFTER, retry), (header::ALLOW, allow)] {
                if let Some(value) = value {
                    answer.headers_mut().insert(name, value);
                }
            }
            answer
        }
    }
}

/// A rewritten page keeps no header of the old answer; a 405 still says what is allowed.
fn carry_headers(status: StatusCode, page: &mut Response) {
    if status == StatusCode::METHOD_NOT_ALLOWED {
        page.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Html,
    Json,
    Other,
}

fn content_kind(response: &Response) -> Kind {
    let value = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if value.starts_with("text/html") {
        Kind::Html
    } else if value.starts_with("application/json") {
        Kind::Json
    } else {
        Kind::Other
    }
}

/// The Chinese message an error answer carries (`{"error": …}`), or the status's own words;
/// never the English of a plain-text rejection.
async fn words_of(response: Response, kind: Kind) -> String {
    let status = response.status();
    if kind != Kind::Json {
        return status_message(status).to_owned();
    }
    let body: Body = response.into_body();
    let Ok(bytes) = to_bytes(body, REFUSAL_BYTES).await else {
        return status_message(status).to_owned();
    };
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_else(|| status_message(status).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        credential: String,
        source: Source,
        consent: Option<bool>,
        limit: Option<u32>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Source {
        Qr,
        Card,
    }

    fn refusal(json: &str) -> String {
        match json_body::<Body>(json.as_bytes()) {
            Ok(body) => panic!("accepted: {body:?}"),
            Err(error) => error.message(),
        }
    }

    fn no_english(text: &str) {
        for word in [
            "invalid", "expected", "missing", "field", "Failed", "line", "variant",
        ] {
            assert!(!text.contains(word), "{text}");
        }
    }

    #[test]
    fn json_refusals_name_the_field_and_what_it_should_hold() {
        let cases = [
            (r#"{"source":"qr"}"#, "缺少必填字段 credential"),
            (
                r#"{"credential":5,"source":"qr"}"#,
                "字段 credential：类型有误，应为文字",
            ),
            (
                r#"{"credential":"x","source":"nfc"}"#,
                "字段 source：“nfc”不是可选的值，可选：qr、card",
            ),
            (
                r#"{"credential":"x","source":"qr","consent":"yes"}"#,
                "字段 consent：类型有误，应为true 或 false",
            ),
            (
                r#"{"credential":"x","source":"qr","limit":-1}"#,
                "字段 limit：取值有误，应为整数",
            ),
            (r#""text""#, "请求内容有误：类型有误，应为对象（{…}）"),
            (
                r#"{"credential":"x","#,
                "JSON 不完整：在第 1 行第 18 列处意外结束",
            ),
            (
                r#"{"credential" "x"}"#,
                "不是有效的 JSON：第 1 行第 15 列附近有误",
            ),
            (
                r#"{"credential":"x","source":"qr"} trailing"#,
                "不是有效的 JSON",
            ),
        ];
        for (json, expected) in cases {
            let message = refusal(json);
            assert!(message.contains(expected), "{json}: {message}");
            no_english(&message);
        }
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Year {
        year: Option<i16>,
    }

    #[test]
    fn query_refusals_name_the_parameter() {
        let message = |raw| match query::<Year>(Some(raw)) {
            Ok(year) => panic!("accepted: {year:?}"),
            Err(error) => error.message(),
        };
        assert!(message("year=abc").contains("查询参数 year 有误：须为整数"));
        assert!(message("year=99999").contains("查询参数 year 有误：数值过大"));
        no_english(&message("year=abc"));
        assert!(query::<Year>(Some("year=2026")).is_ok());
        assert!(query::<Year>(None).is_ok());
    }

    #[test]
    fn every_status_has_chinese_words() {
        for code in [
            400, 401, 403, 404, 405, 408, 413, 415, 422, 429, 500, 503, 418,
        ] {
            let status = StatusCode::from_u16(code).expect("status");
            assert!(!status_message(status).is_ascii(), "{code}");
        }
    }
}
