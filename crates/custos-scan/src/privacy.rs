//! Privacy at ingest: the store's rule ([`custos_store::privacy`]), applied by the scan to every
//! record before it is written.

pub use custos_store::email_hash;
pub use custos_store::privacy::scrub;
