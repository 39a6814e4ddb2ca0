//! The home's HTTP face: the JSON API (`api/`), the few server-rendered pages (`pages/`), and
//! the pieces they share (state, errors, authentication). Handlers validate input into domain
//! types, call a flow of `home` (or read the store), and render the answer; no business rule
//! and no flow lives here.

pub mod api;
pub mod auth;
pub mod error;
pub mod extract;
pub mod login;
pub mod pages;
pub mod rate_limit;
pub mod reach;
pub mod refusals;
pub mod router;
pub mod serve;
pub mod state;
pub mod views;

#[cfg(test)]
mod access_tests;
#[cfg(test)]
mod tests;

pub use router::router;
pub use state::AppState;
