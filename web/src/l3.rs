//! The L3 queue of the level taken on the ladder (or of every level of a grouped row): the orders
//! in time priority, the quantity ahead of each at its price, and the human's own orders marked
//! with their place in the queue.

use crate::format::Fmt;
use crate::store::Store;
use bourse_core::Side;
use leptos::prelude::*;

/// One row of the queue as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    /// Place at its price level, 1-based.
    pub place: usize,
    /// Order id.
    pub id: u64,
    /// Price level, ticks.
    pub price: i64,
    /// Remaining quantity, lots.
    pub qty: u64,
    /// Quantity ahead of it at its price, lots.
    pub ahead: u64,
    /// The human's order.
    pub own: bool,
}

/// Rows of a queue: place and quantity ahead count per price level (a grouped bucket holds several
/// levels, each its own FIFO).
pub fn queue_rows(q: &bourse_protocol::L3Queue) -> Vec<QueueRow> {
    let mut out = Vec::with_capacity(q.orders.len());
    let (mut level, mut place, mut ahead) = (None, 0, 0u64);
    for o in &q.orders {
        if level != Some(o.price) {
            level = Some(o.price);
            place = 0;
            ahead = 0;
        }
        place += 1;
        out.push(QueueRow {
            place,
            id: o.id,
            price: o.price,
            qty: o.qty,
            ahead,
            own: o.own,
        });
        ahead += o.qty;
    }
    out
}

/// The queue panel.
#[component]
pub fn L3View() -> impl IntoView {
    let store = expect_context::<Store>();
    let fmt = Memo::new(move |_| store.fmt());
    let show =
        move |g: &dyn Fn(&Fmt) -> String| fmt.with(|f| f.as_ref().map(g).unwrap_or_default());
    let title = move || {
        let sub = store.sub.get();
        match sub.l3_level {
            Some((side, p)) if sub.grouping_ticks > 1 => {
                let g = sub.grouping_ticks as i64;
                let (lo, hi) = if side == Side::Buy {
                    (p, p + g - 1)
                } else {
                    (p - g + 1, p)
                };
                format!(
                    "Queue {}–{} ({}, {}-tick group)",
                    show(&|f| f.price(lo)),
                    show(&|f| f.price(hi)),
                    if side == Side::Buy { "bids" } else { "asks" },
                    g
                )
            }
            Some((side, p)) => format!(
                "Queue at {} ({})",
                show(&|f| f.price(p)),
                if side == Side::Buy { "bid" } else { "ask" }
            ),
            None => "Queue".into(),
        }
    };
    let grouped = move || {
        store
            .sub
            .with(|s| s.grouping_ticks > 1 && s.l3_level.is_some())
    };
    let rows = move || {
        store
            .l3
            .with(|q| q.as_ref().map(queue_rows).unwrap_or_default())
    };
    let mine = move || {
        let rows = rows();
        let own: Vec<String> = rows
            .iter()
            .filter(|r| r.own)
            .map(|r| {
                format!(
                    "Your order {} is #{} at {}: {} {} ahead of it",
                    r.id,
                    r.place,
                    show(&|f| f.price(r.price)),
                    show(&|f| f.qty(r.ahead)),
                    show(&|f| f.base.clone())
                )
            })
            .collect();
        own.join(" · ")
    };
    let hint = move || {
        if store.sub.with(|s| s.l3_level.is_none()) {
            "Click a price level in the order book (or Tab to it and press Enter) to see its queue: who is first in line at that price.".to_string()
        } else {
            store.l3.with(|q| match q {
                Some(q) if q.orders.is_empty() => "Nobody is resting at this level now.".into(),
                Some(q) if q.omitted > 0 => format!("{} more orders not shown", q.omitted),
                _ => String::new(),
            })
        }
    };
    view! {
        <div class="panel-head"><h2 title="Market by order (L3): the orders at a price in time priority. The first one fills first; a quantity reduction keeps its place, any other change sends it to the back.">{title}</h2></div>
        <p class="hint mine-line">{mine}</p>
        <div class="scroll-fill">
        <table class="l3" aria-label="Queue">
            <thead>
                <tr>
                    <th scope="col">"#"</th>
                    <th scope="col">"Order"</th>
                    <th scope="col" class="num" class:hidden=move || !grouped()>"Price"</th>
                    <th scope="col" class="num">"Size"</th>
                    <th scope="col" class="num" title="Quantity ahead of this order at its price: it fills only after them">"Ahead"</th>
                    <th scope="col">"Owner"</th>
                </tr>
            </thead>
            <tbody>
                <For each=rows key=|r| (r.id, r.qty, r.ahead) let:r>
                    <tr class:own=r.own>
                        <td>{r.place}</td>
                        <td>{r.id}</td>
                        <td class="num" class:hidden=move || !grouped()>{show(&|f| f.price(r.price))}</td>
                        <td class="num">{show(&|f| f.qty(r.qty))}</td>
                        <td class="num">{show(&|f| f.qty(r.ahead))}</td>
                        <td>{if r.own { "◆ you" } else { "" }}</td>
                    </tr>
                </For>
            </tbody>
        </table>
        </div>
        <p class="legend">{hint}</p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bourse_protocol::{L3Order, L3Queue};

    // Places and quantity ahead restart at each level of a grouped bucket; by hand.
    #[test]
    fn places_and_ahead_per_level() {
        let o = |id, price, qty, own| L3Order {
            id,
            price,
            qty,
            own,
        };
        let q = L3Queue {
            side: Side::Buy,
            price: 100,
            grouping_ticks: 10,
            orders: vec![o(1, 105, 3, false), o(2, 105, 4, true), o(3, 101, 5, false)],
            omitted: 0,
        };
        let r = queue_rows(&q);
        assert_eq!(
            r.iter().map(|r| (r.place, r.ahead)).collect::<Vec<_>>(),
            vec![(1, 0), (2, 3), (1, 0)]
        );
        assert!(r[1].own);
    }
}
