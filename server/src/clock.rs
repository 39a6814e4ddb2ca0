//! Time: the one place that asks the system clock, so tests can fix "now", and the one place
//! that knows whether the clock can be believed.
// The one module allowed to read the wall clock (clippy.toml disallows it everywhere else).
#![allow(clippy::disallowed_methods)]

use std::sync::atomic::{AtomicBool, Ordering};

use jiff::Timestamp;

use crate::domain::Now;

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;

    /// Whether `now` can be believed. A Pi has no real-time clock: until a time service has
    /// synchronised it, the clock may say any day at all.
    fn synchronised(&self) -> bool {
        true
    }

    /// The present with how far it can be trusted, for the rules that depend on it.
    fn reading(&self) -> Now {
        Now {
            at: self.now(),
            trusted: self.synchronised(),
        }
    }
}

/// How a home decides whether its system clock is right (`clock` in the settings).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClockTrust {
    /// Believe the system clock as it is: a machine whose time is kept some other way.
    #[default]
    System,
    /// Believe it once the kernel says a time service synchronised it: the setting for a Pi.
    Kernel,
    /// Never believe it: a box with no time source at all, or a drill.
    Never,
}

impl ClockTrust {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "system" => Some(Self::System),
            "kernel" => Some(Self::Kernel),
            "never" => Some(Self::Never),
            _ => None,
        }
    }

    /// The operating system's clock, trusted as this setting says.
    pub fn clock(self) -> std::sync::Arc<dyn Clock> {
        match self {
            Self::System => std::sync::Arc::new(SystemClock),
            Self::Kernel => std::sync::Arc::new(KernelCheckedClock),
            Self::Never => std::sync::Arc::new(DistrustedClock),
        }
    }
}

/// The operating system's clock, believed as it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// The operating system's clock, believed only while the kernel reports it synchronised.
#[derive(Debug, Clone, Copy, Default)]
pub struct KernelCheckedClock;

impl Clock for KernelCheckedClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }

    fn synchronised(&self) -> bool {
        match kejia_sysclock::kernel_sync() {
            Ok(sync) => sync == kejia_sysclock::Sync::Synchronised,
            Err(error) => {
                tracing::warn!(%error, "cannot read the kernel's clock status; treating the clock as unsynchronised");
                false
            }
        }
    }
}

/// The operating system's clock, never believed.
#[derive(Debug, Clone, Copy, Default)]
pub struct DistrustedClock;

impl Clock for DistrustedClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }

    fn synchronised(&self) -> bool {
        false
    }
}

/// A clock that says what it is told: for tests of calendar boundaries and of an unsynchronised
/// clock.
#[derive(Debug)]
pub struct FixedClock {
    at: std::sync::Mutex<Timestamp>,
    synchronised: AtomicBool,
}

impl FixedClock {
    pub fn at(at: Timestamp) -> Self {
        Self {
            at: std::sync::Mutex::new(at),
            synchronised: AtomicBool::new(true),
        }
    }

    pub fn set(&self, at: Timestamp) {
        *self.at.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }

    pub fn set_synchronised(&self, synchronised: bool) {
        self.synchronised.store(synchronised, Ordering::Relaxed);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self.at.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn synchronised(&self) -> bool {
        self.synchronised.load(Ordering::Relaxed)
    }
}
