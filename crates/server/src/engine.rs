//! The engine thread: the sequencer. It alone owns the simulation (and so the [`Exchange`]),
//! the read models, the credentials and the terminal sessions, and it alone writes the journal.
//!
//! # Loop
//! 1. Wait up to [`IDLE_WAIT`] for a job (a gateway's request), then take every job already
//!    queued, up to [`MAX_BATCH_JOBS`].
//! 2. Advance the simulated participants to the market clock (at most
//!    [`MAX_SIM_STEPS_PER_BATCH`] steps), then run the jobs in arrival order; a job applies
//!    commands through [`State::submit`] and computes its answer.
//! 3. Append every command of the batch (participants' and clients') to the journal and commit:
//!    one write, one `fdatasync` (group commit); then make new credentials durable.
//! 4. Only then release the answers, publish the batch's events to market data subscribers and
//!    feed the terminal sessions' frame builders.
//! 5. Snapshot when due.
//!
//! # Invariants
//! - Nothing computed from a command leaves the engine before the journal write holding it has
//!   been synced (RPO 0): answers are closures run after step 3, events are published after it.
//! - Commands are stamped with the market clock, which never goes backwards; at speed 1 it
//!   follows the wall clock (re-anchored at start and on every speed or pause change).
//! - Every queue is bounded: the job queue ([`ENGINE_QUEUE_CAPACITY`], full → 503), the batch,
//!   the subscribers' buffers ([`crate::config::STREAM_BUFFER_BATCHES`]).
//! - A journal or credentials write error stops the engine: nothing more is acknowledged.

use crate::config::{ENGINE_QUEUE_CAPACITY, MAX_BATCH_JOBS, MAX_SIM_STEPS_PER_BATCH};
use crate::credentials::Credentials;
use crate::meta::{MarketMeta, SnapshotRef};
use crate::projections::Projections;
use bourse_core::{AccountId, AssetId, Command, Event, Exchange, Sequenced, SequencedCommand};
use bourse_journal::JournalWriter;
use bourse_protocol::FrameBuilder;
use bourse_sim::Simulation;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Longest the engine sleeps when nothing is queued (the simulated participants are advanced at
/// least this often).
pub const IDLE_WAIT: Duration = Duration::from_millis(2);

/// What runs after the batch is durable: sends a job's answer.
pub type Release = Box<dyn FnOnce() + Send>;

/// A gateway's request: runs on the engine thread with the engine's [`State`]; what it returns
/// runs after the batch's journal commit.
pub struct Job(pub Box<dyn FnOnce(&mut State) -> Release + Send>);

/// One batch of events as published to subscribers (after its commit).
#[derive(Debug)]
pub struct Published {
    /// The events, in output sequence order.
    pub events: Vec<Sequenced>,
    /// When the batch's first command was applied (for the market data latency figure).
    pub applied_at: Instant,
    /// For every instrument that traded in the batch: its current candle of every interval
    /// (after the batch).
    pub candles: Vec<(u32, bourse_core::Interval, bourse_core::Candle)>,
    /// For every instrument that traded in the batch: its rolling 24-hour ticker.
    pub tickers: Vec<(u32, bourse_core::Ticker24h)>,
    /// The public stream messages of the batch, rendered once by the first subscriber that
    /// needs them and shared by all: `(stream kind, instrument, JSON text)`.
    pub rendered: std::sync::OnceLock<Vec<(u8, u32, Arc<str>)>>,
}

/// The simulation clock: playing or paused, speed, anchored to the wall clock.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// Whether market time advances on its own.
    pub playing: bool,
    /// Virtual seconds per wall-clock second.
    pub speed: f64,
    anchor_wall: Instant,
    anchor_virtual_ns: u64,
}

/// Wall clock, ns since the Unix epoch.
pub fn wall_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

impl Clock {
    /// Playing at `speed` from virtual time `from_ns`.
    pub fn new(speed: f64, from_ns: u64) -> Clock {
        Clock {
            playing: true,
            speed,
            anchor_wall: Instant::now(),
            anchor_virtual_ns: from_ns,
        }
    }

    /// Market time the clock says now, ns.
    pub fn target_ns(&self, now: Instant) -> u64 {
        if !self.playing {
            return self.anchor_virtual_ns;
        }
        let wall = now.saturating_duration_since(self.anchor_wall).as_nanos() as f64;
        self.anchor_virtual_ns
            .saturating_add((wall * self.speed) as u64)
    }

    /// Change play state or speed, re-anchoring at market time `at_ns`.
    pub fn set(&mut self, playing: bool, speed: f64, at_ns: u64) {
        self.playing = playing;
        self.speed = speed;
        self.anchor_wall = Instant::now();
        self.anchor_virtual_ns = at_ns;
    }
}

/// A `/ws/terminal` session's state on the engine.
pub struct TerminalSession {
    /// The session's account.
    pub account: AccountId,
    /// May use the simulation controls.
    pub can_control: bool,
    /// The frames it is sent.
    pub builder: FrameBuilder,
}

/// Counters the engine publishes (read without the engine, for `/health` and the bench).
#[derive(Debug, Default)]
pub struct Stats {
    /// Commands journaled.
    pub commands: AtomicU64,
    /// Journal commits (`fdatasync`s).
    pub commits: AtomicU64,
    /// Jobs run.
    pub jobs: AtomicU64,
    /// Jobs refused because the queue was full.
    pub refused: AtomicU64,
    /// Snapshots written.
    pub snapshots: AtomicU64,
    /// Last input seq journaled.
    pub last_seq: AtomicU64,
    /// Market clock, ns.
    pub clock_ns: AtomicU64,
    /// Set to ask the engine to stop (after a final commit and snapshot).
    pub stop: std::sync::atomic::AtomicBool,
    /// With `stop`: skip the final snapshot (what a crash leaves: recovery replays the journal).
    pub skip_final_snapshot: std::sync::atomic::AtomicBool,
}

/// Everything a job can see and change.
pub struct State {
    /// The simulation and its exchange.
    pub sim: Simulation,
    /// Read models.
    pub proj: Projections,
    /// API keys and guest tokens.
    pub creds: Credentials,
    /// The market clock.
    pub clock: Clock,
    /// Terminal sessions by id.
    pub sessions: BTreeMap<u64, TerminalSession>,
    /// Next terminal session id.
    pub next_session: u64,
    /// The market's identity (scenario, seed, agents).
    pub meta: MarketMeta,
    /// What a new guest account is funded with: `(asset, whole coins)`.
    pub faucet: Vec<(AssetId, Decimal)>,
    /// The admin token.
    pub admin_token: String,
    log: Vec<SequencedCommand>,
    events: Vec<Sequenced>,
    first_apply: Option<Instant>,
}

impl State {
    /// Build the state around a started or resumed simulation.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        sim: Simulation,
        proj: Projections,
        creds: Credentials,
        clock: Clock,
        meta: MarketMeta,
        faucet: Vec<(AssetId, Decimal)>,
        admin_token: String,
    ) -> State {
        State {
            sim,
            proj,
            creds,
            clock,
            sessions: BTreeMap::new(),
            next_session: 1,
            meta,
            faucet,
            admin_token,
            log: Vec::new(),
            events: Vec::new(),
            first_apply: None,
        }
    }

    /// The exchange.
    pub fn exchange(&self) -> &Exchange {
        self.sim.exchange()
    }

    /// Market clock, ns.
    pub fn now_ns(&self) -> u64 {
        self.sim.now_ns()
    }

    /// Apply `cmd` at the market clock; returns its input seq and its events (also folded into
    /// the read models and, after the commit, published).
    pub fn submit(&mut self, cmd: Command) -> (u64, Vec<Sequenced>) {
        self.first_apply.get_or_insert_with(Instant::now);
        let start = self.events.len();
        let seq = self.sim.submit(cmd, &mut self.log, &mut self.events);
        self.proj.apply(&self.events[start..]);
        let mine = self.events[start..]
            .iter()
            .filter(|e| e.input_seq == seq)
            .cloned()
            .collect();
        (seq, mine)
    }

    /// Open an account funded with `deposits` (`(asset, whole coins)`); returns its id, or the
    /// reason a deposit was refused (the account then exists, unfunded).
    pub fn open_account(&mut self, deposits: &[(AssetId, Decimal)]) -> Result<AccountId, String> {
        let (_, ev) = self.submit(Command::CreateAccount {
            max_open_orders: None,
            daily_notional_limit: None,
        });
        let account = ev
            .iter()
            .find_map(|e| match e.event {
                Event::AccountCreated { account } => Some(account),
                _ => None,
            })
            .ok_or_else(|| "the exchange did not open the account".to_string())?;
        for &(asset, amount) in deposits {
            let (_, ev) = self.submit(Command::Deposit {
                account,
                asset,
                amount,
            });
            if let Some(r) = ev.iter().find_map(|e| match &e.event {
                Event::CommandRejected { reason, .. } => Some(*reason),
                _ => None,
            }) {
                return Err(format!(
                    "deposit of {amount} refused: {}",
                    bourse_protocol::wire_name(&r)
                ));
            }
        }
        Ok(account)
    }

    /// The admin's reset of the shared market: a new trading round on the same instruments and
    /// journal. Every open order of every account is cancelled (one `CancelAll` per account, in
    /// account order); every account is brought back to what it was opened with (guests: the
    /// faucet at the time; API accounts: the admin's opening deposits; simulated participants:
    /// their scenario funding) by one `Deposit` or `Withdraw` per asset that differs; then the
    /// participants restart with fresh strategy state and RNG streams from
    /// `(seed, input seq)`. Every step is an ordinary journaled command, so the reset is durable,
    /// replayable and acknowledged only after its commit like any other. The price carries on
    /// from the last trade; history (trades, candles, closed orders) stays. Accounts without a
    /// recorded opening (the script's sweeper) keep their balances.
    ///
    /// Returns `(accounts whose orders were cancelled, accounts whose balances were changed)`.
    ///
    /// # Errors
    /// A step the exchange rejected, named (the round is then partly applied, as journaled).
    pub fn reset_round(&mut self) -> Result<(usize, usize), String> {
        let accounts = self.exchange().account_count();
        let mut cancelled = 0;
        for account in 1..=accounts {
            if !self.exchange().open_orders_of(account).is_empty() {
                self.submit(Command::CancelAll {
                    account,
                    instrument: None,
                });
                cancelled += 1;
            }
        }
        let mut targets: BTreeMap<AccountId, Vec<(AssetId, Decimal)>> =
            self.creds.funding().clone();
        targets.extend(self.sim.agent_funding());
        let assets = self.exchange().config().assets.clone();
        let mut adjusted = 0;
        for (&account, funds) in &targets {
            let mut changed = false;
            for (asset, spec) in assets.iter().enumerate() {
                let asset = asset as AssetId;
                let step = bourse_core::unit_step(spec.decimals);
                let want = funds
                    .iter()
                    .filter(|(a, _)| *a == asset)
                    .map(|(_, amount)| *amount)
                    .sum::<Decimal>();
                let want = bourse_core::to_grid(want, step).map_err(|_| {
                    format!(
                        "account {account}'s opening {want} {} is off its grid",
                        spec.symbol
                    )
                })?;
                let have = self
                    .exchange()
                    .balance(account, asset)
                    .map_or(0, |b| b.available as i128 + b.locked as i128);
                let diff = want as i128 - have;
                if diff == 0 {
                    continue;
                }
                let units = i64::try_from(diff.unsigned_abs()).map_err(|_| {
                    format!("account {account}'s {} differs by too much", spec.symbol)
                })?;
                let amount = bourse_core::from_grid(units, step);
                let cmd = if diff > 0 {
                    Command::Deposit {
                        account,
                        asset,
                        amount,
                    }
                } else {
                    Command::Withdraw {
                        account,
                        asset,
                        amount,
                    }
                };
                let (_, ev) = self.submit(cmd);
                if let Some(r) = ev.iter().find_map(|e| match &e.event {
                    Event::CommandRejected { reason, .. } => Some(*reason),
                    _ => None,
                }) {
                    return Err(format!(
                        "account {account}: {amount} {} refused: {}",
                        spec.symbol,
                        bourse_protocol::wire_name(&r)
                    ));
                }
                changed = true;
            }
            adjusted += usize::from(changed);
        }
        let epoch = self.exchange().next_input_seq();
        self.sim
            .restart_agents(epoch)
            .map_err(|e| format!("the participants could not restart: {e}"))?;
        Ok((cancelled, adjusted))
    }

    /// Run the simulated participants up to market time `target_ns`, at most `max_steps` steps;
    /// true when caught up.
    fn advance(&mut self, target_ns: u64, max_steps: u64) -> bool {
        let start = self.events.len();
        let mut n = 0;
        let mut caught_up = true;
        while let Some(w) = self.sim.next_wake_ns() {
            if w > target_ns {
                break;
            }
            if n == max_steps {
                caught_up = false;
                break;
            }
            self.first_apply.get_or_insert_with(Instant::now);
            self.sim.step(&mut self.log, &mut self.events);
            n += 1;
        }
        if caught_up {
            self.sim
                .run_until(target_ns, &mut self.log, &mut self.events);
        }
        self.proj.apply(&self.events[start..]);
        caught_up
    }
}

/// Why the engine stopped.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The journal could not be written: nothing after the last commit was acknowledged.
    #[error("journal: {0}")]
    Journal(#[from] bourse_journal::JournalError),
    /// The credentials file could not be written.
    #[error("credentials: {0}")]
    Credentials(#[from] crate::credentials::CredentialsError),
}

/// Snapshot cadence and location.
#[derive(Debug, Clone)]
pub struct SnapshotPolicy {
    /// Directory of snapshot files.
    pub dir: PathBuf,
    /// After this many commands since the last snapshot.
    pub every_commands: u64,
    /// After this long with at least one new command.
    pub every: Duration,
    /// Snapshots kept.
    pub kept: usize,
}

/// Handle to send jobs to the engine.
#[derive(Clone)]
pub struct EngineHandle {
    tx: SyncSender<Job>,
    /// Counters.
    pub stats: Arc<Stats>,
}

/// Why a job was not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallError {
    /// The queue is full: try again shortly (503).
    Busy,
    /// The engine has stopped (503).
    Stopped,
}

impl EngineHandle {
    /// Run `f` on the engine and wait for its answer, released after the batch is durable.
    ///
    /// # Errors
    /// [`CallError`] when the queue is full or the engine stopped.
    pub async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut State) -> T + Send + 'static,
    ) -> Result<T, CallError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(move |st| {
            let v = f(st);
            Box::new(move || {
                let _ = tx.send(v);
            })
        })?;
        rx.await.map_err(|_| CallError::Stopped)
    }

    /// Queue a job without waiting (its release decides what happens with the answer).
    ///
    /// # Errors
    /// [`CallError`].
    pub fn send(
        &self,
        f: impl FnOnce(&mut State) -> Release + Send + 'static,
    ) -> Result<(), CallError> {
        match self.tx.try_send(Job(Box::new(f))) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => {
                self.stats.refused.fetch_add(1, Ordering::Relaxed);
                Err(CallError::Busy)
            }
            Err(TrySendError::Disconnected(_)) => Err(CallError::Stopped),
        }
    }
}

/// The engine: state, journal, snapshot policy and the publication channel.
pub struct Engine {
    /// Job state.
    pub state: State,
    journal: JournalWriter,
    policy: SnapshotPolicy,
    publish: tokio::sync::broadcast::Sender<Arc<Published>>,
    stats: Arc<Stats>,
    since_snapshot: u64,
    last_snapshot: Instant,
    /// Held for the engine's life: its lock keeps other processes out of the data directory.
    _dir: bourse_journal::DataDir,
}

impl Engine {
    /// Assemble an engine (see `recovery::open`).
    pub fn new(
        state: State,
        journal: JournalWriter,
        policy: SnapshotPolicy,
        publish: tokio::sync::broadcast::Sender<Arc<Published>>,
        dir: bourse_journal::DataDir,
    ) -> Engine {
        Engine {
            _dir: dir,
            state,
            journal,
            policy,
            publish,
            stats: Arc::new(Stats::default()),
            since_snapshot: 0,
            last_snapshot: Instant::now(),
        }
    }

    /// Start the engine thread; returns the handle for gateways and the thread's join handle
    /// (which ends when every handle is dropped, after a final commit and snapshot).
    pub fn spawn(
        self,
    ) -> (
        EngineHandle,
        std::thread::JoinHandle<Result<(), EngineError>>,
    ) {
        let (tx, rx) = std::sync::mpsc::sync_channel(ENGINE_QUEUE_CAPACITY);
        let stats = self.stats.clone();
        let join = std::thread::Builder::new()
            .name("bourse-engine".into())
            .spawn(move || self.run(rx))
            .expect("the engine thread starts");
        (EngineHandle { tx, stats }, join)
    }

    fn run(mut self, rx: Receiver<Job>) -> Result<(), EngineError> {
        let mut batch: Vec<Job> = Vec::with_capacity(1024);
        let mut releases: Vec<Release> = Vec::with_capacity(1024);
        let mut open = true;
        while open && !self.stats.stop.load(Ordering::Relaxed) {
            match rx.recv_timeout(IDLE_WAIT) {
                Ok(j) => batch.push(j),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => open = false,
            }
            while batch.len() < MAX_BATCH_JOBS {
                match rx.try_recv() {
                    Ok(j) => batch.push(j),
                    Err(_) => break,
                }
            }
            let target = self.state.clock.target_ns(Instant::now());
            self.state.advance(target, MAX_SIM_STEPS_PER_BATCH);
            let jobs = batch.len() as u64;
            for job in batch.drain(..) {
                releases.push((job.0)(&mut self.state));
            }
            self.stats.jobs.fetch_add(jobs, Ordering::Relaxed);
            self.commit()?;
            for r in releases.drain(..) {
                r();
            }
            self.publish_batch();
            if self.since_snapshot >= self.policy.every_commands
                || (self.since_snapshot > 0 && self.last_snapshot.elapsed() >= self.policy.every)
            {
                self.snapshot()?;
            }
        }
        if self.since_snapshot > 0 && !self.stats.skip_final_snapshot.load(Ordering::Relaxed) {
            self.snapshot()?;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<(), EngineError> {
        let n = self.state.log.len() as u64;
        if n > 0 {
            for c in self.state.log.drain(..) {
                self.journal.append(c.seq, c.ts_ns, &c.cmd);
            }
            self.journal.commit()?;
            self.since_snapshot += n;
            self.stats.commands.fetch_add(n, Ordering::Relaxed);
            self.stats.commits.fetch_add(1, Ordering::Relaxed);
            self.stats
                .last_seq
                .store(self.journal.next_seq() - 1, Ordering::Relaxed);
        }
        self.state.creds.flush()?;
        self.stats
            .clock_ns
            .store(self.state.sim.now_ns(), Ordering::Relaxed);
        Ok(())
    }

    fn publish_batch(&mut self) {
        let applied_at = self.state.first_apply.take();
        if self.state.events.is_empty() {
            return;
        }
        let events = std::mem::take(&mut self.state.events);
        for s in self.state.sessions.values_mut() {
            s.builder.on_events(&events);
        }
        let traded: std::collections::BTreeSet<u32> = events
            .iter()
            .filter_map(|e| match &e.event {
                Event::Trade(t) => Some(t.instrument),
                _ => None,
            })
            .collect();
        let now = self.state.sim.now_ns();
        let ex = self.state.sim.exchange();
        let mut candles = Vec::new();
        let mut tickers = Vec::new();
        for &i in &traded {
            for iv in bourse_core::Interval::ALL {
                if let Some(c) = ex.candles(i, iv, now, 1).pop() {
                    candles.push((i, iv, c));
                }
            }
            if let Some(t) = ex.ticker_24h(i, now) {
                tickers.push((i, t));
            }
        }
        let _ = self.publish.send(Arc::new(Published {
            events,
            applied_at: applied_at.unwrap_or_else(Instant::now),
            candles,
            tickers,
            rendered: std::sync::OnceLock::new(),
        }));
    }

    /// Write a snapshot of everything journaled so far, prune old snapshots and start a new
    /// journal segment.
    fn snapshot(&mut self) -> Result<(), EngineError> {
        let seq = self.journal.next_seq() - 1;
        let exchange = self.state.sim.exchange().snapshot();
        let payload = postcard::to_stdvec(&SnapshotRef {
            version: crate::meta::SNAPSHOT_VERSION,
            meta: &self.state.meta,
            exchange: &exchange,
            projections: &self.state.proj,
        })
        .expect("a snapshot serializes");
        bourse_journal::write_snapshot(&self.policy.dir, seq, &payload)?;
        bourse_journal::prune_snapshots(&self.policy.dir, self.policy.kept)?;
        self.journal.rotate()?;
        self.since_snapshot = 0;
        self.last_snapshot = Instant::now();
        self.stats.snapshots.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}
