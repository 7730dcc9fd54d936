//! The trade tape: time (virtual, UTC), price, size, aggressor side in words and colour, the
//! human's own trades marked "◆ you". Drawn on a canvas every frame (as many rows as fit); the
//! accessible table "Trades" mirrors the newest [`crate::model::TAPE_MIRROR_ROWS`] at a lower
//! rate.

use crate::canvas::{colour, Surface};
use crate::format::{hms, Fmt};
use crate::store::{Store, TapeRow};
use bourse_core::Side;
use leptos::html;
use leptos::prelude::*;

/// Height of one tape row, CSS pixels.
pub const ROW_H: f64 = 17.0;

/// The tape panel.
#[component]
pub fn Tape() -> impl IntoView {
    let store = expect_context::<Store>();
    let fmt = Memo::new(move |_| store.fmt());
    let canvas = NodeRef::<html::Canvas>::new();
    crate::canvas::canvas_panel(
        store,
        canvas,
        fmt,
        |v| v.tape_rev,
        |_, _| {},
        move |surf, f| draw(surf, store, f),
    );
    let rows = store
        .mirror_tape
        .into_iter()
        .map(|slot| {
            let cell = move |g: fn(&Fmt, &TapeRow) -> String| {
                move || {
                    slot.with(|t| match (t, fmt.get()) {
                        (Some(t), Some(f)) => g(&f, t),
                        _ => String::new(),
                    })
                }
            };
            let class = move || {
                if slot.with(|t| t.is_some()) {
                    ""
                } else {
                    "empty"
                }
            };
            view! {
                <tr class=class>
                    <td>{cell(|_, t| hms(t.print.ts_ns))}</td>
                    <td class="num">{cell(|f, t| f.price(t.print.trade.price))}</td>
                    <td class="num">{cell(|f, t| f.qty(t.print.trade.qty))}</td>
                    <td>{cell(|_, t| side_text(t).into())}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="panel-head">
            <h2 title="Every trade as it prints: the time, the price (the resting maker order's price), the size, and the aggressor: the side of the order that arrived and took liquidity">"Trades"</h2>
        </div>
        <div class="tape-box">
            <div class="tape-canvas" aria-hidden="true" title="Click a trade to explain it: the command behind it, its events in order, the maker's queue history and the fees">
                <canvas node_ref=canvas on:click=move |ev: leptos::ev::MouseEvent| explain_row(store, ev.offset_y() as f64)></canvas>
            </div>
            <div class="sr-only"><table class="tape" aria-label="Trades">
                <thead>
                    <tr>
                        <th scope="col">"Time"</th>
                        <th scope="col">"Price"</th>
                        <th scope="col">"Size"</th>
                        <th scope="col">"Side"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table></div>
        </div>
    }
}

/// The tape row under CSS y-coordinate `y` (as [`draw`] lays rows out), if it shows a trade.
pub fn row_at(y: f64, rows: usize) -> Option<usize> {
    let head_h = ROW_H + 1.0;
    if y < head_h {
        return None;
    }
    let k = ((y - head_h) / ROW_H).floor() as usize;
    (k < rows).then_some(k)
}

/// Ask for the explanation of the trade drawn at CSS y-coordinate `y`.
fn explain_row(store: Store, y: f64) {
    let trade = store.model.with_value(|m| {
        let k = row_at(y, m.tape.len())?;
        m.tape
            .get(k)
            .map(|t| (t.trade.instrument, t.trade.trade_id))
    });
    if let Some((instrument, trade_id)) = trade {
        crate::explain::explain(bourse_protocol::ExplainTarget::Trade {
            instrument,
            trade_id,
        });
    }
}

fn side_text(t: &TapeRow) -> &'static str {
    match (t.print.trade.aggressor, t.own) {
        (Side::Buy, false) => "▲ Buy",
        (Side::Sell, false) => "▼ Sell",
        (Side::Buy, true) => "▲ Buy ◆ you",
        (Side::Sell, true) => "▼ Sell ◆ you",
    }
}

/// Draw the tape: per row, the time (muted) and one monospaced string holding price, size and
/// side in the aggressor's colour (two text calls per row: text calls are most of a frame's
/// drawing). The columns are character fields sized from this frame's widest values; the side is
/// written out (`▲ Buy`) when it fits, else as its arrow; a smaller font when even that does not
/// fit, so nothing is clipped.
fn draw(s: &Surface, store: Store, f: &Fmt) {
    use crate::canvas::{MONO_FONT, SMALL_MONO_FONT};
    s.begin();
    let w = s.w;
    let pad = 4.0;
    let head_h = ROW_H + 1.0;
    let n = ((s.h - head_h) / ROW_H).floor().max(0.0) as usize;
    store.model.with_value(|m| {
        let shown: Vec<_> = m.tape.iter().take(n).collect();
        let price_w = shown
            .iter()
            .map(|t| f.price(t.trade.price).len())
            .max()
            .unwrap_or(5)
            .max(5);
        let qty_w = shown
            .iter()
            .map(|t| f.qty(t.trade.qty).len())
            .max()
            .unwrap_or(4)
            .max(4);
        // Characters: time 8 | gap | price | gap | size | gap | side ("▼ Sell ◆" = 8, or "▼◆" = 2).
        let mut layout = None;
        for (font, side_w) in [
            (MONO_FONT, 8usize),
            (SMALL_MONO_FONT, 8),
            (MONO_FONT, 2),
            (SMALL_MONO_FONT, 2),
        ] {
            s.set_font(font);
            let cw = s.width("0").max(1.0);
            let chars = ((w - 2.0 * pad) / cw).floor() as usize;
            let need = 8 + 3 + price_w + qty_w + side_w;
            if need <= chars {
                let gap = ((chars - 8 - price_w - qty_w - side_w) / 3).max(1);
                layout = Some((font, gap, side_w));
                break;
            }
        }
        let (font, gap, side_w) = layout.unwrap_or((SMALL_MONO_FONT, 1, 2));
        s.set_font(font);
        let words = side_w == 8;
        let row_text = |price: &str, qty: &str, side: &str| {
            let mut t = String::with_capacity(40);
            for _ in 0..gap + price_w - price.chars().count() {
                t.push(' ');
            }
            t.push_str(price);
            for _ in 0..gap + qty_w - qty.chars().count() {
                t.push(' ');
            }
            t.push_str(qty);
            for _ in 0..gap {
                t.push(' ');
            }
            t.push_str(side);
            for _ in side.chars().count()..side_w {
                t.push(' ');
            }
            t
        };
        let hy = ROW_H / 2.0;
        s.text_left("Time", pad, hy, colour::MUTED);
        s.text_right(
            &row_text("Price", "Size", if words { "Side" } else { "" }),
            w - pad,
            hy,
            colour::MUTED,
        );
        let rows: Vec<(f64, &bourse_protocol::TradePrint, bool)> = shown
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let own = m.is_own_trade(t.trade.instrument, t.trade.trade_id);
                (head_h + i as f64 * ROW_H + ROW_H / 2.0, *t, own)
            })
            .collect();
        for &(cy, _, _) in rows.iter().filter(|r| r.2) {
            s.rect(0.0, cy - ROW_H / 2.0, w, ROW_H, colour::OWN_BG);
        }
        for &(cy, t, _) in &rows {
            s.text_left(&hms(t.ts_ns), pad, cy, colour::MUTED);
        }
        // Colour by colour (each style change costs a CSS colour parse).
        for side in [Side::Buy, Side::Sell] {
            let fg = if side == Side::Buy {
                colour::UP
            } else {
                colour::DOWN
            };
            for &(cy, t, own) in rows.iter().filter(|r| r.1.trade.aggressor == side) {
                let label = match (side, own, words) {
                    (Side::Buy, false, true) => "▲ Buy",
                    (Side::Sell, false, true) => "▼ Sell",
                    (Side::Buy, true, true) => "▲ Buy ◆",
                    (Side::Sell, true, true) => "▼ Sell ◆",
                    (Side::Buy, false, false) => "▲",
                    (Side::Sell, false, false) => "▼",
                    (Side::Buy, true, false) => "▲◆",
                    (Side::Sell, true, false) => "▼◆",
                };
                let text = row_text(&f.price(t.trade.price), &f.qty(t.trade.qty), label);
                s.text_right(&text, w - pad, cy, fg);
            }
        }
    });
    store
        .view
        .with_value(|v| crate::canvas::stamp(s, v.seq, &f.price(v.last)));
}
