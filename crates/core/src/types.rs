//! Primitive units, identifiers and instrument/asset specifications.
//!
//! # Units
//! - **Ticks** ([`Ticks`], `i64`): a price as an integer multiple of the instrument's tick size.
//! - **Lots** ([`Lots`], `u64`): a base quantity as an integer multiple of the instrument's lot size.
//! - **Asset units** ([`Units`], `u64`): an amount of an asset in its smallest unit
//!   (`10^-decimals` of one whole coin), used for balances, fees and notional.
//! - **Nanoseconds** (`u64`): timestamps, always supplied by the caller (the core owns no clock).
//!
//! Conversions between [`rust_decimal::Decimal`] and these integers happen only at the boundary
//! ([`to_grid`]); a value that is not an exact multiple of its grid step is rejected, never rounded.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A price in ticks of the instrument's tick size (`price = ticks × tick_size`).
pub type Ticks = i64;
/// A base quantity in lots of the instrument's lot size (`quantity = lots × lot_size`).
pub type Lots = u64;
/// An amount of an asset in its smallest unit (`amount = units × 10^-decimals`).
pub type Units = u64;
/// Exchange-assigned order id, unique per exchange, assigned densely from 1 in acceptance order.
pub type OrderId = u64;
/// Exchange-assigned account id, assigned densely from 1 in creation order.
pub type AccountId = u32;
/// Index of an instrument in [`crate::ExchangeConfig::instruments`] (0-based).
pub type InstrumentId = u32;
/// Index of an asset in [`crate::ExchangeConfig::assets`] (0-based).
pub type AssetId = u32;
/// Client-chosen order id, unique among the account's open orders (like Binance `newClientOrderId`,
/// but numeric so that it costs no allocation on the hot path).
pub type ClientOrderId = u64;

/// Parts per million, the unit of fee rates (`1_000` ppm = 0.1 % = 10 bps).
pub type Ppm = u32;

/// Order side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Side {
    /// Bid: buys base, pays quote.
    Buy,
    /// Ask: sells base, receives quote.
    Sell,
}

impl Side {
    /// The other side.
    #[inline]
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
}

/// Time in force (Binance `timeInForce`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum TimeInForce {
    /// Good till cancelled: the unfilled remainder rests on the book.
    #[default]
    #[serde(rename = "GTC")]
    Gtc,
    /// Immediate or cancel: the unfilled remainder expires.
    #[serde(rename = "IOC")]
    Ioc,
    /// Fill or kill: fills entirely at once or expires with no side effects.
    #[serde(rename = "FOK")]
    Fok,
}

/// Self-trade prevention mode, Binance `selfTradePreventionMode` semantics: applied when the taker
/// would match a resting order of the same account; the **taker's** mode decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StpMode {
    /// Self-trades are allowed and print as ordinary trades.
    #[default]
    None,
    /// The taker's remaining quantity expires (`EXPIRED_IN_MATCH`); the maker stays.
    ExpireTaker,
    /// The resting maker expires (`EXPIRED_IN_MATCH`); the taker continues matching.
    ExpireMaker,
    /// Both the taker's remainder and the maker expire.
    ExpireBoth,
}

/// Order type (Binance `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderType {
    /// Limit order at `price`.
    #[default]
    Limit,
    /// Market order by base `quantity`, or for buys by `quote_quantity` (Binance `quoteOrderQty`).
    Market,
    /// A limit order held off-book until the last trade price reaches `stop_price`.
    StopLimit,
    /// A market order held off-book until the last trade price reaches `stop_price`.
    StopMarket,
}

/// Maker (resting, provided liquidity) or taker (incoming, removed liquidity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Liquidity {
    /// The order was resting on the book.
    Maker,
    /// The order was the incoming (aggressor) order.
    Taker,
}

/// An asset (coin) and its precision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetSpec {
    /// Ticker symbol, e.g. `"BTC"`.
    pub symbol: String,
    /// Number of decimal places of the smallest unit (BTC: 8, USDT: 6 here).
    pub decimals: u32,
}

/// An instrument (spot pair) and its trading rules, in the exchange's own terms.
///
/// Decimal fields are in whole-coin terms (as on Binance `exchangeInfo`); [`InstrumentRules`] holds
/// the same rules on the integer grid and is what the core uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstrumentSpec {
    /// Symbol, e.g. `"BTC-USDT"`.
    pub symbol: String,
    /// Base asset (what is bought and sold).
    pub base: AssetId,
    /// Quote asset (what prices are expressed in).
    pub quote: AssetId,
    /// Price step in quote per one base (Binance `PRICE_FILTER.tickSize`).
    pub tick_size: Decimal,
    /// Quantity step in base (Binance `LOT_SIZE.stepSize`).
    pub lot_size: Decimal,
    /// Smallest order quantity in base (inclusive).
    pub min_qty: Decimal,
    /// Largest order quantity in base (inclusive).
    pub max_qty: Decimal,
    /// Smallest order notional in quote (inclusive) (Binance `NOTIONAL.minNotional`).
    pub min_notional: Decimal,
    /// Maker fee rate in parts per million of the notional, charged in the quote asset.
    pub maker_fee_ppm: Ppm,
    /// Taker fee rate in parts per million of the notional, charged in the quote asset.
    pub taker_fee_ppm: Ppm,
    /// Half-width of the accepted limit-price band around the reference price, in basis points
    /// (Binance `PERCENT_PRICE`): a limit price `p` is accepted when `|p − ref| × 10_000 ≤ ref × band_bps`.
    pub price_band_bps: u32,
    /// Reference price used for the band and for market-order notional until the first trade.
    pub reference_price: Decimal,
}

/// The rules of an instrument converted to the integer grid, validated once at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstrumentRules {
    /// Base asset id.
    pub base: AssetId,
    /// Quote asset id.
    pub quote: AssetId,
    /// Base asset units in one lot.
    pub base_units_per_lot: Units,
    /// Quote asset units in one tick × one lot: `notional_units = ticks × lots × this`.
    pub quote_units_per_tick_lot: Units,
    /// Minimum quantity in lots.
    pub min_lots: Lots,
    /// Maximum quantity in lots.
    pub max_lots: Lots,
    /// Minimum notional in quote units.
    pub min_notional_units: Units,
    /// Maker fee rate, ppm.
    pub maker_fee_ppm: Ppm,
    /// Taker fee rate, ppm.
    pub taker_fee_ppm: Ppm,
    /// Band half-width, basis points.
    pub price_band_bps: u32,
    /// Initial reference price in ticks.
    pub reference_ticks: Ticks,
}

impl InstrumentRules {
    /// Notional of `lots` at `ticks` in quote units (`ticks × lots × quote_units_per_tick_lot`).
    #[inline]
    pub fn notional(&self, ticks: Ticks, lots: Lots) -> i128 {
        // Exact 64-bit fast path (i128 arithmetic is emulated in software on wasm32): two factors
        // below 2^32 multiply without overflow, and the third is checked by a native division.
        let k = self.quote_units_per_tick_lot;
        if (0..=u32::MAX as i64).contains(&ticks) && lots <= u32::MAX as u64 {
            let p = ticks as u64 * lots;
            if p <= u64::MAX / k {
                return (p * k) as i128;
            }
        }
        ticks as i128 * lots as i128 * k as i128
    }

    /// [`Self::notional`] when it fits an `i128`, `None` otherwise (for untrusted inputs such as
    /// restored snapshots).
    pub fn checked_notional(&self, ticks: Ticks, lots: Lots) -> Option<i128> {
        (ticks as i128)
            .checked_mul(lots as i128)?
            .checked_mul(self.quote_units_per_tick_lot as i128)
    }

    /// The larger of the two fee rates, used to size the fee reserve of a buy order.
    #[inline]
    pub fn max_fee_ppm(&self) -> Ppm {
        self.maker_fee_ppm.max(self.taker_fee_ppm)
    }

    /// Quote units a buy limit order for `lots` at `price` ticks reserves when placed: its
    /// notional plus the fee on it at the larger fee rate ([`Self::max_fee_ppm`]), so that the
    /// reserve covers the fills whether they make or take. The one source of this formula (the
    /// exchange, the simulated participants and the page's order form use it).
    #[inline]
    pub fn buy_limit_lock(&self, price: Ticks, lots: Lots) -> i128 {
        let n = self.notional(price, lots);
        n + fee_units(n, self.max_fee_ppm())
    }

    /// True when `price` ticks lies inside the price band around `reference` ticks: `|price −
    /// reference| × 10 000 ≤ reference × price_band_bps` (bounds included).
    #[inline]
    pub fn in_band(&self, price: Ticks, reference: Ticks) -> bool {
        let band_bps = self.price_band_bps;
        // 64-bit fast path for prices below 2^40 ticks (i128 is software-emulated on wasm32).
        if (0..1 << 40).contains(&price) && (0..1 << 40).contains(&reference) {
            return (price - reference).abs() * 10_000 <= reference * band_bps as i64;
        }
        let diff = (price as i128 - reference as i128).abs();
        diff * 10_000 <= reference as i128 * band_bps as i128
    }

    /// The lowest and highest prices in ticks inside the band around `reference` (see
    /// [`Self::in_band`]): `reference ∓ floor(reference × price_band_bps / 10 000)`, the low end
    /// at least 1 tick.
    pub fn band(&self, reference: Ticks) -> (Ticks, Ticks) {
        let half = (reference as i128 * self.price_band_bps as i128 / 10_000) as Ticks;
        (
            reference.saturating_sub(half).max(1),
            reference.saturating_add(half),
        )
    }

    /// Base units `lots` lock when sold (`lots × base_units_per_lot`).
    #[inline]
    pub fn sell_lock(&self, lots: Lots) -> u128 {
        lots as u128 * self.base_units_per_lot as u128
    }

    /// The most lots a buy limit order at `price` ticks can reserve within `available` quote units
    /// ([`Self::buy_limit_lock`] ≤ `available`), rounded down to whole lots: `available × 10^6 /
    /// (price × quote_units_per_tick_lot × (10^6 + max fee ppm))`. 0 when `price` ≤ 0.
    pub fn max_buy_lots(&self, price: Ticks, available: Units) -> Lots {
        if price <= 0 {
            return 0;
        }
        let per_lot = price as u128
            * self.quote_units_per_tick_lot as u128
            * (1_000_000 + self.max_fee_ppm() as u128);
        (available as u128 * 1_000_000 / per_lot).min(Lots::MAX as u128) as Lots
    }

    /// The most a market buy sized by amount can spend, in quote units, within `available` quote
    /// units once its taker fee is reserved (the inverse of `quote + fee(quote, taker)`, rounded
    /// down).
    pub fn max_quote_spend(&self, available: Units) -> Units {
        (available as u128 * 1_000_000 / (1_000_000 + self.taker_fee_ppm as u128)) as Units
    }

    /// The budget of a market buy sized by quantity, in tick·lots: the largest `B` with
    /// `B × quote_units_per_tick_lot` plus its taker fee within `available` quote units.
    #[inline]
    pub fn market_budget(&self, available: Units) -> u128 {
        available as u128 * 1_000_000
            / (self.quote_units_per_tick_lot as u128 * (1_000_000 + self.taker_fee_ppm as u128))
    }
}

/// Fee in quote units on a notional: `floor(notional × rate_ppm / 1_000_000)`.
///
/// Rounding rule: fees round **down** to the quote asset's smallest unit, per fill. Because
/// `Σ floor(xᵢ) ≤ floor(Σ xᵢ)`, the fee reserved when a buy order is placed (the same formula on the
/// whole notional) always covers the sum of its per-fill fees.
#[inline]
pub fn fee_units(notional_units: i128, rate_ppm: Ppm) -> i128 {
    // Exact 64-bit fast path: below 2^44 × 2^20 the product fits in a u64.
    if (0..1i128 << 44).contains(&notional_units) && rate_ppm < 1 << 20 {
        return ((notional_units as u64 * rate_ppm as u64) / 1_000_000) as i128;
    }
    notional_units * rate_ppm as i128 / 1_000_000
}

/// Why a value could not be put on an integer grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GridError {
    /// The value is not an exact multiple of the step.
    #[error("value is not a multiple of the step")]
    OffGrid,
    /// The value is negative, zero where a positive value is needed, or too large for 63 bits.
    #[error("value is out of range")]
    OutOfRange,
}

/// `value / step` as an exact integer, or an error if `value` is not a multiple of `step`
/// (never rounds). `step` must be positive. The result is in `0..=i64::MAX`.
///
/// Works on the decimal mantissas and scales directly (no division of decimals), so it is exact for
/// every representable input.
pub fn to_grid(value: Decimal, step: Decimal) -> Result<i64, GridError> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(GridError::OutOfRange);
    }
    let (mv, sv) = (value.mantissa(), value.scale());
    let (ms, ss) = (step.mantissa(), step.scale());
    if ms <= 0 {
        return Err(GridError::OutOfRange);
    }
    // value / step = (mv / 10^sv) / (ms / 10^ss) = mv × 10^ss / (ms × 10^sv)
    let (num, den) = if ss >= sv {
        (
            mv.checked_mul(pow10(ss - sv)?)
                .ok_or(GridError::OutOfRange)?,
            ms,
        )
    } else {
        (
            mv,
            ms.checked_mul(pow10(sv - ss)?)
                .ok_or(GridError::OutOfRange)?,
        )
    };
    if num % den != 0 {
        return Err(GridError::OffGrid);
    }
    i64::try_from(num / den).map_err(|_| GridError::OutOfRange)
}

/// `units × step` as a decimal, the inverse of [`to_grid`]. Exact; normalised (no trailing zeros).
pub fn from_grid(units: i64, step: Decimal) -> Decimal {
    (Decimal::from(units) * step).normalize()
}

fn pow10(exp: u32) -> Result<i128, GridError> {
    10i128.checked_pow(exp).ok_or(GridError::OutOfRange)
}

/// The decimal value of one smallest unit of an asset with `decimals` places (`10^-decimals`).
pub fn unit_step(decimals: u32) -> Decimal {
    Decimal::new(1, decimals)
}

/// A time in ns since the Unix epoch as ISO 8601 UTC with milliseconds
/// (`2023-11-14T22:13:20.000Z`), from integers only (civil-from-days, H. Hinnant's algorithm).
/// Display only: the core never reads a clock; this formats the timestamps it is given.
pub fn utc_iso8601(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    let ms = (ns / 1_000_000) % 1000;
    let days = (secs / 86_400) as i64;
    let sod = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + (m <= 2) as i64;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn grid_exact_and_rejects_off_grid() {
        assert_eq!(to_grid(d("100.25"), d("0.01")), Ok(10025));
        assert_eq!(to_grid(d("100.250000"), d("0.01")), Ok(10025));
        assert_eq!(to_grid(d("100"), d("0.5")), Ok(200));
        assert_eq!(to_grid(d("0.00300"), d("0.001")), Ok(3));
        assert_eq!(to_grid(d("100.255"), d("0.01")), Err(GridError::OffGrid));
        assert_eq!(to_grid(d("0.7"), d("0.5")), Err(GridError::OffGrid));
        assert_eq!(to_grid(d("-1"), d("0.5")), Err(GridError::OutOfRange));
        assert_eq!(to_grid(d("0"), d("0.5")), Ok(0));
        assert_eq!(from_grid(10025, d("0.01")), d("100.25"));
    }

    #[test]
    fn fast_paths_agree_with_i128() {
        let r = InstrumentRules {
            base: 0,
            quote: 1,
            base_units_per_lot: 1000,
            quote_units_per_tick_lot: 10,
            min_lots: 1,
            max_lots: u64::MAX,
            min_notional_units: 0,
            maker_fee_ppm: 0,
            taker_fee_ppm: 0,
            price_band_bps: 0,
            reference_ticks: 1,
        };
        for &(t, l) in &[
            (6_000_000i64, 100_000u64),
            (u32::MAX as i64, u32::MAX as u64),
            (u32::MAX as i64 + 1, 3),
            (i64::MAX, 2),
            (1, u64::MAX),
        ] {
            assert_eq!(r.notional(t, l), t as i128 * l as i128 * 10, "{t} {l}");
        }
        for &n in &[0i128, 999_999, (1 << 44) - 1, 1 << 44, 1 << 90] {
            for &rate in &[0u32, 1, 1000, (1 << 20) - 1, 1 << 20, u32::MAX] {
                assert_eq!(
                    fee_units(n, rate),
                    n * rate as i128 / 1_000_000,
                    "{n} {rate}"
                );
            }
        }
    }

    #[test]
    fn fee_rounds_down_and_sum_never_exceeds_whole() {
        assert_eq!(fee_units(999, 1000), 0);
        assert_eq!(fee_units(1000, 1000), 1);
        assert_eq!(fee_units(1_999_999, 1000), 1999);
        let parts = [333i128, 333, 334];
        let sum: i128 = parts.iter().map(|&p| fee_units(p * 1000, 1500)).sum();
        assert!(sum <= fee_units(1000 * 1000, 1500));
    }
}
