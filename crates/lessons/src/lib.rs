//! Lessons as data and their objectives, checked exactly.
//!
//! A lesson is JSON beside the scenarios ([`Lesson`], files in `crates/lessons/lessons/`, listed
//! by [`Lesson::builtin`]): which market (a preset scenario and one or more seeds), what the
//! student is asked, and **objectives**, each an exact predicate ([`Check`]) over the student's
//! execution reports and the exchange's state (L1, L3 queue, balances). An [`Evaluator`] follows
//! one run: [`Evaluator::on_events`] with every batch of the exchange's output,
//! [`Evaluator::on_state`] whenever the page draws (or after each step), and
//! [`Evaluator::finish`] when the student ends the lesson. Every verdict is a pure function of the
//! command log, so the same run gives the same verdicts natively and in WebAssembly, and a
//! teacher can recompute them from a receipt.
//!
//! # Invariants
//! - No I/O, clock or randomness (like the core); integers (ticks, lots, asset units) only.
//! - Every objective can fail: event objectives ([`Check::Fill`], [`Check::FinalStatus`],
//!   [`Check::Rejected`], [`Check::QueueFront`]) that never happened are failed at `finish`;
//!   state objectives ([`Check::BestBidMine`], [`Check::SpreadAtMost`],
//!   [`Check::PositionBetween`], …) are judged on the state at `finish`; [`Check::NoFills`] and
//!   [`Check::NoSelfTrade`] fail at the first such trade. Each built-in lesson has a passing and a failing strategy
//!   in `tests/` (issue: "so no objective can silently become always true or always false").
//! - A fill whose fee is not `floor(notional × rate_ppm / 10^6)` of its liquidity's rate fails
//!   the fill objectives (the fee rule of `bourse-core`).

use bourse_core::{
    AccountId, Event, Exchange, ExchangeConfig, ExecType, InstrumentId, Liquidity, OrderStatus,
    OrderType, Reason, Sequenced, Side, TimeInForce,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A lesson (see the module docs). JSON field names are snake_case; unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    /// Identifier used in the address (`?lesson=<id>`): lowercase letters, digits and `-`.
    pub id: String,
    /// Title shown in the lesson list.
    pub title: String,
    /// One sentence on what it teaches.
    pub summary: String,
    /// Preset scenario name (`calm`, `volatile`, …).
    pub scenario: String,
    /// Seeds the lesson is played on, 1 to 5 (the same market again: the same seed).
    pub seeds: Vec<u64>,
    /// On how many of `seeds` the objectives must hold to pass (default: all).
    #[serde(default)]
    pub pass_on: Option<usize>,
    /// Virtual time run before the student gets the market, ns (default 0).
    #[serde(default)]
    pub warmup_ns: u64,
    /// Instrument symbol the objectives are about (`BTC-USDT`).
    pub instrument: String,
    /// What the student is asked to do.
    pub prompt: String,
    /// Hints, shown one at a time on request.
    #[serde(default)]
    pub hints: Vec<String>,
    /// The objectives, in the order shown.
    pub objectives: Vec<Objective>,
    /// Questions for the debrief.
    #[serde(default)]
    pub discussion: Vec<String>,
    /// For the teacher.
    #[serde(default)]
    pub teacher_note: String,
}

/// One objective: its text and its predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Objective {
    /// Identifier, unique in the lesson.
    pub id: String,
    /// What the student reads.
    pub text: String,
    /// The predicate.
    pub check: Check,
}

/// An objective's predicate. JSON: `{"kind": "fill", "liquidity": "MAKER", "at_least": 1}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    /// At least `at_least` (≥ 1) of the student's fills, of `liquidity` if given, each with the
    /// exact fee of its liquidity's rate.
    Fill {
        /// `MAKER` or `TAKER` (any when absent).
        #[serde(default)]
        liquidity: Option<Liquidity>,
        /// How many fills.
        at_least: u32,
    },
    /// One of the student's orders ended (or stands) with `status`, optionally of a type, time
    /// in force and post-only flag, and with nothing filled (`filled: false`) or something
    /// filled (`true`).
    FinalStatus {
        /// The status (`FILLED`, `CANCELED`, `EXPIRED`, …).
        status: OrderStatus,
        /// Order type.
        #[serde(default)]
        order_type: Option<OrderType>,
        /// Time in force.
        #[serde(default)]
        tif: Option<TimeInForce>,
        /// Whether any quantity filled.
        #[serde(default)]
        filled: Option<bool>,
    },
    /// One of the student's orders was rejected, with `reason` if given.
    Rejected {
        /// The core's reason code (`POST_ONLY_WOULD_TAKE`, …).
        #[serde(default)]
        reason: Option<Reason>,
    },
    /// The student has no fill (of `liquidity` if given; fails at the first one).
    NoFills {
        /// `MAKER` or `TAKER` (any when absent).
        #[serde(default)]
        liquidity: Option<Liquidity>,
    },
    /// The student never traded with themself (no trade with the student on both sides; fails
    /// at the first).
    NoSelfTrade,
    /// At the end, the student's order rests at the best bid.
    BestBidMine,
    /// At the end, the student's order rests at the best ask.
    BestAskMine,
    /// At the end, best ask − best bid is at most `ticks` (both sides present).
    SpreadAtMost {
        /// Ticks, ≥ 1.
        ticks: i64,
    },
    /// At some point one of the student's resting orders was first in its queue at the best
    /// price (quantity ahead 0): seen by [`Evaluator::on_state`], or implied by a maker fill (under
    /// price-time priority a resting order fills only once everything ahead of it at its price
    /// has, and only at the best price).
    QueueFront,
    /// At the end, the change of the student's base asset holdings since the start, in whole
    /// coins, is within `[min, max]`.
    PositionBetween {
        /// Least change (may be negative).
        min: Decimal,
        /// Most change.
        max: Decimal,
    },
}

impl Check {
    /// True for predicates on the state at the end, false for events that must happen.
    pub fn is_state(&self) -> bool {
        matches!(
            self,
            Check::BestBidMine
                | Check::BestAskMine
                | Check::SpreadAtMost { .. }
                | Check::PositionBetween { .. }
        )
    }
}

/// Why a lesson file cannot be used; names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LessonError {
    /// Not valid JSON or not a lesson's shape (serde's message names the field and the line).
    #[error("lesson JSON: {0}")]
    Json(String),
    /// A field's value is not allowed.
    #[error("lesson {lesson:?}: {field}: {problem}")]
    Field {
        /// The lesson's id (empty if not read).
        lesson: String,
        /// The field, e.g. `objectives[2].check.ticks`.
        field: String,
        /// What is wrong.
        problem: String,
    },
}

const BUILTIN: &[&str] = &[
    include_str!("../lessons/book-anatomy.json"),
    include_str!("../lessons/queue-priority.json"),
    include_str!("../lessons/maker-or-taker.json"),
    include_str!("../lessons/halts-and-bands.json"),
    include_str!("../lessons/self-trade-prevention.json"),
];

impl Lesson {
    /// Parse and check a lesson (shape by serde, values by [`Lesson::check`] with `scenarios`,
    /// the preset names).
    ///
    /// # Errors
    /// [`LessonError`] naming the field.
    pub fn from_json(json: &str, scenarios: &[&str]) -> Result<Lesson, LessonError> {
        let l: Lesson = serde_json::from_str(json).map_err(|e| LessonError::Json(e.to_string()))?;
        l.check(scenarios)?;
        Ok(l)
    }

    /// The lessons shipped with Bourse, in teaching order (checked by this crate's tests).
    pub fn builtin() -> Vec<Lesson> {
        BUILTIN
            .iter()
            .filter_map(|j| serde_json::from_str(j).ok())
            .collect()
    }

    /// Check the values (see [`LessonError::Field`]).
    ///
    /// # Errors
    /// The first value that is not allowed.
    pub fn check(&self, scenarios: &[&str]) -> Result<(), LessonError> {
        let bad = |field: String, problem: String| LessonError::Field {
            lesson: self.id.clone(),
            field,
            problem,
        };
        let slug = |s: &str| {
            !s.is_empty()
                && s.len() <= 40
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if !slug(&self.id) {
            return Err(bad("id".into(), "1 to 40 of a-z, 0-9 and -".into()));
        }
        if !scenarios.contains(&self.scenario.as_str()) {
            return Err(bad(
                "scenario".into(),
                format!("{:?} is not one of {}", self.scenario, scenarios.join(", ")),
            ));
        }
        if self.seeds.is_empty() || self.seeds.len() > 5 {
            return Err(bad("seeds".into(), "1 to 5 seeds".into()));
        }
        if let Some(n) = self.pass_on {
            if n == 0 || n > self.seeds.len() {
                return Err(bad(
                    "pass_on".into(),
                    format!("between 1 and the {} seeds", self.seeds.len()),
                ));
            }
        }
        if self.objectives.is_empty() {
            return Err(bad("objectives".into(), "at least one objective".into()));
        }
        for (k, o) in self.objectives.iter().enumerate() {
            if !slug(&o.id) {
                return Err(bad(
                    format!("objectives[{k}].id"),
                    "1 to 40 of a-z, 0-9 and -".into(),
                ));
            }
            if self.objectives[..k].iter().any(|p| p.id == o.id) {
                return Err(bad(
                    format!("objectives[{k}].id"),
                    format!("{:?} is used twice", o.id),
                ));
            }
            match &o.check {
                Check::Fill { at_least: 0, .. } => {
                    return Err(bad(
                        format!("objectives[{k}].check.at_least"),
                        "at least 1".into(),
                    ))
                }
                Check::SpreadAtMost { ticks } if *ticks < 1 => {
                    return Err(bad(
                        format!("objectives[{k}].check.ticks"),
                        "at least 1".into(),
                    ))
                }
                Check::PositionBetween { min, max } if min > max => {
                    return Err(bad(
                        format!("objectives[{k}].check"),
                        "min above max".into(),
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Seeds needed to pass.
    pub fn seeds_to_pass(&self) -> usize {
        self.pass_on.unwrap_or(self.seeds.len())
    }
}

/// An objective's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Not decided yet.
    Open,
    /// Holds.
    Met,
    /// Cannot hold any more (or did not at the end).
    Failed,
}

/// Follows one run of a lesson for the student's account (see the module docs).
#[derive(Debug, Clone)]
pub struct Evaluator {
    lesson: Lesson,
    account: AccountId,
    instrument: InstrumentId,
    base_start: u64,
    verdicts: Vec<Verdict>,
    why: Vec<Option<String>>,
    fills: Vec<(Liquidity, bool)>,
    trade_ids: std::collections::BTreeSet<u64>,
    finished: bool,
}

impl Evaluator {
    /// Start following `account` on `lesson`'s instrument, from the exchange's current state.
    ///
    /// # Errors
    /// [`LessonError::Field`] `instrument` when the exchange has no such symbol.
    pub fn new(
        lesson: Lesson,
        account: AccountId,
        ex: &Exchange,
    ) -> Result<Evaluator, LessonError> {
        let instrument = ex
            .config()
            .instrument_by_symbol(&lesson.instrument)
            .ok_or_else(|| LessonError::Field {
                lesson: lesson.id.clone(),
                field: "instrument".into(),
                problem: format!("{:?} is not traded here", lesson.instrument),
            })?;
        let base = ex.config().instruments[instrument as usize].base;
        let base_start = ex
            .balance(account, base)
            .map_or(0, |b| b.available + b.locked);
        let n = lesson.objectives.len();
        Ok(Evaluator {
            lesson,
            account,
            instrument,
            base_start,
            verdicts: vec![Verdict::Open; n],
            why: vec![None; n],
            fills: Vec::new(),
            trade_ids: std::collections::BTreeSet::new(),
            finished: false,
        })
    }

    /// The lesson.
    pub fn lesson(&self) -> &Lesson {
        &self.lesson
    }

    /// Each objective's verdict, in the lesson's order.
    pub fn verdicts(&self) -> &[Verdict] {
        &self.verdicts
    }

    /// Why an objective failed, when there is more to say than its text.
    pub fn why(&self, k: usize) -> Option<&str> {
        self.why.get(k).and_then(|w| w.as_deref())
    }

    /// True after [`Evaluator::finish`].
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// True when every objective is met.
    pub fn passed(&self) -> bool {
        self.verdicts.iter().all(|v| *v == Verdict::Met)
    }

    fn set(&mut self, k: usize, v: Verdict, why: Option<String>) {
        if self.finished || self.verdicts[k] == Verdict::Failed {
            return;
        }
        self.verdicts[k] = v;
        if why.is_some() {
            self.why[k] = why;
        }
    }

    /// Fold one batch of the exchange's output (any account's events; the student's are picked).
    pub fn on_events(&mut self, cfg: &ExchangeConfig, events: &[Sequenced]) {
        for e in events {
            let Event::Execution(r) = &e.event else {
                continue;
            };
            if r.account != self.account || r.instrument != self.instrument {
                continue;
            }
            if r.exec_type == ExecType::Trade {
                let spec = &cfg.instruments[r.instrument as usize];
                let liq = r.liquidity.unwrap_or(Liquidity::Taker);
                let ppm = match liq {
                    Liquidity::Maker => spec.maker_fee_ppm,
                    Liquidity::Taker => spec.taker_fee_ppm,
                };
                let want = (u128::from(r.last_quote) * u128::from(ppm) / 1_000_000) as u64;
                self.fills
                    .push((liq, want == r.fee && r.fee_asset == spec.quote));
                if !self.trade_ids.insert(r.trade_id) {
                    for k in 0..self.lesson.objectives.len() {
                        if self.lesson.objectives[k].check == Check::NoSelfTrade {
                            let why = format!("trade {} was with yourself", r.trade_id);
                            self.set(k, Verdict::Failed, Some(why));
                        }
                    }
                }
            }
            for k in 0..self.lesson.objectives.len() {
                let check = self.lesson.objectives[k].check.clone();
                match check {
                    Check::Fill {
                        liquidity,
                        at_least,
                    } if r.exec_type == ExecType::Trade => {
                        let mine: Vec<bool> = self
                            .fills
                            .iter()
                            .filter(|(l, _)| liquidity.is_none_or(|w| w == *l))
                            .map(|(_, ok)| *ok)
                            .collect();
                        if mine.iter().any(|ok| !ok) {
                            self.set(
                                k,
                                Verdict::Failed,
                                Some("a fill's fee is not the exchange's rate".into()),
                            );
                        } else if mine.len() >= at_least as usize {
                            self.set(k, Verdict::Met, None);
                        }
                    }
                    Check::FinalStatus {
                        status,
                        order_type,
                        tif,
                        filled,
                    } => {
                        let ok = r.status == status
                            && order_type.is_none_or(|t| t == r.order_type)
                            && tif.is_none_or(|t| t == r.tif)
                            && filled.is_none_or(|f| f == (r.cum_qty > 0));
                        if ok {
                            self.set(k, Verdict::Met, None);
                        }
                    }
                    Check::Rejected { reason }
                        if r.exec_type == ExecType::Rejected
                            && reason.is_none_or(|w| Some(w) == r.reason) =>
                    {
                        self.set(k, Verdict::Met, None);
                    }
                    Check::QueueFront
                        if r.exec_type == ExecType::Trade
                            && r.liquidity == Some(Liquidity::Maker) =>
                    {
                        self.set(k, Verdict::Met, None);
                    }
                    Check::NoFills { liquidity } if r.exec_type == ExecType::Trade => {
                        let liq = r.liquidity.unwrap_or(Liquidity::Taker);
                        if liquidity.is_none_or(|w| w == liq) {
                            self.set(k, Verdict::Failed, Some("you traded".into()));
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// Look at the exchange's current state: queue position and the state objectives (their
    /// verdict follows the state until [`Evaluator::finish`]).
    pub fn on_state(&mut self, ex: &Exchange) {
        let i = self.instrument;
        let l1 = ex.book_ticker(i).unwrap_or_default();
        let mine = ex.open_orders_of(self.account);
        let mine_at = |side: Side, best: Option<(i64, u64)>| {
            best.is_some_and(|(p, _)| {
                mine.iter().any(|o| {
                    o.instrument == i
                        && o.side == side
                        && o.order_type == OrderType::Limit
                        && o.price == p
                })
            })
        };
        let front = [(Side::Buy, l1.bid), (Side::Sell, l1.ask)]
            .iter()
            .any(|&(side, best)| {
                let Some((p, _)) = best else { return false };
                ex.book(i)
                    .and_then(|b| b.queue(side, p).first().copied())
                    .is_some_and(|o| mine.iter().any(|m| m.id == o.id))
            });
        let base = ex.config().instruments[i as usize].base;
        let step = bourse_core::unit_step(ex.config().assets[base as usize].decimals);
        let now = ex
            .balance(self.account, base)
            .map_or(0, |b| b.available + b.locked);
        let change = bourse_core::from_grid(now as i64 - self.base_start as i64, step);
        for k in 0..self.lesson.objectives.len() {
            let holds = match &self.lesson.objectives[k].check {
                Check::BestBidMine => mine_at(Side::Buy, l1.bid),
                Check::BestAskMine => mine_at(Side::Sell, l1.ask),
                Check::SpreadAtMost { ticks } => match (l1.bid, l1.ask) {
                    (Some((b, _)), Some((a, _))) => a - b <= *ticks,
                    _ => false,
                },
                Check::PositionBetween { min, max } => *min <= change && change <= *max,
                Check::QueueFront => {
                    if front {
                        self.set(k, Verdict::Met, None);
                    }
                    continue;
                }
                _ => continue,
            };
            self.set(k, if holds { Verdict::Met } else { Verdict::Open }, None);
        }
    }

    /// End the run: the state objectives are judged on `ex` now, open event objectives fail,
    /// [`Check::NoFills`] still open is met. Verdicts do not change afterwards.
    pub fn finish(&mut self, ex: &Exchange) {
        self.on_state(ex);
        for k in 0..self.verdicts.len() {
            if self.verdicts[k] == Verdict::Open {
                let v = match self.lesson.objectives[k].check {
                    Check::NoFills { .. } | Check::NoSelfTrade => Verdict::Met,
                    _ => Verdict::Failed,
                };
                self.set(k, v, None);
            }
        }
        self.finished = true;
    }
}

/// Whether a lesson played on several seeds passes: at least `lesson.seeds_to_pass()` runs
/// passed.
pub fn passes_over_seeds(lesson: &Lesson, runs_passed: &[bool]) -> bool {
    runs_passed.iter().filter(|p| **p).count() >= lesson.seeds_to_pass()
}
