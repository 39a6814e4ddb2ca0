//! A TCP proxy between a home and its hub that misbehaves on purpose: it cuts connections in
//! the middle of a request or of a response, delays, and sends requests twice. Each new
//! connection takes the next fault in turn, so every fault happens many times in a long sync.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Pass,
    /// Forwards part of the request, then closes both sides.
    CutRequest,
    /// Forwards the request, then only part of the answer, then closes.
    CutResponse,
    /// Holds every chunk for a while.
    Delay,
    /// Sends the request to the hub a second time on its own connection.
    Repeat,
}

pub const EVERY_FAULT: [Fault; 5] = [
    Fault::CutRequest,
    Fault::CutResponse,
    Fault::Pass,
    Fault::Delay,
    Fault::Repeat,
];

pub struct Proxy {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    pub connections: Arc<AtomicUsize>,
}

impl Proxy {
    pub fn start(upstream: SocketAddr, faults: &'static [Fault]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let (stop_flag, count) = (stop.clone(), connections.clone());
        std::thread::spawn(move || {
            while !stop_flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let n = count.fetch_add(1, Ordering::Relaxed);
                        let fault = faults[n % faults.len()];
                        std::thread::spawn(move || serve(client, upstream, fault));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Self {
            addr,
            stop,
            connections,
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(mut client: TcpStream, upstream: SocketAddr, fault: Fault) {
    let _ = client.set_nonblocking(false);
    let Ok(mut hub) = TcpStream::connect(upstream) else {
        return;
    };
    let _ = client.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = hub.set_read_timeout(Some(Duration::from_secs(30)));
    let first = read_request(&mut client);
    if first.is_empty() {
        return;
    }
    match fault {
        Fault::CutRequest => {
            let _ = hub.write_all(&first[..first.len() / 2]);
            let _ = hub.shutdown(Shutdown::Both);
            let _ = client.shutdown(Shutdown::Both);
            return;
        }
        Fault::Repeat => {
            if let Ok(mut again) = TcpStream::connect(upstream) {
                let _ = again.write_all(&first);
                let _ = again.set_read_timeout(Some(Duration::from_secs(30)));
                let mut sink = [0u8; 4096];
                let _ = again.read(&mut sink);
            }
        }
        Fault::Delay => std::thread::sleep(Duration::from_millis(300)),
        Fault::Pass | Fault::CutResponse => {}
    }
    if hub.write_all(&first).is_err() {
        return;
    }
    if fault == Fault::CutResponse {
        let mut buffer = [0u8; 64];
        if let Ok(n) = hub.read(&mut buffer) {
            let _ = client.write_all(&buffer[..n.min(20)]);
        }
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    pump(client, hub);
}

/// One HTTP request: headers and the body its Content-Length announces.
fn read_request(client: &mut TcpStream) -> Vec<u8> {
    let mut data = Vec::new();
    let mut buffer = [0u8; 16384];
    loop {
        let Ok(n) = client.read(&mut buffer) else {
            return data;
        };
        if n == 0 {
            return data;
        }
        data.extend_from_slice(&buffer[..n]);
        if let Some(end) = find(&data, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                return data;
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Copies both ways until either side closes.
fn pump(client: TcpStream, hub: TcpStream) {
    let (Ok(mut client_read), Ok(mut hub_read)) = (client.try_clone(), hub.try_clone()) else {
        return;
    };
    let (mut client_write, mut hub_write) = (client, hub);
    let upward = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_read, &mut hub_write);
        let _ = hub_write.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut hub_read, &mut client_write);
    let _ = client_write.shutdown(Shutdown::Both);
    let _ = upward.join();
}
