//! auger-common: what every other Auger crate shares.
//!
//! Owns the error type with file positions, the schema-free type lattice (how types found in
//! different records and files merge), and JSON → Arrow reading (inference and decoding).
//! It knows nothing of catalogs, storage plugins or SQL.

pub mod display;
pub mod error;
pub mod json;
pub mod lattice;
pub mod names;
pub mod options;
#[cfg(any(test, feature = "property-tests"))]
pub mod property_tests;

pub use error::{Error, FilePosition, Result};
