//! Server-rendered pages (askama templates in `server/templates/`, escaped by default).

pub mod setup;
