//! The users file: one salted argon2 hash per user, managed by `auger user add|remove|passwd`
//! and read by the server at every login (so a change applies without a restart).
//!
//! The file is JSON, `{"users": {"alice": "$argon2id$v=19$..."}}`, written to a temporary
//! name and renamed, and readable by its owner only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

#[derive(Debug, Default, Serialize, Deserialize)]
struct UsersDocument {
    users: BTreeMap<String, String>,
}

/// The users file at one path.
#[derive(Debug, Clone)]
pub struct UsersFile {
    path: PathBuf,
}

impl UsersFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<UsersDocument> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| Error::UsersFile {
                path: self.path.clone(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(UsersDocument::default()),
            Err(e) => Err(Error::UsersFile {
                path: self.path.clone(),
                message: e.to_string(),
            }),
        }
    }

    fn write(&self, doc: &UsersDocument) -> Result<()> {
        let io = |e: std::io::Error| Error::UsersFile {
            path: self.path.clone(),
            message: e.to_string(),
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let text = serde_json::to_string_pretty(doc).map_err(|e| Error::UsersFile {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        let tmp = self
            .path
            .with_extension(format!("tmp.{}", std::process::id()));
        std::fs::write(&tmp, text).map_err(io)?;
        restrict_to_owner(&tmp).map_err(io)?;
        std::fs::rename(&tmp, &self.path).map_err(io)
    }

    /// The user names, sorted.
    pub fn names(&self) -> Result<Vec<String>> {
        Ok(self.read()?.users.into_keys().collect())
    }

    /// Adds a user; refuses one that exists.
    pub fn add(&self, user: &str, password: &str) -> Result<()> {
        check_name(user)?;
        let mut doc = self.read()?;
        if doc.users.contains_key(user) {
            return Err(Error::User(format!(
                "user '{user}' exists in {}; use `auger user passwd {user}` to change the password",
                self.path.display()
            )));
        }
        doc.users.insert(user.to_string(), hash(password)?);
        self.write(&doc)
    }

    /// Changes a user's password.
    pub fn set_password(&self, user: &str, password: &str) -> Result<()> {
        let mut doc = self.read()?;
        let Some(entry) = doc.users.get_mut(user) else {
            return Err(self.no_such_user(user));
        };
        *entry = hash(password)?;
        self.write(&doc)
    }

    pub fn remove(&self, user: &str) -> Result<()> {
        let mut doc = self.read()?;
        if doc.users.remove(user).is_none() {
            return Err(self.no_such_user(user));
        }
        self.write(&doc)
    }

    fn no_such_user(&self, user: &str) -> Error {
        Error::User(format!("no user '{user}' in {}", self.path.display()))
    }

    /// Whether `password` is `user`'s. A missing user and a wrong password look the same.
    pub fn verify(&self, user: &str, password: &str) -> Result<bool> {
        let doc = self.read()?;
        let Some(stored) = doc.users.get(user) else {
            // Spend the same effort as a real check, so timing does not tell who exists.
            let _ = hash(password);
            return Ok(false);
        };
        let parsed = PasswordHash::new(stored).map_err(|e| Error::UsersFile {
            path: self.path.clone(),
            message: format!("the hash of user '{user}' is not valid: {e}"),
        })?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    }
}

fn check_name(user: &str) -> Result<()> {
    if user.is_empty() || user.contains(':') || user.chars().any(char::is_control) {
        return Err(Error::User(format!(
            "'{user}' cannot be a user name: it must be non-empty, without ':' or control characters"
        )));
    }
    Ok(())
}

fn hash(password: &str) -> Result<String> {
    if password.is_empty() {
        return Err(Error::User("the password is empty".into()));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::User(format!("cannot hash the password: {e}")))
}

#[cfg(unix)]
fn restrict_to_owner(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn restrict_to_owner(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn add_verify_change_remove() {
        let dir = tempfile::tempdir().unwrap();
        let users = UsersFile::new(dir.path().join("users.json"));
        users.add("alice", "s3cret").unwrap();
        assert!(users.verify("alice", "s3cret").unwrap());
        assert!(!users.verify("alice", "wrong").unwrap());
        assert!(!users.verify("bob", "s3cret").unwrap());
        let text = std::fs::read_to_string(users.path()).unwrap();
        assert!(
            text.contains("$argon2id$") && !text.contains("s3cret"),
            "{text}"
        );
        assert!(users.add("alice", "again").is_err());
        users.set_password("alice", "n3w").unwrap();
        assert!(users.verify("alice", "n3w").unwrap());
        assert!(!users.verify("alice", "s3cret").unwrap());
        users.remove("alice").unwrap();
        assert!(!users.verify("alice", "n3w").unwrap());
        assert!(users.remove("alice").is_err());
    }
}
