//! The Web Worker shell around [`WorkerState`] (wasm32 only): a `message` handler and a timer.
//!
//! ## Transport (see [`bourse_protocol::WORKER_LISTENING`])
//! - On start the worker builds a [`WorkerState`] (scenario [`DEFAULT_SCENARIO`], seed
//!   [`DEFAULT_SEED`]; the page resets it to the scenario and seed of its URL), installs its
//!   `onmessage` handler and posts the string [`WORKER_LISTENING`].
//! - page → worker: one [`bourse_protocol::ClientRequest`] JSON string per message. Anything
//!   else (not a string, bad JSON) is answered by `Rejected{reason: malformed}`; nothing is lost.
//! - worker → page: [`ServerMessage`] JSON strings, except [`ServerMessage::Frame`], which is
//!   posted as an `ArrayBuffer` of [`encode_frame`] bytes in the transfer list (no copy).
//!
//! ## Clock
//! A [`gloo_timers`] timeout re-armed every [`TICK_MS`] ms reads `performance.now()` and calls
//! [`WorkerState::advance`] with the wall time elapsed since the previous tick. At
//! [`Speed::Max`] it instead runs chunks of [`MAX_CHUNK_STEPS`] steps until
//! [`MAX_BUSY_MS`] ms have passed, then yields so that page requests (frames, orders) are answered
//! within about one tick.

use crate::WorkerState;
use bourse_protocol::{
    decode_client, encode_frame_into, encode_server, ServerMessage, Speed, WORKER_LISTENING,
};
use gloo_timers::callback::Timeout;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// Scenario the worker starts with.
pub const DEFAULT_SCENARIO: &str = "calm";
/// Seed the worker starts with.
pub const DEFAULT_SEED: u64 = 1;
/// Timer period, ms.
pub const TICK_MS: u32 = 8;
/// At [`Speed::Max`]: steps per chunk between two reads of the clock.
pub const MAX_CHUNK_STEPS: u64 = 500;
/// At [`Speed::Max`]: wall-clock budget of one tick, ms (then the worker yields to its messages).
pub const MAX_BUSY_MS: f64 = 12.0;

struct Shell {
    state: WorkerState,
    scope: DedicatedWorkerGlobalScope,
    last_tick_ms: f64,
    frame_buf: Vec<u8>,
}

impl Shell {
    fn now_ms(&self) -> f64 {
        self.scope.performance().map(|p| p.now()).unwrap_or(0.0)
    }

    fn post(&mut self, msg: ServerMessage) {
        match msg {
            ServerMessage::Frame(frame) => {
                encode_frame_into(&frame, &mut self.frame_buf);
                let bytes = js_sys::Uint8Array::from(self.frame_buf.as_slice());
                let buffer = bytes.buffer();
                let transfer = js_sys::Array::of1(&buffer);
                if let Err(e) = self.scope.post_message_with_transfer(&buffer, &transfer) {
                    web_sys::console::error_2(&"bourse-worker: posting a frame failed".into(), &e);
                }
            }
            other => {
                let text = encode_server(&other);
                if let Err(e) = self.scope.post_message(&JsValue::from_str(&text)) {
                    web_sys::console::error_2(&"bourse-worker: posting failed".into(), &e);
                }
            }
        }
    }

    fn on_message(&mut self, data: JsValue) {
        let replies = match data.as_string() {
            None => vec![ServerMessage::rejected(
                None,
                bourse_protocol::RejectReason::Malformed,
                "the worker takes ClientRequest JSON strings only",
            )],
            Some(text) => match decode_client(&text) {
                Ok(req) => self.state.handle(req),
                Err(e) => vec![e.to_rejected(None)],
            },
        };
        for r in replies {
            self.post(r);
        }
    }

    fn tick(&mut self) {
        let now = self.now_ms();
        let elapsed_ns = ((now - self.last_tick_ms).max(0.0) * 1e6) as u64;
        self.last_tick_ms = now;
        if !self.state.is_playing() {
            return;
        }
        if self.state.speed() == Speed::Max {
            // Bounded: at most MAX_BUSY_MS / (time of one chunk) chunks, and each chunk is bounded.
            loop {
                let ran = self.state.advance_bounded(0, MAX_CHUNK_STEPS);
                if ran == 0 || self.now_ms() - now >= MAX_BUSY_MS {
                    break;
                }
            }
        } else {
            self.state.advance(elapsed_ns);
        }
    }
}

fn schedule(shell: Rc<RefCell<Shell>>) {
    Timeout::new(TICK_MS, move || {
        shell.borrow_mut().tick();
        schedule(shell);
    })
    .forget();
}

/// Start the worker: build the state, install the message handler and the timer, post
/// [`WORKER_LISTENING`]. Called once by the `bourse-worker` binary's `main`.
///
/// # Panics
/// If it is not running in a dedicated worker, or the default scenario cannot be built (a bug).
pub fn start() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let state = WorkerState::new(DEFAULT_SCENARIO, DEFAULT_SEED, None)
        .expect("the default scenario builds");
    let shell = Rc::new(RefCell::new(Shell {
        state,
        scope: scope.clone(),
        last_tick_ms: 0.0,
        frame_buf: Vec::with_capacity(16 * 1024),
    }));
    {
        let mut s = shell.borrow_mut();
        s.state.set_check_every_command(false);
        s.last_tick_ms = s.now_ms();
    }
    let handler_shell = shell.clone();
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        handler_shell.borrow_mut().on_message(ev.data());
    });
    scope.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
    schedule(shell);
    if let Err(e) = scope.post_message(&JsValue::from_str(WORKER_LISTENING)) {
        web_sys::console::error_2(&"bourse-worker: cannot post".into(), &e);
    }
}
