//! Snapshot and restore: the whole state as postcard bytes in a canonical order, and the checks that
//! untrusted snapshot bytes pass before they become an [`Exchange`].
//!
//! # Invariant
//! [`Exchange::restore`] of [`Exchange::snapshot`] is the same exchange (same state digest, same
//! events for the same commands); bytes that do not decode, are of another version, or describe
//! an inconsistent state are refused with a [`SnapshotError`], never a panic.

use super::config::{ConfigError, ExchangeConfig};
use super::data::OpenOrder;
use super::state::{Account, Exchange};
use crate::book::MatchingEngine;
use crate::digest::EventDigest;
use crate::marketdata::{Candles, Interval};
use crate::messages::*;
use crate::types::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Everything needed to restore an [`Exchange`], in a canonical order (postcard-encoded by
/// [`Exchange::snapshot`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct SnapshotData {
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
pub(super) struct InstrumentSnapshot {
    halted: bool,
    /// In a call auction (the book may then cross).
    auction: bool,
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

/// Version 2 added the auction phase of each instrument.
pub(super) const SNAPSHOT_VERSION: u32 = 2;

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

impl Exchange {
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
                    auction: i.book.in_auction(),
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
            ins.book.restore_auction(snap.auction);
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
                ins.stops.insert(o.side, o.stop_price, o.id);
            }
            ex.orders.insert(o.id, o);
        }
        for ins in &mut ex.instruments {
            if ins.book.in_auction() {
                // What was last published is a function of the book and the reference price.
                ins.indicative = ins.book.indicative(ins.reference());
            }
        }
        ex.check_invariants().map_err(SnapshotError::Invalid)?;
        Ok(ex)
    }
}

/// Counters and prices restored from a snapshot stay below this, so they cannot overflow later.
const SNAPSHOT_COUNTER_MAX: u64 = 1 << 62;

/// Structural checks of decoded snapshot data against the (already validated) configuration in
/// `ex`: lengths, id ranges and uniqueness, counters, books sorted, uncrossed and matching the open
/// orders, candle rings contiguous and not in the future. [`Exchange::check_invariants`] runs on
/// the rebuilt exchange afterwards.
pub(super) fn validate_snapshot(ex: &Exchange, d: &SnapshotData) -> Result<(), String> {
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
                || r.checked_notional(o.price, o.quantity).is_none()
            {
                return bad("inconsistent resting order");
            }
            resting += 1;
        }
        // The exact lock the order must hold (as placement, fills and amends compute it).
        let remaining = o.quantity - o.cum_qty;
        let lock = match (o.side, o.order_type) {
            (Side::Sell, _) => Some(remaining as i128 * r.base_units_per_lot as i128),
            (Side::Buy, OrderType::Limit | OrderType::StopLimit) => r
                .checked_notional(o.price, remaining)
                .map(|n| n + fee_units(n, r.max_fee_ppm())),
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
        if let (Some((b, _)), Some((a, _)), false) = (bid, ask, snap.auction) {
            if b >= a {
                return bad("book crossed outside an auction".into());
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

#[cfg(test)]
mod tests {
    use super::*;

    // A snapshot whose configuration is invalid (a 100 % fee) is refused with the configuration's
    // typed error, not restored and not a panic.
    #[test]
    fn restore_refuses_an_invalid_configuration() {
        let ex = Exchange::new(ExchangeConfig::default_spot()).unwrap();
        let mut data: SnapshotData = postcard::from_bytes(&ex.snapshot()).unwrap();
        data.config.instruments[0].taker_fee_ppm = 1_000_000;
        let bytes = postcard::to_allocvec(&data).unwrap();
        match Exchange::restore(&bytes) {
            Err(SnapshotError::Config(ConfigError::FeeRate { field, ppm })) => {
                assert_eq!(
                    (field.as_str(), ppm),
                    ("instruments[0].taker_fee_ppm", 1_000_000)
                );
            }
            other => panic!(
                "expected a configuration error, got {:?}",
                other.map(|_| ())
            ),
        }
    }
}
