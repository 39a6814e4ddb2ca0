//! Where phones reach this home, as seen from the running server: the address it listens on,
//! this machine's LAN address, and the staffer's chosen address (decided in `domain::reach`).

use std::net::{IpAddr, UdpSocket};

use crate::domain::reach::{self, PhoneAddress};
use crate::http::AppState;

/// The phone pages' base URL and what stops phones from using it. In handler tests, which
/// never listen, the caller's `Host` header stands in for the listening address.
pub fn phone_address(state: &AppState, host_header: Option<&str>) -> PhoneAddress {
    let chosen = state.profile().phone_base;
    match state.listening.get() {
        Some(listen) => reach::phone_address(*listen, chosen.as_deref(), lan_ip()),
        None => PhoneAddress {
            base: chosen.unwrap_or_else(|| lan_base(lan_ip(), host_header)),
            problem: None,
        },
    }
}

/// This machine's address on the local network: the source address the system would use to
/// reach a public address. Connecting a UDP socket only picks a route; no packet is sent.
fn lan_ip() -> Option<IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// `http://{LAN address}:{port}`, with the port the caller reached us on (from its `Host`
/// header); without a LAN address, the host the caller used.
fn lan_base(lan: Option<IpAddr>, host_header: Option<&str>) -> String {
    let (called_host, port) = host_header
        .and_then(split_host)
        .unwrap_or(("localhost", None));
    let host = match lan {
        Some(IpAddr::V6(ip)) => format!("[{ip}]"),
        Some(IpAddr::V4(ip)) => ip.to_string(),
        None => called_host.to_owned(),
    };
    match port {
        Some(port) => format!("http://{host}:{port}"),
        None => format!("http://{host}"),
    }
}

/// A `Host` header's host and port, if it is well formed (it is the caller's to write, and it
/// ends up in a URL).
fn split_host(header: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = match header.rfind(':') {
        // A colon inside brackets belongs to an IPv6 address, not to a port.
        Some(at) if !header[at..].contains(']') => (&header[..at], Some(&header[at + 1..])),
        _ => (header, None),
    };
    let port = match port {
        Some(digits) if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) => {
            return None;
        }
        Some(digits) => Some(digits.parse().ok()?),
        None => None,
    };
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => !v6.is_empty() && v6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':'),
        None => {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        }
    };
    host_ok.then_some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lan_base_takes_the_callers_port() {
        let lan: IpAddr = "192.168.1.20".parse().unwrap();
        assert_eq!(
            lan_base(Some(lan), Some("127.0.0.1:8080")),
            "http://192.168.1.20:8080"
        );
        assert_eq!(
            lan_base(Some(lan), Some("localhost")),
            "http://192.168.1.20"
        );
        assert_eq!(lan_base(Some(lan), None), "http://192.168.1.20");
        let v6: IpAddr = "fd00::20".parse().unwrap();
        assert_eq!(
            lan_base(Some(v6), Some("[::1]:8080")),
            "http://[fd00::20]:8080"
        );
    }

    #[test]
    fn without_a_lan_address_the_callers_host_is_used() {
        assert_eq!(
            lan_base(None, Some("kejia.local:8080")),
            "http://kejia.local:8080"
        );
        assert_eq!(lan_base(None, Some("[::1]:8080")), "http://[::1]:8080");
        assert_eq!(lan_base(None, None), "http://localhost");
        // A malformed Host header is not copied into the URL.
        assert_eq!(lan_base(None, Some("evil/x:80")), "http://localhost");
        assert_eq!(lan_base(None, Some("host:80x")), "http://localhost");
    }
}
