//! The accept loop's tests: the shedding policy on its own with small caps, then the loop
//! itself on loopback, with a real home's router where the app must vouch for a connection.

use super::*;

fn at(last: u8) -> IpAddr {
    [192, 168, 1, last].into()
}

/// `n` places for `peer`, which must all be given.
fn claim_n(slots: &Arc<Slots>, peer: IpAddr, n: usize) -> Vec<Slot> {
    (0..n)
        .map(|_| slots.claim(peer).expect("a place"))
        .collect()
}

fn held_by(slots: &Slots, peer: IpAddr) -> usize {
    slots.lock().by_peer.get(&peer).map_or(0, BTreeMap::len)
}

fn shed(slot: &Slot) -> bool {
    slot.conn.shed.load(Ordering::Relaxed)
}

#[test]
fn one_peer_cannot_take_more_than_its_cap_and_closed_connections_free_theirs() {
    let slots = Slots::new(Caps {
        total: 10,
        per_peer: 3,
    });
    let greedy = at(66);
    let held = claim_n(&slots, greedy, 3);
    assert!(slots.claim(greedy).is_none(), "over the per-peer cap");
    let mapped: IpAddr = "::ffff:192.168.1.66".parse().expect("address");
    assert!(slots.claim(mapped).is_none(), "the same peer over IPv6");
    let door = slots.claim(at(20)).expect("another address has room");
    drop(held);
    let again = slots.claim(greedy);
    assert!(again.is_some(), "freed on close");
    assert_eq!(slots.lock().total, 2);
    drop((door, again));
    assert_eq!(slots.lock().total, 0);
    assert!(slots.lock().by_peer.is_empty());
}

#[test]
fn when_full_the_heaviest_address_gives_way_oldest_connection_first() {
    let slots = Slots::new(Caps {
        total: 6,
        per_peer: 4,
    });
    let heavy = claim_n(&slots, at(1), 4);
    let light = claim_n(&slots, at(2), 2);
    let first = slots.claim(at(3)).expect("a fresh address gets in");
    assert!(shed(&heavy[0]), "the heaviest address's oldest");
    assert!(!heavy[1..].iter().chain(&light).any(shed));
    assert_eq!((held_by(&slots, at(1)), slots.lock().total), (3, 6));

    let second = slots.claim(at(3)).expect("still fewer than the heaviest");
    assert!(shed(&heavy[1]));
    assert!(!light.iter().any(shed));

    // Now 2, 2 and 2: nobody holds more than the newcomer's address, so it is refused
    // rather than trading places.
    assert!(slots.claim(at(3)).is_none());
    assert!(!heavy[2..].iter().chain(&light).any(shed));
    assert_eq!(slots.lock().total, 6);

    // A shed connection's place is not freed twice when its task ends.
    drop(heavy);
    assert_eq!(slots.lock().total, 4);
    drop((light, first, second));
    assert_eq!(slots.lock().total, 0);
    assert!(slots.lock().by_peer.is_empty());
}

#[test]
fn proven_and_working_connections_are_never_shed() {
    let slots = Slots::new(Caps {
        total: 5,
        per_peer: 5,
    });
    let heavy = claim_n(&slots, at(1), 5);
    heavy[0].conn.proven.store(true, Ordering::Relaxed);
    heavy[1].conn.set_working(true);
    let fresh = slots.claim(at(2)).expect("an idle one can go");
    fresh.conn.set_working(true);
    assert!(!shed(&heavy[0]) && !shed(&heavy[1]));
    assert!(shed(&heavy[2]), "the oldest idle one");

    heavy[3].conn.proven.store(true, Ordering::Relaxed);
    heavy[4].conn.set_working(true);
    assert!(
        slots.claim(at(3)).is_none(),
        "nothing left to shed: refused"
    );
    assert!(!heavy.iter().skip(3).any(shed));

    // Its answer sent, a working connection may go again; a proven one never.
    heavy[4].conn.set_working(false);
    let _third = slots.claim(at(3)).expect("room again");
    assert!(shed(&heavy[4]) && !shed(&heavy[0]) && !shed(&heavy[3]));
}

#[test]
fn when_the_heaviest_address_has_nothing_to_shed_the_next_heaviest_gives_way() {
    let slots = Slots::new(Caps {
        total: 7,
        per_peer: 4,
    });
    let kiosks = claim_n(&slots, at(1), 4);
    for slot in &kiosks {
        slot.conn.proven.store(true, Ordering::Relaxed);
    }
    let phones = claim_n(&slots, at(2), 2);
    let other = claim_n(&slots, at(3), 1);
    let _fresh = slots.claim(at(4)).expect("a fresh address gets in");
    assert!(shed(&phones[0]));
    assert!(!kiosks.iter().chain(&other).any(shed));
    // The fresh address holds one now, as many as anyone sheddable: refused.
    assert!(slots.claim(at(4)).is_none());
}

#[test]
fn a_fresh_address_is_admitted_as_long_as_anything_can_be_shed() {
    let slots = Slots::new(Caps {
        total: 24,
        per_peer: 8,
    });
    let flood: Vec<Slot> = (1..=3).flat_map(|n| claim_n(&slots, at(n), 8)).collect();
    // Every third flood connection is mid-answer, and one in four proven (a staffer
    // behind the same NAT, say).
    for (n, slot) in flood.iter().enumerate() {
        slot.conn.set_working(n % 3 == 0);
        slot.conn.proven.store(n % 4 == 1, Ordering::Relaxed);
    }
    let sheddable = flood.iter().filter(|slot| slot.conn.sheddable()).count();
    // Each newcomer's request is being answered, so newcomers do not shed each other.
    let fresh: Vec<Option<Slot>> = (100..140)
        .map(|n| {
            let slot = slots.claim(at(n));
            if let Some(slot) = &slot {
                slot.conn.set_working(true);
            }
            slot
        })
        .collect();
    let admitted = fresh.iter().take_while(|slot| slot.is_some()).count();
    assert_eq!(
        admitted, sheddable,
        "one newcomer per connection that could go"
    );
    assert!(fresh[admitted..].iter().all(Option::is_none));
    assert_eq!(flood.iter().filter(|slot| shed(slot)).count(), sheddable);
    assert!(
        flood
            .iter()
            .filter(|slot| shed(slot))
            .all(|slot| slot.conn.sheddable()),
        "only idle, unproven ones went"
    );
    assert_eq!(slots.lock().total, 24);
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

/// A home with a kiosk token and a staff session: (home, token, cookie, its folder).
async fn home() -> (crate::Home, String, String, tempfile::TempDir) {
    use crate::clock::{Clock, FixedClock};
    use crate::domain::access::{DeviceRole, StaffRole, Username};
    let dir = tempfile::tempdir().expect("dir");
    let settings = crate::config::RawConfig::default()
        .check(dir.path().to_owned())
        .expect("settings");
    let clock = Arc::new(FixedClock::at("2026-03-02T06:00:00Z".parse().expect("now")));
    let at = clock.now();
    let home = crate::Home::open_with_clock(settings, clock).expect("home");
    let token = crate::accounts::add_token(&home.state.store, "门口", DeviceRole::Kiosk, at)
        .await
        .expect("token");
    let session = crate::secrets::new_token("").expect("session");
    let hash = crate::secrets::token_hash(&session);
    home.state
        .store
        .write(move |conn| {
            let name = Username::parse("staff").expect("name");
            let user = crate::store::users::insert(conn, &name, "no-hash", StaffRole::Staff, at)?;
            let until = at + crate::web::auth::SESSION_LENGTH;
            crate::store::users::create_session(conn, user.id, &hash, at, until)
        })
        .await
        .expect("session");
    (home, token, format!("kejia_session={session}"), dir)
}

#[tokio::test]
async fn only_a_verified_token_or_session_proves_a_connection() {
    let (home, token, cookie, _dir) = home().await;
    let cases = [
        ("authorization", format!("Bearer {token}"), true),
        ("cookie", cookie, true),
        ("authorization", "Bearer kjt_forged".to_owned(), false),
        ("cookie", "kejia_session=forged".to_owned(), false),
        ("x-nothing", String::new(), false),
    ];
    for (header, value, proven) in cases {
        let connection = Connection::detached();
        let mut request = axum::http::Request::get("/api/v1/kiosk/status")
            .header(header, &value)
            .body(Body::empty())
            .expect("request");
        request.extensions_mut().insert(connection.clone());
        let response = home.router().oneshot(request).await.expect("response");
        assert_eq!(response.status().is_success(), proven, "{header}: {value}");
        assert_eq!(connection.is_proven(), proven, "{header}: {value}");
    }
}

/// A connection to `to` from the loopback address `source` (another host, as the server
/// sees it).
async fn connect_from(source: [u8; 4], to: std::net::SocketAddr) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind((IpAddr::from(source), 0).into()).expect("bind");
    socket.connect(to).await.expect("connect")
}

/// Sends a GET for `path` on `stream` (kept alive) and returns the answer's status, or
/// `None` if the connection was closed.
async fn get(stream: &mut tokio::net::TcpStream, path: &str, header: &str) -> Option<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let request = format!("GET {path} HTTP/1.1\r\nHost: kejia\r\n{header}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&seen).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|line| {
                    line.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(str::to_owned)
                })
                .and_then(|n| n.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if body.len() >= length {
                return head.get(9..12).and_then(|status| status.parse().ok());
            }
        }
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) | Err(_) => return None,
            Ok(Ok(n)) => seen.extend_from_slice(&buffer[..n]),
        }
    }
}

#[tokio::test]
async fn a_newcomer_takes_the_place_of_the_oldest_unproven_idle_connection_never_a_proven_one() {
    let (home, token, _, _dir) = home().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let limits = Limits {
        header_read_timeout: Duration::from_secs(30),
        body_deadline: Duration::from_secs(30),
        caps: Caps {
            total: 4,
            per_peer: 4,
        },
    };
    tokio::spawn(serve_with(
        listener,
        home.router(),
        std::future::pending(),
        limits,
    ));
    let bearer = format!("Authorization: Bearer {token}");

    // Four connections from one host fill the server, each answered once so it is surely
    // in: the door's (oldest), one with a forged token, two anonymous.
    let here = [127, 0, 0, 1];
    let mut door = connect_from(here, addr).await;
    assert_eq!(
        get(&mut door, "/api/v1/kiosk/status", &bearer).await,
        Some(200)
    );
    let mut forged = connect_from(here, addr).await;
    let wrong = "Authorization: Bearer kjt_forged";
    assert_eq!(
        get(&mut forged, "/api/v1/kiosk/status", wrong).await,
        Some(401)
    );
    let mut anonymous = Vec::new();
    for _ in 0..2 {
        let mut stream = connect_from(here, addr).await;
        assert_eq!(get(&mut stream, "/healthz", "").await, Some(200));
        anonymous.push(stream);
    }

    // A newcomer from another host gets in; the forged one's connection makes room.
    let mut newcomer = connect_from([127, 0, 0, 2], addr).await;
    assert_eq!(get(&mut newcomer, "/healthz", "").await, Some(200));
    assert_eq!(
        until_closed(&mut forged, Duration::from_secs(5))
            .await
            .as_deref(),
        Some("")
    );
    assert_eq!(
        get(&mut door, "/api/v1/kiosk/status", &bearer).await,
        Some(200)
    );

    // The next two newcomers take the anonymous ones' places, oldest first.
    let mut second = connect_from([127, 0, 0, 3], addr).await;
    assert_eq!(get(&mut second, "/healthz", "").await, Some(200));
    assert!(
        until_closed(&mut anonymous[0], Duration::from_secs(5))
            .await
            .is_some()
    );
    let mut third = connect_from([127, 0, 0, 4], addr).await;
    assert_eq!(get(&mut third, "/healthz", "").await, Some(200));
    assert!(
        until_closed(&mut anonymous[1], Duration::from_secs(5))
            .await
            .is_some()
    );

    // The door's connection, proven, outlasts them all.
    assert_eq!(
        get(&mut door, "/api/v1/kiosk/status", &bearer).await,
        Some(200)
    );
}

#[tokio::test]
async fn a_request_being_answered_keeps_its_connection_but_a_trickling_body_does_not() {
    use tokio::io::AsyncWriteExt;
    let (entered, mut handlers) = tokio::sync::mpsc::unbounded_channel();
    let release = Arc::new(Notify::new());
    let app = Router::new()
        .route(
            "/wait",
            axum::routing::get({
                let (entered, release) = (entered.clone(), Arc::clone(&release));
                move || async move {
                    let _ = entered.send(());
                    release.notified().await;
                    "done"
                }
            }),
        )
        .route(
            "/echo",
            axum::routing::post(move |body: Body| async move {
                let _ = entered.send(());
                let read = axum::body::to_bytes(body, 1024).await;
                read.map(|bytes| bytes.len().to_string())
                    .unwrap_or_default()
            }),
        )
        .route("/hi", axum::routing::get(|| async { "hi" }));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let limits = Limits {
        header_read_timeout: Duration::from_secs(30),
        body_deadline: Duration::from_secs(30),
        caps: Caps {
            total: 2,
            per_peer: 2,
        },
    };
    tokio::spawn(serve_with(listener, app, std::future::pending(), limits));

    // The older connection waits for its answer; the other has sent half its body.
    let here = [127, 0, 0, 1];
    let mut waiting = connect_from(here, addr).await;
    waiting
        .write_all(b"GET /wait HTTP/1.1\r\nHost: k\r\n\r\n")
        .await
        .expect("send");
    let mut trickling = connect_from(here, addr).await;
    trickling
        .write_all(b"POST /echo HTTP/1.1\r\nHost: k\r\nContent-Length: 10\r\n\r\nabc")
        .await
        .expect("send");
    for _ in 0..2 {
        handlers.recv().await.expect("a handler started");
    }

    // A newcomer gets the trickling one's place, not the one being answered.
    let mut newcomer = connect_from([127, 0, 0, 2], addr).await;
    assert_eq!(get(&mut newcomer, "/hi", "").await, Some(200));
    assert!(
        until_closed(&mut trickling, Duration::from_secs(5))
            .await
            .is_some(),
        "the trickling body's connection was closed"
    );
    release.notify_one();
    let mut seen = Vec::new();
    let mut buffer = [0u8; 256];
    while !String::from_utf8_lossy(&seen).ends_with("done") {
        let read = tokio::time::timeout(
            Duration::from_secs(5),
            tokio::io::AsyncReadExt::read(&mut waiting, &mut buffer),
        );
        match read.await {
            Ok(Ok(n)) if n > 0 => seen.extend_from_slice(&buffer[..n]),
            other => panic!("no answer ({other:?}): {}", String::from_utf8_lossy(&seen)),
        }
    }
    assert!(seen.starts_with(b"HTTP/1.1 200"));
}
