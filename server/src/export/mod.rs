//! What leaves the home as a file: the ledger (台账) as .xlsx and .csv, and QR codes as PNG.

pub mod csv;
pub mod ledger;
pub mod load;
pub mod photo;
pub mod qr;
pub mod workbook;
