//! Start-up: a new market, or recovery of the one in the data directory from its newest valid
//! snapshot plus the journal after it.
//!
//! # Invariant
//! After [`open`], the exchange's state equals the replay of the whole journal from input seq 1
//! (what `bourse replay DATA_DIR` computes): a snapshot is only a shortcut, taken at a committed
//! seq, and every journaled command after it is re-applied in order with its recorded timestamp.
//! A torn last record is cut off (it was never acknowledged); any other damage stops start-up
//! with the segment and offset ([`bourse_journal::JournalError`]).

use crate::config::{ConfigError, ServerConfig};
use crate::credentials::{random_hex, Credentials, CredentialsError};
use crate::engine::{wall_ns, Clock, Engine, Published, SnapshotPolicy, State};
use crate::meta::{MarketMeta, SNAPSHOT_VERSION};
use crate::projections::Projections;
use bourse_core::{AssetId, Exchange};
use bourse_journal::{scan, DataDir, JournalError, JournalWriter};
use bourse_sim::{ResumePlan, Scenario, SimError, Simulation};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Deserialize)]
struct SnapshotOwned {
    version: u32,
    meta: MarketMeta,
    exchange: Vec<u8>,
    projections: Projections,
}

/// What start-up did, for the operator.
#[derive(Debug, Clone, Default)]
pub struct RecoveryReport {
    /// True for a new market (empty data directory).
    pub fresh: bool,
    /// Input seq of the snapshot recovery started from.
    pub snapshot_seq: Option<u64>,
    /// Snapshots passed over as invalid, with why.
    pub skipped_snapshots: Vec<String>,
    /// Journaled commands re-applied after the snapshot.
    pub replayed: u64,
    /// Last input seq recovered.
    pub last_seq: u64,
    /// A torn tail that was cut off: where and why.
    pub torn: Option<String>,
    /// Time from opening the data directory to a ready engine.
    pub elapsed: Duration,
    /// Event digest and state digest after recovery.
    pub digests: (u64, u64),
}

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Bad settings.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The data directory, journal or snapshots.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The credentials file.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// The scenario or its resumption.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// The data directory holds something this server cannot use.
    #[error("{0}")]
    Data(String),
}

/// The scenario of `meta`, with its start time, and without participants when `agents` is false.
pub fn scenario_for(name: &str, start_ns: u64, agents: bool) -> Result<Scenario, StartError> {
    let mut s = Scenario::preset(name).ok_or_else(|| {
        StartError::Data(format!("unknown scenario {name:?} in the data directory"))
    })?;
    s.start_ns = start_ns;
    if !agents {
        s.agents.clear();
        s.script.clear();
    }
    Ok(s)
}

/// A started engine and what start-up did.
pub struct Opened {
    /// The engine, not yet running.
    pub engine: Engine,
    /// What happened.
    pub report: RecoveryReport,
    /// Published event batches (subscribe for market data).
    pub publish: tokio::sync::broadcast::Sender<Arc<Published>>,
}

fn faucet_of(cfg: &ServerConfig, sim: &Simulation) -> Result<Vec<(AssetId, Decimal)>, StartError> {
    let assets = &sim.config().assets;
    cfg.faucet
        .iter()
        .map(|(sym, amount)| {
            let id = assets
                .iter()
                .position(|a| &a.symbol == sym)
                .ok_or_else(|| ConfigError::Faucet(format!("unknown asset {sym}")))?;
            Ok((id as AssetId, *amount))
        })
        .collect()
}

/// Open the data directory: a new market if it is empty, else recover (see the module docs).
///
/// # Errors
/// [`StartError`].
pub fn open(cfg: &ServerConfig, admin_token: String) -> Result<Opened, StartError> {
    cfg.validate()?;
    let t0 = Instant::now();
    let dir = DataDir::open(&cfg.data_dir)?;
    let creds = Credentials::open(&dir.root().join("credentials.jsonl"))?;
    let mut report = RecoveryReport::default();
    let snap = bourse_journal::load_newest_snapshot(&dir.snapshots())?;
    let (mut ex, mut proj, meta, from_seq) = match snap {
        Some(s) => {
            report.skipped_snapshots = s
                .skipped
                .iter()
                .map(|(p, why)| format!("{}: {why}", p.display()))
                .collect();
            let owned: SnapshotOwned = postcard::from_bytes(&s.payload).map_err(|e| {
                StartError::Data(format!("{}: not a server snapshot: {e}", s.path.display()))
            })?;
            if owned.version != SNAPSHOT_VERSION {
                return Err(StartError::Data(format!(
                    "{}: snapshot version {} (this server reads {SNAPSHOT_VERSION})",
                    s.path.display(),
                    owned.version
                )));
            }
            let ex = Exchange::restore(&owned.exchange)
                .map_err(|e| StartError::Data(format!("{}: {e}", s.path.display())))?;
            report.snapshot_seq = Some(s.seq);
            (Some(ex), owned.projections, Some(owned.meta), s.seq + 1)
        }
        None => (None, Projections::default(), None, 1),
    };
    // Without a snapshot, the first segment's header says what the market is.
    let (mut ex, meta) = match (ex.take(), meta) {
        (Some(ex), Some(meta)) => (Some(ex), Some(meta)),
        _ => {
            let head = scan(&dir.journal(), u64::MAX, |_, _, _| Ok(()))?;
            match head.header {
                None => (None, None),
                Some(h) => {
                    let meta: MarketMeta = serde_json::from_value(h.meta).map_err(|e| {
                        StartError::Data(format!("the journal's header meta is not a market: {e}"))
                    })?;
                    let ex = Exchange::new(h.config)
                        .map_err(|e| StartError::Data(format!("journal configuration: {e}")))?;
                    (Some(ex), Some(meta))
                }
            }
        }
    };
    let (sim, meta, journal) = match (ex.take(), meta) {
        (Some(mut ex), Some(mut meta)) => {
            ex.check_every_command = false;
            let mut events = Vec::with_capacity(64);
            let mut replayed = 0u64;
            let found = scan(&dir.journal(), from_seq, |seq, ts, cmd| {
                let got = ex.apply(ts, &cmd, &mut events);
                if got != seq {
                    return Err(format!("the exchange gave input seq {got} to record {seq}"));
                }
                proj.apply(&events);
                events.clear();
                replayed += 1;
                Ok(())
            })?;
            let last = ex.next_input_seq() - 1;
            if found.last_seq != 0 && found.last_seq != last {
                return Err(StartError::Data(format!(
                    "the journal ends at input seq {} but the snapshot is at {last}",
                    found.last_seq
                )));
            }
            report.replayed = replayed;
            report.last_seq = last;
            report.torn = found
                .torn
                .as_ref()
                .map(|t| format!("{} at byte {}: {}", t.segment.display(), t.offset, t.reason));
            report.digests = (ex.event_digest(), ex.state_digest());
            meta.plan.epoch = last;
            let journal = JournalWriter::resume(
                &dir.journal(),
                &found,
                ex.config().clone(),
                serde_json::to_value(&meta).expect("meta serializes"),
                cfg.max_segment_bytes,
            )?;
            let run_agents = cfg.agents && meta.agents;
            let scenario = scenario_for(&meta.scenario, meta.plan.start_ns, run_agents)?;
            let mut plan = meta.plan.clone();
            if !run_agents {
                plan.agent_accounts.clear();
                plan.sweeper = None;
            }
            let sim = Simulation::resume(scenario, meta.seed, ex, &plan)?;
            (sim, meta, journal)
        }
        _ => {
            report.fresh = true;
            let seed = cfg.seed.unwrap_or_else(|| {
                let mut b = [0u8; 8];
                getrandom::fill(&mut b).expect("the operating system's random source");
                u64::from_le_bytes(b) >> 11
            });
            let start_ns = wall_ns();
            let scenario = scenario_for(&cfg.scenario, start_ns, cfg.agents)?;
            let sim = Simulation::new(scenario, seed)?;
            let meta = MarketMeta {
                scenario: cfg.scenario.clone(),
                seed,
                agents: cfg.agents,
                plan: ResumePlan {
                    agent_accounts: sim.agents().iter().map(|a| a.account).collect(),
                    sweeper: sim.sweeper_account(),
                    start_ns,
                    epoch: 0,
                },
            };
            let empty = scan(&dir.journal(), 1, |_, _, _| Ok(()))?;
            let journal = JournalWriter::resume(
                &dir.journal(),
                &empty,
                sim.config().clone(),
                serde_json::to_value(&meta).expect("meta serializes"),
                cfg.max_segment_bytes,
            )?;
            (sim, meta, journal)
        }
    };
    let mut sim = sim;
    sim.set_check_every_command(false);
    let faucet = faucet_of(cfg, &sim)?;
    let clock = Clock::new(cfg.speed, sim.now_ns().max(wall_ns()));
    let state = State::new(sim, proj, creds, clock, meta, faucet, admin_token);
    let (publish, _) = tokio::sync::broadcast::channel(crate::config::STREAM_BUFFER_BATCHES);
    let policy = SnapshotPolicy {
        dir: dir.snapshots(),
        every_commands: cfg.snapshot_every_commands,
        every: Duration::from_secs(cfg.snapshot_every_secs),
        kept: cfg.snapshots_kept,
    };
    let engine = Engine::new(state, journal, policy, publish.clone(), dir);
    report.elapsed = t0.elapsed();
    Ok(Opened {
        engine,
        report,
        publish,
    })
}

/// A new random admin token (`ba_` and 32 hex digits).
pub fn new_admin_token() -> String {
    format!("ba_{}", random_hex(16))
}
