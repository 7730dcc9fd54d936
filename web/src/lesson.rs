//! Lessons on the page: the lesson list (a dialog from the top bar's "Lessons" button, one link
//! `?lesson=<id>` per lesson, with the result kept in the browser) and the lesson panel of lesson
//! mode (the prompt, the live objective checklist, hints, and after "Finish lesson" the debrief:
//! figures, discussion questions, "Same market again" and the receipt).
//!
//! Everything shown comes from the home's [`LessonProgress`] and [`LessonSummary`] messages: the
//! objectives are judged in the worker's brain, never here.
//!
//! Flow: the address `?lesson=<id>&seed=<n>` puts the page in lesson mode; on the first `Ready`
//! the page asks for the catalog and starts the lesson (its market is built paused);
//! "Start lesson" plays it; "Finish lesson" ends it (verdicts freeze, the receipt is made);
//! "Same market again" starts it afresh on the same seed.

use crate::api::Api;
use crate::browser::{download, store as keep, stored};
pub use crate::progress::{remember_result, RESULT_KEY_PREFIX};
use crate::store::Store;
use bourse_protocol::{LessonControl, LessonProgress, ObjectiveVerdict, SimControl};
use leptos::prelude::*;

/// Local-storage key of the student's name (put into receipts).
pub const NAME_KEY: &str = "bourse.student";

thread_local! {
    static LIST_OPEN: std::cell::Cell<Option<RwSignal<bool>>> = const { std::cell::Cell::new(None) };
}

/// The result kept for a lesson, as text: "passed", "tried, not passed yet" or "not started".
pub fn result_text(kept: Option<&str>) -> &'static str {
    match kept {
        Some("passed") => "passed",
        Some("tried") => "tried, not passed yet",
        _ => "not started",
    }
}

/// The words and class of a verdict: text, not colour alone.
pub fn verdict_text(v: ObjectiveVerdict) -> (&'static str, &'static str) {
    match v {
        ObjectiveVerdict::Met => ("✓ met", "met"),
        ObjectiveVerdict::Failed => ("✗ failed", "failed"),
        ObjectiveVerdict::Open => ("○ open", "open"),
    }
}

/// The file name of a receipt download.
pub fn receipt_file_name(id: &str, seed: u64, student: &str) -> String {
    let who: String = student
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if who.is_empty() {
        format!("bourse-receipt-{id}-seed{seed}.json")
    } else {
        format!("bourse-receipt-{id}-seed{seed}-{who}.json")
    }
}

/// Open the lesson list.
pub fn open_list() {
    if let Some(s) = LIST_OPEN.with(|o| o.get()) {
        s.set(true);
    }
}

/// The lesson list dialog (mounted once; opened by [`open_list`]). Escape or "Close" closes it.
#[component]
pub fn LessonList() -> impl IntoView {
    let store = expect_context::<Store>();
    let open = RwSignal::new(false);
    LIST_OPEN.with(|o| o.set(Some(open)));
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            open.set(false);
        }
    };
    let close = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if open.get() {
            if store.lesson_catalog.with_untracked(Vec::is_empty) {
                Api.lesson(LessonControl::List);
            }
            if let Some(b) = close.get() {
                let _ = b.focus();
            }
        }
    });
    view! {
        <Show when=move || open.get()>
            <div class="help-backdrop" on:click=move |_| open.set(false)></div>
            <div class="help lessons" role="dialog" aria-modal="true" aria-label="Lesson list" on:keydown=on_key>
                <h2>"Lessons"</h2>
                <p>"Each lesson gives you a market and a task; the exchange checks your objectives exactly, and the same seed gives the same market again. Your results stay in this browser."</p>
                <ul class="lesson-list" aria-label="Lessons">
                    {move || store.lesson_catalog.get().into_iter().map(|l| {
                        let kept = stored(&format!("{RESULT_KEY_PREFIX}{}", l.id));
                        let result = result_text(kept.as_deref());
                        view! {
                            <li>
                                <a href=format!("?lesson={}", l.id)>{l.title.clone()}</a>
                                <span class="muted">" — "{l.summary.clone()}" "</span>
                                <span class=format!("result {}", result.split(',').next().unwrap_or("").replace(' ', "-"))>{format!("({result})")}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <button class="primary" node_ref=close on:click=move |_| open.set(false)>"Close"</button>
            </div>
        </Show>
    }
}

/// The objectives of a progress as list items.
fn objectives_view(p: &LessonProgress) -> impl IntoView {
    p.objectives
        .iter()
        .map(|o| {
            let (text, class) = verdict_text(o.verdict);
            let why = o.why.clone().map(|w| format!(" ({w})")).unwrap_or_default();
            view! {
                <li class=format!("objective {class}")>
                    <span class="verdict">{text}</span>" "{o.text.clone()}<span class="muted">{why}</span>
                </li>
            }
        })
        .collect_view()
}

/// The lesson panel (lesson mode only).
#[component]
pub fn LessonPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let begun = RwSignal::new(false);
    let hints_shown = RwSignal::new(0usize);
    let name = RwSignal::new(stored(NAME_KEY).unwrap_or_default());
    let progress = move || store.lesson.get();
    let finished = move || {
        store
            .lesson
            .with(|p| p.as_ref().is_some_and(|p| p.finished))
    };
    let title = move || {
        let id = store.lesson_id.get().unwrap_or_default();
        store
            .lesson
            .with(|p| p.as_ref().map(|p| p.title.clone()))
            .or_else(|| {
                store
                    .lesson_catalog
                    .with(|c| c.iter().find(|l| l.id == id).map(|l| l.title.clone()))
            })
            .unwrap_or(id)
    };
    let start = move |_| {
        begun.set(true);
        Api.sim(SimControl::Play);
    };
    let again = move |_| {
        let Some(p) = store.lesson.get_untracked() else {
            return;
        };
        begun.set(false);
        hints_shown.set(0);
        Api.lesson(LessonControl::Start {
            id: p.id,
            seed: Some(p.seed),
        });
    };
    let finish = move |_| {
        Api.sim(SimControl::Pause);
        Api.lesson(LessonControl::Finish {
            student: name.get_untracked(),
        });
    };
    let save_receipt = move |_| {
        let Some(p) = store.lesson.get_untracked() else {
            return;
        };
        if let Some(json) = &p.receipt {
            let file = receipt_file_name(&p.id, p.seed, &name.get_untracked());
            if let Err(e) = download(&file, json, "application/json") {
                store.toast(
                    crate::store::ToastKind::Error,
                    format!("Download failed: {e}"),
                );
            }
        }
    };
    let on_name = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        keep(NAME_KEY, &v);
        name.set(v);
    };
    let status = move || match store.lesson.get() {
        None => "Preparing the lesson's market…".to_string(),
        Some(p) if p.finished && p.passed => {
            format!("Lesson passed on seed {}. Well done.", p.seed)
        }
        Some(p) if p.finished => format!(
            "Not passed on seed {}: try the same market again with another choice.",
            p.seed
        ),
        Some(p) if !begun.get() => format!(
            "The market (seed {}) waits for you: read the task, then press Start lesson.",
            p.seed
        ),
        Some(p) => format!(
            "Running on seed {}. Press Finish lesson when you are done.",
            p.seed
        ),
    };
    view! {
        <section class="lesson" role="region" aria-label="Lesson">
            <div class="lesson-task">
                <h2>{title}</h2>
                <p class="prompt">{move || progress().map(|p| p.prompt).unwrap_or_default()}</p>
                <p class="lesson-status" role="status">{status}</p>
                {move || {
                    let hints = progress().map(|p| p.hints).unwrap_or_default();
                    let n = hints_shown.get().min(hints.len());
                    let more = n < hints.len();
                    view! {
                        <ol class="hints" aria-label="Hints">
                            {hints.into_iter().take(n).map(|h| view! { <li>{h}</li> }).collect_view()}
                        </ol>
                        <Show when=move || more>
                            <button class="small" on:click=move |_| hints_shown.update(|n| *n += 1)>"Show a hint"</button>
                        </Show>
                    }
                }}
            </div>
            <div class="lesson-objectives">
                <h2>"Objectives"</h2>
                <ul aria-label="Objectives">{move || progress().map(|p| objectives_view(&p).into_any())}</ul>
            </div>
            <div class="lesson-actions">
                <label>"Your name "<input class="name" aria-label="Your name" prop:value=move || name.get() on:input=on_name maxlength="60" /></label>
                <div class="buttons">
                    <Show when=move || store.lesson.with(|p| p.is_some()) && !begun.get() && !finished()>
                        <button class="primary" on:click=start>"Start lesson"</button>
                    </Show>
                    <Show when=move || begun.get() && !finished()>
                        <button class="primary" on:click=finish>"Finish lesson"</button>
                    </Show>
                    <Show when=move || begun.get() || finished()>
                        <button on:click=again title="The same scenario and seed: the same background flow">"Same market again"</button>
                    </Show>
                    <Show when=move || store.lesson.with(|p| p.as_ref().is_some_and(|p| p.receipt.is_some()))>
                        <button on:click=save_receipt>"Download receipt"</button>
                    </Show>
                    <button class="small" title="Step through the sequencer's output for your latest command (then any command before it)"
                        on:click=move |_| crate::explain::explain(bourse_protocol::ExplainTarget::Own { before: None })>"Event log"</button>
                    <button class="small" on:click=move |_| open_list()>"All lessons"</button>
                </div>
            </div>
            <Show when=finished>
                <div class="lesson-debrief" aria-label="Debrief">
                    <table class="metrics" aria-label="Your figures">
                        <tbody>
                            {move || progress().map(|p| p.metrics.into_iter().map(|m| view! {
                                <tr><th scope="row">{m.label}</th><td class="num">{m.value}</td></tr>
                            }).collect_view())}
                        </tbody>
                    </table>
                    <div>
                        <h2>"To discuss"</h2>
                        <ul class="discussion">
                            {move || progress().map(|p| p.discussion.into_iter().map(|q| view! { <li>{q}</li> }).collect_view())}
                        </ul>
                        <details>
                            <summary>"Receipt as text (to copy)"</summary>
                            <textarea readonly aria-label="Receipt text" rows="6">{move || progress().and_then(|p| p.receipt).unwrap_or_default()}</textarea>
                        </details>
                    </div>
                </div>
            </Show>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_names_are_safe_file_names() {
        assert_eq!(
            receipt_file_name("queue-priority", 7, "  Ada Lovelace! "),
            "bourse-receipt-queue-priority-seed7-ada-lovelace.json"
        );
        assert_eq!(
            receipt_file_name("book-anatomy", 11, "../../"),
            "bourse-receipt-book-anatomy-seed11.json"
        );
    }

    #[test]
    fn results_and_verdicts_are_words() {
        assert_eq!(result_text(Some("passed")), "passed");
        assert_eq!(result_text(Some("tried")), "tried, not passed yet");
        assert_eq!(result_text(None), "not started");
        assert_eq!(verdict_text(ObjectiveVerdict::Failed).0, "✗ failed");
    }
}
