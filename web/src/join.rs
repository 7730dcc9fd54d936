//! The join dialog of a shared market: a first-time visitor of a `bourse serve` server (no kept
//! session token, no `?name=` and no `#admin=` in the address) picks the name the others see
//! (on the admin's leaderboard, in the top bar) before the page signs in as a new guest. The name
//! is optional (an empty one gives `guest-N`) and at most [`bourse_protocol::MAX_NAME_CHARS`]
//! characters; Enter or "Join" signs in.

use leptos::prelude::*;
use std::cell::RefCell;

type OnJoin = Box<dyn FnOnce(Option<String>)>;

thread_local! {
    static OPEN: std::cell::Cell<Option<RwSignal<bool>>> = const { std::cell::Cell::new(None) };
    static ON_JOIN: RefCell<Option<OnJoin>> = const { RefCell::new(None) };
}

/// Show the dialog; `on_join` runs once with the chosen name (`None` when left empty).
pub fn ask(on_join: impl FnOnce(Option<String>) + 'static) {
    ON_JOIN.with(|j| *j.borrow_mut() = Some(Box::new(on_join)));
    if let Some(s) = OPEN.with(|o| o.get()) {
        s.set(true);
    }
}

/// The dialog (mounted once by the app; hidden until [`ask`]).
#[component]
pub fn JoinDialog() -> impl IntoView {
    let open = RwSignal::new(ON_JOIN.with(|j| j.borrow().is_some()));
    OPEN.with(|o| o.set(Some(open)));
    let name = RwSignal::new(String::new());
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if open.get() {
            if let Some(i) = input.get() {
                let _ = i.focus();
            }
        }
    });
    let join = move || {
        let chosen = name.get_untracked().trim().to_string();
        open.set(false);
        if let Some(f) = ON_JOIN.with(|j| j.borrow_mut().take()) {
            f((!chosen.is_empty()).then_some(chosen));
        }
    };
    let too_long =
        move || name.with(|n| n.trim().chars().count() > bourse_protocol::MAX_NAME_CHARS);
    view! {
        <Show when=move || open.get()>
            <div class="help-backdrop join-backdrop"></div>
            <form class="help join" role="dialog" aria-modal="true" aria-label="Join the market"
                on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    if !too_long() {
                        join();
                    }
                }>
                <h2>"Join the shared market"</h2>
                <p>"Everyone on this server trades in the same order book. You get a guest account funded by the server's faucet; this browser keeps it, so a reload brings you back to it."</p>
                <label class="join-name">"Your name (others see it; optional)"
                    <input type="text" node_ref=input maxlength=bourse_protocol::MAX_NAME_CHARS.to_string()
                        autocomplete="nickname" spellcheck="false"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <Show when=too_long>
                    <p class="reason" role="alert">{format!("At most {} characters", bourse_protocol::MAX_NAME_CHARS)}</p>
                </Show>
                <button class="primary" type="submit" prop:disabled=too_long>"Join"</button>
            </form>
        </Show>
    }
}
