//! [`ServerConfig`]: everything `bourse serve` can be told, with defaults that need no flags, and
//! [`Limits`]: every bound the server enforces on its clients, each named.

use rust_decimal::Decimal;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Most jobs (orders, queries, terminal requests) waiting for the engine; a gateway that finds
/// the queue full answers 503 with `Retry-After` instead of queueing without bound.
pub const ENGINE_QUEUE_CAPACITY: usize = 65_536;
/// Most jobs the engine takes into one batch (one journal write and one `fdatasync`).
pub const MAX_BATCH_JOBS: usize = 8_192;
/// Most simulation steps the engine runs between two batches of client jobs, so that a burst of
/// scheduled agent wake-ups cannot starve the gateways.
pub const MAX_SIM_STEPS_PER_BATCH: u64 = 20_000;
/// Batches of published events buffered per market data subscriber; a stream client further
/// behind is disconnected with close code 1008 and the reason `too slow`.
pub const STREAM_BUFFER_BATCHES: usize = 4_096;
/// Most terminal sessions (`/ws/terminal`) at once; each has a frame builder on the engine.
pub const MAX_TERMINAL_SESSIONS: usize = 256;

/// How the server is set up. [`ServerConfig::default`] is `bourse serve` without flags.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on (default `127.0.0.1:8080`).
    pub addr: SocketAddr,
    /// Built-in scenario of a new market (default `calm`); ignored when recovering, which keeps
    /// the journal's.
    pub scenario: String,
    /// Seed of a new market (`None`: drawn at random and printed).
    pub seed: Option<u64>,
    /// Data directory: `journal/`, `snapshots/`, `credentials.jsonl`, `LOCK`.
    pub data_dir: PathBuf,
    /// Virtual seconds per wall-clock second (default 1; > 0 and ≤ 1000).
    pub speed: f64,
    /// Run without the simulated participants (the book holds only what users place).
    pub agents: bool,
    /// The terminal's release build to serve at `/` (`None`: no terminal, said at start-up).
    pub web_dir: Option<PathBuf>,
    /// Admin bearer token (`None`: generated and printed).
    pub admin_token: Option<String>,
    /// What a new guest account (and an admin-created account without deposits) is funded
    /// with: `(asset symbol, whole coins)`. Default 100,000 USDT and 2 BTC.
    pub faucet: Vec<(String, Decimal)>,
    /// Snapshot after this many journaled commands (default 1,000,000).
    pub snapshot_every_commands: u64,
    /// Snapshot after this many seconds with at least one new command (default 300).
    pub snapshot_every_secs: u64,
    /// Snapshots kept (default 3; older ones are deleted after a new one is durable).
    pub snapshots_kept: usize,
    /// Largest journal segment before rotation, bytes (default 64 MiB).
    pub max_segment_bytes: u64,
    /// Client limits.
    pub limits: Limits,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            scenario: "calm".into(),
            seed: None,
            data_dir: PathBuf::from("bourse-data"),
            speed: 1.0,
            agents: true,
            web_dir: None,
            admin_token: None,
            faucet: vec![
                ("USDT".into(), Decimal::from(100_000)),
                ("BTC".into(), Decimal::from(2)),
            ],
            snapshot_every_commands: 1_000_000,
            snapshot_every_secs: 300,
            snapshots_kept: 3,
            max_segment_bytes: bourse_journal::DEFAULT_MAX_SEGMENT_BYTES,
            limits: Limits::default(),
        }
    }
}

/// Bounds on what one client may send. Exceeding one is answered (413, 429, close code 1009 or
/// 1008), never queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body, bytes (default 16 KiB; 413 above).
    pub max_body_bytes: usize,
    /// Longest query string, bytes (default 2 KiB; 413 above).
    pub max_query_bytes: usize,
    /// Largest WebSocket message, bytes (default 16 KiB; close code 1009 above).
    pub max_ws_message_bytes: usize,
    /// REST requests per second per credential (API key or guest token) (default 2,000; 429).
    pub rest_per_key_per_sec: u32,
    /// REST requests per second per client IP address (default 5,000; 429).
    pub rest_per_ip_per_sec: u32,
    /// WebSocket messages per second per connection (default 5,000; close code 1008 when
    /// exceeded by more than one second's burst).
    pub ws_messages_per_sec: u32,
    /// Subscriptions per `/ws/stream` connection (default 64).
    pub max_subscriptions: usize,
    /// Open WebSocket connections per client IP address (default 256).
    pub max_ws_per_ip: usize,
    /// Guest accounts created per client IP address per minute (default 30).
    pub guests_per_ip_per_min: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 16 * 1024,
            max_query_bytes: 2 * 1024,
            max_ws_message_bytes: 16 * 1024,
            rest_per_key_per_sec: 2_000,
            rest_per_ip_per_sec: 5_000,
            ws_messages_per_sec: 5_000,
            max_subscriptions: 64,
            max_ws_per_ip: 256,
            guests_per_ip_per_min: 30,
        }
    }
}

/// Why a [`ServerConfig`] cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `scenario` is not a built-in scenario.
    #[error("unknown scenario {0:?} (known: {1})")]
    UnknownScenario(String, String),
    /// `speed` is not in `(0, 1000]`.
    #[error("speed must be > 0 and at most 1000 virtual seconds per second, got {0}")]
    Speed(String),
    /// A faucet asset is not in the exchange configuration, or its amount is not positive.
    #[error("faucet: {0}")]
    Faucet(String),
    /// A limit or interval is zero.
    #[error("{0} must be at least 1")]
    Zero(&'static str),
    /// The admin token is too short to be a secret.
    #[error("the admin token must be at least 16 characters")]
    AdminToken,
}

impl ServerConfig {
    /// Check the settings that do not depend on the market.
    ///
    /// # Errors
    /// The first [`ConfigError`] found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if bourse_sim::Scenario::preset(&self.scenario).is_none() {
            return Err(ConfigError::UnknownScenario(
                self.scenario.clone(),
                bourse_sim::Scenario::preset_names().join(", "),
            ));
        }
        if !(self.speed > 0.0 && self.speed <= 1000.0) {
            return Err(ConfigError::Speed(self.speed.to_string()));
        }
        if let Some(t) = &self.admin_token {
            if t.len() < 16 {
                return Err(ConfigError::AdminToken);
            }
        }
        let l = &self.limits;
        for (v, name) in [
            (self.snapshot_every_commands, "snapshot_every_commands"),
            (self.snapshot_every_secs, "snapshot_every_secs"),
            (self.max_segment_bytes, "max_segment_bytes"),
            (l.max_body_bytes as u64, "max_body_bytes"),
            (l.max_query_bytes as u64, "max_query_bytes"),
            (l.max_ws_message_bytes as u64, "max_ws_message_bytes"),
            (l.rest_per_key_per_sec as u64, "rest_per_key_per_sec"),
            (l.rest_per_ip_per_sec as u64, "rest_per_ip_per_sec"),
            (l.ws_messages_per_sec as u64, "ws_messages_per_sec"),
            (l.max_subscriptions as u64, "max_subscriptions"),
            (l.max_ws_per_ip as u64, "max_ws_per_ip"),
            (l.guests_per_ip_per_min as u64, "guests_per_ip_per_min"),
        ] {
            if v == 0 {
                return Err(ConfigError::Zero(name));
            }
        }
        for (asset, amount) in &self.faucet {
            if *amount <= Decimal::ZERO {
                return Err(ConfigError::Faucet(format!(
                    "{asset} amount {amount} is not positive"
                )));
            }
        }
        Ok(())
    }
}
