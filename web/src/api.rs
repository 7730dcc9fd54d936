//! The one handle components use to act ([`Api`]), and the protocol bookkeeping between the
//! transport and the store: request numbering, the `Hello`/`Ready` handshake (requests queue
//! until `Ready`), frame flow control (at most one `RequestFrame` outstanding, asked once per
//! animation frame) and what each outstanding request was ([`Intent`]), so that an answer can be
//! explained in words.
//!
//! Data flows one way: [`crate::transport`] → this module → [`crate::store::Store`] → components;
//! components send intents back through [`Api`] only.

use crate::form::OrderIntent;
use crate::intent::Intent;
use crate::store::Store;
use crate::transport::{Incoming, Transport};
use bourse_core::{InstrumentId, Interval, OrderId, OrderRef};
use bourse_protocol::{
    ClientMessage, ClientRequest, LessonControl, Login, MarketStart, RejectReason, ServerMessage,
    SimControl, Subscription, PROTOCOL_VERSION,
};
use rust_decimal::Decimal;
use std::cell::RefCell;
use std::collections::BTreeMap;

/// The URL of the worker's loader, relative to the page (keeps sub-path hosting working). Trunk
/// writes it for `data-bin="bourse-worker" data-loader-shim`.
pub const WORKER_URL: &str = "./bourse-worker_loader.js";

/// Most requests kept waiting for `Ready`, and most outstanding requests remembered; beyond it the
/// oldest are forgotten (the page sends a handful at start-up; answers come back in order).
pub const MAX_PENDING: usize = 256;

/// Where the exchange runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Home {
    /// A Web Worker of this page (the static site).
    Worker,
    /// A `bourse serve` server: its `/ws/terminal` URL and how to sign in.
    Server {
        /// `ws://host:port/ws/terminal`.
        url: String,
        /// Sign-in (the kept session token, a name, the admin token).
        login: Login,
    },
}

/// The local-storage key of the session token for a server.
pub fn token_key(url: &str) -> String {
    format!("bourse.session:{url}")
}

struct State {
    transport: Option<Transport>,
    hello_market: Option<MarketStart>,
    /// Server only: the sign-in of the `Hello`, and the server's URL.
    login: Option<(Login, String)>,
    ready: bool,
    queue: Vec<ClientRequest>,
    next_seq: u64,
    frame_outstanding: bool,
    pending: BTreeMap<u64, Intent>,
}

thread_local! {
    static STATE: RefCell<State> = const { RefCell::new(State {
        transport: None,
        hello_market: None,
        login: None,
        ready: false,
        queue: Vec::new(),
        next_seq: 1,
        frame_outstanding: false,
        pending: BTreeMap::new(),
    }) };
}

/// The terminal's handle to its exchange home. `Copy`; every method is a request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Api;

impl Api {
    /// Open the connection (the Web Worker) and deliver everything to `store`; the `Hello` asks for
    /// `market` (see [`MarketStart`]). If the home refuses that market (an unknown scenario in the
    /// address), the `Hello` is sent again with `fallback_scenario` and the same seed and warm-up.
    /// Call once.
    pub fn connect(
        store: Store,
        market: Option<MarketStart>,
        fallback_scenario: &'static str,
        home: Home,
    ) {
        STATE.with(|s| {
            let mut s = s.borrow_mut();
            s.hello_market = market;
            if let Home::Server { url, login } = &home {
                s.login = Some((login.clone(), url.clone()));
            }
        });
        let on_event = move |ev: Incoming| match ev {
            Incoming::Open => send_hello(),
            // A kept token the server does not know (a new data directory): sign in afresh.
            Incoming::Message(ServerMessage::Rejected {
                client_seq: Some(0),
                reason: RejectReason::Unauthorized,
                ..
            }) if forget_token() => send_hello(),
            Incoming::Message(ServerMessage::Rejected {
                client_seq: Some(0),
                ..
            }) if retry_hello_with(fallback_scenario) => send_hello(),
            Incoming::Message(msg) => {
                if let ServerMessage::Ready {
                    session: Some(session),
                    ..
                } = &msg
                {
                    // Keep the session token, so that a reload signs in as the same account.
                    if let Some(url) =
                        STATE.with(|s| s.borrow().login.as_ref().map(|l| l.1.clone()))
                    {
                        crate::browser::store(&token_key(&url), &session.token);
                    }
                }
                let intent = answered(&msg);
                let ready = matches!(msg, ServerMessage::Ready { .. });
                store.apply_message(msg, intent);
                if ready {
                    flush_queue();
                }
            }
            Incoming::Frame(frame) => {
                STATE.with(|s| s.borrow_mut().frame_outstanding = false);
                store.apply_frame(*frame);
            }
            Incoming::Failed(why) => store.fatal(why),
        };
        let transport = match &home {
            Home::Worker => Transport::worker(WORKER_URL, on_event),
            Home::Server { url, .. } => Transport::websocket(url, on_event),
        };
        match transport {
            Ok(t) => STATE.with(|s| s.borrow_mut().transport = Some(t)),
            Err(e) => store.fatal(e),
        }
    }

    /// Place an order; returns its request number.
    pub fn place_order(self, intent: OrderIntent) -> u64 {
        let msg = ClientMessage::PlaceOrder(intent.request.clone());
        send(msg, Intent::Order(Box::new(intent)))
    }

    /// Cancel one of the human's orders.
    pub fn cancel(self, instrument: InstrumentId, order_id: OrderId) -> u64 {
        send(
            ClientMessage::Cancel {
                instrument,
                order: OrderRef::OrderId(order_id),
            },
            Intent::Cancel { order_id },
        )
    }

    /// Cancel all of the human's orders.
    pub fn cancel_all(self) -> u64 {
        send(
            ClientMessage::CancelAll { instrument: None },
            Intent::CancelAll,
        )
    }

    /// Change the price and total quantity of one of the human's resting orders.
    pub fn amend(
        self,
        instrument: InstrumentId,
        order_id: OrderId,
        price: Decimal,
        quantity: Decimal,
    ) -> u64 {
        send(
            ClientMessage::Amend {
                instrument,
                order: OrderRef::OrderId(order_id),
                price: Some(price),
                quantity: Some(quantity),
            },
            Intent::Amend { order_id },
        )
    }

    /// Simulation control.
    pub fn sim(self, control: SimControl) -> u64 {
        send(ClientMessage::Sim(control.clone()), Intent::Sim(control))
    }

    /// A lesson request (list, start, finish, check a receipt).
    pub fn lesson(self, control: LessonControl) -> u64 {
        send(ClientMessage::Lesson(control), Intent::Other)
    }

    /// Ask for the explanation of a trade or a command (answered by `Explained`).
    pub fn explain(self, target: bourse_protocol::ExplainTarget) -> u64 {
        send(ClientMessage::Explain(target), Intent::Explain)
    }

    /// Replace the subscription (the next frame is full).
    pub fn subscribe(self, sub: Subscription) -> u64 {
        send(ClientMessage::Subscribe(sub), Intent::Other)
    }

    /// Ask for the last `limit` candles of an instrument.
    pub fn candle_history(self, instrument: InstrumentId, interval: Interval, limit: u32) -> u64 {
        send(
            ClientMessage::CandleHistory {
                instrument,
                interval,
                limit,
            },
            Intent::Other,
        )
    }

    /// Once per animation frame: ask for the next frame unless one is still on its way.
    pub fn on_animation_frame(self) {
        let due = STATE.with(|s| {
            let mut s = s.borrow_mut();
            if s.ready && !s.frame_outstanding {
                s.frame_outstanding = true;
                true
            } else {
                false
            }
        });
        if due {
            send(ClientMessage::RequestFrame, Intent::Other);
        }
    }
}

fn post(s: &State, req: &ClientRequest) {
    if let Some(t) = &s.transport {
        if let Err(e) = t.send(req) {
            web_sys::console::error_1(&e.into());
        }
    }
}

fn send_hello() {
    STATE.with(|s| {
        let s = s.borrow();
        let req = ClientRequest {
            client_seq: 0,
            message: ClientMessage::Hello {
                version: PROTOCOL_VERSION,
                market: s.hello_market.clone(),
                login: s.login.as_ref().map(|l| l.0.clone()),
            },
        };
        post(&s, &req);
    });
}

/// Before `Ready`: drop a kept session token the server refused (once); false when there was
/// none.
fn forget_token() -> bool {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        match &mut s.login {
            Some((login, url)) if login.token.is_some() => {
                login.token = None;
                crate::browser::store(&token_key(url), "");
                true
            }
            _ => false,
        }
    })
}

/// Before `Ready`: switch the `Hello`'s market to `scenario` (once); false when already done.
fn retry_hello_with(scenario: &str) -> bool {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let ready = s.ready;
        match &mut s.hello_market {
            Some(m) if !ready && m.scenario != scenario => {
                m.scenario = scenario.to_string();
                true
            }
            _ => false,
        }
    })
}

fn flush_queue() {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.ready = true;
        for req in std::mem::take(&mut s.queue) {
            post(&s, &req);
        }
    });
}

/// The intent a message answers (and forget it).
fn answered(msg: &ServerMessage) -> Intent {
    let seq = match msg {
        ServerMessage::Ack { client_seq, .. } => Some(*client_seq),
        ServerMessage::Rejected { client_seq, .. } => *client_seq,
        _ => None,
    };
    seq.and_then(|q| STATE.with(|s| s.borrow_mut().pending.remove(&q)))
        .unwrap_or(Intent::Other)
}

fn send(message: ClientMessage, intent: Intent) -> u64 {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let seq = s.next_seq;
        s.next_seq += 1;
        if !matches!(
            message,
            ClientMessage::RequestFrame | ClientMessage::CandleHistory { .. }
        ) {
            s.pending.insert(seq, intent);
            while s.pending.len() > MAX_PENDING {
                s.pending.pop_first();
            }
        }
        let req = ClientRequest {
            client_seq: seq,
            message,
        };
        if s.ready {
            post(&s, &req);
        } else if s.queue.len() < MAX_PENDING {
            s.queue.push(req);
        } else {
            web_sys::console::error_1(&"bourse: request queue full before Ready".into());
        }
        seq
    })
}
