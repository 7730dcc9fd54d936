//! The Binance-compatible spot API: REST under `/api/v3` ([`rest`]), market streams at `/ws/…`
//! and `/stream` ([`stream`]) and user data over the WebSocket API at `/ws-api/v3`
//! ([`stream::ws_api`]), so that a bot written for Binance (through ccxt or not) trades against
//! Bourse by changing only its URLs.
//!
//! Source of every rule here: Binance's published spot API documents
//! (binance/binance-spot-api-docs: `rest-api.md`, `web-socket-streams.md`,
//! `web-socket-api.md`, `user-data-stream.md`, `filters.md`, `errors.md`) and what ccxt 4.5.90
//! calls and parses, collected in `../shared/reference/binance-spot-subset.md`.
//!
//! # Invariants
//! - A translation layer only: every order, cancel and amend is the core's `Command`, sent
//!   through the same engine job queue as `/v1`, answered after its journal commit.
//! - Symbols are the instruments' names without the dash (`BTCUSDT` for `BTC-USDT`).
//! - Errors are Binance's `{"code": -1121, "msg": "Invalid symbol."}` with Binance's codes and
//!   message texts (ccxt matches the message text first), never a 5xx for request content.
//! - String client order ids are mapped to the core's 64-bit ones by
//!   [`crate::credentials::client_id_for`] and remembered beside the credentials.

pub mod error;
pub mod rest;
pub mod sign;
pub mod stream;

use crate::gateway::AppState;
use axum::routing::{delete, get, post, put};
use axum::Router;

/// The Binance-compatible routes (`/api/v3/…`, `/ws/{name}`, `/stream`, `/ws-api/v3`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/ping", get(rest::ping))
        .route("/api/v3/time", get(rest::time))
        .route("/api/v3/exchangeInfo", get(rest::exchange_info))
        .route("/api/v3/depth", get(rest::depth))
        .route("/api/v3/trades", get(rest::trades))
        .route("/api/v3/aggTrades", get(rest::agg_trades))
        .route("/api/v3/klines", get(rest::klines))
        .route("/api/v3/ticker/24hr", get(rest::ticker_24hr))
        .route("/api/v3/ticker/price", get(rest::ticker_price))
        .route("/api/v3/ticker/bookTicker", get(rest::book_ticker))
        .route("/api/v3/avgPrice", get(rest::avg_price))
        .route(
            "/api/v3/order",
            post(rest::new_order)
                .delete(rest::cancel_order)
                .get(rest::query_order),
        )
        .route("/api/v3/order/test", post(rest::test_order))
        .route(
            "/api/v3/order/amend/keepPriority",
            put(rest::amend_keep_priority),
        )
        .route(
            "/api/v3/openOrders",
            get(rest::open_orders).delete(rest::cancel_open_orders),
        )
        .route("/api/v3/allOrders", get(rest::all_orders))
        .route("/api/v3/account", get(rest::account))
        .route("/api/v3/myTrades", get(rest::my_trades))
        .route("/api/v3/orderList/oco", post(rest::unsupported))
        .route("/api/v3/orderList/oto", post(rest::unsupported))
        .route("/api/v3/orderList/otoco", post(rest::unsupported))
        .route("/api/v3/order/oco", post(rest::unsupported))
        .route("/api/v3/order/cancelReplace", post(rest::unsupported))
        .route(
            "/api/v3/{*rest}",
            axum::routing::any(rest::unknown_endpoint),
        )
        .route("/ws", get(stream::market))
        .route("/ws/{name}", get(stream::market))
        .route("/stream", get(stream::market))
        .route("/ws-api/v3", get(stream::ws_api))
        .route(
            "/api/v3/userDataStream",
            delete(rest::unsupported).post(rest::unsupported),
        )
}

/// `BTCUSDT` for `BTC-USDT`: Binance's form of an instrument's name.
pub fn binance_symbol(name: &str) -> String {
    name.replace('-', "")
}
