//! The exchange's configuration: assets, instruments and defaults ([`ExchangeConfig`]), and why
//! one cannot be used ([`ConfigError`]).
//!
//! # Invariant
//! An [`ExchangeConfig`] that passes [`ExchangeConfig::validate`] can be put on the integer grid
//! without overflow or panic: every decimal fits `rust_decimal`, every grid conversion is exact,
//! fee rates leave the seller something, and prices and quantities within the limits fit the
//! 64-bit fast paths of the core's arithmetic.

use crate::types::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

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
