//! Binance's WebSocket side: market streams (web-socket-streams.md) at `/ws/<stream>`,
//! `/ws/<anything>` and `/stream?streams=a/b` with live `SUBSCRIBE` / `UNSUBSCRIBE` /
//! `LIST_SUBSCRIPTIONS` / `SET_PROPERTY` / `GET_PROPERTY`, and user data over the WebSocket API
//! (web-socket-api.md, user-data-stream.md) at `/ws-api/v3`: `userDataStream.subscribe.signature`,
//! then `executionReport` and `outboundAccountPosition` events of the signed-in account.
//!
//! # Invariants
//! - `<symbol>@depth` (every 1000 ms) and `@depth@100ms` gather the core's `DepthUpdate`s between
//!   two sends into one event: `U` is the first book update id gathered and `u` the last, each
//!   changed level with its newest quantity, so `U == previous u + 1` always holds and the first
//!   event after `GET /api/v3/depth`'s `lastUpdateId` contains it (Binance's local order book
//!   procedure; ccxt.pro's strict check). Nothing is sent for a period without changes.
//! - `@depth5/10/20[@100ms]` are the top levels of a book each connection keeps from a
//!   REST-equivalent snapshot taken when it subscribes plus the diffs after it, sent when changed.
//! - Like `/ws/stream`, a connection's writer has a bounded buffer ([`BINANCE_OUT_BUFFER`]); a
//!   client that cannot keep up is closed (1008 `too slow`) and never slows the engine.
//! - The server pings every [`PING_EVERY`] (Binance: 20 s); client pings are answered with pongs.

use super::binance_symbol;
use super::sign::{check_window, signature_ok};
use crate::engine::{wall_ns, Published};
use crate::gateway::AppState;
use crate::rest::{coins_of, price_of, qty_of};
use crate::ws::{close, too_many, Budget, IpSlot};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Path, RawQuery, State as AxState};
use axum::response::Response;
use bourse_core::{
    AccountId, Event, ExchangeConfig, ExecType, InstrumentId, Interval, Liquidity, Side,
};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::mpsc;

/// Messages queued for one Binance WebSocket connection's writer.
pub const BINANCE_OUT_BUFFER: usize = 4_096;
/// How often the server pings a connection.
pub const PING_EVERY: Duration = Duration::from_secs(20);
/// How often a connection checks whether a depth stream's period (100 ms or 1000 ms) is due.
pub const DEPTH_TICK: Duration = Duration::from_millis(20);
/// Most levels a partial book stream shows (`@depth20`).
pub const MAX_PARTIAL_LEVELS: usize = 20;

/// One market stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// Diff depth, sent every this many ms (Binance: 1000 for `@depth`, 100 for `@depth@100ms`).
    Depth(u16),
    /// Partial book of this many levels, every this many ms.
    Partial(usize, u16),
    Trade,
    AggTrade,
    Kline(Interval),
    BookTicker,
    Ticker,
    MiniTicker,
}

/// Parse a stream name (`btcusdt@depth@100ms`, `ethusdt@kline_1m`, …).
fn parse_stream(cfg: &ExchangeConfig, name: &str) -> Result<(InstrumentId, Kind), String> {
    let (sym, rest) = name
        .split_once('@')
        .ok_or_else(|| format!("Invalid request: unknown stream {name:?}"))?;
    let i = cfg
        .instruments
        .iter()
        .position(|s| binance_symbol(&s.symbol).to_lowercase() == sym)
        .ok_or_else(|| format!("Invalid request: unknown symbol {sym:?} in {name:?}"))?
        as InstrumentId;
    let kind = match rest {
        "depth" | "depth@1000ms" => Kind::Depth(1000),
        "depth@100ms" => Kind::Depth(100),
        "trade" => Kind::Trade,
        "aggTrade" => Kind::AggTrade,
        "bookTicker" => Kind::BookTicker,
        "ticker" => Kind::Ticker,
        "miniTicker" => Kind::MiniTicker,
        _ => {
            if let Some(iv) = rest.strip_prefix("kline_") {
                let iv = Interval::parse(iv)
                    .filter(|v| v.label() == iv)
                    .ok_or_else(|| {
                        format!("Invalid request: interval {iv:?} (1s, 1m, 5m, 15m, 1h, 4h, 1d)")
                    })?;
                Kind::Kline(iv)
            } else {
                let unknown = || format!("Invalid request: unknown stream {name:?}");
                let r = rest.strip_prefix("depth").ok_or_else(unknown)?;
                let (n, speed) = match r.split_once('@') {
                    None => (r, 1000),
                    Some((n, "100ms")) => (n, 100),
                    Some((n, "1000ms")) => (n, 1000),
                    Some(_) => return Err(unknown()),
                };
                let levels = n
                    .parse::<usize>()
                    .ok()
                    .filter(|n| [5, 10, 20].contains(n))
                    .ok_or_else(unknown)?;
                Kind::Partial(levels, speed)
            }
        }
    };
    Ok((i, kind))
}

/// A book kept by one connection for its partial depth streams (ticks → lots).
#[derive(Debug, Default)]
struct LocalBook {
    last_update_id: u64,
    bids: BTreeMap<i64, u64>,
    asks: BTreeMap<i64, u64>,
}

impl LocalBook {
    fn apply(&mut self, d: &bourse_core::DepthUpdate) {
        if d.last_update_id <= self.last_update_id {
            return;
        }
        for (side, rows) in [(&mut self.bids, &d.bids), (&mut self.asks, &d.asks)] {
            for &(p, l) in rows.iter() {
                if l == 0 {
                    side.remove(&p);
                } else {
                    side.insert(p, l);
                }
            }
        }
        self.last_update_id = d.last_update_id;
    }
}

fn row(cfg: &ExchangeConfig, i: InstrumentId, p: i64, l: u64) -> Value {
    json!([price_of(cfg, i, p), qty_of(cfg, i, l)])
}

/// A best price level `(ticks, lots)`, if any.
type Level = Option<(i64, u64)>;

/// A `kline` event (web-socket-streams.md "Kline/Candlestick Streams"); the core's candles do not
/// split volume by aggressor nor keep first/last trade ids, so `V`, `Q` are "0" and `f`, `L` -1.
fn kline_value(
    cfg: &ExchangeConfig,
    i: InstrumentId,
    iv: Interval,
    c: &bourse_core::Candle,
    t: u64,
    closed: bool,
) -> Value {
    let s = binance_symbol(&cfg.instruments[i as usize].symbol);
    let qa = cfg.instruments[i as usize].quote;
    let open = c.open_time_ns / 1_000_000;
    json!({"e": "kline", "E": t, "s": s, "k": {
        "t": open, "T": open + iv.nanos() / 1_000_000 - 1, "s": s, "i": iv.label(), "f": -1, "L": -1,
        "o": price_of(cfg, i, c.open), "c": price_of(cfg, i, c.close), "h": price_of(cfg, i, c.high),
        "l": price_of(cfg, i, c.low), "v": qty_of(cfg, i, c.volume), "n": c.trades, "x": closed,
        "q": coins_of(cfg, qa, c.quote_volume), "V": "0", "Q": "0", "B": "0"}})
}

/// What one connection needs to render: its subscriptions and per-instrument state.
#[derive(Default)]
struct Subs {
    streams: BTreeMap<String, (InstrumentId, Kind)>,
    books: HashMap<InstrumentId, LocalBook>,
    l1: HashMap<InstrumentId, (Level, Level)>,
    combined: bool,
    /// Diffs gathered since the last send, per (instrument, period ms).
    pending: BTreeMap<(InstrumentId, u16), PendingDiff>,
    /// Partial books changed since the last send, per (instrument, levels, period ms).
    dirty: std::collections::BTreeSet<(InstrumentId, usize, u16)>,
    /// When each period last sent (wall clock: Binance's update speeds are real time).
    sent_at: BTreeMap<u16, std::time::Instant>,
    /// Market clock of the newest batch seen, ms.
    now_ms: u64,
    /// The last candle sent per kline stream, to close it when the next one opens.
    klines: BTreeMap<(InstrumentId, Interval), bourse_core::Candle>,
}

/// Book changes gathered for one diff depth stream between two sends: `U` of the first change,
/// `u` of the last, and each changed level's newest quantity (0 = gone).
#[derive(Debug, Default)]
struct PendingDiff {
    first: u64,
    last: u64,
    bids: BTreeMap<i64, u64>,
    asks: BTreeMap<i64, u64>,
}

impl Subs {
    fn wants(&self, i: InstrumentId, k: Kind) -> Vec<&str> {
        self.streams
            .iter()
            .filter(|(_, v)| **v == (i, k))
            .map(|(n, _)| n.as_str())
            .collect()
    }

    fn emit(&self, out: &mut Vec<String>, names: &[&str], data: &Value) {
        for n in names {
            let text = if self.combined {
                json!({"stream": n, "data": data}).to_string()
            } else {
                data.to_string()
            };
            out.push(text);
        }
    }

    /// Send the depth streams whose period (wall clock) has passed: one `depthUpdate` per diff
    /// stream with everything gathered since its last send, and the partial books that changed.
    /// `E` is the market clock of the newest batch.
    fn flush(&mut self, cfg: &ExchangeConfig, out: &mut Vec<String>) {
        let now = self.now_ms;
        let wall = std::time::Instant::now();
        for period in [100u16, 1000] {
            if let Some(last) = self.sent_at.get(&period) {
                if wall.duration_since(*last) < Duration::from_millis(u64::from(period)) {
                    continue;
                }
            }
            if !self.pending.keys().any(|k| k.1 == period)
                && !self.dirty.iter().any(|k| k.2 == period)
            {
                continue;
            }
            self.sent_at.insert(period, wall);
            let keys: Vec<_> = self
                .pending
                .keys()
                .filter(|k| k.1 == period)
                .copied()
                .collect();
            for key in keys {
                let Some(p) = self.pending.remove(&key) else {
                    continue;
                };
                let i = key.0;
                let names = self.wants(i, Kind::Depth(period));
                let v = json!({"e": "depthUpdate", "E": now, "s": binance_symbol(&cfg.instruments[i as usize].symbol),
                    "U": p.first, "u": p.last,
                    "b": p.bids.iter().rev().map(|(&px, &l)| row(cfg, i, px, l)).collect::<Vec<_>>(),
                    "a": p.asks.iter().map(|(&px, &l)| row(cfg, i, px, l)).collect::<Vec<_>>()});
                self.emit(out, &names, &v);
            }
            let dirty: Vec<_> = self
                .dirty
                .iter()
                .filter(|k| k.2 == period)
                .copied()
                .collect();
            for key in dirty {
                self.dirty.remove(&key);
                let (i, n, _) = key;
                let Some(b) = self.books.get(&i) else {
                    continue;
                };
                let names = self.wants(i, Kind::Partial(n, period));
                let v = json!({"lastUpdateId": b.last_update_id,
                    "bids": b.bids.iter().rev().take(n).map(|(&p, &l)| row(cfg, i, p, l)).collect::<Vec<_>>(),
                    "asks": b.asks.iter().take(n).map(|(&p, &l)| row(cfg, i, p, l)).collect::<Vec<_>>()});
                self.emit(out, &names, &v);
            }
        }
    }

    /// The messages of one published batch (depth streams are gathered for [`Subs::flush`]).
    fn render(&mut self, cfg: &ExchangeConfig, batch: &Published, out: &mut Vec<String>) {
        if let Some(e) = batch.events.last() {
            self.now_ms = self.now_ms.max(e.ts_ns / 1_000_000);
        }
        for e in &batch.events {
            let t = e.ts_ns / 1_000_000;
            match &e.event {
                Event::DepthUpdate(d) => {
                    let i = d.instrument;
                    for period in [100u16, 1000] {
                        if self.wants(i, Kind::Depth(period)).is_empty() {
                            continue;
                        }
                        let p = self.pending.entry((i, period)).or_default();
                        if p.first == 0 {
                            p.first = d.first_update_id;
                        }
                        p.last = d.last_update_id;
                        p.bids.extend(d.bids.iter().copied());
                        p.asks.extend(d.asks.iter().copied());
                    }
                    if let Some(b) = self.books.get_mut(&i) {
                        b.apply(d);
                        for n in [5, 10, 20] {
                            for period in [100u16, 1000] {
                                if !self.wants(i, Kind::Partial(n, period)).is_empty() {
                                    self.dirty.insert((i, n, period));
                                }
                            }
                        }
                    }
                }
                Event::Trade(tr) => {
                    let i = tr.instrument;
                    let s = binance_symbol(&cfg.instruments[i as usize].symbol);
                    let (p, q, m) = (
                        price_of(cfg, i, tr.price),
                        qty_of(cfg, i, tr.qty),
                        tr.aggressor == Side::Sell,
                    );
                    let names = self.wants(i, Kind::Trade);
                    if !names.is_empty() {
                        let v = json!({"e": "trade", "E": t, "s": s, "t": tr.trade_id, "p": p, "q": q, "T": t, "m": m, "M": true});
                        self.emit(out, &names, &v);
                    }
                    let names = self.wants(i, Kind::AggTrade);
                    if !names.is_empty() {
                        let v = json!({"e": "aggTrade", "E": t, "s": s, "a": tr.trade_id, "p": p, "q": q,
                            "f": tr.trade_id, "l": tr.trade_id, "T": t, "m": m, "M": true});
                        self.emit(out, &names, &v);
                    }
                }
                Event::BookTicker(b) => {
                    let i = b.instrument;
                    self.l1.insert(i, (b.bid, b.ask));
                    let names = self.wants(i, Kind::BookTicker);
                    if !names.is_empty() {
                        let side = |x: Option<(i64, u64)>| match x {
                            Some((p, l)) => (price_of(cfg, i, p), qty_of(cfg, i, l)),
                            None => ("0".to_string(), "0".to_string()),
                        };
                        let ((bp, bq), (ap, aq)) = (side(b.bid), side(b.ask));
                        let v = json!({"u": b.update_id, "s": binance_symbol(&cfg.instruments[i as usize].symbol),
                            "b": bp, "B": bq, "a": ap, "A": aq});
                        self.emit(out, &names, &v);
                    }
                }
                _ => {}
            }
        }
        let t = batch.events.last().map_or(0, |e| e.ts_ns / 1_000_000);
        for (i, iv, c) in &batch.candles {
            let names: Vec<String> = self
                .wants(*i, Kind::Kline(*iv))
                .into_iter()
                .map(str::to_string)
                .collect();
            if names.is_empty() {
                continue;
            }
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            // A new candle closes the one before: its last state goes out once more as final
            // (`x: true`), as Binance sends it.
            if let Some(prev) = self.klines.insert((*i, *iv), *c) {
                if prev.open_time_ns < c.open_time_ns {
                    let v = kline_value(cfg, *i, *iv, &prev, t, true);
                    self.emit(out, &names, &v);
                }
            }
            let v = kline_value(cfg, *i, *iv, c, t, false);
            self.emit(out, &names, &v);
        }
        for (i, tk) in &batch.tickers {
            let s = binance_symbol(&cfg.instruments[*i as usize].symbol);
            let qa = cfg.instruments[*i as usize].quote;
            let (c, o, h, l) = (
                price_of(cfg, *i, tk.last),
                price_of(cfg, *i, tk.open),
                price_of(cfg, *i, tk.high),
                price_of(cfg, *i, tk.low),
            );
            let (v, q) = (
                qty_of(cfg, *i, tk.volume),
                coins_of(cfg, qa, tk.quote_volume),
            );
            let names = self.wants(*i, Kind::MiniTicker);
            if !names.is_empty() {
                let m = json!({"e": "24hrMiniTicker", "E": t, "s": s, "c": c, "o": o, "h": h, "l": l, "v": v, "q": q});
                self.emit(out, &names, &m);
            }
            let names = self.wants(*i, Kind::Ticker);
            if !names.is_empty() {
                let (bid, ask) = self.l1.get(i).copied().unwrap_or((None, None));
                let side = |x: Option<(i64, u64)>| match x {
                    Some((p, l)) => (price_of(cfg, *i, p), qty_of(cfg, *i, l)),
                    None => ("0".to_string(), "0".to_string()),
                };
                let ((bp, bq), (ap, aq)) = (side(bid), side(ask));
                let change = super::rest::price_signed(cfg, *i, tk.change);
                let (pct, w) = super::rest::ticker_stats(cfg, *i, tk);
                let last_qty = batch
                    .events
                    .iter()
                    .rev()
                    .find_map(|e| match &e.event {
                        Event::Trade(tr) if tr.instrument == *i => Some(tr.qty),
                        _ => None,
                    })
                    .unwrap_or(0);
                let m = json!({"e": "24hrTicker", "E": t, "s": s, "p": change, "P": pct.to_string(),
                    "w": w.to_string(), "x": o, "c": c, "Q": qty_of(cfg, *i, last_qty), "b": bp, "B": bq, "a": ap, "A": aq, "o": o, "h": h, "l": l,
                    "v": v, "q": q, "O": t.saturating_sub(86_400_000), "C": t, "F": -1, "L": -1, "n": tk.trades});
                self.emit(out, &names, &m);
            }
        }
    }
}

/// `GET /ws`, `/ws/{name}`, `/stream?streams=a/b`: market streams (see the module docs). A name
/// that is a stream subscribes to it at once; anything else (ccxt.pro connects to `/ws/0`) opens
/// an empty connection for `SUBSCRIBE`. `/stream` wraps payloads as `{"stream", "data"}`.
pub async fn market(
    ws: WebSocketUpgrade,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    AxState(app): AxState<AppState>,
    name: Option<Path<String>>,
    RawQuery(q): RawQuery,
    uri: axum::http::Uri,
) -> Response {
    let Some(slot) = IpSlot::take(&app, addr.ip()) else {
        return too_many();
    };
    let combined = uri.path() == "/stream";
    let mut initial: Vec<String> = Vec::new();
    if combined {
        if let Some(q) = q {
            for (k, v) in form_urlencoded::parse(q.as_bytes()) {
                if k == "streams" {
                    initial.extend(v.split('/').filter(|s| !s.is_empty()).map(str::to_string));
                }
            }
        }
    } else if let Some(Path(n)) = name {
        for s in n.split('/') {
            if parse_stream(&app.config, s).is_ok() {
                initial.push(s.to_string());
            }
        }
    }
    ws.max_message_size(app.limits.max_ws_message_bytes)
        .on_upgrade(move |socket| market_session(socket, app, slot, combined, initial))
}

/// Take snapshots the new subscriptions need (books for partial depth, L1 for tickers).
async fn prime(app: &AppState, subs: &mut Subs, added: &[(InstrumentId, Kind)]) {
    for &(i, k) in added {
        if matches!(k, Kind::Partial(..)) && !subs.books.contains_key(&i) {
            let snap = app
                .engine
                .call(move |st| st.exchange().depth(i, 5_000))
                .await
                .ok()
                .flatten();
            if let Some(d) = snap {
                subs.books.insert(
                    i,
                    LocalBook {
                        last_update_id: d.last_update_id,
                        bids: d.bids.into_iter().collect(),
                        asks: d.asks.into_iter().collect(),
                    },
                );
            }
        }
        if k == Kind::Ticker && !subs.l1.contains_key(&i) {
            if let Ok(Some(b)) = app
                .engine
                .call(move |st| st.exchange().book_ticker(i))
                .await
            {
                subs.l1.insert(i, (b.bid, b.ask));
            }
        }
    }
}

/// Split a socket into a bounded writer task (which also pings) and return its sender.
fn writer(
    socket: WebSocket,
) -> (
    mpsc::Sender<Message>,
    futures_util::stream::SplitStream<WebSocket>,
    tokio::task::JoinHandle<()>,
) {
    let (mut sink, incoming) = socket.split();
    let (out, mut rx) = mpsc::channel::<Message>(BINANCE_OUT_BUFFER);
    let task = tokio::spawn(async move {
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        loop {
            let m = tokio::select! {
                m = rx.recv() => match m { Some(m) => m, None => break },
                _ = ping.tick() => Message::Ping(axum::body::Bytes::from_static(b"bourse")),
            };
            let closing = matches!(m, Message::Close(_));
            if sink.feed(m).await.is_err() || closing {
                let _ = sink.flush().await;
                break;
            }
            while let Ok(m) = rx.try_recv() {
                let closing = matches!(m, Message::Close(_));
                if sink.feed(m).await.is_err() || closing {
                    let _ = sink.flush().await;
                    return;
                }
            }
            if sink.flush().await.is_err() {
                break;
            }
        }
    });
    (out, incoming, task)
}

/// Queue every rendered message for the writer; false (after queueing a 1008 `too slow` close)
/// when the connection's buffer is full.
fn send_all(out: &mpsc::Sender<Message>, rendered: &mut Vec<String>) -> bool {
    for m in rendered.drain(..) {
        if out.try_send(Message::Text(m.into())).is_err() {
            let _ = out.try_send(close("too slow"));
            return false;
        }
    }
    true
}

fn text(v: Value) -> Message {
    Message::Text(v.to_string().into())
}

async fn market_session(
    socket: WebSocket,
    app: AppState,
    slot: IpSlot,
    combined: bool,
    initial: Vec<String>,
) {
    let (out, mut incoming, task) = writer(socket);
    let cfg = app.config.clone();
    let mut subs = Subs {
        combined,
        ..Subs::default()
    };
    let mut rx = app.publish.subscribe();
    let mut added = Vec::new();
    for s in initial {
        if let Ok(v) = parse_stream(&cfg, &s) {
            subs.streams.insert(s, v);
            added.push(v);
        }
    }
    prime(&app, &mut subs, &added).await;
    let mut budget = Budget::new(app.limits.ws_messages_per_sec);
    let mut rendered = Vec::new();
    let mut tick = tokio::time::interval(DEPTH_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                rendered.clear();
                subs.flush(&cfg, &mut rendered);
                if !send_all(&out, &mut rendered) { break; }
            }
            msg = incoming.next() => {
                let Some(Ok(msg)) = msg else { break };
                if !budget.take() { let _ = out.try_send(close("too many messages")); break; }
                let raw = match msg {
                    Message::Text(t) => t.to_string(),
                    Message::Close(_) => break,
                    _ => continue,
                };
                let answer = control(&app, &cfg, &mut subs, &raw).await;
                if out.try_send(text(answer)).is_err() { break; }
            }
            batch = rx.recv() => {
                match batch {
                    Ok(b) => {
                        if subs.streams.is_empty() { continue; }
                        rendered.clear();
                        subs.render(&cfg, &b, &mut rendered);
                        subs.flush(&cfg, &mut rendered);
                        if !send_all(&out, &mut rendered) { break; }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        let _ = out.try_send(close("too slow"));
                        break;
                    }
                    Err(_) => break,
                }
            }
        }
    }
    drop(out);
    let _ = task.await;
    drop(slot);
}

/// Answer one control message (`{"method": "SUBSCRIBE", "params": [...], "id": 1}`).
async fn control(app: &AppState, cfg: &ExchangeConfig, subs: &mut Subs, raw: &str) -> Value {
    let err =
        |id: &Value, code: i32, msg: String| json!({"error": {"code": code, "msg": msg}, "id": id});
    let Ok(v) = serde_json::from_str::<Value>(raw) else {
        return err(
            &Value::Null,
            3,
            "Invalid JSON: expected an object with method, params and id".into(),
        );
    };
    let id = v.get("id").cloned().unwrap_or(Value::Null);
    if !(id.is_null() || id.is_u64() || id.is_string()) {
        return err(
            &id,
            2,
            "Invalid request: request ID must be an unsigned integer or a string".into(),
        );
    }
    let params: Vec<Value> = match v.get("params") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return err(&id, 2, "Invalid request: 'params' must be a list".into()),
    };
    let names = || -> Result<Vec<String>, String> {
        params
            .iter()
            .map(|p| {
                p.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| "Invalid request: stream names are strings".to_string())
            })
            .collect()
    };
    match v.get("method").and_then(Value::as_str) {
        Some("SUBSCRIBE") => {
            let list = match names() {
                Ok(l) => l,
                Err(e) => return err(&id, 2, e),
            };
            let mut parsed = Vec::new();
            for n in &list {
                match parse_stream(cfg, n) {
                    Ok(p) => parsed.push((n.clone(), p)),
                    Err(e) => return err(&id, 2, e),
                }
            }
            let total = subs.streams.len() + parsed.iter().filter(|(n, _)| !subs.streams.contains_key(n)).count();
            if total > app.limits.max_subscriptions {
                return err(&id, 2, format!("Invalid request: at most {} streams per connection", app.limits.max_subscriptions));
            }
            let added: Vec<_> = parsed.iter().map(|(_, p)| *p).collect();
            prime(app, subs, &added).await;
            subs.streams.extend(parsed);
            json!({"result": null, "id": id})
        }
        Some("UNSUBSCRIBE") => match names() {
            Ok(list) => {
                for n in list {
                    subs.streams.remove(&n);
                }
                json!({"result": null, "id": id})
            }
            Err(e) => err(&id, 2, e),
        },
        Some("LIST_SUBSCRIPTIONS") => {
            json!({"result": subs.streams.keys().collect::<Vec<_>>(), "id": id})
        }
        Some("SET_PROPERTY") => match (params.first().and_then(Value::as_str), params.get(1).and_then(Value::as_bool)) {
            (Some("combined"), Some(b)) => {
                subs.combined = b;
                json!({"result": null, "id": id})
            }
            _ => err(&id, 2, "Invalid request: SET_PROPERTY takes [\"combined\", true|false]".into()),
        },
        Some("GET_PROPERTY") => match params.first().and_then(Value::as_str) {
            Some("combined") => json!({"result": subs.combined, "id": id}),
            _ => err(&id, 2, "Invalid request: GET_PROPERTY takes [\"combined\"]".into()),
        },
        _ => err(&id, 1, "Invalid request: unknown method (SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY)".into()),
    }
}

// ------------------------------------------------------------------ WebSocket API (user data)

/// `GET /ws-api/v3`: Binance's WebSocket API, the part a bot needs for user data:
/// `userDataStream.subscribe.signature` (params `apiKey`, `timestamp`, `recvWindow`, `signature`:
/// HMAC-SHA256 of the other params sorted by name, as a query string), `userDataStream.unsubscribe`,
/// `ping`, `time`. Events arrive as `{"subscriptionId": 0, "event": {...}}`.
pub async fn ws_api(
    ws: WebSocketUpgrade,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    AxState(app): AxState<AppState>,
) -> Response {
    let Some(slot) = IpSlot::take(&app, addr.ip()) else {
        return too_many();
    };
    ws.max_message_size(app.limits.max_ws_message_bytes)
        .on_upgrade(move |socket| api_session(socket, app, slot))
}

fn api_error(id: &Value, status: u16, code: i32, msg: &str) -> Value {
    json!({"id": id, "status": status, "error": {"code": code, "msg": msg}})
}

/// Check a `userDataStream.subscribe.signature` request; the account it signs in.
async fn subscribe_signature(
    app: &AppState,
    params: &serde_json::Map<String, Value>,
) -> Result<AccountId, (u16, i32, String)> {
    let s = |k: &str| {
        params.get(k).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    let key = s("apiKey").ok_or((
        400,
        -1102,
        "Mandatory parameter 'apiKey' was not sent, was empty/null, or malformed.".to_string(),
    ))?;
    let sig = s("signature").ok_or((
        400,
        -1102,
        "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.".to_string(),
    ))?;
    let ts: u64 = s("timestamp").and_then(|t| t.parse().ok()).ok_or((
        400,
        -1102,
        "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.".to_string(),
    ))?;
    let window: u64 = match s("recvWindow") {
        None => super::sign::DEFAULT_RECV_WINDOW_MS,
        Some(w) => w.parse().map_err(|_| {
            (
                400,
                -1100,
                "Illegal characters found in parameter 'recvWindow'.".to_string(),
            )
        })?,
    };
    check_window(ts, window, wall_ns() / 1_000_000).map_err(|e| (400, e.code, e.msg))?;
    let mut sorted: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "signature")
        .map(|(k, v)| {
            (
                k.clone(),
                match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            )
        })
        .collect();
    sorted.sort();
    let payload = sorted
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let k2 = key.clone();
    let found = app
        .engine
        .call(move |st| st.creds.secret_of(&k2).map(str::to_string).zip(st.creds.account_of(&k2)))
        .await
        .map_err(|_| (503, -1008, "Server is currently overloaded with other requests. Please try again in a few minutes.".to_string()))?;
    let (secret, account) = found.ok_or((
        401,
        -2015,
        "Invalid API-key, IP, or permissions for action.".to_string(),
    ))?;
    if !signature_ok(&secret, &payload, &sig) {
        return Err((
            400,
            -1022,
            "Signature for this request is not valid.".to_string(),
        ));
    }
    Ok(account)
}

/// The user data events of one batch for `account`: execution reports, then one
/// `outboundAccountPosition` with the assets that changed. Client order id labels are looked up
/// through `labels` (cached per connection).
async fn user_events(
    app: &AppState,
    cfg: &ExchangeConfig,
    account: AccountId,
    batch: &Published,
    labels: &mut HashMap<u64, String>,
    out: &mut Vec<String>,
) {
    let mut changed: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
    let mut last_t = 0;
    for e in &batch.events {
        let t = e.ts_ns / 1_000_000;
        match &e.event {
            Event::Execution(r) if r.account == account => {
                last_t = t;
                let label = match r.client_order_id {
                    None => String::new(),
                    Some(c) if c < 1 << 63 => c.to_string(),
                    Some(c) => match labels.get(&c) {
                        Some(l) => l.clone(),
                        None => {
                            let l = app
                                .engine
                                .call(move |st| st.creds.label_of(account, c))
                                .await
                                .unwrap_or_else(|_| c.to_string());
                            labels.insert(c, l.clone());
                            l
                        }
                    },
                };
                let i = r.instrument;
                let qa = cfg.instruments[i as usize].quote;
                let x = match r.exec_type {
                    ExecType::New | ExecType::Triggered => "NEW",
                    ExecType::Trade => "TRADE",
                    ExecType::Canceled => "CANCELED",
                    ExecType::Rejected => "REJECTED",
                    ExecType::Expired => "EXPIRED",
                    ExecType::Amended => "REPLACED",
                };
                let ty = match r.order_type {
                    bourse_core::OrderType::Limit => "LIMIT",
                    bourse_core::OrderType::Market => "MARKET",
                    bourse_core::OrderType::StopMarket => "STOP_LOSS",
                    bourse_core::OrderType::StopLimit => "STOP_LOSS_LIMIT",
                };
                let trade = r.exec_type == ExecType::Trade;
                let v = json!({"subscriptionId": 0, "event": {
                    "e": "executionReport", "E": t, "s": binance_symbol(&cfg.instruments[i as usize].symbol),
                    "c": label, "S": bourse_protocol::wire_name(&r.side), "o": ty,
                    "f": bourse_protocol::wire_name(&r.tif), "q": qty_of(cfg, i, r.quantity),
                    "p": if r.price != 0 { price_of(cfg, i, r.price) } else { "0".into() },
                    "P": if r.stop_price != 0 { price_of(cfg, i, r.stop_price) } else { "0".into() },
                    "F": "0", "g": -1, "C": "", "x": x, "X": bourse_protocol::wire_name(&r.status),
                    "r": r.reason.map_or("NONE".to_string(), |x| bourse_protocol::wire_name(&x)),
                    "i": r.order_id, "l": qty_of(cfg, i, r.last_qty), "z": qty_of(cfg, i, r.cum_qty),
                    "L": price_of(cfg, i, r.last_price), "n": coins_of(cfg, r.fee_asset, r.fee),
                    "N": if trade { Value::from(cfg.assets[r.fee_asset as usize].symbol.clone()) } else { Value::Null },
                    "T": t, "t": if trade { r.trade_id as i64 } else { -1 }, "I": e.seq, "w": !trade || r.cum_qty < r.quantity,
                    "m": r.liquidity == Some(Liquidity::Maker), "M": false, "O": t,
                    "Z": coins_of(cfg, qa, r.cum_quote), "Y": coins_of(cfg, qa, r.last_quote),
                    "Q": coins_of(cfg, qa, r.quote_quantity), "W": t, "V": "NONE"}});
                out.push(v.to_string());
            }
            Event::BalanceUpdate {
                account: a,
                asset,
                available,
                locked,
            } if *a == account => {
                last_t = t;
                changed.insert(*asset, (*available, *locked));
            }
            _ => {}
        }
    }
    if !changed.is_empty() {
        let v = json!({"subscriptionId": 0, "event": {"e": "outboundAccountPosition", "E": last_t, "u": last_t,
            "B": changed.iter().map(|(&a, &(f, l))| json!({"a": cfg.assets[a as usize].symbol,
                "f": coins_of(cfg, a, f), "l": coins_of(cfg, a, l)})).collect::<Vec<_>>()}});
        out.push(v.to_string());
    }
}

async fn api_session(socket: WebSocket, app: AppState, slot: IpSlot) {
    let (out, mut incoming, task) = writer(socket);
    let cfg = app.config.clone();
    let mut rx = app.publish.subscribe();
    let mut account: Option<AccountId> = None;
    let mut labels: HashMap<u64, String> = HashMap::new();
    let mut budget = Budget::new(app.limits.ws_messages_per_sec);
    let mut rendered = Vec::new();
    loop {
        tokio::select! {
            msg = incoming.next() => {
                let Some(Ok(msg)) = msg else { break };
                if !budget.take() { let _ = out.try_send(close("too many messages")); break; }
                let raw = match msg {
                    Message::Text(t) => t.to_string(),
                    Message::Close(_) => break,
                    _ => continue,
                };
                let answer = match serde_json::from_str::<Value>(&raw) {
                    Err(_) => api_error(&Value::Null, 400, -1000, "Invalid JSON."),
                    Ok(v) => {
                        let id = v.get("id").cloned().unwrap_or(Value::Null);
                        let params = v.get("params").and_then(Value::as_object).cloned().unwrap_or_default();
                        match v.get("method").and_then(Value::as_str) {
                            Some("ping") => json!({"id": id, "status": 200, "result": {}}),
                            Some("time") => json!({"id": id, "status": 200, "result": {"serverTime": wall_ns() / 1_000_000}}),
                            Some("userDataStream.subscribe.signature") => match subscribe_signature(&app, &params).await {
                                Ok(a) => {
                                    account = Some(a);
                                    json!({"id": id, "status": 200, "result": {"subscriptionId": 0}})
                                }
                                Err((status, code, msg)) => api_error(&id, status, code, &msg),
                            },
                            Some("userDataStream.unsubscribe") => {
                                account = None;
                                json!({"id": id, "status": 200, "result": {}})
                            }
                            _ => api_error(&id, 400, -1000, "Unknown method: this server takes ping, time, userDataStream.subscribe.signature and userDataStream.unsubscribe."),
                        }
                    }
                };
                if out.try_send(text(answer)).is_err() { break; }
            }
            batch = rx.recv() => {
                match batch {
                    Ok(b) => {
                        let Some(a) = account else { continue };
                        rendered.clear();
                        user_events(&app, &cfg, a, &b, &mut labels, &mut rendered).await;
                        if !send_all(&out, &mut rendered) { break; }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        let _ = out.try_send(close("too slow"));
                        break;
                    }
                    Err(_) => break,
                }
            }
        }
    }
    drop(out);
    let _ = task.await;
    drop(slot);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_parse_as_binance_spells_them() {
        let cfg = ExchangeConfig::default_spot();
        assert_eq!(
            parse_stream(&cfg, "btcusdt@depth@100ms"),
            Ok((0, Kind::Depth(100)))
        );
        assert_eq!(
            parse_stream(&cfg, "ethusdt@depth"),
            Ok((1, Kind::Depth(1000)))
        );
        assert_eq!(
            parse_stream(&cfg, "btcusdt@depth10@100ms"),
            Ok((0, Kind::Partial(10, 100)))
        );
        assert_eq!(
            parse_stream(&cfg, "btcusdt@kline_1m"),
            Ok((0, Kind::Kline(Interval::M1)))
        );
        assert_eq!(
            parse_stream(&cfg, "btcusdt@miniTicker"),
            Ok((0, Kind::MiniTicker))
        );
        for bad in [
            "BTCUSDT@trade",
            "btcusdt",
            "btcusdt@depth7",
            "btcusdt@kline_3m",
            "dogeusdt@trade",
            "btcusdt@tradex",
        ] {
            assert!(parse_stream(&cfg, bad).is_err(), "{bad}");
        }
    }
}
