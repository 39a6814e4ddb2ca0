//! The screen served to a browser, for demos and development without a panel: the page shows
//! the live frame at its real size, and a click on it counts as a touch at that spot.
//!
//! The page long-polls `GET /frame.png?seen=N`, which answers as soon as the shown frame is no
//! longer frame N (or with 204 after a while, and the page asks again). A waiting request parks
//! on a watch channel, so the server does no work between frames. Plain `GET /frame.png`
//! answers at once, with the frame number as ETag and 304 for a matching `If-None-Match`.
//! Frames are PNG-encoded only when someone asks, once per frame, so an unwatched mirror costs
//! a frame copy per show().

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot, watch};

use super::{Display, DisplayError, Frame, size_mismatch};

/// How long a long-poll waits before answering 204; below common proxy and browser timeouts.
const LONG_POLL: Duration = Duration::from_secs(20);

/// Serves the screen over HTTP; see the module docs. Dropping it stops the server.
pub struct MirrorDisplay {
    size: Size,
    frames: watch::Sender<Arc<Snapshot>>,
    shown: u64,
    /// Dropped with the display, which tells the server to shut down.
    _stop: oneshot::Sender<()>,
}

/// One shown frame. Frame 0 is the black screen served before the first show().
struct Snapshot {
    number: u64,
    frame: Frame,
    png: OnceLock<Result<Bytes, String>>,
}

impl Snapshot {
    fn new(number: u64, frame: Frame) -> Arc<Self> {
        Arc::new(Self {
            number,
            frame,
            png: OnceLock::new(),
        })
    }

    /// Encodes on first use; blocking, so call it off the async workers.
    fn png(&self) -> Result<Bytes, String> {
        self.png
            .get_or_init(|| {
                super::png::encode(&self.frame)
                    .map(Bytes::from)
                    .map_err(|error| error.to_string())
            })
            .clone()
    }
}

#[derive(Clone)]
struct AppState {
    frames: watch::Receiver<Arc<Snapshot>>,
    size: Size,
    touches: mpsc::UnboundedSender<Point>,
}

impl MirrorDisplay {
    /// Binds `addr` and spawns the server on the current tokio runtime. Returns the address
    /// actually bound, so `127.0.0.1:0` works for tests.
    pub async fn bind(
        addr: SocketAddr,
        size: Size,
        touches: mpsc::UnboundedSender<Point>,
    ) -> Result<(Self, SocketAddr), DisplayError> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|error| DisplayError::Bind { addr, error })?;
        let bound = listener
            .local_addr()
            .map_err(|error| DisplayError::Bind { addr, error })?;
        let (frames, receiver) = watch::channel(Snapshot::new(0, Frame::new(size)));
        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(AppState {
            frames: receiver,
            size,
            touches,
        });
        tokio::spawn(async move {
            let shutdown = async move {
                // Either a send or the sender's drop means stop.
                let _ = stopped.await;
            };
            if let Err(error) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::warn!(%error, "mirror display server stopped");
            }
        });
        let display = Self {
            size,
            frames,
            shown: 0,
            _stop: stop,
        };
        Ok((display, bound))
    }
}

impl Display for MirrorDisplay {
    fn size(&self) -> Size {
        self.size
    }

    fn show(&mut self, frame: &Frame, _dirty: Rectangle) -> io::Result<()> {
        if frame.size() != self.size {
            return Err(size_mismatch(frame.size(), self.size));
        }
        self.shown += 1;
        // send_replace works with no receivers; the server's state always holds one anyway.
        self.frames
            .send_replace(Snapshot::new(self.shown, frame.clone()));
        Ok(())
    }
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/frame.png", get(frame_png))
        .route("/touch", post(touch))
        .with_state(state)
}

/// The whole page: no external assets, so it works on a venue network with no internet.
/// `__WIDTH__` and `__HEIGHT__` are filled in per display.
const PAGE: &str = r##"<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>签到机画面</title>
<style>
  body { margin: 24px; background: #2b2b2b; color: #eee; font-family: sans-serif; }
  #picture { display: block; cursor: pointer; outline: 1px solid #777; user-select: none; }
  #note { min-height: 1.5em; color: #fc6; }
</style>
</head>
<body>
<p>这是签到机屏幕的实时画面。点击画面，就相当于用手指触摸签到机屏幕上的同一位置。</p>
<img id="picture" src="/frame.png" width="__WIDTH__" height="__HEIGHT__" alt="签到机画面" draggable="false">
<p id="note"></p>
<script>
"use strict";
const WIDTH = __WIDTH__, HEIGHT = __HEIGHT__;
const picture = document.getElementById("picture");
const note = document.getElementById("note");
const pause = (ms) => new Promise((done) => setTimeout(done, ms));

// Long poll: the server answers as soon as its frame is not the one we show (204 = ask again).
async function follow() {
  let seen = null;
  let shown = null;
  for (;;) {
    try {
      const path = seen === null ? "/frame.png" : "/frame.png?seen=" + seen;
      const answer = await fetch(path, { cache: "no-store" });
      if (answer.status === 200) {
        seen = (answer.headers.get("ETag") || "").replace(/[^0-9]/g, "") || null;
        const url = URL.createObjectURL(await answer.blob());
        picture.src = url;
        if (shown) URL.revokeObjectURL(shown);
        shown = url;
        note.textContent = "";
      } else if (answer.status !== 204) {
        throw new Error("HTTP " + answer.status);
      }
    } catch (error) {
      note.textContent = "与签到机的连接中断，正在重试……";
      await pause(1000);
    }
  }
}

picture.addEventListener("click", async (event) => {
  // The picture may be zoomed by the browser: scale back to display pixels.
  const box = picture.getBoundingClientRect();
  const x = Math.floor((event.clientX - box.left) * WIDTH / box.width);
  const y = Math.floor((event.clientY - box.top) * HEIGHT / box.height);
  if (x < 0 || y < 0 || x >= WIDTH || y >= HEIGHT) return;
  try {
    const answer = await fetch("/touch", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ x, y }),
    });
    if (!answer.ok) note.textContent = "这次触摸没有被接受（HTTP " + answer.status + "）";
  } catch (error) {
    note.textContent = "与签到机的连接中断，这次触摸没有送达";
  }
});

follow();
</script>
</body>
</html>
"##;

async fn page(State(state): State<AppState>) -> Html<String> {
    Html(
        PAGE.replace("__WIDTH__", &state.size.width.to_string())
            .replace("__HEIGHT__", &state.size.height.to_string()),
    )
}

#[derive(Deserialize)]
struct FrameQuery {
    /// The frame number the browser shows; answer when the current frame differs. "Differs"
    /// rather than "is newer" so a page left open across a kiosk restart catches up at once.
    seen: Option<u64>,
}

async fn frame_png(
    State(state): State<AppState>,
    Query(query): Query<FrameQuery>,
    headers: HeaderMap,
) -> Response {
    let snapshot = match query.seen {
        None => Arc::clone(&state.frames.borrow()),
        Some(seen) => {
            let mut frames = state.frames.clone();
            let changed = async {
                frames
                    .wait_for(|snapshot| snapshot.number != seen)
                    .await
                    .map(|snapshot| Arc::clone(&snapshot))
            };
            match tokio::time::timeout(LONG_POLL, changed).await {
                Ok(Ok(snapshot)) => snapshot,
                Ok(Err(_)) => return error(StatusCode::SERVICE_UNAVAILABLE, "the kiosk stopped"),
                Err(_) => return StatusCode::NO_CONTENT.into_response(),
            }
        }
    };
    let etag = format!("\"{}\"", snapshot.number);
    if matches_etag(&headers, &etag) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    match tokio::task::spawn_blocking(move || snapshot.png()).await {
        Ok(Ok(png)) => (
            [
                (header::CONTENT_TYPE, "image/png".to_owned()),
                (header::ETAG, etag),
                (header::CACHE_CONTROL, "no-cache".to_owned()),
            ],
            png,
        )
            .into_response(),
        Ok(Err(reason)) => {
            tracing::warn!(%reason, "mirror display could not encode a frame");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the frame could not be encoded",
            )
        }
        Err(join) => {
            tracing::warn!(error = %join, "mirror display encoder failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the frame could not be encoded",
            )
        }
    }
}

fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

#[derive(Deserialize)]
struct Touch {
    x: i64,
    y: i64,
}

/// A click on the picture, in display coordinates. Malformed JSON is refused by the `Json`
/// extractor (400/415/422) before this runs.
async fn touch(State(state): State<AppState>, axum::Json(touch): axum::Json<Touch>) -> Response {
    let inside = |value: i64, side: u32| (0..i64::from(side)).contains(&value);
    if !inside(touch.x, state.size.width) || !inside(touch.y, state.size.height) {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!(
                "touch ({}, {}) is outside the {}x{} screen",
                touch.x, touch.y, state.size.width, state.size.height
            ),
        );
    }
    // In range of a u32 side of at most MAX_SIDE, so the casts cannot truncate.
    let point = Point::new(touch.x as i32, touch.y as i32);
    match state.touches.send(point) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(_) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the kiosk is not taking touches",
        ),
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::io::{Read, Write};
    use std::net::TcpStream;

    use embedded_graphics::pixelcolor::Rgb565;
    use embedded_graphics::primitives::PrimitiveStyle;

    use super::*;

    struct Answer {
        status: u16,
        headers: HashMap<String, String>,
        body: Vec<u8>,
    }

    impl Answer {
        fn text(&self) -> String {
            String::from_utf8(self.body.clone()).unwrap()
        }
    }

    /// One HTTP/1.1 exchange over a plain socket, on a blocking thread.
    async fn http(addr: SocketAddr, request: String) -> Answer {
        tokio::task::spawn_blocking(move || {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            stream.write_all(request.as_bytes()).unwrap();
            let mut raw = Vec::new();
            stream.read_to_end(&mut raw).unwrap();
            let split = raw
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .expect("a complete head");
            let head = String::from_utf8(raw[..split].to_vec()).unwrap();
            let mut lines = head.split("\r\n");
            let status = lines.next().unwrap().split(' ').nth(1).unwrap();
            let headers = lines
                .filter_map(|line| line.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .collect::<HashMap<_, _>>();
            assert!(
                !headers.contains_key("transfer-encoding"),
                "this little client reads only Content-Length bodies"
            );
            Answer {
                status: status.parse().unwrap(),
                headers,
                body: raw[split + 4..].to_vec(),
            }
        })
        .await
        .unwrap()
    }

    async fn get(addr: SocketAddr, path: &str, extra: &str) -> Answer {
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n");
        http(addr, request).await
    }

    async fn post_touch(addr: SocketAddr, content_type: &str, body: &str) -> Answer {
        let request = format!(
            "POST /touch HTTP/1.1\r\nHost: {addr}\r\n{content_type}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        http(addr, request).await
    }

    const JSON: &str = "Content-Type: application/json\r\n";

    async fn start(size: Size) -> (MirrorDisplay, SocketAddr, mpsc::UnboundedReceiver<Point>) {
        let (touches, received) = mpsc::unbounded_channel();
        let (display, addr) = MirrorDisplay::bind("127.0.0.1:0".parse().unwrap(), size, touches)
            .await
            .unwrap();
        assert_ne!(addr.port(), 0);
        (display, addr, received)
    }

    #[tokio::test]
    async fn the_page_is_chinese_self_contained_and_sized_like_the_screen() {
        let (_display, addr, _) = start(Size::new(720, 1280)).await;
        let answer = get(addr, "/", "").await;
        assert_eq!(answer.status, 200);
        assert!(answer.headers["content-type"].starts_with("text/html"));
        let page = answer.text();
        assert!(page.contains("<title>签到机画面</title>"), "{page}");
        assert!(page.contains("点击画面"));
        assert!(page.contains(r#"width="720" height="1280""#));
        assert!(page.contains("/touch") && page.contains("/frame.png"));
        assert!(!page.contains("__WIDTH__") && !page.contains("__HEIGHT__"));
        assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("//cdn"));
    }

    #[tokio::test]
    async fn shown_frames_are_served_as_png_with_their_number() {
        let size = Size::new(64, 40);
        let (mut display, addr, _) = start(size).await;
        assert_eq!(display.size(), size);

        let before = get(addr, "/frame.png", "").await;
        assert_eq!(before.status, 200);
        assert_eq!(before.headers["content-type"], "image/png");
        assert_eq!(before.headers["etag"], "\"0\"");
        let image = image::load_from_memory(&before.body).unwrap().to_rgb8();
        assert_eq!(image.dimensions(), (64, 40));
        assert!(image.pixels().all(|p| p.0 == [0, 0, 0]));

        let mut frame = Frame::new(size);
        Rectangle::new(Point::new(10, 5), Size::new(3, 2))
            .into_styled(PrimitiveStyle::with_fill(Rgb565::RED))
            .draw(&mut frame)
            .unwrap();
        let dirty = frame.take_dirty().unwrap();
        display.show(&frame, dirty).unwrap();

        let after = get(addr, "/frame.png", "").await;
        assert_eq!(after.headers["etag"], "\"1\"");
        let image = image::load_from_memory(&after.body).unwrap().to_rgb8();
        assert_eq!(image, frame.to_rgb_image());
        assert_eq!(image.get_pixel(12, 6).0, [255, 0, 0]);

        let unchanged = get(addr, "/frame.png", "If-None-Match: \"1\"\r\n").await;
        assert_eq!(unchanged.status, 304);
        assert!(unchanged.body.is_empty());
        let stale = get(addr, "/frame.png", "If-None-Match: \"0\"\r\n").await;
        assert_eq!(stale.status, 200);

        let wrong_size = Frame::new(Size::new(40, 64));
        let error = display
            .show(&wrong_size, wrong_size.bounding_box())
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }

    #[tokio::test]
    async fn a_long_poll_answers_when_the_next_frame_is_shown() {
        let size = Size::new(16, 16);
        let (mut display, addr, _) = start(size).await;
        let mut frame = Frame::new(size);
        display.show(&frame, frame.bounding_box()).unwrap();

        let waiting = tokio::spawn(get(addr, "/frame.png?seen=1", ""));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiting.is_finished(), "answered before a new frame");
        frame.clear(Rgb565::BLUE).unwrap();
        display.show(&frame, frame.bounding_box()).unwrap();
        let answer = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(answer.headers["etag"], "\"2\"");
        let image = image::load_from_memory(&answer.body).unwrap().to_rgb8();
        assert_eq!(image.get_pixel(0, 0).0, [0, 0, 255]);

        // A page that saw a frame this server never showed (it restarted) gets the current one.
        let caught_up = get(addr, "/frame.png?seen=99", "").await;
        assert_eq!(caught_up.headers["etag"], "\"2\"");

        let bad = get(addr, "/frame.png?seen=abc", "").await;
        assert_eq!(bad.status, 400);
    }

    #[tokio::test]
    async fn dropping_the_display_ends_waiting_polls() {
        let (display, addr, _) = start(Size::new(8, 8)).await;
        let waiting = tokio::spawn(get(addr, "/frame.png?seen=0", ""));
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(display);
        let answer = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(answer.status, 503);
    }

    #[tokio::test]
    async fn a_click_becomes_a_touch_and_bad_clicks_are_refused() {
        let (_display, addr, mut touches) = start(Size::new(800, 480)).await;
        let answer = post_touch(addr, JSON, r#"{"x":10,"y":20}"#).await;
        assert_eq!(answer.status, 204);
        assert_eq!(touches.try_recv().unwrap(), Point::new(10, 20));
        let corner = post_touch(addr, JSON, r#"{"x":799,"y":479}"#).await;
        assert_eq!(corner.status, 204);
        assert_eq!(touches.try_recv().unwrap(), Point::new(799, 479));

        for (content_type, body) in [
            (JSON, r#"{"x":800,"y":0}"#),
            (JSON, r#"{"x":0,"y":480}"#),
            (JSON, r#"{"x":-1,"y":0}"#),
            (JSON, r#"{"x":99999999999999999999,"y":0}"#),
            (JSON, r#"{"x":1.5,"y":2}"#),
            (JSON, r#"{"x":1}"#),
            (JSON, "nope"),
            (JSON, ""),
            ("", r#"{"x":1,"y":2}"#),
        ] {
            let answer = post_touch(addr, content_type, body).await;
            assert!(
                (400..500).contains(&answer.status),
                "{body:?} gave {}",
                answer.status
            );
        }
        let outside = post_touch(addr, JSON, r#"{"x":800,"y":0}"#).await;
        assert_eq!(outside.status, 422);
        assert!(outside.text().contains("outside the 800x480 screen"));
        assert!(
            touches.try_recv().is_err(),
            "a refused click became a touch"
        );
    }

    #[tokio::test]
    async fn touches_after_the_kiosk_stopped_listening_get_503() {
        let (_display, addr, touches) = start(Size::new(8, 8)).await;
        drop(touches);
        let answer = post_touch(addr, JSON, r#"{"x":1,"y":1}"#).await;
        assert_eq!(answer.status, 503);
    }

    #[tokio::test]
    async fn open_starts_a_mirror_from_its_spec() {
        let (touches, _received) = mpsc::unbounded_channel();
        let spec: crate::display::DisplaySpec = "mirror:127.0.0.1:0".parse().unwrap();
        let display = crate::display::open(&spec, Size::new(320, 240), touches)
            .await
            .unwrap();
        assert_eq!(display.size(), Size::new(320, 240));
    }
}
