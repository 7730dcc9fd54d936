//! Request parameters and Binance's SIGNED endpoint security (rest-api.md "SIGNED (TRADE and
//! USER_DATA) Endpoint security" and "Timing security").
//!
//! - The signed payload is the query string concatenated with the body (no separator), without
//!   the `signature` parameter, exactly as received (never re-encoded).
//! - `signature` = lowercase or uppercase hex of HMAC-SHA256(secret, payload).
//! - `timestamp` (ms) is accepted iff `timestamp < server_ms + 1000` and
//!   `server_ms - timestamp <= recvWindow`; `recvWindow` defaults to 5,000 ms and may not exceed
//!   60,000 ms.

use super::error::BinanceError;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::BTreeMap;

/// Default `recvWindow`, ms.
pub const DEFAULT_RECV_WINDOW_MS: u64 = 5_000;
/// Largest `recvWindow`, ms.
pub const MAX_RECV_WINDOW_MS: u64 = 60_000;
/// How far ahead of the server's clock a `timestamp` may be, ms.
pub const MAX_AHEAD_MS: u64 = 1_000;

/// A request's parameters (query string and form body together), by name.
#[derive(Debug, Clone, Default)]
pub struct Params {
    map: BTreeMap<String, String>,
    /// The signed payload: query + body without `&signature=…`.
    payload: String,
    signature: Option<String>,
}

/// Remove the `signature` parameter from one part (query or body); returns the rest and the
/// signature.
fn split_signature(part: &str) -> (String, Option<String>) {
    let mut sig = None;
    let mut rest = Vec::new();
    for kv in part.split('&') {
        match kv.strip_prefix("signature=") {
            Some(s) if sig.is_none() => sig = Some(s.to_string()),
            _ => rest.push(kv),
        }
    }
    (rest.join("&"), sig)
}

impl Params {
    /// Parse the query string and the `application/x-www-form-urlencoded` body.
    ///
    /// # Errors
    /// -1101 for a parameter sent twice, -1100 for a body that is not UTF-8.
    pub fn parse(query: Option<&str>, body: &[u8]) -> Result<Params, BinanceError> {
        let body = std::str::from_utf8(body).map_err(|_| {
            BinanceError::new(-1100, "Illegal characters found in the request body.")
        })?;
        let query = query.unwrap_or("");
        let (q, sig_q) = split_signature(query);
        let (b, sig_b) = split_signature(body);
        let mut map = BTreeMap::new();
        for part in [query, body] {
            for (k, v) in form_urlencoded::parse(part.as_bytes()) {
                if k.is_empty() {
                    continue;
                }
                if map.insert(k.to_string(), v.to_string()).is_some() {
                    return Err(BinanceError::new(
                        -1101,
                        format!("Duplicate values for parameter '{k}'."),
                    ));
                }
            }
        }
        Ok(Params {
            map,
            payload: format!("{q}{b}"),
            signature: sig_q.or(sig_b),
        })
    }

    /// A parameter, if sent and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A mandatory parameter.
    ///
    /// # Errors
    /// -1102 naming it.
    pub fn req(&self, name: &str) -> Result<&str, BinanceError> {
        self.get(name).ok_or_else(|| BinanceError::mandatory(name))
    }

    /// An optional unsigned integer parameter.
    ///
    /// # Errors
    /// -1100 when it is not digits (or more than 64 bits).
    pub fn u64(&self, name: &str) -> Result<Option<u64>, BinanceError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|_| v.bytes().all(|b| b.is_ascii_digit()))
                .map(Some)
                .ok_or_else(|| BinanceError::illegal(name, "^[0-9]{1,20}$")),
        }
    }

    /// Refuse parameters outside `allowed` (and the signing ones).
    ///
    /// # Errors
    /// -1104 "Not all sent parameters were read", naming the first unread one.
    pub fn only(&self, allowed: &[&str]) -> Result<(), BinanceError> {
        let signing = ["timestamp", "recvWindow", "signature"];
        let unread: Vec<&str> = self
            .map
            .keys()
            .map(String::as_str)
            .filter(|k| !allowed.contains(k) && !signing.contains(k))
            .collect();
        if unread.is_empty() {
            return Ok(());
        }
        Err(BinanceError::new(
            -1104,
            format!(
                "Not all sent parameters were read; read '{}' parameter(s) but was sent '{}'; this server does not read '{}'.",
                self.map.len() - unread.len(),
                self.map.len(),
                unread.join("', '")
            ),
        ))
    }

    /// Check the signature with `secret` and the timing against `server_ms`.
    ///
    /// # Errors
    /// -1102 (no `timestamp` or `signature`), -1100 (malformed ones), -1131 (`recvWindow` above
    /// [`MAX_RECV_WINDOW_MS`]), -1021 (outside the window), -1022 (bad signature).
    pub fn verify(&self, secret: &str, server_ms: u64) -> Result<(), BinanceError> {
        let ts = self
            .u64("timestamp")?
            .ok_or_else(|| BinanceError::mandatory("timestamp"))?;
        let window = self.u64("recvWindow")?.unwrap_or(DEFAULT_RECV_WINDOW_MS);
        check_window(ts, window, server_ms)?;
        let sig = self
            .signature
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| BinanceError::mandatory("signature"))?;
        if !signature_ok(secret, &self.payload, sig) {
            return Err(BinanceError::new(
                -1022,
                "Signature for this request is not valid.",
            ));
        }
        Ok(())
    }
}

/// Binance's timing rule (see the module docs).
///
/// # Errors
/// -1131 or -1021.
pub fn check_window(ts_ms: u64, window_ms: u64, server_ms: u64) -> Result<(), BinanceError> {
    if window_ms > MAX_RECV_WINDOW_MS {
        return Err(BinanceError::new(
            -1131,
            "recvWindow must be less than 60000",
        ));
    }
    if ts_ms >= server_ms + MAX_AHEAD_MS {
        return Err(BinanceError::new(
            -1021,
            "Timestamp for this request was 1000ms ahead of the server's time.",
        ));
    }
    if server_ms.saturating_sub(ts_ms) > window_ms {
        return Err(BinanceError::new(
            -1021,
            "Timestamp for this request is outside of the recvWindow.",
        ));
    }
    Ok(())
}

/// Hex HMAC-SHA256 of `payload` with `secret`.
pub fn sign(secret: &str, payload: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(payload.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// True when `sig_hex` (either case) is HMAC-SHA256(secret, payload); compared in constant time.
pub fn signature_ok(secret: &str, payload: &str, sig_hex: &str) -> bool {
    let Ok(sig) = hex::decode(sig_hex) else {
        return false;
    };
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(payload.as_bytes());
    mac.verify_slice(&sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// rest-api.md, "SIGNED Endpoint Examples for POST /api/v3/order - HMAC Keys".
    const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    const PAYLOAD: &str = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
    const SIG: &str = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
    const TS: u64 = 1_499_827_319_559;

    fn signed(query: &str) -> Params {
        Params::parse(Some(&format!("{query}&signature={SIG}")), b"").unwrap()
    }

    #[test]
    fn binance_published_test_vector() {
        assert_eq!(sign(SECRET, PAYLOAD), SIG);
        assert!(signature_ok(SECRET, PAYLOAD, &SIG.to_uppercase()));
        signed(PAYLOAD).verify(SECRET, TS + 10).unwrap();
        // Binance's "mixed query string and request body" example: the payload is the query
        // followed by the body with no separator.
        const MIXED: &str = "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77";
        let p = Params::parse(
            Some("symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC"),
            format!("quantity=1&price=0.1&recvWindow=5000&timestamp={TS}&signature={MIXED}")
                .as_bytes(),
        )
        .unwrap();
        p.verify(SECRET, TS).unwrap();
        assert_eq!(p.get("quantity"), Some("1"));
    }

    #[test]
    fn a_wrong_secret_or_a_tampered_parameter_is_refused() {
        let bad = BinanceError::new(-1022, "Signature for this request is not valid.");
        let wrong = SECRET.replace('N', "M");
        assert_eq!(signed(PAYLOAD).verify(&wrong, TS), Err(bad.clone()));
        let tampered = PAYLOAD.replace("quantity=1", "quantity=2");
        assert_eq!(signed(&tampered).verify(SECRET, TS), Err(bad.clone()));
        let p = Params::parse(Some(&format!("{PAYLOAD}&signature=zz")), b"").unwrap();
        assert_eq!(p.verify(SECRET, TS), Err(bad));
        let p = Params::parse(Some(PAYLOAD), b"").unwrap();
        assert_eq!(p.verify(SECRET, TS).unwrap_err().code, -1102);
    }

    #[test]
    fn timing_window_stale_future_and_too_large() {
        // recvWindow=5000 in the payload: 5,000 ms late is still in, 5,001 is out.
        signed(PAYLOAD).verify(SECRET, TS + 5_000).unwrap();
        let stale = signed(PAYLOAD).verify(SECRET, TS + 5_001).unwrap_err();
        assert_eq!(
            (stale.code, stale.msg.as_str()),
            (
                -1021,
                "Timestamp for this request is outside of the recvWindow."
            )
        );
        // From the future: up to 999 ms ahead passes, 1,000 ms does not.
        signed(PAYLOAD).verify(SECRET, TS - 999).unwrap();
        let ahead = signed(PAYLOAD).verify(SECRET, TS - 1_000).unwrap_err();
        assert_eq!(ahead.code, -1021);
        assert!(
            ahead.msg.contains("ahead of the server's time"),
            "{}",
            ahead.msg
        );
        assert_eq!(check_window(TS, 60_001, TS).unwrap_err().code, -1131);
        check_window(TS, 60_000, TS + 60_000).unwrap();
    }

    #[test]
    fn duplicate_and_unread_parameters() {
        assert_eq!(Params::parse(Some("a=1&a=2"), b"").unwrap_err().code, -1101);
        assert_eq!(Params::parse(Some("a=1"), b"a=2").unwrap_err().code, -1101);
        let p = Params::parse(Some("symbol=BTCUSDT&foo=1&timestamp=1"), b"").unwrap();
        p.only(&["symbol", "foo"]).unwrap();
        let e = p.only(&["symbol"]).unwrap_err();
        assert_eq!(e.code, -1104);
        assert!(e.msg.contains("'foo'"), "{}", e.msg);
        assert_eq!(
            Params::parse(Some("limit=1x"), b"")
                .unwrap()
                .u64("limit")
                .unwrap_err()
                .code,
            -1100
        );
    }
}
