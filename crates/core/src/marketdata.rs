//! Market data kept by the core per instrument: OHLCV candles in bounded ring buffers and the
//! rolling 24-hour ticker. (L1, L2 and L3 are events, see [`crate::Event`]; the L2 snapshot is
//! [`crate::Exchange::depth`].)
//!
//! # Candles
//! Intervals 1s, 1m, 5m, 15m, 1h, 4h, 1d ([`Interval`]), aligned to Unix-epoch multiples of the
//! interval (as Binance klines). A candle holds open/high/low/close in ticks, base volume in lots,
//! quote volume in quote units and the trade count; volumes saturate at `u64::MAX` rather than
//! overflow. Intervals without trades are filled flat at the previous close with zero volume, both
//! in the ring (when a later trade arrives) and in queries up to `now`. Each ring keeps at most
//! [`Interval::capacity`] candles; the oldest fall off.
//!
//! # 24h ticker
//! Computed from the 1-minute ring over the window of the last 1440 minutes, ending at `now`
//! (minute precision, like Binance's rolling window statistics).

use crate::types::{Lots, Ticks, Units};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Candle interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Interval {
    /// 1 second.
    #[serde(rename = "1s")]
    S1,
    /// 1 minute.
    #[serde(rename = "1m")]
    M1,
    /// 5 minutes.
    #[serde(rename = "5m")]
    M5,
    /// 15 minutes.
    #[serde(rename = "15m")]
    M15,
    /// 1 hour.
    #[serde(rename = "1h")]
    H1,
    /// 4 hours.
    #[serde(rename = "4h")]
    H4,
    /// 1 day.
    #[serde(rename = "1d")]
    D1,
}

const NS_PER_S: u64 = 1_000_000_000;

impl Interval {
    /// All intervals, shortest first.
    pub const ALL: [Interval; 7] = [
        Interval::S1,
        Interval::M1,
        Interval::M5,
        Interval::M15,
        Interval::H1,
        Interval::H4,
        Interval::D1,
    ];

    /// Length in nanoseconds.
    pub fn nanos(self) -> u64 {
        match self {
            Interval::S1 => NS_PER_S,
            Interval::M1 => 60 * NS_PER_S,
            Interval::M5 => 300 * NS_PER_S,
            Interval::M15 => 900 * NS_PER_S,
            Interval::H1 => 3600 * NS_PER_S,
            Interval::H4 => 4 * 3600 * NS_PER_S,
            Interval::D1 => 86_400 * NS_PER_S,
        }
    }

    /// Ring capacity in candles (1s: one hour; 1m: a little over one day, for the 24h ticker;
    /// others: 1000).
    pub fn capacity(self) -> usize {
        match self {
            Interval::S1 => 3600,
            Interval::M1 => 1500,
            _ => 1000,
        }
    }

    /// Binance-style label: `1s`, `1m`, ..., `1d`.
    pub fn label(self) -> &'static str {
        match self {
            Interval::S1 => "1s",
            Interval::M1 => "1m",
            Interval::M5 => "5m",
            Interval::M15 => "15m",
            Interval::H1 => "1h",
            Interval::H4 => "4h",
            Interval::D1 => "1d",
        }
    }

    /// Parse a label as produced by [`Interval::label`].
    pub fn parse(s: &str) -> Option<Interval> {
        Interval::ALL.into_iter().find(|i| i.label() == s)
    }
}

/// One OHLCV candle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candle {
    /// Start of the interval, ns since the epoch (a multiple of the interval).
    pub open_time_ns: u64,
    /// First trade price, ticks.
    pub open: Ticks,
    /// Highest trade price, ticks.
    pub high: Ticks,
    /// Lowest trade price, ticks.
    pub low: Ticks,
    /// Last trade price, ticks.
    pub close: Ticks,
    /// Base volume, lots.
    pub volume: Lots,
    /// Quote volume, quote units.
    pub quote_volume: Units,
    /// Number of trades.
    pub trades: u64,
}

impl Candle {
    fn flat(open_time_ns: u64, price: Ticks) -> Candle {
        Candle {
            open_time_ns,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: 0,
            quote_volume: 0,
            trades: 0,
        }
    }
}

/// A bounded ring of candles of one interval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandleSeries {
    /// The interval.
    pub interval: Interval,
    /// Candles, oldest first, contiguous in time.
    pub candles: VecDeque<Candle>,
}

impl CandleSeries {
    /// An empty series.
    pub fn new(interval: Interval) -> Self {
        CandleSeries {
            interval,
            candles: VecDeque::new(),
        }
    }

    /// Record a trade at `ts_ns` (non-decreasing across calls).
    pub fn on_trade(&mut self, ts_ns: u64, price: Ticks, qty: Lots, quote: Units) {
        let step = self.interval.nanos();
        let cap = self.interval.capacity();
        let bucket = ts_ns - ts_ns % step;
        match self.candles.back_mut() {
            Some(c) if c.open_time_ns == bucket => {
                c.high = c.high.max(price);
                c.low = c.low.min(price);
                c.close = price;
                // Volumes saturate rather than overflow (a 1d candle can sum many large trades).
                c.volume = c.volume.saturating_add(qty);
                c.quote_volume = c.quote_volume.saturating_add(quote);
                c.trades = c.trades.saturating_add(1);
                return;
            }
            Some(c) => {
                debug_assert!(c.open_time_ns < bucket, "timestamps are non-decreasing");
                let prev_close = c.close;
                let gap = (bucket - c.open_time_ns) / step - 1;
                // Only the last `cap - 1` flat candles can survive; skip the rest.
                let fill = gap.min(cap as u64 - 1);
                for k in (1..=fill).rev() {
                    self.candles
                        .push_back(Candle::flat(bucket - k * step, prev_close));
                }
            }
            None => {}
        }
        self.candles.push_back(Candle {
            open_time_ns: bucket,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: qty,
            quote_volume: quote,
            trades: 1,
        });
        while self.candles.len() > cap {
            self.candles.pop_front();
        }
    }

    /// The last `limit` candles up to the interval containing `now_ns`, with intervals after the
    /// last trade filled flat at the last close. Oldest first.
    pub fn query(&self, now_ns: u64, limit: usize) -> Vec<Candle> {
        let step = self.interval.nanos();
        let mut v: Vec<Candle> = Vec::with_capacity(limit.min(self.candles.len() + 64));
        let Some(last) = self.candles.back() else {
            return v;
        };
        let now_bucket = now_ns - now_ns % step;
        let extra = if now_bucket > last.open_time_ns {
            ((now_bucket - last.open_time_ns) / step).min(limit as u64) as usize
        } else {
            0
        };
        let from_ring = limit.saturating_sub(extra).min(self.candles.len());
        v.extend(self.candles.iter().skip(self.candles.len() - from_ring));
        for k in (0..extra as u64).rev() {
            v.push(Candle::flat(now_bucket - k * step, last.close));
        }
        v
    }
}

/// Rolling 24-hour statistics (Binance `24hr ticker`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Ticker24h {
    /// Last trade price, ticks (0 before the first trade).
    pub last: Ticks,
    /// Price at the start of the window, ticks.
    pub open: Ticks,
    /// Highest price in the window, ticks.
    pub high: Ticks,
    /// Lowest price in the window, ticks.
    pub low: Ticks,
    /// Base volume in the window, lots.
    pub volume: Lots,
    /// Quote volume in the window, quote units.
    pub quote_volume: Units,
    /// Trades in the window.
    pub trades: u64,
    /// `last − open`, ticks.
    pub change: Ticks,
    /// `(last − open) / open` in hundredths of a percent (basis points), truncated toward zero.
    pub change_bps: i64,
}

/// The candles of one instrument, one series per [`Interval`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candles {
    /// Series in [`Interval::ALL`] order.
    pub series: Vec<CandleSeries>,
}

impl Default for Candles {
    fn default() -> Self {
        Candles {
            series: Interval::ALL.into_iter().map(CandleSeries::new).collect(),
        }
    }
}

impl Candles {
    /// Record a trade in every interval.
    #[inline]
    pub fn on_trade(&mut self, ts_ns: u64, price: Ticks, qty: Lots, quote: Units) {
        for s in &mut self.series {
            s.on_trade(ts_ns, price, qty, quote);
        }
    }

    /// The series of one interval.
    pub fn series(&self, interval: Interval) -> &CandleSeries {
        &self.series[Interval::ALL
            .iter()
            .position(|&i| i == interval)
            .expect("all intervals present")]
    }

    /// Rolling 24h ticker ending at `now_ns`.
    pub fn ticker_24h(&self, now_ns: u64) -> Ticker24h {
        let m1 = self.series(Interval::M1);
        let Some(last) = m1.candles.back() else {
            return Ticker24h::default();
        };
        let step = Interval::M1.nanos();
        let now_bucket = now_ns - now_ns % step;
        let start = (now_bucket + step).saturating_sub(Interval::D1.nanos());
        let mut t = Ticker24h {
            last: last.close,
            ..Default::default()
        };
        let mut first = true;
        for c in m1.candles.iter().filter(|c| c.open_time_ns >= start) {
            if first {
                t.open = c.open;
                t.high = c.high;
                t.low = c.low;
                first = false;
            }
            t.high = t.high.max(c.high);
            t.low = t.low.min(c.low);
            t.volume = t.volume.saturating_add(c.volume);
            t.quote_volume = t.quote_volume.saturating_add(c.quote_volume);
            t.trades = t.trades.saturating_add(c.trades);
        }
        if first {
            // No candle in the window: flat at the last price.
            t.open = last.close;
            t.high = last.close;
            t.low = last.close;
        }
        t.change = t.last - t.open;
        if t.open != 0 {
            t.change_bps = (t.change as i128 * 10_000 / t.open as i128) as i64;
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candles_align_and_fill_flat() {
        let mut s = CandleSeries::new(Interval::M1);
        let m = 60 * NS_PER_S;
        s.on_trade(10 * m + 5, 100, 1, 10);
        s.on_trade(10 * m + 30 * NS_PER_S, 105, 2, 20);
        s.on_trade(13 * m + 1, 99, 1, 10);
        let c: Vec<_> = s.candles.iter().copied().collect();
        assert_eq!(c.len(), 4);
        assert_eq!(
            c[0],
            Candle {
                open_time_ns: 10 * m,
                open: 100,
                high: 105,
                low: 100,
                close: 105,
                volume: 3,
                quote_volume: 30,
                trades: 2
            }
        );
        assert_eq!(c[1], Candle::flat(11 * m, 105));
        assert_eq!(c[2], Candle::flat(12 * m, 105));
        assert_eq!(c[3].open_time_ns, 13 * m);
        assert_eq!((c[3].open, c[3].close, c[3].trades), (99, 99, 1));
        // Query past the last trade fills flat up to now.
        let q = s.query(15 * m + 7, 3);
        assert_eq!(q.len(), 3);
        assert_eq!(q[0].open_time_ns, 13 * m);
        assert_eq!(q[2], Candle::flat(15 * m, 99));
    }

    #[test]
    fn ring_is_bounded() {
        let mut s = CandleSeries::new(Interval::S1);
        for i in 0..5000u64 {
            s.on_trade(i * NS_PER_S, 1, 1, 1);
        }
        assert_eq!(s.candles.len(), Interval::S1.capacity());
        assert_eq!(s.candles.back().unwrap().open_time_ns, 4999 * NS_PER_S);
        // A long gap does not allocate more than the capacity.
        s.on_trade(1_000_000 * NS_PER_S, 2, 1, 1);
        assert_eq!(s.candles.len(), Interval::S1.capacity());
    }

    #[test]
    fn ticker_window() {
        let mut c = Candles::default();
        let m = 60 * NS_PER_S;
        c.on_trade(0, 100, 1, 100);
        c.on_trade(30 * m, 120, 1, 120);
        c.on_trade(1500 * m, 90, 2, 180);
        let t = c.ticker_24h(1500 * m);
        // Window covers minutes 61..=1500: trades at 30m fall out; flat candles at 120 remain.
        assert_eq!(t.open, 120);
        assert_eq!(t.high, 120);
        assert_eq!(t.low, 90);
        assert_eq!(t.last, 90);
        assert_eq!(t.volume, 2);
        assert_eq!(t.change, -30);
        assert_eq!(t.change_bps, -2500);
    }
}
