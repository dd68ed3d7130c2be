//! Where statements run: the embedded engine, or a server (`--connect`). The shell prints
//! the same rows and the same messages either way.

use std::sync::{Arc, Mutex};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use auger_common::error::user_message;
use auger_engine::{QueryOutput, Session};
use auger_flight_server::client::{FlightInfo, RemoteSession};
use datafusion::physical_plan::EmptyRecordBatchStream;
use futures::StreamExt;
use futures::stream::BoxStream;

pub enum Backend {
    Embedded(Session),
    Remote {
        session: RemoteSession,
        /// The statement running now, for Ctrl-C to cancel on the server.
        current: Arc<Mutex<Option<FlightInfo>>>,
    },
}

/// A statement's rows as they arrive.
pub struct Rows {
    pub schema: SchemaRef,
    pub batches: BoxStream<'static, Result<RecordBatch, String>>,
    /// The embedded output, kept for its metrics (records skipped).
    embedded: Option<QueryOutput>,
}

impl Rows {
    /// Records skipped as invalid (known on the embedded engine only).
    pub fn skipped_records(&self) -> usize {
        self.embedded
            .as_ref()
            .map(QueryOutput::skipped_records)
            .unwrap_or(0)
    }
}

impl Backend {
    pub fn remote(session: RemoteSession) -> Self {
        Self::Remote {
            session,
            current: Arc::default(),
        }
    }

    pub async fn execute(&self, sql: &str) -> Result<Rows, String> {
        match self {
            Backend::Embedded(session) => {
                let mut output = session.execute(sql).await.map_err(|e| user_message(&e))?;
                let stream = std::mem::replace(
                    &mut output.stream,
                    Box::pin(EmptyRecordBatchStream::new(Arc::clone(&output.schema))),
                );
                Ok(Rows {
                    schema: Arc::clone(&output.schema),
                    batches: stream.map(|b| b.map_err(|e| user_message(&e))).boxed(),
                    embedded: Some(output),
                })
            }
            Backend::Remote { session, current } => {
                let result = session.execute(sql).await.map_err(|e| e.message)?;
                // Cancelling a statement that has finished is harmless: the server says it
                // cannot, and nothing happens.
                set(current, Some(result.info.clone()));
                let batches = result.batches.map(|b| b.map_err(|e| e.message)).boxed();
                Ok(Rows {
                    schema: result.schema,
                    batches,
                    embedded: None,
                })
            }
        }
    }

    /// After Ctrl-C: tells the server to stop the statement that was running.
    pub async fn cancel_running(&self) {
        if let Backend::Remote { session, current } = self {
            let info = match current.lock() {
                Ok(mut c) => c.take(),
                Err(poisoned) => poisoned.into_inner().take(),
            };
            if let Some(info) = info {
                let _ = session.cancel(&info).await;
            }
        }
    }
}

fn set(current: &Mutex<Option<FlightInfo>>, info: Option<FlightInfo>) {
    match current.lock() {
        Ok(mut c) => *c = info,
        Err(poisoned) => *poisoned.into_inner() = info,
    }
}
