//! The account tables: open orders (cancel, cancel all, amend with Enter to save and Escape to
//! close), order history and fills (virtual times of the events, CSV export with exact values),
//! balances and positions with P&L. Amounts read with the decimals a reader wants (2 for USDT);
//! the exact value is in each cell's tooltip and in the exports.

use crate::api::Api;
use crate::browser::download;
use crate::format::{hms, hms_ms, trimmed, Fmt};
use crate::inputs::DecimalInput;
use crate::model::{fills_csv, history_csv};
use crate::store::{Store, ToastKind};
use bourse_core::{Liquidity, OpenOrder, OrderType, Side, TimeInForce};
use bourse_protocol::wire_name;
use leptos::prelude::*;
use rust_decimal::Decimal;
use std::str::FromStr;
use wasm_bindgen::JsCast;

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

fn lookup(store: Store) -> impl Fn(u32) -> Option<(String, Fmt)> {
    move |i| Some((store.symbol(i), fmt_of(store, i)?))
}

fn focus_id(id: &str) {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

/// All account tables.
#[component]
pub fn Tables() -> impl IntoView {
    view! {
        <div class="tables">
            <div class="t-open"><OpenOrders /></div>
            <div class="t-bal"><div><Balances /></div><div><Positions /></div></div>
            <div class="t-hist"><History /></div>
            <div class="t-fills"><Fills /></div>
        </div>
    }
}

#[component]
fn OpenOrders() -> impl IntoView {
    let store = expect_context::<Store>();
    // The order whose amend editor is open (kept here, not in the row, so a re-rendered row
    // keeps it).
    let editing = RwSignal::new(None::<u64>);
    let ids = move || {
        store
            .open_orders
            .with(|o| o.iter().map(|o| o.id).collect::<Vec<_>>())
    };
    view! {
        <div class="panel-head">
            <h2>"Open orders"</h2>
            <button class="small" on:click=move |_| { Api.cancel_all(); }
                disabled=move || store.open_orders.with(|o| o.is_empty())>"Cancel all"</button>
        </div>
        <div class="scroll">
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
                <For each=ids key=|id| *id let:id>
                    <OpenOrderRow id=id editing=editing />
                </For>
            </tbody>
        </table>
        </div>
    }
}

#[component]
fn OpenOrderRow(id: u64, editing: RwSignal<Option<u64>>) -> impl IntoView {
    let store = expect_context::<Store>();
    let order = Memo::new(move |_| {
        store
            .open_orders
            .with(|oo| oo.iter().find(|o| o.id == id).copied())
    });
    let f = order
        .get_untracked()
        .and_then(|o| fmt_of(store, o.instrument));
    let f2 = f.clone();
    let show = move |g: fn(&Fmt, &OpenOrder) -> String| {
        let f = f2.clone();
        move || match (order.get(), f.as_ref()) {
            (Some(o), Some(f)) => g(f, &o),
            _ => String::new(),
        }
    };
    let new_price = RwSignal::new(String::new());
    let new_qty = RwSignal::new(String::new());
    let open_editor = {
        let f = f.clone();
        move || {
            if let (Some(o), Some(f)) = (order.get_untracked(), f.as_ref()) {
                new_price.set(f.price(o.price));
                new_qty.set(f.qty(o.quantity));
                editing.set(Some(id));
            }
        }
    };
    let amend_id = format!("amend-{id}");
    let close = {
        let amend_id = amend_id.clone();
        move || {
            editing.set(None);
            let target = amend_id.clone();
            // After the row re-renders its Amend button.
            request_animation_frame(move || focus_id(&target));
        }
    };
    let save = {
        let close = close.clone();
        move || {
            let Some(o) = order.get_untracked() else {
                return;
            };
            let p = Decimal::from_str(new_price.get_untracked().trim());
            let q = Decimal::from_str(new_qty.get_untracked().trim());
            match (p, q) {
                (Ok(p), Ok(q)) if p > Decimal::ZERO && q > Decimal::ZERO => {
                    Api.amend(o.instrument, id, p, q);
                    close();
                }
                _ => store.toast(
                    ToastKind::Error,
                    format!("Amend of order {id}: enter a price and a quantity greater than 0"),
                ),
            }
        }
    };
    let on_key = {
        let save = save.clone();
        let close = close.clone();
        Callback::new(move |enter: bool| if enter { save() } else { close() })
    };
    let cancel = move |_| {
        if let Some(o) = order.get_untracked() {
            Api.cancel(o.instrument, id);
        }
    };
    let is_editing = move || editing.get() == Some(id);
    let side_class = move || match order.get().map(|o| o.side) {
        Some(Side::Buy) => "buy",
        _ => "sell",
    };
    let symbol = order
        .get_untracked()
        .map(|o| store.symbol(o.instrument))
        .unwrap_or_default();
    view! {
        <tr>
            <td>{id}</td>
            <td>{symbol}</td>
            <td class=side_class>{move || order.get().map(|o| side_text(o.side)).unwrap_or_default()}</td>
            <td>{move || order.get().map(|o| format!("{} {}{}{}", type_text(o.order_type), tif_text(o.tif),
                if o.post_only { " post-only" } else { "" },
                if o.pending_stop { " · stop pending" } else { "" })).unwrap_or_default()}</td>
            <td class="num">{show(|f, o| if o.price > 0 { f.price(o.price) } else { "market".into() })}</td>
            <td class="num">{show(|f, o| if o.stop_price > 0 { f.price(o.stop_price) } else { String::new() })}</td>
            <td class="num">{show(|f, o| f.qty(o.quantity))}</td>
            <td class="num">{show(|f, o| f.qty(o.cum_qty))}</td>
            <td class="actions">
                <Show when=is_editing
                    fallback={
                        let open_editor = open_editor.clone();
                        let amend_id = amend_id.clone();
                        move || {
                            let open_editor = open_editor.clone();
                            view! {
                                <button class="small" id=amend_id.clone() on:click=move |_| open_editor()>"Amend"</button>
                            }
                        }
                    }>
                    <DecimalInput value=new_price label="New price" class="amend" on_key=on_key autofocus=true
                        title="Enter saves, Escape closes" />
                    <DecimalInput value=new_qty label="New quantity" class="amend" on_key=on_key
                        title="New total quantity including what already filled. A smaller quantity at the same price keeps your place in the queue; anything else goes to the back." />
                    <button class="small" on:click={ let save = save.clone(); move |_| save() }>"Save"</button>
                    <button class="small" on:click={ let close = close.clone(); move |_| close() }>"Close"</button>
                </Show>
                <button class="small" on:click=cancel>"Cancel"</button>
            </td>
        </tr>
    }
}

#[component]
fn History() -> impl IntoView {
    let store = expect_context::<Store>();
    let export = move |_| {
        let text = store
            .model
            .with_value(|m| history_csv(m.history.iter(), lookup(store)));
        if let Err(e) = download("bourse-order-history.csv", &text, "text/csv") {
            store.toast(ToastKind::Error, format!("Export failed: {e}"));
        }
    };
    view! {
        <div class="panel-head">
            <h2>"Order history"</h2>
            <button class="small" on:click=export>"Download CSV"</button>
        </div>
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
                        let price = if h.price > 0 {
                            show(&|f| f.price(h.price))
                        } else if h.order_type == OrderType::Market || h.order_type == OrderType::StopMarket {
                            "market".into()
                        } else {
                            "—".into()
                        };
                        let qty = if h.quantity > 0 {
                            show(&|f| f.qty(h.quantity))
                        } else if h.quote_quantity > 0 {
                            show(&|f| format!("{} {}", f.quote_display(h.quote_quantity as i128), f.quote))
                        } else {
                            "—".into()
                        };
                        view! {
                            <tr>
                                <td>{hms(h.updated_ns)}</td>
                                <td>{if h.order_id == 0 { "—".to_string() } else { h.order_id.to_string() }}</td>
                                <td class=if h.side == Side::Buy { "buy" } else { "sell" }>{side_text(h.side)}</td>
                                <td>{type_text(h.order_type)} " " {tif_text(h.tif)}</td>
                                <td class="num">{price}</td>
                                <td class="num">{qty}</td>
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
    let export = move |_| {
        let text = store
            .model
            .with_value(|m| fills_csv(m.fills.iter(), lookup(store)));
        if let Err(e) = download("bourse-fills.csv", &text, "text/csv") {
            store.toast(ToastKind::Error, format!("Export failed: {e}"));
        }
    };
    view! {
        <div class="panel-head">
            <h2>"Fills"</h2>
            <button class="small" on:click=export>"Download CSV"</button>
        </div>
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
                    <th scope="col" title="Maker: your order was resting in the book. Taker: your order arrived and traded against a resting one.">"Role"</th>
                    <th scope="col" class="num">"Fee"</th>
                    <th scope="col"><span class="sr-only">"Explain"</span></th>
                </tr>
            </thead>
            <tbody>
                <For each=move || store.fills.get() key=|x| (x.instrument, x.trade_id, x.order_id) let:x>
                    {
                        let f = fmt_of(store, x.instrument);
                        let show = move |g: &dyn Fn(&Fmt) -> String| f.as_ref().map(g).unwrap_or_default();
                        let exact_value = show(&|f| f.quote_units(x.quote as i128));
                        view! {
                            <tr>
                                <td>{hms_ms(x.ts_ns)}</td>
                                <td>{x.trade_id}</td>
                                <td>{x.order_id}</td>
                                <td class=if x.side == Side::Buy { "buy" } else { "sell" }>{side_text(x.side)}</td>
                                <td class="num">{show(&|f| f.price(x.price))}</td>
                                <td class="num">{show(&|f| f.qty(x.qty))}</td>
                                <td class="num" title=exact_value>{show(&|f| f.quote_display(x.quote as i128))}</td>
                                <td>{match x.liquidity { Some(Liquidity::Maker) => "Maker", Some(Liquidity::Taker) => "Taker", None => "" }}</td>
                                <td class="num">{show(&|f| format!("{} {}", trimmed(x.fee as i128, f.quote_decimals), f.quote))}</td>
                                <td><button class="small" aria-label=format!("Explain trade {}", x.trade_id)
                                    title="The command behind this fill, its events in order, the maker's queue history and the fees"
                                    on:click=move |_| crate::explain::explain(bourse_protocol::ExplainTarget::Trade { instrument: x.instrument, trade_id: x.trade_id })>"Explain"</button></td>
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
                    let places = v.asset_places(b.asset);
                    let show = |u: u64| crate::format::fixed_trunc(u as i128, a.decimals, places);
                    let exact = |u: u64| crate::format::fixed(u as i128, a.decimals);
                    let total = b.available + b.locked;
                    Some((
                        a.symbol.clone(),
                        [
                            (show(b.available), exact(b.available)),
                            (show(b.locked), exact(b.locked)),
                            (show(total), exact(total)),
                        ],
                    ))
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="panel-head"><h2 title="Available: free to use. Locked: reserved by your open orders (a buy reserves its value plus the fee).">"Balances"</h2></div>
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
                        {r.1.iter().cloned().map(|(shown, exact)| view! {
                            <td class="num" title=exact.clone() data-exact=exact>{shown}</td>
                        }).collect_view()}
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
                    // Marked at the shown instrument's last price (others: not tracked).
                    let unreal = if i == sub && last > 0 {
                        f.quote_display(p.unrealised(rules, last))
                    } else {
                        "—".into()
                    };
                    (
                        v.config.instruments[i].symbol.clone(),
                        qty,
                        avg,
                        f.quote_display(p.realised),
                        unreal,
                        trimmed(p.fees, f.quote_decimals),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="panel-head"><h2 title="From your fills, average-cost accounting; P&L before fees, in the quote asset">"Position"</h2></div>
        <table aria-label="Position">
            <thead>
                <tr>
                    <th scope="col">"Symbol"</th>
                    <th scope="col" class="num">"Size"</th>
                    <th scope="col" class="num">"Avg entry"</th>
                    <th scope="col" class="num">"Realised"</th>
                    <th scope="col" class="num" title="Marked at the last price of the instrument shown">"Unrealised"</th>
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
