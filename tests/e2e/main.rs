//! End-to-end tests of the `kejia` binary. See `tests/README.md`.
// Tests fail loudly: a panic with a message is the report.
// They stand outside the home, so they read the wall clock as a person would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod support;

mod auth;
mod backup;
mod bad_days;
mod checkin;
mod cli;
mod cli_messages;
mod compliance;
mod crash;
mod exports;
mod flood;
mod hostile;
mod hub_privacy;
mod kiosk;
mod layout;
mod ledger_print;
mod print_pages;
mod refusals;
mod sync;
mod systemd;
mod venue_network;
mod web;
