//! The accept loop of every kejia server (`kejia serve` and `kejia hub`), built on hyper's
//! HTTP/1 connection so that slow, idle or merely numerous connections cannot starve the
//! door's check-ins (slowloris, connection floods). `axum::serve` has no header-read or idle
//! timeout and no connection cap.
//!
//! What each connection gets:
//! - `TCP_NODELAY` (a response in more than one piece waited for the peer's delayed
//!   acknowledgement, up to 40 ms a time: most of what a sync push took on loopback);
//! - its peer address as axum's `ConnectInfo<SocketAddr>` (the login lockout and the phone
//!   pages' rate limits key on it);
//! - a [`Connection`] handle in each request's extensions, by which the app vouches for it;
//! - HTTP/1.1 keep-alive, and [`HEADER_READ_TIMEOUT`] to send each request's headers: hyper
//!   starts that timer when it waits for a request head, on a new connection and again on a
//!   kept-alive one after each response, and stops it once the head is in. So one timeout
//!   closes both a connection that is slow to send headers and one idle between requests,
//!   while a long response (the dashboard's server-sent events) is never cut.
//! - [`BODY_DEADLINE`] to send a request's body, in all: a body trickled a byte at a time
//!   would otherwise hold its connection as long as the client liked.
//!
//! How many: one address holds at most [`MAX_CONNECTIONS_PER_PEER`], all together at most
//! [`MAX_CONNECTIONS`]. When every place is taken, a newcomer from an address that holds fewer
//! connections than another is still let in: the server closes the oldest connection of the
//! address holding the most that is neither *proven* (a request on it carried a valid device
//! token or staff session) nor *working* (its request has arrived and is being answered). So
//! hosts that flood the server can only take places from each other, a kiosk or a phone from
//! a fresh address always gets one, and a proven connection is never closed to make room.
//!
//! On shutdown the listener closes, idle connections are closed, requests in flight finish
//! (for at most [`DRAIN_LIMIT`]), and event streams (`text/event-stream`, the dashboard's live
//! counts) end at once: they never finish by themselves, and a browser reconnects to them on
//! its own, so ending them loses nothing and lets the server stop in well under a second.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::serve::Listener;
use bytes::Bytes;
use hyper::body::{Body as _, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower::ServiceExt;
use tower_http::timeout::DeadlineBody;

/// Time a client has to send a request's headers, from the moment the server waits for them:
/// on a new connection, and on a kept-alive one after its last response (so it is also the
/// idle timeout). A phone on a poor venue Wi-Fi sends a few hundred bytes of headers in well
/// under a second; browsers and the kiosk's client open a new connection, or retry on one,
/// when the server has closed an idle one. Ten seconds is generous for the one and short
/// enough that a slow client holds a slot only briefly.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Time a client has to send a request's whole body, counted from its headers. Home bodies
/// are at most 64 KiB and a photo a few MiB; the hub's largest, a home's 8 MiB sync push, takes
/// about a minute over a 1 Mbit/s uplink. Two minutes leaves room for both; past it the request
/// is answered 400 and its connection freed.
pub const BODY_DEADLINE: Duration = Duration::from_secs(120);

/// Open connections from one peer address at most. The most one honest address needs is a
/// venue's Wi-Fi behind one NAT: some 40 phones opening the phone pages in the same few
/// seconds after an announcement. A phone's browser fetches a page, its stylesheet and an icon
/// at once, on up to three connections, and keeps them only until [`HEADER_READ_TIMEOUT`] of
/// idleness: 40 × 3 = 120, so 128. It also means a flood needs eight addresses to fill
/// [`MAX_CONNECTIONS`] — and even then it cannot keep a fresh address out (see the module's
/// text).
pub const MAX_CONNECTIONS_PER_PEER: usize = 128;

/// Open connections in all at most, so a few hosts cannot exhaust the file descriptors: the
/// systemd units allow 4096 (`LimitNOFILE`), and the database, the listener, the sync client
/// and a kiosk in the same process need some too. [`serve`] raises a lower soft limit, and
/// serves fewer connections if it cannot.
pub const MAX_CONNECTIONS: usize = 1024;

/// File descriptors kept for everything but connections: the database and its WAL on the
/// writer and each reader, the listener, backups, the sync client, a built-in kiosk, logs.
const OTHER_FILES: usize = 128;

/// The fewest connections served however low the open-file limit: below this the server is
/// of no use anyway, and accepts past the limit only fail and are retried.
const MIN_CONNECTIONS: usize = 32;

/// Connections the kernel may hold for the server before it accepts them. Tokio listens with
/// 1024; a flood that reconnects in bursts (its connections all timed out together, say) fills
/// that, and then the kernel drops new connections' packets, the door's among them, which
/// cost it a second's retransmission each time. With 4096 (the kernel caps it at
/// `net.core.somaxconn`, 4096 by default) a burst waits in line for the accept loop, which
/// clears it within milliseconds.
const LISTEN_BACKLOG: i32 = 4096;

/// How long a shutdown waits for requests in flight before it gives up on them.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` completes, then finishes the requests in
/// flight (see the module's text).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Listening again on a listening socket only sets its backlog.
    if let Err(error) = socket2::SockRef::from(&listener).listen(LISTEN_BACKLOG) {
        tracing::warn!(%error, "could not lengthen the listen backlog");
    }
    let mut limits = Limits::default();
    limits.caps.total = connections_the_file_limit_allows();
    serve_with(listener, app, shutdown, limits).await
}

/// Raises the soft open-file limit to what [`MAX_CONNECTIONS`] needs (at most to the hard
/// limit) and says how many connections fit in what it got. Run by hand, a server often starts
/// with a soft limit of 1024; an accept past it fails, and axum's listener then pauses for a
/// second, which the door would feel.
fn connections_the_file_limit_allows() -> usize {
    let wanted = MAX_CONNECTIONS + OTHER_FILES;
    match rlimit::increase_nofile_limit(wanted as u64) {
        Ok(files) => {
            let files = usize::try_from(files).unwrap_or(usize::MAX);
            if files >= wanted {
                return MAX_CONNECTIONS;
            }
            let connections = files.saturating_sub(OTHER_FILES).max(MIN_CONNECTIONS);
            tracing::warn!(
                files,
                connections,
                "the open-file limit is low: fewer connections are served (raise LimitNOFILE)"
            );
            connections
        }
        Err(error) => {
            tracing::warn!(%error, "could not read or raise the open-file limit");
            MAX_CONNECTIONS
        }
    }
}

/// What [`serve`] allows a client; tests shorten the times.
#[derive(Debug, Clone, Copy)]
struct Limits {
    header_read_timeout: Duration,
    body_deadline: Duration,
    caps: Caps,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: HEADER_READ_TIMEOUT,
            body_deadline: BODY_DEADLINE,
            caps: Caps {
                total: MAX_CONNECTIONS,
                per_peer: MAX_CONNECTIONS_PER_PEER,
            },
        }
    }
}

/// Connection caps.
#[derive(Debug, Clone, Copy)]
struct Caps {
    total: usize,
    per_peer: usize,
}

async fn serve_with(
    mut listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
) -> std::io::Result<()> {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let slots = Slots::new(limits.caps);
    let body_deadline = limits.body_deadline;
    // Dropping `stop` tells every connection to finish; each holds a clone of `running`, so
    // `running.closed()` says when the last one has.
    let (stop, stopping) = watch::channel(());
    let (running, watching) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // axum's `Listener` retries (and logs) failed accepts, as `axum::serve` did. Under a
        // flood of reconnects this loop never waits for the listener, but a refusal is only a
        // map lookup and a close, and tokio's cooperative budget makes the accept yield to the
        // connections' tasks every so often, so neither side starves the other.
        let (stream, peer) = tokio::select! {
            accepted = Listener::accept(&mut listener) => accepted,
            () = &mut shutdown => break,
        };
        let Some(slot) = slots.claim(peer.ip()) else {
            // Dropping the stream closes it.
            tracing::debug!("connection refused: too many open");
            continue;
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
        let app = app.clone();
        let conn = Arc::clone(&slot.conn);
        let streams_stop = stopping.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let conn = Arc::clone(&conn);
            if request.body().is_end_stream() {
                conn.set_working(true);
            }
            let arriving = |body| Arriving {
                body,
                conn: Arc::clone(&conn),
            };
            let mut request =
                request.map(|body| Body::new(DeadlineBody::new(body_deadline, arriving(body))));
            request.extensions_mut().insert(ConnectInfo(peer));
            request
                .extensions_mut()
                .insert(Connection(Arc::clone(&conn)));
            let answer = app.clone().oneshot(request);
            let streams_stop = streams_stop.clone();
            async move {
                let response = answer.await?;
                // Answered, perhaps before the body was read (a refusal): working until sent.
                conn.set_working(true);
                let until = is_event_stream(&response).then(|| stream_end(streams_stop));
                Ok::<_, Infallible>(response.map(|body| Answering { body, conn, until }))
            }
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let mut stopping = stopping.clone();
        let watching = watching.clone();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let served = tokio::select! {
                served = connection.as_mut() => served,
                // Shed to make room; dropping it closes it. It had no request being answered
                // when chosen; one that arrived since is cut (rare, and only ever on an
                // unproven connection of the address holding the most).
                () = slot.conn.closing.notified() => Ok(()),
                _ = stopping.changed() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = served {
                // Timeouts, resets and half-sent requests: the client's doing, not ours.
                tracing::debug!(%error, "connection ended");
            }
            drop(slot);
            drop(watching);
        });
    }
    drop(listener);
    drop(stop);
    drop(watching);
    if tokio::time::timeout(DRAIN_LIMIT, running.closed())
        .await
        .is_err()
    {
        tracing::warn!(
            open = running.receiver_count(),
            "shutdown did not wait for every connection to finish"
        );
    }
    Ok(())
}

/// The connection a request came on, in the request's extensions: the app marks it proven
/// ([`Connection::prove`]) once it has verified a device token or staff session sent on it.
/// Only the accept loop makes one, so no client can claim to be proven.
#[derive(Clone)]
pub struct Connection(Arc<Conn>);

impl Connection {
    /// A request on this connection carried a valid credential: from now on it is never
    /// closed to make room for another.
    pub fn prove(&self) {
        self.0.proven.store(true, Ordering::Relaxed);
    }

    /// A connection outside any accept loop, for handler tests.
    #[cfg(test)]
    pub(crate) fn detached() -> Self {
        Self(Arc::default())
    }

    #[cfg(test)]
    pub(crate) fn is_proven(&self) -> bool {
        self.0.proven.load(Ordering::Relaxed)
    }
}

/// What the accept loop knows of one open connection, shared with its task and its requests.
#[derive(Debug, Default)]
struct Conn {
    /// A request on it carried a valid device token or staff session.
    proven: AtomicBool,
    /// The app owes an answer on it: its request has arrived in full (or been answered
    /// early), and the response is not yet sent. A request whose body is still trickling in
    /// does not count, or a flood could hold every place with bodies sent a byte a minute.
    working: AtomicBool,
    /// Set when the connection is shed; its task then closes it.
    shed: AtomicBool,
    closing: Notify,
}

impl Conn {
    fn set_working(&self, working: bool) {
        self.working.store(working, Ordering::Relaxed);
    }

    /// Whether it may be closed to make room for a newcomer.
    fn sheddable(&self) -> bool {
        !self.proven.load(Ordering::Relaxed) && !self.working.load(Ordering::Relaxed)
    }

    fn shed(&self) {
        self.shed.store(true, Ordering::Relaxed);
        // Stored as a permit if the task is not waiting yet.
        self.closing.notify_one();
    }
}

/// A request's body, which marks its connection working once the whole body is in.
struct Arriving {
    body: Incoming,
    conn: Arc<Conn>,
}

impl hyper::body::Body for Arriving {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) || this.body.is_end_stream() {
            this.conn.set_working(true);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Whether a response is an event stream, which runs until the client leaves.
fn is_event_stream(response: &axum::response::Response) -> bool {
    response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/event-stream"))
}

/// Completes when the server begins to stop (its sender is dropped).
fn stream_end(mut stopping: watch::Receiver<()>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        // Only ever an error: the sender never sends, it is dropped.
        let _ = stopping.changed().await;
    })
}

/// A response's body; when hyper has sent it (or given up), the connection is idle again.
struct Answering {
    body: Body,
    conn: Arc<Conn>,
    /// For an event stream: ends the body, cleanly, when the server stops.
    until: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl hyper::body::Body for Answering {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if let Some(until) = &mut this.until
            && until.as_mut().poll(cx).is_ready()
        {
            // The end of the body: hyper sends the last chunk, and graceful shutdown then
            // closes the connection instead of waiting for an end that never comes.
            return Poll::Ready(None);
        }
        Pin::new(&mut this.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        // HTTP/1 answers one request at a time, so the next cannot have begun.
        self.conn.set_working(false);
    }
}

/// The open connections, by peer address and in the order they were opened.
struct Slots {
    caps: Caps,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    total: usize,
    /// Each address's connections by when they were opened (`next` at the time).
    by_peer: HashMap<IpAddr, BTreeMap<u64, Arc<Conn>>>,
    next: u64,
}

/// One open connection's place; dropping it frees the place (unless it was shed, which freed
/// it already).
struct Slot {
    slots: Arc<Slots>,
    peer: IpAddr,
    id: u64,
    conn: Arc<Conn>,
}

impl Slots {
    fn new(caps: Caps) -> Arc<Self> {
        Arc::new(Self {
            caps,
            open: Mutex::new(Open::default()),
        })
    }

    /// A place for a new connection from `peer`, shedding another if every place is taken
    /// (see the module's text); `None` if it must be refused.
    fn claim(self: &Arc<Self>, peer: IpAddr) -> Option<Slot> {
        let peer = peer.to_canonical();
        let mut open = self.lock();
        let mine = open.by_peer.get(&peer).map_or(0, BTreeMap::len);
        if mine >= self.caps.per_peer {
            return None;
        }
        if open.total >= self.caps.total {
            open.shed_for(mine)?.shed();
        }
        let id = open.next;
        open.next += 1;
        let conn = Arc::new(Conn::default());
        open.by_peer
            .entry(peer)
            .or_default()
            .insert(id, Arc::clone(&conn));
        open.total += 1;
        Some(Slot {
            slots: Arc::clone(self),
            peer,
            id,
            conn,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Open {
    /// Takes out the connection to close for a newcomer whose address holds `mine`: the
    /// oldest that is neither proven nor working, of the address holding the most; if that
    /// address has none, of the next, down to addresses holding more than `mine`. Shedding
    /// from an address no heavier than the newcomer's would only trade places.
    fn shed_for(&mut self, mine: usize) -> Option<Arc<Conn>> {
        let mut heavier: Vec<(usize, IpAddr)> = self
            .by_peer
            .iter()
            .filter(|(_, conns)| conns.len() > mine)
            .map(|(peer, conns)| (conns.len(), *peer))
            .collect();
        heavier.sort_unstable_by(|a, b| b.cmp(a));
        for (_, peer) in heavier {
            let Some(conns) = self.by_peer.get_mut(&peer) else {
                continue;
            };
            let Some(id) = conns
                .iter()
                .find(|(_, conn)| conn.sheddable())
                .map(|(id, _)| *id)
            else {
                continue;
            };
            let victim = conns.remove(&id);
            if conns.is_empty() {
                self.by_peer.remove(&peer);
            }
            self.total = self.total.saturating_sub(1);
            return victim;
        }
        None
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.lock();
        let Some(conns) = open.by_peer.get_mut(&self.peer) else {
            return;
        };
        if conns.remove(&self.id).is_none() {
            return;
        }
        if conns.is_empty() {
            open.by_peer.remove(&self.peer);
        }
        open.total = open.total.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests;
