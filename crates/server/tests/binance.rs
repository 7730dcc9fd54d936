//! The Binance-compatible API's answers, checked against Binance's documented texts (errors.md,
//! filters.md; binance-spot-subset.md §4) on an in-process `bourse serve` without simulated
//! participants (127.0.0.1, ephemeral port). BTC-USDT: tick 0.01, lot 0.00001, min notional 5,
//! band ±20 % around 60,000; maker fee 800 ppm, taker 1000 ppm, both in USDT.

use bourse_server::binance::sign::sign;
use bourse_server::{start, ServerConfig};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

const ADMIN: &str = "admin-token-for-binance-tests";

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

struct Bot {
    base: String,
    http: Client,
    key: String,
    secret: String,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

impl Bot {
    async fn new(base: &str, name: &str, deposits: Value) -> Bot {
        let http = Client::new();
        let v: Value = http
            .post(format!("{base}/v1/admin/accounts"))
            .bearer_auth(ADMIN)
            .json(&json!({"name": name, "deposits": deposits}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Bot {
            base: base.to_string(),
            http,
            key: v["apiKey"].as_str().unwrap().to_string(),
            secret: v["secretKey"].as_str().unwrap().to_string(),
        }
    }

    /// A signed call with `query` (without timestamp) as ccxt sends it: POSTs carry it as a form
    /// body, others in the URL.
    async fn signed(&self, m: Method, path: &str, query: &str) -> (StatusCode, Value) {
        self.signed_at(m, path, query, now_ms(), &self.secret.clone())
            .await
    }

    async fn signed_at(
        &self,
        m: Method,
        path: &str,
        query: &str,
        ts: u64,
        secret: &str,
    ) -> (StatusCode, Value) {
        let q = if query.is_empty() {
            format!("timestamp={ts}")
        } else {
            format!("timestamp={ts}&{query}")
        };
        let signed = format!("{q}&signature={}", sign(secret, &q));
        let url = format!("{}{path}", self.base);
        let r = if m == Method::POST {
            self.http
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(signed)
        } else {
            self.http.request(m, format!("{url}?{signed}"))
        };
        let resp = r.header("X-MBX-APIKEY", &self.key).send().await.unwrap();
        let s = resp.status();
        (s, resp.json().await.unwrap())
    }

    async fn order(&self, query: &str) -> (StatusCode, Value) {
        self.signed(Method::POST, "/api/v3/order", query).await
    }
}

fn err(code: i64, msg: &str) -> Value {
    json!({"code": code, "msg": msg})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filter_failures_and_rejects_answer_binance_codes_and_texts() {
    let dir = tempfile::tempdir().unwrap();
    let srv = start(cfg(dir.path())).await.unwrap();
    let base = format!("http://{}", srv.addr);
    let a = Bot::new(&base, "alice", json!({"BTC": "1"})).await;
    let b = Bot::new(&base, "bob", json!({"USDT": "1000"})).await;
    let limit = |px: &str, q: &str| {
        format!("symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity={q}&price={px}")
    };
    let cases: Vec<(String, StatusCode, Value)> = vec![
        (limit("60000.001", "0.01"), StatusCode::BAD_REQUEST, err(-1013, "Filter failure: PRICE_FILTER")),
        (limit("60000", "0.000015"), StatusCode::BAD_REQUEST, err(-1013, "Filter failure: LOT_SIZE")),
        (limit("60000", "9000.00001"), StatusCode::BAD_REQUEST, err(-1013, "Filter failure: LOT_SIZE")),
        ("symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.000015".into(), StatusCode::BAD_REQUEST, err(-1013, "Filter failure: MARKET_LOT_SIZE")),
        // 0.00008 × 60,000 = 4.8 < 5.
        (limit("60000", "0.00008"), StatusCode::BAD_REQUEST, err(-1013, "Filter failure: NOTIONAL")),
        // 20 % above 60,000 is 72,000.
        (limit("72000.01", "0.01"), StatusCode::BAD_REQUEST, err(-1013, "Filter failure: PERCENT_PRICE")),
        (limit("60000", "2"), StatusCode::BAD_REQUEST, err(-2010, "Account has insufficient balance for requested action.")),
        ("symbol=NOPEUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=1&price=1".into(), StatusCode::BAD_REQUEST, err(-1121, "Invalid symbol.")),
        ("symbol=BTCUSDT&side=SELL&type=LIMIT&quantity=0.01&price=60000".into(), StatusCode::BAD_REQUEST, err(-1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.")),
        ("symbol=BTCUSDT&side=SELL&type=TAKE_PROFIT&quantity=0.01&stopPrice=61000".into(), StatusCode::BAD_REQUEST, err(-1116, "Invalid orderType.")),
        ("symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.01&price=60000&trailingDelta=100".into(), StatusCode::BAD_REQUEST, err(-1014, "Unsupported order combination.")),
        ("symbol=BTCUSDT&side=SIDEWAYS&type=LIMIT&timeInForce=GTC&quantity=0.01&price=60000".into(), StatusCode::BAD_REQUEST, err(-1117, "Invalid side.")),
        ("symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTD&quantity=0.01&price=60000".into(), StatusCode::BAD_REQUEST, err(-1115, "Invalid timeInForce.")),
        ("symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.01&price=6e4".into(), StatusCode::BAD_REQUEST, err(-1100, "Illegal characters found in parameter 'price'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.")),
    ];
    for (q, status, body) in &cases {
        let (s, v) = a.order(q).await;
        assert_eq!((&s, &v), (status, body), "{q}");
    }
    let (s, v) = a
        .order(&format!("{}&color=red", limit("60000", "0.01")))
        .await;
    assert_eq!(
        (s, v["code"].clone()),
        (StatusCode::BAD_REQUEST, json!(-1104)),
        "{v}"
    );

    // Alice rests 0.01 at 60,000 with a ccxt-style client order id; Bob's post-only buy at the
    // same price would take: refused, as Binance's LIMIT_MAKER.
    let cid = "x-TKT5PX2F0123456789abcdef012345";
    let (s, rest) = a
        .order(&format!(
            "{}&newClientOrderId={cid}&newOrderRespType=RESULT",
            limit("60000", "0.01")
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{rest}");
    assert_eq!(
        (
            rest["clientOrderId"].as_str(),
            rest["status"].as_str(),
            rest["type"].as_str()
        ),
        (Some(cid), Some("NEW"), Some("LIMIT"))
    );
    assert!(rest.get("fills").is_none(), "RESULT has no fills");
    let (s, v) = a
        .order(&format!(
            "{}&newClientOrderId={cid}",
            limit("60001", "0.01")
        ))
        .await;
    assert_eq!(
        (s, v),
        (StatusCode::BAD_REQUEST, err(-2010, "Duplicate order sent."))
    );
    let (s, v) = b
        .order("symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&quantity=0.001&price=60000")
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            err(-2010, "Order would immediately match and take.")
        )
    );
    // A sell stop at or above the last price would trigger at once (no trade yet: the
    // reference price 60,000 is the last).
    // Bob buys 0.004 at market: 240 USDT notional, taker fee 0.24 USDT; FULL answers the fill.
    let (s, buy) = b
        .order("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.004")
        .await;
    assert_eq!(s, StatusCode::OK, "{buy}");
    assert_eq!(buy["status"], "FILLED");
    assert_eq!(
        buy["fills"],
        json!([{"price": "60000", "qty": "0.004", "commission": "0.24", "commissionAsset": "USDT", "tradeId": buy["fills"][0]["tradeId"]}])
    );
    assert_eq!(buy["cummulativeQuoteQty"], "240");
    let (s, acct) = b.signed(Method::GET, "/api/v3/account", "").await;
    assert_eq!(s, StatusCode::OK);
    let usdt = acct["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["asset"] == "USDT")
        .unwrap();
    assert_eq!(
        (usdt["free"].as_str(), usdt["locked"].as_str()),
        (Some("759.76"), Some("0"))
    );
    let (_, v) = b
        .order("symbol=BTCUSDT&side=SELL&type=STOP_LOSS&quantity=0.001&stopPrice=60001")
        .await;
    assert_eq!(v, err(-2010, "Stop price would trigger immediately."));
    // Alice's maker fill, by her client order id: 0.004 filled, 0.006 open.
    let (s, o) = a
        .signed(
            Method::GET,
            "/api/v3/order",
            &format!("symbol=BTCUSDT&origClientOrderId={cid}"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    assert_eq!(
        (
            o["executedQty"].as_str(),
            o["status"].as_str(),
            o["clientOrderId"].as_str()
        ),
        (Some("0.004"), Some("PARTIALLY_FILLED"), Some(cid))
    );
    let (_, t) = a
        .signed(Method::GET, "/api/v3/myTrades", "symbol=BTCUSDT")
        .await;
    assert_eq!(t[0]["commission"], "0.192", "maker 0.08 % of 240");
    assert_eq!(
        (t[0]["isMaker"].clone(), t[0]["isBuyer"].clone()),
        (json!(true), json!(false))
    );
    // Bob cannot see or cancel Alice's order: unknown to him.
    let id = o["orderId"].as_u64().unwrap();
    let (_, v) = b
        .signed(
            Method::GET,
            "/api/v3/order",
            &format!("symbol=BTCUSDT&orderId={id}"),
        )
        .await;
    assert_eq!(v, err(-2013, "Order does not exist."));
    let (_, v) = b
        .signed(
            Method::DELETE,
            "/api/v3/order",
            &format!("symbol=BTCUSDT&orderId={id}"),
        )
        .await;
    assert_eq!(v, err(-2011, "Unknown order sent."));
    let (_, v) = b
        .signed(Method::DELETE, "/api/v3/openOrders", "symbol=BTCUSDT")
        .await;
    assert_eq!(v, err(-2011, "Unknown order sent."));

    // Halted: "Market is closed."; credentials and timing.
    let http = Client::new();
    let r = http
        .post(format!("{base}/v1/admin/halt"))
        .bearer_auth(ADMIN)
        .json(&json!({"symbol": "BTC-USDT"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, v) = a.order(&limit("60010", "0.01")).await;
    assert_eq!(v, err(-1013, "Market is closed."));
    let (s, v) = a
        .signed_at(
            Method::GET,
            "/api/v3/account",
            "",
            now_ms(),
            "not-the-secret",
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            err(-1022, "Signature for this request is not valid.")
        )
    );
    let (_, v) = a
        .signed_at(
            Method::GET,
            "/api/v3/account",
            "",
            now_ms() - 60_000,
            &a.secret,
        )
        .await;
    assert_eq!(
        v,
        err(
            -1021,
            "Timestamp for this request is outside of the recvWindow."
        )
    );
    let (_, v) = a
        .signed_at(
            Method::GET,
            "/api/v3/account",
            "recvWindow=70000",
            now_ms(),
            &a.secret,
        )
        .await;
    assert_eq!(v["code"], -1131);
    let stranger = Bot {
        key: "bk_00000000000000000000000000000000".into(),
        secret: "x".into(),
        base: base.clone(),
        http: Client::new(),
    };
    let (s, v) = stranger.signed(Method::GET, "/api/v3/account", "").await;
    assert_eq!(
        (s, v),
        (
            StatusCode::UNAUTHORIZED,
            err(-2015, "Invalid API-key, IP, or permissions for action.")
        )
    );
    let r = http
        .get(format!("{base}/api/v3/account?timestamp=1&signature=00"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        err(-2014, "API-key format invalid.")
    );
    srv.stop_without_snapshot().await.unwrap();

    // The client order id string survives a restart (recovered from the journal, not a snapshot).
    let srv = start(cfg(dir.path())).await.unwrap();
    let a = Bot {
        base: format!("http://{}", srv.addr),
        ..a
    };
    let (s, o) = a
        .signed(Method::GET, "/api/v3/openOrders", "symbol=BTCUSDT")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(o.as_array().unwrap().len(), 1, "{o}");
    assert_eq!(o[0]["clientOrderId"], cid);
    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_endpoints_have_binance_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let srv = start(cfg(dir.path())).await.unwrap();
    let base = format!("http://{}", srv.addr);
    let http = Client::new();
    let get = |p: &str| {
        let (http, url) = (http.clone(), format!("{base}{p}"));
        async move {
            let r = http.get(url).send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(get("/api/v3/ping").await, (StatusCode::OK, json!({})));
    let (_, info) = get("/api/v3/exchangeInfo?symbol=BTCUSDT").await;
    let s = &info["symbols"][0];
    assert_eq!(
        (
            s["symbol"].as_str(),
            s["baseAsset"].as_str(),
            s["quoteAsset"].as_str(),
            s["status"].as_str()
        ),
        (Some("BTCUSDT"), Some("BTC"), Some("USDT"), Some("TRADING"))
    );
    let filter = |t: &str| {
        s["filters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["filterType"] == t)
            .cloned()
            .unwrap()
    };
    assert_eq!(filter("PRICE_FILTER")["tickSize"], "0.01");
    assert_eq!(filter("LOT_SIZE")["stepSize"], "0.00001");
    assert_eq!(filter("NOTIONAL")["minNotional"], "5");
    assert_eq!(filter("PERCENT_PRICE")["multiplierUp"], "1.2");
    assert_eq!(filter("MAX_NUM_ORDERS")["maxNumOrders"], 200);
    assert_eq!(
        s["orderTypes"],
        json!([
            "LIMIT",
            "LIMIT_MAKER",
            "MARKET",
            "STOP_LOSS",
            "STOP_LOSS_LIMIT"
        ])
    );
    assert_eq!(
        get("/api/v3/depth?symbol=DOGEUSDT").await,
        (StatusCode::BAD_REQUEST, err(-1121, "Invalid symbol."))
    );
    assert_eq!(
        get("/api/v3/klines?symbol=BTCUSDT&interval=3m").await,
        (StatusCode::BAD_REQUEST, err(-1120, "Invalid interval."))
    );
    assert_eq!(
        get("/api/v3/depth").await.1,
        err(
            -1102,
            "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."
        )
    );
    let (s, d) = get("/api/v3/depth?symbol=BTCUSDT").await;
    assert_eq!(
        (s, d["bids"].clone(), d["asks"].clone()),
        (StatusCode::OK, json!([]), json!([]))
    );
    assert!(d["lastUpdateId"].is_u64());
    let (s, v) = get("/api/v3/orderList/oco").await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{v}");
    let (s, v) = get("/api/v3/nothingHere").await;
    assert_eq!(
        (s, v["code"].clone()),
        (StatusCode::NOT_FOUND, json!(-1000))
    );
    srv.stop().await.unwrap();
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn send(ws: &mut Ws, v: Value) {
    use futures_util::SinkExt;
    ws.send(tokio_tungstenite::tungstenite::Message::Text(
        v.to_string().into(),
    ))
    .await
    .unwrap();
}

/// The next JSON text message (pings skipped), within 5 s.
async fn next(ws: &mut Ws) -> Value {
    use futures_util::StreamExt;
    loop {
        let m = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next())
            .await
            .expect("a message within 5 s")
            .unwrap()
            .unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(t) = m {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

/// Market streams: SUBSCRIBE on `/ws/0`, diff depth continuing REST `depth` with no gap and
/// gathered per 100 ms, trades; user data over `/ws-api/v3` with a signed subscription.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_continue_rest_depth_and_user_data_follows_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let srv = start(cfg(dir.path())).await.unwrap();
    let base = format!("http://{}", srv.addr);
    let a = Bot::new(&base, "alice", json!({"BTC": "1"})).await;
    let b = Bot::new(&base, "bob", json!({"USDT": "10000"})).await;
    let (mut md, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws/0", srv.addr))
        .await
        .unwrap();
    send(
        &mut md,
        json!({"method": "SUBSCRIBE", "params": ["btcusdt@depth@100ms", "btcusdt@trade"], "id": 7}),
    )
    .await;
    assert_eq!(next(&mut md).await, json!({"result": null, "id": 7}));
    send(&mut md, json!({"method": "LIST_SUBSCRIPTIONS", "id": "x"})).await;
    assert_eq!(
        next(&mut md).await,
        json!({"result": ["btcusdt@depth@100ms", "btcusdt@trade"], "id": "x"})
    );
    send(
        &mut md,
        json!({"method": "SUBSCRIBE", "params": ["dogeusdt@trade"], "id": 8}),
    )
    .await;
    assert_eq!(next(&mut md).await["error"]["code"], 2);

    // User data: a bad signature is refused, a good one subscribes.
    let (mut ud, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws-api/v3", srv.addr))
        .await
        .unwrap();
    let ts = now_ms().to_string();
    let payload = format!("apiKey={}&recvWindow=10000&timestamp={ts}", a.key);
    send(&mut ud, json!({"id": "1", "method": "userDataStream.subscribe.signature",
        "params": {"apiKey": a.key, "recvWindow": 10000, "timestamp": ts.parse::<u64>().unwrap(), "signature": sign("wrong", &payload)}})).await;
    let r = next(&mut ud).await;
    assert_eq!(
        (r["status"].clone(), r["error"]["code"].clone()),
        (json!(400), json!(-1022)),
        "{r}"
    );
    send(&mut ud, json!({"id": "2", "method": "userDataStream.subscribe.signature",
        "params": {"apiKey": a.key, "recvWindow": 10000, "timestamp": ts.parse::<u64>().unwrap(), "signature": sign(&a.secret, &payload)}})).await;
    assert_eq!(
        next(&mut ud).await,
        json!({"id": "2", "status": 200, "result": {"subscriptionId": 0}})
    );

    let snap: Value = Client::new()
        .get(format!("{base}/api/v3/depth?symbol=BTCUSDT"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let last = snap["lastUpdateId"].as_u64().unwrap();
    // Three book changes in quick succession: two rests and a take.
    let (s, v) = a.order("symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.01&price=60000&newClientOrderId=alice-1").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    a.order("symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.02&price=60010")
        .await;
    let (s, v) = b
        .order("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01")
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Diffs: the first holds lastUpdateId + 1, each next one starts where the last ended, and
    // together they leave 60000 empty and 0.02 at 60010.
    let mut prev_u = None;
    let mut levels = std::collections::BTreeMap::new();
    let mut trade = None;
    while levels.get("60000") != Some(&"0".to_string())
        || !levels.contains_key("60010")
        || trade.is_none()
    {
        let m = next(&mut md).await;
        match m["e"].as_str() {
            Some("depthUpdate") => {
                let (u0, u1) = (m["U"].as_u64().unwrap(), m["u"].as_u64().unwrap());
                match prev_u {
                    None => assert!(u0 <= last + 1 && last < u1, "{m} after lastUpdateId {last}"),
                    Some(p) => assert_eq!(u0, p + 1, "{m}"),
                }
                prev_u = Some(u1);
                for row in m["a"].as_array().unwrap() {
                    levels.insert(
                        row[0].as_str().unwrap().to_string(),
                        row[1].as_str().unwrap().to_string(),
                    );
                }
            }
            Some("trade") => trade = Some(m),
            _ => panic!("unexpected {m}"),
        }
    }
    assert_eq!(levels.get("60010").map(String::as_str), Some("0.02"));
    let trade = trade.unwrap();
    assert_eq!(
        (
            trade["p"].as_str(),
            trade["q"].as_str(),
            trade["m"].as_bool()
        ),
        (Some("60000"), Some("0.01"), Some(false))
    );

    // Alice's reports: NEW with her client order id, then the fill (maker, 0.48 USDT fee), and
    // her balances.
    let mut seen = Vec::new();
    while !seen.iter().any(|e: &Value| e["x"] == "TRADE")
        || !seen.iter().any(|e| e["e"] == "outboundAccountPosition")
    {
        let m = next(&mut ud).await;
        assert_eq!(m["subscriptionId"], 0, "{m}");
        seen.push(m["event"].clone());
    }
    let new = seen
        .iter()
        .find(|e| e["x"] == "NEW" && e["c"] == "alice-1")
        .expect("NEW of alice-1");
    assert_eq!(
        (
            new["S"].as_str(),
            new["o"].as_str(),
            new["q"].as_str(),
            new["p"].as_str()
        ),
        (Some("SELL"), Some("LIMIT"), Some("0.01"), Some("60000"))
    );
    let fill = seen.iter().find(|e| e["x"] == "TRADE").unwrap();
    assert_eq!(
        (
            fill["X"].as_str(),
            fill["l"].as_str(),
            fill["L"].as_str(),
            fill["n"].as_str(),
            fill["N"].as_str(),
            fill["m"].as_bool()
        ),
        (
            Some("FILLED"),
            Some("0.01"),
            Some("60000"),
            Some("0.48"),
            Some("USDT"),
            Some(true)
        )
    );
    srv.stop().await.unwrap();
}
