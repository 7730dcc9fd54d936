//! WebSocket gateways: the terminal protocol signs a page in as a guest (and again with its
//! token), places orders for it and refuses simulation controls to non-admins; `/ws/stream`
//! delivers trades and L2 diffs continuing the REST snapshot, and private executions after login.

use bourse_protocol::{
    decode_server, encode_client, ClientMessage, ClientRequest, Login, RejectReason, ServerMessage,
    SimControl, PROTOCOL_VERSION,
};
use bourse_server::{start, ServerConfig};
use futures_util::{SinkExt, StreamExt};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

const ADMIN: &str = "admin-token-for-tests-0002";

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

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn send(ws: &mut Ws, seq: u64, m: ClientMessage) {
    let req = ClientRequest {
        client_seq: seq,
        message: m,
    };
    ws.send(Message::Text(encode_client(&req).into()))
        .await
        .unwrap();
}

async fn next_text(ws: &mut Ws) -> ServerMessage {
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("an answer within 10 s")
        {
            Some(Ok(Message::Text(t))) => return decode_server(&t).unwrap(),
            Some(Ok(_)) => continue,
            other => panic!("connection ended: {other:?}"),
        }
    }
}

fn hello(login: Login) -> ClientMessage {
    ClientMessage::Hello {
        version: PROTOCOL_VERSION,
        market: None,
        login: Some(login),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminal_signs_in_places_orders_and_keeps_the_account_by_token() {
    let dir = tempfile::tempdir().unwrap();
    let srv = start(cfg(dir.path())).await.unwrap();
    let url = format!("ws://{}/ws/terminal", srv.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    send(
        &mut ws,
        1,
        hello(Login {
            name: Some("ann".into()),
            ..Default::default()
        }),
    )
    .await;
    let ServerMessage::Ready {
        session: Some(s),
        human_account,
        ..
    } = next_text(&mut ws).await
    else {
        panic!("Ready with a session")
    };
    assert_eq!(s.name, "ann");
    assert_eq!(s.account, human_account);
    assert!(!s.can_control);
    assert!(s.token.starts_with("bg_"));
    // An order of the guest (funded by the faucet: 100,000 USDT, 2 BTC).
    let spec: bourse_core::OrderSpec = serde_json::from_value(json!({"instrument": 0, "side": "SELL", "type": "LIMIT", "price": "61000.00", "quantity": "0.5"})).unwrap();
    send(&mut ws, 2, ClientMessage::PlaceOrder(spec)).await;
    assert!(matches!(
        next_text(&mut ws).await,
        ServerMessage::Ack {
            client_seq: 2,
            input_seq: Some(_)
        }
    ));
    // Simulation controls are the admin's.
    send(&mut ws, 3, ClientMessage::Sim(SimControl::Pause)).await;
    assert!(matches!(
        next_text(&mut ws).await,
        ServerMessage::Rejected {
            reason: RejectReason::Forbidden,
            ..
        }
    ));
    // A frame shows the order among the session's open orders.
    send(&mut ws, 4, ClientMessage::RequestFrame).await;
    let frame = loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .unwrap()
        {
            Some(Ok(Message::Binary(b))) => break bourse_protocol::decode_frame(&b).unwrap(),
            Some(Ok(_)) => continue,
            o => panic!("{o:?}"),
        }
    };
    let open = frame.open_orders.expect("the first frame is full");
    assert_eq!(open.orders.len(), 1);
    ws.close(None).await.ok();

    // Again with the token: the same account, and its balance shows the lock.
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    send(
        &mut ws,
        1,
        hello(Login {
            token: Some(s.token.clone()),
            ..Default::default()
        }),
    )
    .await;
    let ServerMessage::Ready {
        session: Some(again),
        ..
    } = next_text(&mut ws).await
    else {
        panic!()
    };
    assert_eq!(again.account, s.account);
    let http = reqwest::Client::new();
    let acct: Value = http
        .get(format!("http://{}/v1/account", srv.addr))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let btc = acct["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["asset"] == "BTC")
        .unwrap()
        .clone();
    assert_eq!(
        btc["locked"].as_str().unwrap().parse::<Decimal>().unwrap(),
        "0.5".parse::<Decimal>().unwrap()
    );
    // An unknown token is refused; the admin may pause.
    let (mut bad, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    send(
        &mut bad,
        1,
        hello(Login {
            token: Some("bg_nope".into()),
            ..Default::default()
        }),
    )
    .await;
    assert!(matches!(
        next_text(&mut bad).await,
        ServerMessage::Rejected {
            reason: RejectReason::Unauthorized,
            ..
        }
    ));
    let (mut adm, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    send(
        &mut adm,
        1,
        hello(Login {
            admin: Some(ADMIN.into()),
            ..Default::default()
        }),
    )
    .await;
    let ServerMessage::Ready {
        session: Some(a), ..
    } = next_text(&mut adm).await
    else {
        panic!()
    };
    assert!(a.can_control);
    send(&mut adm, 2, ClientMessage::Sim(SimControl::Pause)).await;
    assert!(matches!(
        next_text(&mut adm).await,
        ServerMessage::Ack { client_seq: 2, .. }
    ));
    // Malformed text is answered and the connection stays usable.
    adm.send(Message::Text("{nope".into())).await.unwrap();
    assert!(matches!(
        next_text(&mut adm).await,
        ServerMessage::Rejected {
            reason: RejectReason::Malformed,
            ..
        }
    ));
    send(&mut adm, 3, ClientMessage::Sim(SimControl::Play)).await;
    assert!(matches!(
        next_text(&mut adm).await,
        ServerMessage::Ack { client_seq: 3, .. }
    ));
    srv.stop().await.unwrap();
}

async fn next_json(ws: &mut Ws) -> Value {
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s")
        {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).unwrap(),
            Some(Ok(_)) => continue,
            o => panic!("{o:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_continue_the_rest_snapshot_and_carry_private_executions() {
    let dir = tempfile::tempdir().unwrap();
    let srv = start(cfg(dir.path())).await.unwrap();
    let base = format!("http://{}", srv.addr);
    let http = reqwest::Client::new();
    let mk = |name: &str, dep: Value| {
        let http = http.clone();
        let base = base.clone();
        let name = name.to_string();
        async move {
            let v: Value = http
                .post(format!("{base}/v1/admin/accounts"))
                .bearer_auth(ADMIN)
                .json(&json!({"name": name, "deposits": dep}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["apiKey"].as_str().unwrap().to_string()
        }
    };
    let a = mk("a", json!({"BTC": "1"})).await;
    let b = mk("b", json!({"USDT": "100000"})).await;
    let place = |t: &str, body: Value| {
        let http = http.clone();
        let url = format!("{base}/v1/order");
        let t = t.to_string();
        async move {
            http.post(url)
                .bearer_auth(t)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(place(&a, json!({"symbol": "BTC-USDT", "side": "SELL", "orderType": "LIMIT", "price": "60000.00", "quantity": "0.1"})).await, 200);
    let snap: Value = http
        .get(format!("{base}/v1/marketdata/orderBook/L2?symbol=BTC-USDT"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let last = snap["lastUpdateId"].as_u64().unwrap();

    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws/stream", srv.addr))
        .await
        .unwrap();
    ws.send(Message::Text(
        json!({"op": "subscribe", "streams": ["l2:BTC-USDT", "trades:BTC-USDT", "candles:BTC-USDT:1m", "ticker:BTC-USDT"]})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    assert_eq!(next_json(&mut ws).await["result"], "subscribed");
    ws.send(Message::Text(
        json!({"op": "login", "token": b}).to_string().into(),
    ))
    .await
    .unwrap();
    assert_eq!(next_json(&mut ws).await["result"], "logged_in");
    ws.send(Message::Text(
        json!({"op": "subscribe", "streams": ["l9:BTC-USDT"]})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    assert_eq!(next_json(&mut ws).await["error"]["code"], "BAD_REQUEST");

    assert_eq!(
        place(
            &b,
            json!({"symbol": "BTC-USDT", "side": "BUY", "orderType": "MARKET", "quantity": "0.04"})
        )
        .await,
        200
    );
    let (mut l2, mut trade, mut exec, mut candle, mut tick) = (None, None, None, None, None);
    while l2.is_none() || trade.is_none() || exec.is_none() || candle.is_none() || tick.is_none() {
        let m = next_json(&mut ws).await;
        match m["stream"].as_str() {
            Some("candles:BTC-USDT:1m") => candle = Some(m["data"].clone()),
            Some("ticker:BTC-USDT") => tick = Some(m["data"].clone()),
            Some("l2:BTC-USDT") => l2 = l2.or(Some(m["data"].clone())),
            Some("trades:BTC-USDT") => trade = Some(m["data"].clone()),
            Some("executions") if m["data"]["execType"] == "TRADE" => {
                exec = Some(m["data"].clone())
            }
            _ => {}
        }
    }
    let l2 = l2.unwrap();
    assert_eq!(
        l2["firstUpdateId"].as_u64().unwrap(),
        last + 1,
        "diffs continue the REST snapshot"
    );
    let ask = &l2["asks"][0];
    assert_eq!(
        (
            ask[0].as_str().unwrap().parse::<Decimal>().unwrap(),
            ask[1].as_str().unwrap().parse::<Decimal>().unwrap()
        ),
        ("60000".parse().unwrap(), "0.06".parse().unwrap())
    );
    assert_eq!(trade.unwrap()["side"], "BUY");
    // One trade of 0.04 at 60,000 so far: the minute's candle and the ticker say so.
    let candle = candle.unwrap();
    assert_eq!(candle["trades"], 1);
    assert_eq!(
        candle["volume"]
            .as_str()
            .unwrap()
            .parse::<Decimal>()
            .unwrap(),
        "0.04".parse::<Decimal>().unwrap()
    );
    assert_eq!(
        candle["close"]
            .as_str()
            .unwrap()
            .parse::<Decimal>()
            .unwrap(),
        "60000".parse::<Decimal>().unwrap()
    );
    let tick = tick.unwrap();
    assert_eq!(tick["trades"], 1);
    assert_eq!(
        tick["quoteVolume"]
            .as_str()
            .unwrap()
            .parse::<Decimal>()
            .unwrap(),
        "2400".parse::<Decimal>().unwrap()
    );
    let exec = exec.unwrap();
    assert_eq!(exec["status"], "FILLED");
    assert_eq!(
        exec["fee"].as_str().unwrap().parse::<Decimal>().unwrap(),
        "2.4".parse::<Decimal>().unwrap()
    );
    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_client_that_never_reads_is_disconnected_and_others_keep_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = cfg(dir.path());
    c.limits.rest_per_key_per_sec = 1_000_000;
    c.limits.rest_per_ip_per_sec = 1_000_000;
    let srv = start(c).await.unwrap();
    let base = format!("http://{}", srv.addr);
    let http = reqwest::Client::new();
    let v: Value = http
        .post(format!("{base}/v1/admin/accounts"))
        .bearer_auth(ADMIN)
        .json(&json!({"name": "mm", "deposits": {"BTC": "1000", "USDT": "100000000"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = v["apiKey"].as_str().unwrap().to_string();
    // The sleeper subscribes and then never reads; the reader reads everything.
    let url = format!("ws://{}/ws/stream", srv.addr);
    let (mut sleeper, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let (mut reader, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    for ws in [&mut sleeper, &mut reader] {
        ws.send(Message::Text(json!({"op": "subscribe", "streams": ["l2:BTC-USDT", "trades:BTC-USDT", "l1:BTC-USDT"]}).to_string().into())).await.unwrap();
    }
    assert_eq!(next_json(&mut reader).await["result"], "subscribed");
    let counter = tokio::spawn(async move {
        let mut n = 0u64;
        while let Ok(Some(Ok(_))) =
            tokio::time::timeout(std::time::Duration::from_secs(5), reader.next()).await
        {
            n += 1;
        }
        n
    });
    // Trades until the sleeper's buffers overflow: 40,000 orders, pairs that trade.
    let mut tasks = Vec::new();
    for c in 0..16u64 {
        let http = http.clone();
        let key = key.clone();
        let url = format!("{base}/v1/order");
        tasks.push(tokio::spawn(async move {
            for k in 0..2_500u64 {
                let side = if (c + k) % 2 == 0 { "BUY" } else { "SELL" };
                let r = http.post(&url).bearer_auth(&key).json(&json!({"symbol": "BTC-USDT", "side": side, "orderType": "LIMIT", "price": "60000.00", "quantity": "0.001"})).send().await.unwrap();
                assert_eq!(r.status(), 200);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // The sleeper was closed by the server: reading now ends with a close (after what was
    // buffered), within a bounded number of messages.
    let mut closed = false;
    for _ in 0..200_000 {
        match tokio::time::timeout(std::time::Duration::from_secs(5), sleeper.next()).await {
            Ok(Some(Ok(Message::Close(f)))) => {
                closed = true;
                if let Some(f) = f {
                    assert_eq!(f.reason.as_str(), "too slow");
                }
                break;
            }
            Ok(Some(Ok(_))) => continue,
            // The connection ended (reset or end of stream): closed by the server.
            Ok(Some(Err(_))) | Ok(None) => {
                closed = true;
                break;
            }
            // Still open, with nothing more to read: the server did not disconnect it.
            Err(_) => break,
        }
    }
    assert!(
        closed,
        "the server disconnected the client that did not read"
    );
    let seen = counter.await.unwrap();
    // 20,000 trades, each with its L2 diff and L1 change: the reader saw them all.
    assert!(
        seen >= 20_000 * 2,
        "the reading client kept up: {seen} messages"
    );
    let h: Value = http
        .get(format!("{base}/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["status"], "ok");
    srv.stop().await.unwrap();
}
