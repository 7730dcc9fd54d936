//! The candle chart (TradingView lightweight-charts through [`crate::chart`]): candles with a
//! volume pane, 1s–1d intervals, the crosshair OHLC readout, the human's fills as markers placed on
//! the bar that contains each fill's own time on every interval (fills on one bar and side are
//! combined into one marker with their total size), resting orders as dashed price lines and
//! untriggered stop orders as labelled stop lines at their trigger price.
//!
//! The chart draws what the store hands it ([`crate::store::CandleFeed`]): it is this component's
//! effects that call the chart, never the store. Its container carries `data-seq` (the output
//! sequence number of the frame it shows) and `data-last` (the close of its newest candle).

use crate::actions::select_interval;
use crate::chart;
use crate::format::Fmt;
use crate::store::{bar, Store};
use bourse_core::{Interval, Side};
use leptos::html;
use leptos::prelude::*;
use std::collections::BTreeMap;

/// Shortest time between two chart draws, ms: at 60 frames per second the chart draws every
/// other frame (it is then at most one redraw behind the ladder, which draws every frame).
pub const CHART_MIN_INTERVAL_MS: f64 = 30.0;

/// A skipped chart update is drawn after this long when no frame drew it first, ms.
pub const CATCH_UP_MS: u64 = 60;

/// The chart panel.
#[component]
pub fn CandlePanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let container = NodeRef::<html::Div>::new();
    let readout = NodeRef::<html::Div>::new();
    let mounted = RwSignal::new(false);
    let drawn_gen = StoredValue::new(u64::MAX);
    let last_draw_ms = StoredValue::new(f64::NEG_INFINITY);
    let skipped_last = StoredValue::new(false);
    let force = StoredValue::new(false);
    let draws = StoredValue::new(0u64);
    // Moves after each full redraw (the markers are placed again on the new bars).
    let redrawn = RwSignal::new(0u64);
    let places = Memo::new(move |_| store.fmt().map(|f| f.price_places));

    // Mount once the venue is known.
    Effect::new(move |_| {
        let p = places.get();
        if mounted.get_untracked() {
            if let Some(p) = p {
                chart::log_err(chart::chart_set_precision(p));
            }
            return;
        }
        if let (Some(c), Some(r), Some(p)) = (container.get(), readout.get(), p) {
            chart::log_err(chart::chart_mount(&c, &r, p));
            mounted.set(true);
            store.candle_tick.update(|t| *t += 1);
        }
    });
    // Candles: the whole history when it was replaced, then the live updates.
    Effect::new(move |_| {
        store.candle_tick.track();
        if !mounted.get_untracked() {
            return;
        }
        // At most one chart draw per CHART_MIN_INTERVAL_MS, and never two frames skipped in a
        // row: at maximum speed every frame brings candles and lightweight-charts redraws its
        // whole canvas for each update, so the chart draws every other frame (at most one redraw
        // behind the ladder). A skipped update is drawn by the next frame, or by a timer when no
        // frame follows (paused, slow speeds).
        let now = crate::store::now_ms();
        let forced = force.get_value();
        force.set_value(false);
        if !forced
            && !skipped_last.get_value()
            && now - last_draw_ms.get_value() < CHART_MIN_INTERVAL_MS
        {
            skipped_last.set_value(true);
            let armed_at = draws.get_value();
            set_timeout(
                move || {
                    if draws.get_value() == armed_at {
                        force.set_value(true);
                        store.candle_tick.update(|t| *t += 1);
                    }
                },
                std::time::Duration::from_millis(CATCH_UP_MS),
            );
            return;
        }
        draws.set_value(draws.get_value() + 1);
        last_draw_ms.set_value(now);
        skipped_last.set_value(false);

        let Some(f) = store.fmt_untracked() else {
            return;
        };
        let (gen, history, updates, last) = store
            .candles
            .try_update_value(|c| {
                let history = (c.generation != drawn_gen.get_value()).then(|| c.history.clone());
                (
                    c.generation,
                    history,
                    std::mem::take(&mut c.updates),
                    c.last,
                )
            })
            .unwrap_or_default();
        if let Some(h) = history {
            drawn_gen.set_value(gen);
            let mut flat = Vec::with_capacity(h.len() * 6);
            for c in &h {
                flat.extend(bar(&f, c));
            }
            chart::log_err(chart::chart_set_candles(&flat));
            redrawn.update(|r| *r += 1);
        }
        for c in updates.values() {
            let b = bar(&f, c);
            chart::log_err(chart::chart_update_candle(
                b[0], b[1], b[2], b[3], b[4], b[5],
            ));
        }
        // The frame the chart now shows (the latest one applied) and its last close.
        if let (Some(el), Some((_, close))) = (container.get_untracked(), last) {
            let seq = store.view.with_value(|v| v.seq);
            let _ = el.set_attribute("data-seq", &seq.to_string());
            let _ = el.set_attribute("data-last", &f.price(close));
        }
    });
    // Fill markers on the bar of each fill's own time, for the interval shown.
    Effect::new(move |_| {
        let (ins, interval) = store.sub.with(|s| (s.instrument, s.candle_interval));
        redrawn.track();
        let Some(f) = store.fmt_untracked() else {
            return;
        };
        if !mounted.get() {
            return;
        }
        let (times, sides, labels) = store.fills.with(|fills| markers(fills, ins, interval, &f));
        chart::log_err(chart::chart_set_markers(&times, &sides, &labels));
    });
    // Resting orders and stop triggers as price lines.
    Effect::new(move |_| {
        let ins = store.sub.with(|s| s.instrument);
        places.track();
        let Some(f) = store.fmt_untracked() else {
            return;
        };
        if !mounted.get() {
            return;
        }
        let (prices, kinds, labels) = store.open_orders.with(|oo| {
            let mut prices = Vec::new();
            let mut kinds = Vec::new();
            let mut labels = Vec::new();
            for o in oo.iter().filter(|o| o.instrument == ins) {
                let dir = if o.side == Side::Buy { 1.0 } else { -1.0 };
                let left = f.qty(o.quantity.saturating_sub(o.cum_qty));
                if o.pending_stop {
                    prices.push(f.price_f64(o.stop_price));
                    kinds.push(2.0 * dir);
                    let then = if o.price > 0 {
                        format!(" → limit {}", f.price(o.price))
                    } else {
                        " → market".into()
                    };
                    labels.push(format!(
                        "stop {} {left}{then}",
                        if o.side == Side::Buy { "buy" } else { "sell" }
                    ));
                } else if o.price > 0 {
                    prices.push(f.price_f64(o.price));
                    kinds.push(dir);
                    labels.push(format!(
                        "my {} {left}",
                        if o.side == Side::Buy { "bid" } else { "ask" }
                    ));
                }
            }
            (prices, kinds, labels.join("\n"))
        });
        chart::log_err(chart::chart_set_price_lines(&prices, &kinds, &labels));
    });

    let intervals = [
        Interval::S1,
        Interval::M1,
        Interval::M5,
        Interval::M15,
        Interval::H1,
        Interval::D1,
    ];
    let buttons = intervals
        .into_iter()
        .map(|iv| {
            let label = iv.label();
            let pressed = move || store.sub.with(|s| s.candle_interval == iv).to_string();
            view! {
                <button class="tab" aria-pressed=pressed on:click=move |_| select_interval(store, iv)
                    aria-label=format!("Interval {label}")>{label}</button>
            }
        })
        .collect_view();
    view! {
        <div class="panel-head">
            <h2 title="OHLCV candles: open, high, low and close price and the traded volume of each interval">"Chart"</h2>
            <div class="tabs" role="group" aria-label="Candle interval">{buttons}</div>
        </div>
        <div class="readout mono" node_ref=readout aria-live="off"></div>
        <div class="chart" node_ref=container aria-label="Candlestick chart" role="img"></div>
    }
}

/// Markers for the fills of `instrument` on `interval`: one per (bar, side), at the bar containing
/// each fill's time, labelled with the side and the total size (`B 0.00300`, `S 0.01000 ×2`).
/// Returns bar times (s), sides (+1/−1) and labels joined by `'\n'`, oldest first.
pub fn markers(
    fills: &[crate::model::FillRow],
    instrument: u32,
    interval: Interval,
    f: &Fmt,
) -> (Vec<f64>, Vec<f64>, String) {
    let step = interval.nanos();
    let mut by_bar: BTreeMap<(u64, bool), (u64, u32)> = BTreeMap::new();
    for x in fills.iter().filter(|x| x.instrument == instrument) {
        let t = x.ts_ns - x.ts_ns % step;
        let e = by_bar.entry((t, x.side == Side::Buy)).or_default();
        e.0 += x.qty;
        e.1 += 1;
    }
    let mut times = Vec::new();
    let mut sides = Vec::new();
    let mut labels = Vec::new();
    for ((t, buy), (qty, n)) in by_bar {
        times.push((t / 1_000_000_000) as f64);
        sides.push(if buy { 1.0 } else { -1.0 });
        let count = if n > 1 {
            format!(" ×{n}")
        } else {
            String::new()
        };
        labels.push(format!(
            "{} {}{count}",
            if buy { "B" } else { "S" },
            f.qty(qty)
        ));
    }
    (times, sides, labels.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FillRow;
    use bourse_core::ExchangeConfig;

    fn fill(ts_s: u64, side: Side, qty: u64) -> FillRow {
        FillRow {
            ts_ns: ts_s * 1_000_000_000 + 250_000_000,
            trade_id: ts_s,
            order_id: 1,
            instrument: 0,
            side,
            price: 6_000_000,
            qty,
            quote: 0,
            liquidity: None,
            fee: 0,
        }
    }

    // Four fills 5 s apart: four markers on the 1 s chart, each on its own second; one combined
    // marker per side on the 1 m chart (the issue: they were snapped to the interval in use when
    // they arrived).
    #[test]
    fn markers_follow_the_interval_shown() {
        let c = ExchangeConfig::default_spot();
        let s = &c.instruments[0];
        let f = Fmt::new(s, &c.assets[0], &c.assets[2]);
        let t0 = 1_700_000_040; // 22:14:00 UTC
        let fills = [
            fill(t0, Side::Buy, 100),
            fill(t0 + 5, Side::Buy, 200),
            fill(t0 + 10, Side::Sell, 300),
            fill(t0 + 15, Side::Buy, 50),
        ];
        let (t, s1, l) = markers(&fills, 0, Interval::S1, &f);
        assert_eq!(
            t,
            vec![
                t0 as f64,
                (t0 + 5) as f64,
                (t0 + 10) as f64,
                (t0 + 15) as f64
            ]
        );
        assert_eq!(s1, vec![1.0, 1.0, -1.0, 1.0]);
        assert_eq!(l, "B 0.00100\nB 0.00200\nS 0.00300\nB 0.00050");
        let (t, _, l) = markers(&fills, 0, Interval::M1, &f);
        assert_eq!(t, vec![t0 as f64, t0 as f64]);
        assert_eq!(l, "S 0.00300\nB 0.00350 ×3");
        assert!(markers(&fills, 1, Interval::M1, &f).0.is_empty());
    }
}
