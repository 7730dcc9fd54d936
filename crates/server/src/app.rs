//! The HTTP application: [`AppState`], [`app`] (the Router, testable with `oneshot` or on a
//! listener) and the middleware that enforces [`Limits`].

use crate::error::ApiError;
use crate::gateway::AppState;
use crate::{rest, ws};
use axum::extract::{ConnectInfo, Request, State as AxState};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use governor::clock::DefaultClock;
use std::net::{IpAddr, SocketAddr};
use utoipa::OpenApi;

fn peer(req: &Request) -> IpAddr {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

/// Query length, per-address and per-credential rate limits (429 with `Retry-After`), and the
/// guest-creation limit.
async fn limits(AxState(app): AxState<AppState>, req: Request, next: Next) -> Response {
    if req.uri().query().map_or(0, str::len) > app.limits.max_query_bytes {
        return ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!(
                "the query string is longer than {} bytes",
                app.limits.max_query_bytes
            ),
        )
        .into_response();
    }
    let ip = peer(&req);
    let path = req.uri().path();
    let is_api = path.starts_with("/v1/");
    if is_api {
        if let Err(not_until) = app.per_ip.check_key(&ip) {
            let wait =
                not_until.wait_time_from(governor::clock::Clock::now(&DefaultClock::default()));
            return ApiError::rate_limited(wait.as_secs() + 1).into_response();
        }
        if let Some(t) = rest::bearer(req.headers()) {
            if let Err(not_until) = app.per_key.check_key(&t) {
                let wait =
                    not_until.wait_time_from(governor::clock::Clock::now(&DefaultClock::default()));
                return ApiError::rate_limited(wait.as_secs() + 1).into_response();
            }
        }
        if path == "/v1/guest" && app.guests_per_ip.check_key(&ip).is_err() {
            return ApiError::rate_limited(60).into_response();
        }
    } else if path.starts_with("/api/") {
        // Binance's shape: 429 {-1003, …} with Retry-After (ccxt: DDoSProtection).
        let now = governor::clock::Clock::now(&DefaultClock::default());
        if let Err(not_until) = app.per_ip.check_key(&ip) {
            let wait = not_until.wait_time_from(now).as_secs() + 1;
            return crate::binance::error::BinanceError::rate_limited(
                app.limits.rest_per_ip_per_sec,
                wait,
            )
            .into_response();
        }
        let key = req
            .headers()
            .get("x-mbx-apikey")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if let Some(k) = key {
            if let Err(not_until) = app.per_key.check_key(&k) {
                let wait = not_until.wait_time_from(now).as_secs() + 1;
                return crate::binance::error::BinanceError::rate_limited(
                    app.limits.rest_per_key_per_sec,
                    wait,
                )
                .into_response();
            }
        }
    }
    next.run(req).await
}

/// The terminal's page, with `<meta name="bourse-server" content="/ws/terminal">` so that it
/// connects to this server instead of starting a Web Worker (the same `dist/` as the static
/// site otherwise).
async fn index(AxState(app): AxState<AppState>) -> Response {
    let Some(dir) = &app.web_dir else {
        return not_found().await.into_response();
    };
    match tokio::fs::read_to_string(dir.join("index.html")).await {
        Ok(html) => {
            let meta = r#"<meta name="bourse-server" content="/ws/terminal" />"#;
            let page = match html.find("<head>") {
                Some(i) => format!("{}{meta}{}", &html[..i + 6], &html[i + 6..]),
                None => format!("{meta}{html}"),
            };
            (
                [(axum::http::header::CACHE_CONTROL, "no-cache")],
                axum::response::Html(page),
            )
                .into_response()
        }
        Err(e) => ApiError::not_found(format!("the terminal's index.html cannot be read: {e}"))
            .into_response(),
    }
}

/// A known path with another method: 405 with a JSON body (Binance's shape under `/api/`).
async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    let msg = format!("{method} is not an operation of {}", uri.path());
    if uri.path().starts_with("/api/") {
        crate::binance::error::BinanceError {
            status: axum::http::StatusCode::METHOD_NOT_ALLOWED,
            ..crate::binance::error::BinanceError::new(-1000, msg)
        }
        .into_response()
    } else {
        ApiError::new(
            axum::http::StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            msg,
        )
        .into_response()
    }
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint (see /openapi.json)")
}

async fn openapi() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}

/// The OpenAPI document, generated from the handlers' annotations and types.
#[derive(OpenApi)]
#[openapi(
    info(title = "Bourse server API", description = "REST API of `bourse serve`: one shared market. Amounts are decimal strings, times epoch milliseconds, ids strings of digits. Errors are JSON {code, msg}."),
    paths(
        rest::place_order, rest::cancel_order, rest::cancel_by_client_id, rest::cancel_all,
        rest::amend_order, rest::get_order, rest::list_orders, rest::executions, rest::account,
        rest::guest, rest::book_l2, rest::book_l3, rest::candles, rest::trades, rest::ticker,
        rest::instruments, rest::time, rest::health, rest::admin_create_account,
        rest::admin_deposit, rest::admin_withdraw, rest::admin_halt, rest::admin_resume,
        rest::admin_auction, rest::admin_uncross,
        rest::admin_sim, rest::admin_reset, rest::admin_accounts, rest::admin_stats
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    let body_limit = state.limits.max_body_bytes;
    let mut router = Router::new()
        .route(
            "/v1/order",
            post(rest::place_order).delete(rest::cancel_by_client_id),
        )
        .route(
            "/v1/order/{id}",
            delete(rest::cancel_order)
                .patch(rest::amend_order)
                .get(rest::get_order),
        )
        .route(
            "/v1/orders",
            get(rest::list_orders).delete(rest::cancel_all),
        )
        .route("/v1/execution", get(rest::executions))
        .route("/v1/account", get(rest::account))
        .route("/v1/guest", post(rest::guest))
        .route("/v1/marketdata/orderBook/L2", get(rest::book_l2))
        .route("/v1/marketdata/orderBook/L3", get(rest::book_l3))
        .route("/v1/marketdata/candles", get(rest::candles))
        .route("/v1/marketdata/trades", get(rest::trades))
        .route("/v1/marketdata/ticker", get(rest::ticker))
        .route("/v1/instruments", get(rest::instruments))
        .route("/v1/time", get(rest::time))
        .route("/health", get(rest::health))
        .route(
            "/v1/admin/accounts",
            post(rest::admin_create_account).get(rest::admin_accounts),
        )
        .route("/v1/admin/deposit", post(rest::admin_deposit))
        .route("/v1/admin/withdraw", post(rest::admin_withdraw))
        .route("/v1/admin/halt", post(rest::admin_halt))
        .route("/v1/admin/resume", post(rest::admin_resume))
        .route("/v1/admin/auction", post(rest::admin_auction))
        .route("/v1/admin/uncross", post(rest::admin_uncross))
        .route("/v1/admin/sim", post(rest::admin_sim))
        .route("/v1/admin/reset", post(rest::admin_reset))
        .route("/v1/admin/stats", get(rest::admin_stats))
        .route("/openapi.json", get(openapi))
        .route("/ws/terminal", get(ws::terminal))
        .route("/ws/stream", get(ws::stream))
        .route("/v1/{*rest}", axum::routing::any(not_found))
        .merge(crate::binance::routes())
        .method_not_allowed_fallback(method_not_allowed);
    router = match &state.web_dir {
        Some(dir) => router
            .route("/", get(index))
            .route("/index.html", get(index))
            .fallback_service(
            tower_http::services::ServeDir::new(dir)
                .append_index_html_on_directories(true),
        ),
        None => router.fallback(|| async {
            (
                axum::http::StatusCode::NOT_FOUND,
                axum::response::Html(
                    "<h1>Bourse server</h1><p>This server has no terminal to serve: build it with \
                     <code>trunk build --release</code> and start <code>bourse serve --web-dir dist</code>. \
                     The API is described at <a href=\"/openapi.json\">/openapi.json</a>.</p>",
                ),
            )
        }),
    };
    router
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits))
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .with_state(state)
}
