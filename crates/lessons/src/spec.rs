//! The lesson format: [`Lesson`], its [`Check`]s and their validation ([`LessonError`]).

use bourse_core::{ExecType, Liquidity, OrderStatus, OrderType, Reason, Side, TimeInForce};
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
        /// The kind of the report (Binance `x`): `TRIGGERED` for a stop order whose trigger
        /// price was reached, `TRADE`, … (any when absent).
        #[serde(default)]
        exec_type: Option<ExecType>,
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
    /// One of the student's fills (on `side` if given) came from a call auction's uncross
    /// (`bourse_core::Command::Uncross`: every trade at the one uncross price), not from
    /// continuous trading. Fails at the end when there is none.
    UncrossFill {
        /// `BUY` or `SELL` (any when absent).
        #[serde(default)]
        side: Option<Side>,
    },
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
    /// At the end, the student's taker fills cost at most `bps` basis points against the mid
    /// just before each order arrived ([`Metrics::slippage_bps`]); failed without a taker fill.
    SlippageAtMost {
        /// Basis points (1/100 of a percent), ≥ 0.
        bps: i64,
    },
    /// Within `within_ns` of virtual time after the start, the student's fills on `side` add up
    /// to at least `qty` (base coins), at a VWAP no worse than the market's VWAP over the same
    /// window (every public trade, the student's included) by more than `bps`. Judged at the
    /// deadline (or at `finish`, whichever comes first).
    BeatVwap {
        /// `BUY` (a lower VWAP is better) or `SELL` (higher is better).
        side: Side,
        /// Least quantity, base coins (> 0).
        qty: Decimal,
        /// The window from the start, ns (> 0).
        within_ns: u64,
        /// Tolerance, basis points (≥ 0).
        bps: i64,
    },
    /// At the end, P&L marked at the mid ([`Metrics::pnl`]) is at least `quote` coins.
    PnlAtLeast {
        /// Quote coins (may be negative).
        quote: Decimal,
    },
    /// The student's base position never moves more than `max` coins from where it started,
    /// either way (checked after every step and command; fails at the first breach).
    InventoryWithin {
        /// Base coins, > 0.
        max: Decimal,
    },
    /// At the end, the student had a bid within `ticks` of the best bid and an ask within `ticks`
    /// of the best ask for at least `percent` % of the virtual time since the start (sampled
    /// after every step and command; [`Metrics::uptime_percent`]).
    QuotedAtLeast {
        /// 1 to 100.
        percent: u32,
        /// Ticks from the best, ≥ 0.
        ticks: i64,
    },
    /// At the end, at least `min_fills` of the student's fills have a markout
    /// ([`Metrics::markout_bps`], mid [`MARKOUT_HORIZON_NS`] after the fill), and their
    /// quantity-weighted average is at least `bps` (negative: the fills lost to better-informed
    /// traders).
    MarkoutAtLeast {
        /// Basis points (may be negative).
        bps: i64,
        /// Fills with a markout, ≥ 1.
        min_fills: u32,
    },
}

/// How long after a fill its markout is taken: 5 s of virtual time, ns.
pub const MARKOUT_HORIZON_NS: u64 = 5_000_000_000;

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

    /// True for predicates on the whole run's measurements, judged once at `finish`
    /// ([`Check::SlippageAtMost`], [`Check::PnlAtLeast`], [`Check::QuotedAtLeast`],
    /// [`Check::MarkoutAtLeast`]).
    pub fn is_measure(&self) -> bool {
        matches!(
            self,
            Check::SlippageAtMost { .. }
                | Check::PnlAtLeast { .. }
                | Check::QuotedAtLeast { .. }
                | Check::MarkoutAtLeast { .. }
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
    include_str!("../lessons/walking-the-book.json"),
    include_str!("../lessons/vwap-deadline.json"),
    include_str!("../lessons/market-making.json"),
    include_str!("../lessons/adverse-selection.json"),
    include_str!("../lessons/stop-orders.json"),
    include_str!("../lessons/call-auction.json"),
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
                Check::SlippageAtMost { bps } | Check::BeatVwap { bps, .. } if *bps < 0 => {
                    return Err(bad(
                        format!("objectives[{k}].check.bps"),
                        "at least 0".into(),
                    ))
                }
                Check::BeatVwap { qty, .. } if *qty <= Decimal::ZERO => {
                    return Err(bad(
                        format!("objectives[{k}].check.qty"),
                        "more than 0".into(),
                    ))
                }
                Check::BeatVwap { within_ns: 0, .. } => {
                    return Err(bad(
                        format!("objectives[{k}].check.within_ns"),
                        "more than 0".into(),
                    ))
                }
                Check::InventoryWithin { max } if *max <= Decimal::ZERO => {
                    return Err(bad(
                        format!("objectives[{k}].check.max"),
                        "more than 0".into(),
                    ))
                }
                Check::QuotedAtLeast { percent, .. } if *percent == 0 || *percent > 100 => {
                    return Err(bad(
                        format!("objectives[{k}].check.percent"),
                        "1 to 100".into(),
                    ))
                }
                Check::QuotedAtLeast { ticks, .. } if *ticks < 0 => {
                    return Err(bad(
                        format!("objectives[{k}].check.ticks"),
                        "at least 0".into(),
                    ))
                }
                Check::MarkoutAtLeast { min_fills: 0, .. } => {
                    return Err(bad(
                        format!("objectives[{k}].check.min_fills"),
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

/// Whether a lesson played on several seeds passes: at least `lesson.seeds_to_pass()` runs
/// passed.
pub fn passes_over_seeds(lesson: &Lesson, runs_passed: &[bool]) -> bool {
    runs_passed.iter().filter(|p| **p).count() >= lesson.seeds_to_pass()
}
