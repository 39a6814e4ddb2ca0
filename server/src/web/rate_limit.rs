//! Counting what callers do, per key, to refuse floods. One [`Throttle`] design serves both
//! uses, each with its own [`Rule`]:
//!
//! - the login lockout: ten wrong passwords in a row for one username, or from one address,
//!   lock that username or address out for fifteen minutes; the lock holds even for the right
//!   password, or guessing would simply go on. A success clears the username's count.
//! - the phone pages' rate limits ([`PhoneLimits`]), per peer address.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: u32 = 10;
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// Entries one throttle keeps at most; expired ones are dropped first, then the oldest (a
/// flood of made-up names or addresses cannot grow memory without bound).
const MAX_ENTRIES: usize = 4096;

/// Where a count's window starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowStart {
    /// At the key's first event: a rate, "so many per minute".
    First,
    /// At the key's latest event: a lockout, which every new failure starts anew.
    Latest,
}

/// `max` events per key within `window`; the next one is refused until the window ends.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub max: u32,
    pub window: Duration,
    pub start: WindowStart,
}

#[derive(Debug, Clone, Copy)]
struct Record {
    count: u32,
    /// When the window started (see [`WindowStart`]).
    since: Instant,
}

impl Record {
    fn expired(&self, rule: &Rule, now: Instant) -> bool {
        now.saturating_duration_since(self.since) >= rule.window
    }
}

/// Counts per key under one rule.
pub struct Throttle<K> {
    rule: Rule,
    records: Mutex<HashMap<K, Record>>,
}

impl<K: Copy + Eq + Hash> Throttle<K> {
    pub fn new(rule: Rule) -> Self {
        Self {
            rule,
            records: Mutex::new(HashMap::new()),
        }
    }

    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// How long until `key` may act again, if it is refused now.
    pub fn refused_for(&self, key: K, now: Instant) -> Option<Duration> {
        let records = self.lock();
        let record = records.get(&key)?;
        self.left(record, now)
    }

    /// Counts one event of `key`.
    pub fn record(&self, key: K, now: Instant) {
        let mut records = self.lock();
        self.make_room(&mut records, &key, now);
        let record = records.entry(key).or_insert(Record {
            count: 0,
            since: now,
        });
        Self::count(&self.rule, record, now);
    }

    /// Counts one event of `key` unless it is refused: what a rate limit asks. A refused event
    /// is not counted, so a caller that waits as told gets in when the window ends.
    pub fn admit(&self, key: K, now: Instant) -> Result<(), Duration> {
        let mut records = self.lock();
        if let Some(left) = records.get(&key).and_then(|r| self.left(r, now)) {
            return Err(left);
        }
        self.make_room(&mut records, &key, now);
        let record = records.entry(key).or_insert(Record {
            count: 0,
            since: now,
        });
        Self::count(&self.rule, record, now);
        Ok(())
    }

    /// Forgets `key`'s count.
    pub fn forget(&self, key: K) {
        self.lock().remove(&key);
    }

    /// Takes one counted event of `key` back.
    pub fn take_back(&self, key: K) {
        if let Some(record) = self.lock().get_mut(&key) {
            record.count = record.count.saturating_sub(1);
        }
    }

    fn left(&self, record: &Record, now: Instant) -> Option<Duration> {
        if record.count < self.rule.max {
            return None;
        }
        self.rule
            .window
            .checked_sub(now.saturating_duration_since(record.since))
            .filter(|left| !left.is_zero())
    }

    fn count(rule: &Rule, record: &mut Record, now: Instant) {
        if record.expired(rule, now) {
            record.count = 0;
            record.since = now;
        }
        record.count = record.count.saturating_add(1);
        if rule.start == WindowStart::Latest {
            record.since = now;
        }
    }

    /// Before a new key goes in: forget expired counts, then (under a flood of live keys) the
    /// one whose window started longest ago.
    fn make_room(&self, records: &mut HashMap<K, Record>, key: &K, now: Instant) {
        if records.len() < MAX_ENTRIES || records.contains_key(key) {
            return;
        }
        records.retain(|_, r| !r.expired(&self.rule, now));
        if records.len() >= MAX_ENTRIES {
            let oldest = records.iter().min_by_key(|(_, r)| r.since).map(|(k, _)| *k);
            if let Some(oldest) = oldest {
                records.remove(&oldest);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Record>> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    User(u64),
    Peer(IpAddr),
}

/// Password checks that may run at once for one username, and for one address. Each check is
/// an argon2 verification (tens of milliseconds of a core, and memory): two let a staffer who
/// double-taps "登录" through, and keep a burst of parallel guesses from verifying faster than
/// the lockout can count them.
pub const MAX_CONCURRENT_CHECKS: u32 = 2;

/// The login lockout (see the module's text). An attempt counts as a failure from the moment
/// it is reserved, before its password is checked, and is taken back only on success: so
/// parallel guesses cannot all pass the lock before the first of them fails.
pub struct LoginThrottle {
    failures: Throttle<Key>,
    checking: Mutex<HashMap<Key, u32>>,
}

/// Why a login may not be tried now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotNow {
    /// Too many failures: locked for this long.
    LockedOut(Duration),
    /// Other checks for the same username or address are running.
    Busy,
}

/// One reserved login attempt: counted as a failure until [`Attempt::succeeded`] takes it
/// back; while it lives it holds one of its keys' [`MAX_CONCURRENT_CHECKS`] places.
#[must_use = "an attempt holds its place until dropped"]
pub struct Attempt<'a> {
    throttle: &'a LoginThrottle,
    keys: Vec<Key>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self {
            failures: Throttle::new(Rule {
                max: MAX_FAILURES,
                window: LOCKOUT,
                start: WindowStart::Latest,
            }),
            checking: Mutex::new(HashMap::new()),
        }
    }
}

impl LoginThrottle {
    /// Reserves an attempt for `username` from `peer`, unless it is locked out or too many
    /// checks for either are running.
    pub fn begin(
        &self,
        username: &str,
        peer: Option<IpAddr>,
        now: Instant,
    ) -> Result<Attempt<'_>, NotNow> {
        let keys: Vec<Key> = keys(username, peer).collect();
        // One lock around the whole decision: two racing attempts cannot both see nine.
        let mut checking = self.lock_checking();
        let locked = keys
            .iter()
            .filter_map(|key| self.failures.refused_for(*key, now))
            .max();
        if let Some(left) = locked {
            return Err(NotNow::LockedOut(left));
        }
        let busy = keys
            .iter()
            .any(|key| checking.get(key).copied().unwrap_or(0) >= MAX_CONCURRENT_CHECKS);
        if busy {
            return Err(NotNow::Busy);
        }
        for key in &keys {
            self.failures.record(*key, now);
            *checking.entry(*key).or_default() += 1;
        }
        Ok(Attempt {
            throttle: self,
            keys,
        })
    }

    fn lock_checking(&self) -> std::sync::MutexGuard<'_, HashMap<Key, u32>> {
        self.checking.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Attempt<'_> {
    /// The password was right: the username's count is cleared and the address's reserved
    /// failure taken back.
    pub fn succeeded(self) {
        for key in &self.keys {
            match key {
                Key::User(_) => self.throttle.failures.forget(*key),
                Key::Peer(_) => self.throttle.failures.take_back(*key),
            }
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        let mut checking = self.throttle.lock_checking();
        for key in &self.keys {
            if let Some(count) = checking.get_mut(key) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    checking.remove(key);
                }
            }
        }
    }
}

fn keys(username: &str, peer: Option<IpAddr>) -> impl Iterator<Item = Key> {
    std::iter::once(user_key(username)).chain(peer.map(|p| Key::Peer(p.to_canonical())))
}

fn user_key(username: &str) -> Key {
    use std::hash::Hasher;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    username.trim().to_lowercase().hash(&mut hasher);
    Key::User(hasher.finish())
}

/// What a login refused as [`NotNow::Busy`] reads; the caller may retry after a second.
pub const BUSY_MESSAGE: &str = "正在核对刚才的登录，请稍候几秒再试";

/// How a lockout reads to the user.
pub fn lockout_message(left: Duration) -> String {
    let minutes = left.as_secs().div_ceil(60).max(1);
    format!("登录失败次数过多，请 {minutes} 分钟后再试")
}

/// Requests to the phone pages (`/m/…`) per peer address and minute.
///
/// Set for the worst honest case, not the typical one: a whole group behind one venue Wi-Fi
/// NAT arrives with one address. A visitor's flow is two to four requests (scan → page,
/// form → answer, a corrected form or a reload), so 600 a minute lets 150 phones behind one
/// address go through it in the same minute; a lecture hall of a 科技工作者之家 seats far
/// fewer, and the door spreads arrivals over minutes anyway. A script still gets only ten
/// requests a second, and the room code's 48-bit MAC is out of reach at that rate.
pub const PHONE_PAGES: Rule = Rule {
    max: 600,
    window: Duration::from_secs(60),
    start: WindowStart::First,
};

/// Registration forms (`POST /m/register`) per peer address in ten minutes: each one can
/// create a member, so they get their own, lower limit. 200 covers a full hall of first-time
/// visitors behind one NAT registering within ten minutes (a form is typed in a minute or
/// two, and refused forms sent again count too); it keeps a script from filling the member
/// list with thousands of made-up people an hour.
pub const PHONE_REGISTRATIONS: Rule = Rule {
    max: 200,
    window: Duration::from_secs(10 * 60),
    start: WindowStart::First,
};

/// The phone pages' rate limits, per peer address. The kiosk never passes here: it checks in
/// through `/api/v1/checkins` with its token, so a busy door is never slowed by them.
pub struct PhoneLimits {
    pages: Throttle<IpAddr>,
    registrations: Throttle<IpAddr>,
}

impl Default for PhoneLimits {
    fn default() -> Self {
        Self::new(PHONE_PAGES, PHONE_REGISTRATIONS)
    }
}

impl PhoneLimits {
    pub fn new(pages: Rule, registrations: Rule) -> Self {
        Self {
            pages: Throttle::new(pages),
            registrations: Throttle::new(registrations),
        }
    }

    /// Counts a request from `peer` (a registration form if `registering`), or says how long it
    /// must wait. A refused request counts against nothing.
    pub fn admit(&self, peer: IpAddr, registering: bool, now: Instant) -> Result<(), Duration> {
        let peer = peer.to_canonical();
        let refused = [
            self.pages.refused_for(peer, now),
            registering
                .then(|| self.registrations.refused_for(peer, now))
                .flatten(),
        ]
        .into_iter()
        .flatten()
        .max();
        if let Some(left) = refused {
            return Err(left);
        }
        self.pages.record(peer, now);
        if registering {
            self.registrations.record(peer, now);
        }
        Ok(())
    }
}

/// How a rate limit reads to the user.
pub fn rate_message(left: Duration) -> String {
    let seconds = left.as_secs().max(1);
    if seconds < 60 {
        format!("请求过于频繁，请 {seconds} 秒后再试")
    } else {
        format!("请求过于频繁，请 {} 分钟后再试", seconds.div_ceil(60))
    }
}

/// The `Retry-After` value for a wait: whole seconds, at least one.
pub fn retry_after(left: Duration) -> String {
    left.as_secs_f64().ceil().max(1.0).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A failed attempt: reserved, checked, wrong.
    fn fail(throttle: &LoginThrottle, name: &str, peer: Option<IpAddr>, now: Instant) {
        drop(throttle.begin(name, peer, now).expect("may try"));
    }

    #[test]
    fn ten_failures_lock_the_name_even_for_the_right_password() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for _ in 0..MAX_FAILURES {
            fail(&throttle, "Staff", None, start);
        }
        let locked = |name: &str, at: Instant| match throttle.begin(name, None, at) {
            Err(NotNow::LockedOut(_)) => true,
            Err(NotNow::Busy) => panic!("nothing is running"),
            Ok(_) => false,
        };
        assert!(locked("staff", start));
        assert!(locked("STAFF ", start + Duration::from_secs(60)));
        assert!(!locked("other", start));
        assert!(!locked("staff", start + LOCKOUT));
    }

    #[test]
    fn attempts_count_before_their_check_so_parallel_guesses_stop_at_the_limit() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        let mut running = Vec::new();
        let mut refused = 0;
        // Every attempt is still "being checked" when the next arrives.
        for n in 0..250 {
            match throttle.begin("staff", Some([10, 0, 0, (n % 200) as u8].into()), now) {
                Ok(attempt) => running.push(attempt),
                Err(_) => refused += 1,
            }
        }
        assert_eq!(running.len(), MAX_CONCURRENT_CHECKS as usize);
        assert_eq!(refused, 250 - MAX_CONCURRENT_CHECKS as usize);
        drop(running);
        let mut checked = 0;
        while let Ok(attempt) = throttle.begin("staff", None, now) {
            drop(attempt);
            checked += 1;
        }
        assert_eq!(checked + MAX_CONCURRENT_CHECKS, MAX_FAILURES);
    }

    #[test]
    fn one_address_trying_many_names_is_locked_too() {
        let throttle = LoginThrottle::default();
        let peer: IpAddr = [192, 168, 1, 9].into();
        let now = Instant::now();
        for i in 0..MAX_FAILURES {
            fail(&throttle, &format!("name{i}"), Some(peer), now);
        }
        assert!(matches!(
            throttle.begin("anyone", Some(peer), now),
            Err(NotNow::LockedOut(_))
        ));
        assert!(
            throttle
                .begin("anyone", Some([10, 0, 0, 1].into()), now)
                .is_ok()
        );
    }

    #[test]
    fn a_success_clears_the_names_count_and_takes_back_its_own_from_the_address() {
        let throttle = LoginThrottle::default();
        let peer: IpAddr = [192, 168, 1, 9].into();
        let now = Instant::now();
        for _ in 0..MAX_FAILURES - 1 {
            fail(&throttle, "staff", Some(peer), now);
        }
        throttle
            .begin("staff", Some(peer), now)
            .expect("ninth failure so far")
            .succeeded();
        fail(&throttle, "staff", None, now);
        assert!(throttle.begin("staff", None, now).is_ok(), "count cleared");
        // The address kept its nine failures, not ten: one more try is left, then the lock.
        fail(&throttle, "someone", Some(peer), now);
        assert!(matches!(
            throttle.begin("else", Some(peer), now),
            Err(NotNow::LockedOut(_))
        ));
    }

    #[test]
    fn a_rate_limit_refuses_until_its_window_ends_and_does_not_count_refusals() {
        let rule = Rule {
            max: 3,
            window: Duration::from_secs(60),
            start: WindowStart::First,
        };
        let throttle = Throttle::new(rule);
        let peer: IpAddr = [192, 168, 1, 9].into();
        let start = Instant::now();
        for i in 0..3 {
            assert_eq!(throttle.admit(peer, start + Duration::from_secs(i)), Ok(()));
        }
        let refused = throttle.admit(peer, start + Duration::from_secs(10));
        assert_eq!(
            refused,
            Err(Duration::from_secs(50)),
            "counted from the first"
        );
        for _ in 0..100 {
            assert!(
                throttle
                    .admit(peer, start + Duration::from_secs(59))
                    .is_err()
            );
        }
        assert_eq!(
            throttle.admit([192, 168, 1, 10].into(), start),
            Ok(()),
            "another address has its own count"
        );
        assert_eq!(
            throttle.admit(peer, start + Duration::from_secs(60)),
            Ok(()),
            "refusals were not counted, so the window ends on time"
        );
    }

    #[test]
    fn registrations_have_their_own_lower_limit_beside_the_pages_one() {
        let limits = PhoneLimits::new(
            Rule {
                max: 5,
                window: Duration::from_secs(60),
                start: WindowStart::First,
            },
            Rule {
                max: 2,
                window: Duration::from_secs(600),
                start: WindowStart::First,
            },
        );
        let peer: IpAddr = [10, 0, 0, 7].into();
        let now = Instant::now();
        assert!(limits.admit(peer, true, now).is_ok());
        assert!(limits.admit(peer, true, now).is_ok());
        assert!(limits.admit(peer, true, now).is_err(), "third registration");
        assert!(limits.admit(peer, false, now).is_ok(), "pages still open");
        assert!(limits.admit(peer, false, now).is_ok());
        assert!(limits.admit(peer, false, now).is_ok());
        assert!(limits.admit(peer, false, now).is_err(), "sixth request");
        let mapped: IpAddr = "::ffff:10.0.0.7".parse().expect("address");
        assert!(
            limits.admit(mapped, false, now).is_err(),
            "an IPv4-mapped address is the same peer"
        );
    }

    #[test]
    fn a_flood_of_keys_keeps_memory_bounded() {
        let throttle = Throttle::new(PHONE_PAGES);
        let now = Instant::now();
        for n in 0..(MAX_ENTRIES as u32 + 500) {
            let _ = throttle.admit(IpAddr::from(n.to_be_bytes()), now);
        }
        assert!(throttle.lock().len() <= MAX_ENTRIES);
    }

    #[test]
    fn waits_read_in_seconds_or_minutes() {
        assert_eq!(
            rate_message(Duration::from_millis(300)),
            "请求过于频繁，请 1 秒后再试"
        );
        assert_eq!(
            rate_message(Duration::from_secs(42)),
            "请求过于频繁，请 42 秒后再试"
        );
        assert_eq!(
            rate_message(Duration::from_secs(61)),
            "请求过于频繁，请 2 分钟后再试"
        );
        assert_eq!(retry_after(Duration::from_millis(1500)), "2");
        assert_eq!(retry_after(Duration::ZERO), "1");
    }
}
