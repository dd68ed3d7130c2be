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
    Store(object_store::Error),
}

pub fn has_glob(path: &str) -> bool {
    path.contains(['*', '?', '[', '{'])
}

/// Lists the files of `path` (an object store path, no leading `/`).
pub async fn list_table(store: &Arc<dyn ObjectStore>, path: &str) -> Result<Listing, ListingError> {
    if has_glob(path) {
        return list_glob(store, path).await;
    }
    let location = Path::from(path);
    match store.head(&location).await {
        Ok(meta) => {
            return Ok(Listing {
                root: location,
                files: vec![meta],
                is_directory: false,
            });
        }
        Err(object_store::Error::NotFound { .. }) => {}
        // Local directories answer head() with an error other than NotFound on some systems.
        Err(_) => {}
    }
    let files = list_under(store, &location).await?;
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
    let listed = store
        .list_with_delimiter(Some(location))
        .await
        .map_err(ListingError::Store);
    match listed {
        Ok(l) => {
            Ok(!l.objects.is_empty() || !l.common_prefixes.is_empty() || is_local_dir(location))
        }
        Err(ListingError::Store(object_store::Error::NotFound { .. })) => Ok(false),
        Err(e) => Err(e),
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
    let root = Path::from(segments[..fixed].join("/"));
    let matcher: GlobMatcher = GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| ListingError::InvalidGlob(e.to_string()))?
        .compile_matcher();
    let candidates = list_under(store, &root).await?;
    // A glob may match directories: their files belong to the table too.
    let files = candidates
        .into_iter()
        .filter(|meta| {
            let p = meta.location.as_ref();
            matcher.is_match(p)
                || ancestors(p).any(|dir| dir.len() > root.as_ref().len() && matcher.is_match(dir))
        })
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

fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.char_indices()
        .filter(|(_, c)| *c == '/')
        .map(move |(i, _)| &path[..i])
}

async fn list_under(
    store: &Arc<dyn ObjectStore>,
    root: &Path,
) -> Result<Vec<ObjectMeta>, ListingError> {
    let prefix = if root.as_ref().is_empty() {
        None
    } else {
        Some(root)
    };
    let listed: Vec<ObjectMeta> = match store.list(prefix).try_collect().await {
        Ok(l) => l,
        Err(object_store::Error::NotFound { .. }) => vec![],
        Err(e) => return Err(ListingError::Store(e)),
    };
    let root_len = root.as_ref().len();
    let mut files: Vec<ObjectMeta> = listed
        .into_iter()
        .filter(|meta| {
            let relative = meta.location.as_ref().get(root_len..).unwrap_or_default();
            !relative
                .split('/')
                .any(|part| part.starts_with('.') || part.starts_with('_'))
        })
        .collect();
    files.sort_by(|a, b| a.location.cmp(&b.location));
    Ok(files)
}
