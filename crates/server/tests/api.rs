//! In-process integration tests of `bourse serve` on 127.0.0.1 (ephemeral port), without
//! simulated participants so that every balance, fill and fee is computed by hand:
//! BTC-USDT has tick 0.01, lot 0.00001, maker fee 800 ppm, taker fee 1000 ppm (charged in USDT).

use bourse_server::{start, Limits, ServerConfig};
use reqwest::{Client, Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

const ADMIN: &str = "admin-token-for-tests-0001";

fn cfg(dir: &std::path::Path) -> ServerConfig {
    ServerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.to_path_buf(),
        agents: false,
        seed: Some(1),
        admin_token: Some(ADMIN.into()),
        ..Default::default()
    }
}

struct Api {
    base: String,
    http: Client,
}

impl Api {
    fn new(addr: std::net::SocketAddr) -> Api {
        Api {
            base: format!("http://{addr}"),
            http: Client::new(),
        }
    }
    async fn call(
        &self,
        m: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut r = self.http.request(m, format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.expect("the server answers");
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: not JSON: {text}"));
        (status, v)
    }
    async fn ok(&self, m: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Value {
        let (s, v) = self.call(m, path, token, body).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
        v
    }
    async fn account(&self, name: &str, deposits: Value) -> (String, String) {
        let v = self
            .ok(
                Method::POST,
                "/v1/admin/accounts",
                Some(ADMIN),
                Some(json!({"name": name, "deposits": deposits})),
            )
            .await;
        assert!(v["secretKey"].as_str().unwrap().len() == 64);
        (
            v["accountId"].as_str().unwrap().to_string(),
            v["apiKey"].as_str().unwrap().to_string(),
        )
    }
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn dv(v: &Value) -> Decimal {
    d(v.as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}")))
}

fn balance(acct: &Value, asset: &str) -> (Decimal, Decimal) {
    let b = acct["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["asset"] == asset)
        .unwrap();
    (dv(&b["available"]), dv(&b["locked"]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_fills_fees_and_isolation_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let srv = start(cfg(dir.path())).await.unwrap();
    let api = Api::new(srv.addr);
    let (_, a) = api.account("alice", json!({"BTC": "1"})).await;
    let (_, b) = api.account("bob", json!({"USDT": "10000"})).await;

    let sell = api
        .ok(Method::POST, "/v1/order", Some(&a), Some(json!({"symbol": "BTC-USDT", "side": "SELL", "orderType": "LIMIT", "price": "60000.00", "quantity": "0.01", "clientOrderId": "11"})))
        .await;
    assert_eq!(sell["status"], "NEW");
    assert_eq!(sell["clientOrderId"], "11");
    assert_eq!(dv(&sell["remainingQuantity"]), d("0.01"));
    let sell_id = sell["id"].as_str().unwrap().to_string();
    assert!(sell_id.bytes().all(|c| c.is_ascii_digit()));
    let acct_a = api.ok(Method::GET, "/v1/account", Some(&a), None).await;
    assert_eq!(balance(&acct_a, "BTC"), (d("0.99"), d("0.01")));
    assert_eq!(acct_a["openOrders"], 1);

    // Bob takes 0.004: notional 240 USDT, taker fee 0.1 % = 0.24 USDT; Alice's maker fee
    // 0.08 % = 0.192 USDT.
    let buy = api
        .ok(Method::POST, "/v1/order", Some(&b), Some(json!({"symbol": "BTC-USDT", "side": "BUY", "orderType": "MARKET", "quantity": "0.004"})))
        .await;
    assert_eq!(buy["status"], "FILLED", "{buy}");
    let fills = buy["fills"].as_array().unwrap();
    assert_eq!(fills.len(), 1);
    assert_eq!(dv(&fills[0]["price"]), d("60000"));
    assert_eq!(dv(&fills[0]["quantity"]), d("0.004"));
    assert_eq!(dv(&fills[0]["fee"]), d("0.24"));
    assert_eq!(fills[0]["feeAsset"], "USDT");
    assert_eq!(fills[0]["liquidity"], "TAKER");
    assert_eq!(dv(&buy["cumulativeQuote"]), d("240"));
    let acct_b = api.ok(Method::GET, "/v1/account", Some(&b), None).await;
    assert_eq!(balance(&acct_b, "USDT"), (d("9759.76"), d("0")));
    assert_eq!(balance(&acct_b, "BTC"), (d("0.004"), d("0")));
    let acct_a = api.ok(Method::GET, "/v1/account", Some(&a), None).await;
    assert_eq!(balance(&acct_a, "USDT"), (d("239.808"), d("0")));
    assert_eq!(balance(&acct_a, "BTC"), (d("0.99"), d("0.006")));

    let o = api
        .ok(Method::GET, &format!("/v1/order/{sell_id}"), Some(&a), None)
        .await;
    assert_eq!(o["status"], "PARTIALLY_FILLED");
    assert_eq!(dv(&o["filledQuantity"]), d("0.004"));
    assert_eq!(dv(&o["remainingQuantity"]), d("0.006"));

    // Bob cannot see, cancel or amend Alice's order: 404, as for an unknown id.
    for (m, body) in [
        (Method::GET, None),
        (Method::DELETE, None),
        (Method::PATCH, Some(json!({"quantity": "0.005"}))),
    ] {
        let (s, v) = api
            .call(m, &format!("/v1/order/{sell_id}"), Some(&b), body)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    }
    let mine = api
        .ok(Method::GET, "/v1/orders?status=all", Some(&b), None)
        .await;
    assert!(mine["orders"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["id"] != sell_id.as_str()));

    let ex_a = api
        .ok(Method::GET, "/v1/execution?symbol=BTC-USDT", Some(&a), None)
        .await;
    let ex_a = ex_a["executions"].as_array().unwrap();
    assert_eq!(ex_a.len(), 1);
    assert_eq!(ex_a[0]["liquidity"], "maker");
    assert_eq!(dv(&ex_a[0]["fee"]), d("0.192"));
    assert_eq!(ex_a[0]["orderId"], sell_id.as_str());
    let ex_b = api.ok(Method::GET, "/v1/execution", Some(&b), None).await;
    assert_eq!(dv(&ex_b["executions"][0]["fee"]), d("0.24"));
    assert_eq!(ex_b["executions"][0]["side"], "BUY");

    // Amend down at the same price (keeps priority): remaining 0.004.
    let am = api
        .ok(
            Method::PATCH,
            &format!("/v1/order/{sell_id}"),
            Some(&a),
            Some(json!({"quantity": "0.008"})),
        )
        .await;
    assert_eq!(dv(&am["remainingQuantity"]), d("0.004"));
    let l2 = api
        .ok(
            Method::GET,
            "/v1/marketdata/orderBook/L2?symbol=BTC-USDT&depth=5",
            None,
            None,
        )
        .await;
    let asks = l2["asks"].as_array().unwrap();
    assert_eq!(asks.len(), 1);
    assert_eq!((dv(&asks[0][0]), dv(&asks[0][1])), (d("60000"), d("0.004")));
    assert_eq!(l2["bids"], json!([]));
    assert!(l2["lastUpdateId"].as_u64().unwrap() >= 3);
    let l3 = api
        .ok(
            Method::GET,
            "/v1/marketdata/orderBook/L3?symbol=BTC-USDT",
            None,
            None,
        )
        .await;
    assert_eq!(l3["asks"][0]["orders"][0]["orderId"], sell_id.as_str());
    let trades = api
        .ok(
            Method::GET,
            "/v1/marketdata/trades?symbol=BTC-USDT",
            None,
            None,
        )
        .await;
    assert_eq!(trades["trades"].as_array().unwrap().len(), 1);
    assert_eq!(trades["trades"][0]["side"], "BUY");
    assert_eq!(dv(&trades["trades"][0]["quantity"]), d("0.004"));
    let t = api
        .ok(
            Method::GET,
            "/v1/marketdata/ticker?symbol=BTC-USDT",
            None,
            None,
        )
        .await;
    assert_eq!(dv(&t["last"]), d("60000"));
    assert_eq!(t["trades"], 1);
    let c = api
        .ok(
            Method::GET,
            "/v1/marketdata/candles?symbol=BTC-USDT&resolution=1m&limit=1",
            None,
            None,
        )
        .await;
    assert_eq!(c["candles"].as_array().unwrap().len(), 1);
    assert_eq!(c["candles"][0]["trades"], 1);

    // Duplicate client order id among open orders: 409.
    let (s, v) = api.call(Method::POST, "/v1/order", Some(&a), Some(json!({"symbol": "BTC-USDT", "side": "SELL", "orderType": "LIMIT", "price": "61000.00", "quantity": "0.001", "clientOrderId": "11"}))).await;
    assert_eq!(
        (s, v["code"].as_str().unwrap()),
        (StatusCode::CONFLICT, "DUPLICATE_CLIENT_ORDER_ID")
    );
    // Insufficient balance: 402.
    let (s, v) = api.call(Method::POST, "/v1/order", Some(&b), Some(json!({"symbol": "BTC-USDT", "side": "BUY", "orderType": "LIMIT", "price": "60000.00", "quantity": "1"}))).await;
    assert_eq!(
        (s, v["code"].as_str().unwrap()),
        (StatusCode::PAYMENT_REQUIRED, "INSUFFICIENT_BALANCE")
    );

    // Cancel by client order id; then again: 404; by id after close: 409.
    let cx = api
        .ok(
            Method::DELETE,
            "/v1/order?symbol=BTC-USDT&clientOrderId=11",
            Some(&a),
            None,
        )
        .await;
    assert_eq!(cx["status"], "CANCELED");
    let acct_a = api.ok(Method::GET, "/v1/account", Some(&a), None).await;
    assert_eq!(balance(&acct_a, "BTC"), (d("0.996"), d("0")));
    let (s, _) = api
        .call(
            Method::DELETE,
            "/v1/order?symbol=BTC-USDT&clientOrderId=11",
            Some(&a),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = api
        .call(
            Method::DELETE,
            &format!("/v1/order/{sell_id}"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str().unwrap()),
        (StatusCode::CONFLICT, "ORDER_CLOSED")
    );

    // Cancel all.
    for p in ["61000.00", "62000.00"] {
        api.ok(Method::POST, "/v1/order", Some(&a), Some(json!({"symbol": "BTC-USDT", "side": "SELL", "orderType": "LIMIT", "price": p, "quantity": "0.001"}))).await;
    }
    let all = api
        .ok(Method::DELETE, "/v1/orders?symbol=BTC-USDT", Some(&a), None)
        .await;
    assert_eq!(all["canceled"].as_array().unwrap().len(), 2);
    let open = api.ok(Method::GET, "/v1/orders", Some(&a), None).await;
    assert_eq!(open["orders"], json!([]));
    let hist = api
        .ok(Method::GET, "/v1/orders?status=all&limit=2", Some(&a), None)
        .await;
    assert_eq!(hist["orders"].as_array().unwrap().len(), 2);

    // Admin: halt refuses orders (409), resume, deposit/withdraw, leaderboard by equity.
    api.ok(
        Method::POST,
        "/v1/admin/halt",
        Some(ADMIN),
        Some(json!({"symbol": "BTC-USDT"})),
    )
    .await;
    let (s, v) = api.call(Method::POST, "/v1/order", Some(&b), Some(json!({"symbol": "BTC-USDT", "side": "BUY", "orderType": "LIMIT", "price": "50000.00", "quantity": "0.001"}))).await;
    assert_eq!(
        (s, v["code"].as_str().unwrap()),
        (StatusCode::CONFLICT, "INSTRUMENT_HALTED")
    );
    api.ok(
        Method::POST,
        "/v1/admin/resume",
        Some(ADMIN),
        Some(json!({"symbol": "BTC-USDT"})),
    )
    .await;
    let (bid, _) = api.account("carol", json!({"USDT": "5"})).await;
    let after = api
        .ok(
            Method::POST,
            "/v1/admin/deposit",
            Some(ADMIN),
            Some(json!({"accountId": bid, "asset": "USDT", "amount": "1.5"})),
        )
        .await;
    assert_eq!(balance(&after, "USDT").0, d("6.5"));
    let (s, v) = api
        .call(
            Method::POST,
            "/v1/admin/withdraw",
            Some(ADMIN),
            Some(json!({"accountId": bid, "asset": "USDT", "amount": "7"})),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str().unwrap()),
        (StatusCode::PAYMENT_REQUIRED, "INSUFFICIENT_BALANCE")
    );
    let board = api
        .ok(Method::GET, "/v1/admin/accounts", Some(ADMIN), None)
        .await;
    let rows = board["accounts"].as_array().unwrap();
    // Bob: 9759.76 USDT + 0.004 BTC at the last price 60000 = 9999.76; Alice: 239.808 USDT +
    // 0.996 BTC × 60000 = 239.808 + 59,760 = 59,999.808.
    let eq = |name: &str| dv(&rows.iter().find(|r| r["name"] == name).unwrap()["equity"]);
    assert_eq!(eq("bob"), d("9999.76"));
    assert_eq!(eq("alice"), d("59999.808"));
    assert_eq!(rows[0]["name"], "alice");
    // Admin: a call auction. Crossed orders rest; the uncross trades them at one price.
    let st = api
        .ok(
            Method::POST,
            "/v1/admin/auction",
            Some(ADMIN),
            Some(json!({"symbol": "BTC-USDT"})),
        )
        .await;
    assert_eq!(st["phase"], "AUCTION");
    let (s, v) = api
        .call(
            Method::POST,
            "/v1/admin/auction",
            Some(ADMIN),
            Some(json!({"symbol": "BTC-USDT"})),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str().unwrap()),
        (StatusCode::BAD_REQUEST, "WRONG_TRADING_PHASE")
    );
    let (s, v) = api.call(Method::POST, "/v1/order", Some(&b), Some(json!({"symbol": "BTC-USDT", "side": "BUY", "orderType": "MARKET", "quantity": "0.001"}))).await;
    assert_eq!(
        (s, v["code"].as_str().unwrap()),
        (StatusCode::BAD_REQUEST, "NOT_ALLOWED_IN_AUCTION")
    );
    api.ok(Method::POST, "/v1/order", Some(&a), Some(json!({"symbol": "BTC-USDT", "side": "SELL", "orderType": "LIMIT", "price": "50000.00", "quantity": "0.001"}))).await;
    api.ok(Method::POST, "/v1/order", Some(&b), Some(json!({"symbol": "BTC-USDT", "side": "BUY", "orderType": "LIMIT", "price": "50010.00", "quantity": "0.001"}))).await;
    // bid 50010 over ask 50000, 0.001 each: one trade of 0.001 at the uncross price.
    let st = api
        .ok(
            Method::POST,
            "/v1/admin/uncross",
            Some(ADMIN),
            Some(json!({"symbol": "BTC-USDT"})),
        )
        .await;
    assert_eq!(
        (st["phase"].as_str(), st["trades"].as_u64()),
        (Some("CONTINUOUS"), Some(1))
    );
    let (s, v) = api
        .call(
            Method::POST,
            "/v1/admin/uncross",
            Some(ADMIN),
            Some(json!({"symbol": "BTC-USDT"})),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str().unwrap()),
        (StatusCode::BAD_REQUEST, "WRONG_TRADING_PHASE")
    );
    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_4xx_with_a_json_reason_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let srv = start(cfg(dir.path())).await.unwrap();
    let api = Api::new(srv.addr);
    let (_, a) = api
        .account("alice", json!({"BTC": "1", "USDT": "1000"}))
        .await;
    let (_, b) = api.account("bob", json!({"USDT": "1000"})).await;
    let placed = api.ok(Method::POST, "/v1/order", Some(&a), Some(json!({"symbol": "BTC-USDT", "side": "SELL", "orderType": "LIMIT", "price": "60000.00", "quantity": "0.001"}))).await;
    let a_order = placed["id"].as_str().unwrap().to_string();
    let order = |extra: Value| {
        let mut o = json!({"symbol": "BTC-USDT", "side": "BUY", "orderType": "LIMIT", "price": "50000.00", "quantity": "0.001"});
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                o.as_object_mut().unwrap().remove(k);
            } else {
                o[k] = v.clone();
            }
        }
        o
    };
    // (what, method, path, token, JSON body, expected status, expected code)
    let cases: Vec<(&str, Method, String, Option<&str>, Option<Value>, u16, &str)> = vec![
        (
            "wrong type",
            Method::POST,
            "/v1/order".into(),
            Some(&b),
            Some(order(json!({"quantity": true}))),
            400,
            "BAD_REQUEST",
        ),
        (
            "huge number",
            Method::POST,
            "/v1/order".into(),
            Some(&b),
            Some(order(
                json!({"quantity": "99999999999999999999999999999999"}),
            )),
            400,
            "BAD_REQUEST",
        ),
        // The core refuses a quantity that is not a positive whole number of lots that fits
        // 64 bits as not on the lot grid (crates/core/src/exchange/rules.rs).
        (
            "huge but parseable",
            Method::POST,
            "/v1/order".into(),
            Some(&b),
            Some(order(json!({"quantity": "79228162514264337593543950335"}))),
            400,
            "QUANTITY_NOT_ON_LOT",
        ),
        (
            "negative quantity",
            Method::POST,
            "/v1/order".into(),
            Some(&b),
            Some(order(json!({"quantity": "-1"}))),
            400,
            "QUANTITY_NOT_ON_LOT",
        ),
        (
            "zero quantity",
            Method::POST,
            "/v1/order".into(),
            Some(&b),
            Some(order(json!({"quantity": "0"}))),
            400,
            "QUANTITY_NOT_ON_LOT",
        ),
        (
            "above max quantity",
            Method::POST,
            "/v1/order".into(),
            Some(&b),
            Some(order(json!({"quantity": "9001"}))),
            400,
            "QUANTITY_OUT_OF_RANGE",
        ),
        (
            "off tick",
            Method::POST,
            "/v1/order".into(),
            Some(&b),
            Some(order(json!({"price": "50000.001"}))),
            400,
            "PRICE_NOT_ON_TICK",
        ),
        (
            "off lot",
            Method::POST,
            "/v1/order".into(),
            Some(&b),
            Some(order(json!({"quantity": "0.000001"}))),
            400,
            "QUANTITY_NOT_ON_LOT",
        ),
        (
            "outside band",
            Method::POST,
            "/v1/order".into(),
            Some(&b),
            Some(order(json!({"price": "1.00", "quantity": "10"}))),
            400,
            "PRICE_OUTSIDE_BAND",
        ),
        (
            "below min notional",
            Method::POST,
            "/v1/order".into(),
            Some(&b),
            Some(order(json!({"quantity": "0.00001"}))),
            400,
            "NOTIONAL_BELOW_MINIMUM",
        ),
        (
            "unknown field",
            Method::POST,
            "/v1/order".into(),
            Some(&b),
            Some(order(json!({"leverage": "100"}))),
            400,
            "BAD_REQUEST",
        ),
        (
            "unknown symbol",
            Method::POST,
            "/v1/order".into(),
            Some(&b),
            Some(order(json!({"symbol": "DOGE-USDT"}))),
            400,
            "BAD_REQUEST",
        ),
        (
            "missing price",
            Method::POST,
            "/v1/order".into(),
            Some(&b),
            Some(order(json!({"price": null}))),
            400,
            "INVALID_ORDER",
        ),
        (
            "missing symbol",
            Method::POST,
            "/v1/order".into(),
            Some(&b),
            Some(order(json!({"symbol": null}))),
            400,
            "BAD_REQUEST",
        ),
        (
            "bad side",
            Method::POST,
            "/v1/order".into(),
            Some(&b),
            Some(order(json!({"side": "HOLD"}))),
            400,
            "BAD_REQUEST",
        ),
        (
            "bad type",
            Method::POST,
            "/v1/order".into(),
            Some(&b),
            Some(order(json!({"orderType": "TRAILING"}))),
            400,
            "BAD_REQUEST",
        ),
        (
            "bad time in force",
            Method::POST,
            "/v1/order".into(),
            Some(&b),
            Some(order(json!({"timeInForce": "GTX"}))),
            400,
            "BAD_REQUEST",
        ),
        (
            "post-only market",
            Method::POST,
            "/v1/order".into(),
            Some(&b),
            Some(order(
                json!({"orderType": "MARKET", "price": null, "postOnly": true}),
            )),
            400,
            "INVALID_ORDER",
        ),
        (
            "bad client id",
            Method::POST,
            "/v1/order".into(),
            Some(&b),
            Some(order(json!({"clientOrderId": "abc"}))),
            400,
            "BAD_REQUEST",
        ),
        (
            "client id over 64 bits",
            Method::POST,
            "/v1/order".into(),
            Some(&b),
            Some(order(json!({"clientOrderId": "99999999999999999999"}))),
            400,
            "BAD_REQUEST",
        ),
        (
            "no credentials",
            Method::POST,
            "/v1/order".into(),
            None,
            Some(order(json!({}))),
            401,
            "UNAUTHORIZED",
        ),
        (
            "wrong credentials",
            Method::POST,
            "/v1/order".into(),
            Some("bk_nope"),
            Some(order(json!({}))),
            401,
            "UNAUTHORIZED",
        ),
        (
            "another account's order",
            Method::DELETE,
            format!("/v1/order/{a_order}"),
            Some(&b),
            None,
            404,
            "NOT_FOUND",
        ),
        (
            "another account's order (read)",
            Method::GET,
            format!("/v1/order/{a_order}"),
            Some(&b),
            None,
            404,
            "NOT_FOUND",
        ),
        (
            "non-digit id",
            Method::GET,
            "/v1/order/12x".into(),
            Some(&b),
            None,
            400,
            "BAD_REQUEST",
        ),
        (
            "id over 64 bits",
            Method::GET,
            "/v1/order/99999999999999999999999".into(),
            Some(&b),
            None,
            400,
            "BAD_REQUEST",
        ),
        (
            "amend without fields",
            Method::PATCH,
            format!("/v1/order/{a_order}"),
            Some(&a),
            Some(json!({})),
            400,
            "BAD_REQUEST",
        ),
        (
            "unknown query parameter",
            Method::GET,
            "/v1/orders?colour=red".into(),
            Some(&b),
            None,
            400,
            "BAD_REQUEST",
        ),
        (
            "bad status filter",
            Method::GET,
            "/v1/orders?status=closed".into(),
            Some(&b),
            None,
            400,
            "BAD_REQUEST",
        ),
        (
            "negative time",
            Method::GET,
            "/v1/orders?startTime=-5".into(),
            Some(&b),
            None,
            400,
            "BAD_REQUEST",
        ),
        (
            "bad resolution",
            Method::GET,
            "/v1/marketdata/candles?symbol=BTC-USDT&resolution=7m".into(),
            None,
            None,
            400,
            "BAD_REQUEST",
        ),
        (
            "book without symbol",
            Method::GET,
            "/v1/marketdata/orderBook/L2".into(),
            None,
            None,
            400,
            "BAD_REQUEST",
        ),
        (
            "book of unknown symbol",
            Method::GET,
            "/v1/marketdata/orderBook/L2?symbol=X".into(),
            None,
            None,
            400,
            "BAD_REQUEST",
        ),
        (
            "admin with a user key",
            Method::GET,
            "/v1/admin/accounts".into(),
            Some(&b),
            None,
            403,
            "FORBIDDEN",
        ),
        (
            "admin without a token",
            Method::POST,
            "/v1/admin/halt".into(),
            None,
            Some(json!({"symbol": "BTC-USDT"})),
            401,
            "UNAUTHORIZED",
        ),
        (
            "negative deposit",
            Method::POST,
            "/v1/admin/deposit".into(),
            Some(ADMIN),
            Some(json!({"accountId": "1", "asset": "USDT", "amount": "-5"})),
            400,
            "AMOUNT_NOT_ON_GRID",
        ),
        (
            "deposit to no account",
            Method::POST,
            "/v1/admin/deposit".into(),
            Some(ADMIN),
            Some(json!({"accountId": "999", "asset": "USDT", "amount": "5"})),
            404,
            "NOT_FOUND",
        ),
        (
            "deposit of unknown asset",
            Method::POST,
            "/v1/admin/deposit".into(),
            Some(ADMIN),
            Some(json!({"accountId": "1", "asset": "XYZ", "amount": "5"})),
            400,
            "BAD_REQUEST",
        ),
        (
            "speed out of range",
            Method::POST,
            "/v1/admin/sim".into(),
            Some(ADMIN),
            Some(json!({"speed": 1e9})),
            400,
            "BAD_REQUEST",
        ),
        (
            "unknown endpoint",
            Method::GET,
            "/v1/nope".into(),
            None,
            None,
            404,
            "NOT_FOUND",
        ),
        (
            "query too long",
            Method::GET,
            format!("/v1/marketdata/trades?symbol={}", "A".repeat(5000)),
            None,
            None,
            413,
            "PAYLOAD_TOO_LARGE",
        ),
    ];
    assert!(cases.len() >= 30);
    for (what, m, path, token, body, status, code) in cases {
        let (s, v) = api.call(m, &path, token, body).await;
        assert_eq!(s.as_u16(), status, "{what}: {v}");
        assert_eq!(v["code"], code, "{what}: {v}");
        assert!(!v["msg"].as_str().unwrap().is_empty(), "{what}");
    }
    // Bodies the JSON extractor refuses before they are parsed.
    let raw = |body: &'static str, ctype: &'static str| {
        api.http
            .post(format!("{}/v1/order", api.base))
            .bearer_auth(&b)
            .header("content-type", ctype)
            .body(body)
    };
    let r = raw("{not json", "application/json").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "BAD_REQUEST");
    let r = raw("{}", "text/plain").send().await.unwrap();
    assert_eq!(r.status(), 415);
    assert!(r.json::<Value>().await.unwrap()["msg"]
        .as_str()
        .unwrap()
        .contains("Content-Type"));
    let big = Box::leak(format!("{{\"symbol\":\"{}\"}}", "x".repeat(20_000)).into_boxed_str());
    let r = raw(big, "application/json").send().await.unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "PAYLOAD_TOO_LARGE"
    );
    // Nothing was lost: Alice's order and balances are as placed; the server serves.
    let acct = api.ok(Method::GET, "/v1/account", Some(&a), None).await;
    assert_eq!(balance(&acct, "BTC"), (d("0.999"), d("0.001")));
    let acct = api.ok(Method::GET, "/v1/account", Some(&b), None).await;
    assert_eq!(balance(&acct, "USDT"), (d("1000"), d("0")));
    api.ok(Method::GET, "/health", None, None).await;
    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_answer_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = cfg(dir.path());
    c.limits = Limits {
        rest_per_key_per_sec: 5,
        ..Limits::default()
    };
    let srv = start(c).await.unwrap();
    let api = Api::new(srv.addr);
    let (_, a) = api.account("alice", json!({"USDT": "10"})).await;
    let mut limited = 0;
    for _ in 0..20 {
        let r = api
            .http
            .get(format!("{}/v1/account", api.base))
            .bearer_auth(&a)
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            assert!(r.headers().get("retry-after").is_some());
            assert_eq!(r.json::<Value>().await.unwrap()["code"], "RATE_LIMITED");
            limited += 1;
        }
    }
    assert!(limited >= 10, "{limited} of 20 limited");
    // Another key is not affected.
    let (_, b) = api.account("bob", json!({"USDT": "10"})).await;
    api.ok(Method::GET, "/v1/account", Some(&b), None).await;
    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_orders_survive_a_restart_and_the_openapi_document_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let srv = start(cfg(dir.path())).await.unwrap();
    let api = Api::new(srv.addr);
    let (_, a) = api.account("alice", json!({"BTC": "1"})).await;
    let mut ids = Vec::new();
    for k in 0..5 {
        let v = api.ok(Method::POST, "/v1/order", Some(&a), Some(json!({"symbol": "BTC-USDT", "side": "SELL", "orderType": "LIMIT", "price": format!("6{k}000.00"), "quantity": "0.01"}))).await;
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    let doc = api.ok(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(doc["openapi"], "3.1.0");
    for p in [
        "/v1/order",
        "/v1/order/{id}",
        "/v1/orders",
        "/v1/execution",
        "/v1/account",
        "/v1/marketdata/orderBook/L2",
        "/v1/marketdata/orderBook/L3",
        "/v1/marketdata/candles",
        "/v1/marketdata/trades",
        "/v1/marketdata/ticker",
        "/v1/instruments",
        "/v1/time",
        "/health",
        "/v1/admin/accounts",
        "/v1/admin/sim",
    ] {
        assert!(
            doc["paths"][p].is_object(),
            "{p} missing from /openapi.json"
        );
    }
    assert!(doc["components"]["schemas"]["OrderRequest"].is_object());
    srv.stop().await.unwrap();

    let srv = start(cfg(dir.path())).await.unwrap();
    assert!(!srv.report.fresh);
    let api = Api::new(srv.addr);
    for id in &ids {
        let o = api
            .ok(Method::GET, &format!("/v1/order/{id}"), Some(&a), None)
            .await;
        assert_eq!(o["status"], "NEW");
    }
    let acct = api.ok(Method::GET, "/v1/account", Some(&a), None).await;
    assert_eq!(balance(&acct, "BTC"), (d("0.95"), d("0.05")));
    srv.stop().await.unwrap();
}

fn segments(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir.join("journal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_last_record_is_cut_and_a_corrupt_middle_record_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = cfg(dir.path());
    // No snapshot on stop matters here: recovery must read the journal.
    c.snapshot_every_commands = u64::MAX;
    let srv = start(c.clone()).await.unwrap();
    let api = Api::new(srv.addr);
    let (_, a) = api.account("alice", json!({"BTC": "1"})).await;
    api.ok(Method::POST, "/v1/order", Some(&a), Some(json!({"symbol": "BTC-USDT", "side": "SELL", "orderType": "LIMIT", "price": "60000.00", "quantity": "0.01"}))).await;
    srv.stop().await.unwrap();
    for s in std::fs::read_dir(dir.path().join("snapshots")).unwrap() {
        std::fs::remove_file(s.unwrap().path()).unwrap();
    }
    // A torn write: half a record at the end of the last segment.
    let segs = segments(dir.path());
    let last = segs.last().unwrap();
    let mut bytes = std::fs::read(last).unwrap();
    let len_before = bytes.len();
    bytes.extend_from_slice(&[40, 0, 0, 0, 1, 2, 3]);
    std::fs::write(last, &bytes).unwrap();
    let srv = start(c.clone()).await.unwrap();
    let torn = srv.report.torn.clone().expect("the torn tail is reported");
    assert!(torn.contains(&format!("byte {len_before}")), "{torn}");
    let api = Api::new(srv.addr);
    let acct = api.ok(Method::GET, "/v1/account", Some(&a), None).await;
    assert_eq!(balance(&acct, "BTC"), (d("0.99"), d("0.01")));
    srv.stop().await.unwrap();
    for s in std::fs::read_dir(dir.path().join("snapshots")).unwrap() {
        std::fs::remove_file(s.unwrap().path()).unwrap();
    }
    // Corruption in the middle of the first segment: start-up stops and names segment and offset.
    let first = &segments(dir.path())[0];
    let mut bytes = std::fs::read(first).unwrap();
    let at = bytes.len() - 30;
    bytes[at] ^= 0xff;
    std::fs::write(first, &bytes).unwrap();
    let err = match start(c).await {
        Ok(_) => panic!("start-up must refuse a corrupt journal"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("journal-00000000000000000001.seg"), "{err}");
    assert!(err.contains("offset"), "{err}");
}

/// The admin's reset: a new round where every order is cancelled and every account is back to
/// its opening funding, durable across a restart; only the admin may ask for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_reset_cancels_every_order_and_restores_opening_funds_durably() {
    let dir = tempfile::tempdir().unwrap();
    let srv = start(cfg(dir.path())).await.unwrap();
    let api = Api::new(srv.addr);
    let (_, a) = api.account("alice", json!({"BTC": "1"})).await;
    let (_, b) = api.account("bob", json!({"USDT": "10000"})).await;
    let sell = api
        .ok(Method::POST, "/v1/order", Some(&a), Some(json!({"symbol": "BTC-USDT", "side": "SELL", "orderType": "LIMIT", "price": "60000.00", "quantity": "0.01"})))
        .await;
    let sell_id = sell["id"].as_str().unwrap().to_string();
    // Bob takes 0.004 (240 USDT + 0.24 fee); Alice keeps 0.006 resting and 239.808 USDT.
    api.ok(Method::POST, "/v1/order", Some(&b), Some(json!({"symbol": "BTC-USDT", "side": "BUY", "orderType": "MARKET", "quantity": "0.004"})))
        .await;
    let acct_a = api.ok(Method::GET, "/v1/account", Some(&a), None).await;
    assert_eq!(balance(&acct_a, "USDT"), (d("239.808"), d("0")));

    let (s, v) = api.call(Method::POST, "/v1/admin/reset", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let (s, v) = api
        .call(Method::POST, "/v1/admin/reset", Some(&a), None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let r = api
        .ok(Method::POST, "/v1/admin/reset", Some(ADMIN), None)
        .await;
    assert_eq!(r["cancelledAccounts"], 1, "{r}");
    assert_eq!(r["adjustedAccounts"], 2, "{r}");

    reset_check(&api, &a, &b, &sell_id).await;
    // A reset with nothing to undo changes nothing.
    let r = api
        .ok(Method::POST, "/v1/admin/reset", Some(ADMIN), None)
        .await;
    assert_eq!(
        (
            r["cancelledAccounts"].clone(),
            r["adjustedAccounts"].clone()
        ),
        (json!(0), json!(0))
    );
    srv.stop_without_snapshot().await.unwrap();

    let srv = start(cfg(dir.path())).await.unwrap();
    assert!(
        srv.report.replayed > 0,
        "recovered from the journal, not a snapshot"
    );
    let api = Api::new(srv.addr);
    reset_check(&api, &a, &b, &sell_id).await;
    srv.stop().await.unwrap();
}

/// What the reset test expects after the reset (before and after a restart).
async fn reset_check(api: &Api, a: &str, b: &str, sell_id: &str) {
    let acct_a = api.ok(Method::GET, "/v1/account", Some(a), None).await;
    assert_eq!(balance(&acct_a, "BTC"), (d("1"), d("0")));
    assert_eq!(balance(&acct_a, "USDT"), (d("0"), d("0")));
    assert_eq!(acct_a["openOrders"], 0);
    let acct_b = api.ok(Method::GET, "/v1/account", Some(b), None).await;
    assert_eq!(balance(&acct_b, "USDT"), (d("10000"), d("0")));
    assert_eq!(balance(&acct_b, "BTC"), (d("0"), d("0")));
    let o = api
        .ok(Method::GET, &format!("/v1/order/{sell_id}"), Some(a), None)
        .await;
    assert_eq!(o["status"], "CANCELED", "{o}");
    assert_eq!(dv(&o["filledQuantity"]), d("0.004"));
    let book = api
        .ok(
            Method::GET,
            "/v1/marketdata/orderBook/L2?symbol=BTC-USDT",
            None,
            None,
        )
        .await;
    assert_eq!(book["asks"].as_array().unwrap().len(), 0, "{book}");
}
