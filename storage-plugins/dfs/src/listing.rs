//! Which files a table name means: one file, every file under a directory (recursively), or
//! every file matching a glob. Hidden files (names starting with `.` or `_`) are skipped, as
//! Drill skips them.

use std::sync::Arc;

use futures::TryStreamExt;
use globset::{GlobBuilder, GlobMatcher};
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};

/// Files found for a table, sorted by path, with the directory they were found under.
#[derive(Debug, Clone)]
pub struct Listing {
    /// The directory a directory or glob table starts at (the file itself for one file).
    pub root: Path,
    pub files: Vec<ObjectMeta>,
    pub is_directory: bool,
}

#[derive(Debug)]
pub enum ListingError {
    NotFound,
    InvalidGlob(String),
    /// A name no object store path can hold (a control character).
    InvalidPath(String),
    /// A file or directory that is there but may not be read: the one that could not be.
    PermissionDenied(Path),
    Store(object_store::Error),
}

pub fn has_glob(path: &str) -> bool {
    path.contains(['*', '?', '[', '{'])
}

/// The object store path that is `path` (no leading `/`) character for character.
///
/// `Path::from` percent-encodes what some object stores advise against (`%`, `` ` ``, every
/// non-ASCII character), and a local file system takes the encoded name literally: CTAS wrote
/// `café` but the table was then looked for as `caf%C3%A9`. `Path::parse` keeps the name as it
/// is, as listings return it, and refuses only control characters and the empty, `.` and `..`
/// segments that [`crate::workspace::resolve_path`] never leaves.
pub fn object_path(path: &str) -> Result<Path, object_store::path::Error> {
    Path::parse(path)
}

fn listed_path(path: &str) -> Result<Path, ListingError> {
    object_path(path).map_err(|e| ListingError::InvalidPath(e.to_string()))
}

/// Whether `err` says the store may not be read there (a local directory or file without read
/// permission, an object store's 403), rather than that nothing is there.
pub fn is_permission_denied(err: &object_store::Error) -> bool {
    if matches!(err, object_store::Error::PermissionDenied { .. }) {
        return true;
    }
    // The local store wraps the io::Error (in a walkdir error when listing) in errors of its own.
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cause {
        if e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::PermissionDenied)
        {
            return true;
        }
        cause = e.source();
    }
    false
}

/// Lists the files of `path` (an object store path, no leading `/`).
pub async fn list_table(store: &Arc<dyn ObjectStore>, path: &str) -> Result<Listing, ListingError> {
    if has_glob(path) {
        return list_glob(store, path).await;
    }
    let location = listed_path(path)?;
    match store.head(&location).await {
        Ok(meta) => {
            return Ok(Listing {
                root: location,
                files: vec![meta],
                is_directory: false,
            });
        }
        // A file without read permission, or one in a directory that may not be searched: it
        // is there (its directory lists it), only not readable.
        Err(e) if is_permission_denied(&e) => return Err(ListingError::PermissionDenied(location)),
        // Nothing there, or a directory (local directories answer head() with an error other
        // than NotFound on some systems): list it.
        Err(_) => {}
    }
    let files = list_under(store, &location, None).await?;
    if files.is_empty() && !directory_exists(store, &location).await? {
        return Err(ListingError::NotFound);
    }
    Ok(Listing {
        root: location,
        files,
        is_directory: true,
    })
}

async fn directory_exists(
    store: &Arc<dyn ObjectStore>,
    location: &Path,
) -> Result<bool, ListingError> {
    match store.list_with_delimiter(Some(location)).await {
        Ok(l) => {
            Ok(!l.objects.is_empty() || !l.common_prefixes.is_empty() || is_local_dir(location))
        }
        Err(object_store::Error::NotFound { .. }) => Ok(false),
        Err(e) if is_permission_denied(&e) => Err(ListingError::PermissionDenied(location.clone())),
        Err(e) => Err(ListingError::Store(e)),
    }
}

/// An empty local directory lists as nothing; it is still a (empty) table.
fn is_local_dir(location: &Path) -> bool {
    std::path::Path::new(&format!("/{location}")).is_dir()
}

async fn list_glob(store: &Arc<dyn ObjectStore>, pattern: &str) -> Result<Listing, ListingError> {
    // List from the deepest directory without glob characters.
    let segments: Vec<&str> = pattern.split('/').collect();
    let fixed = segments
        .iter()
        .position(|s| has_glob(s))
        .unwrap_or(segments.len());
    let root = listed_path(&segments[..fixed].join("/"))?;
    let matcher: GlobMatcher = GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| ListingError::InvalidGlob(e.to_string()))?
        .compile_matcher();
    let scope = GlobScope::new(pattern, matcher);
    let candidates = list_under(store, &root, Some(&scope)).await?;
    // A glob may match directories: their files belong to the table too.
    let files = candidates
        .into_iter()
        .filter(|meta| scope.holds(meta.location.as_ref(), root.as_ref().len()))
        .collect::<Vec<_>>();
    if files.is_empty() {
        return Err(ListingError::NotFound);
    }
    Ok(Listing {
        root,
        files,
        is_directory: true,
    })
}

/// A glob, and which directories below its fixed root can hold files it matches.
struct GlobScope {
    matcher: GlobMatcher,
    /// One matcher for each `/`-separated part of the pattern when every match has as many
    /// parts (no `**`, no `/` inside `{}` or `[]`); None when matches may lie at any depth.
    parts: Option<Vec<GlobMatcher>>,
}

impl GlobScope {
    fn new(pattern: &str, matcher: GlobMatcher) -> Self {
        let parts = if has_fixed_depth(pattern) {
            pattern
                .split('/')
                .map(|part| {
                    GlobBuilder::new(part)
                        .literal_separator(true)
                        .build()
                        .map(|glob| glob.compile_matcher())
                })
                .collect::<Result<Vec<_>, _>>()
                .ok()
        } else {
            None
        };
        Self { matcher, parts }
    }

    /// Whether the file or directory `path` belongs to the table: it matches, or a directory
    /// above it (below the root, `root_len` bytes long) does.
    fn holds(&self, path: &str, root_len: usize) -> bool {
        self.matcher.is_match(path)
            || ancestors(path).any(|dir| dir.len() > root_len && self.matcher.is_match(dir))
    }

    /// Whether files under the directory `dir` (below the root) can belong to the table.
    fn may_hold_matches(&self, dir: &str, root_len: usize) -> bool {
        if self.holds(dir, root_len) {
            return true;
        }
        let Some(parts) = &self.parts else {
            return true;
        };
        dir.split('/').count() < parts.len()
            && dir
                .split('/')
                .zip(parts)
                .all(|(name, part)| part.is_match(name))
    }
}

/// Whether every path the glob matches has as many `/`-separated parts as the glob: no `**`,
/// and no `/` inside `{...}` or `[...]`.
fn has_fixed_depth(pattern: &str) -> bool {
    if pattern.contains("**") {
        return false;
    }
    let mut open = 0usize;
    for c in pattern.chars() {
        match c {
            '{' | '[' => open += 1,
            '}' | ']' => open = open.saturating_sub(1),
            '/' if open > 0 => return false,
            _ => {}
        }
    }
    true
}

fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.char_indices()
        .filter(|(_, c)| *c == '/')
        .map(move |(i, _)| &path[..i])
}

fn is_hidden(name: &str) -> bool {
    name.starts_with('.') || name.starts_with('_')
}

/// Every file under `root` that is not hidden, sorted. With a glob's `scope`, a directory
/// that cannot hold its matches may be passed over.
async fn list_under(
    store: &Arc<dyn ObjectStore>,
    root: &Path,
    scope: Option<&GlobScope>,
) -> Result<Vec<ObjectMeta>, ListingError> {
    let prefix = if root.as_ref().is_empty() {
        None
    } else {
        Some(root)
    };
    let listed: Vec<ObjectMeta> = match store.list(prefix).try_collect().await {
        Ok(l) => l,
        Err(object_store::Error::NotFound { .. }) => vec![],
        // A directory somewhere below may not be read: list again one directory at a time, to
        // pass over it when it cannot matter and to name it when it can.
        Err(e) if is_permission_denied(&e) => list_readable(store, root, scope).await?,
        Err(e) => return Err(ListingError::Store(e)),
    };
    let root_len = root.as_ref().len();
    let mut files: Vec<ObjectMeta> = listed
        .into_iter()
        .filter(|meta| {
            let relative = meta.location.as_ref().get(root_len..).unwrap_or_default();
            !relative.split('/').any(is_hidden)
        })
        .collect();
    files.sort_by(|a, b| a.location.cmp(&b.location));
    Ok(files)
}

/// The files under `root`, listed one directory at a time, entering only the directories
/// that are not hidden and can hold the glob's matches. The first of those that may not be
/// read is the error.
async fn list_readable(
    store: &Arc<dyn ObjectStore>,
    root: &Path,
    scope: Option<&GlobScope>,
) -> Result<Vec<ObjectMeta>, ListingError> {
    let root_len = root.as_ref().len();
    let mut files = vec![];
    let mut pending = vec![root.clone()];
    while let Some(dir) = pending.pop() {
        let prefix = if dir.as_ref().is_empty() {
            None
        } else {
            Some(&dir)
        };
        let listed = match store.list_with_delimiter(prefix).await {
            Ok(l) => l,
            // Removed since its parent was listed.
            Err(object_store::Error::NotFound { .. }) => continue,
            Err(e) if is_permission_denied(&e) => return Err(ListingError::PermissionDenied(dir)),
            Err(e) => return Err(ListingError::Store(e)),
        };
        files.extend(listed.objects);
        pending.extend(listed.common_prefixes.into_iter().filter(|sub| {
            !sub.filename().is_some_and(is_hidden)
                && scope.is_none_or(|s| s.may_hold_matches(sub.as_ref(), root_len))
        }));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(pattern: &str) -> GlobScope {
        let matcher = GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .unwrap()
            .compile_matcher();
        GlobScope::new(pattern, matcher)
    }

    #[test]
    fn a_glob_enters_only_directories_that_can_hold_its_matches() {
        let root = "data/logs".len();
        let s = scope("data/logs/*.csv");
        assert!(!s.may_hold_matches("data/logs/locked", root));

        let s = scope("data/logs/2014*/*.json");
        assert!(s.may_hold_matches("data/logs/2014-08", root));
        assert!(!s.may_hold_matches("data/logs/2015", root));
        assert!(!s.may_hold_matches("data/logs/2014-08/deeper", root));

        // A directory the glob matches holds files of the table, however deep.
        let s = scope("data/logs/20*");
        assert!(s.may_hold_matches("data/logs/2014", root));
        assert!(s.may_hold_matches("data/logs/2014/08", root));
        assert!(!s.may_hold_matches("data/logs/old", root));

        // Matches at any depth: every directory may hold one.
        let s = scope("data/logs/**/*.csv");
        assert!(s.may_hold_matches("data/logs/a/b/c", root));
        let s = scope("data/logs/{a,b/c}/*.csv");
        assert!(s.may_hold_matches("data/logs/b", root));
    }

    #[test]
    fn permission_denied_is_found_inside_the_stores_own_errors() {
        #[derive(Debug, thiserror::Error)]
        #[error("Unable to open file: {source}")]
        struct LocalError {
            source: std::io::Error,
        }
        let denied = object_store::Error::Generic {
            store: "LocalFileSystem",
            source: Box::new(LocalError {
                source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
            }),
        };
        assert!(is_permission_denied(&denied));
        let missing = object_store::Error::Generic {
            store: "LocalFileSystem",
            source: Box::new(LocalError {
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            }),
        };
        assert!(!is_permission_denied(&missing));
        assert!(is_permission_denied(
            &object_store::Error::PermissionDenied {
                path: "bucket/key".into(),
                source: "403".into(),
            }
        ));
    }

    #[test]
    fn object_paths_keep_names_as_written() {
        let path = object_path("data/café 100% `x`/a#b.csv").unwrap();
        assert_eq!(path.as_ref(), "data/café 100% `x`/a#b.csv");
        assert_eq!(path.filename(), Some("a#b.csv"));
        assert!(object_path("data/a\u{1}b").is_err());
    }
}
