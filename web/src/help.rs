//! The help overlay: what the terms mean and how to use the terminal. Shown on the first visit
//! (until dismissed with "Got it", remembered in the browser's local storage) and from the "?"
//! button; Escape closes it.

use crate::browser::{store, stored};
use leptos::prelude::*;

/// Local storage key remembering that the help was dismissed for good.
pub const DISMISSED_KEY: &str = "bourse.help.dismissed";

thread_local! {
    static OPEN: std::cell::Cell<Option<RwSignal<bool>>> = const { std::cell::Cell::new(None) };
}

/// Open the help overlay.
pub fn open_help() {
    if let Some(s) = OPEN.with(|o| o.get()) {
        s.set(true);
    }
}

/// The introduction when the market runs in the tab.
const LOCAL_INTRO: &str = "A simulated market trades in this tab: market makers, noise traders, momentum and value traders, all in WebAssembly. You have 100,000 USDT, 2 BTC and 40 ETH to trade with. Click a price in the order book to use it, type a quantity, press Buy or Sell (or Enter). Nothing leaves your browser.";

/// The introduction on a shared server.
const SHARED_INTRO: &str = "This market runs on a shared server: everyone connected trades in the same order book, with simulated market makers, noise traders, momentum and value traders. Your guest account holds what the server's faucet gave it. Click a price in the order book to use it, type a quantity, press Buy or Sell (or Enter). Only the server's admin can pause, change the speed or reset the market.";

/// The glossary: (term, meaning).
pub const GLOSSARY: &[(&str, &str)] = &[
    ("Bid / ask", "A bid is an order to buy, an ask (offer) an order to sell. The highest bid and the lowest ask are the best prices; the order book lists all of them."),
    ("Spread", "Best ask minus best bid: what an immediate round trip costs. Shown in the quote asset, in ticks and in basis points (1 bp = 0.01 %) of the mid."),
    ("Tick / lot", "The tick size is the smallest price step (0.01 USDT); the lot size the smallest quantity step (0.00001 BTC). Values off the grid are refused, never rounded."),
    ("Queue", "Orders at one price wait in time priority (first come, first filled). \"Ahead of you\" is the quantity that fills before your order. A smaller quantity keeps your place; any other change sends you to the back."),
    ("Maker / taker", "A maker's order rested in the book; a taker's order arrived and traded against it. Makers usually pay a lower fee."),
    ("IOC / FOK / post-only", "Immediate or cancel: fill what you can now, cancel the rest. Fill or kill: all now or nothing. Post-only: rest as a maker, or be rejected if it would trade at once."),
    ("Stop order", "Waits until the last trade price reaches its stop price, then works as a limit or market order."),
    ("Self-trade prevention", "Stops your orders trading with each other: expire maker cancels your resting order, expire taker the incoming one."),
    ("Halt", "Trading in an instrument is stopped: new orders are refused, cancels still work."),
    ("Digest", "A fingerprint of every event so far. The same scenario, seed and actions always give the same digest, in any browser."),
];

/// The overlay.
#[component]
pub fn Help() -> impl IntoView {
    let open = RwSignal::new(stored(DISMISSED_KEY).is_none());
    OPEN.with(|o| o.set(Some(open)));
    let close = move || {
        store(DISMISSED_KEY, "1");
        open.set(false);
    };
    let button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if open.get() {
            if let Some(b) = button.get() {
                let _ = b.focus();
            }
        }
    });
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            close();
        }
    };
    view! {
        <Show when=move || open.get()>
            <div class="help-backdrop" on:click=move |_| close()></div>
            <div class="help" role="dialog" aria-modal="true" aria-label="Help" on:keydown=on_key>
                <h2>"Bourse: a live exchange in your browser"</h2>
                <p>{if crate::startup::server_url().is_some() { SHARED_INTRO } else { LOCAL_INTRO }}</p>
                <dl>
                    {GLOSSARY.iter().map(|(t, d)| view! { <dt>{*t}</dt><dd>{*d}</dd> }).collect_view()}
                </dl>
                <button class="primary" node_ref=button on:click=move |_| close()>"Got it"</button>
            </div>
        </Show>
    }
}
