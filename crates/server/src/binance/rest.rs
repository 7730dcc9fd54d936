//! `/api/v3/…`: Binance's spot REST API (rest-api.md), as ccxt 4.5.90 calls and parses it.
//!
//! Amounts are decimal strings, times epoch milliseconds (the engine's market clock; at speed 1
//! it follows the wall clock), ids JSON numbers. Parameters come from the query string and the
//! form body; a parameter the endpoint does not read is refused (-1104) rather than ignored.
//! What Bourse's core has no form of (TAKE_PROFIT orders, trailing delta, iceberg, OCO/OTO lists,
//! cancel-replace, listen keys) answers Binance's own error instead of pretending.

use super::binance_symbol;
use super::error::{BResult, BinanceError};
use super::sign::Params;
use crate::credentials::client_id_for;
use crate::engine::{wall_ns, State};
use crate::gateway::AppState;
use crate::projections::OrderRecord;
use crate::rest::{coins_of, price_of, qty_of, rejection};
use axum::body::Bytes;
use axum::extract::{RawQuery, State as AxState};
use axum::http::HeaderMap;
use axum::Json;
use bourse_core::{
    from_grid, unit_step, AccountId, Command, Event, ExchangeConfig, ExecType, InstrumentId,
    Interval, Liquidity, OrderRef, OrderSpec, OrderStatus, OrderType, Sequenced, Side, StpMode,
    TimeInForce,
};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::str::FromStr;

/// Most rows of `trades`, `aggTrades`, `klines`, `allOrders`, `myTrades` (Binance's 1000).
pub const MAX_ROWS: usize = 1_000;
/// Rows without `limit` (Binance's 500).
pub const DEFAULT_ROWS: usize = 500;
/// Most levels per side of `depth` (Binance's 5000).
pub const MAX_DEPTH: usize = 5_000;
/// Levels per side of `depth` without `limit` (Binance's 100).
pub const DEFAULT_DEPTH: usize = 100;
/// The order types this exchange takes, as exchangeInfo lists them.
pub const ORDER_TYPES: [&str; 5] = [
    "LIMIT",
    "LIMIT_MAKER",
    "MARKET",
    "STOP_LOSS",
    "STOP_LOSS_LIMIT",
];

type J = BResult<Json<Value>>;

fn wall_ms() -> u64 {
    wall_ns() / 1_000_000
}

fn ms(ns: u64) -> u64 {
    ns / 1_000_000
}

/// The instrument a Binance symbol (`BTCUSDT`) names.
///
/// # Errors
/// -1121 "Invalid symbol."
pub fn instrument_of(cfg: &ExchangeConfig, symbol: &str) -> BResult<InstrumentId> {
    cfg.instruments
        .iter()
        .position(|i| binance_symbol(&i.symbol) == symbol)
        .map(|i| i as InstrumentId)
        .ok_or_else(BinanceError::bad_symbol)
}

fn sym(cfg: &ExchangeConfig, i: InstrumentId) -> String {
    binance_symbol(&cfg.instruments[i as usize].symbol)
}

fn quote_of(cfg: &ExchangeConfig, i: InstrumentId) -> u32 {
    cfg.instruments[i as usize].quote
}

/// A strictly formatted decimal parameter (`^([0-9]{1,20})(\.[0-9]{1,20})?$`).
fn decimal(p: &Params, name: &str) -> BResult<Option<Decimal>> {
    let Some(v) = p.get(name) else {
        return Ok(None);
    };
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    let ok = !int.is_empty()
        && int.len() <= 20
        && frac.len() <= 20
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && (frac.is_empty() != v.contains('.'));
    if !ok {
        return Err(BinanceError::illegal(
            name,
            "^([0-9]{1,20})(\\.[0-9]{1,20})?$",
        ));
    }
    Decimal::from_str(v)
        .map(Some)
        .map_err(|_| BinanceError::illegal(name, "^([0-9]{1,20})(\\.[0-9]{1,20})?$"))
}

fn limit_of(p: &Params, default: usize, max: usize) -> BResult<usize> {
    Ok(match p.u64("limit")? {
        None => default,
        Some(0) => default,
        Some(n) => (n as usize).min(max),
    })
}

fn params(query: Option<String>, body: &[u8]) -> BResult<Params> {
    Params::parse(query.as_deref(), body)
}

async fn public<T: Send + 'static>(
    app: &AppState,
    f: impl FnOnce(&mut State) -> BResult<T> + Send + 'static,
) -> BResult<T> {
    app.engine.call(f).await?
}

/// Run `f` as the account of the request's `X-MBX-APIKEY`, after the signature and timing
/// checks ([`Params::verify`]).
async fn signed<T: Send + 'static>(
    app: &AppState,
    headers: &HeaderMap,
    p: Params,
    f: impl FnOnce(&mut State, AccountId, &Params) -> BResult<T> + Send + 'static,
) -> BResult<T> {
    let key = headers
        .get("x-mbx-apikey")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .filter(|k| !k.is_empty() && k.len() <= 128)
        .ok_or_else(|| BinanceError::bad_key(-2014))?;
    let now = wall_ms();
    app.engine
        .call(move |st| {
            let secret = st
                .creds
                .secret_of(&key)
                .ok_or_else(|| BinanceError::bad_key(-2015))?
                .to_string();
            let account = st
                .creds
                .account_of(&key)
                .ok_or_else(|| BinanceError::bad_key(-2015))?;
            p.verify(&secret, now)?;
            f(st, account, &p)
        })
        .await?
}

// ------------------------------------------------------------------ public

/// `GET /api/v3/ping` → `{}`.
pub async fn ping() -> Json<Value> {
    Json(json!({}))
}

/// `GET /api/v3/time` → `{"serverTime": ms}` (the wall clock, which `timestamp` is checked
/// against).
pub async fn time() -> Json<Value> {
    Json(json!({"serverTime": wall_ms()}))
}

fn symbol_info(st: &State, i: InstrumentId) -> Value {
    let cfg = st.exchange().config();
    let spec = &cfg.instruments[i as usize];
    let (base, quote) = (
        &cfg.assets[spec.base as usize],
        &cfg.assets[spec.quote as usize],
    );
    let band = Decimal::from(spec.price_band_bps) / Decimal::from(10_000);
    json!({
        "symbol": binance_symbol(&spec.symbol),
        "status": if st.exchange().is_halted(i) { "HALT" } else { "TRADING" },
        "baseAsset": base.symbol, "baseAssetPrecision": base.decimals,
        "quoteAsset": quote.symbol, "quotePrecision": quote.decimals, "quoteAssetPrecision": quote.decimals,
        "baseCommissionPrecision": base.decimals, "quoteCommissionPrecision": quote.decimals,
        "orderTypes": ORDER_TYPES,
        "icebergAllowed": false, "ocoAllowed": false, "otoAllowed": false,
        "quoteOrderQtyMarketAllowed": true, "allowTrailingStop": false,
        "cancelReplaceAllowed": false, "amendAllowed": true,
        "isSpotTradingAllowed": true, "isMarginTradingAllowed": false,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": spec.tick_size.to_string(), "maxPrice": "0", "tickSize": spec.tick_size.to_string()},
            {"filterType": "LOT_SIZE", "minQty": spec.min_qty.to_string(), "maxQty": spec.max_qty.to_string(), "stepSize": spec.lot_size.to_string()},
            {"filterType": "MARKET_LOT_SIZE", "minQty": spec.min_qty.to_string(), "maxQty": spec.max_qty.to_string(), "stepSize": spec.lot_size.to_string()},
            {"filterType": "NOTIONAL", "minNotional": spec.min_notional.to_string(), "applyMinToMarket": true,
             "maxNotional": "0", "applyMaxToMarket": false, "avgPriceMins": 0},
            {"filterType": "PERCENT_PRICE", "multiplierUp": (Decimal::ONE + band).normalize().to_string(),
             "multiplierDown": (Decimal::ONE - band).normalize().to_string(), "avgPriceMins": 0},
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": cfg.default_max_open_orders},
        ],
        "permissions": [], "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": bourse_protocol::wire_name(&StpMode::default()),
        "allowedSelfTradePreventionModes": ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    })
}

/// Symbols named by `symbol` or `symbols` (a JSON list, `["BTCUSDT","ETHUSDT"]`), or all.
fn symbols_of(cfg: &ExchangeConfig, p: &Params) -> BResult<Option<Vec<InstrumentId>>> {
    if let Some(s) = p.get("symbol") {
        if p.get("symbols").is_some() {
            return Err(BinanceError::new(
                -1106,
                "Parameter 'symbols' sent when not required.",
            ));
        }
        return Ok(Some(vec![instrument_of(cfg, s)?]));
    }
    match p.get("symbols") {
        None => Ok(None),
        Some(list) => {
            let names: Vec<String> = serde_json::from_str(list).map_err(|_| {
                BinanceError::illegal(
                    "symbols",
                    "^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$",
                )
            })?;
            names
                .iter()
                .map(|s| instrument_of(cfg, s))
                .collect::<BResult<Vec<_>>>()
                .map(Some)
        }
    }
}

/// `GET /api/v3/exchangeInfo[?symbol=|symbols=]`: per symbol its status, assets and
/// precisions, `orderTypes` and the filters PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE, NOTIONAL,
/// PERCENT_PRICE (the core's price band) and MAX_NUM_ORDERS, derived from the instrument's rules.
pub async fn exchange_info(AxState(app): AxState<AppState>, RawQuery(q): RawQuery) -> J {
    let p = params(q, b"")?;
    p.only(&[
        "symbol",
        "symbols",
        "permissions",
        "showPermissionSets",
        "symbolStatus",
    ])?;
    let limits = app.limits;
    public(&app, move |st| {
        let cfg = st.exchange().config().clone();
        let all: Vec<InstrumentId> = (0..cfg.instruments.len() as InstrumentId).collect();
        let picked = symbols_of(&cfg, &p)?.unwrap_or(all);
        Ok(Json(json!({
            "timezone": "UTC",
            "serverTime": wall_ms(),
            "rateLimits": [
                {"rateLimitType": "REQUEST_WEIGHT", "interval": "SECOND", "intervalNum": 1, "limit": limits.rest_per_ip_per_sec},
                {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 1, "limit": limits.rest_per_key_per_sec},
            ],
            "exchangeFilters": [],
            "symbols": picked.iter().map(|&i| symbol_info(st, i)).collect::<Vec<_>>(),
        })))
    })
    .await
}

/// `GET /api/v3/depth?symbol=&limit=` → `{lastUpdateId, bids, asks}`: the book's update id is the
/// one the `@depth` streams' `U`/`u` continue.
pub async fn depth(AxState(app): AxState<AppState>, RawQuery(q): RawQuery) -> J {
    let p = params(q, b"")?;
    p.only(&["symbol", "limit"])?;
    let limit = limit_of(&p, DEFAULT_DEPTH, MAX_DEPTH)?;
    public(&app, move |st| {
        let cfg = st.exchange().config();
        let i = instrument_of(cfg, p.req("symbol")?)?;
        let d = st
            .exchange()
            .depth(i, limit)
            .ok_or_else(BinanceError::bad_symbol)?;
        let row = |&(t, l): &(i64, u64)| json!([price_of(cfg, i, t), qty_of(cfg, i, l)]);
        Ok(Json(json!({
            "lastUpdateId": d.last_update_id,
            "bids": d.bids.iter().map(row).collect::<Vec<_>>(),
            "asks": d.asks.iter().map(row).collect::<Vec<_>>(),
        })))
    })
    .await
}

/// `GET /api/v3/trades?symbol=&limit=`: recent trades, oldest first (kept: the last 1,000 per
/// instrument).
pub async fn trades(AxState(app): AxState<AppState>, RawQuery(q): RawQuery) -> J {
    let p = params(q, b"")?;
    p.only(&["symbol", "limit"])?;
    let limit = limit_of(&p, DEFAULT_ROWS, MAX_ROWS)?;
    public(&app, move |st| {
        let cfg = st.exchange().config();
        let i = instrument_of(cfg, p.req("symbol")?)?;
        let mut rows: Vec<Value> = st
            .proj
            .trades_of(i)
            .take(limit)
            .map(|t| {
                json!({"id": t.trade_id, "price": price_of(cfg, i, t.price), "qty": qty_of(cfg, i, t.qty),
                    "quoteQty": coins_of(cfg, quote_of(cfg, i), t.quote), "time": ms(t.ts_ns),
                    "isBuyerMaker": t.aggressor == Side::Sell, "isBestMatch": true})
            })
            .collect();
        rows.reverse();
        Ok(Json(Value::Array(rows)))
    })
    .await
}

/// `GET /api/v3/aggTrades?symbol=&fromId=&startTime=&endTime=&limit=`: one aggregate per trade
/// (`f == l == a`: the core reports each maker fill as its own trade), oldest first.
pub async fn agg_trades(AxState(app): AxState<AppState>, RawQuery(q): RawQuery) -> J {
    let p = params(q, b"")?;
    p.only(&["symbol", "limit", "fromId", "startTime", "endTime"])?;
    let limit = limit_of(&p, DEFAULT_ROWS, MAX_ROWS)?;
    let (from_id, start, end) = (p.u64("fromId")?, p.u64("startTime")?, p.u64("endTime")?);
    public(&app, move |st| {
        let cfg = st.exchange().config();
        let i = instrument_of(cfg, p.req("symbol")?)?;
        let mut picked: Vec<_> = st
            .proj
            .trades_of(i)
            .filter(|t| from_id.is_none_or(|f| t.trade_id >= f))
            .filter(|t| start.is_none_or(|s| ms(t.ts_ns) >= s))
            .filter(|t| end.is_none_or(|e| ms(t.ts_ns) <= e))
            .collect();
        picked.reverse();
        window(&mut picked, limit, from_id.is_some() || start.is_some());
        Ok(Json(Value::Array(
            picked
                .iter()
                .map(|t| {
                    json!({"a": t.trade_id, "p": price_of(cfg, i, t.price), "q": qty_of(cfg, i, t.qty),
                        "f": t.trade_id, "l": t.trade_id, "T": ms(t.ts_ns),
                        "m": t.aggressor == Side::Sell, "M": true})
                })
                .collect(),
        )))
    })
    .await
}

/// The core's interval for a Binance `interval` (1s, 1m, 5m, 15m, 1h, 4h, 1d; Binance's others
/// answer -1120).
fn interval_of(p: &Params) -> BResult<Interval> {
    let s = p.req("interval")?;
    Interval::parse(s)
        .filter(|iv| iv.label() == s)
        .ok_or_else(|| BinanceError::new(-1120, "Invalid interval."))
}

/// `GET /api/v3/klines?symbol=&interval=&startTime=&endTime=&limit=`: rows
/// `[openTime, open, high, low, close, volume, closeTime, quoteVolume, trades,
/// takerBuyBaseVolume, takerBuyQuoteVolume, "0"]`, oldest first. The core's candles do not split
/// volume by aggressor, so the two taker-buy columns are "0".
pub async fn klines(AxState(app): AxState<AppState>, RawQuery(q): RawQuery) -> J {
    let p = params(q, b"")?;
    p.only(&[
        "symbol",
        "interval",
        "startTime",
        "endTime",
        "limit",
        "timeZone",
    ])?;
    let iv = interval_of(&p)?;
    let limit = limit_of(&p, DEFAULT_ROWS, MAX_ROWS)?;
    let (start, end) = (p.u64("startTime")?, p.u64("endTime")?);
    public(&app, move |st| {
        let cfg = st.exchange().config();
        let i = instrument_of(cfg, p.req("symbol")?)?;
        let all = st.exchange().candles(i, iv, st.now_ns(), iv.capacity());
        let mut picked: Vec<_> = all
            .iter()
            .filter(|c| start.is_none_or(|s| ms(c.open_time_ns) >= s))
            .filter(|c| end.is_none_or(|e| ms(c.open_time_ns) <= e))
            .collect();
        window(&mut picked, limit, start.is_some());
        let qa = quote_of(cfg, i);
        Ok(Json(Value::Array(
            picked
                .iter()
                .map(|c| {
                    json!([
                        ms(c.open_time_ns),
                        price_of(cfg, i, c.open),
                        price_of(cfg, i, c.high),
                        price_of(cfg, i, c.low),
                        price_of(cfg, i, c.close),
                        qty_of(cfg, i, c.volume),
                        ms(c.open_time_ns + iv.nanos()) - 1,
                        coins_of(cfg, qa, c.quote_volume),
                        c.trades,
                        "0",
                        "0",
                        "0"
                    ])
                })
                .collect(),
        )))
    })
    .await
}

fn best(x: Option<(i64, u64)>, cfg: &ExchangeConfig, i: InstrumentId) -> (String, String) {
    match x {
        Some((t, l)) => (price_of(cfg, i, t), qty_of(cfg, i, l)),
        None => ("0".into(), "0".into()),
    }
}

fn ticker_value(st: &State, i: InstrumentId, mini: bool) -> Value {
    let ex = st.exchange();
    let cfg = ex.config();
    let now = st.now_ns();
    let t = ex.ticker_24h(i, now).unwrap_or_default();
    let (bid, bid_q) = best(ex.book_ticker(i).and_then(|b| b.bid), cfg, i);
    let (ask, ask_q) = best(ex.book_ticker(i).and_then(|b| b.ask), cfg, i);
    let last = ex.last_price(i).unwrap_or(0);
    let recent: Vec<_> = st.proj.trades_of(i).take(1).collect();
    let last_qty = recent.first().map_or(0, |r| r.qty);
    let (open, high, low) = if t.trades > 0 {
        (t.open, t.high, t.low)
    } else {
        (last, last, last)
    };
    let qa = quote_of(cfg, i);
    let (change_pct, weighted) = ticker_stats(cfg, i, &t);
    let mut v = json!({
        "symbol": sym(cfg, i),
        "openPrice": price_of(cfg, i, open), "highPrice": price_of(cfg, i, high),
        "lowPrice": price_of(cfg, i, low), "lastPrice": price_of(cfg, i, last),
        "volume": qty_of(cfg, i, t.volume), "quoteVolume": coins_of(cfg, qa, t.quote_volume),
        "openTime": ms(now.saturating_sub(86_400_000_000_000)), "closeTime": ms(now),
        "count": t.trades,
    });
    if !mini {
        let extra = json!({
            "priceChange": price_signed(cfg, i, if t.trades > 0 { t.change } else { 0 }),
            "priceChangePercent": change_pct.to_string(),
            "weightedAvgPrice": weighted.to_string(),
            "prevClosePrice": price_of(cfg, i, open),
            "lastQty": qty_of(cfg, i, last_qty),
            "bidPrice": bid, "bidQty": bid_q, "askPrice": ask, "askQty": ask_q,
            "firstId": -1, "lastId": recent.first().map_or(-1, |r| r.trade_id as i64),
        });
        if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
            m.extend(e);
        }
    }
    v
}

fn lots_dec(cfg: &ExchangeConfig, i: InstrumentId, lots: u64) -> Decimal {
    from_grid(
        lots.min(i64::MAX as u64) as i64,
        cfg.instruments[i as usize].lot_size,
    )
}

fn coins_dec(cfg: &ExchangeConfig, a: u32, units: u64) -> Decimal {
    from_grid(
        units.min(i64::MAX as u64) as i64,
        unit_step(cfg.assets[a as usize].decimals),
    )
}

/// A signed price change, e.g. `-0.16`.
pub(crate) fn price_signed(cfg: &ExchangeConfig, i: InstrumentId, ticks: i64) -> String {
    from_grid(ticks, cfg.instruments[i as usize].tick_size).to_string()
}

/// The 24-hour ticker's `priceChangePercent` (change / open × 100, 3 decimals) and
/// `weightedAvgPrice` (quote volume / volume, at the quote asset's decimals); zeros without trades
/// (rest-api.md "24hr ticker price change statistics"). Shared by REST and the `@ticker` stream.
pub(crate) fn ticker_stats(
    cfg: &ExchangeConfig,
    i: InstrumentId,
    t: &bourse_core::Ticker24h,
) -> (Decimal, Decimal) {
    let qa = quote_of(cfg, i);
    let open = from_grid(t.open, cfg.instruments[i as usize].tick_size);
    let pct = if t.trades == 0 || open.is_zero() {
        Decimal::ZERO
    } else {
        (from_grid(t.change, cfg.instruments[i as usize].tick_size) / open * Decimal::from(100))
            .round_dp(3)
    };
    let volume = lots_dec(cfg, i, t.volume);
    let weighted = if volume.is_zero() {
        Decimal::ZERO
    } else {
        (coins_dec(cfg, qa, t.quote_volume) / volume).round_dp(cfg.assets[qa as usize].decimals)
    };
    (pct.normalize(), weighted.normalize())
}

/// Keep `limit` rows of `rows` (oldest first): the first ones when the request gave where to
/// start (`fromId`, `orderId`, `startTime`), else the newest (Binance's rule for its lists).
fn window<T>(rows: &mut Vec<T>, limit: usize, from_start: bool) {
    if from_start {
        rows.truncate(limit);
    } else {
        let skip = rows.len().saturating_sub(limit);
        rows.drain(..skip);
    }
}

fn one_or_all(st: &State, p: &Params, f: impl Fn(&State, InstrumentId) -> Value) -> BResult<Value> {
    let cfg = st.exchange().config();
    match symbols_of(cfg, p)? {
        Some(list) if p.get("symbol").is_some() => Ok(f(st, list[0])),
        Some(list) => Ok(Value::Array(list.iter().map(|&i| f(st, i)).collect())),
        None => Ok(Value::Array(
            (0..cfg.instruments.len() as InstrumentId)
                .map(|i| f(st, i))
                .collect(),
        )),
    }
}

/// `GET /api/v3/ticker/24hr[?symbol=|symbols=][&type=FULL|MINI]`: the rolling 24-hour
/// statistics (one object for `symbol`, else a list).
pub async fn ticker_24hr(AxState(app): AxState<AppState>, RawQuery(q): RawQuery) -> J {
    let p = params(q, b"")?;
    p.only(&["symbol", "symbols", "type"])?;
    let mini = match p.get("type") {
        None | Some("FULL") => false,
        Some("MINI") => true,
        Some(_) => return Err(BinanceError::illegal("type", "^(FULL|MINI)$")),
    };
    public(&app, move |st| {
        Ok(Json(one_or_all(st, &p, |st, i| ticker_value(st, i, mini))?))
    })
    .await
}

/// `GET /api/v3/ticker/price[?symbol=|symbols=]` → `{symbol, price}` (the last trade price).
pub async fn ticker_price(AxState(app): AxState<AppState>, RawQuery(q): RawQuery) -> J {
    let p = params(q, b"")?;
    p.only(&["symbol", "symbols"])?;
    public(&app, move |st| {
        Ok(Json(one_or_all(st, &p, |st, i| {
            let cfg = st.exchange().config();
            json!({"symbol": sym(cfg, i), "price": price_of(cfg, i, st.exchange().last_price(i).unwrap_or(0))})
        })?))
    })
    .await
}

/// `GET /api/v3/ticker/bookTicker[?symbol=|symbols=]` → `{symbol, bidPrice, bidQty, askPrice,
/// askQty}` ("0" for an empty side).
pub async fn book_ticker(AxState(app): AxState<AppState>, RawQuery(q): RawQuery) -> J {
    let p = params(q, b"")?;
    p.only(&["symbol", "symbols"])?;
    public(&app, move |st| {
        Ok(Json(one_or_all(st, &p, |st, i| {
            let ex = st.exchange();
            let cfg = ex.config();
            let (b, bq) = best(ex.book_ticker(i).and_then(|b| b.bid), cfg, i);
            let (a, aq) = best(ex.book_ticker(i).and_then(|b| b.ask), cfg, i);
            json!({"symbol": sym(cfg, i), "bidPrice": b, "bidQty": bq, "askPrice": a, "askQty": aq})
        })?))
    })
    .await
}

/// `GET /api/v3/avgPrice?symbol=` → `{mins: 5, price, closeTime}`: the volume-weighted price of
/// the last five one-minute candles (the last trade price when none traded).
pub async fn avg_price(AxState(app): AxState<AppState>, RawQuery(q): RawQuery) -> J {
    let p = params(q, b"")?;
    p.only(&["symbol"])?;
    public(&app, move |st| {
        let ex = st.exchange();
        let cfg = ex.config();
        let i = instrument_of(cfg, p.req("symbol")?)?;
        let now = st.now_ns();
        let cs = ex.candles(i, Interval::M1, now, 5);
        let qa = quote_of(cfg, i);
        let (mut vol, mut quote) = (Decimal::ZERO, Decimal::ZERO);
        for c in &cs {
            vol += lots_dec(cfg, i, c.volume);
            quote += coins_dec(cfg, qa, c.quote_volume);
        }
        let price = if vol.is_zero() {
            price_of(cfg, i, ex.last_price(i).unwrap_or(0))
        } else {
            (quote / vol)
                .round_dp(cfg.assets[qa as usize].decimals)
                .to_string()
        };
        Ok(Json(
            json!({"mins": 5, "price": price, "closeTime": ms(now)}),
        ))
    })
    .await
}

// ------------------------------------------------------------------ orders

/// Binance's `type` of an order: LIMIT (LIMIT_MAKER when post-only), MARKET, STOP_LOSS (the core's
/// STOP_MARKET), STOP_LOSS_LIMIT (STOP_LIMIT).
fn type_name(t: OrderType, post_only: bool) -> &'static str {
    match t {
        OrderType::Limit if post_only => "LIMIT_MAKER",
        OrderType::Limit => "LIMIT",
        OrderType::Market => "MARKET",
        OrderType::StopMarket => "STOP_LOSS",
        OrderType::StopLimit => "STOP_LOSS_LIMIT",
    }
}

fn status_name(s: OrderStatus) -> String {
    bourse_protocol::wire_name(&s)
}

/// An order in Binance's query shape (`GET /api/v3/order`), from its history record (and its
/// open state for post-only and self-trade prevention, which the history does not keep).
pub fn order_value(st: &State, r: &OrderRecord) -> Map<String, Value> {
    let cfg = st.exchange().config();
    let i = r.instrument;
    let open = st.exchange().open_order(r.id);
    let post_only = open.is_some_and(|o| o.post_only);
    let stp = open.map_or(StpMode::None, |o| o.stp);
    let is_stop = matches!(r.order_type, OrderType::StopMarket | OrderType::StopLimit);
    let price = if r.price != 0 {
        price_of(cfg, i, r.price)
    } else {
        "0".into()
    };
    let stop = if r.stop_price != 0 {
        price_of(cfg, i, r.stop_price)
    } else {
        "0".into()
    };
    let qa = quote_of(cfg, i);
    let v = json!({
        "symbol": sym(cfg, i), "orderId": r.id, "orderListId": -1,
        "clientOrderId": r.client_order_id.map(|c| st.creds.label_of(r.account, c)).unwrap_or_default(),
        "price": price, "origQty": qty_of(cfg, i, r.quantity), "executedQty": qty_of(cfg, i, r.cum_qty),
        "cummulativeQuoteQty": coins_of(cfg, qa, r.cum_quote), "status": status_name(r.status),
        "timeInForce": bourse_protocol::wire_name(&r.tif), "type": type_name(r.order_type, post_only),
        "side": bourse_protocol::wire_name(&r.side), "stopPrice": stop, "icebergQty": "0",
        "time": ms(r.created_ns), "updateTime": ms(r.updated_ns),
        "isWorking": !(is_stop && r.status == OrderStatus::New && r.cum_qty == 0 && open.is_some()),
        "workingTime": ms(r.created_ns),
        "origQuoteOrderQty": coins_of(cfg, qa, r.quote_quantity),
        "selfTradePreventionMode": bourse_protocol::wire_name(&stp),
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// What `POST /api/v3/order` answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RespType {
    Ack,
    Result,
    Full,
}

/// A new order's parameters, checked and translated (the client order id stays a string until
/// the engine maps it).
struct NewOrderParams {
    spec: OrderSpec,
    label: Option<String>,
    resp: RespType,
    market: bool,
}

/// Binance's `newClientOrderId` form: `^[\.A-Z\:/a-z0-9_-]{1,36}$`.
pub fn client_id_ok(s: &str) -> bool {
    (1..=36).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'/' | b'_' | b'-'))
}

const ORDER_PARAMS: &[&str] = &[
    "symbol",
    "side",
    "type",
    "timeInForce",
    "quantity",
    "quoteOrderQty",
    "price",
    "newClientOrderId",
    "stopPrice",
    "newOrderRespType",
    "selfTradePreventionMode",
    "trailingDelta",
    "icebergQty",
    "strategyId",
    "strategyType",
    "computeCommissionRates",
];

fn parse_new_order(cfg: &ExchangeConfig, p: &Params) -> BResult<NewOrderParams> {
    p.only(ORDER_PARAMS)?;
    let instrument = instrument_of(cfg, p.req("symbol")?)?;
    let side = match p.req("side")? {
        "BUY" => Side::Buy,
        "SELL" => Side::Sell,
        _ => return Err(BinanceError::new(-1117, "Invalid side.")),
    };
    let kind = p.req("type")?;
    let (order_type, post_only) = match kind {
        "LIMIT" => (OrderType::Limit, false),
        "LIMIT_MAKER" => (OrderType::Limit, true),
        "MARKET" => (OrderType::Market, false),
        "STOP_LOSS" => (OrderType::StopMarket, false),
        "STOP_LOSS_LIMIT" => (OrderType::StopLimit, false),
        _ => return Err(BinanceError::new(-1116, "Invalid orderType.")),
    };
    for unsupported in ["trailingDelta", "icebergQty"] {
        if p.get(unsupported)
            .is_some_and(|v| !v.trim_start_matches(['0', '.']).is_empty())
        {
            return Err(BinanceError::unsupported());
        }
    }
    let tif = match p.get("timeInForce") {
        None => None,
        Some("GTC") => Some(TimeInForce::Gtc),
        Some("IOC") => Some(TimeInForce::Ioc),
        Some("FOK") => Some(TimeInForce::Fok),
        Some(_) => return Err(BinanceError::new(-1115, "Invalid timeInForce.")),
    };
    let price = decimal(p, "price")?;
    let quantity = decimal(p, "quantity")?;
    let quote = decimal(p, "quoteOrderQty")?;
    let stop = decimal(p, "stopPrice")?;
    let not_required = |name: &str| {
        BinanceError::new(-1106, format!("Parameter '{name}' sent when not required."))
    };
    let needs_tif = matches!(kind, "LIMIT" | "STOP_LOSS_LIMIT");
    if needs_tif && tif.is_none() {
        return Err(BinanceError::mandatory("timeInForce"));
    }
    if !needs_tif && tif.is_some() && kind != "MARKET" {
        return Err(not_required("timeInForce"));
    }
    let limit_like = matches!(kind, "LIMIT" | "LIMIT_MAKER" | "STOP_LOSS_LIMIT");
    if limit_like && price.is_none() {
        return Err(BinanceError::mandatory("price"));
    }
    if !limit_like && price.is_some() {
        return Err(not_required("price"));
    }
    let is_stop = matches!(kind, "STOP_LOSS" | "STOP_LOSS_LIMIT");
    if is_stop && stop.is_none() {
        return Err(BinanceError::mandatory("stopPrice"));
    }
    if !is_stop && stop.is_some() {
        return Err(not_required("stopPrice"));
    }
    let by_quote_ok = matches!(kind, "MARKET" | "STOP_LOSS");
    match (quantity, quote) {
        (None, None) if by_quote_ok => {
            return Err(BinanceError::new(
                -1102,
                "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!",
            ))
        }
        (None, _) if !by_quote_ok => return Err(BinanceError::mandatory("quantity")),
        (Some(_), Some(_)) => return Err(not_required("quoteOrderQty")),
        (_, Some(_)) if !by_quote_ok => return Err(not_required("quoteOrderQty")),
        _ => {}
    }
    let stp = match p.get("selfTradePreventionMode") {
        None => StpMode::default(),
        Some("NONE") => StpMode::None,
        Some("EXPIRE_TAKER") => StpMode::ExpireTaker,
        Some("EXPIRE_MAKER") => StpMode::ExpireMaker,
        Some("EXPIRE_BOTH") => StpMode::ExpireBoth,
        Some(_) => return Err(BinanceError::unsupported()),
    };
    let resp = match p.get("newOrderRespType") {
        None if matches!(kind, "LIMIT" | "MARKET") => RespType::Full,
        None => RespType::Ack,
        Some("ACK") => RespType::Ack,
        Some("RESULT") => RespType::Result,
        Some("FULL") => RespType::Full,
        Some(_) => {
            return Err(BinanceError::illegal(
                "newOrderRespType",
                "^(ACK|RESULT|FULL)$",
            ))
        }
    };
    let label = match p.get("newClientOrderId") {
        None => None,
        Some(s) if client_id_ok(s) => Some(s.to_string()),
        Some(_) => {
            return Err(BinanceError::illegal(
                "newClientOrderId",
                "^[\\.A-Z\\:/a-z0-9_-]{1,36}$",
            ))
        }
    };
    Ok(NewOrderParams {
        spec: OrderSpec {
            instrument,
            side,
            order_type,
            tif: tif.unwrap_or_default(),
            price,
            quantity,
            quote_quantity: quote,
            stop_price: stop,
            post_only,
            stp,
            client_order_id: None,
        },
        label,
        resp,
        market: matches!(order_type, OrderType::Market | OrderType::StopMarket),
    })
}

fn fills_value(st: &State, id: u64, events: &[Sequenced]) -> Vec<Value> {
    let cfg = st.exchange().config();
    events
        .iter()
        .filter_map(|e| match &e.event {
            Event::Execution(r) if r.order_id == id && r.exec_type == ExecType::Trade => Some(json!({
                "price": price_of(cfg, r.instrument, r.last_price), "qty": qty_of(cfg, r.instrument, r.last_qty),
                "commission": coins_of(cfg, r.fee_asset, r.fee),
                "commissionAsset": cfg.assets[r.fee_asset as usize].symbol, "tradeId": r.trade_id,
            })),
            _ => None,
        })
        .collect()
}

fn place(st: &mut State, account: AccountId, mut o: NewOrderParams) -> BResult<Value> {
    if let Some(label) = &o.label {
        o.spec.client_order_id = Some(st.creds.client_id(account, label));
    }
    let (_, events) = st.submit(Command::PlaceOrder(o.spec.clone().for_account(account)));
    if let Some(reason) = rejection(&events) {
        return Err(BinanceError::from_reason(reason, o.market));
    }
    let id = events.iter().find_map(|e| match &e.event {
        Event::Execution(r) if r.account == account && r.order_id != 0 => Some(r.order_id),
        _ => None,
    });
    let Some(id) = id else {
        return Err(BinanceError::from_reason(
            bourse_core::Reason::InvalidOrder,
            o.market,
        ));
    };
    let rec = st
        .proj
        .order(id)
        .cloned()
        .ok_or_else(BinanceError::no_such_order)?;
    let mut m = order_value(st, &rec);
    m.insert("transactTime".into(), json!(ms(rec.created_ns)));
    // A post-only order keeps its type in the answer even when it is already closed.
    if o.spec.post_only {
        m.insert("type".into(), json!("LIMIT_MAKER"));
    }
    if o.resp == RespType::Ack {
        let keep = [
            "symbol",
            "orderId",
            "orderListId",
            "clientOrderId",
            "transactTime",
        ];
        m.retain(|k, _| keep.contains(&k.as_str()));
    } else {
        for k in ["time", "updateTime", "isWorking", "icebergQty"] {
            m.remove(k);
        }
        if o.resp == RespType::Full {
            m.insert("fills".into(), Value::Array(fills_value(st, id, &events)));
        }
    }
    Ok(Value::Object(m))
}

/// `POST /api/v3/order` (SIGNED): LIMIT (GTC, IOC, FOK), LIMIT_MAKER (post-only), MARKET by
/// `quantity` or `quoteOrderQty`, STOP_LOSS, STOP_LOSS_LIMIT; `newClientOrderId`;
/// `newOrderRespType` ACK / RESULT / FULL (with `fills`); `selfTradePreventionMode`. Rejects
/// carry Binance's codes (see [`BinanceError::from_reason`]).
pub async fn new_order(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> J {
    let p = params(q, &body)?;
    let cfg = app.config.clone();
    signed(&app, &headers, p, move |st, account, p| {
        let o = parse_new_order(&cfg, p)?;
        place(st, account, o).map(Json)
    })
    .await
}

/// `POST /api/v3/order/test` (SIGNED): checks the parameters, the signature and the
/// instrument's grid (tick, lot, quantity range, halt) without placing anything; `{}`.
pub async fn test_order(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> J {
    let p = params(q, &body)?;
    let cfg = app.config.clone();
    signed(&app, &headers, p, move |st, _, p| {
        let o = parse_new_order(&cfg, p)?;
        let spec = &cfg.instruments[o.spec.instrument as usize];
        if st.exchange().is_halted(o.spec.instrument) {
            return Err(BinanceError::from_reason(
                bourse_core::Reason::InstrumentHalted,
                o.market,
            ));
        }
        for px in [o.spec.price, o.spec.stop_price].into_iter().flatten() {
            if px <= Decimal::ZERO || !(px % spec.tick_size).is_zero() {
                return Err(BinanceError::from_reason(
                    bourse_core::Reason::PriceNotOnTick,
                    o.market,
                ));
            }
        }
        if let Some(q) = o.spec.quantity {
            if !(q % spec.lot_size).is_zero() || q < spec.min_qty || q > spec.max_qty {
                return Err(BinanceError::from_reason(
                    bourse_core::Reason::QuantityNotOnLot,
                    o.market,
                ));
            }
            if let Some(px) = o.spec.price {
                if px * q < spec.min_notional {
                    return Err(BinanceError::from_reason(
                        bourse_core::Reason::NotionalBelowMinimum,
                        o.market,
                    ));
                }
            }
        }
        Ok(Json(json!({})))
    })
    .await
}

/// The account's order named by `orderId` or `origClientOrderId` on the request's symbol: open
/// ones first, then the kept history (newest first).
fn find_order(st: &State, account: AccountId, p: &Params) -> BResult<Option<OrderRecord>> {
    let cfg = st.exchange().config();
    let i = instrument_of(cfg, p.req("symbol")?)?;
    let by_id = p.u64("orderId")?;
    let label = p.get("origClientOrderId");
    if by_id.is_none() && label.is_none() {
        return Err(BinanceError::new(
            -1102,
            "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
        ));
    }
    let mine = |r: &&OrderRecord| r.account == account && r.instrument == i;
    if let Some(id) = by_id {
        let r = st.proj.order(id).filter(mine).cloned();
        return Ok(r.filter(|r| label.is_none_or(|l| r.client_order_id == Some(client_id_for(l)))));
    }
    let cid = client_id_for(label.unwrap_or_default());
    if let Some(o) = st
        .exchange()
        .open_orders_of(account)
        .into_iter()
        .find(|o| o.instrument == i && o.client_order_id == Some(cid))
    {
        return Ok(st.proj.order(o.id).cloned());
    }
    Ok(st
        .proj
        .orders_of(account)
        .find(|r| r.instrument == i && r.client_order_id == Some(cid))
        .cloned())
}

/// `GET /api/v3/order` (SIGNED): one order by `orderId` or `origClientOrderId`; -2013 when the
/// account has no such order on the symbol (kept: every open order and the last 1,000 closed).
pub async fn query_order(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> J {
    let p = params(q, b"")?;
    p.only(&["symbol", "orderId", "origClientOrderId"])?;
    signed(&app, &headers, p, move |st, account, p| {
        let r = find_order(st, account, p)?.ok_or_else(BinanceError::no_such_order)?;
        Ok(Json(Value::Object(order_value(st, &r))))
    })
    .await
}

fn canceled_value(st: &State, r: &OrderRecord) -> Value {
    let mut m = order_value(st, r);
    let label = m.get("clientOrderId").cloned().unwrap_or(json!(""));
    m.insert("origClientOrderId".into(), label);
    m.insert("transactTime".into(), json!(ms(r.updated_ns)));
    for k in [
        "time",
        "updateTime",
        "isWorking",
        "icebergQty",
        "workingTime",
    ] {
        m.remove(k);
    }
    Value::Object(m)
}

/// `DELETE /api/v3/order` (SIGNED): cancel by `orderId` or `origClientOrderId`; -2011 "Unknown
/// order sent." when it is not open.
pub async fn cancel_order(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> J {
    let p = params(q, &body)?;
    p.only(&[
        "symbol",
        "orderId",
        "origClientOrderId",
        "newClientOrderId",
        "cancelRestrictions",
    ])?;
    signed(&app, &headers, p, move |st, account, p| {
        if p.get("cancelRestrictions").is_some() {
            return Err(BinanceError::unsupported());
        }
        let r = find_order(st, account, p)?.ok_or_else(BinanceError::unknown_order)?;
        if st.exchange().open_order(r.id).is_none() {
            return Err(BinanceError::unknown_order());
        }
        let (_, events) = st.submit(Command::CancelOrder {
            account,
            instrument: r.instrument,
            order: OrderRef::OrderId(r.id),
        });
        if rejection(&events).is_some() {
            return Err(BinanceError::unknown_order());
        }
        let r = st
            .proj
            .order(r.id)
            .cloned()
            .ok_or_else(BinanceError::unknown_order)?;
        Ok(Json(canceled_value(st, &r)))
    })
    .await
}

/// `DELETE /api/v3/openOrders?symbol=` (SIGNED): cancel every open order of the symbol; the
/// canceled orders, or -2011 when there was none (as Binance answers).
pub async fn cancel_open_orders(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> J {
    let p = params(q, &body)?;
    p.only(&["symbol"])?;
    signed(&app, &headers, p, move |st, account, p| {
        let i = instrument_of(st.exchange().config(), p.req("symbol")?)?;
        let (_, events) = st.submit(Command::CancelAll {
            account,
            instrument: Some(i),
        });
        if rejection(&events).is_some() {
            return Err(BinanceError::unknown_order());
        }
        let ids: Vec<u64> = events
            .iter()
            .filter_map(|e| match &e.event {
                Event::Execution(r)
                    if r.account == account && r.exec_type == ExecType::Canceled =>
                {
                    Some(r.order_id)
                }
                _ => None,
            })
            .collect();
        let out = ids
            .iter()
            .filter_map(|id| st.proj.order(*id).map(|r| canceled_value(st, r)))
            .collect();
        Ok(Json(Value::Array(out)))
    })
    .await
}

/// `PUT /api/v3/order/amend/keepPriority` (SIGNED): reduce an open order's quantity to `newQty`
/// (total, including what filled) keeping its place in the queue (the core's amend with a
/// smaller quantity at the same price). → `{transactTime, executionId, amendedOrder}`.
pub async fn amend_keep_priority(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> J {
    let p = params(q, &body)?;
    p.only(&[
        "symbol",
        "orderId",
        "origClientOrderId",
        "newClientOrderId",
        "newQty",
    ])?;
    signed(&app, &headers, p, move |st, account, p| {
        let new_qty = decimal(p, "newQty")?.ok_or_else(|| BinanceError::mandatory("newQty"))?;
        let r = find_order(st, account, p)?.ok_or_else(BinanceError::no_such_order)?;
        let open = st
            .exchange()
            .open_order(r.id)
            .ok_or_else(BinanceError::no_such_order)?;
        let cfg = st.exchange().config();
        let current = lots_dec(cfg, r.instrument, open.quantity);
        if new_qty >= current {
            return Err(BinanceError::new(
                -2038,
                "Order amend (quantity increase) is not supported.",
            ));
        }
        let (seq, events) = st.submit(Command::AmendOrder {
            account,
            instrument: r.instrument,
            order: OrderRef::OrderId(r.id),
            price: None,
            quantity: Some(new_qty),
        });
        if let Some(reason) = rejection(&events) {
            return Err(BinanceError::from_reason(reason, false));
        }
        let r = st
            .proj
            .order(r.id)
            .cloned()
            .ok_or_else(BinanceError::no_such_order)?;
        Ok(Json(json!({
            "transactTime": ms(r.updated_ns), "executionId": seq,
            "amendedOrder": Value::Object(order_value(st, &r)),
        })))
    })
    .await
}

/// `GET /api/v3/openOrders[?symbol=]` (SIGNED): the account's open orders, by order id.
pub async fn open_orders(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> J {
    let p = params(q, b"")?;
    p.only(&["symbol"])?;
    signed(&app, &headers, p, move |st, account, p| {
        let want = match p.get("symbol") {
            Some(s) => Some(instrument_of(st.exchange().config(), s)?),
            None => None,
        };
        let mut open = st.exchange().open_orders_of(account);
        open.sort_by_key(|o| o.id);
        let out = open
            .iter()
            .filter(|o| want.is_none_or(|i| o.instrument == i))
            .filter_map(|o| {
                st.proj
                    .order(o.id)
                    .map(|r| Value::Object(order_value(st, r)))
            })
            .collect();
        Ok(Json(Value::Array(out)))
    })
    .await
}

/// `GET /api/v3/allOrders?symbol=&orderId=&startTime=&endTime=&limit=` (SIGNED): the kept
/// orders of the symbol (every open one and the last 1,000 closed of the account), oldest first;
/// from `orderId` on when given.
pub async fn all_orders(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> J {
    let p = params(q, b"")?;
    p.only(&["symbol", "orderId", "startTime", "endTime", "limit"])?;
    signed(&app, &headers, p, move |st, account, p| {
        let i = instrument_of(st.exchange().config(), p.req("symbol")?)?;
        let limit = limit_of(p, DEFAULT_ROWS, MAX_ROWS)?;
        let (from, start, end) = (p.u64("orderId")?, p.u64("startTime")?, p.u64("endTime")?);
        let mut picked: Vec<&OrderRecord> = st
            .proj
            .orders_of(account)
            .filter(|r| r.instrument == i)
            .filter(|r| from.is_none_or(|f| r.id >= f))
            .filter(|r| start.is_none_or(|s| ms(r.created_ns) >= s))
            .filter(|r| end.is_none_or(|e| ms(r.created_ns) <= e))
            .collect();
        picked.reverse();
        window(&mut picked, limit, from.is_some() || start.is_some());
        Ok(Json(Value::Array(
            picked
                .iter()
                .map(|r| Value::Object(order_value(st, r)))
                .collect(),
        )))
    })
    .await
}

/// `GET /api/v3/account` (SIGNED): commission rates (the first instrument's maker and taker
/// fees; Bourse charges both in the quote asset) and every asset's `free` and `locked`
/// (`omitZeroBalances=true` leaves out empty ones).
pub async fn account(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> J {
    let p = params(q, b"")?;
    p.only(&["omitZeroBalances"])?;
    signed(&app, &headers, p, move |st, account, p| {
        let omit = match p.get("omitZeroBalances") {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(BinanceError::illegal("omitZeroBalances", "^(true|false)$")),
        };
        let ex = st.exchange();
        let cfg = ex.config();
        let rate = |ppm: u32| (Decimal::from(ppm) / Decimal::from(1_000_000)).to_string();
        let spec = &cfg.instruments[0];
        let balances: Vec<Value> = (0..cfg.assets.len() as u32)
            .filter_map(|a| {
                let b = ex.balance(account, a).unwrap_or_default();
                if omit && b.available == 0 && b.locked == 0 {
                    return None;
                }
                Some(json!({"asset": cfg.assets[a as usize].symbol,
                    "free": coins_of(cfg, a, b.available), "locked": coins_of(cfg, a, b.locked)}))
            })
            .collect();
        Ok(Json(json!({
            "makerCommission": spec.maker_fee_ppm / 100, "takerCommission": spec.taker_fee_ppm / 100,
            "buyerCommission": 0, "sellerCommission": 0,
            "commissionRates": {"maker": rate(spec.maker_fee_ppm), "taker": rate(spec.taker_fee_ppm),
                "buyer": "0", "seller": "0"},
            "canTrade": true, "canWithdraw": false, "canDeposit": false, "brokered": false,
            "requireSelfTradePrevention": false, "preventSor": false,
            "updateTime": ms(st.now_ns()), "accountType": "SPOT", "balances": balances,
            "permissions": ["SPOT"], "uid": account,
        })))
    })
    .await
}

/// `GET /api/v3/myTrades?symbol=&orderId=&startTime=&endTime=&fromId=&limit=` (SIGNED): the
/// account's fills on the symbol (kept: the last 10,000 of the account), oldest first;
/// `commission` in `commissionAsset` (the quote asset).
pub async fn my_trades(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> J {
    let p = params(q, b"")?;
    p.only(&[
        "symbol",
        "orderId",
        "startTime",
        "endTime",
        "fromId",
        "limit",
    ])?;
    signed(&app, &headers, p, move |st, account, p| {
        let cfg = st.exchange().config();
        let i = instrument_of(cfg, p.req("symbol")?)?;
        let limit = limit_of(p, DEFAULT_ROWS, MAX_ROWS)?;
        let (order, start, end, from) =
            (p.u64("orderId")?, p.u64("startTime")?, p.u64("endTime")?, p.u64("fromId")?);
        let mut picked: Vec<_> = st
            .proj
            .executions_of(account)
            .filter(|x| x.instrument == i)
            .filter(|x| order.is_none_or(|o| x.order_id == o))
            .filter(|x| from.is_none_or(|f| x.trade_id >= f))
            .filter(|x| start.is_none_or(|s| ms(x.ts_ns) >= s))
            .filter(|x| end.is_none_or(|e| ms(x.ts_ns) <= e))
            .collect();
        picked.reverse();
        window(&mut picked, limit, from.is_some() || start.is_some());
        let qa = quote_of(cfg, i);
        Ok(Json(Value::Array(
            picked
                .iter()
                .map(|x| {
                    json!({"symbol": sym(cfg, i), "id": x.trade_id, "orderId": x.order_id, "orderListId": -1,
                        "price": price_of(cfg, i, x.price), "qty": qty_of(cfg, i, x.qty),
                        "quoteQty": coins_of(cfg, qa, x.quote), "commission": coins_of(cfg, x.fee_asset, x.fee),
                        "commissionAsset": cfg.assets[x.fee_asset as usize].symbol, "time": ms(x.ts_ns),
                        "isBuyer": x.side == Side::Buy, "isMaker": x.liquidity == Liquidity::Maker,
                        "isBestMatch": true})
                })
                .collect(),
        )))
    })
    .await
}

/// Binance endpoints Bourse has no form of (order lists, cancel-replace, listen keys):
/// -1014 "Unsupported order combination." with HTTP 400.
pub async fn unsupported() -> BinanceError {
    BinanceError::unsupported()
}

/// Any other `/api/v3/…` path: Binance's 404 body.
pub async fn unknown_endpoint() -> BinanceError {
    BinanceError {
        status: axum::http::StatusCode::NOT_FOUND,
        ..BinanceError::new(-1000, "Unknown endpoint: this server speaks the subset of Binance's spot API listed in README.md.")
    }
}
