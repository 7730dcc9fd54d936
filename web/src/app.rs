//! The terminal's layout, start-up and the small panels (ticker, simulation bar, notices). The
//! market panels live in [`crate::panels`], the tables in [`crate::tables`].

use crate::client::{self, Kind};
use crate::format::{hex64, hms};
use crate::panels::{CandlePanel, DepthChart, L3View, Ladder, OrderEntry, Tape};
use crate::store::Store;
use crate::tables::Tables;
use bourse_protocol::{ClientMessage, SimControl, Speed};
use leptos::prelude::*;

/// Scenario used when the URL names none.
pub const DEFAULT_SCENARIO: &str = "calm";

/// Virtual time a fresh market runs at once before the page shows it (a `FastForward` after
/// every `Ready`), so the chart has history and the book has settled when the human arrives:
/// 15 minutes, ns. Deterministic: the same scenario and seed give the same market.
pub const WARMUP_NS: u64 = 15 * 60 * 1_000_000_000;

thread_local! {
    /// True once the URL's scenario and seed were applied (the first `Ready` only).
    static URL_APPLIED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `scenario` and `seed` from the page's query string (`?scenario=calm&seed=42`).
fn url_params() -> (Option<String>, Option<u64>) {
    let Some(search) = web_sys::window().and_then(|w| w.location().search().ok()) else {
        return (None, None);
    };
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else {
        return (None, None);
    };
    (
        params.get("scenario"),
        params.get("seed").and_then(|s| s.parse().ok()),
    )
}

/// Put `scenario` and `seed` in the address bar (no reload) so the link reproduces the market.
pub fn write_url(scenario: &str, seed: u64) {
    let Some(w) = web_sys::window() else { return };
    let path = w.location().pathname().unwrap_or_default();
    let url = format!("{path}?scenario={scenario}&seed={seed}");
    if let Ok(h) = w.history() {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// Called on every `Ready`: the first one applies the URL (a `Reset` if it differs, which brings
/// another `Ready`); then run [`WARMUP_NS`] of the market at once, subscribe, load candle history
/// and play.
pub fn on_ready(store: Store) {
    if !URL_APPLIED.with(|a| a.replace(true)) {
        let (scenario, seed) = url_params();
        let known = store
            .venue
            .with_untracked(|v| v.as_ref().map(|v| v.scenarios.clone()).unwrap_or_default());
        let scenario = scenario
            .filter(|s| known.contains(s))
            .unwrap_or_else(|| DEFAULT_SCENARIO.to_string());
        let seed = seed.unwrap_or_else(|| (js_sys::Math::random() * 1e9) as u64 + 1);
        write_url(&scenario, seed);
        let now = store.sim.get_untracked();
        if now.scenario != scenario || now.seed != seed {
            client::send(
                ClientMessage::Sim(SimControl::Reset { scenario, seed }),
                Kind::Other,
            );
            return;
        }
    }
    let sim = store.sim.get_untracked();
    write_url(&sim.scenario, sim.seed);
    client::send(
        ClientMessage::Sim(SimControl::FastForward {
            virtual_ns: WARMUP_NS,
        }),
        Kind::Other,
    );
    store.resubscribe();
    client::send(ClientMessage::Sim(SimControl::Play), Kind::Other);
}

fn raf_loop() {
    request_animation_frame(|| {
        client::on_animation_frame();
        raf_loop();
    });
}

/// The whole terminal.
#[component]
pub fn App() -> impl IntoView {
    let store = Store::new();
    provide_context(store);
    client::connect(store);
    raf_loop();
    view! {
        <div class="app">
            <header class="topbar">
                <TickerBar />
                <SimBar />
            </header>
            <Show when=move || store.fatal_error.with(|e| e.is_some())>
                <p class="fatal" role="alert">{move || store.fatal_error.get().unwrap_or_default()}</p>
            </Show>
            <main class="grid">
                <section class="panel p-book" aria-label="Order book panel"><Ladder /></section>
                <section class="panel p-chart" aria-label="Chart panel"><CandlePanel /></section>
                <section class="panel p-entry" aria-label="Order entry panel"><OrderEntry /></section>
                <section class="panel p-tape" aria-label="Trades panel"><Tape /></section>
                <section class="panel p-depth" aria-label="Depth panel"><DepthChart /></section>
                <section class="panel p-l3" aria-label="Queue panel"><L3View /></section>
                <section class="panel p-tables" aria-label="Account panel"><Tables /></section>
            </main>
        </div>
    }
}

/// Symbol, last price, 24h statistics, halted badge.
#[component]
fn TickerBar() -> impl IntoView {
    let store = expect_context::<Store>();
    let fmt = Memo::new(move |_| store.fmt());
    let symbol = move || {
        let i = store.sub.with(|s| s.instrument as usize);
        store.venue.with(|v| {
            v.as_ref()
                .and_then(|v| v.config.instruments.get(i))
                .map(|s| s.symbol.clone())
                .unwrap_or_else(|| "connecting…".into())
        })
    };
    let instruments = move || {
        store.venue.with(|v| {
            v.as_ref()
                .map(|v| {
                    v.config
                        .instruments
                        .iter()
                        .enumerate()
                        .map(|(i, s)| (i as u32, s.symbol.clone()))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    let price = move |ticks: i64| {
        fmt.with(|f| {
            f.as_ref()
                .map(|f| {
                    if ticks == 0 {
                        "—".into()
                    } else {
                        f.price(ticks)
                    }
                })
                .unwrap_or_default()
        })
    };
    let change = move || {
        let t = store.ticker.get();
        let sign = if t.change_bps > 0 { "+" } else { "" };
        let arrow = match t.change_bps.signum() {
            1 => "▲",
            -1 => "▼",
            _ => "",
        };
        format!(
            "{arrow} {sign}{}.{:02}%",
            t.change_bps / 100,
            (t.change_bps % 100).abs()
        )
    };
    let change_class = move || {
        let c = store.ticker.with(|t| t.change_bps);
        if c > 0 {
            "up"
        } else if c < 0 {
            "down"
        } else {
            ""
        }
    };
    view! {
        <div class="ticker" aria-label="Ticker">
            <span class="brand">"Bourse"</span>
            <Show when=move || store.venue.with(|v| v.is_some()) fallback=move || view! { <strong class="symbol">{symbol}</strong> }>
                <select class="symbol" aria-label="Instrument" prop:value=move || store.sub.with(|s| s.instrument.to_string())
                    on:change=move |ev| {
                        if let Ok(i) = event_target_value(&ev).parse::<u32>() {
                            store.set_instrument(i);
                        }
                    }>
                    <For each=instruments key=|x| x.0 let:x>
                        <option value=x.0.to_string()>{x.1.clone()}</option>
                    </For>
                </select>
            </Show>
            <span class="last" aria-label="Last price">{move || price(store.ticker.with(|t| t.last))}</span>
            <span class=change_class aria-label="24h change">{change}</span>
            <span class="stat">"24h high " {move || price(store.ticker.with(|t| t.high))}</span>
            <span class="stat">"24h low " {move || price(store.ticker.with(|t| t.low))}</span>
            <span class="stat">
                "24h vol "
                {move || fmt.with(|f| f.as_ref().map(|f| f.qty(store.ticker.with(|t| t.volume))).unwrap_or_default())}
            </span>
            <Show when=move || store.halted.get()>
                <span class="badge halted" role="status">"HALTED"</span>
            </Show>
        </div>
    }
}

/// Play/pause/step/speed, scenario and seed, clock, sequence numbers and digest.
#[component]
fn SimBar() -> impl IntoView {
    let store = expect_context::<Store>();
    let step_events = RwSignal::new("10".to_string());
    let seed_input = RwSignal::new(String::new());
    let scenario_input = RwSignal::new(String::new());
    // Keep the inputs in step with the running simulation.
    // (Through memos: the sim state changes every frame, the scenario and seed only on reset.)
    let identity = Memo::new(move |_| store.sim.with(|s| (s.scenario.clone(), s.seed)));
    Effect::new(move |_| {
        let (scenario, seed) = identity.get();
        if !scenario.is_empty() {
            seed_input.set(seed.to_string());
            scenario_input.set(scenario);
        }
    });
    let playing_memo = Memo::new(move |_| store.sim.with(|s| s.playing));
    let playing = move || playing_memo.get();
    let toggle = move |_| {
        let c = if playing() {
            SimControl::Pause
        } else {
            SimControl::Play
        };
        client::send(ClientMessage::Sim(c), Kind::Other);
    };
    let step = move |_| match step_events.get_untracked().trim().parse::<u32>() {
        Ok(n) if n > 0 => {
            client::send(
                ClientMessage::Sim(SimControl::Step { events: n }),
                Kind::Other,
            );
        }
        _ => store.notify("Step events: enter a whole number ≥ 1".into(), true),
    };
    let set_speed = move |ev| {
        let speed = match event_target_value(&ev).as_str() {
            "10x" => Speed::X10,
            "100x" => Speed::X100,
            "max" => Speed::Max,
            _ => Speed::X1,
        };
        client::send(ClientMessage::Sim(SimControl::Speed(speed)), Kind::Other);
    };
    let reset = move |_| {
        let scenario = scenario_input.get_untracked();
        match seed_input.get_untracked().trim().parse::<u64>() {
            Ok(seed) => {
                client::send(
                    ClientMessage::Sim(SimControl::Reset { scenario, seed }),
                    Kind::Other,
                );
            }
            Err(_) => store.notify("Seed: enter a whole number".into(), true),
        }
    };
    let speed = Memo::new(move |_| store.sim.with(|s| s.speed));
    let speed_value = move || match speed.get() {
        Speed::X1 => "1x",
        Speed::X10 => "10x",
        Speed::X100 => "100x",
        Speed::Max => "max",
    };
    let scenarios = move || {
        store
            .venue
            .with(|v| v.as_ref().map(|v| v.scenarios.clone()).unwrap_or_default())
    };
    view! {
        <div class="simbar" role="group" aria-label="Simulation">
            <button on:click=toggle aria-label=move || if playing() { "Pause" } else { "Play" }>
                {move || if playing() { "❚❚ Pause" } else { "▶ Play" }}
            </button>
            <label>
                "Step events "
                <input class="narrow" type="number" min="1" step="1" prop:value=step_events
                    on:input=move |ev| step_events.set(event_target_value(&ev)) />
            </label>
            <button on:click=step disabled=playing>"Step"</button>
            <label>
                "Speed "
                <select on:change=set_speed prop:value=speed_value>
                    <option value="1x">"1×"</option>
                    <option value="10x">"10×"</option>
                    <option value="100x">"100×"</option>
                    <option value="max">"max"</option>
                </select>
            </label>
            <label>
                "Scenario "
                <select prop:value=scenario_input on:change=move |ev| scenario_input.set(event_target_value(&ev))>
                    <For each=scenarios key=|s| s.clone() let:s>
                        <option value=s.clone()>{s.clone()}</option>
                    </For>
                </select>
            </label>
            <label>
                "Seed "
                <input class="seed" type="text" inputmode="numeric" prop:value=seed_input
                    on:input=move |ev| seed_input.set(event_target_value(&ev)) />
            </label>
            <button on:click=reset>"Reset"</button>
            <span class="clock" aria-label="Simulation clock">{move || hms(store.clock_ns.get())} " UTC"</span>
            <span class="stat">"events " <output aria-label="Simulation events">{move || store.sim.with(|s| s.sim_events)}</output></span>
            <span class="stat">"seq " <output aria-label="Sequence number">{move || store.output_seq.get()}</output></span>
            <span class="stat">"digest " <output class="mono" aria-label="Digest">{move || hex64(store.digest.get())}</output></span>
        </div>
    }
}
