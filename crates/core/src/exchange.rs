//! The exchange: sequencer, pre-trade risk checks, wallet, stop orders and market data around one
//! [`OrderBook`] per instrument.
//!
//! # Sequencer
//! [`Exchange::apply`] stamps each command with the next input sequence number and the caller's
//! timestamp (ns, non-decreasing; a regression is rejected with [`Reason::TimestampRegression`]).
//! Each event it emits gets the next output sequence number and is folded into the running event
//! digest ([`crate::digest`]). State is a pure function of the command log.
//!
//! # Wallet
//! Per account and asset: `available` and `locked` units. Placing an order locks what it could spend:
//! - sells: `quantity × base_units_per_lot` of the base asset;
//! - limit / stop-limit buys: `notional(limit, qty) + fee(notional, max(maker, taker) rate)` of the
//!   quote asset; after each fill the lock is re-computed for the remaining quantity at the limit
//!   and the excess (price improvement, fee difference) is released;
//! - market buys by `quote_quantity`: `quote + fee(quote, taker rate)`;
//! - market buys by base quantity: all available quote (the order's budget), the unspent part
//!   released when it finishes; a stop-market buy by quantity locks nothing until it triggers.
//!
//! The total supply of each asset (deposits − withdrawals) is capped at `u64::MAX` units: a deposit
//! beyond it is rejected ([`Reason::AmountNotOnGrid`], out of range), so no balance can overflow.
//!
//! Fees are charged in the quote asset to both sides (`floor(notional × rate_ppm / 10^6)`, see
//! [`crate::types::fee_units`]) and collected by the exchange.
//!
//! # Pre-trade checks, in order
//! account, instrument, halted, fields for the type, price on tick, quantity on lot, quantity range,
//! amount grid, min notional, price band, client order id, open-order count, daily notional, stop
//! trigger, balance. The first failing check is the reason. A rejected command changes no state but
//! the sequence counters and the event digest.
//!
//! # Stop orders
//! Held off-book, triggered by the last trade price (buy stop: last ≥ stop; sell stop: last ≤ stop).
//! After each command that traded, triggered stops run one at a time in ascending order id until none
//! is triggered (each runs once, so the loop is bounded by the number of stops).
//!
//! # Invariants (checked by [`Exchange::check_invariants`], and after every command in debug builds)
//! books are valid and not crossed; every account's locked balance per asset equals the sum of its
//! open orders' locks; for every asset, Σ balances + fees collected = deposits − withdrawals.

use crate::book::{
    BookCommand, BookEvent, BookOrder, ExpireReason, MatchingEngine, OrderBook, Outcome,
};
use crate::digest::EventDigest;
use crate::marketdata::{Candle, Candles, Interval, Ticker24h};
use crate::messages::*;
use crate::types::*;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Static configuration: assets, instruments and defaults. Part of the journal header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeConfig {
    /// Assets, indexed by [`AssetId`].
    pub assets: Vec<AssetSpec>,
    /// Instruments, indexed by [`InstrumentId`].
    pub instruments: Vec<InstrumentSpec>,
    /// Open-order limit for accounts created without one.
    pub default_max_open_orders: u32,
}

impl ExchangeConfig {
    /// BTC-USDT and ETH-USDT with Binance-like filters: BTC-USDT tick 0.01, lot 0.00001, min
    /// notional 5 USDT; ETH-USDT tick 0.01, lot 0.0001; maker 0.1 %, taker 0.1 %... (see source).
    pub fn default_spot() -> Self {
        let d = |s: &str| s.parse::<Decimal>().expect("literal");
        ExchangeConfig {
            assets: vec![
                AssetSpec {
                    symbol: "BTC".into(),
                    decimals: 8,
                },
                AssetSpec {
                    symbol: "ETH".into(),
                    decimals: 8,
                },
                AssetSpec {
                    symbol: "USDT".into(),
                    decimals: 8,
                },
            ],
            instruments: vec![
                InstrumentSpec {
                    symbol: "BTC-USDT".into(),
                    base: 0,
                    quote: 2,
                    tick_size: d("0.01"),
                    lot_size: d("0.00001"),
                    min_qty: d("0.00001"),
                    max_qty: d("9000"),
                    min_notional: d("5"),
                    maker_fee_ppm: 800,
                    taker_fee_ppm: 1000,
                    price_band_bps: 2000,
                    reference_price: d("60000"),
                },
                InstrumentSpec {
                    symbol: "ETH-USDT".into(),
                    base: 1,
                    quote: 2,
                    tick_size: d("0.01"),
                    lot_size: d("0.0001"),
                    min_qty: d("0.0001"),
                    max_qty: d("90000"),
                    min_notional: d("5"),
                    maker_fee_ppm: 800,
                    taker_fee_ppm: 1000,
                    price_band_bps: 2000,
                    reference_price: d("3000"),
                },
            ],
            default_max_open_orders: 200,
        }
    }

    /// Index of an instrument by symbol.
    pub fn instrument_by_symbol(&self, symbol: &str) -> Option<InstrumentId> {
        self.instruments
            .iter()
            .position(|i| i.symbol == symbol)
            .map(|i| i as InstrumentId)
    }
}

/// A configuration that cannot be put on the integer grid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// An instrument names an asset that does not exist.
    #[error("instrument {0}: unknown asset")]
    UnknownAsset(String),
    /// A size is zero, negative, or not a multiple of its grid.
    #[error("instrument {symbol}: {field} is not on the grid ({detail})")]
    OffGrid {
        /// Instrument symbol.
        symbol: String,
        /// Field name.
        field: &'static str,
        /// What is wrong.
        detail: String,
    },
}

/// L2 snapshot of the top levels (Binance `GET /api/v3/depth`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepthSnapshot {
    /// Instrument.
    pub instrument: InstrumentId,
    /// Update id of the last change included.
    pub last_update_id: u64,
    /// Bids `(ticks, lots)`, best first.
    pub bids: Vec<(Ticks, Lots)>,
    /// Asks `(ticks, lots)`, best first.
    pub asks: Vec<(Ticks, Lots)>,
}

/// A balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Balance {
    /// Free to use, asset units.
    pub available: Units,
    /// Reserved by open orders, asset units.
    pub locked: Units,
}

/// An open order (resting or pending stop) with its accounting state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenOrder {
    /// Order id.
    pub id: OrderId,
    /// Owner.
    pub account: AccountId,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Client order id.
    pub client_order_id: Option<ClientOrderId>,
    /// Side.
    pub side: Side,
    /// Type as placed.
    pub order_type: OrderType,
    /// Time in force.
    pub tif: TimeInForce,
    /// Post-only.
    pub post_only: bool,
    /// Self-trade prevention.
    pub stp: StpMode,
    /// Limit price, ticks (0 for market).
    pub price: Ticks,
    /// Stop price, ticks (0 for none).
    pub stop_price: Ticks,
    /// Order quantity, lots (0 for quote-sized market buys).
    pub quantity: Lots,
    /// Quote quantity, units (quote-sized market buys).
    pub quote_quantity: Units,
    /// Filled, lots.
    pub cum_qty: Lots,
    /// Filled notional, quote units.
    pub cum_quote: Units,
    /// Units of the lock asset (quote for buys, base for sells) this order reserves.
    pub locked: Units,
    /// True while it is a stop order waiting for its trigger.
    pub pending_stop: bool,
}

impl OpenOrder {
    fn status(&self) -> OrderStatus {
        if self.cum_qty == 0 {
            OrderStatus::New
        } else if self.quantity != 0 && self.cum_qty >= self.quantity {
            OrderStatus::Filled
        } else {
            OrderStatus::PartiallyFilled
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Account {
    balances: Vec<Balance>,
    open_orders: u32,
    max_open_orders: u32,
    /// Per instrument: daily notional limit in quote units (None: unlimited).
    daily_limit: Option<Vec<u64>>,
    /// Per instrument: (UTC day index, notional traded that day in quote units).
    daily_traded: Vec<(u64, u128)>,
}

#[derive(Debug, Clone)]
struct Instrument {
    rules: InstrumentRules,
    book: OrderBook,
    halted: bool,
    last_price: Option<Ticks>,
    next_trade_id: u64,
    update_id: u64,
    l1: BookTicker,
    /// Pending buy stops keyed by (stop price, order id): trigger when last ≥ stop.
    buy_stops: BTreeSet<(Ticks, OrderId)>,
    /// Pending sell stops keyed by (stop price, order id): trigger when last ≤ stop.
    sell_stops: BTreeSet<(Ticks, OrderId)>,
    candles: Candles,
}

impl Instrument {
    fn reference(&self) -> Ticks {
        self.last_price.unwrap_or(self.rules.reference_ticks)
    }
}

/// Reusable per-command buffers (always empty between commands).
#[derive(Debug, Clone, Default)]
struct Scratch {
    levels: Vec<(InstrumentId, Side, Ticks)>,
    balances: Vec<(AccountId, AssetId)>,
    traded: Vec<InstrumentId>,
}

/// Per-command scratch state: where the command's events go and what it touched.
struct Ctx<'a> {
    out: &'a mut Vec<Sequenced>,
    input_seq: u64,
    ts_ns: u64,
    /// (instrument, side, price) levels whose aggregate changed.
    touched_levels: Vec<(InstrumentId, Side, Ticks)>,
    /// (account, asset) balances that changed.
    touched_balances: Vec<(AccountId, AssetId)>,
    /// Instruments that printed trades (for stop triggers).
    traded: Vec<InstrumentId>,
}

/// The deterministic exchange state machine. See the module documentation.
#[derive(Debug, Clone)]
pub struct Exchange {
    config: ExchangeConfig,
    instruments: Vec<Instrument>,
    accounts: Vec<Account>,
    orders: FxHashMap<OrderId, OpenOrder>,
    client_ids: FxHashMap<(AccountId, ClientOrderId), OrderId>,
    next_order_id: OrderId,
    next_input_seq: u64,
    next_output_seq: u64,
    last_ts_ns: u64,
    digest: EventDigest,
    deposits: Vec<u128>,
    withdrawals: Vec<u128>,
    fees: Vec<u128>,
    book_events: Vec<BookEvent>,
    /// Per-command scratch buffers, reused so that `apply` does not allocate for them.
    scratch: Scratch,
    /// Check invariants after every command (default: on in debug builds).
    pub check_every_command: bool,
}

/// Everything needed to restore an [`Exchange`], in a canonical order (postcard-encoded by
/// [`Exchange::snapshot`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SnapshotData {
    version: u32,
    #[serde(with = "config_repr")]
    config: ExchangeConfig,
    next_order_id: OrderId,
    next_input_seq: u64,
    next_output_seq: u64,
    last_ts_ns: u64,
    digest: u64,
    deposits: Vec<u128>,
    withdrawals: Vec<u128>,
    fees: Vec<u128>,
    accounts: Vec<Account>,
    /// Open orders by ascending id.
    orders: Vec<OpenOrder>,
    instruments: Vec<InstrumentSnapshot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct InstrumentSnapshot {
    halted: bool,
    last_price: Option<Ticks>,
    next_trade_id: u64,
    update_id: u64,
    l1: BookTicker,
    book: crate::book::L3Book,
    candles: Candles,
}

/// Snapshot encoding of [`ExchangeConfig`]: byte-for-byte what its derived `Serialize` writes
/// (decimals as strings), but decodable by postcard. `Decimal`'s own `Deserialize` asks for
/// `deserialize_any`, which postcard (not self-describing) refuses, so before this no snapshot
/// could be restored.
mod config_repr {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct Config {
        assets: Vec<AssetSpec>,
        instruments: Vec<Instrument>,
        default_max_open_orders: u32,
    }

    /// Same fields, same order as [`InstrumentSpec`].
    #[derive(Serialize, Deserialize)]
    struct Instrument {
        symbol: String,
        base: AssetId,
        quote: AssetId,
        #[serde(with = "rust_decimal::serde::str")]
        tick_size: Decimal,
        #[serde(with = "rust_decimal::serde::str")]
        lot_size: Decimal,
        #[serde(with = "rust_decimal::serde::str")]
        min_qty: Decimal,
        #[serde(with = "rust_decimal::serde::str")]
        max_qty: Decimal,
        #[serde(with = "rust_decimal::serde::str")]
        min_notional: Decimal,
        maker_fee_ppm: Ppm,
        taker_fee_ppm: Ppm,
        price_band_bps: u32,
        #[serde(with = "rust_decimal::serde::str")]
        reference_price: Decimal,
    }

    pub fn serialize<S: serde::Serializer>(c: &ExchangeConfig, s: S) -> Result<S::Ok, S::Error> {
        Config {
            assets: c.assets.clone(),
            instruments: c
                .instruments
                .iter()
                .map(|i| Instrument {
                    symbol: i.symbol.clone(),
                    base: i.base,
                    quote: i.quote,
                    tick_size: i.tick_size,
                    lot_size: i.lot_size,
                    min_qty: i.min_qty,
                    max_qty: i.max_qty,
                    min_notional: i.min_notional,
                    maker_fee_ppm: i.maker_fee_ppm,
                    taker_fee_ppm: i.taker_fee_ppm,
                    price_band_bps: i.price_band_bps,
                    reference_price: i.reference_price,
                })
                .collect(),
            default_max_open_orders: c.default_max_open_orders,
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<ExchangeConfig, D::Error> {
        let c = Config::deserialize(d)?;
        Ok(ExchangeConfig {
            assets: c.assets,
            instruments: c
                .instruments
                .into_iter()
                .map(|i| InstrumentSpec {
                    symbol: i.symbol,
                    base: i.base,
                    quote: i.quote,
                    tick_size: i.tick_size,
                    lot_size: i.lot_size,
                    min_qty: i.min_qty,
                    max_qty: i.max_qty,
                    min_notional: i.min_notional,
                    maker_fee_ppm: i.maker_fee_ppm,
                    taker_fee_ppm: i.taker_fee_ppm,
                    price_band_bps: i.price_band_bps,
                    reference_price: i.reference_price,
                })
                .collect(),
            default_max_open_orders: c.default_max_open_orders,
        })
    }
}

const SNAPSHOT_VERSION: u32 = 1;
const DAY_NS: u64 = 86_400_000_000_000;

/// Why a snapshot could not be restored.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The bytes are not a snapshot.
    #[error("snapshot decode failed: {0}")]
    Decode(#[from] postcard::Error),
    /// Written by another version.
    #[error("snapshot version {0} is not supported (expected {SNAPSHOT_VERSION})")]
    Version(u32),
    /// The configuration inside is invalid.
    #[error("snapshot config: {0}")]
    Config(#[from] ConfigError),
    /// The bytes decode, but the state is inconsistent (corrupted or not written by
    /// [`Exchange::snapshot`]).
    #[error("snapshot is inconsistent: {0}")]
    Invalid(String),
}

/// The integer-grid rules of `spec` under `config` (the same conversion [`Exchange::new`] does):
/// lot size in base units, tick × lot in quote units, quantity and notional limits on the grid.
///
/// # Errors
/// [`ConfigError`] when an asset is unknown or a field is not on its grid.
pub fn rules_of(
    config: &ExchangeConfig,
    spec: &InstrumentSpec,
) -> Result<InstrumentRules, ConfigError> {
    let asset = |id: AssetId| {
        config
            .assets
            .get(id as usize)
            .ok_or_else(|| ConfigError::UnknownAsset(spec.symbol.clone()))
    };
    let base = asset(spec.base)?;
    let quote = asset(spec.quote)?;
    let off = |field: &'static str, detail: String| ConfigError::OffGrid {
        symbol: spec.symbol.clone(),
        field,
        detail,
    };
    let pos = |field: &'static str, v: Result<i64, GridError>| match v {
        Ok(x) if x > 0 => Ok(x),
        Ok(_) => Err(off(field, "must be positive".into())),
        Err(e) => Err(off(field, e.to_string())),
    };
    let base_units_per_lot = pos("lot_size", to_grid(spec.lot_size, unit_step(base.decimals)))?;
    let quote_units_per_tick_lot = pos(
        "tick_size × lot_size",
        // Checked: an absurd configuration must be an error, not a panic.
        spec.tick_size
            .checked_mul(spec.lot_size)
            .ok_or(GridError::OutOfRange)
            .and_then(|step| to_grid(step, unit_step(quote.decimals))),
    )?;
    let min_lots = pos("min_qty", to_grid(spec.min_qty, spec.lot_size))?;
    let max_lots = pos("max_qty", to_grid(spec.max_qty, spec.lot_size))?;
    let min_notional_units = to_grid(spec.min_notional, unit_step(quote.decimals))
        .map_err(|e| off("min_notional", e.to_string()))?;
    let reference_ticks = pos(
        "reference_price",
        to_grid(spec.reference_price, spec.tick_size),
    )?;
    pos("tick_size", to_grid(spec.tick_size, spec.tick_size))?;
    Ok(InstrumentRules {
        base: spec.base,
        quote: spec.quote,
        base_units_per_lot: base_units_per_lot as Units,
        quote_units_per_tick_lot: quote_units_per_tick_lot as Units,
        min_lots: min_lots as Lots,
        max_lots: max_lots as Lots,
        min_notional_units: min_notional_units as Units,
        maker_fee_ppm: spec.maker_fee_ppm,
        taker_fee_ppm: spec.taker_fee_ppm,
        price_band_bps: spec.price_band_bps,
        reference_ticks,
    })
}

/// Result of pre-trade checks for a placement: everything needed to accept it.
struct Accepted {
    side: Side,
    price: Ticks,
    stop: Ticks,
    lots: Lots,
    quote_units: Units,
    lock: Units,
    budget: Option<u128>,
}

fn clamp_units(x: i128) -> Units {
    debug_assert!(
        x >= 0 && x <= Units::MAX as i128,
        "amount out of range: {x}"
    );
    x as Units
}

impl Exchange {
    /// A new exchange with no accounts. Errors if an instrument's sizes are not on the grid of its
    /// assets (e.g. `tick_size × lot_size` not a multiple of the quote asset's smallest unit).
    pub fn new(config: ExchangeConfig) -> Result<Self, ConfigError> {
        let mut instruments = Vec::with_capacity(config.instruments.len());
        for (i, spec) in config.instruments.iter().enumerate() {
            let rules = rules_of(&config, spec)?;
            instruments.push(Instrument {
                rules,
                book: OrderBook::with_capacity(1024, 256),
                halted: false,
                last_price: None,
                next_trade_id: 1,
                update_id: 0,
                l1: BookTicker {
                    instrument: i as InstrumentId,
                    ..Default::default()
                },
                buy_stops: BTreeSet::new(),
                sell_stops: BTreeSet::new(),
                candles: Candles::default(),
            });
        }
        let n_assets = config.assets.len();
        Ok(Exchange {
            config,
            instruments,
            accounts: Vec::new(),
            orders: FxHashMap::default(),
            client_ids: FxHashMap::default(),
            next_order_id: 1,
            next_input_seq: 1,
            next_output_seq: 1,
            last_ts_ns: 0,
            digest: EventDigest::new(),
            deposits: vec![0; n_assets],
            withdrawals: vec![0; n_assets],
            fees: vec![0; n_assets],
            book_events: Vec::with_capacity(64),
            scratch: Scratch::default(),
            check_every_command: cfg!(debug_assertions),
        })
    }

    // ------------------------------------------------------------------ queries

    /// The configuration.
    pub fn config(&self) -> &ExchangeConfig {
        &self.config
    }

    /// Integer rules of an instrument.
    pub fn rules(&self, instrument: InstrumentId) -> Option<&InstrumentRules> {
        self.instruments.get(instrument as usize).map(|i| &i.rules)
    }

    /// The order book of an instrument (read-only).
    pub fn book(&self, instrument: InstrumentId) -> Option<&OrderBook> {
        self.instruments.get(instrument as usize).map(|i| &i.book)
    }

    /// Last trade price in ticks.
    pub fn last_price(&self, instrument: InstrumentId) -> Option<Ticks> {
        self.instruments.get(instrument as usize)?.last_price
    }

    /// Reference price for the price band: last trade price, or the configured reference.
    pub fn reference_price(&self, instrument: InstrumentId) -> Option<Ticks> {
        self.instruments
            .get(instrument as usize)
            .map(|i| i.reference())
    }

    /// Whether the instrument is halted.
    pub fn is_halted(&self, instrument: InstrumentId) -> bool {
        self.instruments
            .get(instrument as usize)
            .is_some_and(|i| i.halted)
    }

    /// Current L1.
    pub fn book_ticker(&self, instrument: InstrumentId) -> Option<BookTicker> {
        self.instruments.get(instrument as usize).map(|i| i.l1)
    }

    /// L2 snapshot of the best `levels` levels per side.
    pub fn depth(&self, instrument: InstrumentId, levels: usize) -> Option<DepthSnapshot> {
        let ins = self.instruments.get(instrument as usize)?;
        // Never reserve more than the book holds (`levels` may be `usize::MAX` for "all").
        let mut bids = Vec::with_capacity(levels.min(ins.book.level_count(Side::Buy)));
        let mut asks = Vec::with_capacity(levels.min(ins.book.level_count(Side::Sell)));
        ins.book
            .for_each_level(Side::Buy, levels, |p, q, _| bids.push((p, q)));
        ins.book
            .for_each_level(Side::Sell, levels, |p, q, _| asks.push((p, q)));
        Some(DepthSnapshot {
            instrument,
            last_update_id: ins.update_id,
            bids,
            asks,
        })
    }

    /// The last `limit` candles of an interval up to `now_ns`, flat-filled (oldest first).
    pub fn candles(
        &self,
        instrument: InstrumentId,
        interval: Interval,
        now_ns: u64,
        limit: usize,
    ) -> Vec<Candle> {
        self.instruments
            .get(instrument as usize)
            .map(|i| i.candles.series(interval).query(now_ns, limit))
            .unwrap_or_default()
    }

    /// Number of candles held in the ring of an interval.
    pub fn candle_count(&self, instrument: InstrumentId, interval: Interval) -> usize {
        self.instruments
            .get(instrument as usize)
            .map(|i| i.candles.series(interval).candles.len())
            .unwrap_or(0)
    }

    /// Rolling 24h ticker at `now_ns`.
    pub fn ticker_24h(&self, instrument: InstrumentId, now_ns: u64) -> Option<Ticker24h> {
        self.instruments
            .get(instrument as usize)
            .map(|i| i.candles.ticker_24h(now_ns))
    }

    /// Balance of an account in an asset.
    pub fn balance(&self, account: AccountId, asset: AssetId) -> Option<Balance> {
        self.account(account)?.balances.get(asset as usize).copied()
    }

    /// Number of accounts (ids are `1..=account_count`).
    pub fn account_count(&self) -> u32 {
        self.accounts.len() as u32
    }

    /// An open order by id.
    pub fn open_order(&self, id: OrderId) -> Option<&OpenOrder> {
        self.orders.get(&id)
    }

    /// Open orders of an account, ascending order id.
    pub fn open_orders_of(&self, account: AccountId) -> Vec<OpenOrder> {
        let mut v: Vec<OpenOrder> = self
            .orders
            .values()
            .filter(|o| o.account == account)
            .copied()
            .collect();
        v.sort_unstable_by_key(|o| o.id);
        v
    }

    /// Total open orders (resting + pending stops).
    pub fn open_order_count(&self) -> usize {
        self.orders.len()
    }

    /// Fees collected so far per asset, units.
    pub fn fees_collected(&self, asset: AssetId) -> u128 {
        self.fees.get(asset as usize).copied().unwrap_or(0)
    }

    /// Running digest of every event emitted so far (see [`crate::digest`]).
    pub fn event_digest(&self) -> u64 {
        self.digest.value()
    }

    /// Digest of the whole state: xxh3-64 of [`Exchange::snapshot`].
    pub fn state_digest(&self) -> u64 {
        xxhash_rust::xxh3::xxh3_64(&self.snapshot())
    }

    /// Next input sequence number the sequencer will assign.
    pub fn next_input_seq(&self) -> u64 {
        self.next_input_seq
    }

    /// Next output sequence number.
    pub fn next_output_seq(&self) -> u64 {
        self.next_output_seq
    }

    /// Timestamp of the last accepted command, ns.
    pub fn last_ts_ns(&self) -> u64 {
        self.last_ts_ns
    }

    fn account(&self, id: AccountId) -> Option<&Account> {
        if id == 0 {
            return None;
        }
        self.accounts.get(id as usize - 1)
    }

    // ------------------------------------------------------------------ sequencer

    /// Sequence and apply one command at `ts_ns`; append its events to `out`. Returns the input
    /// sequence number assigned. Never panics on any input.
    pub fn apply(&mut self, ts_ns: u64, cmd: &Command, out: &mut Vec<Sequenced>) -> u64 {
        let input_seq = self.next_input_seq;
        self.next_input_seq += 1;
        let mut ctx = Ctx {
            out,
            input_seq,
            ts_ns,
            touched_levels: std::mem::take(&mut self.scratch.levels),
            touched_balances: std::mem::take(&mut self.scratch.balances),
            traded: std::mem::take(&mut self.scratch.traded),
        };
        if ts_ns < self.last_ts_ns {
            self.emit(
                &mut ctx,
                Event::CommandRejected {
                    account: None,
                    order_id: None,
                    reason: Reason::TimestampRegression,
                },
            );
            self.recycle(ctx);
            return input_seq;
        }
        self.last_ts_ns = ts_ns;
        match cmd {
            Command::CreateAccount {
                max_open_orders,
                daily_notional_limit,
            } => self.create_account(&mut ctx, *max_open_orders, *daily_notional_limit),
            Command::Deposit {
                account,
                asset,
                amount,
            } => self.transfer(&mut ctx, *account, *asset, *amount, true),
            Command::Withdraw {
                account,
                asset,
                amount,
            } => self.transfer(&mut ctx, *account, *asset, *amount, false),
            Command::PlaceOrder(o) => self.place(&mut ctx, o),
            Command::CancelOrder {
                account,
                instrument,
                order,
            } => self.cancel(&mut ctx, *account, *instrument, *order),
            Command::CancelAll {
                account,
                instrument,
            } => self.cancel_all(&mut ctx, *account, *instrument),
            Command::AmendOrder {
                account,
                instrument,
                order,
                price,
                quantity,
            } => self.amend(&mut ctx, *account, *instrument, *order, *price, *quantity),
            Command::Halt { instrument } => self.set_halt(&mut ctx, *instrument, true),
            Command::Resume { instrument } => self.set_halt(&mut ctx, *instrument, false),
        }
        self.run_stops(&mut ctx);
        self.finish(&mut ctx);
        self.recycle(ctx);
        if self.check_every_command {
            if let Err(e) = self.check_invariants() {
                panic!("invariant violated after input seq {input_seq}: {e}");
            }
        }
        input_seq
    }

    /// Apply a journaled command, checking that its sequence number is the next one.
    /// Returns `Err(expected)` (and applies nothing) when it is not.
    pub fn apply_sequenced(
        &mut self,
        cmd: &SequencedCommand,
        out: &mut Vec<Sequenced>,
    ) -> Result<(), u64> {
        if cmd.seq != self.next_input_seq {
            return Err(self.next_input_seq);
        }
        self.apply(cmd.ts_ns, &cmd.cmd, out);
        Ok(())
    }

    fn emit(&mut self, ctx: &mut Ctx<'_>, event: Event) {
        let s = Sequenced {
            seq: self.next_output_seq,
            input_seq: ctx.input_seq,
            ts_ns: ctx.ts_ns,
            event,
        };
        self.next_output_seq += 1;
        self.digest.update(&s);
        ctx.out.push(s);
    }

    fn reject_cmd(
        &mut self,
        ctx: &mut Ctx<'_>,
        account: Option<AccountId>,
        order_id: Option<OrderId>,
        reason: Reason,
    ) {
        self.emit(
            ctx,
            Event::CommandRejected {
                account,
                order_id,
                reason,
            },
        );
    }

    /// End of command: depth updates and L1 per touched instrument, then balance updates.
    /// Give the scratch buffers back (emptied) for the next command.
    fn recycle(&mut self, ctx: Ctx<'_>) {
        let Ctx {
            mut touched_levels,
            mut touched_balances,
            mut traded,
            ..
        } = ctx;
        touched_levels.clear();
        touched_balances.clear();
        traded.clear();
        self.digest.commit();
        self.scratch = Scratch {
            levels: touched_levels,
            balances: touched_balances,
            traded,
        };
    }

    fn finish(&mut self, ctx: &mut Ctx<'_>) {
        if !ctx.touched_levels.is_empty() {
            let mut t = std::mem::take(&mut ctx.touched_levels);
            t.sort_unstable();
            t.dedup();
            let mut i = 0;
            while i < t.len() {
                let ins_id = t[i].0;
                let mut j = i;
                while j < t.len() && t[j].0 == ins_id {
                    j += 1;
                }
                let ins = &mut self.instruments[ins_id as usize];
                let mut bids = Vec::new();
                let mut asks = Vec::new();
                for &(_, side, price) in &t[i..j] {
                    let (q, _) = ins.book.level_at(side, price);
                    match side {
                        Side::Buy => bids.push((price, q)),
                        Side::Sell => asks.push((price, q)),
                    }
                }
                let n = (j - i) as u64;
                let first = ins.update_id + 1;
                ins.update_id += n;
                let last = ins.update_id;
                let l1 = BookTicker {
                    instrument: ins_id,
                    update_id: last,
                    bid: ins.book.best_bid(),
                    ask: ins.book.best_ask(),
                };
                let l1_changed = l1.bid != ins.l1.bid || l1.ask != ins.l1.ask;
                ins.l1 = l1;
                self.emit(
                    ctx,
                    Event::DepthUpdate(DepthUpdate {
                        instrument: ins_id,
                        first_update_id: first,
                        last_update_id: last,
                        bids,
                        asks,
                    }),
                );
                if l1_changed {
                    self.emit(ctx, Event::BookTicker(l1));
                }
                i = j;
            }
            t.clear();
            ctx.touched_levels = t;
        }
        if !ctx.touched_balances.is_empty() {
            let mut t = std::mem::take(&mut ctx.touched_balances);
            t.sort_unstable();
            t.dedup();
            for &(account, asset) in &t {
                let b = self.accounts[account as usize - 1].balances[asset as usize];
                self.emit(
                    ctx,
                    Event::BalanceUpdate {
                        account,
                        asset,
                        available: b.available,
                        locked: b.locked,
                    },
                );
            }
            t.clear();
            ctx.touched_balances = t;
        }
    }

    // ------------------------------------------------------------------ accounts

    fn create_account(
        &mut self,
        ctx: &mut Ctx<'_>,
        max_open_orders: Option<u32>,
        daily_notional_limit: Option<Decimal>,
    ) {
        let daily_limit = match daily_notional_limit {
            None => None,
            Some(limit) => {
                let mut v = Vec::with_capacity(self.instruments.len());
                for ins in &self.instruments {
                    let dec = self.config.assets[ins.rules.quote as usize].decimals;
                    match to_grid(limit, unit_step(dec)) {
                        Ok(u) => v.push(u as u64),
                        Err(_) => {
                            return self.reject_cmd(ctx, None, None, Reason::AmountNotOnGrid);
                        }
                    }
                }
                Some(v)
            }
        };
        self.accounts.push(Account {
            balances: vec![Balance::default(); self.config.assets.len()],
            open_orders: 0,
            max_open_orders: max_open_orders.unwrap_or(self.config.default_max_open_orders),
            daily_limit,
            daily_traded: vec![(0, 0); self.instruments.len()],
        });
        let account = self.accounts.len() as AccountId;
        self.emit(ctx, Event::AccountCreated { account });
    }

    fn transfer(
        &mut self,
        ctx: &mut Ctx<'_>,
        account: AccountId,
        asset: AssetId,
        amount: Decimal,
        deposit: bool,
    ) {
        if self.account(account).is_none() {
            return self.reject_cmd(ctx, Some(account), None, Reason::UnknownAccount);
        }
        let Some(spec) = self.config.assets.get(asset as usize) else {
            return self.reject_cmd(ctx, Some(account), None, Reason::UnknownAsset);
        };
        let units = match to_grid(amount, unit_step(spec.decimals)) {
            Ok(u) if u > 0 => u as Units,
            _ => return self.reject_cmd(ctx, Some(account), None, Reason::AmountNotOnGrid),
        };
        let b = &mut self.accounts[account as usize - 1].balances[asset as usize];
        if deposit {
            // Cap the asset's total supply (deposits − withdrawals, which bounds every balance,
            // lock and fill) at `Units::MAX`, so that no later credit can overflow.
            let supply = self.deposits[asset as usize] - self.withdrawals[asset as usize];
            if supply + units as u128 > Units::MAX as u128 {
                return self.reject_cmd(ctx, Some(account), None, Reason::AmountNotOnGrid);
            }
            b.available += units;
            self.deposits[asset as usize] += units as u128;
        } else {
            if b.available < units {
                return self.reject_cmd(ctx, Some(account), None, Reason::InsufficientBalance);
            }
            b.available -= units;
            self.withdrawals[asset as usize] += units as u128;
        }
        ctx.touched_balances.push((account, asset));
    }

    // ------------------------------------------------------------------ placement

    /// Emit the REJECTED report of a placement. It carries what the order asked for where that
    /// is on the instrument's grid (price and stop price in ticks, quantity in lots, quote
    /// quantity in quote units, each 0 when absent, off the grid or the instrument is unknown),
    /// as Binance's reject answers repeat the request, so a client's order history keeps what was
    /// sent.
    fn reject_order(&mut self, ctx: &mut Ctx<'_>, o: &NewOrder, reason: Reason) {
        let fee_asset = self
            .instruments
            .get(o.instrument as usize)
            .map(|i| i.rules.quote)
            .unwrap_or(0);
        let (price, stop_price, quantity, quote_quantity) =
            match self.config.instruments.get(o.instrument as usize) {
                Some(spec) => {
                    let grid = |v: Option<Decimal>, step: Decimal| {
                        v.and_then(|v| to_grid(v, step).ok()).unwrap_or(0)
                    };
                    let quote_dec = self.config.assets[fee_asset as usize].decimals;
                    (
                        grid(o.price, spec.tick_size),
                        grid(o.stop_price, spec.tick_size),
                        grid(o.quantity, spec.lot_size) as Lots,
                        grid(o.quote_quantity, unit_step(quote_dec)) as Units,
                    )
                }
                None => (0, 0, 0, 0),
            };
        self.emit(
            ctx,
            Event::Execution(ExecutionReport {
                account: o.account,
                instrument: o.instrument,
                order_id: 0,
                client_order_id: o.client_order_id,
                side: o.side,
                order_type: o.order_type,
                tif: o.tif,
                price,
                stop_price,
                quantity,
                quote_quantity,
                exec_type: ExecType::Rejected,
                status: OrderStatus::Rejected,
                reason: Some(reason),
                trade_id: 0,
                last_price: 0,
                last_qty: 0,
                last_quote: 0,
                liquidity: None,
                fee: 0,
                fee_asset,
                cum_qty: 0,
                cum_quote: 0,
            }),
        );
    }

    /// All pre-trade checks for a placement; `Err(reason)` on the first failure.
    fn check_order(&self, ts_ns: u64, o: &NewOrder) -> Result<Accepted, Reason> {
        let acct = self.account(o.account).ok_or(Reason::UnknownAccount)?;
        let ins = self
            .instruments
            .get(o.instrument as usize)
            .ok_or(Reason::UnknownInstrument)?;
        if ins.halted {
            return Err(Reason::InstrumentHalted);
        }
        let spec = &self.config.instruments[o.instrument as usize];
        let r = &ins.rules;
        let quote_dec = self.config.assets[r.quote as usize].decimals;
        let reference = ins.reference();
        let OrderOnGrid {
            price,
            stop,
            lots,
            quote_units,
            notional,
        } = check_order_fields(spec, r, quote_dec, reference, o)?;
        let is_stop = matches!(o.order_type, OrderType::StopLimit | OrderType::StopMarket);
        let is_market = matches!(o.order_type, OrderType::Market | OrderType::StopMarket);
        let by_quote = o.quote_quantity.is_some();
        if let Some(cid) = o.client_order_id {
            if self.client_ids.contains_key(&(o.account, cid)) {
                return Err(Reason::DuplicateClientOrderId);
            }
        }
        if !matches!(o.order_type, OrderType::Market) && acct.open_orders >= acct.max_open_orders {
            return Err(Reason::TooManyOpenOrders);
        }
        if let Some(limits) = &acct.daily_limit {
            let (day, traded) = acct.daily_traded[o.instrument as usize];
            let traded = if day == ts_ns / DAY_NS { traded } else { 0 };
            if traded as i128 + notional > limits[o.instrument as usize] as i128 {
                return Err(Reason::DailyNotionalLimitExceeded);
            }
        }
        if is_stop {
            let last = reference;
            let triggered = match o.side {
                Side::Buy => last >= stop,
                Side::Sell => last <= stop,
            };
            if triggered {
                return Err(Reason::StopWouldTriggerImmediately);
            }
        }
        if o.post_only {
            if let Some((best, _)) = ins.book.best(o.side.opposite()) {
                let takes = match o.side {
                    Side::Buy => best <= price,
                    Side::Sell => best >= price,
                };
                if takes {
                    return Err(Reason::PostOnlyWouldTake);
                }
            }
        }
        // Lock and budget.
        let bal = acct.balances[match o.side {
            Side::Buy => r.quote,
            Side::Sell => r.base,
        } as usize];
        let (lock, budget) = match o.side {
            Side::Sell => (lots as i128 * r.base_units_per_lot as i128, None),
            Side::Buy if !is_market => (r.buy_limit_lock(price, lots), None),
            Side::Buy if by_quote => (
                quote_units as i128 + fee_units(quote_units as i128, r.taker_fee_ppm),
                Some(quote_units as u128 / r.quote_units_per_tick_lot as u128),
            ),
            Side::Buy if is_stop => (0, None),
            Side::Buy => {
                if bal.available == 0 {
                    return Err(Reason::InsufficientBalance);
                }
                (bal.available as i128, Some(r.market_budget(bal.available)))
            }
        };
        if lock > bal.available as i128 {
            return Err(Reason::InsufficientBalance);
        }
        Ok(Accepted {
            side: o.side,
            price,
            stop,
            lots,
            quote_units,
            lock: clamp_units(lock),
            budget,
        })
    }

    fn place(&mut self, ctx: &mut Ctx<'_>, o: &NewOrder) {
        let a = match self.check_order(ctx.ts_ns, o) {
            Ok(a) => a,
            Err(reason) => return self.reject_order(ctx, o, reason),
        };
        let id = self.next_order_id;
        self.next_order_id += 1;
        let r = self.instruments[o.instrument as usize].rules;
        let is_stop = matches!(o.order_type, OrderType::StopLimit | OrderType::StopMarket);
        let lock_asset = match a.side {
            Side::Buy => r.quote,
            Side::Sell => r.base,
        };
        self.lock(ctx, o.account, lock_asset, a.lock);
        let order = OpenOrder {
            id,
            account: o.account,
            instrument: o.instrument,
            client_order_id: o.client_order_id,
            side: a.side,
            order_type: o.order_type,
            tif: if matches!(o.order_type, OrderType::Market | OrderType::StopMarket) {
                TimeInForce::Ioc
            } else {
                o.tif
            },
            post_only: o.post_only,
            stp: o.stp,
            price: a.price,
            stop_price: a.stop,
            quantity: a.lots,
            quote_quantity: a.quote_units,
            cum_qty: 0,
            cum_quote: 0,
            locked: a.lock,
            pending_stop: is_stop,
        };
        self.orders.insert(id, order);
        if let Some(cid) = o.client_order_id {
            self.client_ids.insert((o.account, cid), id);
        }
        self.accounts[o.account as usize - 1].open_orders += 1;
        self.report(ctx, &order, ExecType::New, None, None);
        if is_stop {
            let ins = &mut self.instruments[o.instrument as usize];
            match a.side {
                Side::Buy => ins.buy_stops.insert((a.stop, id)),
                Side::Sell => ins.sell_stops.insert((a.stop, id)),
            };
            return;
        }
        self.submit(ctx, id, a.budget);
    }

    /// Send an accepted (or triggered) order to its book and settle the outcome.
    fn submit(&mut self, ctx: &mut Ctx<'_>, id: OrderId, budget: Option<u128>) {
        let o = self.orders[&id];
        let market = matches!(o.order_type, OrderType::Market | OrderType::StopMarket);
        let cmd = BookCommand::Place(BookOrder {
            id,
            owner: o.account,
            side: o.side,
            price: if market { None } else { Some(o.price) },
            qty: if o.quantity == 0 {
                u64::MAX / 2
            } else {
                o.quantity - o.cum_qty
            },
            tif: o.tif,
            post_only: o.post_only,
            stp: o.stp,
            budget,
        });
        self.run_book(ctx, o.instrument, &cmd);
    }

    /// Run one book command and settle every book event it produced.
    fn run_book(&mut self, ctx: &mut Ctx<'_>, instrument: InstrumentId, cmd: &BookCommand) {
        let mut evs = std::mem::take(&mut self.book_events);
        evs.clear();
        self.instruments[instrument as usize]
            .book
            .execute(cmd, &mut evs);
        // A market buy sized by quote amount that spent its budget is FILLED on its last fill (as
        // Binance reports `quoteOrderQty` orders), not EXPIRED afterwards.
        let final_fill = match evs.last() {
            Some(&BookEvent::Done {
                id,
                filled,
                outcome: Outcome::Expired(ExpireReason::BudgetExhausted),
                ..
            }) if filled > 0 && self.orders.get(&id).is_some_and(|o| o.quantity == 0) => evs
                .iter()
                .rposition(|e| matches!(e, BookEvent::Fill { .. })),
            _ => None,
        };
        for (i, ev) in evs.iter().enumerate() {
            self.settle(ctx, instrument, ev, final_fill == Some(i));
        }
        self.book_events = evs;
    }

    /// Settle one book event. `taker_final` marks the fill that completes a quote-sized market
    /// buy (see [`Exchange::run_book`]).
    fn settle(
        &mut self,
        ctx: &mut Ctx<'_>,
        instrument: InstrumentId,
        ev: &BookEvent,
        taker_final: bool,
    ) {
        match *ev {
            BookEvent::Fill {
                taker_id,
                maker_id,
                price,
                qty,
                maker_remaining,
                ..
            } => self.fill(
                ctx,
                instrument,
                taker_id,
                maker_id,
                price,
                qty,
                taker_final,
                maker_remaining,
            ),
            BookEvent::MakerExpired { id, price, .. } => {
                let side = self.orders[&id].side;
                ctx.touched_levels.push((instrument, side, price));
                self.emit(
                    ctx,
                    Event::L3(L3Event::Removed {
                        instrument,
                        order_id: id,
                    }),
                );
                self.close(
                    ctx,
                    id,
                    ExecType::Expired,
                    OrderStatus::ExpiredInMatch,
                    Reason::SelfTradePrevention,
                );
            }
            BookEvent::Done { id, outcome, .. } => match outcome {
                Outcome::Filled => {} // closed by its last fill
                Outcome::Rested => {
                    let o = self.orders[&id];
                    let remaining = o.quantity - o.cum_qty;
                    ctx.touched_levels.push((instrument, o.side, o.price));
                    self.emit(
                        ctx,
                        Event::L3(L3Event::Added {
                            instrument,
                            order_id: id,
                            side: o.side,
                            price: o.price,
                            qty: remaining,
                        }),
                    );
                }
                Outcome::Expired(_) if !self.orders.contains_key(&id) => {} // closed as FILLED
                Outcome::Expired(why) => {
                    let (status, reason) = match why {
                        ExpireReason::IocRemainder => (OrderStatus::Expired, Reason::IocRemainder),
                        ExpireReason::FokUnfillable => {
                            (OrderStatus::Expired, Reason::FokUnfillable)
                        }
                        ExpireReason::NoLiquidity => (OrderStatus::Expired, Reason::NoLiquidity),
                        ExpireReason::BudgetExhausted => {
                            (OrderStatus::Expired, Reason::BudgetExhausted)
                        }
                        ExpireReason::SelfTradePrevention => {
                            (OrderStatus::ExpiredInMatch, Reason::SelfTradePrevention)
                        }
                    };
                    self.close(ctx, id, ExecType::Expired, status, reason);
                }
            },
            BookEvent::Canceled { id, price, .. } => {
                let side = self.orders[&id].side;
                ctx.touched_levels.push((instrument, side, price));
                self.emit(
                    ctx,
                    Event::L3(L3Event::Removed {
                        instrument,
                        order_id: id,
                    }),
                );
            }
            BookEvent::Amended { .. } | BookEvent::Rejected { .. } => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn fill(
        &mut self,
        ctx: &mut Ctx<'_>,
        instrument: InstrumentId,
        taker_id: OrderId,
        maker_id: OrderId,
        price: Ticks,
        qty: Lots,
        taker_final: bool,
        maker_remaining: Lots,
    ) {
        let ins = &mut self.instruments[instrument as usize];
        let r = ins.rules;
        let trade_id = ins.next_trade_id;
        ins.next_trade_id += 1;
        ins.last_price = Some(price);
        let quote = clamp_units(r.notional(price, qty));
        ins.candles.on_trade(ctx.ts_ns, price, qty, quote);
        let taker_side = self.orders[&taker_id].side;
        ctx.touched_levels
            .push((instrument, taker_side.opposite(), price));
        if ctx.traded.last() != Some(&instrument) {
            ctx.traded.push(instrument);
        }
        self.emit(
            ctx,
            Event::Trade(Trade {
                instrument,
                trade_id,
                price,
                qty,
                quote_qty: quote,
                aggressor: taker_side,
                maker_order_id: maker_id,
                taker_order_id: taker_id,
            }),
        );
        self.emit(
            ctx,
            Event::L3(if maker_remaining == 0 {
                L3Event::Removed {
                    instrument,
                    order_id: maker_id,
                }
            } else {
                L3Event::Reduced {
                    instrument,
                    order_id: maker_id,
                    qty: maker_remaining,
                }
            }),
        );
        for (id, liq) in [(maker_id, Liquidity::Maker), (taker_id, Liquidity::Taker)] {
            let rate = match liq {
                Liquidity::Maker => r.maker_fee_ppm,
                Liquidity::Taker => r.taker_fee_ppm,
            };
            let fee = clamp_units(fee_units(quote as i128, rate));
            self.settle_fill(ctx, &r, id, qty, quote, fee);
            let o = self.orders[&id];
            let done = match liq {
                Liquidity::Maker => maker_remaining == 0,
                Liquidity::Taker => taker_final || (o.quantity != 0 && o.cum_qty == o.quantity),
            };
            let status = if done {
                OrderStatus::Filled
            } else {
                OrderStatus::PartiallyFilled
            };
            self.emit_fill_report(ctx, &o, status, trade_id, price, qty, quote, liq, fee);
            if done {
                self.remove_order(ctx, id);
            }
        }
    }

    /// Move balances for one side of a fill and update the order's accounting.
    fn settle_fill(
        &mut self,
        ctx: &mut Ctx<'_>,
        r: &InstrumentRules,
        id: OrderId,
        qty: Lots,
        quote: Units,
        fee: Units,
    ) {
        let o = self.orders.get_mut(&id).expect("order of a fill is open");
        o.cum_qty += qty;
        o.cum_quote += quote;
        let account = o.account;
        let acct = &mut self.accounts[account as usize - 1];
        // Daily traded notional.
        let day = ctx.ts_ns / DAY_NS;
        let dt = &mut acct.daily_traded[o.instrument as usize];
        if dt.0 != day {
            *dt = (day, 0);
        }
        dt.1 += quote as u128;
        let base_units = qty * r.base_units_per_lot;
        match o.side {
            Side::Buy => {
                let spend = quote + fee;
                let market = matches!(o.order_type, OrderType::Market | OrderType::StopMarket);
                let new_lock = if market {
                    o.locked - spend
                } else {
                    clamp_units(r.buy_limit_lock(o.price, o.quantity - o.cum_qty))
                };
                let release = o.locked - spend - new_lock;
                o.locked = new_lock;
                let q = &mut acct.balances[r.quote as usize];
                q.locked -= spend + release;
                q.available += release;
                acct.balances[r.base as usize].available += base_units;
            }
            Side::Sell => {
                o.locked -= base_units;
                acct.balances[r.base as usize].locked -= base_units;
                acct.balances[r.quote as usize].available += quote - fee;
            }
        }
        self.fees[r.quote as usize] += fee as u128;
        ctx.touched_balances.push((account, r.quote));
        ctx.touched_balances.push((account, r.base));
    }

    fn lock(&mut self, ctx: &mut Ctx<'_>, account: AccountId, asset: AssetId, units: Units) {
        if units == 0 {
            return;
        }
        let b = &mut self.accounts[account as usize - 1].balances[asset as usize];
        debug_assert!(b.available >= units);
        b.available -= units;
        b.locked += units;
        ctx.touched_balances.push((account, asset));
    }

    /// Release an order's whole lock and forget it (it is no longer open).
    fn remove_order(&mut self, ctx: &mut Ctx<'_>, id: OrderId) {
        let o = self.orders.remove(&id).expect("open order");
        if o.locked > 0 {
            let r = &self.instruments[o.instrument as usize].rules;
            let asset = match o.side {
                Side::Buy => r.quote,
                Side::Sell => r.base,
            };
            let b = &mut self.accounts[o.account as usize - 1].balances[asset as usize];
            b.locked -= o.locked;
            b.available += o.locked;
            ctx.touched_balances.push((o.account, asset));
        }
        if let Some(cid) = o.client_order_id {
            self.client_ids.remove(&(o.account, cid));
        }
        self.accounts[o.account as usize - 1].open_orders -= 1;
    }

    /// Report the end of an order (cancel / expiry) and forget it.
    fn close(
        &mut self,
        ctx: &mut Ctx<'_>,
        id: OrderId,
        exec: ExecType,
        status: OrderStatus,
        reason: Reason,
    ) {
        let o = self.orders[&id];
        self.report_with_status(ctx, &o, exec, status, Some(reason));
        self.remove_order(ctx, id);
    }

    fn report(
        &mut self,
        ctx: &mut Ctx<'_>,
        o: &OpenOrder,
        exec: ExecType,
        status: Option<OrderStatus>,
        reason: Option<Reason>,
    ) {
        let status = status.unwrap_or_else(|| o.status());
        self.report_with_status(ctx, o, exec, status, reason);
    }

    fn report_with_status(
        &mut self,
        ctx: &mut Ctx<'_>,
        o: &OpenOrder,
        exec: ExecType,
        status: OrderStatus,
        reason: Option<Reason>,
    ) {
        let fee_asset = self.instruments[o.instrument as usize].rules.quote;
        self.emit(
            ctx,
            Event::Execution(base_report(o, exec, status, reason, fee_asset)),
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn emit_fill_report(
        &mut self,
        ctx: &mut Ctx<'_>,
        o: &OpenOrder,
        status: OrderStatus,
        trade_id: u64,
        price: Ticks,
        qty: Lots,
        quote: Units,
        liq: Liquidity,
        fee: Units,
    ) {
        let fee_asset = self.instruments[o.instrument as usize].rules.quote;
        let mut rep = base_report(o, ExecType::Trade, status, None, fee_asset);
        rep.trade_id = trade_id;
        rep.last_price = price;
        rep.last_qty = qty;
        rep.last_quote = quote;
        rep.liquidity = Some(liq);
        rep.fee = fee;
        self.emit(ctx, Event::Execution(rep));
    }

    // ------------------------------------------------------------------ stops

    fn run_stops(&mut self, ctx: &mut Ctx<'_>) {
        let mut k = 0;
        while k < ctx.traded.len() {
            let ins_id = ctx.traded[k];
            k += 1;
            // Each pass triggers at most one order; each stop triggers once, so this is bounded.
            loop {
                let ins = &mut self.instruments[ins_id as usize];
                let Some(last) = ins.last_price else { break };
                if ins.halted {
                    break;
                }
                let buy = ins
                    .buy_stops
                    .range(..=(last, OrderId::MAX))
                    .map(|&(_, id)| id)
                    .min();
                let sell = ins.sell_stops.range((last, 0)..).map(|&(_, id)| id).min();
                let id = match (buy, sell) {
                    (Some(b), Some(s)) => b.min(s),
                    (Some(b), None) => b,
                    (None, Some(s)) => s,
                    (None, None) => break,
                };
                let o = self.orders[&id];
                let ins = &mut self.instruments[ins_id as usize];
                match o.side {
                    Side::Buy => ins.buy_stops.remove(&(o.stop_price, id)),
                    Side::Sell => ins.sell_stops.remove(&(o.stop_price, id)),
                };
                self.trigger(ctx, id);
            }
        }
    }

    fn trigger(&mut self, ctx: &mut Ctx<'_>, id: OrderId) {
        let mut o = self.orders[&id];
        o.pending_stop = false;
        let r = self.instruments[o.instrument as usize].rules;
        let mut budget = None;
        if o.side == Side::Buy && o.order_type == OrderType::StopMarket {
            if o.quote_quantity > 0 {
                budget = Some(o.quote_quantity as u128 / r.quote_units_per_tick_lot as u128);
            } else {
                let avail =
                    self.accounts[o.account as usize - 1].balances[r.quote as usize].available;
                budget = Some(r.market_budget(avail));
                o.locked = avail;
            }
        }
        let extra_lock = o.locked - self.orders[&id].locked;
        self.orders.insert(id, o);
        self.lock(ctx, o.account, r.quote, extra_lock);
        self.report(ctx, &o, ExecType::Triggered, None, None);
        self.submit(ctx, id, budget);
        let ins_id = o.instrument;
        if !ctx.traded.contains(&ins_id) {
            ctx.traded.push(ins_id);
        }
    }

    // ------------------------------------------------------------------ cancel / amend

    fn resolve(
        &self,
        account: AccountId,
        instrument: InstrumentId,
        r: OrderRef,
    ) -> Result<OrderId, Reason> {
        if self.account(account).is_none() {
            return Err(Reason::UnknownAccount);
        }
        if instrument as usize >= self.instruments.len() {
            return Err(Reason::UnknownInstrument);
        }
        let id = match r {
            OrderRef::OrderId(id) => id,
            OrderRef::ClientOrderId(c) => *self
                .client_ids
                .get(&(account, c))
                .ok_or(Reason::UnknownOrder)?,
        };
        match self.orders.get(&id) {
            Some(o) if o.account == account && o.instrument == instrument => Ok(id),
            _ => Err(Reason::UnknownOrder),
        }
    }

    fn cancel(
        &mut self,
        ctx: &mut Ctx<'_>,
        account: AccountId,
        instrument: InstrumentId,
        r: OrderRef,
    ) {
        match self.resolve(account, instrument, r) {
            Ok(id) => self.cancel_one(ctx, id, Reason::Canceled),
            Err(reason) => {
                let oid = match r {
                    OrderRef::OrderId(id) => Some(id),
                    OrderRef::ClientOrderId(_) => None,
                };
                self.reject_cmd(ctx, Some(account), oid, reason)
            }
        }
    }

    fn cancel_one(&mut self, ctx: &mut Ctx<'_>, id: OrderId, reason: Reason) {
        let o = self.orders[&id];
        if o.pending_stop {
            let ins = &mut self.instruments[o.instrument as usize];
            match o.side {
                Side::Buy => ins.buy_stops.remove(&(o.stop_price, id)),
                Side::Sell => ins.sell_stops.remove(&(o.stop_price, id)),
            };
        } else {
            self.run_book(ctx, o.instrument, &BookCommand::Cancel { id });
        }
        self.close(ctx, id, ExecType::Canceled, OrderStatus::Canceled, reason);
    }

    fn cancel_all(
        &mut self,
        ctx: &mut Ctx<'_>,
        account: AccountId,
        instrument: Option<InstrumentId>,
    ) {
        if self.account(account).is_none() {
            return self.reject_cmd(ctx, Some(account), None, Reason::UnknownAccount);
        }
        if let Some(i) = instrument {
            if i as usize >= self.instruments.len() {
                return self.reject_cmd(ctx, Some(account), None, Reason::UnknownInstrument);
            }
        }
        let mut ids: Vec<OrderId> = self
            .orders
            .values()
            .filter(|o| o.account == account && instrument.is_none_or(|i| o.instrument == i))
            .map(|o| o.id)
            .collect();
        if ids.is_empty() {
            // Like Binance (-2011 "Unknown order sent"): nothing to cancel is a reject, so that
            // every command is answered by at least one event.
            return self.reject_cmd(ctx, Some(account), None, Reason::UnknownOrder);
        }
        ids.sort_unstable();
        for id in ids {
            self.cancel_one(ctx, id, Reason::CanceledAll);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn amend(
        &mut self,
        ctx: &mut Ctx<'_>,
        account: AccountId,
        instrument: InstrumentId,
        r: OrderRef,
        new_price: Option<Decimal>,
        new_qty: Option<Decimal>,
    ) {
        let id = match self.resolve(account, instrument, r) {
            Ok(id) => id,
            Err(reason) => {
                let oid = match r {
                    OrderRef::OrderId(id) => Some(id),
                    OrderRef::ClientOrderId(_) => None,
                };
                return self.reject_cmd(ctx, Some(account), oid, reason);
            }
        };
        match self.check_amend(id, new_price, new_qty) {
            Ok((price, qty, lock)) => self.apply_amend(ctx, id, price, qty, lock),
            Err(reason) => self.reject_cmd(ctx, Some(account), Some(id), reason),
        }
    }

    /// Validate an amend; returns (new price ticks, new total qty lots, new lock units).
    fn check_amend(
        &self,
        id: OrderId,
        new_price: Option<Decimal>,
        new_qty: Option<Decimal>,
    ) -> Result<(Ticks, Lots, Units), Reason> {
        let o = &self.orders[&id];
        let ins = &self.instruments[o.instrument as usize];
        let spec = &self.config.instruments[o.instrument as usize];
        if ins.halted {
            return Err(Reason::InstrumentHalted);
        }
        if o.pending_stop || o.order_type != OrderType::Limit {
            return Err(Reason::InvalidOrder);
        }
        let price = match new_price {
            Some(p) => match to_grid(p, spec.tick_size) {
                Ok(t) if t > 0 => t,
                _ => return Err(Reason::PriceNotOnTick),
            },
            None => o.price,
        };
        let qty = match new_qty {
            Some(q) => match to_grid(q, spec.lot_size) {
                Ok(l) if l > 0 => l as Lots,
                _ => return Err(Reason::QuantityNotOnLot),
            },
            None => o.quantity,
        };
        let r = &ins.rules;
        if qty < r.min_lots || qty > r.max_lots {
            return Err(Reason::QuantityOutOfRange);
        }
        if qty <= o.cum_qty {
            return Err(Reason::InvalidOrder);
        }
        if r.notional(price, qty) < r.min_notional_units as i128 {
            return Err(Reason::NotionalBelowMinimum);
        }
        if price != o.price && !r.in_band(price, ins.reference()) {
            return Err(Reason::PriceOutsideBand);
        }
        if o.post_only && price != o.price {
            if let Some((best, _)) = ins.book.best(o.side.opposite()) {
                let takes = match o.side {
                    Side::Buy => best <= price,
                    Side::Sell => best >= price,
                };
                if takes {
                    return Err(Reason::PostOnlyWouldTake);
                }
            }
        }
        let remaining = qty - o.cum_qty;
        let lock = match o.side {
            Side::Buy => r.buy_limit_lock(price, remaining),
            Side::Sell => remaining as i128 * r.base_units_per_lot as i128,
        };
        let asset = match o.side {
            Side::Buy => r.quote,
            Side::Sell => r.base,
        };
        let avail = self.accounts[o.account as usize - 1].balances[asset as usize].available;
        if lock > o.locked as i128 + avail as i128 {
            return Err(Reason::InsufficientBalance);
        }
        Ok((price, qty, clamp_units(lock)))
    }

    fn apply_amend(
        &mut self,
        ctx: &mut Ctx<'_>,
        id: OrderId,
        price: Ticks,
        qty: Lots,
        lock: Units,
    ) {
        let mut o = self.orders[&id];
        let r = self.instruments[o.instrument as usize].rules;
        let asset = match o.side {
            Side::Buy => r.quote,
            Side::Sell => r.base,
        };
        // Adjust the lock first: the re-entered order may trade against it.
        let b = &mut self.accounts[o.account as usize - 1].balances[asset as usize];
        b.available = b.available + o.locked - lock;
        b.locked = b.locked - o.locked + lock;
        ctx.touched_balances.push((o.account, asset));
        let old_price = o.price;
        o.price = price;
        o.quantity = qty;
        o.locked = lock;
        self.orders.insert(id, o);
        let remaining = qty - o.cum_qty;
        let mut evs = std::mem::take(&mut self.book_events);
        evs.clear();
        let instrument = o.instrument;
        self.instruments[instrument as usize].book.execute(
            &BookCommand::Amend {
                id,
                price,
                qty: remaining,
            },
            &mut evs,
        );
        for ev in &evs {
            match *ev {
                BookEvent::Amended { kept_priority, .. } => {
                    // Only the old level changes here; the new level is touched if and when the
                    // re-entered order rests (`Outcome::Rested`). Touching it unconditionally
                    // reported a level that never existed when the amend traded in full.
                    ctx.touched_levels.push((instrument, o.side, old_price));
                    self.report(ctx, &o, ExecType::Amended, None, None);
                    if kept_priority {
                        self.emit(
                            ctx,
                            Event::L3(L3Event::Reduced {
                                instrument,
                                order_id: id,
                                qty: remaining,
                            }),
                        );
                    } else {
                        self.emit(
                            ctx,
                            Event::L3(L3Event::Removed {
                                instrument,
                                order_id: id,
                            }),
                        );
                    }
                }
                ref other => self.settle(ctx, instrument, other, false),
            }
        }
        self.book_events = evs;
    }

    fn set_halt(&mut self, ctx: &mut Ctx<'_>, instrument: InstrumentId, halted: bool) {
        match self.instruments.get_mut(instrument as usize) {
            Some(ins) => {
                ins.halted = halted;
                self.emit(ctx, Event::TradingStatus { instrument, halted });
            }
            None => self.reject_cmd(ctx, None, None, Reason::UnknownInstrument),
        }
    }

    // ------------------------------------------------------------------ invariants

    /// Check every invariant in the module documentation; returns the first violation.
    pub fn check_invariants(&self) -> Result<(), String> {
        for (i, ins) in self.instruments.iter().enumerate() {
            ins.book
                .check_invariants()
                .map_err(|e| format!("instrument {i}: {e}"))?;
        }
        let n_assets = self.config.assets.len();
        let mut reserved = vec![vec![0u128; n_assets]; self.accounts.len()];
        let mut open = vec![0u32; self.accounts.len()];
        for o in self.orders.values() {
            let r = &self.instruments[o.instrument as usize].rules;
            let asset = match o.side {
                Side::Buy => r.quote,
                Side::Sell => r.base,
            };
            let Some(a) = (o.account as usize)
                .checked_sub(1)
                .filter(|&a| a < self.accounts.len())
            else {
                return Err(format!("order {} has unknown account {}", o.id, o.account));
            };
            reserved[a][asset as usize] += o.locked as u128;
            open[a] += 1;
            let in_book = self.instruments[o.instrument as usize].book.order(o.id);
            if o.pending_stop == in_book.is_some() {
                return Err(format!("order {} pending_stop/book mismatch", o.id));
            }
            if let Some(b) = in_book {
                if Some(b.qty) != o.quantity.checked_sub(o.cum_qty) || b.price != o.price {
                    return Err(format!("order {} book/accounting mismatch", o.id));
                }
                let lock = checked_notional(r, o.price, b.qty)
                    .and_then(|n| n.checked_add(fee_units(n, r.max_fee_ppm())));
                if o.side == Side::Buy && lock.is_none_or(|l| (o.locked as i128) < l) {
                    return Err(format!("order {} under-locked", o.id));
                }
            }
        }
        let mut total = vec![0u128; n_assets];
        for (a, acct) in self.accounts.iter().enumerate() {
            if acct.open_orders != open[a] {
                return Err(format!("account {} open-order count mismatch", a + 1));
            }
            for (s, b) in acct.balances.iter().enumerate() {
                if b.locked as u128 != reserved[a][s] {
                    return Err(format!(
                        "account {} asset {s}: locked {} but orders reserve {}",
                        a + 1,
                        b.locked,
                        reserved[a][s]
                    ));
                }
                total[s] += b.available as u128 + b.locked as u128;
            }
        }
        for (s, &held) in total.iter().enumerate() {
            let out = held
                .checked_add(self.fees[s])
                .and_then(|x| x.checked_add(self.withdrawals[s]));
            if out != Some(self.deposits[s]) {
                return Err(format!(
                    "asset {s}: balances {held} + fees {} + withdrawals {} != deposits {}",
                    self.fees[s], self.withdrawals[s], self.deposits[s]
                ));
            }
        }
        if self.client_ids.len() > self.orders.len() {
            return Err("client id index larger than open orders".into());
        }
        Ok(())
    }

    // ------------------------------------------------------------------ snapshot

    /// Serialise the whole state (postcard 1.x of a canonical structure: maps as id-sorted lists,
    /// books as L3 in priority order). Deterministic: equal states give equal bytes.
    pub fn snapshot(&self) -> Vec<u8> {
        let mut orders: Vec<OpenOrder> = self.orders.values().copied().collect();
        orders.sort_unstable_by_key(|o| o.id);
        let data = SnapshotData {
            version: SNAPSHOT_VERSION,
            config: self.config.clone(),
            next_order_id: self.next_order_id,
            next_input_seq: self.next_input_seq,
            next_output_seq: self.next_output_seq,
            last_ts_ns: self.last_ts_ns,
            digest: self.digest.value(),
            deposits: self.deposits.clone(),
            withdrawals: self.withdrawals.clone(),
            fees: self.fees.clone(),
            accounts: self.accounts.clone(),
            orders,
            instruments: self
                .instruments
                .iter()
                .map(|i| InstrumentSnapshot {
                    halted: i.halted,
                    last_price: i.last_price,
                    next_trade_id: i.next_trade_id,
                    update_id: i.update_id,
                    l1: i.l1,
                    book: i.book.l3(),
                    candles: i.candles.clone(),
                })
                .collect(),
        };
        postcard::to_stdvec(&data).expect("in-memory serialisation cannot fail")
    }

    /// Rebuild an exchange from [`Exchange::snapshot`] bytes. Never panics: bytes that do not
    /// decode, or decode to an inconsistent state (checked structurally and with
    /// [`Exchange::check_invariants`]), are an error.
    pub fn restore(bytes: &[u8]) -> Result<Self, SnapshotError> {
        let data: SnapshotData = postcard::from_bytes(bytes)?;
        if data.version != SNAPSHOT_VERSION {
            return Err(SnapshotError::Version(data.version));
        }
        let mut ex = Exchange::new(data.config.clone())?;
        // Everything the rebuild below and later commands rely on, then the invariants.
        validate_snapshot(&ex, &data).map_err(SnapshotError::Invalid)?;
        ex.next_order_id = data.next_order_id;
        ex.next_input_seq = data.next_input_seq;
        ex.next_output_seq = data.next_output_seq;
        ex.last_ts_ns = data.last_ts_ns;
        ex.digest = EventDigest::from_value(data.digest);
        ex.deposits = data.deposits;
        ex.withdrawals = data.withdrawals;
        ex.fees = data.fees;
        ex.accounts = data.accounts;
        for (ins, snap) in ex.instruments.iter_mut().zip(data.instruments) {
            ins.halted = snap.halted;
            ins.last_price = snap.last_price;
            ins.next_trade_id = snap.next_trade_id;
            ins.update_id = snap.update_id;
            ins.l1 = snap.l1;
            ins.candles = snap.candles;
            for lv in snap.book.bids.into_iter().chain(snap.book.asks) {
                for o in lv.orders {
                    ins.book.restore_order(o);
                }
            }
        }
        for o in data.orders {
            if let Some(c) = o.client_order_id {
                ex.client_ids.insert((o.account, c), o.id);
            }
            if o.pending_stop {
                let ins = &mut ex.instruments[o.instrument as usize];
                match o.side {
                    Side::Buy => ins.buy_stops.insert((o.stop_price, o.id)),
                    Side::Sell => ins.sell_stops.insert((o.stop_price, o.id)),
                };
            }
            ex.orders.insert(o.id, o);
        }
        ex.check_invariants().map_err(SnapshotError::Invalid)?;
        Ok(ex)
    }
}

/// Counters and prices restored from a snapshot stay below this, so they cannot overflow later.
const SNAPSHOT_COUNTER_MAX: u64 = 1 << 62;

/// `ticks × lots × quote_units_per_tick_lot` if it fits an `i128` (restored data is untrusted).
fn checked_notional(r: &InstrumentRules, ticks: Ticks, lots: Lots) -> Option<i128> {
    (ticks as i128)
        .checked_mul(lots as i128)?
        .checked_mul(r.quote_units_per_tick_lot as i128)
}

/// Structural checks of decoded snapshot data against the (already validated) configuration in
/// `ex`: lengths, id ranges and uniqueness, counters, books sorted, uncrossed and matching the open
/// orders, candle rings contiguous and not in the future. [`Exchange::check_invariants`] runs on
/// the rebuilt exchange afterwards.
fn validate_snapshot(ex: &Exchange, d: &SnapshotData) -> Result<(), String> {
    let n_assets = ex.config.assets.len();
    let n_ins = ex.instruments.len();
    let n_accounts = d.accounts.len();
    let small = |what: &str, v: u64| {
        if v == 0 || v >= SNAPSHOT_COUNTER_MAX {
            Err(format!("{what} {v} out of range"))
        } else {
            Ok(())
        }
    };
    small("next order id", d.next_order_id)?;
    small("next input seq", d.next_input_seq)?;
    small("next output seq", d.next_output_seq)?;
    if d.instruments.len() != n_ins
        || d.deposits.len() != n_assets
        || d.withdrawals.len() != n_assets
        || d.fees.len() != n_assets
        || n_accounts >= AccountId::MAX as usize
    {
        return Err("lengths do not match the configuration".into());
    }
    for s in 0..n_assets {
        match d.deposits[s].checked_sub(d.withdrawals[s]) {
            Some(supply) if supply <= Units::MAX as u128 && d.fees[s] <= supply => {}
            _ => return Err(format!("asset {s}: supply out of range")),
        }
    }
    for (a, acct) in d.accounts.iter().enumerate() {
        if acct.balances.len() != n_assets
            || acct.daily_traded.len() != n_ins
            || acct.daily_limit.as_ref().is_some_and(|l| l.len() != n_ins)
        {
            return Err(format!("account {}: lengths do not match", a + 1));
        }
    }
    let mut client_ids = BTreeSet::new();
    let mut prev_id = 0;
    let mut resting = 0usize;
    for o in &d.orders {
        let bad = |why: &str| Err(format!("order {}: {why}", o.id));
        if o.id <= prev_id || o.id >= d.next_order_id {
            return bad("id out of order or range");
        }
        prev_id = o.id;
        if o.account == 0 || o.account as usize > n_accounts || o.instrument as usize >= n_ins {
            return bad("unknown account or instrument");
        }
        let r = &ex.instruments[o.instrument as usize].rules;
        let is_stop = matches!(o.order_type, OrderType::StopLimit | OrderType::StopMarket);
        if o.quantity > r.max_lots || o.price < 0 || o.stop_price < 0 {
            return bad("quantity or price out of range");
        }
        if o.pending_stop {
            if !is_stop || o.cum_qty != 0 || o.stop_price == 0 {
                return bad("inconsistent pending stop");
            }
        } else {
            // Only limit orders (placed or triggered) rest between commands.
            if !matches!(o.order_type, OrderType::Limit | OrderType::StopLimit)
                || o.price == 0
                || o.cum_qty >= o.quantity
                || checked_notional(r, o.price, o.quantity).is_none()
            {
                return bad("inconsistent resting order");
            }
            resting += 1;
        }
        // The exact lock the order must hold (as placement, fills and amends compute it).
        let remaining = o.quantity - o.cum_qty;
        let lock = match (o.side, o.order_type) {
            (Side::Sell, _) => Some(remaining as i128 * r.base_units_per_lot as i128),
            (Side::Buy, OrderType::Limit | OrderType::StopLimit) => {
                checked_notional(r, o.price, remaining).map(|n| n + fee_units(n, r.max_fee_ppm()))
            }
            (Side::Buy, _) if o.quote_quantity > 0 => Some(
                o.quote_quantity as i128 + fee_units(o.quote_quantity as i128, r.taker_fee_ppm),
            ),
            (Side::Buy, _) => Some(0),
        };
        if lock != Some(o.locked as i128) {
            return bad("lock does not match the order");
        }
        if let Some(c) = o.client_order_id {
            if !client_ids.insert((o.account, c)) {
                return bad("duplicate client order id");
            }
        }
    }
    let mut in_books = 0usize;
    let mut book_ids = BTreeSet::new();
    for (i, snap) in d.instruments.iter().enumerate() {
        let bad = |why: String| Err(format!("instrument {i}: {why}"));
        small("next trade id", snap.next_trade_id)?;
        if snap.update_id >= SNAPSHOT_COUNTER_MAX || snap.last_price.is_some_and(|p| p <= 0) {
            return bad("counter or last price out of range".into());
        }
        for (side, levels) in [(Side::Buy, &snap.book.bids), (Side::Sell, &snap.book.asks)] {
            let mut prev: Option<Ticks> = None;
            for lv in levels {
                let sorted = prev.is_none_or(|p| match side {
                    Side::Buy => lv.price < p,
                    Side::Sell => lv.price > p,
                });
                if lv.price <= 0 || !sorted || lv.orders.is_empty() {
                    return bad(format!("{side:?} level {} misplaced or empty", lv.price));
                }
                prev = Some(lv.price);
                for b in &lv.orders {
                    let matches = d
                        .orders
                        .binary_search_by_key(&b.id, |o| o.id)
                        .ok()
                        .map(|k| &d.orders[k])
                        .is_some_and(|o| {
                            !o.pending_stop
                                && o.instrument as usize == i
                                && o.account == b.owner
                                && o.side == side
                                && b.side == side
                                && o.price == lv.price
                                && b.price == lv.price
                                && b.qty > 0
                                && Some(b.qty) == o.quantity.checked_sub(o.cum_qty)
                                && b.post_only == o.post_only
                                && b.stp == o.stp
                        });
                    if !matches || !book_ids.insert(b.id) {
                        return bad(format!("book order {} does not match an open order", b.id));
                    }
                    in_books += 1;
                }
            }
        }
        let best = |ls: &Vec<crate::book::L3Level>| {
            ls.first()
                .map(|l| (l.price, l.orders.iter().map(|o| o.qty).sum::<Lots>()))
        };
        let (bid, ask) = (best(&snap.book.bids), best(&snap.book.asks));
        if let (Some((b, _)), Some((a, _))) = (bid, ask) {
            if b >= a {
                return bad("book crossed".into());
            }
        }
        if snap.l1.instrument as usize != i
            || snap.l1.bid != bid
            || snap.l1.ask != ask
            || snap.l1.update_id > snap.update_id
        {
            return bad("L1 does not match the book".into());
        }
        if snap.candles.series.len() != Interval::ALL.len() {
            return bad("candle series missing".into());
        }
        for (s, &interval) in snap.candles.series.iter().zip(Interval::ALL.iter()) {
            let step = interval.nanos();
            let mut prev: Option<u64> = None;
            for c in &s.candles {
                let ok = c.open_time_ns % step == 0
                    && prev.is_none_or(|p| p.checked_add(step) == Some(c.open_time_ns))
                    && c.open_time_ns <= d.last_ts_ns
                    && [c.open, c.high, c.low, c.close].iter().all(|&p| p > 0)
                    && c.trades < SNAPSHOT_COUNTER_MAX;
                if !ok {
                    return bad(format!(
                        "{} candle at {} is invalid",
                        interval.label(),
                        c.open_time_ns
                    ));
                }
                prev = Some(c.open_time_ns);
            }
            if s.interval != interval || s.candles.len() > interval.capacity() {
                return bad(format!("{} candle ring is invalid", interval.label()));
            }
        }
    }
    if in_books != resting {
        return Err(format!(
            "{resting} resting orders but {in_books} in the books"
        ));
    }
    Ok(())
}

/// `|price − reference| × 10_000 ≤ reference × band_bps` (Binance `PERCENT_PRICE`-style band).
/// An order's numbers on the instrument's grid, as [`check_order_fields`] accepted them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderOnGrid {
    /// Limit price, ticks (0 for market orders).
    pub price: Ticks,
    /// Stop price, ticks (0 when not a stop order).
    pub stop: Ticks,
    /// Quantity, lots (0 for market buys sized by quote).
    pub lots: Lots,
    /// Quote quantity of a market buy sized by quote, quote units (0 otherwise).
    pub quote_units: Units,
    /// Notional estimate, quote units: at the limit price; at the stop price for stop-market
    /// orders; at `reference` for market orders; the quote quantity when sized by quote.
    pub notional: i128,
}

/// The pre-trade checks of a placement that depend only on the order, the instrument's rules and
/// the reference price (the last trade price, or the configured reference before the first
/// trade), in the order [`Exchange::apply`] runs them: fields allowed for the type, price and stop
/// price on the tick grid, quantity on the lot grid and within `[min_qty, max_qty]`, quote
/// quantity on the quote asset's unit grid, notional at least `min_notional`, and a limit price
/// within the band (Binance `PRICE_FILTER`, `LOT_SIZE`, `NOTIONAL`, `PERCENT_PRICE`). The exchange
/// calls exactly this function, so a front end that calls it rejects the same orders for the same
/// reasons. Account-dependent checks (balance, open-order limit, duplicate client id, post-only,
/// stop trigger) come after it and are not included. `quote_decimals` is the quote asset's
/// precision.
///
/// # Errors
/// The first failing check's [`Reason`]: `InvalidOrder`, `PriceNotOnTick`, `QuantityNotOnLot`,
/// `QuantityOutOfRange`, `AmountNotOnGrid`, `NotionalBelowMinimum` or `PriceOutsideBand`.
pub fn check_order_fields(
    spec: &InstrumentSpec,
    r: &InstrumentRules,
    quote_decimals: u32,
    reference: Ticks,
    o: &NewOrder,
) -> Result<OrderOnGrid, Reason> {
    let quote_dec = quote_decimals;
    let is_stop = matches!(o.order_type, OrderType::StopLimit | OrderType::StopMarket);
    let is_market = matches!(o.order_type, OrderType::Market | OrderType::StopMarket);
    // Fields for the type.
    let by_quote = o.quote_quantity.is_some();
    let fields_ok = match o.order_type {
        OrderType::Limit => o.price.is_some() && o.quantity.is_some() && !by_quote,
        OrderType::StopLimit => {
            o.price.is_some() && o.quantity.is_some() && !by_quote && o.stop_price.is_some()
        }
        OrderType::Market | OrderType::StopMarket => {
            o.price.is_none()
                && (o.quantity.is_some() != by_quote)
                && (!by_quote || o.side == Side::Buy)
                && (o.stop_price.is_some() == is_stop)
        }
    } && (o.stop_price.is_none() || is_stop)
        && (!o.post_only || (o.order_type == OrderType::Limit && o.tif == TimeInForce::Gtc));
    if !fields_ok {
        return Err(Reason::InvalidOrder);
    }
    let tick = |v: Decimal| match to_grid(v, spec.tick_size) {
        Ok(t) if t > 0 => Ok(t),
        _ => Err(Reason::PriceNotOnTick),
    };
    let price = o.price.map(tick).transpose()?.unwrap_or(0);
    let stop = o.stop_price.map(tick).transpose()?.unwrap_or(0);
    let lots = match o.quantity {
        Some(q) => match to_grid(q, spec.lot_size) {
            Ok(l) if l > 0 => l as Lots,
            _ => return Err(Reason::QuantityNotOnLot),
        },
        None => 0,
    };
    if o.quantity.is_some() && (lots < r.min_lots || lots > r.max_lots) {
        return Err(Reason::QuantityOutOfRange);
    }
    let quote_units = match o.quote_quantity {
        Some(q) => match to_grid(q, unit_step(quote_dec)) {
            Ok(u) if u > 0 => u as Units,
            _ => return Err(Reason::AmountNotOnGrid),
        },
        None => 0,
    };
    // Notional estimate: limit price, or the reference price for market orders.
    let notional: i128 = if by_quote {
        quote_units as i128
    } else if is_market {
        r.notional(if is_stop { stop } else { reference }, lots)
    } else {
        r.notional(price, lots)
    };
    if notional < r.min_notional_units as i128 {
        return Err(Reason::NotionalBelowMinimum);
    }
    if !is_market && !r.in_band(price, reference) {
        return Err(Reason::PriceOutsideBand);
    }
    Ok(OrderOnGrid {
        price,
        stop,
        lots,
        quote_units,
        notional,
    })
}

fn base_report(
    o: &OpenOrder,
    exec: ExecType,
    status: OrderStatus,
    reason: Option<Reason>,
    fee_asset: AssetId,
) -> ExecutionReport {
    ExecutionReport {
        account: o.account,
        instrument: o.instrument,
        order_id: o.id,
        client_order_id: o.client_order_id,
        side: o.side,
        order_type: o.order_type,
        tif: o.tif,
        price: o.price,
        stop_price: o.stop_price,
        quantity: o.quantity,
        quote_quantity: o.quote_quantity,
        exec_type: exec,
        status,
        reason,
        trade_id: 0,
        last_price: 0,
        last_qty: 0,
        last_quote: 0,
        liquidity: None,
        fee: 0,
        fee_asset,
        cum_qty: o.cum_qty,
        cum_quote: o.cum_quote,
    }
}
