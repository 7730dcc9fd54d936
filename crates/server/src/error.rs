//! [`ApiError`]: every error answer of the REST API, JSON `{code, msg}` with a 4xx status (503
//! only for overload, with `Retry-After`).

use crate::engine::CallError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bourse_core::Reason;
use serde::Serialize;
use utoipa::ToSchema;

/// The JSON body of every error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Machine-readable code: the core's reason code (`INSUFFICIENT_BALANCE`,
    /// `PRICE_NOT_ON_TICK`, …) or one of `BAD_REQUEST`, `UNAUTHORIZED`, `FORBIDDEN`,
    /// `NOT_FOUND`, `PAYLOAD_TOO_LARGE`, `RATE_LIMITED`, `OVERLOADED`.
    pub code: String,
    /// What is wrong, in words.
    pub msg: String,
}

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Body.
    pub body: ErrorBody,
    /// Seconds for `Retry-After` (429, 503).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &str, msg: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                code: code.to_string(),
                msg: msg.into(),
            },
            retry_after: None,
        }
    }

    /// 400 `BAD_REQUEST`.
    pub fn bad(msg: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", msg)
    }

    /// 401 `UNAUTHORIZED`.
    pub fn unauthorized(msg: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", msg)
    }

    /// 403 `FORBIDDEN`.
    pub fn forbidden(msg: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "FORBIDDEN", msg)
    }

    /// 404 `NOT_FOUND`.
    pub fn not_found(msg: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", msg)
    }

    /// 429 `RATE_LIMITED` with `Retry-After`.
    pub fn rate_limited(retry_after_s: u64) -> ApiError {
        ApiError {
            retry_after: Some(retry_after_s.max(1)),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                "too many requests; see Retry-After",
            )
        }
    }

    /// The answer to a command the exchange refused with `reason`: 402 for
    /// `INSUFFICIENT_BALANCE`, 409 for `DUPLICATE_CLIENT_ORDER_ID`, `INSTRUMENT_HALTED` and
    /// `TOO_MANY_OPEN_ORDERS`, 404 for `UNKNOWN_ORDER`, 400 otherwise; the code is the core's.
    pub fn from_reason(reason: Reason, msg: impl Into<String>) -> ApiError {
        let status = match reason {
            Reason::InsufficientBalance => StatusCode::PAYMENT_REQUIRED,
            Reason::DuplicateClientOrderId
            | Reason::InstrumentHalted
            | Reason::TooManyOpenOrders
            | Reason::DailyNotionalLimitExceeded => StatusCode::CONFLICT,
            Reason::UnknownOrder => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, &bourse_protocol::wire_name(&reason), msg)
    }
}

impl From<CallError> for ApiError {
    fn from(e: CallError) -> ApiError {
        let msg = match e {
            CallError::Busy => "the engine's queue is full; retry shortly",
            CallError::Stopped => "the engine has stopped",
        };
        ApiError {
            retry_after: Some(1),
            ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "OVERLOADED", msg)
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, axum::Json(self.body)).into_response();
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        r
    }
}
