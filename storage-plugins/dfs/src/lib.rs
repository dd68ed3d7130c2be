//! auger-storage-dfs: the `file` storage plugin (Drill's `dfs`).
//!
//! Owns workspaces over a file system, which files a table name means (files, directories,
//! globs), the formats (delimited text, JSON, Parquet) and their schema inference with its
//! per-file cache. It does not plan SQL and knows no other plugin.

pub mod config;
pub mod format;
pub mod listing;
pub mod plugin;
pub mod table;
pub mod workspace;
pub mod writer;

pub use config::{FileSystemConfig, FormatConfig, WorkspaceConfig};
pub use plugin::{DfsPlugin, DfsPluginFactory};
