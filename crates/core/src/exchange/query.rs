//! Read-only queries: configuration, rules, books, L1/L2, candles, 24h ticker, balances, open
//! orders, counters and digests. Nothing here changes state.

use super::config::ExchangeConfig;
use super::data::{Balance, DepthSnapshot, OpenOrder};
use super::state::{Account, Exchange};
use crate::auction::Indicative;
use crate::book::{MatchingEngine, OrderBook};
use crate::marketdata::{Candle, Interval, Ticker24h};
use crate::messages::*;
use crate::types::*;

impl Exchange {
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

    /// The instrument's trading phase (continuous when the instrument is unknown).
    pub fn trading_phase(&self, instrument: InstrumentId) -> TradingPhase {
        match self.instruments.get(instrument as usize) {
            Some(i) if i.book.in_auction() => TradingPhase::Auction,
            _ => TradingPhase::Continuous,
        }
    }

    /// During a call auction, the indicative uncross as last published
    /// ([`Event::IndicativeUncross`]); `None` outside an auction or for an unknown instrument.
    pub fn indicative_uncross(&self, instrument: InstrumentId) -> Option<Indicative> {
        self.instruments
            .get(instrument as usize)
            .filter(|i| i.book.in_auction())
            .map(|i| i.indicative)
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

    pub(super) fn account(&self, id: AccountId) -> Option<&Account> {
        if id == 0 {
            return None;
        }
        self.accounts.get(id as usize - 1)
    }
}
