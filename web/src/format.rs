//! Integer → text for display: ticks, lots and asset units become fixed-point decimal strings.
//! Pure and exact (integer arithmetic only; no floats), tested natively.

use bourse_core::{AssetSpec, InstrumentSpec};
use rust_decimal::Decimal;

/// Number of decimal places of a step such as a tick size (`0.01` → 2, `1` → 0, `0.00001` → 5).
pub fn places(step: Decimal) -> u32 {
    step.normalize().scale()
}

/// `units × 10^-scale` as a fixed-point string with exactly `scale` decimals and a thousands
/// separator-free integer part, e.g. `fixed(-12345, 2) == "-123.45"`.
pub fn fixed(units: i128, scale: u32) -> String {
    let neg = units < 0;
    let abs = units.unsigned_abs();
    let p = 10u128.pow(scale);
    let (int, frac) = (abs / p, abs % p);
    let sign = if neg { "-" } else { "" };
    if scale == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac:0width$}", width = scale as usize)
    }
}

/// `units × 10^-scale` truncated toward zero to `places` decimals (`places ≤ scale`), e.g.
/// `fixed_trunc(1_234_567_899, 8, 2) == "12.34"`: how balances and values read in the terminal
/// (never more than there is); the exact value goes in a tooltip and in CSV exports.
pub fn fixed_trunc(units: i128, scale: u32, places: u32) -> String {
    let places = places.min(scale);
    let drop = 10i128.pow(scale - places);
    fixed(units / drop, places)
}

/// `units × 10^-scale` exactly, without trailing zeros (`trimmed(5_980_000, 8) == "0.0598"`,
/// `trimmed(500_000_000, 8) == "5"`): for small amounts such as fees, where every digit counts.
pub fn trimmed(units: i128, scale: u32) -> String {
    let s = fixed(units, scale);
    if scale == 0 {
        return s;
    }
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A virtual-time span as `m:ss` (or `h:mm:ss` from one hour), for countdowns; negative spans
/// read `0:00`.
pub fn span(ns: i128) -> String {
    let s = (ns.max(0) / 1_000_000_000) as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// How an instrument's integers read: price in ticks, quantity in lots, amounts in asset units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fmt {
    /// Decimal places of a price (from the tick size).
    pub price_places: u32,
    /// Decimal places of a quantity (from the lot size).
    pub qty_places: u32,
    /// Ticks → price mantissa: `price = ticks × tick_mantissa × 10^-price_places`.
    tick_mantissa: i128,
    /// Lots → quantity mantissa at `qty_places`.
    lot_mantissa: i128,
    /// Decimal places of the base asset's unit.
    pub base_decimals: u32,
    /// Decimal places of the quote asset's unit.
    pub quote_decimals: u32,
    /// Base asset symbol.
    pub base: String,
    /// Quote asset symbol.
    pub quote: String,
}

impl Fmt {
    /// The formats of `spec`, whose assets are `base` and `quote`.
    pub fn new(spec: &InstrumentSpec, base: &AssetSpec, quote: &AssetSpec) -> Self {
        let tick = spec.tick_size.normalize();
        let lot = spec.lot_size.normalize();
        Fmt {
            price_places: tick.scale(),
            qty_places: lot.scale(),
            tick_mantissa: tick.mantissa(),
            lot_mantissa: lot.mantissa(),
            base_decimals: base.decimals,
            quote_decimals: quote.decimals,
            base: base.symbol.clone(),
            quote: quote.symbol.clone(),
        }
    }

    /// The tick size's mantissa at [`Fmt::price_places`] (`0.01` → 1, `0.5` → 5).
    pub fn tick_mantissa(&self) -> i128 {
        self.tick_mantissa
    }

    /// A price in ticks, with the tick size's decimals (`6000012` ticks of 0.01 → `"60000.12"`).
    pub fn price(&self, ticks: i64) -> String {
        fixed(ticks as i128 * self.tick_mantissa, self.price_places)
    }

    /// A quantity in lots, with the lot size's decimals (`150` lots of 0.00001 → `"0.00150"`).
    pub fn qty(&self, lots: u64) -> String {
        fixed(lots as i128 * self.lot_mantissa, self.qty_places)
    }

    /// Base asset units with the asset's decimals.
    pub fn base_units(&self, units: i128) -> String {
        fixed(units, self.base_decimals)
    }

    /// Quote asset units at the asset's full precision (exact): tooltips, CSV exports.
    pub fn quote_units(&self, units: i128) -> String {
        fixed(units, self.quote_decimals)
    }

    /// Quote asset units as a reader wants them: truncated to the price's decimals (2 for USDT
    /// on a 0.01 tick), e.g. `"598.22"`. Exact value: [`Fmt::quote_units`].
    pub fn quote_display(&self, units: i128) -> String {
        fixed_trunc(units, self.quote_decimals, self.price_places)
    }

    /// Base asset units truncated to the lot's decimals (5 for BTC on a 0.00001 lot).
    pub fn base_display(&self, units: i128) -> String {
        fixed_trunc(units, self.base_decimals, self.qty_places)
    }

    /// The mid of a bid and an ask in ticks, exact: with one more decimal when it falls on half a
    /// tick (`(b + a) / 2` ticks = `(b + a) × tick × 5 / 10` at one more place), e.g. bid
    /// 59822.86 and ask 59822.87 → `"59822.865"`; on a 0.5 tick, 50.0 and 50.5 → `"50.25"`.
    pub fn mid(&self, bid: i64, ask: i64) -> String {
        let sum = bid as i128 + ask as i128;
        if sum % 2 == 0 {
            fixed(sum / 2 * self.tick_mantissa, self.price_places)
        } else {
            fixed(sum * self.tick_mantissa * 5, self.price_places + 1)
        }
    }

    /// The spread of a bid and an ask: its price with the quote unit, in ticks and in basis points
    /// of the mid (one decimal, rounded half up), e.g. `"0.01 USDT · 1 tick · 0.0 bps"`.
    pub fn spread(&self, bid: i64, ask: i64) -> String {
        let ticks = ask as i128 - bid as i128;
        let sum = (bid as i128 + ask as i128).max(1);
        // bps of the mid = ticks / ((b + a) / 2) × 10 000; in tenths: × 200 000 / (b + a).
        let tenths = (ticks * 200_000 * 2 + sum) / (2 * sum);
        format!(
            "{} {} · {} tick{} · {}.{} bps",
            self.price(ticks as i64),
            self.quote,
            ticks,
            if ticks == 1 { "" } else { "s" },
            tenths / 10,
            tenths % 10
        )
    }

    /// A price in ticks as a float, for drawing only (charts); never used for trading.
    pub fn price_f64(&self, ticks: i64) -> f64 {
        (ticks as f64) * (self.tick_mantissa as f64) / 10f64.powi(self.price_places as i32)
    }

    /// A quantity in lots as a float, for drawing only.
    pub fn qty_f64(&self, lots: u64) -> f64 {
        (lots as f64) * (self.lot_mantissa as f64) / 10f64.powi(self.qty_places as i32)
    }
}

/// Time of day `HH:MM:SS` (UTC) of a nanosecond timestamp.
pub fn hms(ts_ns: u64) -> String {
    let s = ts_ns / 1_000_000_000;
    format!("{:02}:{:02}:{:02}", (s / 3600) % 24, (s / 60) % 60, s % 60)
}

/// Time of day `HH:MM:SS.mmm` (UTC) of a nanosecond timestamp.
pub fn hms_ms(ts_ns: u64) -> String {
    format!("{}.{:03}", hms(ts_ns), (ts_ns / 1_000_000) % 1000)
}

/// A 64-bit digest as 16 lowercase hex digits.
pub fn hex64(v: u64) -> String {
    format!("{v:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use bourse_core::ExchangeConfig;

    // fixed() pads the fraction and keeps the sign; checked by hand.
    #[test]
    fn fixed_point() {
        assert_eq!(fixed(-12345, 2), "-123.45");
        assert_eq!(fixed(5, 3), "0.005");
        assert_eq!(fixed(0, 2), "0.00");
        assert_eq!(fixed(42, 0), "42");
        assert_eq!(fixed(i64::MAX as i128, 8), "92233720368.54775807");
    }

    // Prices and quantities of the default BTC-USDT (tick 0.01, lot 0.00001) read as on Binance.
    #[test]
    fn default_instrument() {
        let c = ExchangeConfig::default_spot();
        let s = &c.instruments[0];
        let f = Fmt::new(s, &c.assets[s.base as usize], &c.assets[s.quote as usize]);
        assert_eq!(f.price(6_000_012), "60000.12");
        assert_eq!(f.qty(150), "0.00150");
        assert_eq!(f.quote_units(123_456_789), "1.23456789");
        assert_eq!(places(Decimal::new(100, 2)), 0);
        assert_eq!(hms(3_723_000_000_000), "01:02:03");
        assert_eq!(hms_ms(3_723_004_000_000), "01:02:03.004");
        assert!((f.price_f64(6_000_012) - 60000.12).abs() < 1e-6);
        // Display forms, by hand: 598.2286 USDT truncates to 598.22; 0.0598 USDT fee trimmed.
        assert_eq!(f.quote_display(59_822_860_000), "598.22");
        assert_eq!(f.quote_display(-59_822_860_000), "-598.22");
        assert_eq!(trimmed(5_980_000, 8), "0.0598");
        assert_eq!(trimmed(500_000_000, 8), "5");
        assert_eq!(f.base_display(200_000_000), "2.00000");
        assert_eq!(span(161_000_000_000), "2:41");
        assert_eq!(span(3_723_000_000_000), "1:02:03");
        assert_eq!(span(-5), "0:00");
    }

    // The mid is exact from integers, also when half a tick is not "…5" (issue: the page appended
    // the digit 5). By hand: 59822.86/59822.87 → 59822.865; on tick 0.5, 50.0/50.5 → 50.25;
    // on tick 0.25, 10.00/10.25 → 10.125; the spread of one tick at ~59822.87 is 0.0017 % =
    // 0.0 bps (1.67e-3 bps... rounds to 0.0); 100 ticks (1.00) → 0.2 bps (1/59822.865 × 1e4 = 0.167).
    #[test]
    fn mid_and_spread_from_integers() {
        let c = ExchangeConfig::default_spot();
        let s = &c.instruments[0];
        let f = Fmt::new(s, &c.assets[s.base as usize], &c.assets[s.quote as usize]);
        assert_eq!(f.mid(5_982_286, 5_982_287), "59822.865");
        assert_eq!(f.mid(5_982_286, 5_982_288), "59822.87");
        assert_eq!(
            f.spread(5_982_286, 5_982_287),
            "0.01 USDT · 1 tick · 0.0 bps"
        );
        assert_eq!(
            f.spread(5_982_286, 5_982_386),
            "1.00 USDT · 100 ticks · 0.2 bps"
        );
        let mut half = s.clone();
        half.tick_size = "0.5".parse().unwrap();
        let f = Fmt::new(&half, &c.assets[0], &c.assets[2]);
        assert_eq!(f.mid(100, 101), "50.25");
        half.tick_size = "0.25".parse().unwrap();
        let f = Fmt::new(&half, &c.assets[0], &c.assets[2]);
        assert_eq!(f.mid(40, 41), "10.125");
    }
}
