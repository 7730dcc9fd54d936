//! Market panels: the L2 ladder, candles, depth chart, trade tape, L3 queue and order entry.

use crate::chart;
use crate::client::{self, Kind};
use crate::form::{check, lots_for_percent, FormInput};
use crate::format::{hms, Fmt};
use crate::store::{LadderRow, Store, LADDER_ROWS};
use bourse_core::{Interval, OrderType, Side, TimeInForce};
use bourse_protocol::{ClientMessage, TradePrint};
use leptos::html;
use leptos::prelude::*;

fn use_fmt(store: Store) -> Memo<Option<Fmt>> {
    Memo::new(move |_| store.fmt())
}

fn fmt_or(fmt: Memo<Option<Fmt>>, f: impl Fn(&Fmt) -> String) -> String {
    fmt.with(|x| x.as_ref().map(f).unwrap_or_default())
}

// ------------------------------------------------------------------------------------ ladder

/// The L2 ladder: asks above bids, spread and mid between them, price grouping, own size.
#[component]
pub fn Ladder() -> impl IntoView {
    let store = expect_context::<Store>();
    let fmt = use_fmt(store);
    let set_grouping = move |ev| {
        let g: u32 = event_target_value(&ev).parse().unwrap_or(1);
        store.sub.update(|s| {
            s.grouping_ticks = g;
            s.l3_level = None;
        });
        client::send(
            ClientMessage::Subscribe(store.sub.get_untracked()),
            Kind::Other,
        );
    };
    let asks = (0..LADDER_ROWS)
        .rev()
        .map(|i| view! { <LadderRowView row=store.asks[i] side=Side::Sell fmt=fmt /> })
        .collect_view();
    let bids = (0..LADDER_ROWS)
        .map(|i| view! { <LadderRowView row=store.bids[i] side=Side::Buy fmt=fmt /> })
        .collect_view();
    let spread = move || {
        let l1 = store.l1.get();
        match (l1.bid, l1.ask) {
            (Some((b, _)), Some((a, _))) => fmt_or(fmt, |f| {
                let mid2 = b + a; // twice the mid, in ticks
                let mid = if mid2 % 2 == 0 {
                    f.price(mid2 / 2)
                } else {
                    // Half a tick: show one more decimal.
                    let p = f.price(mid2 / 2);
                    format!("{p}5")
                };
                format!("Spread {} · Mid {}", f.price(a - b), mid)
            }),
            _ => "Spread —".into(),
        }
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
    view! {
        <div class="panel-head">
            <h2>"Order book"</h2>
            <label>
                "Grouping "
                <select on:change=set_grouping aria-label="Price grouping">
                    <option value="1">"1 tick"</option>
                    <option value="10">"10 ticks"</option>
                    <option value="100">"100 ticks"</option>
                </select>
            </label>
        </div>
        <table class="ladder" aria-label="Order book">
            <thead>
                <tr>
                    <th scope="col">{head("Price")}</th>
                    <th scope="col" class="num">{head("Size")}</th>
                    <th scope="col" class="num">"Total"</th>
                    <th scope="col" class="num">"Mine"</th>
                </tr>
            </thead>
            <tbody class="asks">{asks}</tbody>
            <tbody class="spread">
                <tr><td colspan="4" aria-label="Spread and mid">{spread}</td></tr>
            </tbody>
            <tbody class="bids">{bids}</tbody>
        </table>
    }
}

/// One fixed ladder slot: updated in place from its signal.
#[component]
fn LadderRowView(
    row: RwSignal<Option<LadderRow>>,
    side: Side,
    fmt: Memo<Option<Fmt>>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let side_name = if side == Side::Buy { "Bid" } else { "Ask" };
    let class = move || {
        let mut c = String::from(if side == Side::Buy { "bid" } else { "ask" });
        if row.with(|r| r.is_none()) {
            c.push_str(" empty");
        }
        if row.with(|r| r.is_some_and(|r| r.own > 0)) {
            c.push_str(" own");
        }
        c
    };
    let style = move || {
        let max = store.ladder_max_cum.get().max(1);
        let pct = row.with(|r| r.map(|r| r.cum * 100 / max).unwrap_or(0));
        format!("--w:{pct}%")
    };
    let cell = move |f: fn(&Fmt, &LadderRow) -> String| {
        move || {
            row.with(|r| match r {
                Some(r) => fmt_or(fmt, |x| f(x, r)),
                None => String::new(),
            })
        }
    };
    let on_click = move |_| {
        let Some(r) = row.get_untracked() else { return };
        store.form_price.set(fmt_or(fmt, |f| f.price(r.price)));
        let grouped = store.sub.with_untracked(|s| s.grouping_ticks > 1);
        if !grouped {
            store.sub.update(|s| s.l3_level = Some((side, r.price)));
            client::send(
                ClientMessage::Subscribe(store.sub.get_untracked()),
                Kind::Other,
            );
        }
    };
    view! {
        <tr class=class style=style on:click=on_click title="Click: use this price; show its queue">
            <td class="price">
                <span class="sr-only">{side_name} " "</span>
                {cell(|f, r| f.price(r.price))}
            </td>
            <td class="num">{cell(|f, r| f.qty(r.qty))}</td>
            <td class="num">{cell(|f, r| f.qty(r.cum))}</td>
            <td class="num mine">{cell(|f, r| if r.own > 0 { format!("◆ {}", f.qty(r.own)) } else { String::new() })}</td>
        </tr>
    }
}

// ------------------------------------------------------------------------------------ candles

/// Candles (lightweight-charts) with volume, interval switch and crosshair readout.
#[component]
pub fn CandlePanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let container = NodeRef::<html::Div>::new();
    let readout = NodeRef::<html::Div>::new();
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) {
            return true;
        }
        let places = store.fmt().map(|f| f.price_places);
        match (container.get(), readout.get(), places) {
            (Some(c), Some(r), Some(p)) => {
                chart::log_err(chart::chart_mount(&c, &r, p));
                store.request_history();
                true
            }
            _ => false,
        }
    });
    let intervals = [
        (Interval::S1, "1s"),
        (Interval::M1, "1m"),
        (Interval::M5, "5m"),
        (Interval::M15, "15m"),
        (Interval::H1, "1h"),
        (Interval::D1, "1d"),
    ];
    let buttons = intervals
        .into_iter()
        .map(|(iv, label)| {
            let pressed = move || store.sub.with(|s| s.candle_interval == iv).to_string();
            view! {
                <button class="tab" aria-pressed=pressed on:click=move |_| store.set_interval(iv)
                    aria-label=format!("Interval {label}")>{label}</button>
            }
        })
        .collect_view();
    view! {
        <div class="panel-head">
            <h2>"Chart"</h2>
            <div class="tabs" role="group" aria-label="Candle interval">{buttons}</div>
        </div>
        <div class="readout mono" node_ref=readout aria-live="off"></div>
        <div class="chart" node_ref=container aria-label="Candlestick chart" role="img"></div>
    }
}

// ------------------------------------------------------------------------------------ depth

/// Cumulative bid/ask depth as SVG steps.
#[component]
pub fn DepthChart() -> impl IntoView {
    let store = expect_context::<Store>();
    const W: f64 = 400.0;
    const H: f64 = 140.0;
    let paths = Memo::new(move |_| {
        store.depth.with(|d| {
            let (Some(lo), Some(hi)) = (d.bids.last(), d.asks.last()) else {
                return (String::new(), String::new(), String::new());
            };
            let (lo, hi) = (lo.price as f64, hi.price as f64);
            let span = (hi - lo).max(1.0);
            let total = |rows: &[bourse_protocol::L2Row]| rows.iter().map(|r| r.qty).sum::<u64>();
            let max = total(&d.bids).max(total(&d.asks)).max(1) as f64;
            let x = |p: i64| (p as f64 - lo) / span * W;
            let y = |c: u64| H - (c as f64 / max) * (H - 4.0);
            // A closed step path: from the best level outwards to the chart's edge `edge_x`.
            let steps = |rows: &[bourse_protocol::L2Row], edge_x: f64| {
                let mut path = String::new();
                let mut cum = 0;
                if let Some(first) = rows.first() {
                    path.push_str(&format!("M{:.1},{H} ", x(first.price)));
                }
                for r in rows {
                    path.push_str(&format!("L{:.1},{:.1} ", x(r.price), y(cum)));
                    cum += r.qty;
                    path.push_str(&format!("L{:.1},{:.1} ", x(r.price), y(cum)));
                }
                path.push_str(&format!("L{edge_x},{:.1} L{edge_x},{H} Z", y(cum)));
                path
            };
            let (bid, ask) = (steps(&d.bids, 0.0), steps(&d.asks, W));
            let fmt = store.fmt();
            let label = fmt
                .map(|f| {
                    format!(
                        "Depth from {} to {}: {} bid, {} ask",
                        f.price(lo as i64),
                        f.price(hi as i64),
                        f.qty(total(&d.bids)),
                        f.qty(total(&d.asks))
                    )
                })
                .unwrap_or_default();
            (bid, ask, label)
        })
    });
    view! {
        <div class="panel-head"><h2>"Depth"</h2></div>
        <svg class="depth" viewBox=format!("0 0 {W} {H}") preserveAspectRatio="none" role="img"
            aria-label=move || paths.with(|p| p.2.clone())>
            <path class="depth-bid" d=move || paths.with(|p| p.0.clone()) />
            <path class="depth-ask" d=move || paths.with(|p| p.1.clone()) />
        </svg>
        <p class="legend">
            <span class="bid">"▮ bids (left)"</span> " " <span class="ask">"▮ asks (right)"</span>
            " · " {move || paths.with(|p| p.2.clone())}
        </p>
    }
}

// ------------------------------------------------------------------------------------ tape

/// The trade tape: time, price, size, aggressor side (as text and colour). Fixed row slots,
/// updated in place like the ladder's.
#[component]
pub fn Tape() -> impl IntoView {
    let store = expect_context::<Store>();
    let fmt = use_fmt(store);
    let rows = store
        .tape
        .into_iter()
        .map(|slot| {
            let class = move || match slot.with(|t| t.map(|t| t.trade.aggressor)) {
                Some(Side::Buy) => "buy",
                Some(Side::Sell) => "sell",
                None => "empty",
            };
            let cell = move |f: fn(&Fmt, &TradePrint) -> String| {
                move || {
                    slot.with(|t| match t {
                        Some(t) => fmt_or(fmt, |x| f(x, t)),
                        None => String::new(),
                    })
                }
            };
            view! {
                <tr class=class>
                    <td>{cell(|_, t| hms(t.ts_ns))}</td>
                    <td class="num">{cell(|f, t| f.price(t.trade.price))}</td>
                    <td class="num">{cell(|f, t| f.qty(t.trade.qty))}</td>
                    <td>{cell(|_, t| if t.trade.aggressor == Side::Buy { "▲ Buy".into() } else { "▼ Sell".into() })}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="panel-head"><h2>"Trades"</h2></div>
        <table class="tape" aria-label="Trades">
            <thead>
                <tr>
                    <th scope="col">"Time"</th>
                    <th scope="col" class="num">"Price"</th>
                    <th scope="col" class="num">"Size"</th>
                    <th scope="col">"Side"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

// ------------------------------------------------------------------------------------ L3

/// The FIFO queue of the clicked price level, the human's orders marked with the size ahead.
#[component]
pub fn L3View() -> impl IntoView {
    let store = expect_context::<Store>();
    let fmt = use_fmt(store);
    let title = move || {
        store.sub.with(|s| match s.l3_level {
            Some((side, p)) => format!(
                "Queue at {} ({})",
                fmt_or(fmt, |f| f.price(p)),
                if side == Side::Buy { "bid" } else { "ask" }
            ),
            None => "Queue (click a price level in the order book, grouping 1 tick)".into(),
        })
    };
    let rows = move || {
        store.l3.with(|q| {
            let Some(q) = q else { return Vec::new() };
            let mut ahead = 0u64;
            q.orders
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    let r = (i + 1, o.id, o.qty, o.own, ahead);
                    ahead += o.qty;
                    r
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="panel-head"><h2>{title}</h2></div>
        <table class="l3" aria-label="Queue">
            <thead>
                <tr>
                    <th scope="col">"#"</th>
                    <th scope="col">"Order id"</th>
                    <th scope="col" class="num">"Size"</th>
                    <th scope="col" class="num">"Ahead"</th>
                    <th scope="col">"Owner"</th>
                </tr>
            </thead>
            <tbody>
                <For each=rows key=|r| (r.1, r.2, r.4) let:r>
                    <tr class:own=r.3>
                        <td>{r.0}</td>
                        <td>{r.1}</td>
                        <td class="num">{fmt_or(fmt, |f| f.qty(r.2))}</td>
                        <td class="num">{fmt_or(fmt, |f| f.qty(r.4))}</td>
                        <td>{if r.3 { "◆ you" } else { "" }}</td>
                    </tr>
                </For>
            </tbody>
        </table>
        <p class="legend">
            {move || store.l3.with(|q| q.as_ref().map(|q| if q.omitted > 0 { format!("{} more orders not shown", q.omitted) } else { String::new() }).unwrap_or_default())}
        </p>
    }
}

// ------------------------------------------------------------------------------------ entry

/// Order entry: type, time in force, post-only, price, stop price, quantity with a % slider,
/// estimated value and fee, Buy and Sell.
#[component]
pub fn OrderEntry() -> impl IntoView {
    let store = expect_context::<Store>();
    let fmt = use_fmt(store);
    let order_type = RwSignal::new(OrderType::Limit);
    let tif = RwSignal::new(TimeInForce::Gtc);
    let post_only = RwSignal::new(false);
    let quantity = RwSignal::new(String::new());
    let stop = RwSignal::new(String::new());
    let pct = RwSignal::new(0u32);
    let size_side = RwSignal::new(Side::Buy);
    let form_error = RwSignal::new(None::<String>);

    let input = move || FormInput {
        order_type: order_type.get(),
        tif: tif.get(),
        post_only: post_only.get(),
        price: store.form_price.get(),
        quantity: quantity.get(),
        stop_price: stop.get(),
    };
    // Reference price as the core uses it: last trade, else the configured reference.
    let reference = move |ins: usize| {
        let last = store.ticker.with(|t| t.last);
        if last > 0 {
            last
        } else {
            store.venue.with(|v| {
                v.as_ref()
                    .map(|v| v.rules[ins].reference_ticks)
                    .unwrap_or(0)
            })
        }
    };
    let checked = move |side: Side| {
        let ins = store.sub.with(|s| s.instrument);
        let i = input();
        store.venue.with(|v| {
            let v = v.as_ref()?;
            let spec = &v.config.instruments[ins as usize];
            let rules = &v.rules[ins as usize];
            let dec = v.config.assets[spec.quote as usize].decimals;
            Some(check(
                &i,
                side,
                ins,
                spec,
                rules,
                dec,
                reference(ins as usize),
            ))
        })
    };
    let preview = move || match checked(Side::Buy) {
        Some(Ok(c)) => fmt_or(fmt, |f| {
            format!(
                "Value ≈ {} {q} · fee ≤ {} {q}",
                f.quote_units(c.notional),
                f.quote_units(c.fee),
                q = f.quote
            )
        }),
        _ => String::new(),
    };
    let submit = move |side: Side| match checked(side) {
        Some(Ok(c)) => {
            form_error.set(None);
            client::send(ClientMessage::PlaceOrder(c.request), Kind::Order);
        }
        Some(Err(e)) => {
            form_error.set(Some(format!("Not sent: {e}")));
        }
        None => form_error.set(Some("Not connected yet".into())),
    };
    let apply_pct = move |p: u32| {
        pct.set(p);
        let ins = store.sub.with_untracked(|s| s.instrument) as usize;
        let side = size_side.get_untracked();
        let Some((rules, asset)) = store.venue.with_untracked(|v| {
            v.as_ref().map(|v| {
                let r = v.rules[ins];
                (r, if side == Side::Buy { r.quote } else { r.base })
            })
        }) else {
            return;
        };
        let available = store.balances.with_untracked(|b| {
            b.iter()
                .find(|b| b.asset == asset)
                .map(|b| b.available)
                .unwrap_or(0)
        });
        // The typed limit price in ticks; the reference price for market orders or when the
        // price is empty or off the grid.
        let typed = store.venue.with_untracked(|v| {
            let tick = v.as_ref()?.config.instruments[ins].tick_size;
            let d = store.form_price.get_untracked().trim().parse().ok()?;
            bourse_core::to_grid(d, tick).ok()
        });
        let price = match (order_type.get_untracked(), typed) {
            (OrderType::Market, _) | (_, None) => reference(ins),
            (_, Some(t)) => t,
        };
        let lots = lots_for_percent(side, p, available, price, &rules);
        quantity.set(fmt_or(fmt, |f| f.qty(lots)));
    };
    // Input attributes from the instrument's rules (what the core will check).
    let spec_attr = move |pick: fn(&bourse_core::InstrumentSpec) -> rust_decimal::Decimal| {
        move || {
            let ins = store.sub.with(|s| s.instrument) as usize;
            store.venue.with(|v| {
                v.as_ref()
                    .map(|v| pick(&v.config.instruments[ins]).normalize().to_string())
                    .unwrap_or_else(|| "any".into())
            })
        }
    };
    let lot_attr = spec_attr(|s| s.lot_size);
    let min_qty = spec_attr(|s| s.min_qty);
    let tick_attr = spec_attr(|s| s.tick_size);
    let available_text = move || {
        let Some(f) = fmt.get() else {
            return String::new();
        };
        let ins = store.sub.with(|s| s.instrument) as usize;
        let (base, quote) = store
            .venue
            .with(|v| v.as_ref().map(|v| (v.rules[ins].base, v.rules[ins].quote)))
            .unwrap_or((0, 0));
        let get = |a| {
            store.balances.with(|b| {
                b.iter()
                    .find(|x| x.asset == a)
                    .map(|x| x.available)
                    .unwrap_or(0)
            })
        };
        format!(
            "Available: {} {} · {} {}",
            f.quote_units(get(quote) as i128),
            f.quote,
            f.base_units(get(base) as i128),
            f.base
        )
    };
    let needs_price = move || order_type.get() != OrderType::Market;
    let needs_stop = move || order_type.get() == OrderType::StopLimit;
    view! {
        <div class="panel-head"><h2>"Place order"</h2></div>
        <form class="entry" on:submit=move |ev| { ev.prevent_default(); }>
            <div class="row">
                <label>
                    "Type "
                    <select on:change=move |ev| order_type.set(match event_target_value(&ev).as_str() {
                        "MARKET" => OrderType::Market,
                        "STOP_LIMIT" => OrderType::StopLimit,
                        _ => OrderType::Limit,
                    })>
                        <option value="LIMIT" selected>"Limit"</option>
                        <option value="MARKET">"Market"</option>
                        <option value="STOP_LIMIT">"Stop limit"</option>
                    </select>
                </label>
                <label>
                    "Time in force "
                    <select disabled=move || !needs_price() on:change=move |ev| tif.set(match event_target_value(&ev).as_str() {
                        "IOC" => TimeInForce::Ioc,
                        "FOK" => TimeInForce::Fok,
                        _ => TimeInForce::Gtc,
                    })>
                        <option value="GTC" selected>"GTC"</option>
                        <option value="IOC">"IOC"</option>
                        <option value="FOK">"FOK"</option>
                    </select>
                </label>
                <label class="check">
                    <input type="checkbox" prop:checked=post_only
                        disabled=move || order_type.get() != OrderType::Limit
                        on:change=move |ev| post_only.set(event_target_checked(&ev)) />
                    " Post-only"
                </label>
            </div>
            <label class="field" class:hidden=move || !needs_stop()>
                <span>"Stop price"</span>
                <input type="number" inputmode="decimal" min="0" step=tick_attr prop:value=stop
                    on:input=move |ev| stop.set(event_target_value(&ev)) />
            </label>
            <label class="field" class:hidden=move || !needs_price()>
                <span>"Price"</span>
                <input type="number" inputmode="decimal" min="0" step=tick_attr prop:value=store.form_price
                    on:input=move |ev| store.form_price.set(event_target_value(&ev)) />
            </label>
            <label class="field">
                <span>"Quantity"</span>
                <input type="number" inputmode="decimal" min=min_qty step=lot_attr prop:value=quantity
                    on:input=move |ev| quantity.set(event_target_value(&ev)) />
            </label>
            <div class="row pct">
                <label>
                    "Size for "
                    <select on:change=move |ev| size_side.set(if event_target_value(&ev) == "sell" { Side::Sell } else { Side::Buy })>
                        <option value="buy">"buying"</option>
                        <option value="sell">"selling"</option>
                    </select>
                </label>
                <label class="slider">
                    <span class="sr-only">"Percent of available balance"</span>
                    <input type="range" min="0" max="100" step="25" prop:value=move || pct.get().to_string()
                        on:input=move |ev| apply_pct(event_target_value(&ev).parse().unwrap_or(0)) />
                </label>
                {[25u32, 50, 75, 100].into_iter().map(|p| view! {
                    <button type="button" class="small" on:click=move |_| apply_pct(p)>{format!("{p}%")}</button>
                }).collect_view()}
            </div>
            <p class="hint">{available_text}</p>
            <p class="hint">{preview}</p>
            <div class="row buttons">
                <button type="button" class="buy" on:click=move |_| submit(Side::Buy)>"Buy"</button>
                <button type="button" class="sell" on:click=move |_| submit(Side::Sell)>"Sell"</button>
            </div>
            <p class="form-error" role="alert">{move || form_error.get().unwrap_or_default()}</p>
            <div class="notices" role="log" aria-label="Messages" aria-live="polite">
                <For each=move || store.notices.get() key=|n| n.id let:n>
                    <p class:error=n.error>{n.text.clone()}</p>
                </For>
            </div>
        </form>
    }
}
