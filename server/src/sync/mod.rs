//! Sync between a home and the association's hub: the wire format both sides speak, the hash
//! chain and the signatures. The home's client and the hub's ingest build on these.

pub mod chain;
pub mod client;
pub mod phone;
pub mod wire;
