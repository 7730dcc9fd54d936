//! What the user's choices that change the page's own view do: they update the page-side part of
//! the [`Store`] (the subscription it wants) and send the requests through [`Api`]. Components call
//! these; they never talk to the transport.

use crate::api::Api;
use crate::store::{Store, HISTORY_CANDLES};
use bourse_core::{Interval, Side, Ticks};
use leptos::prelude::*;

/// Send the current subscription and ask for the chart's candle history.
pub fn resubscribe(store: Store) {
    let sub = store.sub.get_untracked();
    Api.subscribe(sub);
    store.reset_candles();
    Api.candle_history(sub.instrument, sub.candle_interval, HISTORY_CANDLES);
}

/// Show another instrument: its own book, grid, tape and candles.
pub fn select_instrument(store: Store, instrument: u32) {
    if store.sub.with_untracked(|s| s.instrument) == instrument {
        return;
    }
    store.sub.update(|s| {
        s.instrument = instrument;
        s.l3_level = None;
    });
    store.reset_instrument_view();
    resubscribe(store);
}

/// Change the candle interval.
pub fn select_interval(store: Store, interval: Interval) {
    if store.sub.with_untracked(|s| s.candle_interval) == interval {
        return;
    }
    store.sub.update(|s| s.candle_interval = interval);
    resubscribe(store);
}

/// Group the ladder by `ticks` (1, 10, 100); the open queue follows the new grouping.
pub fn set_grouping(store: Store, ticks: u32) {
    store.sub.update(|s| {
        s.grouping_ticks = ticks.max(1);
        s.l3_level = None;
    });
    store.l3.set(None);
    Api.subscribe(store.sub.get_untracked());
}

/// Take a ladder row: put its price in the order form and show its queue (with grouping above
/// one tick, the queue of every level in the row's bucket).
pub fn take_level(store: Store, side: Side, price: Ticks) {
    if let Some(f) = store.fmt_untracked() {
        store.form_price.set(f.price(price));
    }
    store.sub.update(|s| s.l3_level = Some((side, price)));
    Api.subscribe(store.sub.get_untracked());
}
