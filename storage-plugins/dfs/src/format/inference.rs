//! Schema inference over every record of every JSON file of a table, cached per file by
//! (path, size, modification time) so a repeated query does not pay for it again; and the
//! schema of text files with a header, which is read from their headers alone.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arrow::datatypes::SchemaRef;
use auger_common::json::{JsonReadOptions, infer_json};
use auger_common::lattice::{StructType, record_schema};
use auger_common::{Error, Result};
use object_store::{ObjectMeta, ObjectStore};

use super::source::{decompressed, open_object};
use super::text::{Header, TextOptions, columns_schema, header_schema, read_header};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    path: String,
    size: u64,
    modified_nanos: i64,
    /// The format inference read the file as.
    format: String,
}

impl CacheKey {
    /// A file name for this key: FNV-1a over its parts (stable across processes and builds).
    fn file_name(&self) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let text = format!(
            "{}\u{0}{}\u{0}{}\u{0}{}",
            self.path, self.size, self.modified_nanos, self.format
        );
        for b in text.bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{hash:016x}.json")
    }
}

#[derive(Debug, Clone)]
struct CachedInference {
    record: StructType,
    /// Invalid records seen (JSON only); a query that does not skip them must fail.
    skipped: u64,
}

/// Per-file inference results, shared by every query of the process and, when it has a
/// directory, kept there for other processes (`$AUGER_HOME/cache/inference`). An entry is
/// written to a temporary file and renamed into place, so a reader never sees half of one and
/// two processes writing the same entry at once are both fine. The key holds the file's size
/// and modification time: a changed file misses and is read again.
#[derive(Debug, Default)]
pub struct InferenceCache {
    entries: Mutex<HashMap<CacheKey, CachedInference>>,
    dir: Option<PathBuf>,
}

impl InferenceCache {
    /// A cache held in memory only.
    pub fn new() -> Self {
        Self::default()
    }

    /// A cache kept in `dir` as well as in memory.
    pub fn persistent(dir: PathBuf) -> Self {
        Self {
            entries: Mutex::default(),
            dir: Some(dir),
        }
    }

    fn get(&self, key: &CacheKey) -> Option<CachedInference> {
        let found = match self.entries.lock() {
            Ok(entries) => entries.get(key).cloned(),
            Err(poisoned) => poisoned.into_inner().get(key).cloned(),
        };
        if found.is_some() {
            return found;
        }
        let loaded = self.load(key)?;
        self.remember(key.clone(), loaded.clone());
        Some(loaded)
    }

    fn put(&self, key: CacheKey, value: CachedInference) {
        self.store(&key, &value);
        self.remember(key, value);
    }

    fn remember(&self, key: CacheKey, value: CachedInference) {
        let mut entries = match self.entries.lock() {
            Ok(e) => e,
            Err(poisoned) => poisoned.into_inner(),
        };
        entries.insert(key, value);
    }

    /// The entry on disk, if there is one for exactly this key.
    fn load(&self, key: &CacheKey) -> Option<CachedInference> {
        let path = self.dir.as_ref()?.join(key.file_name());
        let text = std::fs::read_to_string(path).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        let same = v.get("path")?.as_str()? == key.path
            && v.get("size")?.as_u64()? == key.size
            && v.get("modified_nanos")?.as_i64()? == key.modified_nanos
            && v.get("format")?.as_str()? == key.format;
        if !same {
            return None;
        }
        Some(CachedInference {
            record: StructType::from_json(v.get("record")?)?,
            skipped: v.get("skipped")?.as_u64()?,
        })
    }

    /// Writes an entry to disk; a cache that cannot be written is only slower, so failures
    /// are not errors.
    fn store(&self, key: &CacheKey, value: &CachedInference) {
        let Some(dir) = &self.dir else {
            return;
        };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let body = serde_json::json!({
            "path": key.path,
            "size": key.size,
            "modified_nanos": key.modified_nanos,
            "format": key.format,
            "skipped": value.skipped,
            "record": value.record.to_json(),
        });
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = key.file_name();
        let tmp = dir.join(format!(
            ".{name}.{}.{}.tmp",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        if std::fs::write(&tmp, body.to_string()).is_ok()
            && std::fs::rename(&tmp, dir.join(&name)).is_err()
        {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

/// The key of a file: its full path as users see it (`/data/x.json`, `s3://bucket/x.json`, so
/// two buckets never share entries), size, modification time and format settings.
fn key(meta: &ObjectMeta, display_prefix: &str, format: String) -> CacheKey {
    CacheKey {
        path: format!("{display_prefix}{}", meta.location),
        size: meta.size,
        modified_nanos: meta.last_modified.timestamp_nanos_opt().unwrap_or_default(),
        format,
    }
}

/// The record type of each file, from the cache or by running `infer` on it, merged.
/// `must_reread` says whether a cached result is unusable (it hid invalid records that this
/// read must report).
async fn merged_record<F>(
    cache: &InferenceCache,
    store: &Arc<dyn ObjectStore>,
    files: &[ObjectMeta],
    display_prefix: &str,
    format_key: &str,
    must_reread: impl Fn(&CachedInference) -> bool + Sync,
    infer: F,
) -> Result<StructType>
where
    F: Fn(Box<dyn std::io::Read + Send>, String) -> Result<CachedInference>
        + Clone
        + Send
        + 'static,
{
    use futures::future::BoxFuture;
    use futures::{FutureExt, StreamExt};
    // Files are read one per core at once; their records merge in file order, so the
    // merged field order (and the first error reported) does not depend on timing.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let must_reread = &must_reread;
    let reads: Vec<BoxFuture<'_, Result<StructType>>> = files
        .iter()
        .map(|meta| {
            let infer = infer.clone();
            async move {
                let key = key(meta, display_prefix, format_key.to_string());
                if let Some(cached) = cache.get(&key).filter(|c| !must_reread(c)) {
                    return Ok(cached.record);
                }
                let path = format!("{display_prefix}{}", meta.location);
                let input = open_object(store, &meta.location, &path).await?;
                let inferred = run_blocking(move || infer(input, path)).await?;
                let record = inferred.record.clone();
                cache.put(key, inferred);
                Ok(record)
            }
            .boxed()
        })
        .collect();
    let mut records = futures::stream::iter(reads).buffered(cores);
    let mut merged = StructType::new();
    while let Some(record) = records.next().await {
        merged = merged.merge(record?);
    }
    Ok(merged)
}

/// The record schema of a set of JSON files: every record of every file, merged.
pub async fn json_schema(
    cache: &InferenceCache,
    store: &Arc<dyn ObjectStore>,
    files: &[ObjectMeta],
    display_prefix: &str,
    options: &JsonReadOptions,
) -> Result<SchemaRef> {
    let skipping = options.skip_invalid_records;
    let read_options = options.clone();
    let options = options.clone();
    let merged = merged_record(
        cache,
        store,
        files,
        display_prefix,
        "json",
        // Re-read to report the first invalid record where it is.
        |cached| cached.skipped > 0 && !skipping,
        move |input, path| {
            let inferred = infer_json(input, &path, &options)?;
            Ok(CachedInference {
                record: inferred.record,
                skipped: inferred.skipped,
            })
        },
    )
    .await?;
    Ok(Arc::new(record_schema(&read_options.read_type(merged))))
}

/// The schema of a set of text files: `columns` without a header; with one, every column any
/// file's header names, as VARCHAR.
///
/// Only headers are read, and they are not cached: a cache keyed by size and modification time
/// would name the columns of a file rewritten with a new header but the same size and time by
/// its old header, and reading a header costs no more than checking one.
pub async fn text_schema(
    store: &Arc<dyn ObjectStore>,
    files: &[ObjectMeta],
    display_prefix: &str,
    options: &TextOptions,
) -> Result<SchemaRef> {
    use futures::{StreamExt, TryStreamExt};
    if !options.extract_header {
        return Ok(Arc::new(columns_schema()));
    }
    // In file order, so the columns' order does not depend on timing.
    // The futures are made first: a closure making them inside the stream would borrow `meta`
    // for one lifetime only, which the callers' Send futures cannot name.
    let reads: Vec<_> = files
        .iter()
        .map(|meta| file_header(store, meta, display_prefix, options))
        .collect();
    let headers: Vec<Vec<String>> = futures::stream::iter(reads)
        .buffered(HEADER_READS_AT_ONCE)
        .try_collect()
        .await?;
    Ok(Arc::new(header_schema(&headers)))
}

/// Bytes read first for a header; one that does not end within them is read from the whole file.
const HEADER_PREFIX: u64 = 64 << 10;

/// Reading a header waits on storage (a ranged GET from S3), not on a core: many at once.
const HEADER_READS_AT_ONCE: usize = 16;

/// The column names a text file's header gives (none for an empty file).
async fn file_header(
    store: &Arc<dyn ObjectStore>,
    meta: &ObjectMeta,
    display_prefix: &str,
    options: &TextOptions,
) -> Result<Vec<String>> {
    use object_store::ObjectStoreExt;
    let path = format!("{display_prefix}{}", meta.location);
    // From an object store a whole file would be downloaded only to read its first line.
    if meta.size > HEADER_PREFIX
        && let Ok(bytes) = store.get_range(&meta.location, 0..HEADER_PREFIX).await
    {
        let input = decompressed(&meta.location, Box::new(std::io::Cursor::new(bytes)));
        // Any error here may be the cut (a character or a compressed block split): the whole
        // file decides.
        if let Ok(Header {
            names,
            followed: true,
        }) = read_header(input, &path, options)
        {
            return Ok(names.unwrap_or_default());
        }
    }
    let input = open_object(store, &meta.location, &path).await?;
    let options = options.clone();
    let header = run_blocking(move || read_header(input, &path, &options)).await?;
    Ok(header.names.unwrap_or_default())
}

/// Inference reads whole files: keep it off the async worker threads.
async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("schema inference task failed: {e}")))?
}
