//! WebSocket gateways: `/ws/terminal` (the terminal's `bourse-protocol`, so the same page works
//! with a Web Worker and with this server) and `/ws/stream` (JSON market data streams and, after
//! `login`, the account's execution reports and balance updates).
//!
//! Each connection is split into a reader (this task) and a writer task fed by a bounded
//! channel ([`TERMINAL_OUT_BUFFER`], [`STREAM_OUT_BUFFER`]): a client that does not read is
//! disconnected (close code 1008, reason `too slow`) and never slows the engine, which only
//! publishes to a bounded broadcast buffer.

use crate::engine::{Published, State, TerminalSession};
use crate::gateway::AppState;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State as AxState};
use axum::response::{IntoResponse, Response};
use bourse_core::{AccountId, Event, ExchangeConfig, Side};
use bourse_protocol::{
    command_outcome, decode_client, encode_frame, encode_server, ClientMessage, ClientRequest,
    FrameBuilder, RejectReason, ScenarioInfo, ServerMessage, SessionInfo, SimControl, SimState,
    Speed, Subscription, PROTOCOL_VERSION,
};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use tokio::sync::mpsc;

/// Requests of one terminal connection in the engine at once (pipelining); the reader waits for
/// a slot before taking the next message off the socket, so a client that sends faster than the
/// engine answers is slowed by TCP, not buffered.
pub const MAX_TERMINAL_IN_FLIGHT: usize = 1_024;
/// Messages queued for one terminal connection's writer: every in-flight request's answer fits,
/// so only a client that stops reading fills it (and is disconnected).
pub const TERMINAL_OUT_BUFFER: usize = MAX_TERMINAL_IN_FLIGHT + 64;
/// Messages queued for one stream connection's writer.
pub const STREAM_OUT_BUFFER: usize = 4_096;

/// Close code for policy violations (too slow, too many messages) — RFC 6455 §7.4.1.
const CLOSE_POLICY: u16 = 1008;

pub(crate) fn close(reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code: CLOSE_POLICY,
        reason: reason.to_string().into(),
    }))
}

/// Counts a connection against its address's limit for as long as it lives.
pub(crate) struct IpSlot {
    app: AppState,
    ip: IpAddr,
}

impl IpSlot {
    pub(crate) fn take(app: &AppState, ip: IpAddr) -> Option<IpSlot> {
        let mut m = app.ws_per_ip.lock().ok()?;
        let n = m.entry(ip).or_insert(0);
        if *n >= app.limits.max_ws_per_ip {
            return None;
        }
        *n += 1;
        Some(IpSlot {
            app: app.clone(),
            ip,
        })
    }
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        if let Ok(mut m) = self.app.ws_per_ip.lock() {
            if let Some(n) = m.get_mut(&self.ip) {
                *n -= 1;
                if *n == 0 {
                    m.remove(&self.ip);
                }
            }
        }
    }
}

/// A per-connection message budget: `per_sec` messages a second, with one second's burst.
pub(crate) struct Budget {
    per_sec: u32,
    window: std::time::Instant,
    used: u32,
}

impl Budget {
    pub(crate) fn new(per_sec: u32) -> Budget {
        Budget {
            per_sec,
            window: std::time::Instant::now(),
            used: 0,
        }
    }
    pub(crate) fn take(&mut self) -> bool {
        if self.window.elapsed() >= std::time::Duration::from_secs(1) {
            self.window = std::time::Instant::now();
            self.used = 0;
        }
        self.used += 1;
        self.used <= self.per_sec
    }
}

pub(crate) fn too_many() -> Response {
    crate::error::ApiError::rate_limited(1).into_response()
}

// ------------------------------------------------------------------ terminal

/// The speed names of the protocol for a clock speed.
fn speed_of(speed: f64) -> Speed {
    match speed {
        s if s <= 1.0 => Speed::X1,
        s if s <= 10.0 => Speed::X10,
        s if s <= 100.0 => Speed::X100,
        _ => Speed::Max,
    }
}

fn sim_state(st: &State) -> SimState {
    SimState {
        playing: st.clock.playing,
        speed: speed_of(st.clock.speed),
        scenario: st.meta.scenario.clone(),
        seed: st.meta.seed,
        steps: st.sim.steps(),
    }
}

fn ready(
    st: &State,
    account: AccountId,
    name: String,
    token: String,
    can_control: bool,
) -> ServerMessage {
    let scenario = st.sim.scenario();
    ServerMessage::Ready {
        version: PROTOCOL_VERSION,
        config: st.exchange().config().clone(),
        human_account: account,
        scenarios: vec![ScenarioInfo {
            name: scenario.name.clone(),
            description: scenario.description.clone(),
        }],
        sim: sim_state(st),
        market: bourse_worker::market_info_of(
            scenario,
            st.exchange().config(),
            st.meta.plan.start_ns,
            0,
        ),
        session: Some(SessionInfo {
            account,
            name,
            token,
            can_control,
        }),
    }
}

/// Answer `Hello`: sign in (token, or a new guest) and open a session.
fn hello(
    st: &mut State,
    req: ClientRequest,
    may_create_guest: bool,
) -> (Option<u64>, Vec<ServerMessage>) {
    let seq = req.client_seq;
    let ClientMessage::Hello { version, login, .. } = req.message else {
        return (
            None,
            vec![ServerMessage::rejected(
                Some(seq),
                RejectReason::HelloRequired,
                "send Hello first and wait for Ready",
            )],
        );
    };
    if version != PROTOCOL_VERSION {
        let e = bourse_protocol::ProtocolError::VersionMismatch {
            expected: PROTOCOL_VERSION,
            found: version,
        };
        return (None, vec![e.to_rejected(None)]);
    }
    if st.sessions.len() >= crate::config::MAX_TERMINAL_SESSIONS {
        return (
            None,
            vec![ServerMessage::rejected(
                Some(seq),
                RejectReason::Overloaded,
                "too many terminal sessions; try again later",
            )],
        );
    }
    let login = login.unwrap_or_default();
    let can_control = login.admin.as_deref() == Some(st.admin_token.as_str());
    if login.admin.is_some() && !can_control {
        return (
            None,
            vec![ServerMessage::rejected(
                Some(seq),
                RejectReason::Unauthorized,
                "wrong admin token",
            )],
        );
    }
    let (account, token, name) = match login.token {
        Some(t) => match st.creds.account_of(&t) {
            Some(a) => (a, t, st.creds.name_of(a).unwrap_or("").to_string()),
            None => {
                return (
                    None,
                    vec![ServerMessage::rejected(
                        Some(seq),
                        RejectReason::Unauthorized,
                        "unknown session token: sign in again without it for a new guest account",
                    )],
                )
            }
        },
        None => {
            if !may_create_guest {
                return (
                    None,
                    vec![ServerMessage::rejected(
                        Some(seq),
                        RejectReason::Overloaded,
                        "too many new guest accounts from this address; try again in a minute",
                    )],
                );
            }
            let name = match crate::rest::clean_name(login.name.as_deref(), "") {
                Ok(n) => n,
                Err(e) => {
                    return (
                        None,
                        vec![ServerMessage::rejected(
                            Some(seq),
                            RejectReason::InvalidRequest,
                            e.body.msg,
                        )],
                    )
                }
            };
            match crate::gateway::new_guest(st, &name) {
                Ok(x) => x,
                Err(e) => {
                    return (
                        None,
                        vec![ServerMessage::rejected(
                            Some(seq),
                            RejectReason::InvalidRequest,
                            e.body.msg,
                        )],
                    )
                }
            }
        }
    };
    let id = st.next_session;
    st.next_session += 1;
    st.sessions.insert(
        id,
        TerminalSession {
            account,
            can_control,
            builder: FrameBuilder::new(account, Subscription::new(0)),
        },
    );
    (Some(id), vec![ready(st, account, name, token, can_control)])
}

/// Answer one request of session `id` (after `Hello`), as the worker does for its page.
fn handle(st: &mut State, id: u64, req: ClientRequest) -> Vec<ServerMessage> {
    let seq = req.client_seq;
    let Some((account, can_control)) = st.sessions.get(&id).map(|s| (s.account, s.can_control))
    else {
        return vec![ServerMessage::rejected(
            Some(seq),
            RejectReason::HelloRequired,
            "no session",
        )];
    };
    if let Some(cmd) = req.message.to_command(account) {
        let (input_seq, events) = st.submit(cmd);
        return vec![command_outcome(seq, input_seq, &events)];
    }
    let ack = ServerMessage::Ack {
        client_seq: seq,
        input_seq: None,
    };
    let invalid = |m: &str| ServerMessage::rejected(Some(seq), RejectReason::InvalidRequest, m);
    match req.message {
        ClientMessage::Hello { .. } => {
            let name = st.creds.name_of(account).unwrap_or("").to_string();
            vec![ServerMessage::rejected(
                Some(seq),
                RejectReason::InvalidRequest,
                format!("already signed in as {name}"),
            )]
        }
        ClientMessage::Sim(control) => {
            if !can_control {
                return vec![ServerMessage::rejected(
                    Some(seq),
                    RejectReason::Forbidden,
                    "only the admin controls the shared market's simulation",
                )];
            }
            let now = st.now_ns();
            let (playing, speed) = (st.clock.playing, st.clock.speed);
            match control {
                SimControl::Play => st.clock.set(true, speed, now),
                SimControl::Pause => st.clock.set(false, speed, now),
                SimControl::Speed(s) => {
                    st.clock
                        .set(playing, s.factor().map_or(1000.0, f64::from), now)
                }
                SimControl::Reset { scenario, .. } => {
                    if scenario != st.meta.scenario {
                        return vec![invalid(&format!(
                            "the shared market runs {:?}; a reset starts a new round of it (another scenario needs another data directory)",
                            st.meta.scenario
                        ))];
                    }
                    if let Err(e) = st.reset_round() {
                        return vec![invalid(&e)];
                    }
                }
                _ => {
                    return vec![invalid(
                        "on a shared server only play, pause, speed and reset apply",
                    )]
                }
            }
            vec![ack]
        }
        ClientMessage::Subscribe(sub) => match sub.validate(st.exchange().config()) {
            Ok(()) => {
                if let Some(s) = st.sessions.get_mut(&id) {
                    s.builder.subscribe(sub);
                    s.builder.force_full();
                }
                vec![ack]
            }
            Err(e) => vec![ServerMessage::rejected(
                Some(seq),
                RejectReason::InvalidSubscription,
                e,
            )],
        },
        ClientMessage::RequestFrame => {
            let sim = sim_state(st);
            let now = st.now_ns();
            let ex = st.sim.exchange();
            match st.sessions.get_mut(&id) {
                Some(s) => vec![ServerMessage::Frame(Box::new(
                    s.builder.take_frame(ex, now, &sim),
                ))],
                None => vec![],
            }
        }
        ClientMessage::CandleHistory {
            instrument,
            interval,
            limit,
        } => {
            if instrument as usize >= st.exchange().config().instruments.len() {
                return vec![invalid("no such instrument")];
            }
            let limit = ClientMessage::clamp_history_limit(limit) as usize;
            let candles = st
                .exchange()
                .candles(instrument, interval, st.now_ns(), limit);
            vec![ServerMessage::CandleHistory {
                instrument,
                interval,
                candles,
            }]
        }
        ClientMessage::Lesson(_) => vec![invalid(
            "lessons run in the browser's own market (the static site); a shared server's lessons are not built yet",
        )],
        ClientMessage::Explain(_) => vec![invalid(
            "explain this fill runs in the browser's own market (the static site); a shared server keeps no explain window yet",
        )],
        _ => vec![invalid("unexpected request")],
    }
}

/// `GET /ws/terminal`: upgrade to the terminal protocol.
pub async fn terminal(
    ws: WebSocketUpgrade,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    AxState(app): AxState<AppState>,
) -> Response {
    let Some(slot) = IpSlot::take(&app, addr.ip()) else {
        return too_many();
    };
    ws.max_message_size(app.limits.max_ws_message_bytes)
        .on_upgrade(move |socket| terminal_session(socket, app, slot))
}

fn encode(msg: ServerMessage) -> Message {
    match msg {
        ServerMessage::Frame(f) => Message::Binary(encode_frame(&f).into()),
        other => Message::Text(encode_server(&other).into()),
    }
}

async fn terminal_session(socket: WebSocket, app: AppState, slot: IpSlot) {
    let (mut sink, mut stream) = socket.split();
    let (out, mut out_rx) = mpsc::channel::<Message>(TERMINAL_OUT_BUFFER);
    // Pipelined answers, each with its in-flight permit: the permit is returned only once the
    // answer is on the socket, so at most MAX_TERMINAL_IN_FLIGHT answers wait here and the
    // channel (of that capacity) is never full.
    type Answer = (Vec<ServerMessage>, tokio::sync::OwnedSemaphorePermit);
    let (answers, mut answers_rx) = mpsc::channel::<Answer>(MAX_TERMINAL_IN_FLIGHT);
    let writer = tokio::spawn(async move {
        let mut permits = Vec::new();
        'run: loop {
            tokio::select! {
                m = out_rx.recv() => {
                    let Some(m) = m else { break };
                    let closing = matches!(m, Message::Close(_));
                    if sink.send(m).await.is_err() || closing {
                        break;
                    }
                }
                a = answers_rx.recv() => {
                    let Some((msgs, permit)) = a else { break };
                    permits.push(permit);
                    for m in msgs {
                        if sink.feed(encode(m)).await.is_err() { break 'run; }
                    }
                    // Everything else already answered goes out in the same write.
                    while permits.len() < 256 {
                        let Ok((msgs, permit)) = answers_rx.try_recv() else { break };
                        permits.push(permit);
                        for m in msgs {
                            if sink.feed(encode(m)).await.is_err() { break 'run; }
                        }
                    }
                    if sink.flush().await.is_err() { break; }
                    permits.clear();
                }
            }
        }
    });
    let mut session: Option<u64> = None;
    let mut budget = Budget::new(app.limits.ws_messages_per_sec);
    let inflight = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_TERMINAL_IN_FLIGHT));
    let ip = slot.ip;
    while let Some(Ok(msg)) = stream.next().await {
        if !budget.take() {
            let _ = out.try_send(close("too many messages"));
            break;
        }
        let text = match msg {
            Message::Text(t) => t.to_string(),
            Message::Binary(_) => {
                let m = ServerMessage::rejected(
                    None,
                    RejectReason::Malformed,
                    "the terminal protocol takes ClientRequest JSON text messages",
                );
                if out.try_send(encode(m)).is_err() {
                    break;
                }
                continue;
            }
            Message::Close(_) => break,
            _ => continue,
        };
        let req = match decode_client(&text) {
            Ok(r) => r,
            Err(e) => {
                if out.try_send(encode(e.to_rejected(None))).is_err() {
                    break;
                }
                continue;
            }
        };
        let replies = match session {
            None => {
                let wants_guest = matches!(&req.message, ClientMessage::Hello { login, .. } if login.as_ref().is_none_or(|l| l.token.is_none()));
                let may = !wants_guest || app.guests_per_ip.check_key(&ip).is_ok();
                match app.engine.call(move |st| hello(st, req, may)).await {
                    Ok((id, replies)) => {
                        session = id;
                        replies
                    }
                    Err(_) => vec![ServerMessage::rejected(
                        None,
                        RejectReason::Overloaded,
                        "the server is overloaded; try again",
                    )],
                }
            }
            Some(id) => {
                // Pipelined: the answer goes straight to the writer when its batch is durable.
                let Ok(permit) = inflight.clone().acquire_owned().await else {
                    break;
                };
                let seq = req.client_seq;
                let tx = answers.clone();
                let sent = app.engine.send(move |st| {
                    let replies = handle(st, id, req);
                    Box::new(move || {
                        // Never full: one slot per permit (see `answers`).
                        let _ = tx.try_send((replies, permit));
                    })
                });
                if sent.is_err() {
                    let m = ServerMessage::rejected(
                        Some(seq),
                        RejectReason::Overloaded,
                        "the server is overloaded; try again",
                    );
                    if out.try_send(encode(m)).is_err() {
                        break;
                    }
                }
                continue;
            }
        };
        let mut slow = false;
        for m in replies {
            if out.try_send(encode(m)).is_err() {
                slow = true;
                break;
            }
        }
        if slow {
            break;
        }
    }
    if let Some(id) = session {
        let _ = app.engine.send(move |st| {
            st.sessions.remove(&id);
            Box::new(|| {})
        });
    }
    drop(out);
    drop(answers);
    let _ = writer.await;
    drop(slot);
}

// ------------------------------------------------------------------ streams

/// A `/ws/stream` client message.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum StreamRequest {
    /// Add streams: `l2:SYMBOL`, `l1:SYMBOL`, `trades:SYMBOL`, `ticker:SYMBOL`,
    /// `candles:SYMBOL:INTERVAL`.
    Subscribe { streams: Vec<String> },
    /// Remove streams.
    Unsubscribe { streams: Vec<String> },
    /// Sign in for `executions` and `balances` of the account.
    Login { token: String },
    /// Keep-alive; answered with `{"op":"pong"}`.
    Ping,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Topic {
    L2(u32),
    L1(u32),
    Trades(u32),
    /// Instrument and interval (ns).
    Candles(u32, u64),
    Ticker(u32),
}

fn parse_topic(cfg: &ExchangeConfig, s: &str) -> Result<Topic, String> {
    let (kind, sym) = s
        .split_once(':')
        .ok_or_else(|| format!("a stream is KIND:SYMBOL (l2, l1, trades, ticker) or candles:SYMBOL:INTERVAL, got {s:?}"))?;
    if kind == "candles" {
        let (sym, iv) = sym.split_once(':').ok_or_else(|| format!("a candle stream is candles:SYMBOL:INTERVAL (1s, 1m, 5m, 15m, 1h, 4h, 1d), got {s:?}"))?;
        let i = cfg
            .instrument_by_symbol(sym)
            .ok_or_else(|| format!("unknown symbol {sym:?}"))?;
        let iv = bourse_core::Interval::parse(iv)
            .ok_or_else(|| format!("unknown interval {iv:?} (1s, 1m, 5m, 15m, 1h, 4h, 1d)"))?;
        return Ok(Topic::Candles(i, iv.nanos()));
    }
    let i = cfg
        .instrument_by_symbol(sym)
        .ok_or_else(|| format!("unknown symbol {sym:?}"))?;
    match kind {
        "l2" => Ok(Topic::L2(i)),
        "l1" => Ok(Topic::L1(i)),
        "trades" => Ok(Topic::Trades(i)),
        "ticker" => Ok(Topic::Ticker(i)),
        _ => Err(format!(
            "unknown stream kind {kind:?} (l2, l1, trades, ticker, candles)"
        )),
    }
}

use crate::rest::{coins_of as units, price_of as px, qty_of as qty};

impl Topic {
    fn key(self) -> (u8, u32) {
        match self {
            Topic::L2(i) => (0, i),
            Topic::L1(i) => (1, i),
            Topic::Trades(i) => (2, i),
            // Candle keys: 10 + the interval's index in `Interval::ALL`.
            Topic::Candles(i, ns) => (
                10 + bourse_core::Interval::ALL
                    .iter()
                    .position(|v| v.nanos() == ns)
                    .unwrap_or(0) as u8,
                i,
            ),
            Topic::Ticker(i) => (3, i),
        }
    }
}

/// Every public stream message of one batch, rendered once: `(kind, instrument, JSON)`.
fn render_public(cfg: &ExchangeConfig, batch: &Published) -> Vec<(u8, u32, std::sync::Arc<str>)> {
    use serde_json::json;
    let mut out = Vec::new();
    for e in &batch.events {
        let (key, v) = match &e.event {
            Event::DepthUpdate(d) => {
                let i = d.instrument;
                let rows = |r: &[(i64, u64)]| {
                    r.iter()
                        .map(|&(p, l)| [px(cfg, i, p), qty(cfg, i, l)])
                        .collect::<Vec<_>>()
                };
                (
                    (0, i),
                    json!({"stream": format!("l2:{}", cfg.instruments[i as usize].symbol), "data": {
                    "firstUpdateId": d.first_update_id, "lastUpdateId": d.last_update_id,
                    "bids": rows(&d.bids), "asks": rows(&d.asks), "time": e.ts_ns / 1_000_000}}),
                )
            }
            Event::BookTicker(b) => {
                let i = b.instrument;
                let side = |x: Option<(i64, u64)>| x.map(|(p, l)| [px(cfg, i, p), qty(cfg, i, l)]);
                (
                    (1, i),
                    json!({"stream": format!("l1:{}", cfg.instruments[i as usize].symbol), "data": {
                    "updateId": b.update_id, "bid": side(b.bid), "ask": side(b.ask), "time": e.ts_ns / 1_000_000}}),
                )
            }
            Event::Trade(t) => {
                let i = t.instrument;
                (
                    (2, i),
                    json!({"stream": format!("trades:{}", cfg.instruments[i as usize].symbol), "data": {
                    "id": t.trade_id.to_string(), "price": px(cfg, i, t.price), "quantity": qty(cfg, i, t.qty),
                    "side": if t.aggressor == Side::Buy { "BUY" } else { "SELL" }, "time": e.ts_ns / 1_000_000}}),
                )
            }
            _ => continue,
        };
        out.push((key.0, key.1, std::sync::Arc::from(v.to_string())));
    }
    for (i, iv, c) in &batch.candles {
        let k = 10
            + bourse_core::Interval::ALL
                .iter()
                .position(|v| v == iv)
                .unwrap_or(0) as u8;
        let qa = cfg.instruments[*i as usize].quote;
        let v = json!({"stream": format!("candles:{}:{}", cfg.instruments[*i as usize].symbol, iv.label()), "data": {
            "openTime": c.open_time_ns / 1_000_000, "open": px(cfg, *i, c.open), "high": px(cfg, *i, c.high),
            "low": px(cfg, *i, c.low), "close": px(cfg, *i, c.close), "volume": qty(cfg, *i, c.volume),
            "quoteVolume": units(cfg, qa, c.quote_volume), "trades": c.trades}});
        out.push((k, *i, std::sync::Arc::from(v.to_string())));
    }
    for (i, t) in &batch.tickers {
        let qa = cfg.instruments[*i as usize].quote;
        let v = json!({"stream": format!("ticker:{}", cfg.instruments[*i as usize].symbol), "data": {
            "last": px(cfg, *i, t.last), "open": px(cfg, *i, t.open), "high": px(cfg, *i, t.high), "low": px(cfg, *i, t.low),
            "volume": qty(cfg, *i, t.volume), "quoteVolume": units(cfg, qa, t.quote_volume), "trades": t.trades,
            "changeBps": t.change_bps}});
        out.push((3, *i, std::sync::Arc::from(v.to_string())));
    }
    out
}

/// The JSON messages of one published batch for a connection with `topics` (and `account`).
fn render(
    cfg: &ExchangeConfig,
    topics: &BTreeSet<Topic>,
    account: Option<AccountId>,
    batch: &Published,
    out: &mut Vec<String>,
) {
    use serde_json::json;
    if !topics.is_empty() {
        let keys: BTreeSet<(u8, u32)> = topics.iter().map(|t| t.key()).collect();
        for (k, i, text) in batch.rendered.get_or_init(|| render_public(cfg, batch)) {
            if keys.contains(&(*k, *i)) {
                out.push(text.to_string());
            }
        }
    }
    let Some(account) = account else { return };
    for e in &batch.events {
        let v = match &e.event {
            Event::Execution(r) if r.account == account => {
                let i = r.instrument;
                json!({"stream": "executions", "data": {
                    "orderId": r.order_id.to_string(), "clientOrderId": r.client_order_id.map(|c| c.to_string()),
                    "symbol": cfg.instruments[i as usize].symbol, "side": bourse_protocol::wire_name(&r.side),
                    "orderType": bourse_protocol::wire_name(&r.order_type), "execType": bourse_protocol::wire_name(&r.exec_type),
                    "status": bourse_protocol::wire_name(&r.status), "reason": r.reason.map(|x| bourse_protocol::wire_name(&x)),
                    "price": px(cfg, i, r.price), "quantity": qty(cfg, i, r.quantity),
                    "lastPrice": px(cfg, i, r.last_price), "lastQuantity": qty(cfg, i, r.last_qty),
                    "filledQuantity": qty(cfg, i, r.cum_qty), "cumulativeQuote": units(cfg, cfg.instruments[i as usize].quote, r.cum_quote),
                    "fee": units(cfg, r.fee_asset, r.fee), "tradeId": r.trade_id.to_string(), "time": e.ts_ns / 1_000_000}})
            }
            Event::BalanceUpdate {
                account: a,
                asset,
                available,
                locked,
            } if *a == account => {
                json!({"stream": "balances", "data": {"asset": cfg.assets[*asset as usize].symbol,
                    "available": units(cfg, *asset, *available), "locked": units(cfg, *asset, *locked), "time": e.ts_ns / 1_000_000}})
            }
            _ => continue,
        };
        out.push(v.to_string());
    }
}

/// `GET /ws/stream`: JSON market data (see [`StreamRequest`]).
pub async fn stream(
    ws: WebSocketUpgrade,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    AxState(app): AxState<AppState>,
) -> Response {
    let Some(slot) = IpSlot::take(&app, addr.ip()) else {
        return too_many();
    };
    ws.max_message_size(app.limits.max_ws_message_bytes)
        .on_upgrade(move |socket| stream_session(socket, app, slot))
}

async fn stream_session(socket: WebSocket, app: AppState, slot: IpSlot) {
    let (mut sink, mut incoming) = socket.split();
    let (out, mut out_rx) = mpsc::channel::<Message>(STREAM_OUT_BUFFER);
    // Market data frames carry the time their batch was applied, for the latency histogram.
    let (md, mut md_rx) = mpsc::channel::<(Message, std::time::Instant)>(STREAM_OUT_BUFFER);
    let hist = app.md_latency_us.clone();
    let writer = tokio::spawn(async move {
        let mut stamps: Vec<std::time::Instant> = Vec::new();
        'run: loop {
            let (m, applied) = tokio::select! {
                biased;
                m = out_rx.recv() => match m { Some(m) => (m, None), None => break },
                m = md_rx.recv() => match m { Some((m, t)) => (m, Some(t)), None => break },
            };
            let closing = matches!(m, Message::Close(_));
            if sink.feed(m).await.is_err() || closing {
                let _ = sink.flush().await;
                break;
            }
            stamps.extend(applied);
            // Whatever else is queued goes out with it: one flush (one write) per burst.
            while let Ok((m, t)) = md_rx.try_recv() {
                if sink.feed(m).await.is_err() {
                    break 'run;
                }
                stamps.push(t);
                if stamps.len() >= 256 {
                    break;
                }
            }
            if sink.flush().await.is_err() {
                break;
            }
            if let Ok(mut h) = hist.lock() {
                for t in stamps.drain(..) {
                    let _ = h.record(t.elapsed().as_micros().max(1) as u64);
                }
            }
        }
    });
    let mut rx = app.publish.subscribe();
    let mut topics: BTreeSet<Topic> = BTreeSet::new();
    let mut account: Option<AccountId> = None;
    let mut budget = Budget::new(app.limits.ws_messages_per_sec);
    let cfg = app.config.clone();
    let mut rendered = Vec::new();
    let reply = |out: &mpsc::Sender<Message>, v: serde_json::Value| {
        out.try_send(Message::Text(v.to_string().into())).is_ok()
    };
    loop {
        tokio::select! {
            msg = incoming.next() => {
                let Some(Ok(msg)) = msg else { break };
                if !budget.take() { let _ = out.try_send(close("too many messages")); break; }
                let text = match msg {
                    Message::Text(t) => t.to_string(),
                    Message::Close(_) => break,
                    Message::Binary(_) => { if !reply(&out, serde_json::json!({"error": {"code": "BAD_REQUEST", "msg": "send JSON text messages"}})) { break } continue }
                    _ => continue,
                };
                let ok = match serde_json::from_str::<StreamRequest>(&text) {
                    Err(e) => reply(&out, serde_json::json!({"error": {"code": "BAD_REQUEST", "msg": e.to_string()}})),
                    Ok(StreamRequest::Ping) => reply(&out, serde_json::json!({"op": "pong"})),
                    Ok(StreamRequest::Subscribe { streams }) => {
                        match streams.iter().map(|s| parse_topic(&cfg, s)).collect::<Result<Vec<_>, _>>() {
                            Err(e) => reply(&out, serde_json::json!({"error": {"code": "BAD_REQUEST", "msg": e}})),
                            Ok(new) => {
                                let mut all = topics.clone();
                                all.extend(new);
                                if all.len() > app.limits.max_subscriptions {
                                    reply(&out, serde_json::json!({"error": {"code": "BAD_REQUEST", "msg": format!("at most {} subscriptions per connection", app.limits.max_subscriptions)}}))
                                } else {
                                    topics = all;
                                    reply(&out, serde_json::json!({"result": "subscribed", "streams": streams}))
                                }
                            }
                        }
                    }
                    Ok(StreamRequest::Unsubscribe { streams }) => {
                        for s in &streams { if let Ok(t) = parse_topic(&cfg, s) { topics.remove(&t); } }
                        reply(&out, serde_json::json!({"result": "unsubscribed", "streams": streams}))
                    }
                    Ok(StreamRequest::Login { token }) => {
                        let t = token.clone();
                        match app.engine.call(move |st| st.creds.account_of(&t)).await {
                            Ok(Some(a)) => { account = Some(a); reply(&out, serde_json::json!({"result": "logged_in", "accountId": a.to_string()})) }
                            Ok(None) => reply(&out, serde_json::json!({"error": {"code": "UNAUTHORIZED", "msg": "unknown API key or token"}})),
                            Err(_) => reply(&out, serde_json::json!({"error": {"code": "OVERLOADED", "msg": "try again"}})),
                        }
                    }
                };
                if !ok { break; }
            }
            batch = rx.recv() => {
                match batch {
                    Ok(b) => {
                        if topics.is_empty() && account.is_none() { continue; }
                        rendered.clear();
                        render(&cfg, &topics, account, &b, &mut rendered);
                        let mut slow = false;
                        for m in rendered.drain(..) {
                            if md.try_send((Message::Text(m.into()), b.applied_at)).is_err() { slow = true; break; }
                        }
                        if slow {
                            // The writer's buffer is full: the client does not keep up.
                            let _ = out.try_send(close("too slow"));
                            break;
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => { let _ = out.try_send(close("too slow")); break; }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        }
    }
    drop(out);
    drop(md);
    // A writer stuck on a client that never reads is stopped rather than awaited.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    writer.abort();
    drop(slot);
}
