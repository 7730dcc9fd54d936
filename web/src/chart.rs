//! Bindings to `web/js/chart.js`, a thin adapter over TradingView lightweight-charts (npm
//! `lightweight-charts`, copied into `dist/` by Trunk). The adapter owns one chart: a candlestick
//! series, a volume histogram in a second pane, fill markers, open-order and stop price lines and
//! a crosshair OHLC readout. Floats cross this boundary for drawing only; every label is formatted
//! in Rust from integers.
//!
//! Every call returns `Err` instead of throwing when the adapter is missing; callers log it.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Create the chart in `container`, writing the crosshair readout into `readout`; prices
    /// shown with `price_places` decimals.
    #[wasm_bindgen(catch, js_namespace = BourseChart, js_name = mount)]
    pub fn chart_mount(
        container: &web_sys::HtmlElement,
        readout: &web_sys::HtmlElement,
        price_places: u32,
    ) -> Result<(), JsValue>;

    /// Prices with `price_places` decimals (another instrument).
    #[wasm_bindgen(catch, js_namespace = BourseChart, js_name = setPrecision)]
    pub fn chart_set_precision(price_places: u32) -> Result<(), JsValue>;

    /// Replace all bars: `bars` is `[time_s, open, high, low, close, volume]` repeated, oldest
    /// first.
    #[wasm_bindgen(catch, js_namespace = BourseChart, js_name = setCandles)]
    pub fn chart_set_candles(bars: &[f64]) -> Result<(), JsValue>;

    /// Append a bar or replace the last one (bars older than the last one are ignored).
    #[wasm_bindgen(catch, js_namespace = BourseChart, js_name = updateCandle)]
    pub fn chart_update_candle(
        time_s: f64,
        open: f64,
        high: f64,
        low: f64,
        close: f64,
        volume: f64,
    ) -> Result<(), JsValue>;

    /// Replace the fill markers: bar open times (s), sides (+1 buy, −1 sell) and labels joined
    /// by `'\n'`, one per marker.
    #[wasm_bindgen(catch, js_namespace = BourseChart, js_name = setMarkers)]
    pub fn chart_set_markers(times: &[f64], sides: &[f64], labels: &str) -> Result<(), JsValue>;

    /// Replace the price lines: prices, kinds (+1 resting buy, −1 resting sell, +2 buy stop
    /// trigger, −2 sell stop trigger) and labels joined by `'\n'`.
    #[wasm_bindgen(catch, js_namespace = BourseChart, js_name = setPriceLines)]
    pub fn chart_set_price_lines(
        prices: &[f64],
        kinds: &[f64],
        labels: &str,
    ) -> Result<(), JsValue>;

    /// Number of bars the chart holds (for tests and the bench).
    #[wasm_bindgen(catch, js_namespace = BourseChart, js_name = barCount)]
    pub fn chart_bar_count() -> Result<u32, JsValue>;
}

/// Log a failed chart call to the console (the rest of the terminal keeps working).
pub fn log_err(r: Result<(), JsValue>) {
    if let Err(e) = r {
        web_sys::console::warn_2(&"bourse: chart call failed".into(), &e);
    }
}
