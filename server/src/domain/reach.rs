//! Whether members' phones can reach the home: the address the kiosk's QR code points at, and
//! what is wrong when no phone on the venue network could open it.
//!
//! The classic first-day failure: the home listens on 127.0.0.1 while the QR code shows the
//! LAN address, so every phone check-in ends in "connection refused". The QR code must only
//! ever point at an address the home listens on, and the staffer must be told in words.

use std::net::{IpAddr, SocketAddr};

use super::home::split_authority;

/// The base of the phone pages' URLs, and why phones cannot use it, if they cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneAddress {
    /// `http(s)://host[:port]`, an address the home listens on.
    pub base: String,
    pub problem: Option<Unreachable>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreachable {
    /// The home listens on this machine's loopback only: no other device can connect.
    LoopbackOnly { listen: SocketAddr },
    /// The address the staffer gave names an IP the home does not listen on.
    NotListened { chosen: String, listen: SocketAddr },
    /// The address the staffer gave is not this machine's LAN address (any more: a router
    /// may have handed the box a new one).
    NotThisMachine { chosen: String, lan: IpAddr },
    /// The home listens on every interface, but the machine has no LAN address.
    NoNetwork,
}

impl Unreachable {
    /// What the staffer reads, at start and on the dashboard.
    pub fn message(&self) -> String {
        match self {
            Self::LoopbackOnly { listen } => format!(
                "kejia 只在本机地址 {listen} 上提供服务，手机和其他设备都无法打开签到页。\
                 请改用 --listen 0.0.0.0:{port} 启动，场馆网络中的手机才能扫码签到。",
                port = listen.port()
            ),
            Self::NotListened { chosen, listen } => format!(
                "手机访问地址 {chosen} 与 kejia 提供服务的地址 {listen} 不一致，按它扫码将无法打开签到页；\
                 签到屏暂时改用 kejia 实际提供服务的地址。请在「本站设置」中改正手机访问地址。"
            ),
            Self::NotThisMachine { chosen, lan } => format!(
                "手机访问地址 {chosen} 不是本机当前的局域网地址（{lan}），可能是路由器重新分配了地址；\
                 签到屏暂时改用本机当前的地址。请在「本站设置」中改正手机访问地址，或在路由器上为本机固定地址。"
            ),
            Self::NoNetwork => "本机尚未连接场馆网络（没有局域网地址），手机无法打开签到页。\
                                请连接网络后重启 kejia。"
                .to_owned(),
        }
    }
}

/// The address phones should open: the one the staffer chose when it is reachable, else one
/// worked out from where the home listens (`listen`) and this machine's LAN address (`lan`).
pub fn phone_address(
    listen: SocketAddr,
    chosen: Option<&str>,
    lan: Option<IpAddr>,
) -> PhoneAddress {
    let derived = derived(listen, lan);
    let Some(chosen) = chosen else {
        return derived;
    };
    match chosen_problem(listen, chosen, lan) {
        None => PhoneAddress {
            base: chosen.to_owned(),
            problem: None,
        },
        Some(problem) => PhoneAddress {
            base: derived.base,
            problem: Some(problem),
        },
    }
}

/// `http://{address}:{port}` for where the home listens.
fn derived(listen: SocketAddr, lan: Option<IpAddr>) -> PhoneAddress {
    let port = listen.port();
    let ip = listen.ip();
    if ip.is_loopback() {
        return PhoneAddress {
            base: base(ip, port),
            problem: Some(Unreachable::LoopbackOnly { listen }),
        };
    }
    if !ip.is_unspecified() {
        return PhoneAddress {
            base: base(ip, port),
            problem: None,
        };
    }
    match lan {
        Some(lan) => PhoneAddress {
            base: base(lan, port),
            problem: None,
        },
        None => PhoneAddress {
            base: base(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), port),
            problem: Some(Unreachable::NoNetwork),
        },
    }
}

fn base(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(v4) => format!("http://{v4}:{port}"),
        IpAddr::V6(v6) => format!("http://[{v6}]:{port}"),
    }
}

/// Why a chosen address cannot reach this home. Only what is certain is flagged: an address on
/// another port may go through a reverse proxy, and a host name may resolve anywhere.
fn chosen_problem(listen: SocketAddr, chosen: &str, lan: Option<IpAddr>) -> Option<Unreachable> {
    let (https, authority) = match chosen.strip_prefix("https://") {
        Some(rest) => (true, rest),
        None => (false, chosen.strip_prefix("http://")?),
    };
    let (host, port) = split_authority(authority)?;
    let port = match port {
        Some(digits) => digits.parse::<u16>().ok()?,
        None if https => 443,
        None => 80,
    };
    if port != listen.port() {
        return None;
    }
    let host_ip: Option<IpAddr> = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok();
    let host_is_local = host == "localhost" || host_ip.is_some_and(|ip| ip.is_loopback());
    if listen.ip().is_loopback() {
        return (!host_is_local).then_some(Unreachable::LoopbackOnly { listen });
    }
    let host_ip = host_ip?;
    if !listen.ip().is_unspecified() && host_ip != listen.ip() {
        return Some(Unreachable::NotListened {
            chosen: chosen.to_owned(),
            listen,
        });
    }
    match lan {
        Some(lan) if listen.ip().is_unspecified() && !host_ip.is_loopback() && host_ip != lan => {
            Some(Unreachable::NotThisMachine {
                chosen: chosen.to_owned(),
                lan,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    fn lan() -> Option<IpAddr> {
        Some("192.168.1.20".parse().unwrap())
    }

    #[test]
    fn listening_everywhere_points_phones_at_the_lan_address() {
        let address = phone_address(at("0.0.0.0:8080"), None, lan());
        assert_eq!(address.base, "http://192.168.1.20:8080");
        assert_eq!(address.problem, None);
    }

    #[test]
    fn listening_on_loopback_keeps_the_qr_on_loopback_and_says_why() {
        let address = phone_address(at("127.0.0.1:8080"), None, lan());
        assert_eq!(address.base, "http://127.0.0.1:8080");
        let problem = address.problem.unwrap();
        assert!(matches!(problem, Unreachable::LoopbackOnly { .. }));
        assert!(problem.message().contains("--listen 0.0.0.0:8080"));
    }

    #[test]
    fn a_chosen_lan_address_while_listening_on_loopback_is_not_used() {
        let address = phone_address(
            at("127.0.0.1:8080"),
            Some("http://192.168.1.20:8080"),
            lan(),
        );
        assert_eq!(address.base, "http://127.0.0.1:8080");
        assert!(matches!(
            address.problem,
            Some(Unreachable::LoopbackOnly { .. })
        ));
    }

    #[test]
    fn a_chosen_address_on_another_ip_falls_back_to_the_listened_one() {
        let address = phone_address(
            at("192.168.1.20:8080"),
            Some("http://192.168.1.99:8080"),
            lan(),
        );
        assert_eq!(address.base, "http://192.168.1.20:8080");
        assert!(matches!(
            address.problem,
            Some(Unreachable::NotListened { .. })
        ));
    }

    #[test]
    fn a_stale_lan_address_is_replaced_by_the_current_one() {
        let address = phone_address(at("0.0.0.0:8080"), Some("http://192.168.1.7:8080"), lan());
        assert_eq!(address.base, "http://192.168.1.20:8080");
        let problem = address.problem.unwrap();
        assert!(
            problem.message().contains("192.168.1.20"),
            "{}",
            problem.message()
        );
    }

    #[test]
    fn a_proxy_or_a_host_name_is_trusted() {
        for chosen in [
            "https://kejia.example.cn",
            "http://192.168.1.20",
            "http://kejia.local:8080",
        ] {
            let address = phone_address(at("0.0.0.0:8080"), Some(chosen), lan());
            assert_eq!(
                address,
                PhoneAddress {
                    base: chosen.into(),
                    problem: None
                }
            );
        }
    }

    #[test]
    fn no_network_is_said_plainly() {
        let address = phone_address(at("0.0.0.0:8080"), None, None);
        assert_eq!(address.problem, Some(Unreachable::NoNetwork));
        assert_eq!(address.base, "http://127.0.0.1:8080");
    }

    #[test]
    fn ipv6_addresses_are_bracketed() {
        let address = phone_address(at("[fd00::20]:8080"), None, None);
        assert_eq!(address.base, "http://[fd00::20]:8080");
    }
}
