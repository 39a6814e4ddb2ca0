//! kejia-kiosk: the touchscreen at the venue door. A client of `kejia serve` only.

pub mod display;
pub mod readers;
pub mod ui;
