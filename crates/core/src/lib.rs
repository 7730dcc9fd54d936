//! # bourse-core
//!
//! The deterministic exchange core of Bourse: a sequencer, price-time priority matching, wallet and
//! pre-trade risk checks, stop orders, and market data (L1, L2, L3, trades, OHLCV candles, 24h ticker).
//!
//! ## Invariants
//! - **No I/O, no clock, no randomness.** Timestamps (ns) arrive with each command; nothing here reads
//!   the environment. The same command log gives the same events, digest and state everywhere,
//!   natively and in WebAssembly.
//! - **Integers on the money path.** Prices are [`Ticks`], quantities [`Lots`], amounts [`Units`];
//!   notional arithmetic is `i128`. [`rust_decimal::Decimal`] appears only in [`Command`]s and
//!   configuration, where off-grid values are rejected ([`types::to_grid`]), never rounded.
//! - **Closed vocabulary.** One [`Command`] enum in, one [`Event`] enum out, each event stamped with
//!   an output sequence number ([`Sequenced`]).
//! - **No hash-map order reaches an output.** Hash maps are used for lookups only; anything emitted
//!   or snapshotted is sorted by id first.
//!
//! ## Layers
//! - [`book`]: the standalone order book and matching engine ([`OrderBook`], [`MatchingEngine`]).
//! - [`auction`]: the call auction's uncross price rule.
//! - [`exchange`]: accounts, balances, risk checks, stops and market data around one book per
//!   instrument ([`Exchange`]).
//! - [`marketdata`]: candle rings and the 24h ticker.
//! - [`digest`]: the canonical event encoding and running digest.

#![warn(missing_docs)]

pub mod auction;
pub mod book;
pub mod digest;
pub mod exchange;
pub mod marketdata;
pub mod messages;
pub mod types;

pub use book::{BookCommand, BookEvent, BookOrder, L3Book, MatchingEngine, OrderBook};
pub use exchange::{
    check_order_fields, rules_of, Balance, ConfigError, DepthSnapshot, Exchange, ExchangeConfig,
    OpenOrder, OrderOnGrid, SnapshotError, StopBook, MAX_ASSET_DECIMALS, MAX_DEFAULT_OPEN_ORDERS,
    MAX_FEE_PPM, MAX_GRID_SCALE, MAX_PRICE_BAND_BPS, MAX_REFERENCE_TICKS,
};
pub use marketdata::{Candle, Interval, Ticker24h};
pub use messages::*;
pub use types::*;
