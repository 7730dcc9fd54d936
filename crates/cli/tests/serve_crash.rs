//! Crash recovery of `bourse serve`: SIGKILL at pseudo-random moments while a client places
//! orders and the simulated participants trade; after each restart every acknowledged order is
//! there, balances add up (nothing half-applied), and at the end `bourse replay DATA_DIR` gives
//! the digests the recovered server reports. Bounded: `BOURSE_CRASH_KILLS` kills (default 20),
//! each after 150–650 ms of trading; the soak command in README runs more.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_bourse");
const ADMIN: &str = "admin-token-crash-test-01";

struct Server {
    child: Child,
    base: String,
    lines: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(dir: &std::path::Path) -> Server {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--scenario",
            "volatile",
            "--seed",
            "5",
            "--snapshot-every",
            "3000",
            "--data-dir",
        ])
        .arg(dir)
        .env("BOURSE_ADMIN_TOKEN", ADMIN)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("bourse serve starts");
    let out = child.stdout.take().unwrap();
    let mut reader = BufReader::new(out);
    let mut lines = Vec::new();
    let base = loop {
        let mut l = String::new();
        if reader.read_line(&mut l).unwrap() == 0 {
            panic!("bourse serve exited before listening: {lines:?}");
        }
        if let Some(addr) = l.strip_prefix("listening") {
            break format!("http://{}", addr.trim());
        }
        lines.push(l.trim_end().to_string());
    };
    // Keep draining stdout so the server never blocks on it.
    std::thread::spawn(move || for _ in reader.lines() {});
    Server { child, base, lines }
}

fn digests_of(lines: &[String]) -> Option<(String, String)> {
    let l = lines.iter().find(|l| l.contains("event digest"))?;
    let w: Vec<&str> = l.split_whitespace().collect();
    let at = |k: &str| w.iter().position(|x| *x == k).map(|i| w[i + 2].to_string());
    Some((at("event")?, at("state")?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_acknowledged_order_and_replay_matches_recovery() {
    let kills: usize = std::env::var("BOURSE_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut srv = spawn(dir.path());
    // One account per round, so that no round places more orders than an account's history
    // keeps (the newest 1,000 closed orders, bourse_server::projections): a 404 is then a loss.
    let mut acked: Vec<(String, String)> = Vec::new();
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
    for round in 0..kills {
        let acct: Value = http
            .post(format!("{}/v1/admin/accounts", srv.base))
            .bearer_auth(ADMIN)
            .json(&json!({"name": format!("crash-{round}"), "deposits": {"BTC": "1"}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let key = acct["apiKey"].as_str().unwrap().to_string();
        // Orders above the market (they mostly rest): 0.001 BTC each.
        let base = srv.base.clone();
        let k = key.clone();
        let h = http.clone();
        let client = tokio::spawn(async move {
            let mut ok = Vec::new();
            for n in 0..900u32 {
                let body = if n % 7 == 6 {
                    // Now and then cancel everything, so that open orders stay few.
                    match h
                        .delete(format!("{base}/v1/orders"))
                        .bearer_auth(&k)
                        .send()
                        .await
                    {
                        Ok(_) => continue,
                        Err(_) => break,
                    }
                } else {
                    json!({"symbol": "BTC-USDT", "side": "SELL", "orderType": "LIMIT", "price": "66000.00", "quantity": "0.001"})
                };
                match h
                    .post(format!("{base}/v1/order"))
                    .bearer_auth(&k)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 200 => {
                        if let Ok(v) = r.json::<Value>().await {
                            ok.push(v["id"].as_str().unwrap().to_string());
                        }
                    }
                    // Refused (e.g. PRICE_OUTSIDE_BAND once the market moved): not acknowledged.
                    Ok(r) if r.status().is_client_error() => continue,
                    Ok(r) => panic!("unexpected status {}", r.status()),
                    Err(_) => break,
                }
            }
            ok
        });
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        tokio::time::sleep(Duration::from_millis(150 + rng % 500)).await;
        srv.child.kill().unwrap(); // SIGKILL
        srv.child.wait().unwrap();
        let this_round = client.await.unwrap();
        acked.extend(this_round.iter().map(|id| (key.clone(), id.clone())));
        srv = spawn(dir.path());
        assert!(
            srv.lines.iter().any(|l| l.starts_with("recovered")),
            "round {round}: {:?}",
            srv.lines
        );
        // Every acknowledged order is there (open, or canceled in the history).
        for id in &this_round {
            let r = http
                .get(format!("{}/v1/order/{id}", srv.base))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.status(),
                200,
                "round {round}: acknowledged order {id} lost"
            );
        }
        // Nothing half-applied: BTC locked is exactly the open orders' remaining quantity, and
        // BTC held plus BTC sold (the account's fills) is the deposit; USDT is the fills'
        // notional less their fees.
        let dec = |v: &Value| {
            v.as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        };
        let get = |path: String| {
            let h = http.clone();
            let k = key.clone();
            async move {
                h.get(path)
                    .bearer_auth(k)
                    .send()
                    .await
                    .unwrap()
                    .json::<Value>()
                    .await
                    .unwrap()
            }
        };
        let a = get(format!("{}/v1/account", srv.base)).await;
        let bal = |asset: &str| {
            let b = a["balances"]
                .as_array()
                .unwrap()
                .iter()
                .find(|b| b["asset"] == asset)
                .unwrap()
                .clone();
            (dec(&b["available"]), dec(&b["locked"]))
        };
        let open = get(format!("{}/v1/orders?limit=1000", srv.base)).await;
        let open = open["orders"].as_array().unwrap();
        assert!(open.len() < 1000);
        let remaining: rust_decimal::Decimal =
            open.iter().map(|o| dec(&o["remainingQuantity"])).sum();
        let ex = get(format!("{}/v1/execution?limit=1000", srv.base)).await;
        let ex = ex["executions"].as_array().unwrap();
        assert!(ex.len() < 1000);
        let sold: rust_decimal::Decimal = ex.iter().map(|x| dec(&x["quantity"])).sum();
        let got: rust_decimal::Decimal = ex
            .iter()
            .map(|x| dec(&x["quantity"]) * dec(&x["price"]) - dec(&x["fee"]))
            .sum();
        let (avail, locked) = bal("BTC");
        assert_eq!(locked, remaining, "round {round}");
        assert_eq!(
            avail + locked + sold,
            rust_decimal::Decimal::ONE,
            "round {round}"
        );
        assert_eq!(
            bal("USDT"),
            (got, rust_decimal::Decimal::ZERO),
            "round {round}"
        );
        assert_eq!(
            a["openOrders"].as_u64().unwrap() as usize,
            open.len(),
            "round {round}"
        );
    }
    assert!(
        acked.len() > kills,
        "the client got orders through: {}",
        acked.len()
    );
    // Every acknowledged order of every round, once more at the end.
    for (key, id) in &acked {
        let r = http
            .get(format!("{}/v1/order/{id}", srv.base))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "acknowledged order {id} lost");
    }
    // A last kill; the offline replay of the journal equals what the next start recovers.
    srv.child.kill().unwrap();
    srv.child.wait().unwrap();
    let out = Command::new(BIN)
        .arg("replay")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let word = |k: &str| {
        text.lines()
            .find(|l| l.starts_with(k))
            .unwrap()
            .split_whitespace()
            .last()
            .unwrap()
            .to_string()
    };
    let replayed = (word("event digest"), word("state digest"));
    let srv = spawn(dir.path());
    assert_eq!(
        digests_of(&srv.lines),
        Some(replayed),
        "{:?}\n{text}",
        srv.lines
    );
}
