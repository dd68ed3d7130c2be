//! Who is asking, and with which session: bearer tokens handed out at login, sessions keyed by
//! token (or, without authentication, by the client's connection), and the queries and prepared
//! statements each session owns.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use auger_engine::{Engine, QueryOutput, Session};
use rand::RngCore;
use tokio_util::sync::CancellationToken;
use tonic::Status;

use crate::config::AuthMode;

/// A session without a token (authentication `none`) ends after this long unused.
const IDLE_SESSION: Duration = Duration::from_secs(3600);
/// A result that nobody fetched is dropped after this long.
const UNFETCHED_RESULT: Duration = Duration::from_secs(600);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// A random identifier, hex, for tokens and handles.
pub(crate) fn random_id() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// One client's session.
pub(crate) struct ClientSession {
    pub key: String,
    pub session: Session,
    /// When a token's session stops being valid.
    expires: Option<Instant>,
    last_used: Mutex<Instant>,
}

pub(crate) struct Sessions {
    engine: Arc<Engine>,
    auth: AuthMode,
    token_ttl: Duration,
    by_key: Mutex<HashMap<String, Arc<ClientSession>>>,
}

impl Sessions {
    pub fn new(engine: Arc<Engine>, auth: AuthMode, token_ttl: Duration) -> Self {
        Self {
            engine,
            auth,
            token_ttl,
            by_key: Mutex::default(),
        }
    }

    pub fn count(&self) -> usize {
        lock(&self.by_key).len()
    }

    pub fn auth(&self) -> &AuthMode {
        &self.auth
    }

    /// A new session for `user`, and the bearer token that names it.
    pub fn login(&self, user: &str) -> String {
        let token = random_id();
        let key = format!("token:{token}");
        let session = Arc::new(ClientSession {
            key: key.clone(),
            session: self.engine.session_for(user),
            expires: Some(Instant::now() + self.token_ttl),
            last_used: Mutex::new(Instant::now()),
        });
        let mut sessions = lock(&self.by_key);
        sweep(&mut sessions);
        sessions.insert(key, session);
        token
    }

    /// The session a request belongs to, from its `authorization: Bearer` header or, without
    /// authentication, from its connection. Anything else is `Unauthenticated`.
    pub fn of(
        &self,
        metadata: &tonic::metadata::MetadataMap,
        peer: Option<SocketAddr>,
    ) -> Result<Arc<ClientSession>, Status> {
        let header = metadata
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::trim);
        if let Some(value) = header {
            let Some(token) = bearer(value) else {
                return Err(Status::unauthenticated(
                    "expected 'authorization: Bearer <token>'; log in with user and password first",
                ));
            };
            let sessions = lock(&self.by_key);
            let Some(session) = sessions.get(&format!("token:{token}")) else {
                return Err(Status::unauthenticated(
                    "the token is not valid (unknown, or the server restarted): log in again",
                ));
            };
            if session.expires.is_some_and(|e| e <= Instant::now()) {
                return Err(Status::unauthenticated(
                    "the token has expired: log in again",
                ));
            }
            *lock(&session.last_used) = Instant::now();
            return Ok(Arc::clone(session));
        }
        if self.auth != AuthMode::None {
            return Err(Status::unauthenticated(
                "this server needs a user and password (the Flight handshake)",
            ));
        }
        let key = match peer {
            Some(addr) => peer_key(addr),
            None => "peer:unknown".to_string(),
        };
        let mut sessions = lock(&self.by_key);
        if let Some(session) = sessions.get(&key) {
            *lock(&session.last_used) = Instant::now();
            return Ok(Arc::clone(session));
        }
        sweep(&mut sessions);
        let session = Arc::new(ClientSession {
            key: key.clone(),
            session: self.engine.session_for("anonymous"),
            expires: None,
            last_used: Mutex::new(Instant::now()),
        });
        sessions.insert(key, Arc::clone(&session));
        Ok(session)
    }
}

/// The session key of a connection without a token.
fn peer_key(peer: SocketAddr) -> String {
    format!("peer:{peer}")
}

/// Ends the session of a connection without a token when the connection closes, with the
/// results it left unfetched and its prepared statements (they stayed for an hour). A token's
/// session outlives its connections: a client may reconnect with the token.
#[derive(Clone)]
pub(crate) struct ConnectionEnds {
    pub sessions: Arc<Sessions>,
    pub queries: Arc<Queries>,
    pub prepared: Arc<PreparedStatements>,
}

impl ConnectionEnds {
    pub fn closed(&self, peer: SocketAddr) {
        let key = peer_key(peer);
        if lock(&self.sessions.by_key).remove(&key).is_none() {
            return;
        }
        lock(&self.queries.pending).retain(|_, p| p.owner != key);
        lock(&self.prepared.by_handle).retain(|_, p| p.owner != key);
    }
}

fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

/// Drops expired tokens' sessions and connection sessions unused for an hour.
fn sweep(sessions: &mut HashMap<String, Arc<ClientSession>>) {
    let now = Instant::now();
    sessions.retain(|_, s| match s.expires {
        Some(e) => e > now,
        None => now.duration_since(*lock(&s.last_used)) < IDLE_SESSION,
    });
}

/// A statement run by `GetFlightInfo`, waiting for its `DoGet`.
struct PendingResult {
    owner: String,
    output: QueryOutput,
    cancel: CancellationToken,
    created: Instant,
}

/// Results between `GetFlightInfo` and `DoGet`, and the cancel switch of each query running.
pub(crate) struct Queries {
    pending: Mutex<HashMap<String, PendingResult>>,
    running: Mutex<HashMap<String, CancellationToken>>,
    /// Fired when the server shuts down: every query stops, and its client is told why.
    pub shutdown: CancellationToken,
}

impl Queries {
    pub fn new() -> Self {
        Self {
            pending: Mutex::default(),
            running: Mutex::default(),
            shutdown: CancellationToken::new(),
        }
    }

    /// Keeps a result for its `DoGet`; returns the handle the ticket carries.
    pub fn hold(&self, owner: &str, output: QueryOutput) -> String {
        let handle = random_id();
        let cancel = self.shutdown.child_token();
        let mut pending = lock(&self.pending);
        let expired: Vec<String> = pending
            .iter()
            .filter(|(_, p)| p.created.elapsed() >= UNFETCHED_RESULT || p.cancel.is_cancelled())
            .map(|(h, _)| h.clone())
            .collect();
        let mut running = lock(&self.running);
        for h in &expired {
            pending.remove(h);
            running.remove(h);
        }
        drop(running);
        pending.insert(
            handle.clone(),
            PendingResult {
                owner: owner.to_string(),
                output,
                cancel: cancel.clone(),
                created: Instant::now(),
            },
        );
        lock(&self.running).insert(handle.clone(), cancel);
        handle
    }

    /// The result for a ticket, if it belongs to `owner`'s session; it can be fetched once.
    pub fn take(
        &self,
        owner: &str,
        handle: &str,
    ) -> Result<(QueryOutput, CancellationToken), Status> {
        let mut pending = lock(&self.pending);
        match pending.get(handle) {
            Some(p) if p.owner == owner => {}
            _ => {
                return Err(Status::not_found(
                    "no result for this ticket: it was fetched already, cancelled, expired, or \
                     belongs to another session",
                ));
            }
        }
        let p = pending
            .remove(handle)
            .ok_or_else(|| Status::internal("a pending result vanished (a bug)"))?;
        Ok((p.output, p.cancel))
    }

    /// Cancels a query, waiting or running; false when there is none by that handle.
    pub fn cancel(&self, handle: &str) -> bool {
        let waiting = lock(&self.pending).remove(handle);
        if let Some(p) = &waiting {
            p.cancel.cancel();
        }
        let running = lock(&self.running).remove(handle);
        if let Some(token) = &running {
            token.cancel();
        }
        waiting.is_some() || running.is_some()
    }

    /// The query finished or its stream was dropped.
    pub fn finished(&self, handle: &str) {
        lock(&self.running).remove(handle);
    }

    pub fn running(&self) -> usize {
        lock(&self.running).len()
    }
}

/// A prepared statement: its text, its shape, and the parameters bound last.
pub(crate) struct PreparedStatement {
    pub owner: String,
    pub sql: String,
    pub parameters: Vec<RecordBatch>,
}

pub(crate) struct PreparedStatements {
    by_handle: Mutex<HashMap<String, PreparedStatement>>,
}

impl PreparedStatements {
    pub fn new() -> Self {
        Self {
            by_handle: Mutex::default(),
        }
    }

    pub fn add(&self, statement: PreparedStatement) -> String {
        let handle = random_id();
        lock(&self.by_handle).insert(handle.clone(), statement);
        handle
    }

    /// Runs `f` on the statement `handle` of `owner`'s session.
    pub fn with<T>(
        &self,
        owner: &str,
        handle: &str,
        f: impl FnOnce(&mut PreparedStatement) -> T,
    ) -> Result<T, Status> {
        let mut all = lock(&self.by_handle);
        match all.get_mut(handle) {
            Some(p) if p.owner == owner => Ok(f(p)),
            _ => Err(Status::not_found(
                "no such prepared statement: it was closed, or belongs to another session",
            )),
        }
    }

    pub fn close(&self, owner: &str, handle: &str) -> Result<(), Status> {
        self.with(owner, handle, |_| ())?;
        lock(&self.by_handle).remove(handle);
        Ok(())
    }
}
