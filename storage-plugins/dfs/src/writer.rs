//! Writing a table (CTAS): Parquet, JSON lines, or delimited text with a header, into a
//! directory named after the table. Files are written into a hidden temporary directory of
//! the workspace and renamed into place at the end, so a failed CTAS leaves nothing behind
//! and readers never see half a table. A staging directory left by a CTAS that was killed is
//! removed by the next CTAS or SHOW FILES in its directory once its process is gone. With
//! PARTITION BY the rows arrive sorted by the partition columns and every file holds one
//! combination of their values, as in Drill.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::compute::partition;
use arrow::datatypes::SchemaRef;
use auger_common::display::{json_value, value_text};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;
use parquet::arrow::ArrowWriter;

/// How a CTAS writes its files (`store.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteFormat {
    Parquet,
    Json,
    Csv,
    Tsv,
    Psv,
}

impl WriteFormat {
    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "parquet" => Self::Parquet,
            "json" => Self::Json,
            "csv" => Self::Csv,
            "tsv" => Self::Tsv,
            "psv" => Self::Psv,
            other => {
                return Err(DataFusionError::Plan(format!(
                    "store.format '{other}' cannot be written; use parquet, json, csv, tsv or psv"
                )));
            }
        })
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Parquet => "parquet",
            Self::Json => "json",
            Self::Csv => "csv",
            Self::Tsv => "tsv",
            Self::Psv => "psv",
        }
    }
}

enum FileWriter {
    Parquet(ArrowWriter<File>),
    Json(BufWriter<File>),
    Text(csv::Writer<BufWriter<File>>),
}

impl FileWriter {
    fn create(path: &Path, format: WriteFormat, schema: &SchemaRef) -> Result<Self> {
        let file = File::create(path).map_err(|e| io(path, e))?;
        Ok(match format {
            WriteFormat::Parquet => FileWriter::Parquet(
                ArrowWriter::try_new(file, Arc::clone(schema), None)
                    .map_err(|e| DataFusionError::External(Box::new(e)))?,
            ),
            WriteFormat::Json => FileWriter::Json(BufWriter::new(file)),
            WriteFormat::Csv | WriteFormat::Tsv | WriteFormat::Psv => {
                let delimiter = match format {
                    WriteFormat::Tsv => b'\t',
                    WriteFormat::Psv => b'|',
                    _ => b',',
                };
                let mut w = csv::WriterBuilder::new()
                    .delimiter(delimiter)
                    .from_writer(BufWriter::new(file));
                w.write_record(schema.fields().iter().map(|f| f.name().as_str()))
                    .map_err(|e| DataFusionError::External(Box::new(e)))?;
                FileWriter::Text(w)
            }
        })
    }

    fn write(&mut self, batch: &RecordBatch, path: &Path) -> Result<()> {
        match self {
            FileWriter::Parquet(w) => w
                .write(batch)
                .map_err(|e| DataFusionError::External(Box::new(e))),
            FileWriter::Json(w) => {
                let schema = batch.schema();
                for row in 0..batch.num_rows() {
                    let mut object = serde_json::Map::new();
                    for (i, f) in schema.fields().iter().enumerate() {
                        let v = json_value(batch.column(i).as_ref(), row)?;
                        if !v.is_null() {
                            object.insert(f.name().clone(), v);
                        }
                    }
                    serde_json::to_writer(&mut *w, &object)
                        .map_err(|e| DataFusionError::External(Box::new(e)))?;
                    w.write_all(b"\n").map_err(|e| io(path, e))?;
                }
                Ok(())
            }
            FileWriter::Text(w) => {
                for row in 0..batch.num_rows() {
                    let fields: Vec<String> = batch
                        .columns()
                        .iter()
                        .map(|c| value_text(c, row).map(|v| v.unwrap_or_default()))
                        .collect::<Result<_, _>>()?;
                    w.write_record(&fields)
                        .map_err(|e| DataFusionError::External(Box::new(e)))?;
                }
                Ok(())
            }
        }
    }

    fn finish(self, path: &Path) -> Result<()> {
        match self {
            FileWriter::Parquet(w) => w
                .close()
                .map(|_| ())
                .map_err(|e| DataFusionError::External(Box::new(e))),
            FileWriter::Json(mut w) => w.flush().map_err(|e| io(path, e)),
            FileWriter::Text(w) => w
                .into_inner()
                .map_err(|e| DataFusionError::Plan(format!("{}: {e}", path.display())))?
                .flush()
                .map_err(|e| io(path, e)),
        }
    }
}

fn io(path: &Path, e: std::io::Error) -> DataFusionError {
    DataFusionError::Plan(format!("Cannot write {}: {e}", path.display()))
}

/// Writes `stream` as the table directory `target` (which must not exist). Returns the
/// number of rows written.
pub async fn write_table(
    target: PathBuf,
    format: WriteFormat,
    partition_by: &[usize],
    mut stream: SendableRecordBatchStream,
) -> Result<u64> {
    let parent = target
        .parent()
        .ok_or_else(|| DataFusionError::Plan("a table needs a parent directory".into()))?
        .to_path_buf();
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("table")
        .to_string();
    std::fs::create_dir_all(&parent).map_err(|e| io(&parent, e))?;
    remove_stale_staging(&parent);
    let staging = parent.join(staging_name(&name));
    std::fs::create_dir(&staging).map_err(|e| io(&staging, e))?;
    let result = write_files(&staging, format, partition_by, &mut stream).await;
    let outcome = result.and_then(|rows| {
        std::fs::rename(&staging, &target)
            .map(|_| rows)
            .map_err(|e| io(&target, e))
    });
    if outcome.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    outcome
}

/// What names a CTAS staging directory, after `.<table>`: `.ctas-<pid>-<start>-<nanos>`, with
/// the writing process's id and start time (`/proc/<pid>/stat`'s `starttime`; 0 where there is
/// no `/proc`), and the time it was made. Older Auger wrote `.ctas-<pid>-<nanos>`.
const STAGING_MARK: &str = ".ctas-";

/// How old a staging directory must be to be taken for a killed CTAS's, where no `/proc` tells
/// whether its process still runs.
const STAGING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

fn staging_name(table: &str) -> String {
    let pid = std::process::id();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        ".{table}{STAGING_MARK}{pid}-{}-{nanos}",
        process_start(pid).unwrap_or(0)
    )
}

/// The process a staging directory's name says wrote it: its id, and its start time where
/// the name has one.
#[derive(Debug, PartialEq, Eq)]
struct StagingWriter {
    pid: u32,
    start: Option<u64>,
}

fn staging_writer(name: &str) -> Option<StagingWriter> {
    let (table, tail) = name.strip_prefix('.')?.rsplit_once(STAGING_MARK)?;
    if table.is_empty() {
        return None;
    }
    let numbers: Vec<u64> = tail
        .split('-')
        // Digits only: `parse` would take a sign too.
        .map(|n| {
            if n.bytes().all(|b| b.is_ascii_digit()) {
                n.parse().ok()
            } else {
                None
            }
        })
        .collect::<Option<_>>()?;
    let (pid, start) = match numbers[..] {
        [pid, _made] => (pid, None),
        [pid, start, _made] => (pid, (start != 0).then_some(start)),
        _ => return None,
    };
    Some(StagingWriter {
        pid: u32::try_from(pid).ok()?,
        start,
    })
}

/// Whether `name` is a CTAS staging directory's: Auger's own, never a table or a user's file.
pub fn is_staging_dir(name: &str) -> bool {
    staging_writer(name).is_some()
}

/// When process `pid` started, in clock ticks since boot (Linux `/proc/<pid>/stat` field 22);
/// with the id it tells a process from a later one given the same id.
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces and parentheses.
    let (_, fields) = stat.rsplit_once(')')?;
    fields.split_whitespace().nth(19)?.parse().ok()
}

/// Removes the staging directories in `dir` that a CTAS killed before it could finish (or
/// remove them) left behind. With `/proc` (Linux): those of this user whose process is gone, or
/// whose id now belongs to a process started later. Without: those untouched for a day.
/// Directories of a CTAS still running are left alone; failures are ignored (the next CTAS or
/// SHOW FILES here tries again).
pub fn remove_stale_staging(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Some(writer) = entry.file_name().to_str().and_then(staging_writer) else {
            continue;
        };
        let path = entry.path();
        // Not followed: a link named like a staging directory is not Auger's.
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() && writer_is_gone(&writer, &meta) {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

fn writer_is_gone(writer: &StagingWriter, staging: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(this_process) = std::fs::metadata("/proc/self") else {
        return staging
            .modified()
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STAGING_TIMEOUT);
    };
    // Another user's processes may be hidden from this one (`hidepid`): only their own
    // user's are judged.
    if staging.uid() != this_process.uid() {
        return false;
    }
    if !Path::new(&format!("/proc/{}", writer.pid)).exists() {
        return true;
    }
    match (writer.start, process_start(writer.pid)) {
        (Some(named), Some(running)) => named != running,
        _ => false,
    }
}

/// Writes `stream` as the table `prefix` of an object store: the files are written to a local
/// temporary directory first and uploaded only when every row is written, so a failing query
/// leaves nothing in the store; an upload that fails part-way removes what it put.
pub async fn write_table_to_store(
    store: &Arc<dyn object_store::ObjectStore>,
    prefix: &str,
    display: &str,
    format: WriteFormat,
    partition_by: &[usize],
    mut stream: SendableRecordBatchStream,
) -> Result<u64> {
    use object_store::ObjectStoreExt;
    let staging = tempfile::tempdir()
        .map_err(|e| DataFusionError::Plan(format!("Cannot stage {display}: {e}")))?;
    let rows = write_files(staging.path(), format, partition_by, &mut stream).await?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(staging.path())
        .map_err(|e| io(staging.path(), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let mut uploaded = vec![];
    for file in files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let location = crate::listing::object_path(&format!("{prefix}/{name}"))
            .map_err(|e| DataFusionError::Plan(format!("Cannot write {display}/{name}: {e}")))?;
        let body = std::fs::read(&file).map_err(|e| io(&file, e))?;
        if let Err(e) = store.put(&location, body.into()).await {
            for done in &uploaded {
                let _ = store.delete(done).await;
            }
            return Err(DataFusionError::Plan(format!(
                "Cannot write {display}/{name}: {e}"
            )));
        }
        uploaded.push(location);
    }
    Ok(rows)
}

async fn write_files(
    dir: &Path,
    format: WriteFormat,
    partition_by: &[usize],
    stream: &mut SendableRecordBatchStream,
) -> Result<u64> {
    let schema = stream.schema();
    let mut rows = 0u64;
    let mut file_no = 0usize;
    let mut current: Option<(FileWriter, PathBuf, Vec<String>)> = None;
    let open = |n: usize| dir.join(format!("0_0_{n}.{}", format.extension()));
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        if batch.num_rows() == 0 {
            continue;
        }
        rows += batch.num_rows() as u64;
        // Runs of equal partition values (the input is sorted by them).
        let ranges: Vec<std::ops::Range<usize>> = if partition_by.is_empty() {
            std::iter::once(0..batch.num_rows()).collect()
        } else {
            let columns: Vec<ArrayRef> = partition_by
                .iter()
                .map(|i| Arc::clone(batch.column(*i)))
                .collect();
            partition(&columns)?.ranges()
        };
        for range in ranges {
            let key: Vec<String> = partition_by
                .iter()
                .map(|i| {
                    value_text(batch.column(*i), range.start)
                        .map(|v| v.unwrap_or_else(|| "\u{0}null".into()))
                })
                .collect::<Result<_, _>>()?;
            let same = current.as_ref().is_some_and(|(_, _, k)| *k == key);
            if !same {
                if let Some((w, p, _)) = current.take() {
                    w.finish(&p)?;
                }
                let path = open(file_no);
                file_no += 1;
                current = Some((FileWriter::create(&path, format, &schema)?, path, key));
            }
            if let Some((w, p, _)) = current.as_mut() {
                w.write(&batch.slice(range.start, range.len()), p)?;
            }
        }
    }
    match current.take() {
        Some((w, p, _)) => w.finish(&p)?,
        // An empty result is still a table: one file with the columns.
        None => FileWriter::create(&open(0), format, &schema)?.finish(&open(0))?,
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_names_say_which_process_wrote_them() {
        let name = staging_name("trips");
        assert!(name.starts_with(".trips.ctas-"), "{name}");
        let writer = staging_writer(&name).unwrap();
        assert_eq!(writer.pid, std::process::id());
        assert_eq!(writer.start, process_start(std::process::id()));
        // Names of older Auger, and a table whose name holds the mark.
        assert_eq!(
            staging_writer(".t.ctas-12-345"),
            Some(StagingWriter {
                pid: 12,
                start: None
            })
        );
        assert_eq!(
            staging_writer(".a.ctas-b.ctas-12-7-345"),
            Some(StagingWriter {
                pid: 12,
                start: Some(7)
            })
        );
        for other in [
            "t.ctas-12-345",
            ".ctas-12-345",
            ".t.ctas-12",
            ".t.ctas-+12-345",
            ".t.ctas-12--345",
            ".t.ctas-1-2-3-4",
            ".t.ctas-x-345",
            ".notes",
        ] {
            assert!(!is_staging_dir(other), "{other}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn staging_directories_of_processes_gone_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        assert!(child.wait().unwrap().success());
        let gone = child.id();
        let me = std::process::id();
        let started = process_start(me).unwrap();
        let removed = [
            format!(".dead.ctas-{gone}-{started}-1"),
            format!(".older.ctas-{gone}-1"),
            // This process's id, but a process that started later: the id was reused.
            format!(".reused.ctas-{me}-{}-1", started + 1),
        ];
        let kept = [
            format!(".running.ctas-{me}-{started}-1"),
            format!(".running_older.ctas-{me}-1"),
            ".notes".to_string(),
        ];
        for name in removed.iter().chain(&kept) {
            std::fs::create_dir(dir.path().join(name)).unwrap();
            std::fs::write(dir.path().join(name).join("0_0_0.parquet"), "part").unwrap();
        }
        // Only directories are staging directories.
        let file = format!(".file.ctas-{gone}-1");
        std::fs::write(dir.path().join(&file), "x").unwrap();

        remove_stale_staging(dir.path());
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        let mut expected: Vec<String> = kept.to_vec();
        expected.push(file);
        expected.sort();
        assert_eq!(left, expected);
    }
}
