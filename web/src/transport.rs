//! The connection to an exchange home, and nothing else: it opens the connection, delivers
//! every decoded [`ServerMessage`] and [`Frame`] through one callback, and sends
//! [`ClientRequest`]s. It knows nothing of the terminal (no store, no signals), in the manner of
//! leptos-use's `use_websocket`: the same page can talk to a Web Worker or, later, to a server
//! over a WebSocket, by choosing another constructor here and nothing else.
//!
//! ## The WebSocket transport (a `bourse serve` server)
//! One WebSocket to `/ws/terminal`: [`ClientRequest`] JSON text messages out; [`ServerMessage`]
//! JSON text messages and binary [`bourse_protocol::encode_frame`] frames in. The socket's
//! `open` is [`Incoming::Open`]; its `close` or `error` is [`Incoming::Failed`].
//!
//! ## The Web Worker transport
//! See [`bourse_protocol::WORKER_LISTENING`]: the worker posts that string once its handler is
//! installed ([`Incoming::Open`]); control messages are JSON strings both ways; frames arrive as
//! transferred `ArrayBuffer`s of [`bourse_protocol::encode_frame`] bytes.

use bourse_protocol::{
    decode_frame, decode_server, encode_client, ClientRequest, Frame, ServerMessage,
    WORKER_LISTENING,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, WebSocket, Worker};

/// What the connection delivers.
#[derive(Debug)]
pub enum Incoming {
    /// The home is listening: send `Hello` now (messages sent before may be lost).
    Open,
    /// A control message (`Ready`, `Ack`, `Rejected`, `CandleHistory`).
    Message(ServerMessage),
    /// A frame.
    Frame(Box<Frame>),
    /// The connection cannot be used any more (failed to start, crashed, undecodable input).
    Failed(String),
}

enum Link {
    Worker(Worker),
    Socket(WebSocket),
}

/// An open connection. Dropping it does not close the worker (the page lives as long as it).
pub struct Transport {
    link: Link,
}

impl Transport {
    /// Start the Web Worker whose loader is at `url` (relative to the page) and call `on_event`
    /// for everything it sends.
    ///
    /// # Errors
    /// The browser's reason when the worker cannot be created.
    pub fn worker(url: &str, on_event: impl Fn(Incoming) + 'static) -> Result<Transport, String> {
        let worker = Worker::new(url).map_err(|e| format!("cannot start the worker: {e:?}"))?;
        let on_event = std::rc::Rc::new(on_event);
        let deliver = on_event.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let data = ev.data();
            if let Some(text) = data.as_string() {
                if text == WORKER_LISTENING {
                    deliver(Incoming::Open);
                    return;
                }
                match decode_server(&text) {
                    Ok(msg) => deliver(Incoming::Message(msg)),
                    Err(e) => deliver(Incoming::Failed(format!(
                        "undecodable message from the worker: {e}"
                    ))),
                }
            } else if let Some(buf) = data.dyn_ref::<js_sys::ArrayBuffer>() {
                let bytes = js_sys::Uint8Array::new(buf).to_vec();
                match decode_frame(&bytes) {
                    Ok(frame) => deliver(Incoming::Frame(Box::new(frame))),
                    Err(e) => deliver(Incoming::Failed(format!("undecodable frame: {e}"))),
                }
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let on_error = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            web_sys::console::error_2(&"bourse: worker error".into(), &e);
            on_event(Incoming::Failed(
                "the exchange worker failed to load or crashed (see the console)".into(),
            ));
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        Ok(Transport {
            link: Link::Worker(worker),
        })
    }

    /// Open a WebSocket to a server's terminal endpoint (`ws://host:port/ws/terminal`) and call
    /// `on_event` for everything it sends.
    ///
    /// # Errors
    /// The browser's reason when the socket cannot be created (a malformed URL).
    pub fn websocket(
        url: &str,
        on_event: impl Fn(Incoming) + 'static,
    ) -> Result<Transport, String> {
        let ws = WebSocket::new(url).map_err(|e| format!("cannot connect to {url}: {e:?}"))?;
        ws.set_binary_type(web_sys::BinaryType::Arraybuffer);
        let on_event = std::rc::Rc::new(on_event);
        let deliver = on_event.clone();
        let on_open = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| deliver(Incoming::Open));
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();
        let deliver = on_event.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let data = ev.data();
            if let Some(text) = data.as_string() {
                match decode_server(&text) {
                    Ok(msg) => deliver(Incoming::Message(msg)),
                    Err(e) => deliver(Incoming::Failed(format!(
                        "undecodable message from the server: {e}"
                    ))),
                }
            } else if let Some(buf) = data.dyn_ref::<js_sys::ArrayBuffer>() {
                let bytes = js_sys::Uint8Array::new(buf).to_vec();
                match decode_frame(&bytes) {
                    Ok(frame) => deliver(Incoming::Frame(Box::new(frame))),
                    Err(e) => deliver(Incoming::Failed(format!("undecodable frame: {e}"))),
                }
            }
        });
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let target = url.to_string();
        let on_close = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
            let reason = js_sys::Reflect::get(&ev, &"reason".into())
                .ok()
                .and_then(|r| r.as_string())
                .filter(|r| !r.is_empty())
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            on_event(Incoming::Failed(format!(
                "the connection to the server at {target} closed{reason}: reload the page to reconnect"
            )));
        });
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        on_close.forget();
        Ok(Transport {
            link: Link::Socket(ws),
        })
    }

    /// Send one request.
    ///
    /// # Errors
    /// The browser's reason when posting fails.
    pub fn send(&self, req: &ClientRequest) -> Result<(), String> {
        match &self.link {
            Link::Worker(w) => w
                .post_message(&JsValue::from_str(&encode_client(req)))
                .map_err(|e| format!("posting to the worker failed: {e:?}")),
            Link::Socket(ws) => ws
                .send_with_str(&encode_client(req))
                .map_err(|e| format!("sending to the server failed: {e:?}")),
        }
    }
}
