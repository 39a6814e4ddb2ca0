//! The home's HTTP face: the JSON API (`api/`), the server-rendered pages (`pages/`), and
//! `router.rs`, which names every path the home serves. It stands on the web kit (`web`):
//! sessions, errors, extractors, hardening. Handlers validate input into domain types, call a
//! flow of `home` (or read the store), and render the answer; no business rule and no flow
//! lives here.

pub mod api;
pub mod errors;
pub mod pages;
pub mod reach;
pub mod router;
pub mod state;
pub mod views;

#[cfg(test)]
mod access_tests;
#[cfg(test)]
mod tests;

pub use router::router;
pub use state::AppState;
