//! The home's side of sync with the association's hub: enrolment, and pushing the change log.
//! What both sides say (the wire messages, the hash chain, the signatures, the phone hash) is
//! in [`crate::wire`], below the store, so the store can log records without knowing sync.

pub mod client;
