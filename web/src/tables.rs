//! The account tables: open orders (cancel, cancel all, amend), order history, fills, balances and
//! position with P&L.

use crate::client::{self, Kind};
use crate::format::{hms, Fmt};
use crate::store::Store;
use bourse_core::{Liquidity, OpenOrder, OrderRef, OrderType, Side, TimeInForce};
use bourse_protocol::{wire_name, ClientMessage};
use leptos::prelude::*;
use rust_decimal::Decimal;
use std::str::FromStr;

fn side_text(s: Side) -> &'static str {
    match s {
        Side::Buy => "Buy",
        Side::Sell => "Sell",
    }
}

fn type_text(t: OrderType) -> &'static str {
    match t {
        OrderType::Limit => "Limit",
        OrderType::Market => "Market",
        OrderType::StopLimit => "Stop limit",
        OrderType::StopMarket => "Stop market",
    }
}

fn tif_text(t: TimeInForce) -> &'static str {
    match t {
        TimeInForce::Gtc => "GTC",
        TimeInForce::Ioc => "IOC",
        TimeInForce::Fok => "FOK",
    }
}

fn fmt_of(store: Store, instrument: u32) -> Option<Fmt> {
    store.venue.with_untracked(|v| {
        v.as_ref()
            .and_then(|v| v.fmts.get(instrument as usize).cloned())
    })
}

fn symbol_of(store: Store, instrument: u32) -> String {
    store.venue.with_untracked(|v| {
        v.as_ref()
            .and_then(|v| v.config.instruments.get(instrument as usize))
            .map(|s| s.symbol.clone())
            .unwrap_or_default()
    })
}

/// All account tables.
#[component]
pub fn Tables() -> impl IntoView {
    view! {
        <div class="tables">
            <div class="t-open"><OpenOrders /></div>
            <div class="t-bal"><Balances /><Positions /></div>
            <div class="t-hist"><History /></div>
            <div class="t-fills"><Fills /></div>
        </div>
    }
}

#[component]
fn OpenOrders() -> impl IntoView {
    let store = expect_context::<Store>();
    let cancel_all = move |_| {
        client::send(ClientMessage::CancelAll { instrument: None }, Kind::Cancel);
    };
    view! {
        <div class="panel-head">
            <h2>"Open orders"</h2>
            <button class="small" on:click=cancel_all
                disabled=move || store.open_orders.with(|o| o.is_empty())>"Cancel all"</button>
        </div>
        <table aria-label="Open orders">
            <thead>
                <tr>
                    <th scope="col">"Id"</th>
                    <th scope="col">"Symbol"</th>
                    <th scope="col">"Side"</th>
                    <th scope="col">"Type"</th>
                    <th scope="col" class="num">"Price"</th>
                    <th scope="col" class="num">"Stop"</th>
                    <th scope="col" class="num">"Quantity"</th>
                    <th scope="col" class="num">"Filled"</th>
                    <th scope="col">"Actions"</th>
                </tr>
            </thead>
            <tbody>
                <For each=move || store.open_orders.get() key=|o| (o.id, o.price, o.quantity, o.cum_qty, o.pending_stop) let:o>
                    <OpenOrderRow o=o />
                </For>
            </tbody>
        </table>
    }
}

#[component]
fn OpenOrderRow(o: OpenOrder) -> impl IntoView {
    let store = expect_context::<Store>();
    let f = fmt_of(store, o.instrument);
    let show = move |g: &dyn Fn(&Fmt) -> String| f.as_ref().map(g).unwrap_or_default();
    let editing = RwSignal::new(false);
    let new_price = RwSignal::new(show(&|f| f.price(o.price)));
    let new_qty = RwSignal::new(show(&|f| f.qty(o.quantity)));
    let id = o.id;
    let instrument = o.instrument;
    let cancel = move |_| {
        client::send(
            ClientMessage::Cancel {
                instrument,
                order: OrderRef::OrderId(id),
            },
            Kind::Cancel,
        );
    };
    let save = move |_| {
        let p = Decimal::from_str(new_price.get_untracked().trim());
        let q = Decimal::from_str(new_qty.get_untracked().trim());
        match (p, q) {
            (Ok(p), Ok(q)) => {
                client::send(
                    ClientMessage::Amend {
                        instrument,
                        order: OrderRef::OrderId(id),
                        price: Some(p),
                        quantity: Some(q),
                    },
                    Kind::Amend,
                );
                editing.set(false);
            }
            _ => store.notify("Amend: enter a price and a quantity".into(), true),
        }
    };
    let side_class = if o.side == Side::Buy { "buy" } else { "sell" };
    view! {
        <tr>
            <td>{o.id}</td>
            <td>{symbol_of(store, o.instrument)}</td>
            <td class=side_class>{side_text(o.side)}</td>
            <td>{type_text(o.order_type)} " " {tif_text(o.tif)} {if o.post_only { " post-only" } else { "" }}
                {if o.pending_stop { " (waiting for stop)" } else { "" }}</td>
            <td class="num">{if o.price > 0 { show(&|f| f.price(o.price)) } else { "market".into() }}</td>
            <td class="num">{if o.stop_price > 0 { show(&|f| f.price(o.stop_price)) } else { String::new() }}</td>
            <td class="num">{show(&|f| f.qty(o.quantity))}</td>
            <td class="num">{show(&|f| f.qty(o.cum_qty))}</td>
            <td class="actions">
                <Show when=move || editing.get()
                    fallback=move || view! {
                        <button class="small" on:click=move |_| editing.set(true)>"Amend"</button>
                    }>
                    <label><span class="sr-only">"New price"</span>
                        <input class="narrow" type="number" aria-label="New price" prop:value=new_price
                            on:input=move |ev| new_price.set(event_target_value(&ev)) /></label>
                    <label><span class="sr-only">"New quantity"</span>
                        <input class="narrow" type="number" aria-label="New quantity" prop:value=new_qty
                            on:input=move |ev| new_qty.set(event_target_value(&ev)) /></label>
                    <button class="small" on:click=save>"Save"</button>
                    <button class="small" on:click=move |_| editing.set(false)>"Close"</button>
                </Show>
                <button class="small" on:click=cancel>"Cancel"</button>
            </td>
        </tr>
    }
}

#[component]
fn History() -> impl IntoView {
    let store = expect_context::<Store>();
    view! {
        <div class="panel-head"><h2>"Order history"</h2></div>
        <div class="scroll">
        <table aria-label="Order history">
            <thead>
                <tr>
                    <th scope="col">"Time"</th>
                    <th scope="col">"Id"</th>
                    <th scope="col">"Side"</th>
                    <th scope="col">"Type"</th>
                    <th scope="col" class="num">"Price"</th>
                    <th scope="col" class="num">"Quantity"</th>
                    <th scope="col" class="num">"Filled"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Reason"</th>
                </tr>
            </thead>
            <tbody>
                <For each=move || store.history.get() key=|h| h.clone() let:h>
                    {
                        let f = fmt_of(store, h.instrument);
                        let show = move |g: &dyn Fn(&Fmt) -> String| f.as_ref().map(g).unwrap_or_default();
                        view! {
                            <tr>
                                <td>{hms(h.updated_ns)}</td>
                                <td>{if h.order_id == 0 { "—".to_string() } else { h.order_id.to_string() }}</td>
                                <td class=if h.side == Side::Buy { "buy" } else { "sell" }>{side_text(h.side)}</td>
                                <td>{type_text(h.order_type)} " " {tif_text(h.tif)}</td>
                                <td class="num">{if h.price > 0 { show(&|f| f.price(h.price)) } else { "market".into() }}</td>
                                <td class="num">{show(&|f| f.qty(h.quantity))}</td>
                                <td class="num">{show(&|f| f.qty(h.cum_qty))}</td>
                                <td>{wire_name(&h.status)}</td>
                                <td>{h.reason.map(|r| wire_name(&r)).unwrap_or_default()}</td>
                            </tr>
                        }
                    }
                </For>
            </tbody>
        </table>
        </div>
    }
}

#[component]
fn Fills() -> impl IntoView {
    let store = expect_context::<Store>();
    view! {
        <div class="panel-head"><h2>"Fills"</h2></div>
        <div class="scroll">
        <table aria-label="Fills">
            <thead>
                <tr>
                    <th scope="col">"Time"</th>
                    <th scope="col">"Trade"</th>
                    <th scope="col">"Order"</th>
                    <th scope="col">"Side"</th>
                    <th scope="col" class="num">"Price"</th>
                    <th scope="col" class="num">"Quantity"</th>
                    <th scope="col" class="num">"Value"</th>
                    <th scope="col">"Role"</th>
                    <th scope="col" class="num">"Fee"</th>
                </tr>
            </thead>
            <tbody>
                <For each=move || store.fills.get() key=|x| (x.instrument, x.trade_id, x.order_id) let:x>
                    {
                        let f = fmt_of(store, x.instrument);
                        let show = move |g: &dyn Fn(&Fmt) -> String| f.as_ref().map(g).unwrap_or_default();
                        view! {
                            <tr>
                                <td>{hms(x.ts_ns)}</td>
                                <td>{x.trade_id}</td>
                                <td>{x.order_id}</td>
                                <td class=if x.side == Side::Buy { "buy" } else { "sell" }>{side_text(x.side)}</td>
                                <td class="num">{show(&|f| f.price(x.price))}</td>
                                <td class="num">{show(&|f| f.qty(x.qty))}</td>
                                <td class="num">{show(&|f| f.quote_units(x.quote as i128))}</td>
                                <td>{match x.liquidity { Some(Liquidity::Maker) => "Maker", Some(Liquidity::Taker) => "Taker", None => "" }}</td>
                                <td class="num">{show(&|f| format!("{} {}", f.quote_units(x.fee as i128), f.quote))}</td>
                            </tr>
                        }
                    }
                </For>
            </tbody>
        </table>
        </div>
    }
}

#[component]
fn Balances() -> impl IntoView {
    let store = expect_context::<Store>();
    let rows = move || {
        let balances = store.balances.get();
        store.venue.with(|v| {
            let Some(v) = v else { return Vec::new() };
            balances
                .iter()
                .filter_map(|b| {
                    let a = v.config.assets.get(b.asset as usize)?;
                    let fx = |u: u64| crate::format::fixed(u as i128, a.decimals);
                    Some((
                        a.symbol.clone(),
                        fx(b.available),
                        fx(b.locked),
                        fx(b.available + b.locked),
                    ))
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="panel-head"><h2>"Balances"</h2></div>
        <table aria-label="Balances">
            <thead>
                <tr>
                    <th scope="col">"Asset"</th>
                    <th scope="col" class="num">"Available"</th>
                    <th scope="col" class="num">"Locked"</th>
                    <th scope="col" class="num">"Total"</th>
                </tr>
            </thead>
            <tbody>
                <For each=rows key=|r| r.clone() let:r>
                    <tr>
                        <th scope="row">{r.0.clone()}</th>
                        <td class="num">{r.1.clone()}</td>
                        <td class="num">{r.2.clone()}</td>
                        <td class="num">{r.3.clone()}</td>
                    </tr>
                </For>
            </tbody>
        </table>
    }
}

#[component]
fn Positions() -> impl IntoView {
    let store = expect_context::<Store>();
    let rows = move || {
        let positions = store.positions.get();
        let sub = store.sub.get().instrument as usize;
        let last = store.ticker.with(|t| t.last);
        store.venue.with(|v| {
            let Some(v) = v else { return Vec::new() };
            positions
                .iter()
                .enumerate()
                .filter(|(i, p)| p.lots != 0 || p.realised != 0 || p.fees != 0 || *i == sub)
                .map(|(i, p)| {
                    let f = &v.fmts[i];
                    let rules = &v.rules[i];
                    let qty = if p.lots < 0 {
                        format!("-{}", f.qty(p.lots.unsigned_abs() as u64))
                    } else {
                        f.qty(p.lots as u64)
                    };
                    let avg = p
                        .avg_entry_ticks(rules)
                        .map(|t| f.price(t))
                        .unwrap_or_else(|| "—".into());
                    // Mark at the subscribed instrument's last price (others: not tracked).
                    let unreal = if i == sub && last > 0 {
                        f.quote_units(p.unrealised(rules, last))
                    } else {
                        "—".into()
                    };
                    (
                        v.config.instruments[i].symbol.clone(),
                        qty,
                        avg,
                        f.quote_units(p.realised),
                        unreal,
                        f.quote_units(p.fees),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="panel-head"><h2>"Position"</h2></div>
        <table aria-label="Position">
            <thead>
                <tr>
                    <th scope="col">"Symbol"</th>
                    <th scope="col" class="num">"Size"</th>
                    <th scope="col" class="num">"Avg entry"</th>
                    <th scope="col" class="num">"Realised P&L"</th>
                    <th scope="col" class="num">"Unrealised P&L"</th>
                    <th scope="col" class="num">"Fees"</th>
                </tr>
            </thead>
            <tbody>
                <For each=rows key=|r| r.clone() let:r>
                    <tr>
                        <th scope="row">{r.0.clone()}</th>
                        <td class="num">{r.1.clone()}</td>
                        <td class="num">{r.2.clone()}</td>
                        <td class="num">{r.3.clone()}</td>
                        <td class="num">{r.4.clone()}</td>
                        <td class="num">{r.5.clone()}</td>
                    </tr>
                </For>
            </tbody>
        </table>
    }
}
