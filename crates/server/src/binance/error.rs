//! Binance's error shape `{"code": -1121, "msg": "Invalid symbol."}` with its codes and texts
//! (errors.md; which ccxt exception each gives: binance-spot-subset.md §4).

use crate::engine::CallError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bourse_core::Reason;

/// A Binance error answer: HTTP status, Binance code (negative), message text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinanceError {
    /// HTTP status (400 for request errors, 401 for key rejections, 429 rate limit, 503 busy).
    pub status: StatusCode,
    /// Binance error code, e.g. -1121.
    pub code: i32,
    /// Binance's message text (ccxt matches it exactly).
    pub msg: String,
    /// Seconds for `Retry-After` (429, 503).
    pub retry_after: Option<u64>,
}

/// A handler's result.
pub type BResult<T> = Result<T, BinanceError>;

impl BinanceError {
    /// A 400 with `code` and `msg`.
    pub fn new(code: i32, msg: impl Into<String>) -> BinanceError {
        BinanceError {
            status: StatusCode::BAD_REQUEST,
            code,
            msg: msg.into(),
            retry_after: None,
        }
    }

    /// -1121 "Invalid symbol." (ccxt: BadSymbol).
    pub fn bad_symbol() -> BinanceError {
        BinanceError::new(-1121, "Invalid symbol.")
    }

    /// -1102: a mandatory parameter is missing or empty (ccxt: BadRequest).
    pub fn mandatory(name: &str) -> BinanceError {
        BinanceError::new(
            -1102,
            format!("Mandatory parameter '{name}' was not sent, was empty/null, or malformed."),
        )
    }

    /// -1100: a parameter has characters outside its legal form.
    pub fn illegal(name: &str, legal: &str) -> BinanceError {
        BinanceError::new(
            -1100,
            format!("Illegal characters found in parameter '{name}'; legal range is '{legal}'."),
        )
    }

    /// -2013 "Order does not exist." (queries; ccxt: OrderNotFound).
    pub fn no_such_order() -> BinanceError {
        BinanceError::new(-2013, "Order does not exist.")
    }

    /// -2011 "Unknown order sent." (cancels; ccxt: OrderNotFound).
    pub fn unknown_order() -> BinanceError {
        BinanceError::new(-2011, "Unknown order sent.")
    }

    /// -2014 / -2015 with HTTP 401 (ccxt: AuthenticationError).
    pub fn bad_key(code: i32) -> BinanceError {
        let msg = if code == -2014 {
            "API-key format invalid."
        } else {
            "Invalid API-key, IP, or permissions for action."
        };
        BinanceError {
            status: StatusCode::UNAUTHORIZED,
            ..BinanceError::new(code, msg)
        }
    }

    /// -1003 with HTTP 429 and `Retry-After` (ccxt: DDoSProtection).
    pub fn rate_limited(limit: u32, retry_after_s: u64) -> BinanceError {
        BinanceError {
            status: StatusCode::TOO_MANY_REQUESTS,
            retry_after: Some(retry_after_s),
            ..BinanceError::new(
                -1003,
                format!("Too much request weight used; current limit is {limit} request weight per 1 SECOND. Please use WebSocket Streams for live updates to avoid polling the API."),
            )
        }
    }

    /// -1014 "Unsupported order combination." (what Bourse's core has no form of: trailing
    /// delta, iceberg, OCO and the like).
    pub fn unsupported() -> BinanceError {
        BinanceError::new(-1014, "Unsupported order combination.")
    }

    /// The Binance error for a core reject `reason` of a new order (`market`: a MARKET or
    /// STOP_LOSS order, whose quantity rules are MARKET_LOT_SIZE's).
    pub fn from_reason(reason: Reason, market: bool) -> BinanceError {
        let filter = |f: &str| BinanceError::new(-1013, format!("Filter failure: {f}"));
        let lot = if market {
            "MARKET_LOT_SIZE"
        } else {
            "LOT_SIZE"
        };
        match reason {
            Reason::UnknownInstrument => BinanceError::bad_symbol(),
            Reason::UnknownAccount => BinanceError::bad_key(-2015),
            Reason::InstrumentHalted => BinanceError::new(-1013, "Market is closed."),
            Reason::PriceNotOnTick => filter("PRICE_FILTER"),
            Reason::PriceOutsideBand => filter("PERCENT_PRICE"),
            Reason::QuantityNotOnLot | Reason::QuantityOutOfRange => filter(lot),
            Reason::NotionalBelowMinimum => filter("NOTIONAL"),
            Reason::TooManyOpenOrders => filter("MAX_NUM_ORDERS"),
            Reason::InsufficientBalance => BinanceError::new(
                -2010,
                "Account has insufficient balance for requested action.",
            ),
            Reason::DuplicateClientOrderId => BinanceError::new(-2010, "Duplicate order sent."),
            Reason::PostOnlyWouldTake => {
                BinanceError::new(-2010, "Order would immediately match and take.")
            }
            Reason::StopWouldTriggerImmediately => {
                BinanceError::new(-2010, "Stop price would trigger immediately.")
            }
            Reason::DailyNotionalLimitExceeded => BinanceError::new(
                -2010,
                "New order rejected: the account's daily notional limit would be exceeded.",
            ),
            Reason::UnknownOrder => BinanceError::unknown_order(),
            Reason::AmountNotOnGrid => {
                BinanceError::new(-1111, "Parameter 'quoteOrderQty' has too much precision.")
            }
            Reason::InvalidOrder => BinanceError::unsupported(),
            other => BinanceError::new(
                -1013,
                format!("Order rejected: {}", bourse_protocol::wire_name(&other)),
            ),
        }
    }
}

impl From<CallError> for BinanceError {
    fn from(_: CallError) -> BinanceError {
        BinanceError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            retry_after: Some(1),
            ..BinanceError::new(
                -1008,
                "Server is currently overloaded with other requests. Please try again in a few minutes.",
            )
        }
    }
}

impl IntoResponse for BinanceError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"code": self.code, "msg": self.msg});
        let mut r = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        r
    }
}
