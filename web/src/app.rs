//! The terminal's layout. The first screen (top bar, market panels, order entry) fills the window
//! height (between 640 and 820 CSS pixels); the account tables follow below it.

use crate::candles::CandlePanel;
use crate::depth::DepthChart;
use crate::entry::OrderEntry;
use crate::explain::ExplainDialog;
use crate::help::Help;
use crate::join::JoinDialog;
use crate::l3::L3View;
use crate::ladder::Ladder;
use crate::lesson::{LessonList, LessonPanel};
use crate::store::Store;
use crate::tables::Tables;
use crate::tape::Tape;
use crate::toasts::Toasts;
use crate::topbar::{ScenarioLine, SimBar, TickerBar};
use leptos::prelude::*;

/// The whole terminal.
#[component]
pub fn App() -> impl IntoView {
    let store = Store::new();
    provide_context(store);
    crate::startup::start(store);
    let scenario_pick = RwSignal::new(String::new());
    view! {
        <div class="app">
            <div class="screen">
                <header class="topbar">
                    <TickerBar />
                    <SimBar scenario_pick=scenario_pick />
                </header>
                <Show when=move || store.lesson_id.with(|l| l.is_none())>
                    <ScenarioLine scenario_pick=scenario_pick />
                </Show>
                <Show when=move || store.lesson_id.with(|l| l.is_some())>
                    <LessonPanel />
                </Show>
                <Show when=move || store.fatal_error.with(|e| e.is_some())>
                    <p class="fatal" role="alert">{move || store.fatal_error.get().unwrap_or_default()}</p>
                </Show>
                <main class="grid">
                    <section class="panel p-book" aria-label="Order book panel"><Ladder /></section>
                    <section class="panel p-chart" aria-label="Chart panel"><CandlePanel /></section>
                    <section class="panel p-tape" aria-label="Trades panel"><Tape /></section>
                    <section class="panel p-entry" aria-label="Order entry panel"><OrderEntry /></section>
                    <section class="panel p-depth" aria-label="Depth panel"><DepthChart /></section>
                    <section class="panel p-l3" aria-label="Queue panel"><L3View /></section>
                </main>
            </div>
            <section class="panel p-tables" aria-label="Account panel"><Tables /></section>
            <Toasts />
            <Help />
            <LessonList />
            <JoinDialog />
            <ExplainDialog />
        </div>
    }
}
