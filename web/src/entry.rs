//! Order entry: side, type (limit, market, stop-limit, stop-market), time in force, post-only,
//! self-trade prevention, price, stop price, quantity or (market buys) the amount to spend, a
//! size control as a share of the available balance of the side's asset, an optional client order
//! id, the estimated value and fee, an estimate of the immediate fill from the visible book
//! (average price and slippage), and one submit button. Every outcome of a click shows right
//! under the button (and exchange rejects also as a toast), saying what the limit was.

use crate::api::Api;
use crate::form::{
    check, estimate, lots_for_percent, summary, typed_ticks, FormInput, Market, OrderIntent,
};
use crate::inputs::DecimalInput;
use crate::store::Store;
use bourse_core::{OrderType, Side, StpMode, TimeInForce};
use bourse_protocol::wire_name;
use leptos::prelude::*;

/// The order entry panel.
#[component]
pub fn OrderEntry() -> impl IntoView {
    let store = expect_context::<Store>();
    let fmt = Memo::new(move |_| store.fmt());
    let side = RwSignal::new(Side::Buy);
    let order_type = RwSignal::new(OrderType::Limit);
    let tif = RwSignal::new(TimeInForce::Gtc);
    let post_only = RwSignal::new(false);
    let stp = RwSignal::new(crate::form::DEFAULT_STP);
    let quantity = RwSignal::new(String::new());
    let stop = RwSignal::new(String::new());
    let total = RwSignal::new(String::new());
    let by_quote = RwSignal::new(false);
    let cid = RwSignal::new(String::new());
    let form_error = RwSignal::new(None::<String>);

    let input = move || FormInput {
        side: side.get(),
        order_type: order_type.get(),
        tif: tif.get(),
        post_only: post_only.get(),
        stp: stp.get(),
        price: store.form_price.get(),
        quantity: quantity.get(),
        stop_price: stop.get(),
        by_quote: by_quote.get(),
        quote_amount: total.get(),
        client_order_id: cid.get(),
    };
    // Any edit clears a "Not sent" message.
    Effect::new(move |_| {
        let _ = input();
        form_error.set(None);
    });
    let available = move |asset: u32| {
        store.balances.with(|b| {
            b.iter()
                .find(|x| x.asset == asset)
                .map(|x| x.available)
                .unwrap_or(0)
        })
    };
    // Run `f` with the form's view of the market (None before Ready).
    let with_market = move |f: &mut dyn FnMut(&Market<'_>)| {
        let ins = store.sub.with(|s| s.instrument);
        let grouped = store.sub.with(|s| s.grouping_ticks > 1);
        store.ticker.track();
        let last = store.view.with_value(|v| v.last);
        let halted = store.halted.get();
        store.mirror_seq.track();
        store.venue.with(|v| {
            let Some(v) = v.as_ref() else { return };
            let i = ins as usize;
            let rules = &v.rules[i];
            let spec = &v.config.instruments[i];
            let reference = if last > 0 {
                last
            } else {
                rules.reference_ticks
            };
            store.view.with_value(|view| {
                let m = Market {
                    instrument: ins,
                    spec,
                    rules,
                    fmt: &v.fmts[i],
                    quote_decimals: v.config.assets[spec.quote as usize].decimals,
                    reference,
                    available_quote: available(rules.quote),
                    available_base: available(rules.base),
                    bids: &view.depth.bids,
                    asks: &view.depth.asks,
                    grouped,
                    halted,
                };
                f(&m);
            });
        });
    };
    let preview = move || {
        let i = input();
        let mut out = String::new();
        with_market(&mut |m| {
            if let Ok(c) = check(&i, m) {
                let f = m.fmt;
                out = format!(
                    "Value ≈ {} {q} · fee ≤ {} {q} (taker {}.{} %)",
                    f.quote_display(c.notional),
                    crate::format::trimmed(c.fee, f.quote_decimals),
                    m.rules.taker_fee_ppm / 10_000,
                    (m.rules.taker_fee_ppm % 10_000) / 1000,
                    q = f.quote
                );
            }
        });
        out
    };
    // The immediate fill a market order (or a limit crossing the spread) would get now.
    let estimate_text = move || {
        let i = input();
        let mut out = String::new();
        with_market(&mut |m| {
            let Ok(c) = check(&i, m) else { return };
            let f = m.fmt;
            let levels = if i.side == Side::Buy { m.asks } else { m.bids };
            let limit = match i.order_type {
                OrderType::Limit => typed_ticks(&i.price, m.spec).map(|p| (i.side, p)),
                OrderType::Market => None,
                _ => return,
            };
            let lots = (c.lots > 0).then_some(c.lots);
            let budget = (c.lots == 0).then_some(c.notional);
            let Some(e) = estimate(levels, lots, budget, limit, m.rules) else {
                if i.order_type == OrderType::Market {
                    out = format!(
                        "Nothing to trade against: no {} in the book",
                        if i.side == Side::Buy { "asks" } else { "bids" }
                    );
                }
                return;
            };
            let avg = e
                .avg_centiticks(m.rules)
                .map(|c| crate::format::fixed(c * f.tick_mantissa(), f.price_places + 2))
                .unwrap_or_default();
            let slip = e.slippage_tenth_bps(m.rules).unwrap_or(0);
            let part = if i.order_type == OrderType::Limit {
                "Fills at once"
            } else {
                "Estimate"
            };
            let grouped = if m.grouped {
                " (grouped book: approximate)"
            } else {
                ""
            };
            out = format!(
                "{part}: {} {} at avg {} over {} level{}, slippage {}.{} bps vs best {}{}{grouped}",
                f.qty(e.lots),
                f.base,
                avg,
                e.levels,
                if e.levels == 1 { "" } else { "s" },
                slip / 10,
                slip % 10,
                f.price(e.best),
                if e.exhausted {
                    " · more than the visible book holds".to_string()
                } else {
                    String::new()
                },
            );
        });
        out
    };
    let submit = move || {
        let i = input();
        let mut result: Option<Result<OrderIntent, String>> = None;
        with_market(&mut |m| {
            result = Some(match check(&i, m) {
                Ok(c) => {
                    let f = m.fmt;
                    let sym = |a: u32| {
                        store.venue.with_untracked(|v| {
                            v.as_ref()
                                .map(|v| {
                                    (
                                        v.config.assets[a as usize].symbol.clone(),
                                        v.config.assets[a as usize].decimals,
                                    )
                                })
                                .unwrap_or_default()
                        })
                    };
                    let side_asset = if i.side == Side::Buy {
                        m.rules.quote
                    } else {
                        m.rules.base
                    };
                    let (asym, adec) = sym(side_asset);
                    let avail = if i.side == Side::Buy {
                        m.available_quote
                    } else {
                        m.available_base
                    };
                    let opposite = if i.side == Side::Buy { m.asks } else { m.bids };
                    Ok(OrderIntent {
                        summary: summary(&i, &c, f),
                        symbol: m.spec.symbol.clone(),
                        needed: c.reserve.map(|(a, u)| {
                            let (s, d) = sym(a);
                            (s, u, d)
                        }),
                        available: (asym, avail, adec),
                        opposite_best: opposite.first().map(|r| f.price(r.price)),
                        last_price: f.price(m.reference),
                        request: c.request,
                    })
                }
                Err(e) => Err(format!("Not sent: {e}")),
            });
        });
        match result {
            Some(Ok(intent)) => {
                let summary = intent.summary.clone();
                let seq = Api.place_order(intent);
                store.order_sent(seq, &summary);
                form_error.set(None);
            }
            Some(Err(e)) => form_error.set(Some(e)),
            None => form_error.set(Some("Not connected to the exchange yet".into())),
        }
    };
    let apply_pct = move |p: u32| {
        let ins = store.sub.with_untracked(|s| s.instrument) as usize;
        let s = side.get_untracked();
        let Some((rules, spec, fmt)) = store.venue.with_untracked(|v| {
            v.as_ref().map(|v| {
                (
                    v.rules[ins],
                    v.config.instruments[ins].clone(),
                    v.fmts[ins].clone(),
                )
            })
        }) else {
            return;
        };
        let asset = if s == Side::Buy {
            rules.quote
        } else {
            rules.base
        };
        let avail = store.balances.with_untracked(|b| {
            b.iter()
                .find(|b| b.asset == asset)
                .map(|b| b.available)
                .unwrap_or(0)
        });
        if s == Side::Buy
            && by_quote.get_untracked()
            && order_type.get_untracked() == OrderType::Market
        {
            // The amount to spend, leaving room for the taker fee.
            let budget = (avail as u128 * p as u128 / 100) as u64;
            let spend = rules.max_quote_spend(budget) as u128;
            let step = 10u128.pow(fmt.quote_decimals - fmt.price_places);
            total.set(fmt.quote_display((spend / step * step) as i128));
            return;
        }
        let last = store.view.with_value(|v| v.last);
        let reference = if last > 0 {
            last
        } else {
            rules.reference_ticks
        };
        let price = match order_type.get_untracked() {
            OrderType::Limit | OrderType::StopLimit => {
                typed_ticks(&store.form_price.get_untracked(), &spec).unwrap_or(reference)
            }
            _ => reference,
        };
        let lots = lots_for_percent(s, p, avail, price, &rules);
        quantity.set(fmt.qty(lots));
    };
    let needs_price = move || matches!(order_type.get(), OrderType::Limit | OrderType::StopLimit);
    let needs_stop = move || {
        matches!(
            order_type.get(),
            OrderType::StopLimit | OrderType::StopMarket
        )
    };
    let market_buy = move || order_type.get() == OrderType::Market && side.get() == Side::Buy;
    let show_total = move || market_buy() && by_quote.get();
    let quote_sym = move || fmt.with(|f| f.as_ref().map(|f| f.quote.clone()).unwrap_or_default());
    let base_sym = move || fmt.with(|f| f.as_ref().map(|f| f.base.clone()).unwrap_or_default());
    let available_text = move || {
        let Some(f) = fmt.get() else {
            return String::new();
        };
        let ins = store.sub.with(|s| s.instrument) as usize;
        let (base, quote) = store
            .venue
            .with(|v| v.as_ref().map(|v| (v.rules[ins].base, v.rules[ins].quote)))
            .unwrap_or((0, 0));
        if side.get() == Side::Buy {
            format!(
                "of your available {} {}",
                f.quote_display(available(quote) as i128),
                f.quote
            )
        } else {
            format!(
                "of your available {} {}",
                f.base_display(available(base) as i128),
                f.base
            )
        }
    };
    let halted_reason = move || {
        store.halted.get().then(|| {
            let sym = store.sub.with(|s| store.symbol(s.instrument));
            format!("Trading in {sym} is halted: Buy and Sell are off until it resumes. Cancels still work.")
        })
    };
    let outcome = move || {
        if let Some(e) = form_error.get() {
            return (false, e);
        }
        store
            .outcome
            .get()
            .map(|o| (o.ok, o.text))
            .unwrap_or((true, String::new()))
    };
    let button_text = move || {
        format!(
            "{} {}",
            if side.get() == Side::Buy {
                "Buy"
            } else {
                "Sell"
            },
            base_sym()
        )
    };
    let stp_options = [
        (StpMode::ExpireMaker, "Expire maker (default)"),
        (StpMode::ExpireTaker, "Expire taker"),
        (StpMode::ExpireBoth, "Expire both"),
        (StpMode::None, "None (allow self-trades)"),
    ];
    view! {
        <div class="panel-head">
            <h2>"Place order"</h2>
            <div class="side-toggle" role="radiogroup" aria-label="Side">
                <label class="side buy" class:on=move || side.get() == Side::Buy>
                    <input type="radio" name="side" value="buy" prop:checked=move || side.get() == Side::Buy
                        on:change=move |_| side.set(Side::Buy) />
                    "Buy"
                </label>
                <label class="side sell" class:on=move || side.get() == Side::Sell>
                    <input type="radio" name="side" value="sell" prop:checked=move || side.get() == Side::Sell
                        on:change=move |_| side.set(Side::Sell) />
                    "Sell"
                </label>
            </div>
        </div>
        // Enter sends the form; while halted the button is disabled (no implicit submission), so
        // Enter is caught here to say why nothing was sent.
        <form class="entry" on:submit=move |ev| { ev.prevent_default(); submit(); }
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Enter" && store.halted.get_untracked() {
                    ev.prevent_default();
                    submit();
                }
            }>
            <div class="row">
                <label title="Limit: at your price or better. Market: now, at the best prices available. Stop: waits until the last trade price reaches the stop price, then works as a limit or market order.">
                    "Type "
                    <select aria-label="Type" on:change=move |ev| order_type.set(match event_target_value(&ev).as_str() {
                        "MARKET" => OrderType::Market,
                        "STOP_LIMIT" => OrderType::StopLimit,
                        "STOP_MARKET" => OrderType::StopMarket,
                        _ => OrderType::Limit,
                    })>
                        <option value="LIMIT" selected>"Limit"</option>
                        <option value="MARKET">"Market"</option>
                        <option value="STOP_LIMIT">"Stop limit"</option>
                        <option value="STOP_MARKET">"Stop market"</option>
                    </select>
                </label>
                <label title="GTC: rests until filled or cancelled. IOC (immediate or cancel): fills what it can now, the rest is cancelled. FOK (fill or kill): fills entirely now or not at all.">
                    "Time in force "
                    <select aria-label="Time in force" disabled=move || !needs_price() on:change=move |ev| {
                        let t = match event_target_value(&ev).as_str() {
                            "IOC" => TimeInForce::Ioc,
                            "FOK" => TimeInForce::Fok,
                            _ => TimeInForce::Gtc,
                        };
                        tif.set(t);
                        if t != TimeInForce::Gtc { post_only.set(false); }
                    }>
                        <option value="GTC" selected>"GTC"</option>
                        <option value="IOC">"IOC"</option>
                        <option value="FOK">"FOK"</option>
                    </select>
                </label>
            </div>
            <div class="row">
                <label class="check" title="Post-only: the order must rest on the book as a maker; if it would trade at once it is rejected instead">
                    <input type="checkbox" prop:checked=post_only
                        disabled=move || order_type.get() != OrderType::Limit || tif.get() != TimeInForce::Gtc
                        on:change=move |ev| post_only.set(event_target_checked(&ev)) />
                    " Post-only"
                </label>
                <label title="Self-trade prevention: what happens when this order would trade with another order of yours. Expire maker cancels your resting order (Binance's default).">
                    "Self-trade "
                    <select aria-label="Self-trade prevention" on:change=move |ev| stp.set(match event_target_value(&ev).as_str() {
                        "EXPIRE_TAKER" => StpMode::ExpireTaker,
                        "EXPIRE_BOTH" => StpMode::ExpireBoth,
                        "NONE" => StpMode::None,
                        _ => StpMode::ExpireMaker,
                    })>
                        {stp_options.into_iter().map(|(m, text)| view! {
                            <option value=wire_name(&m) selected=m == crate::form::DEFAULT_STP>{text}</option>
                        }).collect_view()}
                    </select>
                </label>
            </div>
            <label class="field" class:hidden=move || !needs_stop()>
                <span title="The order waits until the last trade price reaches this price">"Stop price"</span>
                <DecimalInput value=stop label="Stop price" />
                <span class="unit">{quote_sym}</span>
            </label>
            <label class="field" class:hidden=move || !needs_price()>
                <span>"Price"</span>
                <DecimalInput value=store.form_price label="Price" />
                <span class="unit">{quote_sym}</span>
            </label>
            <div class="row" class:hidden=move || !market_buy()>
                <span class="muted">"Size by "</span>
                <label class="check"><input type="radio" name="by" prop:checked=move || !by_quote.get()
                    on:change=move |_| by_quote.set(false) />" quantity"</label>
                <label class="check"><input type="radio" name="by" prop:checked=move || by_quote.get()
                    on:change=move |_| by_quote.set(true) />" amount to spend"</label>
            </div>
            <label class="field" class:hidden=show_total>
                <span>"Quantity"</span>
                <DecimalInput value=quantity label="Quantity" />
                <span class="unit">{base_sym}</span>
            </label>
            <label class="field" class:hidden=move || !show_total()>
                <span title="Market buy by amount: spend this much (before the fee)">"Total"</span>
                <DecimalInput value=total label="Total" />
                <span class="unit">{quote_sym}</span>
            </label>
            <div class="row pct" role="group" aria-label="Size as a share of your available balance">
                <span class="muted">"Size"</span>
                {[25u32, 50, 75, 100].into_iter().map(|p| view! {
                    <button type="button" class="small" on:click=move |_| apply_pct(p)
                        aria-label=move || format!("{p}% {}", available_text())>{format!("{p}%")}</button>
                }).collect_view()}
            </div>
            <p class="hint avail">{available_text}</p>
            <label class="field">
                <span title="Your own number for this order (optional): shown in reports and usable to cancel it">"Client id"</span>
                <input type="text" inputmode="numeric" autocomplete="off" aria-label="Client order id" placeholder="optional"
                    prop:value=cid on:input=move |ev| cid.set(event_target_value(&ev)) />
                <span class="unit"></span>
            </label>
            <p class="hint">{preview}</p>
            <p class="hint">{estimate_text}</p>
            <p class="halt-reason" role="status" class:hidden=move || halted_reason().is_none()>{move || halted_reason().unwrap_or_default()}</p>
            <button type="submit" class=move || if side.get() == Side::Buy { "submit buy" } else { "submit sell" }
                disabled=move || store.halted.get()>{button_text}</button>
            <p class=move || if outcome().0 { "outcome" } else { "outcome error" } role="status" aria-live="polite"
                aria-label="Order outcome">{move || outcome().1}</p>
        </form>
    }
}
