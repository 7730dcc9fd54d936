//! The top bar: the ticker (instrument, last price, 24h statistics, HALTED badge), the simulation
//! bar (play/pause, step, speed, scenario, seed, reset, clock, events, sequence number, digest) and
//! the scenario line (the chosen scenario's description, what its script does next and when).

use crate::actions::select_instrument;
use crate::api::Api;
use crate::format::{hex64, hms, span};
use crate::startup::WARMUP_NS;
use crate::store::{Store, ToastKind};
use bourse_protocol::{SimControl, Speed};
use leptos::prelude::*;

/// Symbol, last price, 24h statistics, halted badge.
#[component]
pub fn TickerBar() -> impl IntoView {
    let store = expect_context::<Store>();
    let fmt = Memo::new(move |_| store.fmt());
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
    let change_class = move || match store.ticker.with(|t| t.change_bps).signum() {
        1 => "stat-fixed box w-change up",
        -1 => "stat-fixed box w-change down",
        _ => "stat-fixed box w-change",
    };
    view! {
        <div class="ticker" aria-label="Ticker">
            <span class="brand">"Bourse"</span>
            <select class="symbol" aria-label="Instrument" prop:value=move || store.sub.with(|s| s.instrument.to_string())
                on:change=move |ev| {
                    if let Ok(i) = event_target_value(&ev).parse::<u32>() {
                        select_instrument(store, i);
                    }
                }>
                <For each=instruments key=|x| x.0 let:x>
                    <option value=x.0.to_string()>{x.1.clone()}</option>
                </For>
            </select>
            <span class="last box" aria-label="Last price" title="Price of the last trade">{move || price(store.ticker.with(|t| t.last))}</span>
            <span class=change_class aria-label="24h change">{change}</span>
            <span class="stat">"24h high " <span class="v box w-price">{move || price(store.ticker.with(|t| t.high))}</span></span>
            <span class="stat">"24h low " <span class="v box w-price">{move || price(store.ticker.with(|t| t.low))}</span></span>
            <span class="stat">
                "24h vol "
                <span class="v box w-vol">{move || fmt.with(|f| f.as_ref().map(|f| f.qty(store.ticker.with(|t| t.volume))).unwrap_or_default())}</span>
            </span>
            <Show when=move || store.halted.get()>
                <span class="badge halted" role="status" title="Trading is halted: new orders are refused, cancels still work">"HALTED"</span>
            </Show>
        </div>
    }
}

/// Play/pause/step/speed, scenario and seed, clock, sequence numbers and digest.
#[component]
pub fn SimBar(
    /// The scenario picked in the select (its description shows in the scenario line).
    scenario_pick: RwSignal<String>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let step_count = RwSignal::new("10".to_string());
    let seed_input = RwSignal::new(String::new());
    // Keep the inputs in step with the running simulation (only on reset: through a memo).
    let identity = Memo::new(move |_| store.sim.with(|s| (s.scenario.clone(), s.seed)));
    Effect::new(move |_| {
        let (scenario, seed) = identity.get();
        if !scenario.is_empty() {
            seed_input.set(seed.to_string());
            scenario_pick.set(scenario);
        }
    });
    let playing_memo = Memo::new(move |_| store.sim.with(|s| s.playing));
    let playing = move || playing_memo.get();
    let toggle = move |_| {
        Api.sim(if playing() {
            SimControl::Pause
        } else {
            SimControl::Play
        });
    };
    let step = move |_| match step_count.get_untracked().trim().parse::<u32>() {
        Ok(n) if n > 0 => {
            Api.sim(SimControl::Step { steps: n });
        }
        _ => store.toast(
            ToastKind::Error,
            "Step count: enter a whole number of simulation steps, at least 1".into(),
        ),
    };
    let set_speed = move |ev| {
        let speed = crate::startup::speed_of(&event_target_value(&ev)).unwrap_or(Speed::X1);
        crate::startup::choose_speed(speed);
    };
    let reset = move |_| {
        let scenario = scenario_pick.get_untracked();
        match seed_input.get_untracked().trim().parse::<u64>() {
            Ok(seed) => {
                Api.sim(SimControl::Reset {
                    scenario,
                    seed,
                    warmup_ns: WARMUP_NS,
                });
            }
            Err(_) => store.toast(
                ToastKind::Error,
                "Seed: enter a whole number (0 to 18446744073709551615)".into(),
            ),
        }
    };
    let speed = Memo::new(move |_| store.sim.with(|s| s.speed));
    let speed_value = move || crate::startup::speed_name(speed.get());
    let scenarios = move || {
        store.venue.with(|v| {
            v.as_ref()
                .map(|v| {
                    v.scenarios
                        .iter()
                        .map(|s| s.name.clone())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    // On a shared server only the admin controls the simulation; others see its state.
    let locked = move || {
        store
            .session
            .with(|s| s.as_ref().is_some_and(|s| !s.can_control))
    };
    let shared = move || store.session.with(|s| s.is_some());
    let who = move || {
        store.session.with(|s| {
            s.as_ref()
                .map(|s| {
                    format!(
                        "{} · account {}{}",
                        s.name,
                        s.account,
                        if s.can_control { " · admin" } else { "" }
                    )
                })
                .unwrap_or_default()
        })
    };
    view! {
        <div class="simbar" role="group" aria-label="Simulation">
            <Show when=shared>
                <span class="stat session" aria-label="Signed in as" title="A shared market on a server: your account is kept in this browser, so a reload keeps it">{who}</span>
            </Show>
            <fieldset class="controls" disabled=locked title=move || if locked() { "Shared market: only the server's admin controls the simulation" } else { "" }>
            <button on:click=toggle aria-label=move || if playing() { "Pause" } else { "Play" }>
                {move || if playing() { "❚❚ Pause" } else { "▶ Play" }}
            </button>
            <label title="While paused: run exactly this many simulation steps (one step: one participant wakes up, or one scripted action)">
                "Step "
                <input class="narrow" type="text" inputmode="numeric" aria-label="Step count" prop:value=step_count
                    on:input=move |ev| step_count.set(event_target_value(&ev)) />
            </label>
            <button on:click=step disabled=playing>"Step"</button>
            <label>
                "Speed "
                <select aria-label="Speed" on:change=set_speed prop:value=speed_value>
                    <option value="1x">"1×"</option>
                    <option value="10x">"10×"</option>
                    <option value="100x">"100×"</option>
                    <option value="max">"max"</option>
                </select>
            </label>
            <label>
                "Scenario "
                <select aria-label="Scenario" prop:value=scenario_pick on:change=move |ev| scenario_pick.set(event_target_value(&ev))>
                    <For each=scenarios key=|s| s.clone() let:s>
                        <option value=s.clone()>{s.clone()}</option>
                    </For>
                </select>
            </label>
            <label title="The market is a pure function of scenario and seed: the same pair gives the same market">
                "Seed "
                <input class="seed" type="text" inputmode="numeric" aria-label="Seed" prop:value=seed_input
                    on:input=move |ev| seed_input.set(event_target_value(&ev)) />
            </label>
            <button on:click=reset title=move || if crate::startup::server_url().is_some() {
                "Start a new round of the shared market: every open order is cancelled and every account gets back what it was opened with (admin only)"
            } else {
                "Start the chosen scenario again from the seed (15 virtual minutes of warm-up, then handed to you)"
            }>"Reset"</button>
            </fieldset>
            <span class="stat clock" aria-label="Simulation clock" title="Virtual time (UTC)">{move || hms(store.readouts.with(|r| r.clock_ns))} " UTC"</span>
            <span class="stat" title="Simulation steps run (participant wake-ups and scripted actions; the exchange events they caused are counted by seq)">"steps " <output class="fixed-w" aria-label="Simulation steps">{move || store.readouts.with(|r| r.steps)}</output></span>
            <span class="stat" title="The sequencer's last output sequence number">"seq " <output class="fixed-w" aria-label="Sequence number">{move || store.readouts.with(|r| r.output_seq)}</output></span>
            <span class="stat" title="Digest: a fingerprint of every event so far. Two runs with the same scenario, seed and actions have the same digest.">"digest " <output class="mono fixed-w" aria-label="Digest">{move || hex64(store.readouts.with(|r| r.digest))}</output></span>
            <button class="small" on:click=move |_| crate::lesson::open_list() title="Lessons: tasks the exchange checks">"Lessons"</button>
            <button class="small" on:click=move |_| crate::help::open_help() aria-label="Help" title="What the terms mean">"?"</button>
        </div>
    }
}

/// The scenario line: the chosen scenario's description and the running one's next scripted
/// events with a countdown in virtual time.
#[component]
pub fn ScenarioLine(
    /// The scenario picked in the simulation bar.
    scenario_pick: RwSignal<String>,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let description = move || {
        let pick = scenario_pick.get();
        store.venue.with(|v| {
            v.as_ref()
                .and_then(|v| v.scenarios.iter().find(|s| s.name == pick))
                .map(|s| s.description.clone())
                .unwrap_or_default()
        })
    };
    let running = move || store.sim.with(|s| s.scenario.clone());
    let pending = move || scenario_pick.get() != running() && !running().is_empty();
    let next = move || {
        let now = store.readouts.with(|r| r.clock_ns);
        store.venue.with(|v| {
            let Some(v) = v else { return String::new() };
            let upcoming: Vec<String> = v
                .market
                .script
                .iter()
                .filter(|s| s.at_ns > now)
                .take(2)
                .map(|s| format!("{} in {}", s.text, span(s.at_ns as i128 - now as i128)))
                .collect();
            if v.market.script.is_empty() {
                "No scripted events".into()
            } else if upcoming.is_empty() {
                "Every scripted event has happened".into()
            } else {
                format!("Next: {}", upcoming.join(" · "))
            }
        })
    };
    view! {
        <p class="scenario-line" aria-label="Scenario description">
            <strong>{move || scenario_pick.get()}</strong>
            {move || if pending() { " (chosen; press Reset to start it)" } else { "" }}
            " — " {description}
            <span class="next" aria-label="Scripted events">{move || if pending() { String::new() } else { format!(" {}", next()) }}</span>
        </p>
    }
}
