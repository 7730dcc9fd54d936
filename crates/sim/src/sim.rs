//! The discrete-event simulation loop.

use crate::agents::{Agent, Market, View};
use crate::error::ScenarioError;
use crate::error::SimError;
use crate::fundamental::Fundamental;
use crate::rng::{fundamental_stream, SimRng};
use crate::scenario::{ActionKind, AgentKind, Scenario};
use bourse_core::{
    from_grid, to_grid, unit_step, AccountId, AssetId, Command, Event, Exchange, ExchangeConfig,
    GridError, InstrumentId, Lots, NewOrder, OrderSpec, OrderType, Sequenced, SequencedCommand,
    Side, StpMode, TimeInForce, TradingPhase,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A scheduled wake-up. Ordered by `(at, slot, counter)`: virtual time first, then the slot (0 is
/// the script, agent `i` is slot `i + 1`), then insertion order — so ties break deterministically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Wake {
    at: u64,
    slot: u32,
    counter: u64,
    /// Script: index into `Simulation::ops`.
    payload: u32,
}

/// A scripted operation, expanded from [`crate::ScriptedAction`]s.
#[derive(Debug, Clone, Copy)]
enum Op {
    Halt(InstrumentId),
    Resume(InstrumentId),
    StartAuction(InstrumentId),
    Uncross(InstrumentId),
    Sweep {
        instrument: InstrumentId,
        side: Side,
        lots: Lots,
    },
    MmWithdraw(InstrumentId),
    MmReturn(InstrumentId),
    News(InstrumentId, f64),
}

/// Public facts about one simulated agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentInfo {
    /// Agent index (0-based, scenario order); also its RNG stream number.
    pub index: u32,
    /// Its exchange account.
    pub account: AccountId,
    /// Strategy kind.
    pub kind: AgentKind,
    /// Instrument it trades.
    pub instrument: InstrumentId,
}

/// What [`Simulation::resume`] needs besides the scenario, the seed and the exchange: who the
/// agents were and when the market started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumePlan {
    /// Agent `k`'s account (scenario order, as [`Simulation::agents`] lists them).
    pub agent_accounts: Vec<AccountId>,
    /// The script's sweeper account, if the scenario has one ([`Simulation::sweeper_account`]).
    pub sweeper: Option<AccountId>,
    /// When the market started ([`Simulation::start_ns`]), ns since the Unix epoch; script
    /// times count from it.
    pub start_ns: u64,
    /// Distinguishes one resumption from another (the server uses the last journaled input
    /// seq): the agents' and fundamentals' RNG streams are seeded from `(seed, epoch)`.
    pub epoch: u64,
}

/// The seed of the RNG streams after a resumption at `epoch` (SplitMix64-style mix, so that
/// nearby epochs give unrelated streams).
fn resume_seed(seed: u64, epoch: u64) -> u64 {
    let mut z = seed ^ epoch.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A running simulation: an [`Exchange`], the agents trading on it, a virtual clock and the queue
/// of scheduled wake-ups. Everything is a pure function of `(scenario, seed)` and the external
/// commands given to [`Simulation::submit`]. Cloning forks an independent copy that continues
/// identically.
#[derive(Clone)]
pub struct Simulation {
    scenario: Scenario,
    seed: u64,
    exchange: Exchange,
    start_ns: u64,
    now_ns: u64,
    queue: BinaryHeap<Reverse<Wake>>,
    counter: u64,
    agents: Vec<Agent>,
    /// Agent index by account id (`u32::MAX`: not an agent).
    agent_of_account: Vec<u32>,
    markets: Vec<Market>,
    fundamentals: Vec<Fundamental>,
    /// Index into `fundamentals` by instrument id.
    fundamental_of: Vec<Option<usize>>,
    ops: Vec<Op>,
    sweeper: Option<AccountId>,
    cmd_buf: Vec<Command>,
    pending_log: Vec<SequencedCommand>,
    pending_events: Vec<Sequenced>,
    steps: u64,
}

/// How far through the reference price an agent's market or IOC order is priced while its
/// instrument is in a call auction, basis points.
pub const AUCTION_THROUGH_BPS: i64 = 30;

/// An agent's order as a call auction takes it: the auction refuses market, IOC, FOK and
/// post-only orders, so, as traders do in an auction, a market order becomes a GTC limit order
/// [`AUCTION_THROUGH_BPS`] through the reference price (rounded to the tick away from it), an IOC
/// or FOK limit order becomes GTC and post-only is dropped. Stop orders are left alone (held
/// off-book). Returns false to drop the order (a market buy sized by quote amount).
fn auction_order(ex: &Exchange, o: &mut OrderSpec) -> bool {
    if matches!(o.order_type, OrderType::StopLimit | OrderType::StopMarket) {
        return true;
    }
    if o.order_type == OrderType::Market {
        let (Some(reference), Some(spec)) = (
            ex.reference_price(o.instrument),
            ex.config().instruments.get(o.instrument as usize),
        ) else {
            return false;
        };
        if o.quantity.is_none() {
            return false;
        }
        let through = (reference * AUCTION_THROUGH_BPS + 9_999) / 10_000;
        let ticks = match o.side {
            Side::Buy => reference + through,
            Side::Sell => (reference - through).max(1),
        };
        o.order_type = OrderType::Limit;
        o.price = Some(from_grid(ticks, spec.tick_size));
    }
    o.tif = TimeInForce::Gtc;
    o.post_only = false;
    true
}

impl Simulation {
    /// Build the exchange and the agents of `scenario`, seeded by `seed`.
    ///
    /// The set-up commands (one `CreateAccount` and up to two `Deposit`s per agent, in agent
    /// order, then the sweeper account if the script sweeps) are applied here at `start_ns`; they
    /// and their events are handed to the caller's `log` and `events` at the beginning of the next
    /// [`step`](Self::step), [`run_until`](Self::run_until) or [`submit`](Self::submit) call, so the
    /// command log is always complete.
    pub fn new(scenario: Scenario, seed: u64) -> Result<Simulation, SimError> {
        let config = scenario.validate()?;
        let exchange =
            Exchange::new(config.clone()).map_err(|e| SimError::Config(e.to_string()))?;
        let markets: Vec<Market> = (0..config.instruments.len() as InstrumentId)
            .map(|i| Market::new(&config, &exchange, i))
            .collect();
        let start_ns = scenario.start_ns;
        let mut fundamental_of = vec![None; config.instruments.len()];
        let mut fundamentals = Vec::new();
        for (k, &i) in scenario.instruments.iter().enumerate() {
            fundamental_of[i as usize] = Some(k);
            fundamentals.push(Fundamental::new(
                &scenario.fundamental,
                markets[i as usize].rules.reference_ticks as f64,
                start_ns,
                SimRng::new(seed, fundamental_stream(k as u32)),
            ));
        }
        let mut sim = Simulation {
            scenario,
            seed,
            exchange,
            start_ns,
            now_ns: start_ns,
            queue: BinaryHeap::new(),
            counter: 0,
            agents: Vec::new(),
            agent_of_account: vec![u32::MAX],
            markets,
            fundamentals,
            fundamental_of,
            ops: Vec::new(),
            sweeper: None,
            cmd_buf: Vec::with_capacity(64),
            pending_log: Vec::new(),
            pending_events: Vec::new(),
            steps: 0,
        };
        sim.create_agents(&config)?;
        sim.load_script(&config)?;
        Ok(sim)
    }

    /// Carry on a market whose exchange was rebuilt from a journal (the server's recovery):
    /// the scenario's agents are attached to their existing accounts
    /// (`plan.agent_accounts[k]` for agent `k`, scenario order, as [`Simulation::agents`] listed
    /// them when the market started), with fresh RNG streams from `(seed, plan.epoch)` and fresh
    /// strategy state, as if each had reconnected; script actions after the exchange's last
    /// command time stay scheduled (times still count from `plan.start_ns`). An agent cannot know
    /// its orders from before, so, like an exchange's cancel-on-disconnect, the first commands
    /// are one `CancelAll` per agent account with open orders; they, like every command, reach
    /// the caller's log at the next [`step`](Self::step), [`run_until`](Self::run_until) or
    /// [`submit`](Self::submit). A market maker withdrawn by the script stays quoting until the
    /// script's next `mm_return`. The virtual clock starts at `exchange.last_ts_ns()` (at least
    /// `plan.start_ns`).
    ///
    /// # Errors
    /// [`SimError`] when the scenario is invalid, its configuration is not the exchange's, or
    /// the accounts do not fit ([`SimError::Resume`]).
    pub fn resume(
        scenario: Scenario,
        seed: u64,
        exchange: Exchange,
        plan: &ResumePlan,
    ) -> Result<Simulation, SimError> {
        let config = scenario.validate()?;
        if exchange.config() != &config {
            return Err(SimError::Resume(
                "the exchange was built from another configuration than the scenario's".into(),
            ));
        }
        let markets: Vec<Market> = (0..config.instruments.len() as InstrumentId)
            .map(|i| Market::new(&config, &exchange, i))
            .collect();
        let now_ns = exchange.last_ts_ns().max(plan.start_ns);
        let mut fundamental_of = vec![None; config.instruments.len()];
        let mut fundamentals = Vec::new();
        for (k, &i) in scenario.instruments.iter().enumerate() {
            fundamental_of[i as usize] = Some(k);
            let from = exchange
                .last_price(i)
                .unwrap_or(markets[i as usize].rules.reference_ticks);
            fundamentals.push(Fundamental::new(
                &scenario.fundamental,
                from as f64,
                now_ns,
                SimRng::new(resume_seed(seed, plan.epoch), fundamental_stream(k as u32)),
            ));
        }
        let mut sim = Simulation {
            scenario,
            seed,
            exchange,
            start_ns: plan.start_ns,
            now_ns,
            queue: BinaryHeap::new(),
            counter: 0,
            agents: Vec::new(),
            agent_of_account: vec![u32::MAX],
            markets,
            fundamentals,
            fundamental_of,
            ops: Vec::new(),
            sweeper: None,
            cmd_buf: Vec::with_capacity(64),
            pending_log: Vec::new(),
            pending_events: Vec::new(),
            steps: 0,
        };
        sim.create_agents_with(&config, Some(plan))?;
        if sim.agents.len() != plan.agent_accounts.len() {
            return Err(SimError::Resume(format!(
                "the scenario has {} agents but {} accounts were given",
                sim.agents.len(),
                plan.agent_accounts.len()
            )));
        }
        sim.load_script_with(&config, Some(plan))?;
        for k in 0..sim.agents.len() {
            let account = sim.agents[k].account;
            if !sim.exchange.open_orders_of(account).is_empty() {
                sim.setup_cmd(Command::CancelAll {
                    account,
                    instrument: None,
                });
            }
        }
        Ok(sim)
    }

    /// Restart the agents in place, as [`Simulation::resume`] would on this simulation's own
    /// exchange at `epoch` (the server's admin reset: a new trading round on the same market).
    /// Agents keep their accounts and get fresh RNG streams from `(seed, epoch)` and fresh
    /// strategy state; each with open orders is sent one `CancelAll` at once (applied now, handed
    /// to the caller's log at the next call, like [`Simulation::resume`]'s); the fundamental value
    /// restarts from the last trade price.
    ///
    /// # Errors
    /// Only what [`Simulation::resume`] can return, which cannot happen for a plan read from
    /// the simulation itself; the simulation is then left unchanged.
    pub fn restart_agents(&mut self, epoch: u64) -> Result<(), SimError> {
        let plan = ResumePlan {
            agent_accounts: self.agents.iter().map(|a| a.account).collect(),
            sweeper: self.sweeper,
            start_ns: self.start_ns,
            epoch,
        };
        // Checked before the exchange moves, so that an error leaves `self` whole.
        self.scenario.validate()?;
        let placeholder = Exchange::new(self.exchange.config().clone())
            .map_err(|e| SimError::Config(e.to_string()))?;
        let exchange = std::mem::replace(&mut self.exchange, placeholder);
        let mut fresh = Simulation::resume(self.scenario.clone(), self.seed, exchange, &plan)?;
        fresh.pending_log.splice(0..0, self.pending_log.drain(..));
        fresh
            .pending_events
            .splice(0..0, self.pending_events.drain(..));
        *self = fresh;
        Ok(())
    }

    /// Each agent's account with what the scenario funds it with at the start, `(asset, whole
    /// coins)` in agent order (as [`Simulation::agents`] lists them); zero amounts left out.
    pub fn agent_funding(&self) -> Vec<(AccountId, Vec<(AssetId, Decimal)>)> {
        let mut out = Vec::with_capacity(self.agents.len());
        for g in &self.scenario.agents {
            let targets: Vec<InstrumentId> = match g.instrument {
                Some(i) => vec![i],
                None => self.scenario.instruments.clone(),
            };
            for &i in &targets {
                let rules = self.markets[i as usize].rules;
                for _ in 0..g.count {
                    let funds = [(rules.base, g.base), (rules.quote, g.quote)]
                        .into_iter()
                        .filter(|(_, amount)| *amount > Decimal::ZERO)
                        .collect();
                    out.push(funds);
                }
            }
        }
        self.agents.iter().map(|a| a.account).zip(out).collect()
    }

    fn deposit_ok(
        config: &ExchangeConfig,
        field: &str,
        asset: u32,
        amount: Decimal,
    ) -> Result<(), SimError> {
        let dec = config.assets[asset as usize].decimals;
        match to_grid(amount, unit_step(dec)) {
            Ok(_) => Ok(()),
            Err(e) => {
                let sym = &config.assets[asset as usize].symbol;
                let problem = match e {
                    GridError::OffGrid => {
                        format!(
                            "{amount} {sym} is not a whole number of its unit {}",
                            unit_step(dec)
                        )
                    }
                    GridError::OutOfRange => format!(
                        "{amount} {sym} is more than one deposit can hold ({} {sym})",
                        from_grid(i64::MAX, unit_step(dec))
                    ),
                };
                Err(ScenarioError {
                    field: field.to_string(),
                    problem,
                }
                .into())
            }
        }
    }

    fn setup_cmd(&mut self, cmd: Command) {
        let seq = self
            .exchange
            .apply(self.now_ns, &cmd, &mut self.pending_events);
        self.pending_log.push(SequencedCommand {
            seq,
            ts_ns: self.now_ns,
            cmd,
        });
    }

    /// Open an account funded with `funds` (`(asset, coins)`; `field` names where they come from
    /// in the scenario, for errors).
    fn open_account(
        &mut self,
        config: &ExchangeConfig,
        field: &str,
        funds: &[(u32, Decimal)],
    ) -> Result<AccountId, SimError> {
        self.setup_cmd(Command::CreateAccount {
            max_open_orders: None,
            daily_notional_limit: None,
        });
        let account = self.exchange.account_count();
        for &(asset, amount) in funds {
            if amount > Decimal::ZERO {
                Self::deposit_ok(config, field, asset, amount)?;
                self.setup_cmd(Command::Deposit {
                    account,
                    asset,
                    amount,
                });
            }
        }
        Ok(account)
    }

    fn create_agents(&mut self, config: &ExchangeConfig) -> Result<(), SimError> {
        self.create_agents_with(config, None)
    }

    /// Create the scenario's agents, opening a funded account for each (`resume: None`) or
    /// attaching agent `k` to `resume.agent_accounts[k]` of the existing exchange, with RNG
    /// streams seeded from `(seed, epoch)`.
    fn create_agents_with(
        &mut self,
        config: &ExchangeConfig,
        resume: Option<&ResumePlan>,
    ) -> Result<(), SimError> {
        let groups = self.scenario.agents.clone();
        for (gi, g) in groups.iter().enumerate() {
            // Instruments were checked by `Scenario::validate`.
            let targets: Vec<InstrumentId> = match g.instrument {
                Some(i) => vec![i],
                None => self.scenario.instruments.clone(),
            };
            let field = format!("agents[{gi}]");
            for &i in &targets {
                for _ in 0..g.count {
                    let rules = self.markets[i as usize].rules;
                    let account = match resume {
                        None => self.open_account(
                            config,
                            &field,
                            &[(rules.base, g.base), (rules.quote, g.quote)],
                        )?,
                        Some(plan) => {
                            let k = self.agents.len();
                            let account = *plan.agent_accounts.get(k).ok_or_else(|| {
                                SimError::Resume(format!(
                                    "the scenario has more agents than the {} accounts given",
                                    plan.agent_accounts.len()
                                ))
                            })?;
                            if account == 0 || account > self.exchange.account_count() {
                                return Err(SimError::Resume(format!(
                                    "agent {k}'s account {account} does not exist"
                                )));
                            }
                            account
                        }
                    };
                    let base0 = self
                        .exchange
                        .balance(account, rules.base)
                        .map(|b| b.available)
                        .unwrap_or(0);
                    let index = self.agents.len() as u32;
                    let rng = match resume {
                        None => SimRng::for_agent(self.seed, index),
                        Some(plan) => SimRng::for_agent(resume_seed(self.seed, plan.epoch), index),
                    };
                    let mut agent = Agent::new(
                        index,
                        account,
                        &self.markets[i as usize],
                        &g.agent,
                        rng,
                        base0,
                    );
                    let first = self.now_ns + agent.first_delay();
                    self.agents.push(agent);
                    self.agent_of_account.resize(account as usize + 1, u32::MAX);
                    self.agent_of_account[account as usize] = index;
                    self.schedule_agent(index, first);
                }
            }
        }
        Ok(())
    }

    fn load_script(&mut self, config: &ExchangeConfig) -> Result<(), SimError> {
        self.load_script_with(config, None)
    }

    /// Schedule the script's actions; when resuming, only those after the current time, and the
    /// sweeper is the plan's account instead of a new one.
    fn load_script_with(
        &mut self,
        config: &ExchangeConfig,
        resume: Option<&ResumePlan>,
    ) -> Result<(), SimError> {
        let script = self.scenario.script.clone();
        // Sweeper funding per asset.
        let mut funds = vec![Decimal::ZERO; config.assets.len()];
        let mut timed: Vec<(u64, Op)> = Vec::new();
        // Fields, jumps, slices and times were checked by `Scenario::validate`; the arithmetic
        // below is checked as well, so that an unforeseen value is an error, not a panic.
        let overflow = |k: usize, what: &str| -> SimError {
            ScenarioError {
                field: format!("script[{k}]"),
                problem: format!("{what} is too large"),
            }
            .into()
        };
        for (k, a) in script.iter().enumerate() {
            let targets: Vec<InstrumentId> = match a.instrument {
                Some(i) => vec![i],
                None => self.scenario.instruments.clone(),
            };
            let at = self.start_ns.saturating_add(a.at.ns());
            for &i in &targets {
                match a.action {
                    ActionKind::Halt => timed.push((at, Op::Halt(i))),
                    ActionKind::Resume => timed.push((at, Op::Resume(i))),
                    ActionKind::StartAuction => timed.push((at, Op::StartAuction(i))),
                    ActionKind::Uncross => timed.push((at, Op::Uncross(i))),
                    ActionKind::MmWithdraw => timed.push((at, Op::MmWithdraw(i))),
                    ActionKind::MmReturn => timed.push((at, Op::MmReturn(i))),
                    ActionKind::News => timed.push((at, Op::News(i, a.jump.unwrap_or(0.0)))),
                    ActionKind::Sweep => {
                        let (Some(side), Some(qty)) = (a.side, a.quantity) else {
                            return Err(overflow(k, "a sweep without side or quantity"));
                        };
                        let m = &self.markets[i as usize];
                        let total = m.lots_of(qty);
                        let slices = a.slices.unwrap_or(1).max(1) as u64;
                        let interval = a.interval.map(|d| d.ns()).unwrap_or(1_000_000_000);
                        if total < slices {
                            return Err(ScenarioError {
                                field: format!("script[{k}].quantity"),
                                problem: format!(
                                    "{qty} is fewer lots than the {slices} slices it is split into"
                                ),
                            }
                            .into());
                        }
                        for s in 0..slices {
                            let lots =
                                total / slices + if s == slices - 1 { total % slices } else { 0 };
                            let when = s
                                .checked_mul(interval)
                                .and_then(|d| at.checked_add(d))
                                .ok_or_else(|| overflow(k, "slices × interval"))?;
                            timed.push((
                                when,
                                Op::Sweep {
                                    instrument: i,
                                    side,
                                    lots,
                                },
                            ));
                        }
                        let r = m.rules;
                        let (asset, need) = match side {
                            Side::Sell => (r.base, Some(qty)),
                            Side::Buy => {
                                let price = config.instruments[i as usize].reference_price;
                                let dec = config.assets[r.quote as usize].decimals;
                                // Three times the notional at the reference price.
                                let need = qty
                                    .checked_mul(price)
                                    .and_then(|n| n.checked_mul(Decimal::from(3)))
                                    .map(|n| n.round_dp(dec));
                                (r.quote, need)
                            }
                        };
                        let slot = &mut funds[asset as usize];
                        *slot = need
                            .and_then(|n| slot.checked_add(n))
                            .ok_or_else(|| overflow(k, "the sweeper's funding"))?;
                    }
                }
            }
        }
        if let Some(plan) = resume {
            self.sweeper = plan.sweeper;
            timed.retain(|(at, _)| *at > self.now_ns);
        } else if funds.iter().any(|f| *f > Decimal::ZERO) {
            let f: Vec<(u32, Decimal)> = funds
                .iter()
                .enumerate()
                .map(|(a, &x)| (a as u32, x))
                .collect();
            self.sweeper = Some(self.open_account(config, "script (the sweeper's funds)", &f)?);
        }
        for (at, op) in timed {
            let payload = self.ops.len() as u32;
            self.ops.push(op);
            self.push(Wake {
                at,
                slot: 0,
                counter: 0,
                payload,
            });
        }
        Ok(())
    }

    fn push(&mut self, mut w: Wake) {
        w.counter = self.counter;
        self.counter += 1;
        self.queue.push(Reverse(w));
    }

    fn schedule_agent(&mut self, index: u32, at: u64) {
        self.agents[index as usize].scheduled = true;
        self.push(Wake {
            at,
            slot: index + 1,
            counter: 0,
            payload: 0,
        });
    }

    // ------------------------------------------------------------------ queries

    /// The exchange (read-only).
    pub fn exchange(&self) -> &Exchange {
        &self.exchange
    }

    /// The virtual clock, ns since the Unix epoch.
    pub fn now_ns(&self) -> u64 {
        self.now_ns
    }

    /// The virtual start time, ns since the Unix epoch.
    pub fn start_ns(&self) -> u64 {
        self.start_ns
    }

    /// The exchange configuration (the command log header needed to replay the log).
    pub fn config(&self) -> &ExchangeConfig {
        self.exchange.config()
    }

    /// The scenario being run.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Number of agents.
    pub fn agent_count(&self) -> usize {
        self.agents.len()
    }

    /// Facts about every agent, in index order.
    pub fn agents(&self) -> Vec<AgentInfo> {
        self.agents
            .iter()
            .map(|a| AgentInfo {
                index: a.index,
                account: a.account,
                kind: a.kind,
                instrument: a.instrument,
            })
            .collect()
    }

    /// The agent trading from `account`, if any.
    pub fn agent_of_account(&self, account: AccountId) -> Option<AgentInfo> {
        let i = *self.agent_of_account.get(account as usize)?;
        let a = self.agents.get(i as usize)?;
        Some(AgentInfo {
            index: a.index,
            account: a.account,
            kind: a.kind,
            instrument: a.instrument,
        })
    }

    /// The account the script's sweeps trade from (present when the script has sweeps).
    pub fn sweeper_account(&self) -> Option<AccountId> {
        self.sweeper
    }

    /// A copy of agent `index`'s random number generator in its current state.
    pub fn agent_rng(&self, index: u32) -> Option<SimRng> {
        self.agents.get(index as usize).map(|a| a.rng.clone())
    }

    /// The fundamental value of a scenario instrument at the last grid point reached, in ticks
    /// (as `f64`; for display — it never reaches the exchange).
    pub fn fundamental_ticks(&self, instrument: InstrumentId) -> Option<f64> {
        let k = (*self.fundamental_of.get(instrument as usize)?)?;
        Some(self.fundamentals[k].ticks())
    }

    /// Virtual time of the next scheduled wake-up, if any.
    pub fn next_wake_ns(&self) -> Option<u64> {
        self.queue.peek().map(|w| w.0.at)
    }

    /// Number of steps processed so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Turn the exchange's after-every-command invariant check on or off (it defaults to on in
    /// debug builds and is expensive). [`Exchange::check_invariants`] can always be called directly.
    pub fn set_check_every_command(&mut self, on: bool) {
        self.exchange.check_every_command = on;
    }

    // ------------------------------------------------------------------ running

    fn flush_pending(&mut self, log: &mut Vec<SequencedCommand>, events: &mut Vec<Sequenced>) {
        if !self.pending_log.is_empty() {
            log.append(&mut self.pending_log);
        }
        if !self.pending_events.is_empty() {
            events.append(&mut self.pending_events);
        }
    }

    /// Apply one command at the current virtual time, log it, and show its events to the agents.
    fn apply(
        &mut self,
        cmd: Command,
        log: &mut Vec<SequencedCommand>,
        events: &mut Vec<Sequenced>,
    ) -> u64 {
        let start = events.len();
        let seq = self.exchange.apply(self.now_ns, &cmd, events);
        log.push(SequencedCommand {
            seq,
            ts_ns: self.now_ns,
            cmd,
        });
        for ev in &events[start..] {
            if let Event::Execution(r) = &ev.event {
                if let Some(&i) = self.agent_of_account.get(r.account as usize) {
                    if let Some(a) = self.agents.get_mut(i as usize) {
                        a.on_report(r);
                    }
                }
            }
        }
        seq
    }

    fn apply_buffered(&mut self, log: &mut Vec<SequencedCommand>, events: &mut Vec<Sequenced>) {
        let mut buf = std::mem::take(&mut self.cmd_buf);
        for cmd in buf.drain(..) {
            self.apply(cmd, log, events);
        }
        self.cmd_buf = buf;
    }

    /// Process the next scheduled agent wake-up (or scripted action): applies the commands it
    /// produces to the exchange at the virtual time, appending each command to `log` and each event
    /// to `events`. Returns false when nothing is scheduled.
    pub fn step(&mut self, log: &mut Vec<SequencedCommand>, events: &mut Vec<Sequenced>) -> bool {
        self.flush_pending(log, events);
        let Some(Reverse(w)) = self.queue.pop() else {
            return false;
        };
        self.steps += 1;
        self.now_ns = self.now_ns.max(w.at);
        if w.slot == 0 {
            self.run_op(self.ops[w.payload as usize]);
        } else {
            let i = (w.slot - 1) as usize;
            let instrument = self.agents[i].instrument;
            let fundamental = match self.fundamental_of[instrument as usize] {
                Some(k) => {
                    let f = &mut self.fundamentals[k];
                    f.advance_to(self.now_ns);
                    f.ticks()
                }
                None => 0.0,
            };
            self.cmd_buf.clear();
            let agent = &mut self.agents[i];
            agent.scheduled = false;
            let view = View {
                ex: &self.exchange,
                m: &self.markets[instrument as usize],
                now: self.now_ns,
                fundamental,
            };
            let next = agent.wake(&view, &mut self.cmd_buf);
            if let Some(d) = next {
                self.schedule_agent(i as u32, self.now_ns.saturating_add(d.max(1)));
            }
            if self.exchange.trading_phase(instrument) == TradingPhase::Auction {
                let ex = &self.exchange;
                self.cmd_buf.retain_mut(|c| match c {
                    Command::PlaceOrder(o) => auction_order(ex, &mut o.spec),
                    _ => true,
                });
            }
        }
        self.apply_buffered(log, events);
        true
    }

    fn run_op(&mut self, op: Op) {
        self.cmd_buf.clear();
        match op {
            Op::Halt(instrument) => self.cmd_buf.push(Command::Halt { instrument }),
            Op::Resume(instrument) => self.cmd_buf.push(Command::Resume { instrument }),
            Op::StartAuction(instrument) => self.cmd_buf.push(Command::StartAuction { instrument }),
            Op::Uncross(instrument) => self.cmd_buf.push(Command::Uncross { instrument }),
            Op::Sweep {
                instrument,
                side,
                lots,
            } => {
                if let Some(account) = self.sweeper {
                    let m = &self.markets[instrument as usize];
                    self.cmd_buf.push(Command::PlaceOrder(NewOrder {
                        account,
                        spec: OrderSpec {
                            instrument,
                            side,
                            order_type: OrderType::Market,
                            tif: TimeInForce::Ioc,
                            price: None,
                            quantity: Some(m.qty(lots)),
                            quote_quantity: None,
                            stop_price: None,
                            post_only: false,
                            stp: StpMode::None,
                            client_order_id: None,
                        },
                    }));
                }
            }
            Op::MmWithdraw(instrument) => {
                for a in &mut self.agents {
                    if a.kind == AgentKind::MarketMaker && a.instrument == instrument {
                        a.withdraw(&mut self.cmd_buf);
                    }
                }
            }
            Op::MmReturn(instrument) => {
                let mut wake = Vec::new();
                for a in &mut self.agents {
                    if a.kind == AgentKind::MarketMaker && a.instrument == instrument && a.paused {
                        a.resume();
                        if !a.scheduled {
                            wake.push(a.index);
                        }
                    }
                }
                for i in wake {
                    self.schedule_agent(i, self.now_ns);
                }
            }
            Op::News(instrument, jump) => {
                if let Some(k) = self.fundamental_of[instrument as usize] {
                    self.fundamentals[k].advance_to(self.now_ns);
                    self.fundamentals[k].shock(jump);
                }
            }
        }
    }

    /// Step until virtual time reaches `until_ns` (inclusive of wake-ups at `<= until_ns`); returns
    /// the number of steps; the clock is then set to `until_ns` (it never goes backwards).
    pub fn run_until(
        &mut self,
        until_ns: u64,
        log: &mut Vec<SequencedCommand>,
        events: &mut Vec<Sequenced>,
    ) -> u64 {
        self.flush_pending(log, events);
        let mut n = 0;
        while let Some(w) = self.queue.peek() {
            if w.0.at > until_ns {
                break;
            }
            self.step(log, events);
            n += 1;
        }
        self.now_ns = self.now_ns.max(until_ns);
        n
    }

    /// Move the virtual clock forward to `ns` (never backwards) without running anything: a
    /// replay puts a recorded external command at its recorded time after the recorded number
    /// of steps ([`Simulation::steps`]), whatever is scheduled.
    pub fn advance_clock_to(&mut self, ns: u64) {
        self.now_ns = self.now_ns.max(ns);
    }

    /// Apply an external command (e.g. a human's order) at the current virtual time; returns its
    /// input sequence number. Its events are shown to the agents like any other.
    pub fn submit(
        &mut self,
        cmd: Command,
        log: &mut Vec<SequencedCommand>,
        events: &mut Vec<Sequenced>,
    ) -> u64 {
        self.flush_pending(log, events);
        self.apply(cmd, log, events)
    }
}
