//! Toasts: rejects, errors and market events stay on screen (fixed in the viewport's corner, so
//! they are seen at any scroll position and any window size) until dismissed; fills and expiries
//! go by themselves after [`INFO_MS`].

use crate::store::{Store, ToastKind};
use leptos::prelude::*;
use std::time::Duration;

/// How long an informational toast stays, ms.
pub const INFO_MS: u64 = 6_000;

/// The toast stack.
#[component]
pub fn Toasts() -> impl IntoView {
    let store = expect_context::<Store>();
    view! {
        <div class="toasts" aria-label="Messages">
            <For each=move || store.toasts.get() key=|t| t.id let:t>
                {
                    let id = t.id;
                    if t.kind == ToastKind::Info {
                        set_timeout(move || store.dismiss(id), Duration::from_millis(INFO_MS));
                    }
                    let (class, role) = match t.kind {
                        ToastKind::Error => ("toast error", "alert"),
                        ToastKind::Notice => ("toast notice", "alert"),
                        ToastKind::Info => ("toast info", "status"),
                    };
                    view! {
                        <div class=class role=role>
                            <p>{t.text.clone()}</p>
                            <button class="small" aria-label="Dismiss" on:click=move |_| store.dismiss(id)>"×"</button>
                        </div>
                    }
                }
            </For>
        </div>
    }
}
