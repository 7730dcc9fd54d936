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

    /// Quote asset units shown with 2 decimals more than cents are noise for a terminal: the full
    /// precision of the quote asset (exact).
    pub fn quote_units(&self, units: i128) -> String {
        fixed(units, self.quote_decimals)
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
    }
}
