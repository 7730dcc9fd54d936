//! `bourse load`: the server's load generator. It starts `bourse serve` in-process on
//! 127.0.0.1 (an ephemeral port, a fresh data directory, the journal's `fdatasync` on) and drives
//! it over real loopback sockets: WebSocket order entry (`/ws/terminal`, pipelined), REST order
//! entry (`POST /v1/order`, concurrent keep-alive clients), acknowledgement latency at a fixed
//! rate with this disk's own `fdatasync` latency measured in the same run, market data latency
//! with many `/ws/stream` clients, and recovery of the journal it wrote. Figures go to stdout
//! (HDR histograms). Every phase is bounded in count and time.

use crate::{CliError, Result};
use bourse_protocol::{
    decode_server, encode_client, ClientMessage, ClientRequest, Login, ServerMessage,
    PROTOCOL_VERSION,
};
use clap::Args;
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// `bourse load` flags.
#[derive(Args)]
pub struct LoadArgs {
    /// Orders sent over WebSocket in the throughput phase.
    #[arg(long, default_value_t = 200_000)]
    ws_orders: u64,
    /// WebSocket connections (each pipelines up to `--window` orders).
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Orders in flight per WebSocket connection.
    #[arg(long, default_value_t = 2_000)]
    window: usize,
    /// Seconds of REST order entry.
    #[arg(long, default_value_t = 5)]
    rest_secs: u64,
    /// Concurrent REST clients.
    #[arg(long, default_value_t = 64)]
    rest_clients: usize,
    /// Orders per second of the latency phase.
    #[arg(long, default_value_t = 10_000)]
    rate: u64,
    /// Seconds of the latency phase.
    #[arg(long, default_value_t = 5)]
    latency_secs: u64,
    /// `/ws/stream` clients of the market data phase.
    #[arg(long, default_value_t = 100)]
    stream_clients: usize,
    /// Run the scenario's simulated participants too (default: only the load's orders, so that
    /// the figures are the gateways' and the engine's).
    #[arg(long)]
    agents: bool,
}

const ADMIN: &str = "bourse-load-admin-token";

fn order(seq: u64) -> ClientMessage {
    // Alternate buys and sells of 0.001 BTC at 60,000: every second order trades with the first.
    let side = if seq.is_multiple_of(2) { "BUY" } else { "SELL" };
    let spec = serde_json::from_value(serde_json::json!({
        "instrument": 0, "side": side, "type": "LIMIT", "price": "60000.00", "quantity": "0.001"
    }))
    .expect("a valid order");
    ClientMessage::PlaceOrder(spec)
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn terminal(base: &str) -> Result<Ws> {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{base}/ws/terminal"))
        .await
        .map_err(|e| CliError(format!("connect: {e}")))?;
    let hello = ClientRequest {
        client_seq: 0,
        message: ClientMessage::Hello {
            version: PROTOCOL_VERSION,
            market: None,
            login: Some(Login::default()),
        },
    };
    ws.send(Message::Text(encode_client(&hello).into()))
        .await
        .map_err(|e| CliError(e.to_string()))?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => match decode_server(&t) {
                Ok(ServerMessage::Ready { .. }) => return Ok(ws),
                Ok(other) => return Err(CliError(format!("no Ready: {other:?}"))),
                Err(e) => return Err(CliError(e.to_string())),
            },
            Some(Ok(_)) => {}
            other => return Err(CliError(format!("no Ready: {other:?}"))),
        }
    }
}

/// Quantile `q` of a histogram of ns, in ms.
fn pct(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1e6
}

/// WebSocket throughput: `n` orders over `conns` connections, `window` in flight each.
async fn ws_throughput(base: &str, n: u64, conns: usize, window: usize) -> Result<(u64, f64)> {
    let per = n / conns as u64;
    let mut tasks = Vec::new();
    let t0 = Instant::now();
    for _ in 0..conns {
        let ws = terminal(base).await?;
        tasks.push(tokio::spawn(async move {
            let (mut tx, mut rx) = ws.split();
            let sem = Arc::new(tokio::sync::Semaphore::new(window));
            let s2 = sem.clone();
            let reader = tokio::spawn(async move {
                let mut acked = 0u64;
                while acked < per {
                    let next = tokio::time::timeout(Duration::from_secs(10), rx.next()).await;
                    let Ok(next) = next else { break };
                    match next {
                        Some(Ok(Message::Text(_))) => {
                            acked += 1;
                            s2.add_permits(1);
                        }
                        Some(Ok(_)) => {}
                        _ => break,
                    }
                }
                acked
            });
            for seq in 1..=per {
                let p = sem.acquire().await.expect("open semaphore");
                p.forget();
                let req = ClientRequest {
                    client_seq: seq,
                    message: order(seq),
                };
                if tx
                    .send(Message::Text(encode_client(&req).into()))
                    .await
                    .is_err()
                {
                    break;
                }
            }
            reader.await.unwrap_or(0)
        }));
    }
    let mut acked = 0;
    for t in tasks {
        acked += t.await.unwrap_or(0);
    }
    Ok((acked, t0.elapsed().as_secs_f64()))
}

/// REST throughput: `clients` concurrent keep-alive clients for `secs` seconds.
async fn rest_throughput(base: &str, key: &str, clients: usize, secs: u64) -> (u64, u64, f64) {
    let http = reqwest::Client::new();
    let stop = Instant::now() + Duration::from_secs(secs);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let http = http.clone();
        let url = format!("http://{base}/v1/order");
        let key = key.to_string();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut other) = (0u64, 0u64);
            let mut seq = c as u64;
            while Instant::now() < stop {
                seq += 1;
                let side = if seq.is_multiple_of(2) { "BUY" } else { "SELL" };
                let body = serde_json::json!({"symbol": "BTC-USDT", "side": side, "orderType": "LIMIT", "price": "60000.00", "quantity": "0.001"});
                match http.post(&url).bearer_auth(&key).json(&body).send().await {
                    Ok(r) if r.status() == 200 => {
                        let _ = r.bytes().await;
                        ok += 1
                    }
                    Ok(r) => {
                        let _ = r.bytes().await;
                        other += 1
                    }
                    Err(_) => other += 1,
                }
            }
            (ok, other)
        }));
    }
    let (mut ok, mut other) = (0, 0);
    for t in tasks {
        let (a, b) = t.await.unwrap_or((0, 0));
        ok += a;
        other += b;
    }
    (ok, other, t0.elapsed().as_secs_f64())
}

/// Acknowledgement latency at `rate` orders/s over `conns` connections for `secs` seconds, ns.
async fn ack_latency(base: &str, rate: u64, conns: usize, secs: u64) -> Result<Histogram<u64>> {
    let hist = Arc::new(Mutex::new(
        Histogram::<u64>::new_with_bounds(1_000, 60_000_000_000, 3).expect("bounds"),
    ));
    let mut tasks = Vec::new();
    let per_conn = rate as f64 / conns as f64;
    let total = (per_conn * secs as f64) as u64;
    for _ in 0..conns {
        let ws = terminal(base).await?;
        let hist = hist.clone();
        tasks.push(tokio::spawn(async move {
            let (mut tx, mut rx) = ws.split();
            let sent: Arc<Mutex<HashMap<u64, Instant>>> = Arc::new(Mutex::new(HashMap::new()));
            let s2 = sent.clone();
            let h2 = hist.clone();
            let reader = tokio::spawn(async move {
                let mut n = 0;
                while n < total {
                    match tokio::time::timeout(Duration::from_secs(10), rx.next()).await {
                        Ok(Some(Ok(Message::Text(t)))) => {
                            n += 1;
                            let seq = match decode_server(&t) {
                                Ok(ServerMessage::Ack { client_seq, .. }) => Some(client_seq),
                                Ok(ServerMessage::Rejected { client_seq, .. }) => client_seq,
                                _ => None,
                            };
                            if let Some(t0) = seq.and_then(|s| s2.lock().ok()?.remove(&s)) {
                                if let Ok(mut h) = h2.lock() {
                                    let _ = h.record(t0.elapsed().as_nanos().max(1_000) as u64);
                                }
                            }
                        }
                        Ok(Some(Ok(_))) => {}
                        _ => break,
                    }
                }
            });
            let interval = Duration::from_secs_f64(1.0 / per_conn);
            let start = Instant::now();
            for seq in 1..=total {
                let due = start + interval.mul_f64(seq as f64);
                tokio::time::sleep_until(due.into()).await;
                let req = ClientRequest {
                    client_seq: seq,
                    message: order(seq),
                };
                if let Ok(mut m) = sent.lock() {
                    m.insert(seq, Instant::now());
                }
                if tx
                    .send(Message::Text(encode_client(&req).into()))
                    .await
                    .is_err()
                {
                    break;
                }
            }
            let _ = reader.await;
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let h = hist
        .lock()
        .map(|h| h.clone())
        .map_err(|_| CliError("histogram".into()))?;
    Ok(h)
}

/// This disk's `fdatasync` latency of a 4 KiB write, ns, until `stop` is set.
fn fdatasync_probe(
    dir: &std::path::Path,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> Histogram<u64> {
    use std::io::{Seek, Write};
    let mut h = Histogram::<u64>::new_with_bounds(1_000, 60_000_000_000, 3).expect("bounds");
    let path = dir.join("fdatasync-probe");
    let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(&path)
    else {
        return h;
    };
    let block = [0x5au8; 4096];
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let t = Instant::now();
        if f.seek(std::io::SeekFrom::Start(0)).is_err()
            || f.write_all(&block).is_err()
            || f.sync_data().is_err()
        {
            break;
        }
        let _ = h.record(t.elapsed().as_nanos().max(1_000) as u64);
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = std::fs::remove_file(&path);
    h
}

/// Run every phase and print the figures.
pub fn run(args: LoadArgs) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("bourse-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError(e.to_string()))?;
    let result = rt.block_on(phases(&args, &dir));
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn phases(args: &LoadArgs, dir: &std::path::Path) -> Result<()> {
    let mut limits = bourse_server::Limits::default();
    // The load comes from one address and a few keys: lift the per-client limits.
    limits.rest_per_ip_per_sec = 10_000_000;
    limits.rest_per_key_per_sec = 10_000_000;
    limits.ws_messages_per_sec = 10_000_000;
    limits.guests_per_ip_per_min = 100_000;
    limits.max_ws_per_ip = 100_000;
    let cfg = bourse_server::ServerConfig {
        addr: "127.0.0.1:0".parse().expect("an address"),
        data_dir: dir.to_path_buf(),
        agents: args.agents,
        seed: Some(1),
        admin_token: Some(ADMIN.into()),
        faucet: vec![
            ("USDT".into(), rust_decimal::Decimal::from(1_000_000_000u64)),
            ("BTC".into(), rust_decimal::Decimal::from(10_000u64)),
        ],
        snapshot_every_commands: u64::MAX,
        snapshot_every_secs: 86_400,
        limits,
        ..Default::default()
    };
    let srv = bourse_server::start(cfg)
        .await
        .map_err(|e| CliError(e.to_string()))?;
    let base = srv.addr.to_string();
    println!(
        "server        127.0.0.1 (in-process), journal fdatasync on, agents {}",
        if args.agents { "on" } else { "off" }
    );

    let (acked, wall) = ws_throughput(&base, args.ws_orders, args.connections, args.window).await?;
    println!(
        "ws orders     {acked} acknowledged in {wall:.2} s: {:.0} orders/s ({} connections, {} in flight each)",
        acked as f64 / wall, args.connections, args.window
    );

    let http = reqwest::Client::new();
    let v: serde_json::Value = http
        .post(format!("http://{base}/v1/admin/accounts"))
        .bearer_auth(ADMIN)
        .json(&serde_json::json!({"name": "load"}))
        .send()
        .await
        .map_err(|e| CliError(e.to_string()))?
        .json()
        .await
        .map_err(|e| CliError(e.to_string()))?;
    let key = v["apiKey"].as_str().unwrap_or_default().to_string();
    let (ok, other, wall) = rest_throughput(&base, &key, args.rest_clients, args.rest_secs).await;
    println!(
        "rest orders   {ok} answered 200 ({other} other) in {wall:.2} s: {:.0} orders/s ({} clients)",
        ok as f64 / wall, args.rest_clients
    );

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let probe_dir = dir.to_path_buf();
    let s2 = stop.clone();
    let probe = std::thread::spawn(move || fdatasync_probe(&probe_dir, s2));
    let h = ack_latency(&base, args.rate, args.connections, args.latency_secs).await?;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let fs = probe.join().map_err(|_| CliError("probe".into()))?;
    println!(
        "ack latency   at {} orders/s, {} acks: p50 {:.3} ms, p99 {:.3} ms, p99.9 {:.3} ms, max {:.3} ms",
        args.rate, h.len(), pct(&h, 0.5), pct(&h, 0.99), pct(&h, 0.999), h.max() as f64 / 1e6
    );
    println!(
        "fdatasync     same run, 4 KiB every 2 ms, {} samples: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        fs.len(), pct(&fs, 0.5), pct(&fs, 0.99), fs.max() as f64 / 1e6
    );

    // Market data: stream clients subscribed to trades and L2 while orders flow.
    let mut streams = Vec::new();
    for _ in 0..args.stream_clients {
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{base}/ws/stream"))
            .await
            .map_err(|e| CliError(e.to_string()))?;
        ws.send(Message::Text(
            r#"{"op":"subscribe","streams":["trades:BTC-USDT","l2:BTC-USDT"]}"#.into(),
        ))
        .await
        .map_err(|e| CliError(e.to_string()))?;
        streams.push(tokio::spawn(async move {
            let mut n = 0u64;
            while let Ok(Some(Ok(_))) =
                tokio::time::timeout(Duration::from_secs(3), ws.next()).await
            {
                n += 1;
            }
            n
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = ack_latency(&base, args.rate.min(5_000), 2, args.latency_secs).await?;
    let mut received = 0;
    for s in streams {
        received += s.await.unwrap_or(0);
    }
    let st: serde_json::Value = http
        .get(format!("http://{base}/v1/admin/stats"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .map_err(|e| CliError(e.to_string()))?
        .json()
        .await
        .map_err(|e| CliError(e.to_string()))?;
    println!(
        "market data   {} stream clients, {received} messages received; applied → sent: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms ({} frames)",
        args.stream_clients,
        st["marketDataP50Us"].as_f64().unwrap_or(0.0) / 1000.0,
        st["marketDataP99Us"].as_f64().unwrap_or(0.0) / 1000.0,
        st["marketDataMaxUs"].as_f64().unwrap_or(0.0) / 1000.0,
        st["marketDataFrames"]
    );
    println!(
        "journal       {} commands in {} commits ({:.1} commands per fdatasync)",
        st["commands"],
        st["commits"],
        st["commands"].as_f64().unwrap_or(0.0) / st["commits"].as_f64().unwrap_or(1.0).max(1.0)
    );
    // Recovery: without a snapshot, the whole journal is replayed.
    let commands = st["commands"].as_u64().unwrap_or(0);
    // As after a crash: no final snapshot, so the whole journal is replayed.
    srv.stop_without_snapshot()
        .await
        .map_err(|e| CliError(e.to_string()))?;
    let cfg = bourse_server::ServerConfig {
        addr: "127.0.0.1:0".parse().expect("an address"),
        data_dir: dir.to_path_buf(),
        agents: args.agents,
        admin_token: Some(ADMIN.into()),
        ..Default::default()
    };
    let t = Instant::now();
    let again = bourse_server::start(cfg)
        .await
        .map_err(|e| CliError(e.to_string()))?;
    let serving = t.elapsed().as_secs_f64();
    let r = &again.report;
    println!(
        "recovery      {} commands replayed from the journal (no snapshot) in {:.3} s: {:.2} M commands/s; serving after {serving:.3} s",
        r.replayed, r.elapsed.as_secs_f64(), r.replayed as f64 / r.elapsed.as_secs_f64().max(1e-9) / 1e6
    );
    let _ = commands;
    again.stop().await.map_err(|e| CliError(e.to_string()))?;
    Ok(())
}
