//! Start-up: what the address asks for (`?scenario=halt&seed=42&instrument=ETH-USDT&interval=1s
//! &speed=10x`), the `Hello` that asks the home for that market (built once, with its warm-up,
//! before the first `Ready`), what to do on every `Ready` (subscribe, load candle history, set the
//! speed, play), keeping the address in step, and the animation-frame loop.

use crate::actions::resubscribe;
use crate::api::Api;
use crate::store::{Store, ToastKind};
use bourse_core::Interval;
use bourse_protocol::{MarketStart, SimControl, Speed};
use leptos::prelude::*;

thread_local! {
    /// The speed the user chose last (from the address at first): every `Ready` (a reset) plays
    /// at it.
    static WANTED_SPEED: std::cell::Cell<Speed> = const { std::cell::Cell::new(Speed::X1) };
}

/// Set the simulation speed and remember it for the next reset.
pub fn choose_speed(speed: Speed) {
    WANTED_SPEED.with(|w| w.set(speed));
    Api.sim(SimControl::Speed(speed));
}

/// Scenario used when the address names none.
pub const DEFAULT_SCENARIO: &str = "calm";

/// Virtual time a fresh market runs at once before it is handed to the user, with the scenario's
/// script delayed as much (see [`MarketStart`]): 15 minutes, ns. The chart has history and the
/// book has settled when the user arrives, and scripted events happen in front of them.
pub const WARMUP_NS: u64 = 15 * 60 * 1_000_000_000;

/// What the address asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UrlState {
    /// Scenario name.
    pub scenario: Option<String>,
    /// Seed.
    pub seed: Option<u64>,
    /// Instrument symbol.
    pub instrument: Option<String>,
    /// Candle interval.
    pub interval: Option<Interval>,
    /// Speed.
    pub speed: Option<Speed>,
    /// Lesson id (`?lesson=queue-priority`): lesson mode.
    pub lesson: Option<String>,
}

/// The speed's URL name (`1x`, `10x`, `100x`, `max`).
pub fn speed_name(s: Speed) -> &'static str {
    match s {
        Speed::X1 => "1x",
        Speed::X10 => "10x",
        Speed::X100 => "100x",
        Speed::Max => "max",
    }
}

/// The speed named `s`.
pub fn speed_of(s: &str) -> Option<Speed> {
    [Speed::X1, Speed::X10, Speed::X100, Speed::Max]
        .into_iter()
        .find(|x| speed_name(*x) == s)
}

/// Parse a query string (`?a=b&c=d`).
pub fn parse_query(search: &str) -> UrlState {
    let mut u = UrlState::default();
    for pair in search.trim_start_matches('?').split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = v.replace('+', " ");
        match k {
            "scenario" if !v.is_empty() => u.scenario = Some(v),
            "seed" => u.seed = v.parse().ok(),
            "instrument" if !v.is_empty() => u.instrument = Some(v),
            "interval" => u.interval = Interval::parse(&v),
            "speed" => u.speed = speed_of(&v),
            "lesson" if !v.is_empty() => u.lesson = Some(v),
            _ => {}
        }
    }
    u
}

/// The query string for a state (keys in a fixed order).
pub fn query_of(
    scenario: &str,
    seed: u64,
    instrument: &str,
    interval: Interval,
    speed: Speed,
) -> String {
    format!(
        "?scenario={scenario}&seed={seed}&instrument={instrument}&interval={}&speed={}",
        interval.label(),
        speed_name(speed)
    )
}

fn read_url() -> UrlState {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .map(|s| parse_query(&s))
        .unwrap_or_default()
}

/// True when this page load is a reload (Navigation Timing `type == "reload"`).
fn is_reload() -> bool {
    let Some(perf) = web_sys::window().and_then(|w| w.performance()) else {
        return false;
    };
    let entries = perf.get_entries_by_type("navigation");
    let first = entries.get(0);
    js_sys::Reflect::get(&first, &"type".into())
        .ok()
        .and_then(|t| t.as_string())
        .is_some_and(|t| t == "reload")
}

/// The server to connect to, if any: `?server=ws://host:port/ws/terminal` in the address, or the
/// `<meta name="bourse-server" content="/ws/terminal">` a `bourse serve` server puts into the page
/// it serves (then on the page's own host, `wss:` under `https:`).
pub fn server_url() -> Option<String> {
    let w = web_sys::window()?;
    let search = w.location().search().ok().unwrap_or_default();
    for pair in search.trim_start_matches('?').split('&') {
        if let Some(v) = pair.strip_prefix("server=") {
            let v = js_sys::decode_uri_component(v).ok()?.as_string()?;
            if !v.is_empty() {
                return Some(v);
            }
        }
    }
    let meta = w
        .document()?
        .query_selector("meta[name=bourse-server]")
        .ok()??;
    let path = meta.get_attribute("content")?;
    let secure = w.location().protocol().ok()? == "https:";
    let host = w.location().host().ok()?;
    Some(format!(
        "{}://{host}{path}",
        if secure { "wss" } else { "ws" }
    ))
}

/// A query parameter of the address (`?name=Ann`), decoded.
fn query_param(key: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    search.trim_start_matches('?').split('&').find_map(|p| {
        let v = p.strip_prefix(key)?.strip_prefix('=')?;
        js_sys::decode_uri_component(&v.replace('+', " "))
            .ok()?
            .as_string()
            .filter(|v| !v.is_empty())
    })
}

/// The admin token in the address's fragment (`#admin=TOKEN`), which never reaches a server log.
fn admin_token() -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    hash.trim_start_matches('#')
        .strip_prefix("admin=")
        .map(str::to_string)
        .filter(|t| !t.is_empty())
}

/// Start the terminal: connect with the address's market (or to the server), and wire up what
/// every `Ready` does.
pub fn start(store: Store) {
    if let Some(url) = server_url() {
        start_on_server(store, url);
        return;
    }
    let url = read_url();
    let seed = url
        .seed
        .unwrap_or_else(|| (js_sys::Math::random() * 1e9) as u64 + 1);
    let scenario = url
        .scenario
        .clone()
        .unwrap_or_else(|| DEFAULT_SCENARIO.to_string());
    let reload = is_reload();
    store.lesson_id.set(url.lesson.clone());
    let lesson_mode = url.lesson.is_some();
    Api::connect(
        store,
        Some(MarketStart {
            scenario,
            seed,
            // In lesson mode this market is replaced by the lesson's at once.
            warmup_ns: if lesson_mode { 0 } else { WARMUP_NS },
        }),
        DEFAULT_SCENARIO,
        crate::api::Home::Worker,
    );
    let first = StoredValue::new(true);
    WANTED_SPEED.with(|w| w.set(url.speed.unwrap_or(Speed::X1)));
    Effect::new(move |_| {
        if store.ready_gen.get() == 0 {
            return;
        }
        if first.get_value() {
            first.set_value(false);
            Api.lesson(bourse_protocol::LessonControl::List);
            if let Some(id) = &url.lesson {
                // The lesson's own market: its Ready comes next and is handled like any other.
                Api.lesson(bourse_protocol::LessonControl::Start {
                    id: id.clone(),
                    seed: url.seed,
                });
                return;
            }
            // The address's instrument and interval, on the first Ready only.
            let ins = url.instrument.as_ref().and_then(|sym| {
                store
                    .venue
                    .with_untracked(|v| v.as_ref().and_then(|v| v.config.instrument_by_symbol(sym)))
            });
            store.sub.update(|s| {
                if let Some(i) = ins {
                    s.instrument = i;
                }
                if let Some(iv) = url.interval {
                    s.candle_interval = iv;
                }
            });
            let sim = store.sim.get_untracked();
            if url.scenario.as_deref().is_some_and(|s| s != sim.scenario) {
                store.toast(
                    ToastKind::Error,
                    format!(
                        "The address names the scenario {:?}, which does not exist: showing {} instead",
                        url.scenario.clone().unwrap_or_default(),
                        sim.scenario
                    ),
                );
            }
            if reload && !lesson_mode {
                store.toast(
                    ToastKind::Notice,
                    format!(
                        "The page was reloaded, so the market started again from its seed ({} seed {}): the market runs in this tab only, and orders and fills from before the reload are gone",
                        sim.scenario, sim.seed
                    ),
                );
            }
        }
        resubscribe(store);
        Api.sim(SimControl::Speed(WANTED_SPEED.with(|w| w.get())));
        // A lesson's market waits for "Start lesson".
        if !lesson_mode {
            Api.sim(SimControl::Play);
        }
    });
    // Keep the address in step: scenario, seed, instrument, interval, speed.
    Effect::new(move |_| {
        let (scenario, seed, speed) = store.sim.with(|s| (s.scenario.clone(), s.seed, s.speed));
        let (ins, interval) = store.sub.with(|s| (s.instrument, s.candle_interval));
        if scenario.is_empty() || store.ready_gen.get() == 0 {
            return;
        }
        if let Some(id) = store.lesson_id.get() {
            let seed = store.lesson.with(|p| p.as_ref().map(|p| p.seed));
            match seed {
                Some(s) => write_url(&format!("?lesson={id}&seed={s}")),
                None => write_url(&format!("?lesson={id}")),
            }
            return;
        }
        let symbol = store.symbol(ins);
        write_url(&query_of(&scenario, seed, &symbol, interval, speed));
    });
    raf_loop();
}

/// On a shared server: sign in (the kept token, else a new guest named by `?name=` or, for a
/// first visit without one, by the join dialog), and on every `Ready` subscribe and load history;
/// the simulation's speed and play state are the server's.
fn start_on_server(store: Store, url: String) {
    let token = crate::browser::stored(&crate::api::token_key(&url)).filter(|t| !t.is_empty());
    let (name, admin) = (query_param("name"), admin_token());
    let connect = move |token: Option<String>, name: Option<String>, admin: Option<String>| {
        let login = bourse_protocol::Login { token, name, admin };
        Api::connect(
            store,
            None,
            DEFAULT_SCENARIO,
            crate::api::Home::Server { url, login },
        );
    };
    if token.is_none() && name.is_none() && admin.is_none() {
        crate::join::ask(move |name| connect(None, name, None));
    } else {
        connect(token, name, admin);
    }
    let wanted = query_param("instrument");
    let first = StoredValue::new(true);
    Effect::new(move |_| {
        if store.ready_gen.get() == 0 {
            return;
        }
        if first.get_value() {
            first.set_value(false);
            let ins = wanted.as_ref().and_then(|sym| {
                store
                    .venue
                    .with_untracked(|v| v.as_ref().and_then(|v| v.config.instrument_by_symbol(sym)))
            });
            if let Some(i) = ins {
                store.sub.update(|s| s.instrument = i);
            }
        }
        resubscribe(store);
    });
    raf_loop();
}

fn write_url(query: &str) {
    let Some(w) = web_sys::window() else { return };
    if w.location().search().ok().as_deref() == Some(query) {
        return;
    }
    let path = w.location().pathname().unwrap_or_default();
    if let Ok(h) = w.history() {
        let _ = h.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{path}{query}")),
        );
    }
}

fn raf_loop() {
    request_animation_frame(|| {
        Api.on_animation_frame();
        raf_loop();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_round_trip() {
        let q = query_of("halt", 42, "ETH-USDT", Interval::S1, Speed::X10);
        assert_eq!(
            q,
            "?scenario=halt&seed=42&instrument=ETH-USDT&interval=1s&speed=10x"
        );
        let u = parse_query(&q);
        assert_eq!(
            u,
            UrlState {
                scenario: Some("halt".into()),
                seed: Some(42),
                instrument: Some("ETH-USDT".into()),
                interval: Some(Interval::S1),
                speed: Some(Speed::X10),
                lesson: None,
            }
        );
        assert_eq!(
            parse_query("?lesson=queue-priority&seed=11")
                .lesson
                .as_deref(),
            Some("queue-priority")
        );
        assert_eq!(
            parse_query("?seed=x&speed=fast&interval=2m"),
            UrlState::default()
        );
    }
}
