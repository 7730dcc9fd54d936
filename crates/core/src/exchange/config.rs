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

/// Static configuration: assets, instruments and defaults. Part of the command log header.
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

/// Most decimals an asset may have: its smallest unit is `10^-decimals` of a coin and balances are
/// `u64` units, so 18 decimals (Ethereum's wei) still hold 18 coins per `u64`; `rust_decimal`'s own
/// limit is 28.
pub const MAX_ASSET_DECIMALS: u32 = 18;
/// Most decimals of a tick size times a lot size together (`rust_decimal` holds 28; more would be
/// rounded silently when the two are multiplied).
pub const MAX_GRID_SCALE: u32 = 28;
/// Highest fee rate, ppm: just under 100 %, so that a seller always receives something
/// (`quote − fee` stays positive).
pub const MAX_FEE_PPM: Ppm = 999_999;
/// Widest price band, basis points (10,000 % either side): `|price − reference| × 10,000 ≤
/// reference × band` then fits the 64-bit fast path for every reference price up to
/// [`MAX_REFERENCE_TICKS`].
pub const MAX_PRICE_BAND_BPS: u32 = 1_000_000;
/// Highest reference price in ticks (`2^40 − 1`, about 1.1 × 10^12 ticks; 11 billion USDT on a
/// 0.01 tick): the price band's 64-bit fast path holds below it.
pub const MAX_REFERENCE_TICKS: Ticks = (1 << 40) - 1;
/// Most open orders an account may be given by default.
pub const MAX_DEFAULT_OPEN_ORDERS: u32 = 1_000_000;

/// Why a configuration cannot be used. Every variant names the field (`assets[2].decimals`,
/// `instruments[0].maker_fee_ppm`, …) and says what the limit is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// An instrument names an asset index that does not exist.
    #[error("{field}: asset {asset} does not exist ({assets} assets are configured)")]
    UnknownAsset {
        /// The field.
        field: String,
        /// The asset index named.
        asset: AssetId,
        /// How many assets there are.
        assets: usize,
    },
    /// More decimals than the grid can hold.
    #[error("{field}: {scale} decimals, at most {max} are allowed")]
    TooPrecise {
        /// The field.
        field: String,
        /// Decimals given.
        scale: u32,
        /// The limit.
        max: u32,
    },
    /// A fee rate at or above 100 %.
    #[error("{field}: {ppm} ppm is a fee of 100 % or more; at most {MAX_FEE_PPM} ppm")]
    FeeRate {
        /// The field.
        field: String,
        /// The rate given, ppm.
        ppm: Ppm,
    },
    /// A number outside its allowed range.
    #[error("{field}: {value} is outside {min}..={max}")]
    OutOfRange {
        /// The field.
        field: String,
        /// The value given.
        value: String,
        /// Lowest allowed.
        min: String,
        /// Highest allowed.
        max: String,
    },
    /// A size that is zero, negative, or not a multiple of its grid.
    #[error("{field}: {detail}")]
    OffGrid {
        /// The field.
        field: String,
        /// What is wrong.
        detail: String,
    },
    /// Fields that contradict each other (minimum above maximum, base equal to quote).
    #[error("{field}: {detail}")]
    Inconsistent {
        /// The field.
        field: String,
        /// What is wrong.
        detail: String,
    },
    /// A symbol used twice (symbols name assets and instruments in every interface).
    #[error("{field}: the symbol {symbol:?} is used twice")]
    Duplicate {
        /// The field.
        field: String,
        /// The symbol.
        symbol: String,
    },
}

impl ExchangeConfig {
    /// Check every field against the limits above; the first problem is the error. Called by
    /// [`crate::Exchange::new`] (and so by [`crate::Exchange::restore`]); the grid conversion of
    /// each instrument ([`crate::rules_of`]) runs through it too.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (i, a) in self.assets.iter().enumerate() {
            if a.decimals > MAX_ASSET_DECIMALS {
                return Err(ConfigError::TooPrecise {
                    field: format!("assets[{i}].decimals"),
                    scale: a.decimals,
                    max: MAX_ASSET_DECIMALS,
                });
            }
            if a.symbol.trim().is_empty() {
                return Err(ConfigError::Inconsistent {
                    field: format!("assets[{i}].symbol"),
                    detail: "an asset needs a symbol".into(),
                });
            }
            if self.assets[..i].iter().any(|b| b.symbol == a.symbol) {
                return Err(ConfigError::Duplicate {
                    field: format!("assets[{i}].symbol"),
                    symbol: a.symbol.clone(),
                });
            }
        }
        if self.default_max_open_orders > MAX_DEFAULT_OPEN_ORDERS {
            return Err(ConfigError::OutOfRange {
                field: "default_max_open_orders".into(),
                value: self.default_max_open_orders.to_string(),
                min: "0".into(),
                max: MAX_DEFAULT_OPEN_ORDERS.to_string(),
            });
        }
        for (i, spec) in self.instruments.iter().enumerate() {
            if self.instruments[..i]
                .iter()
                .any(|b| b.symbol == spec.symbol)
            {
                return Err(ConfigError::Duplicate {
                    field: format!("instruments[{i}].symbol"),
                    symbol: spec.symbol.clone(),
                });
            }
            validate_instrument(self, &format!("instruments[{i}]"), spec)?;
        }
        Ok(())
    }
}

/// The checks of one instrument (`at` names it in errors, e.g. `instruments[0]`); on success its
/// integer-grid rules.
pub(super) fn validate_instrument(
    config: &ExchangeConfig,
    at: &str,
    spec: &InstrumentSpec,
) -> Result<InstrumentRules, ConfigError> {
    let field = |f: &str| format!("{at}.{f}");
    if spec.symbol.trim().is_empty() {
        return Err(ConfigError::Inconsistent {
            field: field("symbol"),
            detail: "an instrument needs a symbol".into(),
        });
    }
    let asset = |name: &str, id: AssetId| {
        config
            .assets
            .get(id as usize)
            .ok_or_else(|| ConfigError::UnknownAsset {
                field: field(name),
                asset: id,
                assets: config.assets.len(),
            })
    };
    let base = asset("base", spec.base)?;
    let quote = asset("quote", spec.quote)?;
    for (name, a) in [("base", base), ("quote", quote)] {
        if a.decimals > MAX_ASSET_DECIMALS {
            return Err(ConfigError::TooPrecise {
                field: format!("{} (asset {}).decimals", field(name), a.symbol),
                scale: a.decimals,
                max: MAX_ASSET_DECIMALS,
            });
        }
    }
    if spec.base == spec.quote {
        return Err(ConfigError::Inconsistent {
            field: field("quote"),
            detail: "base and quote are the same asset".into(),
        });
    }
    for (name, ppm) in [
        ("maker_fee_ppm", spec.maker_fee_ppm),
        ("taker_fee_ppm", spec.taker_fee_ppm),
    ] {
        if ppm > MAX_FEE_PPM {
            return Err(ConfigError::FeeRate {
                field: field(name),
                ppm,
            });
        }
    }
    if spec.price_band_bps == 0 || spec.price_band_bps > MAX_PRICE_BAND_BPS {
        return Err(ConfigError::OutOfRange {
            field: field("price_band_bps"),
            value: spec.price_band_bps.to_string(),
            min: "1".into(),
            max: MAX_PRICE_BAND_BPS.to_string(),
        });
    }
    let scale = spec.tick_size.normalize().scale() + spec.lot_size.normalize().scale();
    if scale > MAX_GRID_SCALE {
        return Err(ConfigError::TooPrecise {
            field: field("tick_size × lot_size"),
            scale,
            max: MAX_GRID_SCALE,
        });
    }
    let off = |name: &str, detail: String| ConfigError::OffGrid {
        field: field(name),
        detail,
    };
    let pos = |name: &str, v: Result<i64, GridError>| match v {
        Ok(x) if x > 0 => Ok(x),
        Ok(_) => Err(off(name, "must be greater than 0".into())),
        Err(e) => Err(off(name, e.to_string())),
    };
    for (name, v) in [("tick_size", spec.tick_size), ("lot_size", spec.lot_size)] {
        if v <= Decimal::ZERO {
            return Err(off(name, format!("{v} must be greater than 0")));
        }
    }
    let base_units_per_lot = pos(
        "lot_size",
        to_grid(spec.lot_size, unit_step(base.decimals)).map_err(|_| GridError::OffGrid),
    )
    .map_err(|_| {
        off(
            "lot_size",
            format!(
                "{} is not a multiple of the base asset's unit {}",
                spec.lot_size,
                unit_step(base.decimals)
            ),
        )
    })?;
    let quote_units_per_tick_lot = pos(
        "tick_size × lot_size",
        spec.tick_size
            .checked_mul(spec.lot_size)
            .ok_or(GridError::OutOfRange)
            .and_then(|step| to_grid(step, unit_step(quote.decimals))),
    )
    .map_err(|_| {
        off(
            "tick_size × lot_size",
            format!(
                "one tick × one lot must be a multiple of the quote asset's unit {}",
                unit_step(quote.decimals)
            ),
        )
    })?;
    let min_lots = pos("min_qty", to_grid(spec.min_qty, spec.lot_size))?;
    let max_lots = pos("max_qty", to_grid(spec.max_qty, spec.lot_size))?;
    if min_lots > max_lots {
        return Err(ConfigError::Inconsistent {
            field: field("min_qty"),
            detail: format!("{} is above max_qty {}", spec.min_qty, spec.max_qty),
        });
    }
    // A sell of the largest quantity locks max_lots × base_units_per_lot: it must fit u64.
    if (max_lots as u128) * (base_units_per_lot as u128) > u64::MAX as u128 {
        return Err(ConfigError::OutOfRange {
            field: field("max_qty"),
            value: spec.max_qty.to_string(),
            min: spec.lot_size.to_string(),
            max: "what fits 2^64 base units".into(),
        });
    }
    let min_notional_units = to_grid(spec.min_notional, unit_step(quote.decimals))
        .map_err(|e| off("min_notional", e.to_string()))?;
    let reference_ticks = pos(
        "reference_price",
        to_grid(spec.reference_price, spec.tick_size),
    )?;
    if reference_ticks > MAX_REFERENCE_TICKS {
        return Err(ConfigError::OutOfRange {
            field: field("reference_price"),
            value: spec.reference_price.to_string(),
            min: spec.tick_size.to_string(),
            max: format!("{MAX_REFERENCE_TICKS} ticks"),
        });
    }
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
