//! The closed input and output vocabulary of the exchange: [`Command`] in, [`Event`] out.
//!
//! Commands carry decimals (as a client sends them); the core converts them to the integer grid and
//! rejects, never rounds, values off the grid. Events carry integers only: prices in ticks,
//! quantities in lots, amounts in asset units, times in nanoseconds. Field names and statuses follow
//! Binance's spot API (`executionReport`, `outboundAccountPosition`, `depthUpdate`, `bookTicker`).
//!
//! The JSON form (serde, externally tagged enums) is documented in `docs/FORMATS.md`. The canonical
//! byte form used for the digest is the fixed-layout record of [`crate::digest`].

use crate::types::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Which order a cancel or amend names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderRef {
    /// The exchange-assigned order id.
    OrderId(OrderId),
    /// The client order id given at placement (unique among the account's open orders).
    ClientOrderId(ClientOrderId),
}

/// What an order asks for, independent of the account placing it: the part of [`NewOrder`] that
/// the stateless checks ([`crate::check_order_fields`]) read, and what a client of a home (the
/// page, a bot through the server) sends, the home adding the session's account. Decimal fields
/// are whole coins (price: quote per base; quantity: base; quote quantity: quote), put on the
/// instrument's grid by the core, which rejects off-grid values rather than rounding them.
///
/// Required fields by type: `LIMIT`: price, quantity. `MARKET`: quantity, or (buys only)
/// quote_quantity. `STOP_LIMIT`: stop_price, price, quantity. `STOP_MARKET`: stop_price and quantity
/// (or quote_quantity for buys). `post_only` only with `LIMIT`. Market orders ignore `tif` (they are
/// immediate-or-cancel). Missing or extra fields are rejected with [`Reason::InvalidOrder`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSpec {
    /// Instrument index.
    pub instrument: InstrumentId,
    /// Buy or sell.
    pub side: Side,
    /// Order type.
    #[serde(rename = "type")]
    pub order_type: OrderType,
    /// Time in force (default GTC).
    #[serde(default)]
    pub tif: TimeInForce,
    /// Limit price in quote per base (must be a multiple of the tick size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Decimal>,
    /// Quantity in base (must be a multiple of the lot size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Decimal>,
    /// For market buys: quote amount to spend before fees (Binance `quoteOrderQty`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_quantity: Option<Decimal>,
    /// Trigger price for stop orders (last trade price reaching it triggers the order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<Decimal>,
    /// Reject instead of taking liquidity (Binance `LIMIT_MAKER`).
    #[serde(default)]
    pub post_only: bool,
    /// Self-trade prevention mode (default NONE).
    #[serde(default)]
    pub stp: StpMode,
    /// Optional client order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<ClientOrderId>,
}

/// A new order: an [`OrderSpec`] placed by an account. In JSON the spec's fields sit beside
/// `account` in one object (`{"account":1,"instrument":0,"side":"BUY",...}`, see
/// `docs/FORMATS.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrder {
    /// Account placing the order.
    pub account: AccountId,
    /// What the order asks for.
    #[serde(flatten)]
    pub spec: OrderSpec,
}

impl OrderSpec {
    /// This order, placed by `account`.
    pub fn for_account(self, account: AccountId) -> NewOrder {
        NewOrder {
            account,
            spec: self,
        }
    }
}

/// Every input the exchange accepts. Closed: there is no other way to change state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// Open an account; the id is assigned by the exchange (see [`Event::AccountCreated`]).
    CreateAccount {
        /// Most open orders (resting + pending stops) at once; default
        /// [`crate::ExchangeConfig::default_max_open_orders`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_open_orders: Option<u32>,
        /// Most notional traded per UTC day and instrument, in that instrument's quote asset.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        daily_notional_limit: Option<Decimal>,
    },
    /// Admin: credit an account.
    Deposit {
        /// Account.
        account: AccountId,
        /// Asset index.
        asset: AssetId,
        /// Amount in whole coins (multiple of the asset's smallest unit, > 0).
        amount: Decimal,
    },
    /// Admin: debit an account's available balance.
    Withdraw {
        /// Account.
        account: AccountId,
        /// Asset index.
        asset: AssetId,
        /// Amount in whole coins (multiple of the asset's smallest unit, > 0).
        amount: Decimal,
    },
    /// Place an order.
    PlaceOrder(NewOrder),
    /// Cancel one open order (resting or pending stop).
    CancelOrder {
        /// Owner of the order.
        account: AccountId,
        /// Instrument of the order.
        instrument: InstrumentId,
        /// Which order.
        order: OrderRef,
    },
    /// Cancel every open order of an account, optionally only on one instrument, in order-id order.
    /// Rejected with [`Reason::UnknownOrder`] when there is none (as Binance's -2011).
    CancelAll {
        /// Account.
        account: AccountId,
        /// Restrict to one instrument.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        instrument: Option<InstrumentId>,
    },
    /// Change a resting order's price and/or total quantity. A smaller quantity at the same price
    /// keeps queue priority; anything else re-enters the order at the back of the queue (and may trade).
    AmendOrder {
        /// Owner of the order.
        account: AccountId,
        /// Instrument of the order.
        instrument: InstrumentId,
        /// Which order.
        order: OrderRef,
        /// New limit price (default: unchanged).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        price: Option<Decimal>,
        /// New total order quantity including what already filled (default: unchanged); must exceed
        /// the filled quantity (Binance `newQty` of order amend keep-priority).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        quantity: Option<Decimal>,
    },
    /// Admin: stop trading an instrument. New orders and amends are rejected; cancels still work.
    Halt {
        /// Instrument.
        instrument: InstrumentId,
    },
    /// Admin: resume trading.
    Resume {
        /// Instrument.
        instrument: InstrumentId,
    },
    /// Admin: put an instrument into a call auction (pre-open or closing). Orders then rest
    /// without matching and the indicative uncross is published with every change
    /// ([`Event::IndicativeUncross`]); only GTC limit orders without post-only (and stop orders,
    /// held off-book) are accepted. Rejected with [`Reason::WrongTradingPhase`] when it already
    /// is in one.
    StartAuction {
        /// Instrument.
        instrument: InstrumentId,
    },
    /// Admin: end the call auction: trade everything crossable at the uncross price (rule in
    /// `bourse_core::auction`, allocation in `bourse_core::book`), then trade continuously.
    /// Rejected with [`Reason::WrongTradingPhase`] outside an auction and with
    /// [`Reason::InstrumentHalted`] while halted.
    Uncross {
        /// Instrument.
        instrument: InstrumentId,
    },
}

/// A command as it sits in the command log: stamped by the sequencer (input sequence number and
/// timestamp). The command log is the sequence of these; a journal is its durable form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequencedCommand {
    /// Input sequence number, dense from 1.
    pub seq: u64,
    /// Caller's timestamp, nanoseconds since the Unix epoch; non-decreasing.
    pub ts_ns: u64,
    /// The command.
    pub cmd: Command,
}

/// Reject, cancel and expiry reasons (one closed set, SCREAMING_SNAKE_CASE on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    // ---- rejects (nothing changed) ----
    /// The account does not exist.
    UnknownAccount,
    /// The instrument index is out of range.
    UnknownInstrument,
    /// The asset index is out of range.
    UnknownAsset,
    /// The instrument is halted.
    InstrumentHalted,
    /// Price is not a positive multiple of the tick size.
    PriceNotOnTick,
    /// Quantity is not a positive multiple of the lot size.
    QuantityNotOnLot,
    /// An amount is not a positive multiple of the asset's smallest unit, or is out of range (a
    /// deposit that would take the asset's total supply above `u64::MAX` units).
    AmountNotOnGrid,
    /// Quantity is outside `[min_qty, max_qty]`.
    QuantityOutOfRange,
    /// Notional is below `min_notional`.
    NotionalBelowMinimum,
    /// Limit price is outside the band around the reference price.
    PriceOutsideBand,
    /// Not enough available balance to reserve what the order could spend (or to withdraw).
    InsufficientBalance,
    /// The account already has its maximum number of open orders.
    TooManyOpenOrders,
    /// The account's daily traded notional limit would be exceeded.
    DailyNotionalLimitExceeded,
    /// The client order id is already used by one of the account's open orders.
    DuplicateClientOrderId,
    /// No open order of this account and instrument has that id (never existed, filled, cancelled).
    UnknownOrder,
    /// Fields missing or not allowed for the order type, or an amend that is not valid.
    InvalidOrder,
    /// A post-only order would have taken liquidity.
    PostOnlyWouldTake,
    /// A stop order whose trigger condition already holds.
    StopWouldTriggerImmediately,
    /// The command's timestamp is earlier than the previous command's.
    TimestampRegression,
    // ---- cancels and expiries ----
    /// Cancelled by the owner.
    Canceled,
    /// Cancelled by a cancel-all.
    CanceledAll,
    /// IOC remainder expired.
    IocRemainder,
    /// FOK could not fill entirely.
    FokUnfillable,
    /// Market order: the opposite side ran out.
    NoLiquidity,
    /// Market order: its quote budget (or available balance) ran out.
    BudgetExhausted,
    /// Self-trade prevention.
    SelfTradePrevention,
    // ---- call auction rejects (kept last so that older codes keep their digest bytes) ----
    /// An auction command in the wrong phase: `StartAuction` during an auction, `Uncross`
    /// outside one.
    WrongTradingPhase,
    /// An order type the call auction does not take (market, IOC, FOK or post-only).
    NotAllowedInAuction,
}

/// An instrument's trading phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TradingPhase {
    /// Continuous trading: orders match on arrival (price-time priority).
    #[default]
    Continuous,
    /// Call auction: orders rest without matching until the uncross.
    Auction,
}

/// Binance `X` (current order status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Accepted, nothing filled (also a pending stop order).
    New,
    /// Some quantity filled, the rest open.
    PartiallyFilled,
    /// Completely filled.
    Filled,
    /// Cancelled by the owner.
    Canceled,
    /// Refused at entry.
    Rejected,
    /// Expired by its time in force or by running out of liquidity or budget.
    Expired,
    /// Expired by self-trade prevention.
    ExpiredInMatch,
}

/// Binance `x` (what this report is about).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecType {
    /// Order accepted.
    New,
    /// A fill.
    Trade,
    /// Cancelled.
    Canceled,
    /// Refused.
    Rejected,
    /// Expired.
    Expired,
    /// Amended (Binance `REPLACED`).
    Amended,
    /// A stop order's trigger condition was met; it now works as a limit or market order.
    Triggered,
}

/// An execution report to the order's owner (Binance `executionReport`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionReport {
    /// Owner.
    pub account: AccountId,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Exchange order id (0 for a rejected placement, which gets no id).
    pub order_id: OrderId,
    /// Client order id, if given.
    pub client_order_id: Option<ClientOrderId>,
    /// Side.
    pub side: Side,
    /// Type.
    pub order_type: OrderType,
    /// Time in force.
    pub tif: TimeInForce,
    /// Limit price, ticks (0 for market orders).
    pub price: Ticks,
    /// Stop price, ticks (0 when not a stop order).
    pub stop_price: Ticks,
    /// Order quantity, lots (0 for market buys sized by quote).
    pub quantity: Lots,
    /// Quote quantity for market buys sized by quote, quote units (0 otherwise).
    pub quote_quantity: Units,
    /// What happened.
    pub exec_type: ExecType,
    /// Status after it.
    pub status: OrderStatus,
    /// Reject, cancel or expiry reason.
    pub reason: Option<Reason>,
    /// Trade id of this fill (0 when not a fill).
    pub trade_id: u64,
    /// Price of this fill, ticks (0 when not a fill).
    pub last_price: Ticks,
    /// Quantity of this fill, lots.
    pub last_qty: Lots,
    /// Notional of this fill, quote units.
    pub last_quote: Units,
    /// Maker or taker for this fill.
    pub liquidity: Option<Liquidity>,
    /// Fee of this fill, units of `fee_asset` (always the quote asset).
    pub fee: Units,
    /// Asset the fee is charged in.
    pub fee_asset: AssetId,
    /// Cumulative filled quantity, lots.
    pub cum_qty: Lots,
    /// Cumulative filled notional, quote units.
    pub cum_quote: Units,
}

/// A public trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    /// Instrument.
    pub instrument: InstrumentId,
    /// Trade id, dense from 1 per instrument.
    pub trade_id: u64,
    /// Price (the maker's), ticks.
    pub price: Ticks,
    /// Quantity, lots.
    pub qty: Lots,
    /// Notional, quote units.
    pub quote_qty: Units,
    /// Side of the aggressor (taker).
    pub aggressor: Side,
    /// Resting order id.
    pub maker_order_id: OrderId,
    /// Incoming order id.
    pub taker_order_id: OrderId,
}

/// L1: best bid and ask with their aggregate sizes (Binance `bookTicker`). Emitted when it changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BookTicker {
    /// Instrument.
    pub instrument: InstrumentId,
    /// Book update id this state corresponds to.
    pub update_id: u64,
    /// Best bid `(ticks, lots)`.
    pub bid: Option<(Ticks, Lots)>,
    /// Best ask `(ticks, lots)`.
    pub ask: Option<(Ticks, Lots)>,
}

/// L2 level changes caused by one command (Binance diff-depth `depthUpdate`): each entry is the new
/// aggregate quantity at a price, 0 meaning the level is gone. Update ids count level changes per
/// instrument; a client keeps a local book by applying updates with `first_update_id ==
/// previous last_update_id + 1` on top of a [`crate::DepthSnapshot`] with `last_update_id` in
/// `[first_update_id − 1, last_update_id]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepthUpdate {
    /// Instrument.
    pub instrument: InstrumentId,
    /// First update id in this event (`U`).
    pub first_update_id: u64,
    /// Last update id in this event (`u`).
    pub last_update_id: u64,
    /// Changed bid levels `(ticks, lots)`, in ascending price order.
    pub bids: Vec<(Ticks, Lots)>,
    /// Changed ask levels `(ticks, lots)`, in ascending price order.
    pub asks: Vec<(Ticks, Lots)>,
}

/// L3 (market by order) changes, in the manner of ITCH 5.0 Add / Executed / Cancel / Delete.
/// Order ids are public; owners are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum L3Event {
    /// An order joined the back of the queue at its price.
    Added {
        /// Instrument.
        instrument: InstrumentId,
        /// Order id.
        order_id: OrderId,
        /// Side.
        side: Side,
        /// Price, ticks.
        price: Ticks,
        /// Visible quantity, lots.
        qty: Lots,
    },
    /// An order's remaining quantity went down (fill or amend keeping priority).
    Reduced {
        /// Instrument.
        instrument: InstrumentId,
        /// Order id.
        order_id: OrderId,
        /// Remaining quantity, lots (> 0).
        qty: Lots,
    },
    /// An order left the book (filled, cancelled, expired, or amended with loss of priority).
    Removed {
        /// Instrument.
        instrument: InstrumentId,
        /// Order id.
        order_id: OrderId,
    },
}

/// Everything the exchange emits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// A non-order command (or a cancel/amend) was refused; nothing changed.
    CommandRejected {
        /// Account named by the command, if any.
        account: Option<AccountId>,
        /// Order id named or resolved, if any.
        order_id: Option<OrderId>,
        /// Why.
        reason: Reason,
    },
    /// An account was opened.
    AccountCreated {
        /// Its id.
        account: AccountId,
    },
    /// A balance changed (Binance `outboundAccountPosition`), emitted once per command per
    /// (account, asset) that changed, in (account, asset) order, after the other events.
    BalanceUpdate {
        /// Account.
        account: AccountId,
        /// Asset.
        asset: AssetId,
        /// Available, asset units.
        available: Units,
        /// Locked by open orders, asset units.
        locked: Units,
    },
    /// An order's life-cycle step.
    Execution(ExecutionReport),
    /// A public trade.
    Trade(Trade),
    /// L1 change.
    BookTicker(BookTicker),
    /// L2 changes of one command on one instrument.
    DepthUpdate(DepthUpdate),
    /// L3 change.
    L3(L3Event),
    /// An instrument was halted or resumed.
    TradingStatus {
        /// Instrument.
        instrument: InstrumentId,
        /// True when halted.
        halted: bool,
    },
    /// An instrument entered a call auction ([`Command::StartAuction`]) or, after its uncross,
    /// continuous trading.
    TradingPhase {
        /// Instrument.
        instrument: InstrumentId,
        /// The phase now.
        phase: TradingPhase,
    },
    /// During a call auction: the price and volume an uncross would have now, emitted when the
    /// auction starts and after every command that changes them (as Xetra's and LSE's indicative
    /// auction price and volume). Prices in ticks, quantities in lots.
    IndicativeUncross {
        /// Instrument.
        instrument: InstrumentId,
        /// Uncross price, ticks; `None` while the book does not cross.
        price: Option<Ticks>,
        /// Executable volume at that price, lots.
        volume: Lots,
        /// Unexecuted quantity at that price on the heavier side, lots.
        surplus: Lots,
        /// The heavier side (`None` when balanced or not crossing).
        surplus_side: Option<Side>,
    },
}

/// An event as the sequencer publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequenced {
    /// Output sequence number, dense from 1 over all events.
    pub seq: u64,
    /// Input sequence number of the command that caused it.
    pub input_seq: u64,
    /// That command's timestamp, ns.
    pub ts_ns: u64,
    /// The event.
    pub event: Event,
}
