//! The exchange: sequencer, pre-trade risk checks, wallet, stop orders and market data around one
//! [`OrderBook`] per instrument.
//!
//! # Module tree (each with its own invariant; trust boundaries in the file names)
//! - [`config`]: [`ExchangeConfig`] and its validation ([`ExchangeConfig::validate`], a typed
//!   [`ConfigError`] naming the field), the first thing untrusted configuration meets.
//! - [`rules`]: account-independent checks the page also runs ([`rules_of`],
//!   [`check_order_fields`]).
//! - [`risk`]: the account- and market-dependent pre-trade checks and the lock an order needs.
//! - [`wallet`]: accounts, balances, deposits and withdrawals, locks.
//! - [`orders`]: placement, matching, settlement, cancels, execution reports.
//! - [`stop_book`] and [`stops`]: the stop orders held off-book ([`StopBook`]) and their
//!   triggers.
//! - [`amend`]: amends, keeping queue priority only for a quantity reduction.
//! - [`query`]: read-only queries; [`data`]: what they return ([`OpenOrder`], [`Balance`],
//!   [`DepthSnapshot`]).
//! - [`invariants`]: the checks of [`Exchange::check_invariants`].
//! - [`snapshot`]: [`Exchange::snapshot`] and [`Exchange::restore`] of untrusted bytes
//!   ([`SnapshotError`]).
//! - [`state`]: the state, [`Exchange::new`] and the sequencer ([`Exchange::apply`]).
//!
//! The files depend on each other one way: `config`, `data`, `stop_book` on the crate's types
//! only; `rules` on `config`; `state` on those; every `impl Exchange` file on `state` (and the
//! helpers it names); this facade only declares and re-exports.
//!
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

mod amend;
pub mod config;
pub mod data;
mod invariants;
mod orders;
mod query;
mod risk;
pub mod rules;
pub mod snapshot;
mod state;
pub mod stop_book;
mod stops;
mod wallet;

pub use config::{
    ConfigError, ExchangeConfig, MAX_ASSET_DECIMALS, MAX_DEFAULT_OPEN_ORDERS, MAX_FEE_PPM,
    MAX_GRID_SCALE, MAX_PRICE_BAND_BPS, MAX_REFERENCE_TICKS,
};
pub use data::{Balance, DepthSnapshot, OpenOrder};
pub use rules::{check_order_fields, rules_of, OrderOnGrid};
pub use snapshot::SnapshotError;
pub use state::Exchange;
pub use stop_book::StopBook;
