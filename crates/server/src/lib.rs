//! # bourse-server
//!
//! `bourse serve`: one shared market, the same core and simulated participants as the Web
//! Worker, behind REST (`/v1/...`, [`rest`]), WebSocket (`/ws/terminal`, `/ws/stream`, [`ws`])
//! and the terminal's static files, with a durable journal ([`bourse_journal`]).
//!
//! ## Layers (data flows one way)
//! gateways ([`rest`], [`ws`]) → bounded job queue → [`engine`] (sequencer: simulation, read
//! models, credentials, sessions) → journal commit → answers and published events → gateways.
//!
//! ## Invariants
//! - **RPO 0.** No answer, execution report or market data event leaves before the journal
//!   write holding its command is synced ([`engine`]).
//! - **Bounded.** Every queue and buffer has a named bound ([`config`], [`ws`]); a full queue is
//!   answered (503, 429, close 1008), never grown.
//! - **Recovery equals replay.** After start-up the exchange equals the replay of the whole
//!   journal ([`recovery`]).
//! - **Errors are answers.** Bad input is a 4xx JSON `{code, msg}` ([`error`]); no request's
//!   content causes a 5xx or a panic.

#![warn(missing_docs)]

pub mod app;
pub mod binance;
pub mod config;
pub mod credentials;
pub mod engine;
pub mod error;
pub mod gateway;
pub mod meta;
pub mod projections;
pub mod recovery;
pub mod rest;
pub mod ws;

pub use app::app;
pub use config::{ConfigError, Limits, ServerConfig};
pub use gateway::AppState;
pub use recovery::{RecoveryReport, StartError};

use std::net::SocketAddr;

/// A server listening and running.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// What start-up recovered.
    pub report: RecoveryReport,
    /// The admin token.
    pub admin_token: String,
    /// Scenario and seed of the market.
    pub market: meta::MarketMeta,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: engine::EngineHandle,
    stats: std::sync::Arc<engine::Stats>,
    serve: tokio::task::JoinHandle<()>,
    engine: Option<std::thread::JoinHandle<Result<(), engine::EngineError>>>,
}

impl Running {
    /// The demo account's `(account, API key, secret)` for the Binance-compatible API: the
    /// account named `demo` if it has a key (it survives restarts), else a new one funded like a
    /// guest (the faucet), its key durable before this returns.
    ///
    /// # Errors
    /// The engine is overloaded or stopped, or the account could not be funded.
    pub async fn demo_account(&self) -> Result<(bourse_core::AccountId, String, String), String> {
        self.handle
            .call(|st| {
                if let Some(found) = st.creds.api_key_named("demo") {
                    return Ok(found);
                }
                let faucet = st.faucet.clone();
                let account = st.open_account(&faucet)?;
                let (key, secret) =
                    st.creds
                        .add(credentials::CredentialKind::Api, account, "demo", &faucet);
                Ok((account, key, secret.unwrap_or_default()))
            })
            .await
            .map_err(|e| format!("{e:?}"))?
    }

    /// Stop accepting, let the engine write its last commit and snapshot, and wait for it.
    ///
    /// # Errors
    /// The engine's error, if it stopped on one.
    pub async fn stop(self) -> Result<(), engine::EngineError> {
        self.halt(true).await
    }

    /// Stop like a crash after the last commit: no final snapshot, so the next start replays the
    /// journal since the last one (for recovery benchmarks and tests).
    ///
    /// # Errors
    /// The engine's error, if it stopped on one.
    pub async fn stop_without_snapshot(self) -> Result<(), engine::EngineError> {
        self.halt(false).await
    }

    async fn halt(mut self, snapshot: bool) -> Result<(), engine::EngineError> {
        self.stats
            .skip_final_snapshot
            .store(!snapshot, std::sync::atomic::Ordering::Relaxed);
        self.stats
            .stop
            .store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let result = match self.engine.take() {
            Some(j) => tokio::task::spawn_blocking(move || j.join())
                .await
                .ok()
                .and_then(|r| r.ok())
                .unwrap_or(Ok(())),
            None => Ok(()),
        };
        // Open WebSocket connections would keep a graceful shutdown waiting: give it a moment.
        if tokio::time::timeout(std::time::Duration::from_secs(1), &mut self.serve)
            .await
            .is_err()
        {
            self.serve.abort();
        }
        result
    }
}

/// Open (or recover) the market in `cfg.data_dir`, start the engine and listen on `cfg.addr`
/// (port 0: an ephemeral port, see [`Running::addr`]).
///
/// # Errors
/// [`StartError`], or the listener's error as [`StartError::Data`].
pub async fn start(cfg: ServerConfig) -> Result<Running, StartError> {
    let admin_token = cfg
        .admin_token
        .clone()
        .unwrap_or_else(recovery::new_admin_token);
    let c = cfg.clone();
    let token = admin_token.clone();
    let opened = tokio::task::spawn_blocking(move || recovery::open(&c, token))
        .await
        .map_err(|e| StartError::Data(format!("start-up panicked: {e}")))??;
    let report = opened.report.clone();
    let market = opened.engine.state.meta.clone();
    let config = opened.engine.state.exchange().config().clone();
    let publish = opened.publish.clone();
    let (handle, join) = opened.engine.spawn();
    let stats = handle.stats.clone();
    let state = AppState::new(
        handle.clone(),
        publish,
        admin_token.clone(),
        config,
        cfg.limits,
        cfg.web_dir.clone(),
    );
    let listener = tokio::net::TcpListener::bind(cfg.addr)
        .await
        .map_err(|e| StartError::Data(format!("cannot listen on {}: {e}", cfg.addr)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Data(e.to_string()))?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let router = app(state);
    let serve = tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = rx.await;
        })
        .await;
    });
    Ok(Running {
        addr,
        report,
        admin_token,
        market,
        shutdown: Some(tx),
        handle,
        stats,
        serve,
        engine: Some(join),
    })
}
