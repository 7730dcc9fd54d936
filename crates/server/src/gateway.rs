//! [`AppState`]: what every gateway (REST handler, WebSocket session) shares, and the guest
//! sign-up both use.

use crate::config::Limits;
use crate::credentials::CredentialKind;
use crate::engine::{EngineHandle, Published, State};
use crate::error::ApiError;
use bourse_core::{AccountId, ExchangeConfig};
use governor::clock::DefaultClock;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// A keyed rate limiter (`governor`).
pub type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The engine.
    pub engine: EngineHandle,
    /// Published event batches.
    pub publish: tokio::sync::broadcast::Sender<Arc<Published>>,
    /// The admin's bearer token.
    pub admin_token: Arc<String>,
    /// The exchange configuration (fixed for the server's life).
    pub config: Arc<ExchangeConfig>,
    /// Client limits.
    pub limits: Limits,
    /// REST requests per credential.
    pub per_key: Arc<Keyed<String>>,
    /// REST requests per address.
    pub per_ip: Arc<Keyed<IpAddr>>,
    /// Guest accounts per address.
    pub guests_per_ip: Arc<Keyed<IpAddr>>,
    /// Open WebSocket connections per address.
    pub ws_per_ip: Arc<Mutex<HashMap<IpAddr, usize>>>,
    /// The terminal's files, if any.
    pub web_dir: Option<PathBuf>,
    /// Market data latency, µs: from the engine applying the batch's first command to the
    /// stream frame handed to the socket (recorded by every `/ws/stream` writer).
    pub md_latency_us: Arc<Mutex<hdrhistogram::Histogram<u64>>>,
}

fn per_sec(n: u32) -> Quota {
    Quota::per_second(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

impl AppState {
    /// Shared state for a running engine.
    pub fn new(
        engine: EngineHandle,
        publish: tokio::sync::broadcast::Sender<Arc<Published>>,
        admin_token: String,
        config: ExchangeConfig,
        limits: Limits,
        web_dir: Option<PathBuf>,
    ) -> AppState {
        AppState {
            engine,
            publish,
            admin_token: Arc::new(admin_token),
            config: Arc::new(config),
            limits,
            per_key: Arc::new(RateLimiter::keyed(per_sec(limits.rest_per_key_per_sec))),
            per_ip: Arc::new(RateLimiter::keyed(per_sec(limits.rest_per_ip_per_sec))),
            guests_per_ip: Arc::new(RateLimiter::keyed(Quota::per_minute(
                NonZeroU32::new(limits.guests_per_ip_per_min).unwrap_or(NonZeroU32::MIN),
            ))),
            ws_per_ip: Arc::new(Mutex::new(HashMap::new())),
            web_dir,
            md_latency_us: Arc::new(Mutex::new(
                hdrhistogram::Histogram::new_with_bounds(1, 60_000_000, 3)
                    .expect("valid histogram bounds"),
            )),
        }
    }
}

/// Open a guest account funded by the faucet and give it a token (durable before the answer
/// leaves: the engine flushes credentials after the journal commit).
pub fn new_guest(st: &mut State, name: &str) -> Result<(AccountId, String, String), ApiError> {
    let faucet = st.faucet.clone();
    let account = st.open_account(&faucet).map_err(ApiError::bad)?;
    let name = if name.is_empty() {
        format!("guest-{account}")
    } else {
        name.to_string()
    };
    let (token, _) = st.creds.add(CredentialKind::Guest, account, &name, &faucet);
    Ok((account, token, name))
}
