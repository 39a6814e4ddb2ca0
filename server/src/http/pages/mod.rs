//! Server-rendered pages (askama templates in `server/templates/`, escaped by default): the
//! staff admin under `/admin`, the members' phone pages under `/m`, and the first-start setup.
//! One file per screen; `chrome.rs` is the frame of every staff page, and the kit (`web`)
//! renders, guards and checks forms. `http/router.rs` names the path of each.

pub mod activities;
pub mod chrome;
pub mod dashboard;
pub mod ledger;
pub mod ledger_print;
pub mod members;
pub mod phone;
pub mod settings;
pub mod setup;

#[cfg(test)]
mod tests;
