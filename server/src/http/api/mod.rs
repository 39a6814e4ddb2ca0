//! The JSON API under `/api/v1`, one file per resource, handlers named by verb.

pub mod activities;
pub mod audit;
pub mod checkins;
pub mod clock;
pub mod compliance;
pub mod exports;
pub mod kiosk;
pub mod members;
pub mod scans;
pub mod sync;
