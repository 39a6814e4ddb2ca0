//! kejia-kiosk: the touchscreen at the venue door. A client of `kejia serve` only.
//!
//! `app` is the pure state machine, `screens` draw its view models into a `display::Frame`,
//! `display` puts frames on a panel (framebuffer, PNG files or a browser mirror), `readers`
//! turn serial bytes into scans, and `driver` wires them together with the HTTP `client`.

pub mod app;
pub mod client;
pub mod display;
mod driver;
#[doc(hidden)]
pub mod fuzzing;
pub mod readers;
mod reopen;
pub mod screens;
pub mod sound;
pub mod touch;
pub mod ui;

pub use driver::{KioskConfig, KioskError, run};
pub use embedded_graphics::prelude::Size;
