//! Login rate limiting. Ten wrong passwords in a row for one username, or from one address,
//! lock that username or address out for fifteen minutes; the lock holds even for the right
//! password, or guessing would simply go on. A success clears the username's count.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: u32 = 10;
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// Entries kept at most; the oldest are forgotten first (a flood of made-up names cannot
/// grow memory without bound).
const MAX_ENTRIES: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    User(u64),
    Peer(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    last: Instant,
}

#[derive(Default)]
pub struct LoginThrottle {
    records: Mutex<HashMap<Key, Record>>,
}

impl LoginThrottle {
    /// How long until this login may be tried, if it is locked out now.
    pub fn locked_for(
        &self,
        username: &str,
        peer: Option<IpAddr>,
        now: Instant,
    ) -> Option<Duration> {
        let records = self.lock();
        keys(username, peer)
            .filter_map(|key| records.get(&key))
            .filter(|r| r.failures >= MAX_FAILURES)
            .filter_map(|r| LOCKOUT.checked_sub(now.saturating_duration_since(r.last)))
            .filter(|left| !left.is_zero())
            .max()
    }

    pub fn failed(&self, username: &str, peer: Option<IpAddr>, now: Instant) {
        let mut records = self.lock();
        if records.len() >= MAX_ENTRIES {
            records.retain(|_, r| now.saturating_duration_since(r.last) < LOCKOUT);
        }
        for key in keys(username, peer) {
            let record = records.entry(key).or_insert(Record {
                failures: 0,
                last: now,
            });
            if now.saturating_duration_since(record.last) >= LOCKOUT {
                record.failures = 0;
            }
            record.failures = record.failures.saturating_add(1);
            record.last = now;
        }
    }

    pub fn succeeded(&self, username: &str) {
        self.lock().remove(&user_key(username));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Record>> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn keys(username: &str, peer: Option<IpAddr>) -> impl Iterator<Item = Key> {
    std::iter::once(user_key(username)).chain(peer.map(Key::Peer))
}

fn user_key(username: &str) -> Key {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    username.trim().to_lowercase().hash(&mut hasher);
    Key::User(hasher.finish())
}

/// How a lockout reads to the user.
pub fn lockout_message(left: Duration) -> String {
    let minutes = left.as_secs().div_ceil(60).max(1);
    format!("登录失败次数过多，请 {minutes} 分钟后再试")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_failures_lock_the_name_even_for_the_right_password() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for i in 0..MAX_FAILURES {
            assert_eq!(
                throttle.locked_for("Staff", None, start),
                None,
                "attempt {i}"
            );
            throttle.failed("staff", None, start);
        }
        assert!(throttle.locked_for("staff", None, start).is_some());
        assert!(
            throttle
                .locked_for("STAFF ", None, start + Duration::from_secs(60))
                .is_some()
        );
        assert_eq!(throttle.locked_for("staff", None, start + LOCKOUT), None);
        assert_eq!(throttle.locked_for("other", None, start), None);
    }

    #[test]
    fn one_address_trying_many_names_is_locked_too() {
        let throttle = LoginThrottle::default();
        let peer: IpAddr = [192, 168, 1, 9].into();
        let now = Instant::now();
        for i in 0..MAX_FAILURES {
            throttle.failed(&format!("name{i}"), Some(peer), now);
        }
        assert!(throttle.locked_for("anyone", Some(peer), now).is_some());
        assert_eq!(
            throttle.locked_for("anyone", Some([10, 0, 0, 1].into()), now),
            None
        );
    }

    #[test]
    fn a_success_clears_the_count() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..MAX_FAILURES - 1 {
            throttle.failed("staff", None, now);
        }
        throttle.succeeded("staff");
        throttle.failed("staff", None, now);
        assert_eq!(throttle.locked_for("staff", None, now), None);
    }
}
