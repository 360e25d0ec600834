//! Cost and usage reports.
