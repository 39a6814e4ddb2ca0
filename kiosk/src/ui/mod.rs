//! Drawing helpers every screen shares: CJK text from a real font, colours, layout.
//! Nothing here knows about check-ins or the server.

pub mod column;
pub mod text;
pub mod theme;
