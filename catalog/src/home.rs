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

    /// A subdirectory only the operating system's user may enter (mode 0700), created with
    /// the home itself if missing. An existing one open to others is made 0700 (or refused, if
    /// that is not allowed), so the workspace `dfs.tmp` (`$AUGER_HOME/tmp`) is never shared.
    pub fn private_dir(&self, name: &str) -> Result<PathBuf> {
        let dir = self.root.join(name);
        let fail = |e: std::io::Error| Error::Home {
            path: dir.display().to_string(),
            message: e.to_string(),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(fail)?;
            let mode = std::fs::metadata(&dir).map_err(fail)?.permissions().mode();
            if mode & 0o077 != 0 {
                std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
                    .map_err(fail)?;
            }
        }
        #[cfg(not(unix))]
        std::fs::create_dir_all(&dir).map_err(fail)?;
        Ok(dir)
    }

    pub fn storage_dir(&self) -> PathBuf {
        self.root.join("storage")
    }

    pub fn history_file(&self) -> PathBuf {
        self.root.join("history")
    }
}
