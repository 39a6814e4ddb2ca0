//! Whether the system clock is synchronised, as the kernel's NTP state says.
//!
//! A Raspberry Pi has no real-time clock: after a power cut it starts at whatever time was last
//! saved, until a time service (systemd-timesyncd, chrony) disciplines the kernel's clock and
//! clears `STA_UNSYNC`. Reading that flag is `adjtimex(2)` with no modes set, which changes
//! nothing and needs no privilege. Neither `std` nor rustix wraps it, hence this crate.

use std::io;

/// What the kernel reports about the system clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sync {
    /// A time service has set and is disciplining the clock.
    Synchronised,
    /// No time service has set the clock (or it lost its source long enough ago).
    Unsynchronised,
}

/// Asks the kernel, without changing anything.
pub fn kernel_sync() -> io::Result<Sync> {
    let (state, status) = read_ntp_state()?;
    let unsynchronised = state == libc::TIME_ERROR || status & libc::STA_UNSYNC != 0;
    Ok(if unsynchronised {
        Sync::Unsynchronised
    } else {
        Sync::Synchronised
    })
}

/// The clock state adjtimex returns and the status bits it fills in.
#[allow(unsafe_code)]
fn read_ntp_state() -> io::Result<(libc::c_int, libc::c_int)> {
    // SAFETY: `timex` is plain old data, so all zeroes is a valid value, and `modes == 0` asks
    // adjtimex to read only. The pointer is to a live, exclusively borrowed local for the
    // duration of the call.
    let mut timex: libc::timex = unsafe { std::mem::zeroed() };
    timex.modes = 0;
    let state = unsafe { libc::adjtimex(&mut timex) };
    if state < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((state, timex.status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_answers_without_privilege() {
        // Either answer is right on some machine; what must hold is that the read succeeds.
        let answer = kernel_sync();
        assert!(answer.is_ok(), "{answer:?}");
    }

    #[test]
    fn the_state_and_flag_agree_with_each_other() {
        let (state, status) = read_ntp_state().expect("adjtimex");
        if status & libc::STA_UNSYNC != 0 {
            assert_eq!(kernel_sync().expect("sync"), Sync::Unsynchronised);
        }
        assert!(
            (libc::TIME_OK..=libc::TIME_ERROR).contains(&state),
            "{state}"
        );
    }
}
