//! The depth chart: cumulative bid and ask size against price, with a price axis (lowest, mid,
//! highest visible price) and a size axis. Drawn on a canvas every frame from the same state as the
//! ladder; its words ("Depth from … to …") are the accessible name, refreshed with the mirror.
//!
//! During a call auction the book crosses, and the same two cumulative curves are the auction's
//! demand (bids at a price or higher) and supply (asks at a price or lower): they meet at the
//! uncross. The panel then says so, marks the indicative uncross price with a vertical line and
//! states price, volume and surplus in a status line (region "Call auction").

use crate::canvas::{colour, Surface, SMALL_FONT};
use crate::format::Fmt;
use crate::store::Store;
use bourse_protocol::L2Row;
use leptos::html;
use leptos::prelude::*;

/// The depth panel.
#[component]
pub fn DepthChart() -> impl IntoView {
    let store = expect_context::<Store>();
    let fmt = Memo::new(move |_| store.fmt());
    let canvas = NodeRef::<html::Canvas>::new();
    crate::canvas::canvas_panel(
        store,
        canvas,
        fmt,
        |v| v.depth_rev,
        |_, _| {},
        move |surf, f| draw(surf, store, f),
    );
    let label = move || store.mirror_depth.with(|d| d.text.clone());
    let in_auction = move || store.auction.with(|a| a.is_some());
    let auction_text = move || {
        let Some(f) = fmt.get() else {
            return String::new();
        };
        store.auction.with(|a| match a {
            None => String::new(),
            Some(a) => match a.price {
                None => "Call auction: the book does not cross yet, nothing would trade.".into(),
                Some(p) => {
                    let surplus = match a.surplus_side {
                        Some(bourse_core::Side::Buy) => {
                            format!(", surplus {} {} to buy", f.qty(a.surplus), f.base)
                        }
                        Some(bourse_core::Side::Sell) => {
                            format!(", surplus {} {} to sell", f.qty(a.surplus), f.base)
                        }
                        None => ", no surplus".into(),
                    };
                    format!(
                        "Call auction: indicative uncross {} for {} {}{surplus}.",
                        f.price(p),
                        f.qty(a.volume),
                        f.base
                    )
                }
            },
        })
    };
    view! {
        <div class="panel-head">
            <h2 title="Cumulative size available at each price: how far a large order would move the price. In a call auction: demand and supply, meeting at the uncross.">{move || if in_auction() { "Demand and supply" } else { "Depth" }}</h2>
            <span class="legend"><span class="bid">"▮ bids"</span> " " <span class="ask">"▮ asks"</span></span>
        </div>
        <Show when=in_auction>
            <p class="auction-line" role="status" aria-label="Call auction" title="Orders rest without matching until the uncross; then everything crossable trades at one price: the most volume, then the least surplus, then the nearest to the last price. The surplus is what would be left unfilled at that price.">{auction_text}</p>
        </Show>
        <div class="depth-box" role="img" aria-label=label>
            <canvas node_ref=canvas></canvas>
        </div>
        <p class="sr-only" aria-live="off">{label}</p>
    }
}

/// True outside a call auction (or while its book does not cross).
fn uncross_none(store: Store) -> bool {
    store
        .auction
        .with_untracked(|a| a.as_ref().is_none_or(|a| a.price.is_none()))
}

fn total(rows: &[L2Row]) -> u64 {
    rows.iter().map(|r| r.qty).sum()
}

fn draw(s: &Surface, store: Store, f: &Fmt) {
    s.begin();
    let (w, h) = (s.w, s.h);
    store.view.with_value(|v| {
        let d = &v.depth;
        let el = &s.el;
        crate::canvas::stamp(s, v.seq, &f.price(v.last));
        let (Some(lo), Some(hi)) = (d.bids.last(), d.asks.last()) else {
            let _ = el.set_attribute("data-lo", "");
            let _ = el.set_attribute("data-hi", "");
            s.text_center("The book is empty", w / 2.0, h / 2.0, colour::MUTED);
            return;
        };
        // A crossed book (call auction) reaches past the other side's end.
        let lo = lo.price.min(d.asks.first().map_or(lo.price, |a| a.price));
        let hi = hi.price.max(d.bids.first().map_or(hi.price, |b| b.price));
        let _ = el.set_attribute("data-lo", &f.price(lo));
        let _ = el.set_attribute("data-hi", &f.price(hi));
        let max_lots = total(&d.bids).max(total(&d.asks)).max(1);
        let c = &s.ctx;
        s.set_font(SMALL_FONT);
        // Size axis on the left: its labels' width sets the margin.
        let max_label = f.qty(max_lots);
        let half_label = f.qty(max_lots / 2);
        let label_w = s.width(&max_label);
        let (left, right, top, bottom) = (label_w + 6.0, 4.0, 16.0, 14.0);
        let pw = (w - left - right).max(1.0);
        let ph = (h - top - bottom).max(1.0);
        let span = ((hi - lo) as f64).max(1.0);
        let max = max_lots as f64;
        let x = |p: i64| left + (p - lo) as f64 / span * pw;
        let y = |c: u64| top + ph - (c as f64 / max) * ph;
        s.rect(left, top + ph, pw, 1.0, colour::LINE);
        s.rect(left, top, 1.0, ph, colour::LINE);
        s.rect(left, top, pw, 1.0, "rgba(43, 49, 57, 0.5)");
        s.rect(left, y(max_lots / 2), pw, 1.0, "rgba(43, 49, 57, 0.5)");
        s.text_right(&max_label, left - 3.0, top, colour::MUTED);
        s.text_right(&half_label, left - 3.0, y(max_lots / 2), colour::MUTED);
        for (rows, fill, stroke, edge) in [
            (&d.bids, colour::BID_BG, colour::UP, left),
            (&d.asks, colour::ASK_BG, colour::DOWN, left + pw),
        ] {
            let Some(first) = rows.first() else { continue };
            c.begin_path();
            c.move_to(x(first.price), top + ph);
            let mut cum = 0;
            for r in rows.iter() {
                c.line_to(x(r.price), y(cum));
                cum += r.qty;
                c.line_to(x(r.price), y(cum));
            }
            c.line_to(edge, y(cum));
            c.line_to(edge, top + ph);
            c.close_path();
            s.fill_path(fill);
            c.set_stroke_style_str(stroke);
            c.set_line_width(1.0);
            c.stroke();
        }
        // The indicative uncross, where demand meets supply.
        let uncross = store
            .auction
            .with_untracked(|a| a.as_ref().and_then(|a| a.price));
        let _ = el.set_attribute(
            "data-uncross",
            &uncross.map(|p| f.price(p)).unwrap_or_default(),
        );
        if let Some(p) = uncross {
            let ux = x(p.clamp(lo, hi));
            s.rect(ux, top, 1.5, ph, colour::TEXT);
            s.text_center(
                &format!("uncross {}", f.price(p)),
                ux.clamp(left + 40.0, left + pw - 40.0),
                top + 18.0,
                colour::TEXT,
            );
        }
        // Price axis: lowest, mid, highest.
        let ly = top + ph + bottom / 2.0 + 1.0;
        s.text_left(&f.price(lo), left, ly, colour::MUTED);
        s.text_right(&f.price(hi), left + pw, ly, colour::MUTED);
        if let (Some(b), Some(a)) = (
            d.bids.first().filter(|_| uncross_none(store)),
            d.asks.first(),
        ) {
            // The mid under its own x (none in a crossed auction book, where it means nothing), kept clear of the end labels (left out when it cannot be).
            let mid = f.mid(b.price, a.price);
            let width = |t: &str| s.width(t);
            let wm = width(&mid);
            let lo_end = left + width(&f.price(lo)) + 6.0 + wm / 2.0;
            let hi_start = left + pw - width(&f.price(hi)) - 6.0 - wm / 2.0;
            let mx = (x(b.price) + x(a.price)) / 2.0;
            if lo_end <= hi_start {
                s.text_center(&mid, mx.clamp(lo_end, hi_start), ly, colour::TEXT);
            }
        }
        // Totals per side, above the plot.
        s.text_left(
            &format!("bids {} {}", f.qty(total(&d.bids)), f.base),
            left,
            top / 2.0,
            colour::UP,
        );
        s.text_right(
            &format!("asks {} {}", f.qty(total(&d.asks)), f.base),
            left + pw,
            top / 2.0,
            colour::DOWN,
        );
    });
}
