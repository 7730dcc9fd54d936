//! The REST API (`/v1/...`): JSON in and out, amounts as decimal strings, times as epoch
//! milliseconds, ids as strings of digits. Every handler sends one job to the engine and answers
//! when the job's batch is durable; errors are [`ApiError`]s.

use crate::engine::State;
use crate::error::{ApiError, ErrorBody};
use crate::gateway::AppState;
use crate::projections::{is_closed, OrderRecord, MAX_EXECUTIONS_PER_ACCOUNT};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use bourse_core::{
    from_grid, unit_step, AccountId, Command, Event, ExchangeConfig, ExecType, InstrumentId,
    Interval, OrderRef, OrderSpec, OrderType, Reason, Sequenced, Side, StpMode, TimeInForce,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// Most rows any list endpoint returns (`limit` is capped here).
pub const MAX_LIST_LIMIT: usize = 1_000;
/// Rows a list endpoint returns without `limit`.
pub const DEFAULT_LIST_LIMIT: usize = 100;
/// Most book levels per side of `orderBook/L2` and `orderBook/L3`.
pub const MAX_BOOK_DEPTH: usize = 500;

type ApiResult<T> = Result<Json<T>, ApiError>;

// ------------------------------------------------------------------ helpers

fn json_body<T>(r: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    match r {
        Ok(Json(v)) => Ok(v),
        Err(e) => {
            let status = e.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                return Err(ApiError::new(status, "PAYLOAD_TOO_LARGE", e.body_text()));
            }
            let code = if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            } else {
                StatusCode::BAD_REQUEST
            };
            Err(ApiError::new(code, "BAD_REQUEST", e.body_text()))
        }
    }
}

fn query<T>(r: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    r.map(|Query(v)| v)
        .map_err(|e| ApiError::bad(e.body_text()))
}

/// The bearer token of a request, if any.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let t = v.strip_prefix("Bearer ")?.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn need_token(headers: &HeaderMap) -> Result<String, ApiError> {
    bearer(headers).ok_or_else(|| {
        ApiError::unauthorized("this endpoint needs Authorization: Bearer <api key or token>")
    })
}

fn account_of(st: &State, token: &str) -> Result<AccountId, ApiError> {
    st.creds
        .account_of(token)
        .ok_or_else(|| ApiError::unauthorized("unknown API key or token"))
}

fn instrument(st: &State, symbol: &str) -> Result<InstrumentId, ApiError> {
    st.exchange()
        .config()
        .instrument_by_symbol(symbol)
        .ok_or_else(|| ApiError::bad(format!("unknown symbol {symbol:?}")))
}

fn symbol(st: &State, i: InstrumentId) -> String {
    st.exchange().config().instruments[i as usize]
        .symbol
        .clone()
}

/// `ticks` as a price of instrument `i` (quote per base, on its tick grid).
pub fn price_of(cfg: &ExchangeConfig, i: InstrumentId, ticks: i64) -> String {
    from_grid(ticks, cfg.instruments[i as usize].tick_size).to_string()
}

/// `lots` as a quantity of instrument `i` (base, on its lot grid).
pub fn qty_of(cfg: &ExchangeConfig, i: InstrumentId, lots: u64) -> String {
    from_grid(lots as i64, cfg.instruments[i as usize].lot_size).to_string()
}

/// `units` (smallest units) of asset `a` in whole coins.
pub fn coins_of(cfg: &ExchangeConfig, a: u32, units: u64) -> String {
    let d = cfg.assets[a as usize].decimals;
    from_grid(units.min(i64::MAX as u64) as i64, unit_step(d)).to_string()
}

fn price_str(st: &State, i: InstrumentId, ticks: i64) -> String {
    price_of(st.exchange().config(), i, ticks)
}

fn qty_str(st: &State, i: InstrumentId, lots: u64) -> String {
    qty_of(st.exchange().config(), i, lots)
}

fn units_str(st: &State, a: u32, units: u64) -> String {
    coins_of(st.exchange().config(), a, units)
}

fn quote_asset(st: &State, i: InstrumentId) -> u32 {
    st.exchange().config().instruments[i as usize].quote
}

fn ms(ns: u64) -> u64 {
    ns / 1_000_000
}

/// The reject reason among a command's events (a `CommandRejected`, or an execution report of
/// type REJECTED), if any.
pub fn rejection(events: &[Sequenced]) -> Option<Reason> {
    events.iter().find_map(|e| match &e.event {
        Event::CommandRejected { reason, .. } => Some(*reason),
        Event::Execution(r) if r.exec_type == ExecType::Rejected => r.reason,
        _ => None,
    })
}

fn limit_of(limit: Option<usize>) -> usize {
    limit.unwrap_or(DEFAULT_LIST_LIMIT).clamp(1, MAX_LIST_LIMIT)
}

fn wire<T: Serialize>(v: &T) -> String {
    bourse_protocol::wire_name(v)
}

fn parse_client_order_id(s: &str) -> Result<u64, ApiError> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad(format!(
            "clientOrderId must be a string of 1 to 20 digits (a 64-bit number), got {s:?}"
        )));
    }
    s.parse()
        .map_err(|_| ApiError::bad(format!("clientOrderId {s} is more than 64 bits")))
}

fn parse_id(s: &str) -> Result<u64, ApiError> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad(format!(
            "an order id is a string of digits, got {s:?}"
        )));
    }
    s.parse()
        .map_err(|_| ApiError::bad(format!("order id {s} is more than 64 bits")))
}

// ------------------------------------------------------------------ types

/// `POST /v1/order` body. Required fields by type: LIMIT price, quantity; MARKET quantity (or,
/// buys only, quoteQuantity); STOP_LIMIT stopPrice, price, quantity; STOP_MARKET stopPrice and
/// quantity (or quoteQuantity for buys). Unknown fields are refused.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderRequest {
    /// Instrument symbol, e.g. `BTC-USDT`.
    pub symbol: String,
    /// `BUY` or `SELL`.
    #[schema(value_type = String, example = "BUY")]
    pub side: Side,
    /// `LIMIT`, `MARKET`, `STOP_LIMIT` or `STOP_MARKET`.
    #[schema(value_type = String, example = "LIMIT")]
    pub order_type: OrderType,
    /// Limit price, quote per base, a multiple of the tick size.
    #[schema(value_type = Option<String>, example = "30000.00")]
    pub price: Option<Decimal>,
    /// Quantity in base, a multiple of the lot size.
    #[schema(value_type = Option<String>, example = "0.010")]
    pub quantity: Option<Decimal>,
    /// Market buys: quote to spend before fees.
    #[schema(value_type = Option<String>)]
    pub quote_quantity: Option<Decimal>,
    /// Stop orders: trigger price.
    #[schema(value_type = Option<String>)]
    pub stop_price: Option<Decimal>,
    /// `GTC` (default), `IOC` or `FOK`.
    #[schema(value_type = Option<String>)]
    pub time_in_force: Option<TimeInForce>,
    /// Refuse instead of taking liquidity (LIMIT only).
    pub post_only: Option<bool>,
    /// `NONE` (default), `EXPIRE_TAKER`, `EXPIRE_MAKER`, `EXPIRE_BOTH`.
    #[schema(value_type = Option<String>)]
    pub self_trade_prevention: Option<StpMode>,
    /// Client order id: a string of digits, unique among the account's open orders.
    pub client_order_id: Option<String>,
}

/// One fill in an order answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FillView {
    /// Trade id.
    pub trade_id: String,
    /// Price.
    pub price: String,
    /// Quantity.
    pub quantity: String,
    /// Fee.
    pub fee: String,
    /// Fee asset.
    pub fee_asset: String,
    /// `MAKER` or `TAKER`.
    pub liquidity: String,
}

/// An order.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    /// Exchange order id.
    pub id: String,
    /// Client order id.
    pub client_order_id: Option<String>,
    /// Symbol.
    pub symbol: String,
    /// `BUY` / `SELL`.
    pub side: String,
    /// Order type.
    pub order_type: String,
    /// Time in force.
    pub time_in_force: String,
    /// Limit price (absent for market orders).
    pub price: Option<String>,
    /// Stop price (stop orders).
    pub stop_price: Option<String>,
    /// Quantity (absent for quote-sized market buys).
    pub quantity: Option<String>,
    /// Quote budget (quote-sized market buys).
    pub quote_quantity: Option<String>,
    /// NEW, PARTIALLY_FILLED, FILLED, CANCELED, REJECTED, EXPIRED, EXPIRED_IN_MATCH.
    pub status: String,
    /// Why it ended (canceled, expired), the core's reason code.
    pub reason: Option<String>,
    /// Filled.
    pub filled_quantity: String,
    /// Still open (0 when closed).
    pub remaining_quantity: String,
    /// Filled notional, quote.
    pub cumulative_quote: String,
    /// First report, epoch ms.
    pub creation_time: u64,
    /// Last report, epoch ms.
    pub update_time: u64,
    /// This request's fills (placement and amend answers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fills: Option<Vec<FillView>>,
}

fn order_view(st: &State, r: &OrderRecord, fills: Option<Vec<FillView>>) -> OrderView {
    let i = r.instrument;
    let remaining = if is_closed(r.status) || r.quantity == 0 {
        0
    } else {
        r.quantity.saturating_sub(r.cum_qty)
    };
    OrderView {
        id: r.id.to_string(),
        client_order_id: r.client_order_id.map(|c| c.to_string()),
        symbol: symbol(st, i),
        side: wire(&r.side),
        order_type: wire(&r.order_type),
        time_in_force: wire(&r.tif),
        price: (r.price != 0).then(|| price_str(st, i, r.price)),
        stop_price: (r.stop_price != 0).then(|| price_str(st, i, r.stop_price)),
        quantity: (r.quantity != 0).then(|| qty_str(st, i, r.quantity)),
        quote_quantity: (r.quote_quantity != 0)
            .then(|| units_str(st, quote_asset(st, i), r.quote_quantity)),
        status: wire(&r.status),
        reason: r.reason.map(|x| wire(&x)),
        filled_quantity: qty_str(st, i, r.cum_qty),
        remaining_quantity: qty_str(st, i, remaining),
        cumulative_quote: units_str(st, quote_asset(st, i), r.cum_quote),
        creation_time: ms(r.created_ns),
        update_time: ms(r.updated_ns),
        fills,
    }
}

fn fills_of(st: &State, order: u64, events: &[Sequenced]) -> Vec<FillView> {
    events
        .iter()
        .filter_map(|e| match &e.event {
            Event::Execution(r) if r.order_id == order && r.exec_type == ExecType::Trade => {
                Some(FillView {
                    trade_id: r.trade_id.to_string(),
                    price: price_str(st, r.instrument, r.last_price),
                    quantity: qty_str(st, r.instrument, r.last_qty),
                    fee: units_str(st, r.fee_asset, r.fee),
                    fee_asset: st.exchange().config().assets[r.fee_asset as usize]
                        .symbol
                        .clone(),
                    liquidity: r.liquidity.map(|l| wire(&l)).unwrap_or_default(),
                })
            }
            _ => None,
        })
        .collect()
}

/// The account's own order `id`, or 404 (another account's order answers 404 too).
fn own_order(st: &State, account: AccountId, id: u64) -> Result<&OrderRecord, ApiError> {
    st.proj
        .order(id)
        .filter(|r| r.account == account)
        .ok_or_else(|| ApiError::not_found(format!("no order {id} in this account's history")))
}

// ------------------------------------------------------------------ orders

/// Place an order.
#[utoipa::path(post, path = "/v1/order", request_body = OrderRequest, tag = "orders",
    security(("bearer" = [])),
    responses((status = 200, body = OrderView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 402, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn place_order(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    body: Result<Json<OrderRequest>, JsonRejection>,
) -> ApiResult<OrderView> {
    let token = need_token(&headers)?;
    let req = json_body(body)?;
    let client_order_id = req
        .client_order_id
        .as_deref()
        .map(parse_client_order_id)
        .transpose()?;
    app.engine
        .call(move |st| {
            let account = account_of(st, &token)?;
            let ins = instrument(st, &req.symbol)?;
            let spec = OrderSpec {
                instrument: ins,
                side: req.side,
                order_type: req.order_type,
                tif: req.time_in_force.unwrap_or_default(),
                price: req.price,
                quantity: req.quantity,
                quote_quantity: req.quote_quantity,
                stop_price: req.stop_price,
                post_only: req.post_only.unwrap_or(false),
                stp: req.self_trade_prevention.unwrap_or_default(),
                client_order_id,
            };
            let (_, events) = st.submit(Command::PlaceOrder(spec.for_account(account)));
            let id = events.iter().find_map(|e| match &e.event {
                Event::Execution(r) if r.account == account && r.order_id != 0 => Some(r.order_id),
                _ => None,
            });
            match id {
                Some(id) => {
                    let rec =
                        st.proj.order(id).cloned().ok_or_else(|| {
                            ApiError::not_found("the order left the history at once")
                        })?;
                    let fills = fills_of(st, id, &events);
                    Ok(Json(order_view(st, &rec, Some(fills))))
                }
                None => {
                    let reason = rejection(&events).unwrap_or(Reason::InvalidOrder);
                    Err(ApiError::from_reason(
                        reason,
                        "the exchange refused the order",
                    ))
                }
            }
        })
        .await?
}

fn cancel_job(
    st: &mut State,
    account: AccountId,
    found: Result<(InstrumentId, OrderRef, u64), ApiError>,
) -> ApiResult<OrderView> {
    let (ins, order, id) = found?;
    let (_, events) = st.submit(Command::CancelOrder {
        account,
        instrument: ins,
        order,
    });
    if let Some(r) = rejection(&events) {
        return Err(ApiError::from_reason(r, "the order could not be canceled"));
    }
    let rec = own_order(st, account, id)?.clone();
    Ok(Json(order_view(st, &rec, None)))
}

fn open_own(
    st: &State,
    account: AccountId,
    id: u64,
) -> Result<(InstrumentId, OrderRef, u64), ApiError> {
    match st.exchange().open_order(id) {
        Some(o) if o.account == account => Ok((o.instrument, OrderRef::OrderId(id), id)),
        _ => match st.proj.order(id) {
            Some(r) if r.account == account => Err(ApiError::new(
                StatusCode::CONFLICT,
                "ORDER_CLOSED",
                format!("order {id} is {} already", wire(&r.status)),
            )),
            _ => Err(ApiError::not_found(format!(
                "no open order {id} in this account"
            ))),
        },
    }
}

/// Cancel an open order by id.
#[utoipa::path(delete, path = "/v1/order/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path, description = "order id")),
    responses((status = 200, body = OrderView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel_order(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<OrderView> {
    let token = need_token(&headers)?;
    let id = parse_id(&id)?;
    app.engine
        .call(move |st| {
            let account = account_of(st, &token)?;
            let found = open_own(st, account, id);
            cancel_job(st, account, found)
        })
        .await?
}

/// `DELETE /v1/order` query: cancel by client order id.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelByClientId {
    /// Symbol.
    pub symbol: String,
    /// Client order id.
    pub client_order_id: String,
}

/// Cancel an open order by client order id.
#[utoipa::path(delete, path = "/v1/order", tag = "orders", security(("bearer" = [])),
    params(CancelByClientId),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
pub async fn cancel_by_client_id(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    q: Result<Query<CancelByClientId>, QueryRejection>,
) -> ApiResult<OrderView> {
    let token = need_token(&headers)?;
    let q = query(q)?;
    let cid = parse_client_order_id(&q.client_order_id)?;
    app.engine
        .call(move |st| {
            let account = account_of(st, &token)?;
            let ins = instrument(st, &q.symbol)?;
            let found = st
                .exchange()
                .open_orders_of(account)
                .into_iter()
                .find(|o| o.instrument == ins && o.client_order_id == Some(cid))
                .map(|o| (ins, OrderRef::ClientOrderId(cid), o.id))
                .ok_or_else(|| {
                    ApiError::not_found(format!("no open order with clientOrderId {cid}"))
                });
            cancel_job(st, account, found)
        })
        .await?
}

/// `DELETE /v1/orders` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelAllQuery {
    /// Only this symbol (default: every symbol).
    pub symbol: Option<String>,
}

/// Answer of `DELETE /v1/orders`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CanceledView {
    /// The orders canceled, as they are now.
    pub canceled: Vec<OrderView>,
}

/// Cancel all open orders (of one symbol).
#[utoipa::path(delete, path = "/v1/orders", tag = "orders", security(("bearer" = [])),
    params(CancelAllQuery), responses((status = 200, body = CanceledView)))]
pub async fn cancel_all(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    q: Result<Query<CancelAllQuery>, QueryRejection>,
) -> ApiResult<CanceledView> {
    let token = need_token(&headers)?;
    let q = query(q)?;
    app.engine
        .call(move |st| {
            let account = account_of(st, &token)?;
            let ins = q.symbol.as_deref().map(|s| instrument(st, s)).transpose()?;
            let (_, events) = st.submit(Command::CancelAll {
                account,
                instrument: ins,
            });
            let ids: Vec<u64> = events
                .iter()
                .filter_map(|e| match &e.event {
                    Event::Execution(r) if r.exec_type == ExecType::Canceled => Some(r.order_id),
                    _ => None,
                })
                .collect();
            let canceled = ids
                .iter()
                .filter_map(|id| st.proj.order(*id).cloned())
                .map(|r| order_view(st, &r, None))
                .collect();
            Ok(Json(CanceledView { canceled }))
        })
        .await?
}

/// `PATCH /v1/order/{id}` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AmendRequest {
    /// New limit price.
    #[schema(value_type = Option<String>)]
    pub price: Option<Decimal>,
    /// New total quantity (including what filled). A smaller quantity at the same price keeps
    /// queue priority.
    #[schema(value_type = Option<String>)]
    pub quantity: Option<Decimal>,
}

/// Amend a resting order's price and/or quantity.
#[utoipa::path(patch, path = "/v1/order/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path, description = "order id")), request_body = AmendRequest,
    responses((status = 200, body = OrderView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn amend_order(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<AmendRequest>, JsonRejection>,
) -> ApiResult<OrderView> {
    let token = need_token(&headers)?;
    let id = parse_id(&id)?;
    let req = json_body(body)?;
    if req.price.is_none() && req.quantity.is_none() {
        return Err(ApiError::bad("give price, quantity or both"));
    }
    app.engine
        .call(move |st| {
            let account = account_of(st, &token)?;
            let (ins, order, _) = open_own(st, account, id)?;
            let (_, events) = st.submit(Command::AmendOrder {
                account,
                instrument: ins,
                order,
                price: req.price,
                quantity: req.quantity,
            });
            if let Some(r) = rejection(&events) {
                return Err(ApiError::from_reason(r, "the amend was refused"));
            }
            let rec = own_order(st, account, id)?.clone();
            let fills = fills_of(st, id, &events);
            Ok(Json(order_view(st, &rec, Some(fills))))
        })
        .await?
}

/// One order of the account.
#[utoipa::path(get, path = "/v1/order/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path, description = "order id")),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
pub async fn get_order(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<OrderView> {
    let token = need_token(&headers)?;
    let id = parse_id(&id)?;
    app.engine
        .call(move |st| {
            let account = account_of(st, &token)?;
            let rec = own_order(st, account, id)?;
            Ok(Json(order_view(st, rec, None)))
        })
        .await?
}

/// `GET /v1/orders` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrdersQuery {
    /// Only this symbol.
    pub symbol: Option<String>,
    /// `open` (default) or `all` (open and the kept history).
    pub status: Option<String>,
    /// Created at or after, epoch ms.
    pub start_time: Option<u64>,
    /// Created at or before, epoch ms.
    pub end_time: Option<u64>,
    /// Most rows (default 100, at most 1,000), newest first.
    pub limit: Option<usize>,
}

/// Answer of `GET /v1/orders`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrdersView {
    /// Orders, newest first.
    pub orders: Vec<OrderView>,
}

/// The account's orders: open, or all kept (the newest 1,000 closed per account).
#[utoipa::path(get, path = "/v1/orders", tag = "orders", security(("bearer" = [])),
    params(OrdersQuery), responses((status = 200, body = OrdersView), (status = 400, body = ErrorBody)))]
pub async fn list_orders(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    q: Result<Query<OrdersQuery>, QueryRejection>,
) -> ApiResult<OrdersView> {
    let token = need_token(&headers)?;
    let q = query(q)?;
    let all = match q.status.as_deref() {
        None | Some("open") => false,
        Some("all") => true,
        Some(other) => {
            return Err(ApiError::bad(format!(
                "status is open or all, got {other:?}"
            )))
        }
    };
    let limit = limit_of(q.limit);
    app.engine
        .call(move |st| {
            let account = account_of(st, &token)?;
            let ins = q.symbol.as_deref().map(|s| instrument(st, s)).transpose()?;
            let from = q.start_time.unwrap_or(0);
            let to = q.end_time.unwrap_or(u64::MAX);
            let orders = st
                .proj
                .orders_of(account)
                .filter(|r| ins.is_none_or(|i| r.instrument == i))
                .filter(|r| all || !is_closed(r.status))
                .filter(|r| (from..=to).contains(&ms(r.created_ns)))
                .take(limit)
                .map(|r| order_view(st, r, None))
                .collect();
            Ok(Json(OrdersView { orders }))
        })
        .await?
}

/// `GET /v1/execution` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExecutionQuery {
    /// Only this symbol.
    pub symbol: Option<String>,
    /// Only this order.
    pub order_id: Option<String>,
    /// At or after, epoch ms.
    pub start_time: Option<u64>,
    /// At or before, epoch ms.
    pub end_time: Option<u64>,
    /// Most rows (default 100, at most 1,000), newest first.
    pub limit: Option<usize>,
}

/// One fill.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionView {
    /// Trade id.
    pub id: String,
    /// Order id.
    pub order_id: String,
    /// Symbol.
    pub symbol: String,
    /// Side of the order.
    pub side: String,
    /// Price.
    pub price: String,
    /// Order type.
    pub order_type: String,
    /// Quantity.
    pub quantity: String,
    /// Fee.
    pub fee: String,
    /// Fee asset.
    pub fee_asset: String,
    /// `maker` or `taker`.
    pub liquidity: String,
    /// Epoch ms.
    pub time: u64,
}

/// Answer of `GET /v1/execution`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExecutionsView {
    /// Fills, newest first (the newest 10,000 per account are kept).
    pub executions: Vec<ExecutionView>,
}

/// The account's fills.
#[utoipa::path(get, path = "/v1/execution", tag = "orders", security(("bearer" = [])),
    params(ExecutionQuery), responses((status = 200, body = ExecutionsView)))]
pub async fn executions(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    q: Result<Query<ExecutionQuery>, QueryRejection>,
) -> ApiResult<ExecutionsView> {
    let token = need_token(&headers)?;
    let q = query(q)?;
    let order = q.order_id.as_deref().map(parse_id).transpose()?;
    let limit = limit_of(q.limit).min(MAX_EXECUTIONS_PER_ACCOUNT);
    app.engine
        .call(move |st| {
            let account = account_of(st, &token)?;
            let ins = q.symbol.as_deref().map(|s| instrument(st, s)).transpose()?;
            let from = q.start_time.unwrap_or(0);
            let to = q.end_time.unwrap_or(u64::MAX);
            let executions = st
                .proj
                .executions_of(account)
                .filter(|x| ins.is_none_or(|i| x.instrument == i))
                .filter(|x| order.is_none_or(|o| x.order_id == o))
                .filter(|x| (from..=to).contains(&ms(x.ts_ns)))
                .take(limit)
                .map(|x| ExecutionView {
                    id: x.trade_id.to_string(),
                    order_id: x.order_id.to_string(),
                    symbol: symbol(st, x.instrument),
                    side: wire(&x.side),
                    price: price_str(st, x.instrument, x.price),
                    order_type: wire(&x.order_type),
                    quantity: qty_str(st, x.instrument, x.qty),
                    fee: units_str(st, x.fee_asset, x.fee),
                    fee_asset: st.exchange().config().assets[x.fee_asset as usize]
                        .symbol
                        .clone(),
                    liquidity: wire(&x.liquidity).to_lowercase(),
                    time: ms(x.ts_ns),
                })
                .collect();
            Ok(Json(ExecutionsView { executions }))
        })
        .await?
}

/// One balance.
#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceView {
    /// Asset symbol.
    pub asset: String,
    /// Free to use.
    pub available: String,
    /// Locked by open orders.
    pub locked: String,
}

/// Answer of `GET /v1/account`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// Account id.
    pub account_id: String,
    /// Display name.
    pub name: String,
    /// Balances of every asset.
    pub balances: Vec<BalanceView>,
    /// Open orders (resting and pending stops).
    pub open_orders: usize,
}

fn account_view(st: &State, account: AccountId) -> AccountView {
    AccountView {
        account_id: account.to_string(),
        name: st.creds.name_of(account).unwrap_or("").to_string(),
        balances: balances(st, account),
        open_orders: st.exchange().open_orders_of(account).len(),
    }
}

fn balances(st: &State, account: AccountId) -> Vec<BalanceView> {
    let ex = st.exchange();
    (0..ex.config().assets.len() as u32)
        .map(|a| {
            let b = ex.balance(account, a).unwrap_or_default();
            BalanceView {
                asset: ex.config().assets[a as usize].symbol.clone(),
                available: units_str(st, a, b.available),
                locked: units_str(st, a, b.locked),
            }
        })
        .collect()
}

/// The account's balances.
#[utoipa::path(get, path = "/v1/account", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = AccountView), (status = 401, body = ErrorBody)))]
pub async fn account(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
) -> ApiResult<AccountView> {
    let token = need_token(&headers)?;
    app.engine
        .call(move |st| {
            let account = account_of(st, &token)?;
            Ok(Json(account_view(st, account)))
        })
        .await?
}

/// `POST /v1/guest` body.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestRequest {
    /// Display name (at most 32 characters).
    pub name: Option<String>,
}

/// A new account's credentials.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewAccountView {
    /// Account id.
    pub account_id: String,
    /// Display name.
    pub name: String,
    /// Bearer token (guest token or API key).
    pub api_key: String,
    /// Secret of an API key (for signed requests); absent for guests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<String>,
}

/// Clean a display name: trimmed, control characters refused, at most 32 characters.
pub fn clean_name(name: Option<&str>, default: &str) -> Result<String, ApiError> {
    let n = name.map(str::trim).unwrap_or("");
    if n.chars().any(char::is_control) {
        return Err(ApiError::bad("a name may not contain control characters"));
    }
    if n.chars().count() > bourse_protocol::MAX_NAME_CHARS {
        return Err(ApiError::bad(format!(
            "a name has at most {} characters",
            bourse_protocol::MAX_NAME_CHARS
        )));
    }
    Ok(if n.is_empty() {
        default.to_string()
    } else {
        n.to_string()
    })
}

/// Open a guest account funded by the faucet (rate limited per address).
#[utoipa::path(post, path = "/v1/guest", tag = "account", request_body = GuestRequest,
    responses((status = 200, body = NewAccountView), (status = 429, body = ErrorBody)))]
pub async fn guest(
    AxState(app): AxState<AppState>,
    body: Result<Json<GuestRequest>, JsonRejection>,
) -> ApiResult<NewAccountView> {
    let req = json_body(body)?;
    let name = clean_name(req.name.as_deref(), "")?;
    app.engine
        .call(move |st| {
            let (account, token, name) = crate::gateway::new_guest(st, &name)?;
            Ok(Json(NewAccountView {
                account_id: account.to_string(),
                name,
                api_key: token,
                secret_key: None,
            }))
        })
        .await?
}

// ------------------------------------------------------------------ market data

/// `symbol` and `depth` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BookQuery {
    /// Symbol.
    pub symbol: String,
    /// Levels per side (default 20, at most 500).
    pub depth: Option<usize>,
}

/// L2 book.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct L2View {
    /// Symbol.
    pub symbol: String,
    /// The book's update id: continue from it with `/ws/stream` `l2` diffs whose first update
    /// id is `lastUpdateId + 1` (or covers it).
    pub last_update_id: u64,
    /// `[price, quantity]`, best first.
    pub bids: Vec<[String; 2]>,
    /// `[price, quantity]`, best first.
    pub asks: Vec<[String; 2]>,
}

/// Aggregated price levels.
#[utoipa::path(get, path = "/v1/marketdata/orderBook/L2", tag = "market data", params(BookQuery),
    responses((status = 200, body = L2View), (status = 400, body = ErrorBody)))]
pub async fn book_l2(
    AxState(app): AxState<AppState>,
    q: Result<Query<BookQuery>, QueryRejection>,
) -> ApiResult<L2View> {
    let q = query(q)?;
    let depth = q.depth.unwrap_or(20).clamp(1, MAX_BOOK_DEPTH);
    app.engine
        .call(move |st| {
            let i = instrument(st, &q.symbol)?;
            let d = st
                .exchange()
                .depth(i, depth)
                .ok_or_else(|| ApiError::bad("no book"))?;
            let row = |&(p, l): &(i64, u64)| [price_str(st, i, p), qty_str(st, i, l)];
            Ok(Json(L2View {
                symbol: q.symbol.clone(),
                last_update_id: d.last_update_id,
                bids: d.bids.iter().map(row).collect(),
                asks: d.asks.iter().map(row).collect(),
            }))
        })
        .await?
}

/// One resting order in the L3 view (owners are not shown).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct L3Order {
    /// Order id.
    pub order_id: String,
    /// Remaining quantity.
    pub quantity: String,
}

/// One price level with its queue, front first.
#[derive(Debug, Serialize, ToSchema)]
pub struct L3Level {
    /// Price.
    pub price: String,
    /// Orders in time priority.
    pub orders: Vec<L3Order>,
}

/// L3 book.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct L3View {
    /// Symbol.
    pub symbol: String,
    /// Book update id.
    pub last_update_id: u64,
    /// Levels, best first.
    pub bids: Vec<L3Level>,
    /// Levels, best first.
    pub asks: Vec<L3Level>,
}

/// Order-level queues (market by order).
#[utoipa::path(get, path = "/v1/marketdata/orderBook/L3", tag = "market data", params(BookQuery),
    responses((status = 200, body = L3View), (status = 400, body = ErrorBody)))]
pub async fn book_l3(
    AxState(app): AxState<AppState>,
    q: Result<Query<BookQuery>, QueryRejection>,
) -> ApiResult<L3View> {
    let q = query(q)?;
    let depth = q.depth.unwrap_or(20).clamp(1, MAX_BOOK_DEPTH);
    app.engine
        .call(move |st| {
            let i = instrument(st, &q.symbol)?;
            let ex = st.exchange();
            let d = ex.depth(i, depth).ok_or_else(|| ApiError::bad("no book"))?;
            let book = ex.book(i).ok_or_else(|| ApiError::bad("no book"))?;
            let levels = |side: Side, rows: &[(i64, u64)]| -> Vec<L3Level> {
                rows.iter()
                    .map(|&(p, _)| L3Level {
                        price: price_str(st, i, p),
                        orders: book
                            .queue(side, p)
                            .iter()
                            .map(|o| L3Order {
                                order_id: o.id.to_string(),
                                quantity: qty_str(st, i, o.qty),
                            })
                            .collect(),
                    })
                    .collect()
            };
            Ok(Json(L3View {
                symbol: q.symbol.clone(),
                last_update_id: d.last_update_id,
                bids: levels(Side::Buy, &d.bids),
                asks: levels(Side::Sell, &d.asks),
            }))
        })
        .await?
}

/// `GET /v1/marketdata/candles` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CandlesQuery {
    /// Symbol.
    pub symbol: String,
    /// `1s`, `1m`, `5m`, `15m`, `1h`, `4h` or `1d`.
    pub resolution: String,
    /// Open time at or after, epoch ms.
    pub start_time: Option<u64>,
    /// Open time at or before, epoch ms.
    pub end_time: Option<u64>,
    /// Most candles (default 100, at most 1,000), the newest.
    pub limit: Option<usize>,
}

/// One OHLCV candle.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CandleView {
    /// Open time, epoch ms.
    pub open_time: u64,
    /// Open.
    pub open: String,
    /// High.
    pub high: String,
    /// Low.
    pub low: String,
    /// Close.
    pub close: String,
    /// Base volume.
    pub volume: String,
    /// Quote volume.
    pub quote_volume: String,
    /// Trades.
    pub trades: u64,
}

/// Answer of `GET /v1/marketdata/candles`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CandlesView {
    /// Oldest first.
    pub candles: Vec<CandleView>,
}

/// OHLCV candles (flat-filled up to the market clock; the core keeps a bounded number per
/// interval).
#[utoipa::path(get, path = "/v1/marketdata/candles", tag = "market data", params(CandlesQuery),
    responses((status = 200, body = CandlesView), (status = 400, body = ErrorBody)))]
pub async fn candles(
    AxState(app): AxState<AppState>,
    q: Result<Query<CandlesQuery>, QueryRejection>,
) -> ApiResult<CandlesView> {
    let q = query(q)?;
    let interval = Interval::parse(&q.resolution).ok_or_else(|| {
        ApiError::bad(format!(
            "resolution is one of 1s, 1m, 5m, 15m, 1h, 4h, 1d; got {:?}",
            q.resolution
        ))
    })?;
    let limit = limit_of(q.limit);
    app.engine
        .call(move |st| {
            let i = instrument(st, &q.symbol)?;
            let from = q.start_time.unwrap_or(0);
            let to = q.end_time.unwrap_or(u64::MAX);
            let all = st
                .exchange()
                .candles(i, interval, st.now_ns(), interval.capacity());
            let mut picked: Vec<_> = all
                .iter()
                .filter(|c| (from..=to).contains(&ms(c.open_time_ns)))
                .collect();
            let skip = picked.len().saturating_sub(limit);
            picked.drain(..skip);
            let qa = quote_asset(st, i);
            let candles = picked
                .into_iter()
                .map(|c| CandleView {
                    open_time: ms(c.open_time_ns),
                    open: price_str(st, i, c.open),
                    high: price_str(st, i, c.high),
                    low: price_str(st, i, c.low),
                    close: price_str(st, i, c.close),
                    volume: qty_str(st, i, c.volume),
                    quote_volume: units_str(st, qa, c.quote_volume),
                    trades: c.trades,
                })
                .collect();
            Ok(Json(CandlesView { candles }))
        })
        .await?
}

/// `symbol` and `limit` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TradesQuery {
    /// Symbol.
    pub symbol: String,
    /// Most trades (default 100, at most 1,000), newest first.
    pub limit: Option<usize>,
}

/// A public trade.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TradeView {
    /// Trade id.
    pub id: String,
    /// Price.
    pub price: String,
    /// Quantity.
    pub quantity: String,
    /// Quote quantity.
    pub quote_quantity: String,
    /// Aggressor side (`BUY`: a buyer took an ask).
    pub side: String,
    /// Epoch ms.
    pub time: u64,
}

/// Answer of `GET /v1/marketdata/trades`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TradesView {
    /// Newest first (the newest 1,000 per symbol are kept).
    pub trades: Vec<TradeView>,
}

/// Recent public trades.
#[utoipa::path(get, path = "/v1/marketdata/trades", tag = "market data", params(TradesQuery),
    responses((status = 200, body = TradesView), (status = 400, body = ErrorBody)))]
pub async fn trades(
    AxState(app): AxState<AppState>,
    q: Result<Query<TradesQuery>, QueryRejection>,
) -> ApiResult<TradesView> {
    let q = query(q)?;
    let limit = limit_of(q.limit);
    app.engine
        .call(move |st| {
            let i = instrument(st, &q.symbol)?;
            let qa = quote_asset(st, i);
            let trades = st
                .proj
                .trades_of(i)
                .take(limit)
                .map(|t| TradeView {
                    id: t.trade_id.to_string(),
                    price: price_str(st, i, t.price),
                    quantity: qty_str(st, i, t.qty),
                    quote_quantity: units_str(st, qa, t.quote),
                    side: wire(&t.aggressor),
                    time: ms(t.ts_ns),
                })
                .collect();
            Ok(Json(TradesView { trades }))
        })
        .await?
}

/// `symbol` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SymbolQuery {
    /// Symbol.
    pub symbol: String,
}

/// 24-hour ticker.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TickerView {
    /// Symbol.
    pub symbol: String,
    /// Last price.
    pub last: Option<String>,
    /// Price 24 h ago.
    pub open: Option<String>,
    /// High.
    pub high: Option<String>,
    /// Low.
    pub low: Option<String>,
    /// Base volume.
    pub volume: String,
    /// Quote volume.
    pub quote_volume: String,
    /// Trades.
    pub trades: u64,
    /// Change in basis points.
    pub change_bps: i64,
    /// Best bid `[price, quantity]`.
    pub bid: Option<[String; 2]>,
    /// Best ask `[price, quantity]`.
    pub ask: Option<[String; 2]>,
    /// True while trading is halted.
    pub halted: bool,
}

/// The symbol's rolling 24-hour statistics and L1.
#[utoipa::path(get, path = "/v1/marketdata/ticker", tag = "market data", params(SymbolQuery),
    responses((status = 200, body = TickerView), (status = 400, body = ErrorBody)))]
pub async fn ticker(
    AxState(app): AxState<AppState>,
    q: Result<Query<SymbolQuery>, QueryRejection>,
) -> ApiResult<TickerView> {
    let q = query(q)?;
    app.engine
        .call(move |st| {
            let i = instrument(st, &q.symbol)?;
            let ex = st.exchange();
            let t = ex.ticker_24h(i, st.now_ns()).unwrap_or_default();
            let l1 = ex.book_ticker(i).unwrap_or_default();
            let some = |p: i64| (t.trades > 0).then(|| price_str(st, i, p));
            let side =
                |x: Option<(i64, u64)>| x.map(|(p, l)| [price_str(st, i, p), qty_str(st, i, l)]);
            Ok(Json(TickerView {
                symbol: q.symbol.clone(),
                last: ex.last_price(i).map(|p| price_str(st, i, p)),
                open: some(t.open),
                high: some(t.high),
                low: some(t.low),
                volume: qty_str(st, i, t.volume),
                quote_volume: units_str(st, quote_asset(st, i), t.quote_volume),
                trades: t.trades,
                change_bps: t.change_bps,
                bid: side(l1.bid),
                ask: side(l1.ask),
                halted: ex.is_halted(i),
            }))
        })
        .await?
}

/// An instrument's trading rules.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstrumentView {
    /// Symbol.
    pub symbol: String,
    /// Base asset.
    pub base_asset: String,
    /// Quote asset.
    pub quote_asset: String,
    /// Price increment.
    pub tick_size: String,
    /// Quantity increment.
    pub lot_size: String,
    /// Smallest quantity.
    pub min_quantity: String,
    /// Largest quantity.
    pub max_quantity: String,
    /// Smallest notional (price × quantity), quote.
    pub min_notional: String,
    /// Maker fee, parts per million of the notional.
    pub maker_fee_ppm: u32,
    /// Taker fee, parts per million.
    pub taker_fee_ppm: u32,
    /// Price band around the reference price, basis points (0: none).
    pub price_band_bps: u32,
    /// True while halted.
    pub halted: bool,
}

/// Answer of `GET /v1/instruments`.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstrumentsView {
    /// Every instrument, in id order.
    pub instruments: Vec<InstrumentView>,
}

/// Instruments and their rules.
#[utoipa::path(get, path = "/v1/instruments", tag = "market data",
    responses((status = 200, body = InstrumentsView)))]
pub async fn instruments(AxState(app): AxState<AppState>) -> ApiResult<InstrumentsView> {
    app.engine
        .call(move |st| {
            let ex = st.exchange();
            let c = ex.config();
            let instruments = c
                .instruments
                .iter()
                .enumerate()
                .map(|(k, s)| InstrumentView {
                    symbol: s.symbol.clone(),
                    base_asset: c.assets[s.base as usize].symbol.clone(),
                    quote_asset: c.assets[s.quote as usize].symbol.clone(),
                    tick_size: s.tick_size.to_string(),
                    lot_size: s.lot_size.to_string(),
                    min_quantity: s.min_qty.to_string(),
                    max_quantity: s.max_qty.to_string(),
                    min_notional: s.min_notional.to_string(),
                    maker_fee_ppm: s.maker_fee_ppm,
                    taker_fee_ppm: s.taker_fee_ppm,
                    price_band_bps: s.price_band_bps,
                    halted: ex.is_halted(k as u32),
                })
                .collect();
            Ok(Json(InstrumentsView { instruments }))
        })
        .await?
}

/// Server and market clocks.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimeView {
    /// Wall clock, epoch ms.
    pub server_time: u64,
    /// Market clock (the timestamps of commands), epoch ms.
    pub market_time: u64,
}

/// Clocks.
#[utoipa::path(get, path = "/v1/time", tag = "market data", responses((status = 200, body = TimeView)))]
pub async fn time(AxState(app): AxState<AppState>) -> Json<TimeView> {
    let market = app
        .engine
        .stats
        .clock_ns
        .load(std::sync::atomic::Ordering::Relaxed);
    Json(TimeView {
        server_time: ms(crate::engine::wall_ns()),
        market_time: ms(market),
    })
}

/// Health.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthView {
    /// `ok`.
    pub status: String,
    /// Last journaled input seq.
    pub last_seq: u64,
    /// Commands journaled since start.
    pub commands: u64,
    /// Journal commits (fdatasyncs) since start.
    pub commits: u64,
    /// Jobs refused with 503 since start.
    pub refused: u64,
}

/// Liveness and counters.
#[utoipa::path(get, path = "/health", tag = "market data", responses((status = 200, body = HealthView)))]
pub async fn health(AxState(app): AxState<AppState>) -> Json<HealthView> {
    use std::sync::atomic::Ordering::Relaxed;
    let s = &app.engine.stats;
    Json(HealthView {
        status: "ok".into(),
        last_seq: s.last_seq.load(Relaxed),
        commands: s.commands.load(Relaxed),
        commits: s.commits.load(Relaxed),
        refused: s.refused.load(Relaxed),
    })
}

// ------------------------------------------------------------------ admin

fn need_admin(app: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    match bearer(headers) {
        None => Err(ApiError::unauthorized(
            "admin endpoints need Authorization: Bearer <admin token>",
        )),
        Some(t) if t == *app.admin_token => Ok(()),
        Some(_) => Err(ApiError::forbidden("admin only")),
    }
}

/// `POST /v1/admin/accounts` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountRequest {
    /// Display name.
    pub name: String,
    /// Initial deposits: asset symbol → amount (default: the faucet's).
    #[schema(value_type = Option<BTreeMap<String, String>>)]
    pub deposits: Option<BTreeMap<String, Decimal>>,
}

fn asset_id(st: &State, sym: &str) -> Result<u32, ApiError> {
    st.exchange()
        .config()
        .assets
        .iter()
        .position(|a| a.symbol == sym)
        .map(|p| p as u32)
        .ok_or_else(|| ApiError::bad(format!("unknown asset {sym:?}")))
}

/// Create an account with an API key and secret.
#[utoipa::path(post, path = "/v1/admin/accounts", tag = "admin", security(("bearer" = [])),
    request_body = CreateAccountRequest,
    responses((status = 200, body = NewAccountView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn admin_create_account(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    body: Result<Json<CreateAccountRequest>, JsonRejection>,
) -> ApiResult<NewAccountView> {
    need_admin(&app, &headers)?;
    let req = json_body(body)?;
    let name = clean_name(Some(&req.name), "account")?;
    app.engine
        .call(move |st| {
            let deposits = match &req.deposits {
                None => st.faucet.clone(),
                Some(d) => d
                    .iter()
                    .map(|(sym, amt)| {
                        if *amt <= Decimal::ZERO {
                            return Err(ApiError::bad(format!("deposit of {sym} must be > 0")));
                        }
                        Ok((asset_id(st, sym)?, *amt))
                    })
                    .collect::<Result<_, _>>()?,
            };
            let account = st.open_account(&deposits).map_err(ApiError::bad)?;
            let (key, secret) = st.creds.add(
                crate::credentials::CredentialKind::Api,
                account,
                &name,
                &deposits,
            );
            Ok(Json(NewAccountView {
                account_id: account.to_string(),
                name,
                api_key: key,
                secret_key: secret,
            }))
        })
        .await?
}

/// `POST /v1/admin/deposit` and `/withdraw` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransferRequest {
    /// Account id.
    pub account_id: String,
    /// Asset symbol.
    pub asset: String,
    /// Amount, > 0, a whole number of the asset's unit.
    #[schema(value_type = String)]
    pub amount: Decimal,
}

async fn transfer(
    app: AppState,
    headers: HeaderMap,
    body: Result<Json<TransferRequest>, JsonRejection>,
    deposit: bool,
) -> ApiResult<AccountView> {
    need_admin(&app, &headers)?;
    let req = json_body(body)?;
    let account: AccountId = req
        .account_id
        .parse()
        .map_err(|_| ApiError::bad("accountId is a string of digits"))?;
    app.engine
        .call(move |st| {
            if account == 0 || account > st.exchange().account_count() {
                return Err(ApiError::not_found(format!("no account {account}")));
            }
            let asset = asset_id(st, &req.asset)?;
            let cmd = if deposit {
                Command::Deposit {
                    account,
                    asset,
                    amount: req.amount,
                }
            } else {
                Command::Withdraw {
                    account,
                    asset,
                    amount: req.amount,
                }
            };
            let (_, events) = st.submit(cmd);
            if let Some(r) = rejection(&events) {
                return Err(ApiError::from_reason(r, "the transfer was refused"));
            }
            Ok(Json(account_view(st, account)))
        })
        .await?
}

/// Credit an account.
#[utoipa::path(post, path = "/v1/admin/deposit", tag = "admin", security(("bearer" = [])),
    request_body = TransferRequest, responses((status = 200, body = AccountView), (status = 400, body = ErrorBody)))]
pub async fn admin_deposit(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    body: Result<Json<TransferRequest>, JsonRejection>,
) -> ApiResult<AccountView> {
    transfer(app, headers, body, true).await
}

/// Debit an account's available balance.
#[utoipa::path(post, path = "/v1/admin/withdraw", tag = "admin", security(("bearer" = [])),
    request_body = TransferRequest, responses((status = 200, body = AccountView), (status = 402, body = ErrorBody)))]
pub async fn admin_withdraw(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    body: Result<Json<TransferRequest>, JsonRejection>,
) -> ApiResult<AccountView> {
    transfer(app, headers, body, false).await
}

/// `POST /v1/admin/halt` and `/resume` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SymbolRequest {
    /// Symbol.
    pub symbol: String,
}

/// Trading status.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusView {
    /// Symbol.
    pub symbol: String,
    /// True while halted.
    pub halted: bool,
}

async fn halt_resume(
    app: AppState,
    headers: HeaderMap,
    body: Result<Json<SymbolRequest>, JsonRejection>,
    halt: bool,
) -> ApiResult<StatusView> {
    need_admin(&app, &headers)?;
    let req = json_body(body)?;
    app.engine
        .call(move |st| {
            let i = instrument(st, &req.symbol)?;
            let cmd = if halt {
                Command::Halt { instrument: i }
            } else {
                Command::Resume { instrument: i }
            };
            let (_, events) = st.submit(cmd);
            if let Some(r) = rejection(&events) {
                return Err(ApiError::from_reason(r, "refused"));
            }
            Ok(Json(StatusView {
                symbol: req.symbol.clone(),
                halted: st.exchange().is_halted(i),
            }))
        })
        .await?
}

/// Halt trading in a symbol (cancels still work).
#[utoipa::path(post, path = "/v1/admin/halt", tag = "admin", security(("bearer" = [])),
    request_body = SymbolRequest, responses((status = 200, body = StatusView)))]
pub async fn admin_halt(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    body: Result<Json<SymbolRequest>, JsonRejection>,
) -> ApiResult<StatusView> {
    halt_resume(app, headers, body, true).await
}

/// Resume trading in a symbol.
#[utoipa::path(post, path = "/v1/admin/resume", tag = "admin", security(("bearer" = [])),
    request_body = SymbolRequest, responses((status = 200, body = StatusView)))]
pub async fn admin_resume(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    body: Result<Json<SymbolRequest>, JsonRejection>,
) -> ApiResult<StatusView> {
    halt_resume(app, headers, body, false).await
}

/// A symbol's call auction as `POST /v1/admin/auction` and `/v1/admin/uncross` answer it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuctionStatusView {
    /// Symbol.
    pub symbol: String,
    /// `AUCTION` or `CONTINUOUS` after the command.
    pub phase: String,
    /// During the auction: the indicative uncross price (decimal string), or null while the
    /// book does not cross.
    pub indicative_price: Option<String>,
    /// During the auction: the indicative volume, base coins (decimal string, "0" when none).
    pub indicative_volume: String,
    /// Uncross: trades it printed.
    pub trades: u64,
}

async fn auction_command(
    app: AppState,
    headers: HeaderMap,
    body: Result<Json<SymbolRequest>, JsonRejection>,
    start: bool,
) -> ApiResult<AuctionStatusView> {
    need_admin(&app, &headers)?;
    let req = json_body(body)?;
    app.engine
        .call(move |st| {
            let i = instrument(st, &req.symbol)?;
            let cmd = if start {
                Command::StartAuction { instrument: i }
            } else {
                Command::Uncross { instrument: i }
            };
            let (_, events) = st.submit(cmd);
            if let Some(r) = rejection(&events) {
                return Err(ApiError::from_reason(r, "refused"));
            }
            let trades = events
                .iter()
                .filter(|e| matches!(e.event, bourse_core::Event::Trade(_)))
                .count() as u64;
            let ex = st.exchange();
            let spec = &ex.config().instruments[i as usize];
            let ind = ex.indicative_uncross(i).unwrap_or_default();
            Ok(Json(AuctionStatusView {
                symbol: req.symbol.clone(),
                phase: bourse_protocol::wire_name(&ex.trading_phase(i)),
                indicative_price: ind
                    .price
                    .map(|p| bourse_core::from_grid(p, spec.tick_size).to_string()),
                indicative_volume: bourse_core::from_grid(ind.volume as i64, spec.lot_size)
                    .normalize()
                    .to_string(),
                trades,
            }))
        })
        .await?
}

/// Admin: put a symbol into a call auction (`Command::StartAuction`): orders rest without
/// matching, only GTC limit orders (not post-only) are taken, the indicative uncross is published
/// on the WebSocket. 400 `WRONG_TRADING_PHASE` when it already is in one.
#[utoipa::path(post, path = "/v1/admin/auction", tag = "admin", security(("bearer" = [])),
    request_body = SymbolRequest, responses((status = 200, body = AuctionStatusView)))]
pub async fn admin_auction(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    body: Result<Json<SymbolRequest>, JsonRejection>,
) -> ApiResult<AuctionStatusView> {
    auction_command(app, headers, body, true).await
}

/// Admin: uncross a symbol's call auction (`Command::Uncross`): everything crossable trades at
/// one price, then continuous trading. 400 `WRONG_TRADING_PHASE` outside an auction, 409
/// `INSTRUMENT_HALTED` while halted.
#[utoipa::path(post, path = "/v1/admin/uncross", tag = "admin", security(("bearer" = [])),
    request_body = SymbolRequest, responses((status = 200, body = AuctionStatusView)))]
pub async fn admin_uncross(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    body: Result<Json<SymbolRequest>, JsonRejection>,
) -> ApiResult<AuctionStatusView> {
    auction_command(app, headers, body, false).await
}

/// `POST /v1/admin/sim` body: set the speed and/or pause.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimRequest {
    /// Virtual seconds per wall second, in (0, 1000].
    pub speed: Option<f64>,
    /// Pause (true) or play (false).
    pub paused: Option<bool>,
}

/// Simulation state.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimView {
    /// Speed.
    pub speed: f64,
    /// Paused.
    pub paused: bool,
    /// Scenario.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Market clock, epoch ms.
    pub market_time: u64,
}

/// Change the simulation's speed or pause it.
#[utoipa::path(post, path = "/v1/admin/sim", tag = "admin", security(("bearer" = [])),
    request_body = SimRequest, responses((status = 200, body = SimView), (status = 400, body = ErrorBody)))]
pub async fn admin_sim(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
    body: Result<Json<SimRequest>, JsonRejection>,
) -> ApiResult<SimView> {
    need_admin(&app, &headers)?;
    let req = json_body(body)?;
    if let Some(s) = req.speed {
        if !(s > 0.0 && s <= 1000.0) {
            return Err(ApiError::bad(format!(
                "speed must be in (0, 1000], got {s}"
            )));
        }
    }
    app.engine
        .call(move |st| {
            let playing = req.paused.map(|p| !p).unwrap_or(st.clock.playing);
            let speed = req.speed.unwrap_or(st.clock.speed);
            let now = st.now_ns();
            st.clock.set(playing, speed, now);
            Ok(Json(SimView {
                speed,
                paused: !playing,
                scenario: st.meta.scenario.clone(),
                seed: st.meta.seed,
                market_time: ms(now),
            }))
        })
        .await?
}

/// Answer of `POST /v1/admin/reset`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResetView {
    /// Accounts whose open orders were cancelled.
    pub cancelled_accounts: usize,
    /// Accounts whose balances were brought back to their opening funding.
    pub adjusted_accounts: usize,
    /// The exchange's last input seq after the reset (every step of it is journaled).
    pub input_seq: String,
}

/// Start a new trading round on the shared market (a class's "everyone starts again"): cancel
/// every open order, bring every account back to what it was opened with (guests: the faucet;
/// API accounts: the admin's opening deposits; simulated participants: their scenario funding)
/// and restart the simulated participants. The price carries on from the last trade; history
/// stays; every step is a journaled command. A market with another scenario needs another data
/// directory.
#[utoipa::path(post, path = "/v1/admin/reset", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = ResetView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn admin_reset(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
) -> ApiResult<ResetView> {
    need_admin(&app, &headers)?;
    app.engine
        .call(move |st| {
            let (cancelled, adjusted) = st.reset_round().map_err(ApiError::bad)?;
            Ok(Json(ResetView {
                cancelled_accounts: cancelled,
                adjusted_accounts: adjusted,
                input_seq: (st.exchange().next_input_seq() - 1).to_string(),
            }))
        })
        .await?
}

/// One account in the admin's list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountSummary {
    /// Account id.
    pub account_id: String,
    /// Name (`agent` for simulated participants).
    pub name: String,
    /// Balances.
    pub balances: Vec<BalanceView>,
    /// Equity in each instrument's quote asset: every asset's total (available + locked)
    /// marked at the last price of the instrument that trades it against the quote asset of
    /// instrument 0 (USDT by default).
    pub equity: String,
    /// Open orders.
    pub open_orders: usize,
}

/// Answer of `GET /v1/admin/accounts`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountsView {
    /// Accounts by equity, highest first (a class's leaderboard).
    pub accounts: Vec<AccountSummary>,
}

/// Every account with balances and equity.
#[utoipa::path(get, path = "/v1/admin/accounts", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = AccountsView), (status = 403, body = ErrorBody)))]
pub async fn admin_accounts(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
) -> ApiResult<AccountsView> {
    need_admin(&app, &headers)?;
    app.engine
        .call(move |st| {
            let ex = st.exchange();
            let c = ex.config();
            let Some(first) = c.instruments.first() else {
                return Ok(Json(AccountsView { accounts: vec![] }));
            };
            let quote = first.quote;
            let qdec = c.assets[quote as usize].decimals;
            let agents: std::collections::BTreeSet<u32> =
                st.meta.plan.agent_accounts.iter().copied().collect();
            let mut rows: Vec<(Decimal, AccountSummary)> = (1..=ex.account_count())
                .map(|a| {
                    let mut equity = Decimal::ZERO;
                    for asset in 0..c.assets.len() as u32 {
                        let b = ex.balance(a, asset).unwrap_or_default();
                        let total = from_grid(
                            (b.available + b.locked).min(i64::MAX as u64) as i64,
                            unit_step(c.assets[asset as usize].decimals),
                        );
                        if asset == quote {
                            equity += total;
                        } else if let Some((k, s)) = c
                            .instruments
                            .iter()
                            .enumerate()
                            .find(|(_, s)| s.base == asset && s.quote == quote)
                        {
                            if let Some(p) =
                                ex.last_price(k as u32).or(ex.reference_price(k as u32))
                            {
                                equity += total * from_grid(p, s.tick_size);
                            }
                        }
                    }
                    let equity = equity.round_dp(qdec);
                    let name = st.creds.name_of(a).map(str::to_string).unwrap_or_else(|| {
                        if agents.contains(&a) {
                            "agent".into()
                        } else {
                            String::new()
                        }
                    });
                    (
                        equity,
                        AccountSummary {
                            account_id: a.to_string(),
                            name,
                            balances: balances(st, a),
                            equity: equity.to_string(),
                            open_orders: ex.open_orders_of(a).len(),
                        },
                    )
                })
                .collect();
            rows.sort_by(|x, y| {
                y.0.cmp(&x.0)
                    .then(x.1.account_id.len().cmp(&y.1.account_id.len()))
                    .then(x.1.account_id.cmp(&y.1.account_id))
            });
            Ok(Json(AccountsView {
                accounts: rows.into_iter().map(|r| r.1).collect(),
            }))
        })
        .await?
}

/// Server statistics for the operator and the load generator.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatsView {
    /// Commands journaled since start.
    pub commands: u64,
    /// Journal commits (one `fdatasync` each) since start.
    pub commits: u64,
    /// Jobs run since start.
    pub jobs: u64,
    /// Jobs refused (503) since start.
    pub refused: u64,
    /// Market data frames measured.
    pub market_data_frames: u64,
    /// Market data latency (engine applied → frame handed to the socket), µs: p50.
    pub market_data_p50_us: u64,
    /// p99, µs.
    pub market_data_p99_us: u64,
    /// Maximum, µs.
    pub market_data_max_us: u64,
}

/// Counters and the market data latency histogram since start.
#[utoipa::path(get, path = "/v1/admin/stats", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = StatsView), (status = 403, body = ErrorBody)))]
pub async fn admin_stats(
    AxState(app): AxState<AppState>,
    headers: HeaderMap,
) -> ApiResult<StatsView> {
    use std::sync::atomic::Ordering::Relaxed;
    need_admin(&app, &headers)?;
    let s = &app.engine.stats;
    let h = app
        .md_latency_us
        .lock()
        .map(|h| {
            (
                h.len(),
                h.value_at_quantile(0.5),
                h.value_at_quantile(0.99),
                h.max(),
            )
        })
        .unwrap_or_default();
    Ok(Json(StatsView {
        commands: s.commands.load(Relaxed),
        commits: s.commits.load(Relaxed),
        jobs: s.jobs.load(Relaxed),
        refused: s.refused.load(Relaxed),
        market_data_frames: h.0,
        market_data_p50_us: h.1,
        market_data_p99_us: h.2,
        market_data_max_us: h.3,
    }))
}
