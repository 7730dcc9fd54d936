//! Inputs that never fight the user's typing.
//!
//! A controlled `<input type="number">` whose value is written back on every keystroke loses the
//! caret and rewrites half-typed values: typing `0.01` gave `010`, `59822.` was cleared. These
//! inputs are `type="text"` with `inputmode="decimal"` (the phone's decimal keypad), the signal
//! follows what is typed, and the DOM value is written only when the signal changes to something
//! else than what the input already holds (a click on the ladder, a % button): typing never moves
//! the caret, and `59822.` is a valid state while typing. The form checks the text when it is sent.

use leptos::html;
use leptos::prelude::*;

/// A decimal text input bound to `value`, named `label` for assistive technology (and tests).
#[component]
pub fn DecimalInput(
    /// The text, written by typing and by the page.
    value: RwSignal<String>,
    /// Accessible name.
    #[prop(into)]
    label: String,
    /// Extra class names.
    #[prop(optional, into)]
    class: String,
    /// Placeholder text.
    #[prop(optional, into)]
    placeholder: String,
    /// Title (tooltip).
    #[prop(optional, into)]
    title: String,
    /// Called on Enter and Escape (`true` for Enter), for inputs outside a form.
    #[prop(optional)]
    on_key: Option<Callback<bool>>,
    /// Focus the input when it is mounted.
    #[prop(optional)]
    autofocus: bool,
) -> impl IntoView {
    let node = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        let v = value.get();
        if let Some(el) = node.get() {
            if el.value() != v {
                el.set_value(&v);
            }
        }
    });
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) || !autofocus {
            return true;
        }
        match node.get() {
            Some(el) => {
                let _ = el.focus();
                el.select();
                true
            }
            None => false,
        }
    });
    let keydown = move |ev: leptos::ev::KeyboardEvent| {
        if let Some(cb) = on_key {
            match ev.key().as_str() {
                "Enter" => {
                    ev.prevent_default();
                    cb.run(true);
                }
                "Escape" => {
                    ev.prevent_default();
                    cb.run(false);
                }
                _ => {}
            }
        }
    };
    view! {
        <input node_ref=node type="text" inputmode="decimal" autocomplete="off" spellcheck="false"
            class=class aria-label=label placeholder=placeholder title=title
            on:input=move |ev| value.set(event_target_value(&ev))
            on:keydown=keydown />
    }
}
