//! The accept loop of every kejia server (`kejia serve` and `kejia hub`), built on hyper's
//! HTTP/1 connection so that slow or idle connections cannot starve the door's check-ins
//! (slowloris). `axum::serve` has no header-read or idle timeout and no connection cap.
//!
//! What each connection gets:
//! - `TCP_NODELAY` (a response in more than one piece waited for the peer's delayed
//!   acknowledgement, up to 40 ms a time: most of what a sync push took on loopback);
//! - its peer address as axum's `ConnectInfo<SocketAddr>` (the login lockout and the phone
//!   pages' rate limits key on it);
//! - HTTP/1.1 keep-alive, and [`HEADER_READ_TIMEOUT`] to send each request's headers: hyper
//!   starts that timer when it waits for a request head, on a new connection and again on a
//!   kept-alive one after each response, and stops it once the head is in. So one timeout
//!   closes both a connection that is slow to send headers and one idle between requests,
//!   while a long response (the dashboard's server-sent events) is never cut.
//!
//! - [`BODY_DEADLINE`] to send a request's body, in all: a body trickled a byte at a time
//!   would otherwise hold its connection as long as the client liked.
//!
//! On shutdown the listener closes, idle connections are closed, requests in flight finish
//! (for at most [`DRAIN_LIMIT`]: an open event stream never finishes by itself).

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::serve::Listener;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
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

/// Open connections from one peer address at most. A browser opens up to six to one host and
/// keeps them only until [`HEADER_READ_TIMEOUT`] of idleness, so 256 covers some 40 phones
/// behind one venue NAT all loading pages in the same few seconds; a single hostile host
/// cannot take more than a quarter of [`MAX_CONNECTIONS`], and the kiosk (another address)
/// always finds a slot.
pub const MAX_CONNECTIONS_PER_PEER: usize = 256;

/// Open connections in all at most, so a few hosts cannot exhaust the file descriptors: the
/// systemd units allow 4096 (`LimitNOFILE`), and the database, the listener, the sync client
/// and a kiosk in the same process need some too.
pub const MAX_CONNECTIONS: usize = 1024;

/// How long a shutdown waits for requests in flight before it gives up on them.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` completes, then finishes the requests in
/// flight (see the module's text).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, app, shutdown, Limits::default()).await
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
        // axum's `Listener` retries (and logs) failed accepts, as `axum::serve` did.
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
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(|body| Body::new(DeadlineBody::new(body_deadline, body)));
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(request)
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let mut stopping = stopping.clone();
        let watching = watching.clone();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let served = tokio::select! {
                served = connection.as_mut() => served,
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

/// Counts of open connections, in all and per peer address.
struct Slots {
    caps: Caps,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    total: usize,
    by_peer: HashMap<IpAddr, usize>,
}

/// One open connection's place; dropping it frees the place.
struct Slot {
    slots: Arc<Slots>,
    peer: IpAddr,
}

impl Slots {
    fn new(caps: Caps) -> Arc<Self> {
        Arc::new(Self {
            caps,
            open: Mutex::new(Open::default()),
        })
    }

    fn claim(self: &Arc<Self>, peer: IpAddr) -> Option<Slot> {
        let peer = peer.to_canonical();
        let mut open = self.lock();
        let mine = open.by_peer.get(&peer).copied().unwrap_or(0);
        if open.total >= self.caps.total || mine >= self.caps.per_peer {
            return None;
        }
        open.total += 1;
        open.by_peer.insert(peer, mine + 1);
        Some(Slot {
            slots: Arc::clone(self),
            peer,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.lock();
        open.total = open.total.saturating_sub(1);
        if let Some(count) = open.by_peer.get_mut(&self.peer) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.by_peer.remove(&self.peer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_peer_cannot_take_every_slot_and_closed_connections_free_theirs() {
        let slots = Slots::new(Caps {
            total: 5,
            per_peer: 3,
        });
        let greedy: IpAddr = [192, 168, 1, 66].into();
        let held: Vec<Slot> = (0..3).filter_map(|_| slots.claim(greedy)).collect();
        assert_eq!(held.len(), 3);
        assert!(slots.claim(greedy).is_none(), "over the per-peer cap");
        let mapped: IpAddr = "::ffff:192.168.1.66".parse().expect("address");
        assert!(slots.claim(mapped).is_none(), "the same peer over IPv6");
        let kiosk: IpAddr = [192, 168, 1, 20].into();
        let door = slots.claim(kiosk).expect("another address has room");
        let other = slots.claim([192, 168, 1, 21].into()).expect("room");
        assert!(
            slots.claim([192, 168, 1, 22].into()).is_none(),
            "over the total cap"
        );
        drop(held);
        let again = slots.claim(greedy);
        assert!(again.is_some(), "freed on close");
        assert_eq!(slots.lock().total, 3);
        drop((door, other, again));
        assert_eq!(slots.lock().total, 0);
        assert!(slots.lock().by_peer.is_empty());
    }

    /// A server on loopback with short limits, running `app` until the test ends.
    async fn short_limits(app: Router) -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let limits = Limits {
            header_read_timeout: Duration::from_secs(1),
            body_deadline: Duration::from_secs(1),
            caps: Caps {
                total: 16,
                per_peer: 8,
            },
        };
        tokio::spawn(serve_with(listener, app, std::future::pending(), limits));
        addr
    }

    /// Everything the server sends until it closes the connection, if it does within `within`.
    async fn until_closed(stream: &mut tokio::net::TcpStream, within: Duration) -> Option<String> {
        use tokio::io::AsyncReadExt;
        let mut seen = Vec::new();
        let read = tokio::time::timeout(within, async {
            let mut buffer = [0u8; 1024];
            loop {
                match stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => seen.extend_from_slice(&buffer[..n]),
                }
            }
        })
        .await;
        read.ok()
            .map(|()| String::from_utf8_lossy(&seen).into_owned())
    }

    #[tokio::test]
    async fn a_body_trickled_past_its_deadline_is_refused_and_its_connection_closed() {
        use tokio::io::AsyncWriteExt;
        let app = Router::new().route(
            "/echo",
            axum::routing::post(|body: axum::body::Bytes| async move { body.len().to_string() }),
        );
        let addr = short_limits(app).await;

        let mut quick = tokio::net::TcpStream::connect(addr).await.expect("connect");
        quick
            .write_all(b"POST /echo HTTP/1.1\r\nHost: k\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
            .await
            .expect("send");
        let answer = until_closed(&mut quick, Duration::from_secs(10)).await;
        let answer = answer.expect("answered and closed");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("\r\n\r\n5"), "{answer}");

        // Headers on time, then a byte of the body every 300 ms: never idle, never done.
        let mut slow = tokio::net::TcpStream::connect(addr).await.expect("connect");
        slow.write_all(b"POST /echo HTTP/1.1\r\nHost: k\r\nContent-Length: 1000\r\n\r\n")
            .await
            .expect("send");
        let trickle = async {
            for _ in 0..100 {
                if slow.write_all(b"x").await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(3), trickle).await;
        let answer = until_closed(&mut slow, Duration::from_secs(10))
            .await
            .expect("the server closed the connection");
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    }
}
