//! "Explain this fill": a dialog showing the home's [`Explanation`] of one command: who sent it
//! and what it asked, the sequencer's output for it one event at a time ("Previous event" /
//! "Next event"), and for each fill the maker order's queue history and both fee computations.
//!
//! Opened by clicking a trade on the tape, an "Explain" button in the Fills table, or "Event log"
//! in the lesson panel (the student's latest command); "Previous command" / "Next command" walk
//! the sequencer's input, "Your previous command" only the student's own. Everything shown is the
//! home's text: the page computes nothing here.

use crate::api::Api;
use crate::format::hms_ms;
use crate::store::Store;
use bourse_protocol::{ExplainTarget, Explanation, FillExplanation};
use leptos::prelude::*;

/// Ask the home to explain `target` (the dialog opens when the answer arrives).
pub fn explain(target: ExplainTarget) {
    Api.explain(target);
}

/// The index in `x.events` where the step-through starts: the focused trade, else the first.
pub fn start_step(x: &Explanation) -> usize {
    x.focus_seq
        .and_then(|s| x.events.iter().position(|e| e.seq == s))
        .unwrap_or(0)
}

fn fill_view(f: FillExplanation, open: bool) -> impl IntoView {
    let steps = f
        .queue
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let gap = (k == 1 && f.steps_omitted > 0)
                .then(|| format!("… {} steps left out …", f.steps_omitted));
            view! {
                {gap.map(|g| view! { <li class="muted">{g}</li> })}
                <li>
                    <span class="muted">{format!("input {} · {} · ", s.input_seq, hms_ms(s.ts_ns))}</span>
                    {s.text.clone()}
                    <span class="ahead">{format!(" — ahead: {}", s.ahead)}</span>
                </li>
            }
        })
        .collect_view();
    let fees = f
        .fees
        .iter()
        .map(|l| {
            let check = if l.matches_report {
                "equals the execution report's fee"
            } else {
                "differs from the execution report's fee"
            };
            view! { <li>{format!("{} fee, paid by {}: {} — {check}", l.role, l.who, l.text)}</li> }
        })
        .collect_view();
    let no_history = f.queue.is_empty();
    view! {
        <details class="fill" open=open>
            <summary>{format!("Trade {}: {}", f.trade_id, f.text)}</summary>
            <p>{format!("Resting (maker): {}", f.maker)}</p>
            <p>{format!("Incoming (taker): {}", f.taker)}</p>
            <h3>"The maker's place in the queue"</h3>
            <p class="queue-summary">{f.queue_summary.clone()}</p>
            <Show when=move || !no_history>
                <ol class="queue-history" aria-label="Queue history">{steps.clone()}</ol>
            </Show>
            <h3>"Fees"</h3>
            <ul aria-label="Fees">{fees}</ul>
        </details>
    }
}

/// The dialog (mounted once; shown while [`Store::explanation`] holds an answer). Escape or
/// "Close" closes it.
#[component]
pub fn ExplainDialog() -> impl IntoView {
    let store = expect_context::<Store>();
    let step = RwSignal::new(0usize);
    let dialog = NodeRef::<leptos::html::Div>::new();
    // A new answer starts its step-through at the focused trade; opening takes the focus.
    Effect::new(move |was_open: Option<bool>| {
        let open = store.explanation.with(|x| {
            if let Some(x) = x {
                step.set(start_step(x));
            }
            x.is_some()
        });
        if open && was_open != Some(true) {
            if let Some(d) = dialog.get() {
                let _ = d.focus();
            }
        }
        open
    });
    let close = move || store.explanation.set(None);
    let on_key = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Escape" => close(),
        "ArrowDown" | "j" => {
            ev.prevent_default();
            let n = store
                .explanation
                .with_untracked(|x| x.as_ref().map_or(0, |x| x.events.len()));
            step.update(|s| *s = (*s + 1).min(n.saturating_sub(1)));
        }
        "ArrowUp" | "k" => {
            ev.prevent_default();
            step.update(|s| *s = s.saturating_sub(1));
        }
        _ => {}
    };
    let body = move || {
        let x = store.explanation.get()?;
        let n = x.events.len();
        let (prev, next, seq) = (x.prev_input_seq, x.next_input_seq, x.input_seq);
        let events = x
            .events
            .iter()
            .enumerate()
            .map(|(k, e)| {
                let current = move || step.get() == k;
                view! {
                    <li class:current=current aria-current=move || current().then_some("step")
                        on:click=move |_| step.set(k)>
                        <span class="muted">{format!("seq {} · {} · ", e.seq, e.kind)}</span>{e.text.clone()}
                    </li>
                }
            })
            .collect_view();
        let omitted = (x.events_omitted > 0)
            .then(|| format!("and {} more events not listed", x.events_omitted));
        let fills = x
            .fills
            .iter()
            .cloned()
            .enumerate()
            .map(|(k, f)| fill_view(f, k == 0))
            .collect_view();
        let fills_omitted =
            (x.fills_omitted > 0).then(|| format!("and {} more fills not listed", x.fills_omitted));
        let has_fills = !x.fills.is_empty();
        let current_text = move || {
            store.explanation.with(|x| {
                x.as_ref()
                    .and_then(|x| x.events.get(step.get()))
                    .map(|e| {
                        format!(
                            "Event {} of {n} (seq {}): {}",
                            step.get() + 1,
                            e.seq,
                            e.text
                        )
                    })
                    .unwrap_or_else(|| "This command produced no events.".into())
            })
        };
        Some(view! {
            <h2>{format!("Command {} — {}", x.input_seq, if has_fills { "explain this fill" } else { "the event log" })}</h2>
            <p class="explain-command">
                <span class="muted">{format!("{} · sent by {}: ", hms_ms(x.ts_ns), x.sender)}</span>
                <strong>{x.command.clone()}</strong>
            </p>
            <details>
                <summary>"The command as the core's JSON"</summary>
                <pre class="command-json">{x.command_json.clone()}</pre>
            </details>
            <h3>"What the sequencer emitted, in order"</h3>
            <p class="step-now" role="status" aria-live="polite">{current_text}</p>
            <div class="buttons">
                <button class="small" on:click=move |_| step.update(|s| *s = s.saturating_sub(1))
                    disabled={move || step.get() == 0}>"Previous event"</button>
                <button class="small" on:click=move |_| step.update(|s| *s = (*s + 1).min(n.saturating_sub(1)))
                    disabled={move || step.get() + 1 >= n}>"Next event"</button>
            </div>
            <ol class="event-log" aria-label="Events">{events}</ol>
            {omitted.map(|o| view! { <p class="muted">{o}</p> })}
            {has_fills.then(|| view! { <h3>"Fills"</h3> })}
            {fills}
            {fills_omitted.map(|o| view! { <p class="muted">{o}</p> })}
            <div class="buttons">
                <button class="small" disabled=prev.is_none()
                    on:click=move |_| { if let Some(p) = prev { explain(ExplainTarget::Command { input_seq: p }); } }>"Previous command"</button>
                <button class="small" disabled=next.is_none()
                    on:click=move |_| { if let Some(q) = next { explain(ExplainTarget::Command { input_seq: q }); } }>"Next command"</button>
                <button class="small" on:click=move |_| explain(ExplainTarget::Own { before: Some(seq) })>"Your previous command"</button>
            </div>
        })
    };
    view! {
        <Show when=move || store.explanation.with(|x| x.is_some())>
            <div class="help-backdrop" on:click=move |_| close()></div>
            <div class="help explain" role="dialog" aria-modal="true" aria-label="Explain" tabindex="-1"
                node_ref=dialog on:keydown=on_key>
                {body}
                <button class="primary" on:click=move |_| close()>"Close"</button>
            </div>
        </Show>
    }
}
