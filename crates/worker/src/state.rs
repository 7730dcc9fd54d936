//! [`WorkerState`]: the simulation, the human's account, the virtual clock and protocol handling.

use crate::explain::{agent_words, ExplainLog};
use crate::lesson::LessonRun;
use crate::{
    DEFAULT_HUMAN_BASE, DEFAULT_HUMAN_ETH, DEFAULT_HUMAN_QUOTE, MAX_FAST_FORWARD_STEPS,
    MAX_STEPS_PER_ADVANCE, MAX_STEP_COUNT,
};
use bourse_core::{
    from_grid, unit_step, AccountId, AssetId, Command, Event, Exchange, ExchangeConfig, Sequenced,
    SequencedCommand, Units,
};
use bourse_protocol::{
    command_outcome, wire_name, ClientMessage, ClientRequest, ExplainTarget, Explanation, Frame,
    FrameBuilder, MarketInfo, MarketStart, ProtocolError, RejectReason, ScenarioInfo, ScriptItem,
    ServerMessage, SimControl, SimState, Speed, Subscription, MAX_FAST_FORWARD_NS,
    PROTOCOL_VERSION,
};
use bourse_sim::{ActionKind, Scenario, SimDuration, SimError, Simulation};
use serde::{Deserialize, Serialize};

/// One deposit credited to the human's account when it is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HumanDeposit {
    /// Asset index in the exchange configuration.
    pub asset: AssetId,
    /// Amount, asset units (smallest units, e.g. satoshis for an 8-decimal asset); 0 is skipped.
    pub units: Units,
}

/// The default funds of the human: [`DEFAULT_HUMAN_QUOTE`] of the quote asset and
/// [`DEFAULT_HUMAN_BASE`] of the base asset of `BTC-USDT` (of instrument 0 when the configuration
/// has no `BTC-USDT`), and [`DEFAULT_HUMAN_ETH`] of the base asset of `ETH-USDT` when there is
/// one: 100,000 USDT, 2 BTC and 40 ETH with the default configuration. Empty when the
/// configuration has no instrument; an amount too large for the asset's unit is left out.
pub fn default_human_deposits(config: &ExchangeConfig) -> Vec<HumanDeposit> {
    let ins = config.instrument_by_symbol("BTC-USDT").unwrap_or(0);
    let Some(spec) = config.instruments.get(ins as usize) else {
        return Vec::new();
    };
    let units = |asset: AssetId, coins: u64| -> Option<HumanDeposit> {
        let decimals = config.assets.get(asset as usize)?.decimals;
        let units = 10u64.checked_pow(decimals)?.checked_mul(coins)?;
        Some(HumanDeposit { asset, units })
    };
    let eth = config
        .instrument_by_symbol("ETH-USDT")
        .and_then(|i| config.instruments.get(i as usize))
        .filter(|e| e.base != spec.base && e.base != spec.quote);
    [
        units(spec.quote, DEFAULT_HUMAN_QUOTE),
        units(spec.base, DEFAULT_HUMAN_BASE),
        eth.and_then(|e| units(e.base, DEFAULT_HUMAN_ETH)),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Why a [`WorkerState`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkerError {
    /// The scenario name is not one of [`Scenario::preset_names`].
    #[error("unknown scenario {0:?}")]
    UnknownScenario(String),
    /// The scenario could not be started.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// The human's account could not be created or funded.
    #[error("human account set-up failed: {0}")]
    AccountSetup(String),
    /// The warm-up is longer than [`MAX_FAST_FORWARD_NS`].
    #[error("warm-up of {0} ns is longer than the maximum {MAX_FAST_FORWARD_NS} ns")]
    WarmupTooLong(u64),
}

/// The worker's brain: one simulation, the human's account, the virtual clock (play/pause/speed)
/// and a [`FrameBuilder`] for the human, driven by [`WorkerState::handle`] (page requests) and
/// [`WorkerState::advance`] (the host's timer). Pure: no I/O, clock or randomness; the same
/// scenario, seed and sequence of calls give the same events (see the crate documentation).
pub struct WorkerState {
    pub(crate) sim: Simulation,
    scenario: String,
    seed: u64,
    /// Warm-up of the running market (see [`MarketStart`]), ns.
    warmup_ns: u64,
    /// Virtual time the market was handed over (after the warm-up), ns.
    handover_ns: u64,
    /// `None`: [`default_human_deposits`] of the scenario's configuration.
    pub(crate) deposits: Option<Vec<HumanDeposit>>,
    pub(crate) human: AccountId,
    builder: FrameBuilder,
    playing: bool,
    speed: Speed,
    hello_done: bool,
    /// Scratch buffers, emptied after every step or command (the log is not kept).
    pub(crate) log: Vec<SequencedCommand>,
    pub(crate) events: Vec<Sequenced>,
    /// The running lesson (see `lesson_control.rs`).
    pub(crate) lesson: Option<LessonRun>,
    /// The explain window (see `explain.rs`).
    explain: ExplainLog,
}

impl std::fmt::Debug for WorkerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerState")
            .field("scenario", &self.scenario)
            .field("seed", &self.seed)
            .field("human", &self.human)
            .field("now_ns", &self.sim.now_ns())
            .field("steps", &self.sim.steps())
            .field("playing", &self.playing)
            .field("speed", &self.speed)
            .finish_non_exhaustive()
    }
}

/// A started simulation with the human's account created and funded; `events` holds every event
/// so far (the agents' set-up and the human's).
fn build(
    scenario_name: &str,
    seed: u64,
    warmup_ns: u64,
    deposits: Option<&[HumanDeposit]>,
    log: &mut Vec<SequencedCommand>,
    events: &mut Vec<Sequenced>,
) -> Result<(Simulation, AccountId), WorkerError> {
    let mut scenario = Scenario::preset(scenario_name)
        .ok_or_else(|| WorkerError::UnknownScenario(scenario_name.to_string()))?;
    if warmup_ns > MAX_FAST_FORWARD_NS {
        return Err(WorkerError::WarmupTooLong(warmup_ns));
    }
    scenario.delay_script(SimDuration(warmup_ns));
    let mut sim = Simulation::new(scenario, seed)?;
    let setup_err = |what: &str, events: &[Sequenced], seq: u64| {
        let why = events
            .iter()
            .filter(|e| e.input_seq == seq)
            .find_map(|e| match &e.event {
                Event::CommandRejected { reason, .. } => Some(format!("{reason:?}")),
                _ => None,
            });
        why.map(|r| WorkerError::AccountSetup(format!("{what} rejected: {r}")))
    };
    let seq = sim.submit(
        Command::CreateAccount {
            max_open_orders: None,
            daily_notional_limit: None,
        },
        log,
        events,
    );
    if let Some(e) = setup_err("CreateAccount", events, seq) {
        return Err(e);
    }
    let human = events
        .iter()
        .filter(|e| e.input_seq == seq)
        .find_map(|e| match e.event {
            Event::AccountCreated { account } => Some(account),
            _ => None,
        })
        .ok_or_else(|| WorkerError::AccountSetup("no AccountCreated event".into()))?;
    let defaults;
    let deposits = match deposits {
        Some(d) => d,
        None => {
            defaults = default_human_deposits(sim.config());
            &defaults
        }
    };
    for d in deposits.iter().filter(|d| d.units > 0) {
        let decimals = sim
            .config()
            .assets
            .get(d.asset as usize)
            .ok_or_else(|| WorkerError::AccountSetup(format!("unknown asset {}", d.asset)))?
            .decimals;
        let units = i64::try_from(d.units).map_err(|_| {
            WorkerError::AccountSetup(format!("deposit of asset {} too large", d.asset))
        })?;
        let seq = sim.submit(
            Command::Deposit {
                account: human,
                asset: d.asset,
                amount: from_grid(units, unit_step(decimals)),
            },
            log,
            events,
        );
        if let Some(e) = setup_err("Deposit", events, seq) {
            return Err(e);
        }
    }
    Ok((sim, human))
}

impl WorkerState {
    /// Start preset `scenario_name` (see [`Scenario::preset_names`]) from `seed`, paused at 1×,
    /// create the human's account through [`Simulation::submit`] (`CreateAccount`, then one
    /// `Deposit` per entry of `human_deposits`; `None` means [`default_human_deposits`]), and
    /// subscribe the human's [`FrameBuilder`] to [`Subscription::new`]`(0)` (instrument 0, 20
    /// ungrouped rows, 1-minute candles). The handshake is still to come: the page's `Hello` is
    /// answered by [`WorkerState::ready`].
    pub fn new(
        scenario_name: &str,
        seed: u64,
        human_deposits: Option<Vec<HumanDeposit>>,
    ) -> Result<Self, WorkerError> {
        Self::with_warmup(scenario_name, seed, 0, human_deposits)
    }

    /// [`WorkerState::new`] followed by a warm-up of `warmup_ns` virtual time with the scenario's
    /// script delayed by as much (see [`MarketStart`]): the market is handed over at
    /// `start + warmup_ns`, paused.
    ///
    /// # Errors
    /// As [`WorkerState::new`], and [`WorkerError::WarmupTooLong`] above
    /// [`MAX_FAST_FORWARD_NS`].
    pub fn with_warmup(
        scenario_name: &str,
        seed: u64,
        warmup_ns: u64,
        human_deposits: Option<Vec<HumanDeposit>>,
    ) -> Result<Self, WorkerError> {
        let (mut log, mut events) = (Vec::new(), Vec::new());
        let (sim, human) = build(
            scenario_name,
            seed,
            warmup_ns,
            human_deposits.as_deref(),
            &mut log,
            &mut events,
        )?;
        let mut builder = FrameBuilder::new(human, Subscription::new(0));
        builder.on_events(&events);
        let mut explain = ExplainLog::default();
        explain.on_step(&mut log, &mut events, human);
        let handover_ns = sim.now_ns();
        let mut state = WorkerState {
            sim,
            scenario: scenario_name.to_string(),
            seed,
            warmup_ns,
            handover_ns,
            deposits: human_deposits,
            human,
            builder,
            playing: false,
            speed: Speed::X1,
            hello_done: false,
            log,
            events,
            lesson: None,
            explain,
        };
        state.warm_up();
        Ok(state)
    }

    /// Run the warm-up: every step up to `start + warmup_ns` (bounded by
    /// [`MAX_FAST_FORWARD_STEPS`]), then note the hand-over time.
    fn warm_up(&mut self) {
        if self.warmup_ns > 0 {
            let target = self.sim.start_ns().saturating_add(self.warmup_ns);
            self.run_to(target, MAX_FAST_FORWARD_STEPS);
        }
        self.handover_ns = self.sim.now_ns();
    }

    /// Replace the market by `scenario` from `seed` after `warmup_ns` (paused; the human's
    /// account is recreated, the subscription kept when it still fits).
    pub(crate) fn restart(
        &mut self,
        scenario: &str,
        seed: u64,
        warmup_ns: u64,
    ) -> Result<(), WorkerError> {
        self.lesson = None;
        let (sim, human) = match build(
            scenario,
            seed,
            warmup_ns,
            self.deposits.as_deref(),
            &mut self.log,
            &mut self.events,
        ) {
            Ok(x) => x,
            Err(e) => {
                self.log.clear();
                self.events.clear();
                return Err(e);
            }
        };
        self.sim = sim;
        self.human = human;
        self.explain = ExplainLog::default();
        self.scenario = scenario.to_string();
        self.seed = seed;
        self.warmup_ns = warmup_ns;
        self.playing = false;
        self.builder.reset(human);
        if self
            .builder
            .subscription()
            .validate(self.sim.config())
            .is_err()
        {
            self.builder.subscribe(Subscription::new(0));
        }
        self.flush();
        self.warm_up();
        Ok(())
    }

    /// What the page needs to know about the running market (see [`MarketInfo`]).
    pub fn market_info(&self) -> MarketInfo {
        market_info_of(
            self.sim.scenario(),
            self.sim.config(),
            self.handover_ns,
            self.warmup_ns,
        )
    }

    // ------------------------------------------------------------------ queries

    /// The [`ServerMessage::Ready`] message: protocol version, exchange configuration, the human's
    /// account, the scenario names `Reset` accepts and the simulation state. It is the first
    /// message the worker sends (as the answer to a valid `Hello`, and again after a `Reset`).
    pub fn ready(&self) -> ServerMessage {
        ServerMessage::Ready {
            version: PROTOCOL_VERSION,
            config: self.sim.config().clone(),
            human_account: self.human,
            scenarios: Scenario::preset_names()
                .iter()
                .filter_map(|n| Scenario::preset(n))
                .map(|s| ScenarioInfo {
                    name: s.name,
                    description: s.description,
                })
                .collect(),
            sim: self.sim_state(),
            market: self.market_info(),
            session: None,
        }
    }

    /// The simulation control state as frames report it.
    pub fn sim_state(&self) -> SimState {
        SimState {
            playing: self.playing,
            speed: self.speed,
            scenario: self.scenario.clone(),
            seed: self.seed,
            steps: self.sim.steps(),
        }
    }

    /// The simulation (read-only).
    pub fn simulation(&self) -> &Simulation {
        &self.sim
    }

    /// The exchange (read-only).
    pub fn exchange(&self) -> &Exchange {
        self.sim.exchange()
    }

    /// The human's account id.
    pub fn human_account(&self) -> AccountId {
        self.human
    }

    /// The virtual clock, ns since the Unix epoch.
    pub fn now_ns(&self) -> u64 {
        self.sim.now_ns()
    }

    /// Simulation steps processed so far (one step = one [`Simulation::step`]).
    pub fn sim_steps(&self) -> u64 {
        self.sim.steps()
    }

    /// True while virtual time advances on [`WorkerState::advance`].
    pub fn is_playing(&self) -> bool {
        self.playing
    }

    /// Current speed.
    pub fn speed(&self) -> Speed {
        self.speed
    }

    /// The current subscription.
    pub fn subscription(&self) -> &Subscription {
        self.builder.subscription()
    }

    /// True once a valid `Hello` was received.
    pub fn handshake_done(&self) -> bool {
        self.hello_done
    }

    /// Turn the exchange's after-every-command invariant check on or off (on by default in debug
    /// builds; expensive). See [`Simulation::set_check_every_command`].
    pub fn set_check_every_command(&mut self, on: bool) {
        self.sim.set_check_every_command(on);
    }

    // ------------------------------------------------------------------ driving

    /// Hand the scratch events to the frame builder and empty the scratch buffers.
    pub(crate) fn flush(&mut self) {
        if let Some(run) = &mut self.lesson {
            run.ev.on_events(self.sim.config(), &self.events);
            let sim = &self.sim;
            run.note_counterparties(&self.events, self.human, |a| {
                sim.agent_of_account(a).map(|i| i.kind.as_str())
            });
            run.ev.on_state(self.sim.exchange(), self.sim.now_ns());
        }
        self.builder.on_events(&self.events);
        // Takes (and so empties) the scratch buffers.
        self.explain
            .on_step(&mut self.log, &mut self.events, self.human);
    }

    /// Run up to `n` steps; returns how many ran (fewer when nothing is scheduled any more).
    pub(crate) fn run_steps(&mut self, n: u64) -> u64 {
        let mut done = 0;
        while done < n {
            let stepped = self.sim.step(&mut self.log, &mut self.events);
            self.flush();
            if !stepped {
                break;
            }
            done += 1;
        }
        done
    }

    /// Run every simulation event scheduled up to `target_ns`, at most `max_steps` of them; if
    /// none is left before the target, move the clock to it (this runs no step). Returns the
    /// steps run. The same steps, in the same order, whatever the split into calls.
    fn run_to(&mut self, target_ns: u64, max_steps: u64) -> u64 {
        let mut done = 0;
        while done < max_steps {
            match self.sim.next_wake_ns() {
                Some(t) if t <= target_ns => {
                    self.sim.step(&mut self.log, &mut self.events);
                    self.flush();
                    done += 1;
                }
                _ => break,
            }
        }
        if self.sim.next_wake_ns().is_none_or(|t| t > target_ns) {
            self.sim
                .run_until(target_ns, &mut self.log, &mut self.events);
            self.flush();
        }
        done
    }

    /// `Sim(FastForward{virtual_ns})`: [`Self::run_to`] `now + virtual_ns` with at most
    /// [`MAX_FAST_FORWARD_STEPS`] steps.
    fn fast_forward(&mut self, virtual_ns: u64) -> u64 {
        let target = self.sim.now_ns().saturating_add(virtual_ns);
        self.run_to(target, MAX_FAST_FORWARD_STEPS)
    }

    /// Advance the virtual clock for `wall_elapsed_ns` of wall-clock time (ns since the previous
    /// call, measured by the host); returns the number of simulation steps run.
    ///
    /// - Paused: nothing happens (0).
    /// - 1×, 10×, 100×: the target is `now + wall_elapsed_ns × factor` (saturating); every wake-up
    ///   up to it runs, then the clock is set to the target. If [`MAX_STEPS_PER_ADVANCE`] steps do
    ///   not reach it, the call stops there and the clock stays at the last step's time: virtual
    ///   time falls behind (it does not catch up later) rather than flooding the page.
    /// - [`Speed::Max`]: exactly [`MAX_STEPS_PER_ADVANCE`] steps (fewer when the scenario has
    ///   nothing scheduled), whatever `wall_elapsed_ns`; the clock follows the steps.
    pub fn advance(&mut self, wall_elapsed_ns: u64) -> u64 {
        self.advance_bounded(wall_elapsed_ns, MAX_STEPS_PER_ADVANCE)
    }

    /// [`WorkerState::advance`] with a smaller step bound: at most `max_steps` steps (clamped to
    /// `1..=`[`MAX_STEPS_PER_ADVANCE`]). The Web Worker glue calls it in chunks at
    /// [`Speed::Max`] so that it can stop after a wall-clock budget and answer the page. At 1×,
    /// 10× and 100× a bound that is hit leaves virtual time behind the target, as in `advance`.
    pub fn advance_bounded(&mut self, wall_elapsed_ns: u64, max_steps: u64) -> u64 {
        let max_steps = max_steps.clamp(1, MAX_STEPS_PER_ADVANCE);
        if !self.playing {
            return 0;
        }
        let Some(factor) = self.speed.factor() else {
            return self.run_steps(max_steps);
        };
        let target = self
            .sim
            .now_ns()
            .saturating_add(wall_elapsed_ns.saturating_mul(factor as u64));
        self.run_to(target, max_steps)
    }

    /// The next frame: everything that changed since the previous one, at the virtual clock.
    pub fn take_frame(&mut self) -> Frame {
        let sim_state = self.sim_state();
        self.builder
            .take_frame(self.sim.exchange(), self.sim.now_ns(), &sim_state)
    }

    /// "Explain this fill" (see [`ExplainTarget`]): the command behind `target` with its events,
    /// the maker's queue history and the fees, from the window of the last
    /// [`crate::EXPLAIN_WINDOW_COMMANDS`] commands.
    ///
    /// # Errors
    /// A text saying why `target` is not in the window.
    pub fn explain(&self, target: &ExplainTarget) -> Result<Explanation, String> {
        let (sim, human) = (&self.sim, self.human);
        let namer = |a: AccountId| -> String {
            if a == human {
                "you".to_string()
            } else {
                match sim.agent_of_account(a) {
                    Some(i) => format!("a {} (account {a})", agent_words(i.kind.as_str())),
                    None => format!("account {a}"),
                }
            }
        };
        self.explain
            .explain(self.sim.config(), target, human, &namer)
    }

    /// Answer one page request (see [`ClientMessage`] for each message's answer). Before a valid
    /// `Hello` every other request is refused with [`RejectReason::HelloRequired`]; a `Hello` of
    /// another [`PROTOCOL_VERSION`] is refused with [`RejectReason::UnsupportedVersion`] (with
    /// `client_seq: None`, as the protocol specifies).
    pub fn handle(&mut self, req: ClientRequest) -> Vec<ServerMessage> {
        let seq = req.client_seq;
        if let ClientMessage::Hello {
            version, market, ..
        } = req.message
        {
            if version != PROTOCOL_VERSION {
                let err = ProtocolError::VersionMismatch {
                    expected: PROTOCOL_VERSION,
                    found: version,
                };
                return vec![err.to_rejected(None)];
            }
            if let Some(MarketStart {
                scenario,
                seed,
                warmup_ns,
            }) = market
            {
                let same =
                    scenario == self.scenario && seed == self.seed && warmup_ns == self.warmup_ns;
                if !same {
                    if let Err(e) = self.restart(&scenario, seed, warmup_ns) {
                        let reason = match e {
                            WorkerError::UnknownScenario(_) => RejectReason::UnknownScenario,
                            _ => RejectReason::InvalidRequest,
                        };
                        return vec![ServerMessage::rejected(Some(seq), reason, e.to_string())];
                    }
                }
            }
            self.hello_done = true;
            return vec![self.ready()];
        }
        if !self.hello_done {
            return vec![ServerMessage::rejected(
                Some(seq),
                RejectReason::HelloRequired,
                "send Hello first and wait for Ready",
            )];
        }
        if let Some(cmd) = req.message.to_command(self.human) {
            let (steps, now) = (self.sim.steps(), self.sim.now_ns());
            let input_seq = self
                .sim
                .submit(cmd.clone(), &mut self.log, &mut self.events);
            if let Some(run) = &mut self.lesson {
                run.record(steps, now, input_seq, &cmd);
            }
            let outcome = command_outcome(seq, input_seq, &self.events);
            self.flush();
            return vec![outcome];
        }
        let ack = ServerMessage::Ack {
            client_seq: seq,
            input_seq: None,
        };
        match req.message {
            ClientMessage::Sim(control) => self.sim_control(seq, control),
            ClientMessage::Subscribe(sub) => match sub.validate(self.sim.config()) {
                Ok(()) => {
                    // The next frame is full (`subscribe` forces it too; explicit here on purpose).
                    self.builder.subscribe(sub);
                    self.builder.force_full();
                    vec![ack]
                }
                Err(e) => vec![ServerMessage::rejected(
                    Some(seq),
                    RejectReason::InvalidSubscription,
                    e,
                )],
            },
            ClientMessage::RequestFrame => {
                let mut out = vec![ServerMessage::Frame(Box::new(self.take_frame()))];
                if let Some(run) = &mut self.lesson {
                    if run.ev.verdicts() != run.sent.as_slice() {
                        run.sent = run.ev.verdicts().to_vec();
                        out.extend(self.lesson_progress());
                    }
                }
                out
            }
            ClientMessage::Lesson(control) => self.lesson_control(seq, control),
            ClientMessage::Explain(target) => match self.explain(&target) {
                Ok(x) => vec![ServerMessage::Explained(Box::new(x))],
                Err(m) => vec![ServerMessage::rejected(
                    Some(seq),
                    RejectReason::InvalidRequest,
                    m,
                )],
            },
            ClientMessage::CandleHistory {
                instrument,
                interval,
                limit,
            } => {
                if instrument as usize >= self.sim.config().instruments.len() {
                    return vec![ServerMessage::rejected(
                        Some(seq),
                        RejectReason::InvalidRequest,
                        format!("instrument {instrument} does not exist"),
                    )];
                }
                let limit = ClientMessage::clamp_history_limit(limit) as usize;
                let candles =
                    self.sim
                        .exchange()
                        .candles(instrument, interval, self.sim.now_ns(), limit);
                vec![ServerMessage::CandleHistory {
                    instrument,
                    interval,
                    candles,
                }]
            }
            // Hello and the exchange commands were answered above.
            ClientMessage::Hello { .. }
            | ClientMessage::PlaceOrder(_)
            | ClientMessage::Cancel { .. }
            | ClientMessage::CancelAll { .. }
            | ClientMessage::Amend { .. } => vec![ServerMessage::rejected(
                Some(seq),
                RejectReason::InvalidRequest,
                "unexpected request",
            )],
        }
    }

    fn sim_control(&mut self, seq: u64, control: SimControl) -> Vec<ServerMessage> {
        let ack = ServerMessage::Ack {
            client_seq: seq,
            input_seq: None,
        };
        let invalid =
            |m: String| ServerMessage::rejected(Some(seq), RejectReason::InvalidRequest, m);
        match control {
            SimControl::Play => self.playing = true,
            SimControl::Pause => self.playing = false,
            SimControl::Speed(s) => self.speed = s,
            SimControl::FastForward { virtual_ns } => {
                if virtual_ns == 0 || virtual_ns > bourse_protocol::MAX_FAST_FORWARD_NS {
                    return vec![invalid(format!(
                        "FastForward virtual_ns must be in 1..={}, got {virtual_ns}",
                        bourse_protocol::MAX_FAST_FORWARD_NS
                    ))];
                }
                self.fast_forward(virtual_ns);
            }
            SimControl::Step { steps } => {
                if self.playing {
                    return vec![invalid("Step is only allowed while paused".into())];
                }
                if steps == 0 || steps > MAX_STEP_COUNT {
                    return vec![invalid(format!(
                        "a step count must be in 1..={MAX_STEP_COUNT}, got {steps}"
                    ))];
                }
                // Fewer steps run only when the scenario has nothing scheduled any more.
                self.run_steps(steps as u64);
            }
            SimControl::Reset {
                scenario,
                seed,
                warmup_ns,
            } => {
                if Scenario::preset(&scenario).is_none() {
                    return vec![ServerMessage::rejected(
                        Some(seq),
                        RejectReason::UnknownScenario,
                        format!(
                            "unknown scenario {scenario:?}; known: {}",
                            Scenario::preset_names().join(", ")
                        ),
                    )];
                }
                if let Err(e) = self.restart(&scenario, seed, warmup_ns) {
                    return vec![invalid(e.to_string())];
                }
                return vec![ack, self.ready()];
            }
        }
        vec![ack]
    }
}

/// What a page needs to know about a market running `scenario` on `config` (see
/// [`MarketInfo`]): the script in plain words with absolute times, and the live instruments.
/// Shared by the Web Worker and the server.
pub fn market_info_of(
    scenario: &Scenario,
    config: &ExchangeConfig,
    handover_ns: u64,
    warmup_ns: u64,
) -> MarketInfo {
    let symbol = |i: Option<u32>| match i {
        Some(i) => config
            .instruments
            .get(i as usize)
            .map(|s| s.symbol.clone())
            .unwrap_or_default(),
        None => "all instruments".into(),
    };
    let base = |i: Option<u32>| {
        i.and_then(|i| config.instruments.get(i as usize))
            .and_then(|s| config.assets.get(s.base as usize))
            .map(|a| a.symbol.clone())
            .unwrap_or_else(|| "base".into())
    };
    let mut script: Vec<ScriptItem> = scenario
        .script
        .iter()
        .map(|a| {
            let what = symbol(a.instrument);
            let text = match a.action {
                ActionKind::Halt => format!("trading halted in {what}"),
                ActionKind::Resume => format!("trading resumes in {what}"),
                ActionKind::StartAuction => {
                    format!("call auction in {what}: orders rest without matching")
                }
                ActionKind::Uncross => {
                    format!("uncross: {what} trades at one price, then continuously")
                }
                ActionKind::MmWithdraw => format!("market maker leaves {what}"),
                ActionKind::MmReturn => format!("market maker returns to {what}"),
                ActionKind::News => {
                    // A log-price jump; |j| × 100 % is close enough for a caption.
                    let j = a.jump.unwrap_or(0.0);
                    let dir = if j < 0.0 { "falls" } else { "rises" };
                    format!(
                        "news: the fundamental value of {what} {dir} by about {:.1} %",
                        j.abs() * 100.0
                    )
                }
                ActionKind::Sweep => format!(
                    "a large trader {} {} {} in {} market orders on {what}",
                    match a.side {
                        Some(bourse_core::Side::Buy) => "buys",
                        _ => "sells",
                    },
                    a.quantity
                        .map(|q| q.normalize().to_string())
                        .unwrap_or_default(),
                    base(a.instrument),
                    a.slices.unwrap_or(1),
                ),
            };
            ScriptItem {
                at_ns: scenario.start_ns.saturating_add(a.at.ns()),
                action: wire_name(&a.action),
                instrument: a.instrument,
                text,
            }
        })
        .collect();
    script.sort_by_key(|i| i.at_ns);
    let mut live = scenario.instruments.clone();
    live.sort_unstable();
    MarketInfo {
        handover_ns,
        warmup_ns,
        script,
        live_instruments: live,
    }
}
