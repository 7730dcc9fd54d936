//! The L2 ladder: asks above bids, the spread (with its unit, in ticks and basis points) and the
//! mid between them, cumulative depth bars, the human's own size, price grouping.
//!
//! Drawn on a canvas every frame from [`crate::store::MarketView`]; on top of it lies the
//! accessible table "Order book" (the mirror, refreshed at a lower rate, text transparent), whose
//! rows have exactly the canvas rows' geometry: they take the clicks, the keyboard focus (Tab to a
//! row, ↑/↓ to move, Enter to use its price and open its queue) and the hover. A click uses the
//! row as drawn now, not the mirror's possibly older text.

use crate::actions::{set_grouping, take_level};
use crate::canvas::{colour, Surface};
use crate::format::Fmt;
use crate::store::{ladder_rows, LadderRow, Store, MAX_LADDER_ROWS};
use bourse_core::Side;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Height of one ladder row, CSS pixels (the table's rows have the same, see `web/style.css`).
pub const ROW_H: f64 = 17.0;
/// Height of the spread row, CSS pixels.
pub const SPREAD_H: f64 = 22.0;
/// Column boundaries as fractions of the width: price | size | total | mine.
const COLS: [f64; 4] = [0.29, 0.53, 0.77, 1.0];
/// The monospaced font of the size and total columns.
const MONO_FONT: &str = crate::canvas::MONO_FONT;

/// Rows per side that fit `height` CSS pixels of the ladder body.
pub fn rows_for(height: f64) -> usize {
    (((height - SPREAD_H) / (2.0 * ROW_H)).floor().max(1.0) as usize).min(MAX_LADDER_ROWS)
}

/// The ladder panel.
#[component]
pub fn Ladder() -> impl IntoView {
    let store = expect_context::<Store>();
    let fmt = Memo::new(move |_| store.fmt());
    let canvas = NodeRef::<html::Canvas>::new();
    let rows = RwSignal::new(15usize);
    crate::canvas::canvas_panel(
        store,
        canvas,
        fmt,
        |v| v.depth_rev,
        move |_, h| rows.set(rows_for(h)),
        move |surf, f| draw(surf, store, f, rows.get_untracked()),
    );

    let set_group = move |ev: leptos::ev::Event| {
        let g: u32 = event_target_value(&ev).parse().unwrap_or(1);
        set_grouping(store, g);
    };
    let head = move |what: &'static str| {
        move || {
            fmt.with(|f| {
                f.as_ref()
                    .map(|f| {
                        format!(
                            "{what} ({})",
                            if what == "Price" { &f.quote } else { &f.base }
                        )
                    })
                    .unwrap_or(what.into())
            })
        }
    };
    let asks = (0..MAX_LADDER_ROWS)
        .rev()
        .map(|i| view! { <Row i=i side=Side::Sell rows=rows fmt=fmt /> })
        .collect_view();
    let bids = (0..MAX_LADDER_ROWS)
        .map(|i| view! { <Row i=i side=Side::Buy rows=rows fmt=fmt /> })
        .collect_view();
    let spread_text = move || {
        store.mirror_seq.track();
        let f = fmt.get()?;
        store
            .view
            .with_value(|v| match (v.depth.bids.first(), v.depth.asks.first()) {
                (Some(b), Some(a)) if b.price >= a.price => Some(format!(
                    "Crossed by {}: call auction, nothing trades until the uncross",
                    f.spread(a.price, b.price)
                )),
                (Some(b), Some(a)) => Some(format!(
                    "Spread {} · Mid {}",
                    f.spread(b.price, a.price),
                    f.mid(b.price, a.price)
                )),
                _ => Some("Spread: one side of the book is empty".into()),
            })
    };
    let halted = move || store.halted.get();
    let halted_text = move || {
        let sym = store.sub.with(|s| store.symbol(s.instrument));
        let since = store
            .halted_since
            .get()
            .map(|t| format!(" since {}", crate::format::hms(t)))
            .unwrap_or_default();
        format!("Trading in {sym} is halted{since}: new orders are refused, cancels still work")
    };
    let empty_market = move || {
        let ins = store.sub.with(|s| s.instrument);
        store
            .venue
            .with(|v| v.as_ref().is_some_and(|v| !v.is_live(ins)))
    };
    view! {
        <div class="panel-head">
            <h2 title="The order book: every resting order, aggregated per price level. Asks (offers to sell) above, bids (offers to buy) below; the best of each meet at the spread.">"Order book"</h2>
            <label title="Group price levels into buckets of this many ticks (a tick is the smallest price step)">
                "Grouping "
                <select on:change=set_group aria-label="Price grouping">
                    <option value="1">"1 tick"</option>
                    <option value="10">"10 ticks"</option>
                    <option value="100">"100 ticks"</option>
                </select>
            </label>
        </div>
        <div class="ladder-box">
            <table class="ladder" aria-label="Order book">
                <colgroup><col class="c-price" /><col class="c-size" /><col class="c-total" /><col class="c-mine" /></colgroup>
                <thead>
                    <tr>
                        <th scope="col">{head("Price")}</th>
                        <th scope="col" class="num" title="Quantity resting at this price">{head("Size")}</th>
                        <th scope="col" class="num" title="Cumulative size from the best price to this level">"Total"</th>
                        <th scope="col" class="num" title="Your own resting quantity at this level (◆)">"Mine"</th>
                    </tr>
                </thead>
                <tbody class="asks">{asks}</tbody>
                <tbody class="spread">
                    <tr><td colspan="4" aria-label="Spread and mid" title="Spread: best ask minus best bid. Mid: their average.">{spread_text}</td></tr>
                </tbody>
                <tbody class="bids">{bids}</tbody>
            </table>
            <div class="ladder-canvas" aria-hidden="true"><canvas node_ref=canvas></canvas></div>
            <Show when=halted>
                <div class="halted-banner" role="status" aria-label="Halted">
                    <strong>"HALTED"</strong>
                    <span>{halted_text}</span>
                </div>
            </Show>
            <Show when=empty_market>
                <p class="empty-market" role="note">
                    "No simulated participants trade this instrument in this scenario: its book holds only your own orders."
                </p>
            </Show>
        </div>
    }
}

fn row_id(side: Side, i: usize) -> String {
    format!(
        "ladder-{}-{i}",
        if side == Side::Buy { "bid" } else { "ask" }
    )
}

/// Focus the ladder row one step up or down from `(side, i)` (asks are drawn best at the
/// bottom, bids best at the top).
fn move_focus(side: Side, i: usize, down: bool, n: usize) {
    let target = match (side, down) {
        (Side::Sell, true) if i == 0 => Some((Side::Buy, 0)),
        (Side::Sell, true) => Some((Side::Sell, i - 1)),
        (Side::Sell, false) => (i + 1 < n).then_some((Side::Sell, i + 1)),
        (Side::Buy, true) => (i + 1 < n).then_some((Side::Buy, i + 1)),
        (Side::Buy, false) if i == 0 => Some((Side::Sell, 0)),
        (Side::Buy, false) => Some((Side::Buy, i - 1)),
    };
    let Some((s, j)) = target else { return };
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(&row_id(s, j)))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

/// One mirror row: the accessible text of slot `i` of a side, and the click/keyboard target of
/// the canvas row under it.
#[component]
fn Row(i: usize, side: Side, rows: RwSignal<usize>, fmt: Memo<Option<Fmt>>) -> impl IntoView {
    let store = expect_context::<Store>();
    let slot = if side == Side::Buy {
        store.mirror_bids[i]
    } else {
        store.mirror_asks[i]
    };
    let side_name = if side == Side::Buy { "Bid" } else { "Ask" };
    let class = move || {
        let mut c = String::from(if side == Side::Buy { "bid" } else { "ask" });
        if slot.with(|r| r.is_none()) {
            c.push_str(" empty");
        }
        if i >= rows.get() {
            c.push_str(" hidden");
        }
        c
    };
    let cell = move |f: fn(&Fmt, &LadderRow) -> String| {
        move || {
            slot.with(|r| match (r, fmt.get()) {
                (Some(r), Some(x)) => f(&x, r),
                _ => String::new(),
            })
        }
    };
    // Use the row as drawn now.
    let take = move || {
        let price = store.view.with_value(|v| {
            let rows = if side == Side::Buy {
                &v.depth.bids
            } else {
                &v.depth.asks
            };
            rows.get(i).map(|r| r.price)
        });
        if let Some(p) = price {
            take_level(store, side, p);
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Enter" | " " => {
            ev.prevent_default();
            take();
        }
        "ArrowDown" => {
            ev.prevent_default();
            move_focus(side, i, true, rows.get_untracked());
        }
        "ArrowUp" => {
            ev.prevent_default();
            move_focus(side, i, false, rows.get_untracked());
        }
        _ => {}
    };
    view! {
        <tr id=row_id(side, i) class=class tabindex=move || if slot.with(|r| r.is_some()) { "0" } else { "-1" }
            on:click=move |_| take() on:keydown=on_key
            title="Click or press Enter: use this price in the order form and show this level's queue">
            // Each cell's text in a fixed, contained box: a mirror refresh lays out only the
            // boxes whose text changed, not the table.
            <td class="price">
                <span class="sr-only">{side_name} " "</span>
                <span class="c">{cell(|f, r| f.price(r.price))}</span>
            </td>
            <td class="num"><span class="c">{cell(|f, r| f.qty(r.qty))}</span></td>
            <td class="num"><span class="c">{cell(|f, r| f.qty(r.cum))}</span></td>
            <td class="num mine"><span class="c">{cell(|f, r| if r.own > 0 { format!("◆ {}", f.qty(r.own)) } else { String::new() })}</span></td>
        </tr>
    }
}

/// Draw the ladder: `n` rows per side from the latest frame.
fn draw(s: &Surface, store: Store, f: &Fmt, n: usize) {
    s.begin();
    let w = s.w;
    let pad = 4.0;
    store.view.with_value(|v| {
        let asks: Vec<LadderRow> = ladder_rows(&v.depth.asks).take(n).collect();
        let bids: Vec<LadderRow> = ladder_rows(&v.depth.bids).take(n).collect();
        let max_cum = asks
            .last()
            .map(|r| r.cum)
            .unwrap_or(0)
            .max(bids.last().map(|r| r.cum).unwrap_or(0))
            .max(1);
        // Rows with their top y, asks best at the bottom of their block, bids best at the top.
        let sy = n as f64 * ROW_H;
        let placed: Vec<(&LadderRow, f64, Side)> = asks
            .iter()
            .enumerate()
            .map(|(i, r)| (r, (n - 1 - i) as f64 * ROW_H, Side::Sell))
            .chain(
                bids.iter()
                    .enumerate()
                    .map(|(i, r)| (r, sy + SPREAD_H + i as f64 * ROW_H, Side::Buy)),
            )
            .collect();
        // Drawn colour by colour (each style change costs a CSS colour parse): bars, own rows,
        // prices, sizes, totals, own sizes.
        for &(r, y, side) in &placed {
            let bar = r.cum as f64 / max_cum as f64 * w;
            let bg = if side == Side::Buy {
                colour::BID_BG
            } else {
                colour::ASK_BG
            };
            s.rect(w - bar, y, bar, ROW_H, bg);
        }
        for &(_, y, _) in placed.iter().filter(|p| p.0.own > 0) {
            s.rect(0.0, y, w, ROW_H, colour::OWN_BG);
        }
        for &(r, y, side) in &placed {
            let fg = if side == Side::Buy {
                colour::UP
            } else {
                colour::DOWN
            };
            s.text_left(&f.price(r.price), pad, y + ROW_H / 2.0, fg);
        }
        // Size and total as one string per row in a monospaced font (one text call instead of
        // two: text calls are most of a frame's drawing), the total right-aligned in a field as
        // wide as the space between the two columns' right edges.
        s.set_font(MONO_FONT);
        let cw = s.width("0").max(1.0);
        let field = (((COLS[2] - COLS[1]) * w) / cw).floor().max(1.0) as usize;
        let mut line = String::with_capacity(32);
        for &(r, y, _) in &placed {
            line.clear();
            let total = f.qty(r.cum);
            line.push_str(&f.qty(r.qty));
            for _ in total.len()..field {
                line.push(' ');
            }
            line.push_str(&total);
            s.text_right(&line, COLS[2] * w - pad, y + ROW_H / 2.0, colour::TEXT);
        }
        s.set_font(crate::canvas::FONT);
        // The human's size: in the smaller monospaced font, or without the space when even that
        // does not fit the column (never over the total).
        let mine_w = (COLS[3] - COLS[2]) * w - 2.0 * pad;
        s.set_font(crate::canvas::SMALL_MONO_FONT);
        for &(r, y, _) in placed.iter().filter(|p| p.0.own > 0) {
            let mut text = format!("◆ {}", f.qty(r.own));
            if s.width(&text) > mine_w {
                text = format!("◆{}", f.qty(r.own));
            }
            s.text_right(&text, COLS[3] * w - pad, y + ROW_H / 2.0, colour::ACCENT);
        }
        s.set_font(crate::canvas::FONT);
        s.rect(0.0, sy, w, 1.0, colour::LINE);
        s.rect(0.0, sy + SPREAD_H - 1.0, w, 1.0, colour::LINE);
        let cy = sy + SPREAD_H / 2.0;
        match (bids.first(), asks.first()) {
            (Some(b), Some(a)) if b.price >= a.price => {
                // A call auction: the book crosses until the uncross.
                let text = "Call auction: the book is crossed";
                s.set_font(crate::canvas::SMALL_FONT);
                if s.width(text) + 2.0 * pad > w {
                    s.set_font(crate::canvas::TINY_FONT);
                }
                s.text_center(text, w / 2.0, cy, colour::ACCENT);
                s.set_font(crate::canvas::FONT);
            }
            (Some(b), Some(a)) => {
                let left = format!("Spread {}", f.spread(b.price, a.price));
                let right = format!("Mid {}", f.mid(b.price, a.price));
                // Never clipped: a smaller font when both do not fit.
                let fits = |font: &'static str| {
                    s.set_font(font);
                    s.width(&left) + s.width(&right) + 3.0 * pad <= w
                };
                if !fits(crate::canvas::FONT) && !fits(crate::canvas::SMALL_FONT) {
                    s.set_font(crate::canvas::TINY_FONT);
                }
                s.text_left(&left, pad, cy, colour::TEXT);
                s.text_right(&right, w - pad, cy, colour::MUTED);
                s.set_font(crate::canvas::FONT);
            }
            _ => s.text_center(
                "Spread: one side of the book is empty",
                w / 2.0,
                cy,
                colour::MUTED,
            ),
        }
        let el = &s.el;
        crate::canvas::stamp(s, v.seq, &f.price(v.last));
        let _ = el.set_attribute(
            "data-best-bid",
            &bids.first().map(|r| f.price(r.price)).unwrap_or_default(),
        );
        let _ = el.set_attribute(
            "data-best-ask",
            &asks.first().map(|r| f.price(r.price)).unwrap_or_default(),
        );
    });
}
