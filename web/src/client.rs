//! The page's end of the wire: a [`web_sys::Worker`] running `bourse-worker`, spoken to only in
//! [`bourse_protocol`] messages (the transport is described at
//! [`bourse_protocol::WORKER_LISTENING`]). A WebSocket to a server could replace the worker here
//! without touching the rest of the page.
//!
//! - Requests are numbered ([`ClientRequest::client_seq`], dense from 1) and queued until
//!   [`ServerMessage::Ready`] arrives; `Hello` goes first.
//! - Flow control: at most one `RequestFrame` is outstanding; [`on_animation_frame`] asks for the
//!   next frame only after the previous one arrived, so the page gets at most one frame per
//!   animation frame however fast the simulation runs.
//! - Every answer goes to [`crate::store::Store::on_server_message`] / `on_frame`.

use crate::store::Store;
use bourse_protocol::{
    decode_frame, decode_server, encode_client, ClientMessage, ClientRequest, ServerMessage,
    PROTOCOL_VERSION, WORKER_LISTENING,
};
use std::cell::RefCell;
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker};

/// The URL of the worker's loader, relative to the page (keeps sub-path hosting working). Trunk
/// writes it for `data-bin="bourse-worker" data-loader-shim`.
pub const WORKER_URL: &str = "./bourse-worker_loader.js";

/// Most requests kept waiting for `Ready`; more are dropped with a console error (the page sends
/// a handful at start-up, so hitting this is a bug).
pub const MAX_QUEUED: usize = 256;

/// What a request was, to know what an answer refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An order placement.
    Order,
    /// A cancel or cancel-all.
    Cancel,
    /// An amend.
    Amend,
    /// Anything else.
    Other,
}

struct Client {
    worker: Worker,
    ready: bool,
    queue: Vec<ClientRequest>,
    next_seq: u64,
    frame_outstanding: bool,
    pending: BTreeMap<u64, Kind>,
}

thread_local! {
    static CLIENT: RefCell<Option<Client>> = const { RefCell::new(None) };
}

fn post(worker: &Worker, req: &ClientRequest) {
    if let Err(e) = worker.post_message(&JsValue::from_str(&encode_client(req))) {
        web_sys::console::error_2(&"bourse: posting to the worker failed".into(), &e);
    }
}

/// Start the worker and wire its messages to `store`. Call once.
pub fn connect(store: Store) {
    let worker = match Worker::new(WORKER_URL) {
        Ok(w) => w,
        Err(e) => {
            store.fatal(format!("cannot start the exchange worker: {e:?}"));
            return;
        }
    };
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let data = ev.data();
        if let Some(text) = data.as_string() {
            if text == WORKER_LISTENING {
                send_hello();
                return;
            }
            match decode_server(&text) {
                Ok(msg) => {
                    let kind = answered(&msg);
                    if matches!(msg, ServerMessage::Ready { .. }) {
                        flush_queue();
                    }
                    store.on_server_message(msg, kind);
                }
                Err(e) => store.fatal(format!("undecodable message from the worker: {e}")),
            }
        } else if let Some(buf) = data.dyn_ref::<js_sys::ArrayBuffer>() {
            let bytes = js_sys::Uint8Array::new(buf).to_vec();
            CLIENT.with(|c| {
                if let Some(c) = c.borrow_mut().as_mut() {
                    c.frame_outstanding = false;
                }
            });
            match decode_frame(&bytes) {
                Ok(frame) => store.on_frame(frame),
                Err(e) => store.fatal(format!("undecodable frame: {e}")),
            }
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let on_error = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        web_sys::console::error_2(&"bourse: worker error".into(), &e);
        store.fatal("the exchange worker failed to load or crashed (see the console)".into());
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    CLIENT.with(|c| {
        *c.borrow_mut() = Some(Client {
            worker,
            ready: false,
            queue: Vec::new(),
            next_seq: 1,
            frame_outstanding: false,
            pending: BTreeMap::new(),
        })
    });
}

fn send_hello() {
    CLIENT.with(|c| {
        if let Some(c) = c.borrow_mut().as_mut() {
            let req = ClientRequest {
                client_seq: 0,
                message: ClientMessage::Hello {
                    version: PROTOCOL_VERSION,
                },
            };
            post(&c.worker, &req);
        }
    });
}

fn flush_queue() {
    CLIENT.with(|c| {
        if let Some(c) = c.borrow_mut().as_mut() {
            c.ready = true;
            for req in std::mem::take(&mut c.queue) {
                post(&c.worker, &req);
            }
        }
    });
}

/// Which kind of request `msg` answers (and forget it).
fn answered(msg: &ServerMessage) -> Kind {
    let seq = match msg {
        ServerMessage::Ack { client_seq, .. } => Some(*client_seq),
        ServerMessage::Rejected { client_seq, .. } => *client_seq,
        _ => None,
    };
    seq.and_then(|s| CLIENT.with(|c| c.borrow_mut().as_mut().and_then(|c| c.pending.remove(&s))))
        .unwrap_or(Kind::Other)
}

/// Send `message` (queued until Ready); returns its `client_seq` (0 if there is no worker).
pub fn send(message: ClientMessage, kind: Kind) -> u64 {
    CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        let Some(c) = c.as_mut() else { return 0 };
        let seq = c.next_seq;
        c.next_seq += 1;
        if !matches!(
            message,
            ClientMessage::RequestFrame | ClientMessage::CandleHistory { .. }
        ) {
            c.pending.insert(seq, kind);
            // Bounded: answers come back in order, so anything this old is long answered.
            while c.pending.len() > MAX_QUEUED {
                c.pending.pop_first();
            }
        }
        let req = ClientRequest {
            client_seq: seq,
            message,
        };
        if c.ready {
            post(&c.worker, &req);
        } else if c.queue.len() < MAX_QUEUED {
            c.queue.push(req);
        } else {
            web_sys::console::error_1(&"bourse: request queue full before Ready".into());
        }
        seq
    })
}

/// Called once per animation frame: ask for the next frame unless one is still on its way.
pub fn on_animation_frame() {
    let due = CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        match c.as_mut() {
            Some(c) if c.ready && !c.frame_outstanding => {
                c.frame_outstanding = true;
                true
            }
            _ => false,
        }
    });
    if due {
        send(ClientMessage::RequestFrame, Kind::Other);
    }
}
