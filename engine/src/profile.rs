//! Query profiles: every query gets an id and, when its result has been read (or it failed,
//! or was cancelled), a profile: its text, user, start and end, state, rows, the plan with each
//! operator's rows and time, the files read and the records skipped. Profiles are JSON files
//! in `$AUGER_HOME/profiles/`, newest kept (a bounded count, oldest dropped); `sys.profiles`
//! lists them.

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use auger_common::json::SKIPPED_RECORDS;
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::Result;
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream};
use datafusion::physical_plan::{ExecutionPlan, displayable};
use futures::Stream;
use serde_json::{Value, json};

/// How many profiles are kept.
pub const KEEP: usize = 200;

/// Where profiles are written, shared by an engine's sessions.
#[derive(Debug)]
pub struct ProfileStore {
    dir: PathBuf,
    keep: usize,
}

impl ProfileStore {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir, keep: KEEP }
    }

    /// A store that keeps only the newest `keep` profiles.
    #[cfg(test)]
    pub fn with_keep(dir: PathBuf, keep: usize) -> Self {
        Self { dir, keep }
    }

    /// Writes a profile (atomically) and drops the oldest beyond the count kept. A profile
    /// that cannot be written costs the user nothing but the profile.
    fn save(&self, profile: &Value, start_ms: i64, id: &str) {
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let name = format!("{start_ms:013}-{id}.json");
        let tmp = self.dir.join(format!(".{name}.tmp"));
        if std::fs::write(&tmp, profile.to_string()).is_err()
            || std::fs::rename(&tmp, self.dir.join(&name)).is_err()
        {
            let _ = std::fs::remove_file(&tmp);
            return;
        }
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
            .collect();
        if names.len() > self.keep {
            names.sort();
            for old in &names[..names.len() - self.keep] {
                let _ = std::fs::remove_file(self.dir.join(old));
            }
        }
    }

    /// Every profile kept, newest first.
    pub fn list(&self) -> Vec<Value> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return vec![];
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
            .collect();
        names.sort_by(|a, b| b.cmp(a));
        names
            .iter()
            .filter_map(|n| std::fs::read_to_string(self.dir.join(n)).ok())
            .filter_map(|t| serde_json::from_str(&t).ok())
            .collect()
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A new query id: 32 hex digits, unique within and across processes.
pub fn new_query_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{nanos:016x}{:08x}{:08x}",
        std::process::id(),
        (n as u32).wrapping_mul(2_654_435_761)
    )
}

/// The user embedded queries run as: the operating system's.
pub fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "anonymous".into())
}

/// One query being profiled.
pub struct Recorder {
    store: Arc<ProfileStore>,
    id: String,
    text: String,
    user: String,
    start_ms: i64,
}

impl Recorder {
    pub fn start(store: Arc<ProfileStore>, text: &str, user: &str) -> Self {
        Self {
            store,
            id: new_query_id(),
            text: text.to_string(),
            user: user.to_string(),
            start_ms: now_ms(),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Records a query that failed before it produced a stream.
    pub fn failed(self, error: &str) {
        self.finish("FAILED", 0, None, Some(error));
    }

    fn finish(
        &self,
        state: &str,
        rows: u64,
        plan: Option<&Arc<dyn ExecutionPlan>>,
        error: Option<&str>,
    ) {
        let end = now_ms();
        let mut files = vec![];
        if let Some(p) = plan {
            collect_files(p, &mut files);
        }
        let profile = json!({
            "queryId": self.id,
            "query": self.text,
            "user": self.user,
            "start": self.start_ms,
            "end": end,
            "totalTimeMs": end - self.start_ms,
            "state": state,
            "rows": rows,
            "error": error,
            "recordsSkipped": plan.map(skipped).unwrap_or(0),
            "filesRead": files,
            "plan": plan.map(operator_json),
        });
        self.store.save(&profile, self.start_ms, &self.id);
    }

    /// Wraps a result stream: the profile is written when it ends, fails or is dropped.
    pub fn wrap(
        self,
        stream: SendableRecordBatchStream,
        plan: Option<Arc<dyn ExecutionPlan>>,
    ) -> SendableRecordBatchStream {
        Box::pin(ProfiledStream {
            schema: stream.schema(),
            inner: stream,
            plan,
            rows: 0,
            recorder: Some(self),
        })
    }
}

/// Records skipped as invalid by the plan's scans.
pub fn skipped(plan: &Arc<dyn ExecutionPlan>) -> usize {
    let own = plan
        .metrics()
        .and_then(|m| m.sum_by_name(SKIPPED_RECORDS))
        .map(|v| v.as_usize())
        .unwrap_or(0);
    own + plan.children().into_iter().map(skipped).sum::<usize>()
}

/// Every file the plan's scans read.
fn collect_files(plan: &Arc<dyn ExecutionPlan>, out: &mut Vec<String>) {
    if let Some(exec) = plan.downcast_ref::<DataSourceExec>()
        && let Some(config) = exec.data_source().downcast_ref::<FileScanConfig>()
    {
        for group in &config.file_groups {
            for file in group.iter() {
                out.push(format!("/{}", file.object_meta.location));
            }
        }
    }
    for child in plan.children() {
        collect_files(child, out);
    }
}

/// An operator with its rows and time, and its inputs.
fn operator_json(plan: &Arc<dyn ExecutionPlan>) -> Value {
    let metrics = plan.metrics().map(|m| m.aggregate_by_name());
    let rows = metrics.as_ref().and_then(|m| m.output_rows());
    let nanos = metrics.as_ref().and_then(|m| m.elapsed_compute());
    json!({
        "operator": plan.name(),
        "description": displayable(plan.as_ref()).one_line().to_string().trim(),
        "outputRows": rows,
        "computeTimeMs": nanos.map(|n| n as f64 / 1e6),
        "inputs": plan.children().into_iter().map(operator_json).collect::<Vec<_>>(),
    })
}

struct ProfiledStream {
    schema: SchemaRef,
    inner: SendableRecordBatchStream,
    plan: Option<Arc<dyn ExecutionPlan>>,
    rows: u64,
    recorder: Option<Recorder>,
}

impl ProfiledStream {
    fn finish(&mut self, state: &str, error: Option<&str>) {
        if let Some(r) = self.recorder.take() {
            r.finish(state, self.rows, self.plan.as_ref(), error);
        }
    }
}

impl Stream for ProfiledStream {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.inner.as_mut().poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(batch))) => self.rows += batch.num_rows() as u64,
            Poll::Ready(Some(Err(e))) => {
                let message = auger_common::error::user_message(e);
                self.finish("FAILED", Some(&message));
            }
            Poll::Ready(None) => self.finish("COMPLETED", None),
            Poll::Pending => {}
        }
        polled
    }
}

impl RecordBatchStream for ProfiledStream {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}

impl Drop for ProfiledStream {
    fn drop(&mut self) {
        // Dropped before its end: the reader stopped (Ctrl-C, a closed client).
        self.finish("CANCELED", None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_a_bounded_count_newest_first() {
        let dir = std::env::temp_dir().join(format!("auger-profiles-{}", new_query_id()));
        let store = ProfileStore::with_keep(dir.clone(), 3);
        for n in 0..5 {
            store.save(&json!({ "n": n }), 1_000 + n, &new_query_id());
        }
        let kept: Vec<i64> = store
            .list()
            .iter()
            .filter_map(|p| p.get("n").and_then(|v| v.as_i64()))
            .collect();
        assert_eq!(kept, vec![4, 3, 2]);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn query_ids_differ() {
        let a = new_query_id();
        let b = new_query_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
    }
}
