use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// Auger's home directory (`$AUGER_HOME`, default `~/.auger`): storage plugin configs,
/// shell history, caches.
#[derive(Debug, Clone)]
pub struct AugerHome {
    root: PathBuf,
}

impl AugerHome {
    /// `$AUGER_HOME`, else `$HOME/.auger`, else `./.auger`.
    pub fn from_env() -> Self {
        let root = match std::env::var_os("AUGER_HOME") {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => match std::env::var_os("HOME") {
                Some(h) if !h.is_empty() => PathBuf::from(h).join(".auger"),
                _ => PathBuf::from(".auger"),
            },
        };
        Self { root }
    }

    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A subdirectory of the home, created if missing.
    pub fn dir(&self, name: &str) -> Result<PathBuf> {
        let dir = self.root.join(name);
        std::fs::create_dir_all(&dir).map_err(|e| Error::Home {
            path: dir.display().to_string(),
            message: e.to_string(),
        })?;
        Ok(dir)
    }

    pub fn storage_dir(&self) -> PathBuf {
        self.root.join("storage")
    }

    pub fn history_file(&self) -> PathBuf {
        self.root.join("history")
    }
}
