//! Control messages: what the page asks ([`ClientRequest`]) and what the worker answers
//! ([`ServerMessage`]). JSON on the wire (externally tagged enums, `snake_case` variant names).

use crate::bounds::MAX_CANDLE_HISTORY;
use crate::explain::{ExplainTarget, Explanation};
use crate::frame::Frame;
use crate::session::{SimState, Speed, Subscription};
use bourse_core::{
    AccountId, Candle, Command, Event, ExchangeConfig, ExecType, InstrumentId, Interval, OrderRef,
    OrderSpec, Reason, Sequenced,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One message from the page, numbered by the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRequest {
    /// Chosen by the page, echoed in the [`ServerMessage::Ack`] or [`ServerMessage::Rejected`]
    /// answering this request (conventionally dense from 1).
    pub client_seq: u64,
    /// The request.
    pub message: ClientMessage,
}

/// Simulation control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SimControl {
    /// Run at the current speed.
    Play,
    /// Stop advancing virtual time (the human can still trade; orders apply at the paused time).
    Pause,
    /// While paused: run exactly this many simulation steps (one step = one agent wake-up or
    /// scripted action, which may apply zero, one or several exchange commands), then stay paused.
    Step {
        /// Number of simulation steps, ≥ 1.
        steps: u32,
    },
    /// Set the speed (takes effect immediately, playing or not).
    Speed(Speed),
    /// Run `virtual_ns` of virtual time at once, playing or paused (the play state is kept): every
    /// simulation event scheduled up to `now + virtual_ns` runs and the clock ends there, exactly
    /// as if the market had played that long at any speed. Refused above
    /// [`crate::MAX_FAST_FORWARD_NS`]; the worker may stop early after its own step bound (the
    /// clock then stays at the last step). The terminal uses it to give a fresh market some
    /// history before the human arrives.
    FastForward {
        /// Virtual time to run, ns, `1..=`[`crate::MAX_FAST_FORWARD_NS`].
        virtual_ns: u64,
    },
    /// Throw the simulation away and start `scenario` (a preset name, see
    /// [`ServerMessage::Ready::scenarios`]) from `seed`, paused, after running `warmup_ns` of it
    /// at once (see [`MarketStart`]). The human's account is recreated.
    Reset {
        /// Scenario name.
        scenario: String,
        /// Seed (any `u64`; the run is a pure function of scenario, seed and warm-up).
        seed: u64,
        /// Warm-up, ns, `0..=`[`crate::MAX_FAST_FORWARD_NS`] (default 0).
        #[serde(default)]
        warmup_ns: u64,
    },
}

/// The market a page asks for: a preset scenario, a seed, and a warm-up that runs before the
/// market is handed to the user.
///
/// The warm-up is `warmup_ns` of virtual time run at once (exactly as if the market had played that
/// long), with the scenario's script delayed by the same amount (`Scenario::delay_script`): the
/// book and the chart have history when the user arrives, and scripted events (a halt "3 minutes
/// in", a flash crash "4 minutes in") happen that long after the hand-over, in front of the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketStart {
    /// Preset scenario name (one of [`ServerMessage::Ready::scenarios`]).
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Warm-up, ns, `0..=`[`crate::MAX_FAST_FORWARD_NS`].
    #[serde(default)]
    pub warmup_ns: u64,
}

/// A scenario the home can run, for the page's scenario picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioInfo {
    /// Preset name (what [`SimControl::Reset`] takes).
    pub name: String,
    /// One-paragraph description, shown when the scenario is chosen.
    pub description: String,
}

/// One scripted event of the running scenario, for the page's "what happens next" line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptItem {
    /// Virtual time it happens, ns since the Unix epoch.
    pub at_ns: u64,
    /// The action's name as in scenario files (`halt`, `resume`, `sweep`, `mm_withdraw`,
    /// `mm_return`, `news`).
    pub action: String,
    /// Instrument it applies to (`None`: every instrument of the scenario).
    pub instrument: Option<InstrumentId>,
    /// Plain words, e.g. `halt BTC-USDT` or `sweep: sell 45 BTC in 30 market orders`.
    pub text: String,
}

/// What the page needs to know about the market that is running.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MarketInfo {
    /// Virtual time the market was handed to the user (after its warm-up), ns since the Unix
    /// epoch.
    pub handover_ns: u64,
    /// Warm-up that ran before the hand-over, ns.
    pub warmup_ns: u64,
    /// The scenario's scripted events, in time order.
    pub script: Vec<ScriptItem>,
    /// Instruments the scenario's simulated participants trade, ascending; the books of the others
    /// hold only what users place.
    pub live_instruments: Vec<InstrumentId>,
}

/// How a page signs in to a shared home (`Hello.login`): with the token a previous `Ready` gave
/// it (the same account again), or without one to get a new guest account.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Login {
    /// A session token from an earlier [`SessionInfo::token`] (or an API key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Display name for a new guest account (at most [`crate::MAX_NAME_CHARS`] characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The server's admin token: the session may then use the simulation controls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<String>,
}

/// The session a shared home signed the page in as (`Ready.session`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The session's account (also `Ready.human_account`).
    pub account: AccountId,
    /// Its display name.
    pub name: String,
    /// The token to keep (e.g. in `localStorage`) and send in the next `Hello.login`.
    pub token: String,
    /// True when this session may use [`SimControl`] (the admin); others see the simulation's
    /// state read-only and get [`RejectReason::Forbidden`].
    pub can_control: bool,
}

/// Everything the page can ask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientMessage {
    /// First message: the page's protocol version. Answered by [`ServerMessage::Ready`], or by
    /// [`ServerMessage::Rejected`] with [`RejectReason::UnsupportedVersion`].
    Hello {
        /// The page's [`crate::PROTOCOL_VERSION`].
        version: u32,
        /// The market the page wants (e.g. from its URL); `None` keeps what the home runs. A
        /// Web Worker builds it before its `Ready`, so the page never waits for a second market.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        market: Option<MarketStart>,
        /// Who the page is, for a home many people share (the server): a Web Worker ignores it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        login: Option<Login>,
    },
    /// Place an order for the session's account (the human's in the worker): the core's
    /// [`OrderSpec`], to which the home adds the account ([`ClientMessage::to_command`]).
    PlaceOrder(OrderSpec),
    /// Cancel one of the human's open orders.
    Cancel {
        /// Instrument of the order.
        instrument: InstrumentId,
        /// Which order.
        order: OrderRef,
    },
    /// Cancel all of the human's open orders, optionally on one instrument only.
    CancelAll {
        /// Restrict to one instrument.
        instrument: Option<InstrumentId>,
    },
    /// Change the price and/or total quantity of one of the human's resting orders.
    Amend {
        /// Instrument of the order.
        instrument: InstrumentId,
        /// Which order.
        order: OrderRef,
        /// New limit price, quote per base (default unchanged).
        price: Option<Decimal>,
        /// New total quantity including what already filled, base (default unchanged).
        quantity: Option<Decimal>,
    },
    /// Simulation control.
    Sim(SimControl),
    /// Replace the subscription.
    Subscribe(Subscription),
    /// Ask for the next frame (at most one outstanding; the page sends it once per animation
    /// frame after the previous frame arrived). Not acknowledged: the answer is the frame.
    RequestFrame,
    /// Ask for the last `limit` candles (`≤` [`MAX_CANDLE_HISTORY`]) of an instrument, oldest
    /// first, flat-filled up to the simulation clock. Answered by [`ServerMessage::CandleHistory`].
    CandleHistory {
        /// Instrument.
        instrument: InstrumentId,
        /// Interval.
        interval: Interval,
        /// Most candles wanted.
        limit: u32,
    },
    /// Start or end a lesson (`bourse-lessons`; the Web Worker only: a shared server refuses it).
    Lesson(LessonControl),
    /// "Explain this fill": the command behind a trade or an input sequence number, its events
    /// in output order, the maker's queue history and the fees (answered by
    /// [`ServerMessage::Explained`], or `Rejected` with [`RejectReason::InvalidRequest`] when the
    /// target is outside the home's window).
    Explain(ExplainTarget),
}

/// What [`ClientMessage::Lesson`] asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LessonControl {
    /// The built-in lessons in teaching order (answered by [`ServerMessage::LessonCatalog`]).
    List,
    /// Start lesson `id` on `seed` (default: its first seed): the lesson's market is started
    /// afresh (as [`SimControl::Reset`] with the lesson's scenario and warm-up, the human's
    /// default funding: answered `Ack`, `Ready`, then [`ServerMessage::Lesson`]). Starting again
    /// with the same seed is "the same market again".
    Start {
        /// The lesson's id.
        id: String,
        /// One of the lesson's seeds, or any seed.
        #[serde(default)]
        seed: Option<u64>,
    },
    /// End the lesson: its state and measured objectives are judged now, its verdicts stop
    /// changing, and its receipt is made for `student` (answered `Ack` and a final
    /// [`ServerMessage::Lesson`] carrying the receipt).
    Finish {
        /// The student's name as typed (trimmed, at most [`MAX_STUDENT_NAME_CHARS`] kept).
        student: String,
    },
    /// Replay a lesson receipt (JSON, at most [`MAX_RECEIPT_JSON_BYTES`]) in a fresh market
    /// beside the running one (which it does not touch) and say whether it holds (answered by
    /// [`ServerMessage::ReceiptChecked`]).
    CheckReceipt {
        /// The receipt's JSON text.
        json: String,
    },
}

/// Most characters of a student's name kept in a receipt.
pub const MAX_STUDENT_NAME_CHARS: usize = 60;

/// Most bytes of receipt JSON a [`LessonControl::CheckReceipt`] may carry (as
/// `bourse_lessons::MAX_RECEIPT_BYTES`).
pub const MAX_RECEIPT_JSON_BYTES: usize = 2 * 1024 * 1024;

/// One lesson of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonSummary {
    /// Id (the address is `?lesson=<id>`).
    pub id: String,
    /// Title.
    pub title: String,
    /// One sentence on what it teaches.
    pub summary: String,
    /// Number of objectives.
    pub objectives: u32,
}

/// One figure of a lesson's debrief, ready to show: a label and a value with its unit
/// (`"Slippage"`, `"12.50 bps"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricLine {
    /// What it is.
    pub label: String,
    /// Its value and unit.
    pub value: String,
}

/// What a receipt replay found ([`LessonControl::CheckReceipt`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptCheck {
    /// The student's name from the receipt (empty when unreadable).
    pub student: String,
    /// Lesson id from the receipt.
    pub lesson: String,
    /// Seed from the receipt.
    pub seed: u64,
    /// `None`: the replay gave exactly the digest, verdicts and figures claimed. `Some`: why
    /// the receipt is refused (unreadable, unknown lesson, a command out of place, a digest,
    /// verdict or figure that differs).
    pub refused: Option<String>,
    /// The objectives as the replay judged them (empty when refused before the replay ended).
    pub objectives: Vec<ObjectiveProgress>,
    /// True when every objective was met in the replay.
    pub passed: bool,
    /// The replay's figures.
    pub metrics: Vec<MetricLine>,
    /// The replay's P&L, quote coins, as a decimal string (the class ranking's tie-break).
    pub pnl: String,
}

/// An objective's verdict as the page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectiveVerdict {
    /// Not decided yet.
    Open,
    /// Holds.
    Met,
    /// Cannot hold any more.
    Failed,
}

/// One objective of the running lesson.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectiveProgress {
    /// The objective's id.
    pub id: String,
    /// What the student reads.
    pub text: String,
    /// Its verdict now.
    pub verdict: ObjectiveVerdict,
    /// Why it failed, when there is more to say than its text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// The running lesson's objectives (sent after `Start`, with a frame whenever a verdict
/// changed, and after `Finish`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonProgress {
    /// The lesson's id.
    pub id: String,
    /// The seed it runs on.
    pub seed: u64,
    /// Its objectives in order.
    pub objectives: Vec<ObjectiveProgress>,
    /// True after `Finish`.
    pub finished: bool,
    /// True when every objective is met.
    pub passed: bool,
    /// The lesson's title.
    pub title: String,
    /// What the student is asked to do.
    pub prompt: String,
    /// Hints, in order (the page shows one at a time on request).
    pub hints: Vec<String>,
    /// Debrief questions.
    pub discussion: Vec<String>,
    /// The lesson's seeds (another seed is another market).
    pub seeds: Vec<u64>,
    /// The figures so far (final after `Finish`).
    pub metrics: Vec<MetricLine>,
    /// After `Finish`: the receipt's JSON text, to download or copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<String>,
}

impl ClientMessage {
    /// The core command this message asks for on behalf of `account` (the human's), or `None`
    /// for messages that are not exchange commands.
    pub fn to_command(&self, account: AccountId) -> Option<Command> {
        Some(match self {
            ClientMessage::PlaceOrder(o) => Command::PlaceOrder(o.clone().for_account(account)),
            ClientMessage::Cancel { instrument, order } => Command::CancelOrder {
                account,
                instrument: *instrument,
                order: *order,
            },
            ClientMessage::CancelAll { instrument } => Command::CancelAll {
                account,
                instrument: *instrument,
            },
            ClientMessage::Amend {
                instrument,
                order,
                price,
                quantity,
            } => Command::AmendOrder {
                account,
                instrument: *instrument,
                order: *order,
                price: *price,
                quantity: *quantity,
            },
            _ => return None,
        })
    }

    /// The `limit` of a [`ClientMessage::CandleHistory`] clamped to [`MAX_CANDLE_HISTORY`].
    pub fn clamp_history_limit(limit: u32) -> u32 {
        limit.min(MAX_CANDLE_HISTORY)
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The exchange refused the command (the core's reason, e.g. `INSUFFICIENT_BALANCE`).
    Exchange(Reason),
    /// The page's protocol version differs from the worker's.
    UnsupportedVersion,
    /// The message could not be decoded.
    Malformed,
    /// A request other than `Hello` arrived before the handshake.
    HelloRequired,
    /// The subscription is out of bounds or names an unknown instrument.
    InvalidSubscription,
    /// `Reset` named a scenario the worker does not have.
    UnknownScenario,
    /// The request is well-formed but not allowed now (e.g. `Step` while playing).
    InvalidRequest,
    /// The session may not do this (simulation controls on a shared server, for anyone but
    /// the admin).
    Forbidden,
    /// The login token is unknown to the server.
    Unauthorized,
    /// The home is overloaded; try again shortly.
    Overloaded,
}

/// Everything the worker sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerMessage {
    /// Sent first, once the worker can take requests (after a valid `Hello`, and again after a
    /// `Reset`). The page queues its requests until it arrives.
    Ready {
        /// The worker's [`crate::PROTOCOL_VERSION`].
        version: u32,
        /// Assets and instruments (decimals as strings): what ticks, lots and units mean.
        config: ExchangeConfig,
        /// The human's account id.
        human_account: AccountId,
        /// Scenarios [`SimControl::Reset`] accepts, with their descriptions.
        scenarios: Vec<ScenarioInfo>,
        /// The simulation's state now.
        sim: SimState,
        /// The running market: hand-over time, scripted events, instruments with participants.
        market: MarketInfo,
        /// The signed-in session, from a home many people share (the server); `None` from a Web
        /// Worker, where the page is the only user and controls the simulation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<SessionInfo>,
    },
    /// The request was carried out.
    Ack {
        /// The request's [`ClientRequest::client_seq`].
        client_seq: u64,
        /// For exchange commands: the input sequence number the core assigned (its events carry it).
        input_seq: Option<u64>,
    },
    /// The request was refused; nothing changed.
    Rejected {
        /// The request's `client_seq` (`None` when the request could not be decoded, or for a
        /// refused `Hello`).
        client_seq: Option<u64>,
        /// Why.
        reason: RejectReason,
        /// Human-readable detail.
        message: String,
    },
    /// A coalesced frame (the JSON form; the binary form is [`crate::encode_frame`]).
    Frame(Box<Frame>),
    /// Answer to [`ClientMessage::CandleHistory`].
    CandleHistory {
        /// Instrument.
        instrument: InstrumentId,
        /// Interval.
        interval: Interval,
        /// Candles, oldest first, at most [`MAX_CANDLE_HISTORY`].
        candles: Vec<Candle>,
    },
    /// The running lesson's progress (see [`LessonControl`]).
    Lesson(LessonProgress),
    /// The built-in lessons (answer to [`LessonControl::List`]).
    LessonCatalog(Vec<LessonSummary>),
    /// A receipt replay's result (answer to [`LessonControl::CheckReceipt`]).
    ReceiptChecked(Box<ReceiptCheck>),
    /// Answer to [`ClientMessage::Explain`].
    Explained(Box<Explanation>),
}

impl ServerMessage {
    /// A [`ServerMessage::Rejected`].
    pub fn rejected(
        client_seq: Option<u64>,
        reason: RejectReason,
        message: impl Into<String>,
    ) -> Self {
        ServerMessage::Rejected {
            client_seq,
            reason,
            message: message.into(),
        }
    }
}

/// The name a unit enum variant has on the wire (its serde name), e.g. `PRICE_NOT_ON_TICK` for
/// [`Reason::PriceNotOnTick`] or `PARTIALLY_FILLED` for `OrderStatus::PartiallyFilled` (Binance
/// spellings, see `docs/FORMATS.md`). Empty for values that do not serialise to a JSON string.
pub fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The answer to an exchange command the worker applied as `input_seq` for request `client_seq`:
/// [`ServerMessage::Rejected`] with the core's reason if the command's events (found in `events`
/// by `input_seq`) contain a `CommandRejected` or a rejected execution report, otherwise
/// [`ServerMessage::Ack`].
pub fn command_outcome(client_seq: u64, input_seq: u64, events: &[Sequenced]) -> ServerMessage {
    for e in events.iter().filter(|e| e.input_seq == input_seq) {
        let reason = match &e.event {
            Event::CommandRejected { reason, .. } => *reason,
            Event::Execution(r) if r.exec_type == ExecType::Rejected => {
                r.reason.unwrap_or(Reason::InvalidOrder)
            }
            _ => continue,
        };
        return ServerMessage::rejected(
            Some(client_seq),
            RejectReason::Exchange(reason),
            format!("rejected by the exchange: {}", wire_name(&reason)),
        );
    }
    ServerMessage::Ack {
        client_seq,
        input_seq: Some(input_seq),
    }
}
