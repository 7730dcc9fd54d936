//! `bourse serve` (the shared market server, see `bourse-server`) and `bourse replay DATA_DIR`
//! (re-apply a server's journal offline and print its digests).

use crate::{CliError, Result};
use bourse_core::Exchange;
use clap::Args;
use rust_decimal::Decimal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `bourse serve` flags.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (127.0.0.1:0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Built-in scenario of a new market: calm, volatile, thin, flash-crash, halt.
    #[arg(long, default_value = "calm")]
    scenario: String,
    /// Seed of a new market [default: random, printed].
    #[arg(long)]
    seed: Option<u64>,
    /// Data directory (journal, snapshots, credentials).
    #[arg(long, default_value = "bourse-data")]
    data_dir: PathBuf,
    /// Virtual seconds per wall-clock second.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// No simulated participants: the book holds only what users place.
    #[arg(long)]
    no_agents: bool,
    /// The terminal's release build to serve at / [default: ./dist when it exists].
    #[arg(long, value_name = "DIR")]
    web_dir: Option<PathBuf>,
    /// Guest faucet, e.g. `USDT=100000,BTC=2`.
    #[arg(long, default_value = "USDT=100000,BTC=2")]
    faucet: String,
    /// Snapshot after this many journaled commands.
    #[arg(long, default_value_t = 1_000_000)]
    snapshot_every: u64,
    /// Snapshot after this many seconds with new commands.
    #[arg(long, default_value_t = 300)]
    snapshot_secs: u64,
    /// Print a ready-to-use API key pair (line `demo-key <apiKey> <secret>`) of an account named
    /// `demo`, funded by the faucet (created once, kept across restarts), for the
    /// Binance-compatible API (`/api/v3`) and ccxt.
    #[arg(long)]
    demo_account: bool,
    /// REST requests per second per client address (`/v1` and `/api/v3`; 429 above).
    #[arg(long, default_value_t = bourse_server::Limits::default().rest_per_ip_per_sec)]
    rest_per_ip: u32,
    /// REST requests per second per API key or token (429 above).
    #[arg(long, default_value_t = bourse_server::Limits::default().rest_per_key_per_sec)]
    rest_per_key: u32,
}

fn parse_faucet(s: &str) -> Result<Vec<(String, Decimal)>> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (a, v) = p
                .split_once('=')
                .ok_or_else(|| CliError(format!("--faucet: {p:?} is not ASSET=AMOUNT")))?;
            let v: Decimal = v
                .trim()
                .parse()
                .map_err(|_| CliError(format!("--faucet: {v:?} is not a decimal amount")))?;
            Ok((a.trim().to_string(), v))
        })
        .collect()
}

/// Run the server until Ctrl-C (or SIGTERM).
pub fn serve(args: ServeArgs) -> Result<()> {
    let web_dir = args.web_dir.clone().or_else(|| {
        Path::new("dist/index.html")
            .exists()
            .then(|| PathBuf::from("dist"))
    });
    if let Some(d) = &web_dir {
        if !d.join("index.html").exists() {
            return Err(CliError(format!(
                "--web-dir {}: no index.html there",
                d.display()
            )));
        }
    }
    let cfg = bourse_server::ServerConfig {
        addr: args.addr,
        scenario: args.scenario.clone(),
        seed: args.seed,
        data_dir: args.data_dir.clone(),
        speed: args.speed,
        agents: !args.no_agents,
        web_dir: web_dir.clone(),
        admin_token: std::env::var("BOURSE_ADMIN_TOKEN")
            .ok()
            .filter(|t| !t.is_empty()),
        faucet: parse_faucet(&args.faucet)?,
        snapshot_every_commands: args.snapshot_every,
        snapshot_every_secs: args.snapshot_secs,
        limits: bourse_server::Limits {
            rest_per_ip_per_sec: args.rest_per_ip,
            rest_per_key_per_sec: args.rest_per_key,
            ..Default::default()
        },
        ..Default::default()
    };
    cfg.validate().map_err(|e| CliError(e.to_string()))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async move {
        let running = bourse_server::start(cfg)
            .await
            .map_err(|e| CliError(e.to_string()))?;
        let r = &running.report;
        let m = &running.market;
        if r.fresh {
            println!(
                "new market    scenario {} seed {} in {}",
                m.scenario,
                m.seed,
                args.data_dir.display()
            );
        } else {
            println!(
                "recovered     {} commands (snapshot at {}, {} replayed from the journal) in {:.3} s",
                r.last_seq,
                r.snapshot_seq.map_or("none".to_string(), |s| s.to_string()),
                r.replayed,
                r.elapsed.as_secs_f64()
            );
            println!(
                "              scenario {} seed {}; event digest {:016x} state digest {:016x}",
                m.scenario, m.seed, r.digests.0, r.digests.1
            );
            if let Some(t) = &r.torn {
                println!("              cut off a torn last record: {t}");
            }
            for s in &r.skipped_snapshots {
                println!("              skipped an invalid snapshot: {s}");
            }
        }
        let base = format!("http://{}", running.addr);
        match &web_dir {
            Some(d) => println!("terminal      {base}/   (from {})", d.display()),
            None => println!(
                "terminal      none to serve: build it (trunk build --release) and pass --web-dir dist"
            ),
        }
        println!("API docs      {base}/openapi.json");
        println!("admin token   {}", running.admin_token);
        println!("Binance API   {base}/api/v3   (streams ws://{}/ws, user data ws://{}/ws-api/v3)", running.addr, running.addr);
        if args.demo_account {
            let (account, key, secret) = running
                .demo_account()
                .await
                .map_err(|e| CliError(format!("--demo-account: {e}")))?;
            println!("demo account  {account}");
            println!("demo-key {key} {secret}");
        }
        println!("listening     {}", running.addr);
        use std::io::Write;
        let _ = std::io::stdout().flush();
        shutdown_signal().await;
        println!("stopping: final commit and snapshot");
        running
            .stop()
            .await
            .map_err(|e| CliError(format!("the engine stopped on an error: {e}")))
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// `bourse replay DATA_DIR`: re-apply every journaled command from input seq 1 and print the
/// digests (a server prints the same ones when it recovers).
pub fn replay_dir(dir: &Path) -> Result<()> {
    let journal = dir.join("journal");
    let t0 = Instant::now();
    let head = bourse_journal::scan(&journal, u64::MAX, |_, _, _| Ok(()))
        .map_err(|e| CliError(e.to_string()))?;
    let header = head
        .header
        .ok_or_else(|| CliError(format!("{}: no journal segments", journal.display())))?;
    let mut ex = Exchange::new(header.config).map_err(|e| CliError(e.to_string()))?;
    ex.check_every_command = false;
    let mut events = Vec::with_capacity(64);
    let found = bourse_journal::scan(&journal, 1, |seq, ts, cmd| {
        let got = ex.apply(ts, &cmd, &mut events);
        events.clear();
        if got == seq {
            Ok(())
        } else {
            Err(format!("the exchange gave input seq {got} to record {seq}"))
        }
    })
    .map_err(|e| CliError(e.to_string()))?;
    if found.first_seq > 1 {
        return Err(CliError(format!(
            "{}: the journal starts at input seq {} (earlier segments were pruned)",
            journal.display(),
            found.first_seq
        )));
    }
    let wall = t0.elapsed().as_secs_f64().max(1e-9);
    println!(
        "replayed      {} commands, {} events in {wall:.3} s ({:.0} commands/s) from {} segments",
        found.last_seq,
        ex.next_output_seq() - 1,
        found.last_seq as f64 / wall,
        found.segments.len()
    );
    if let Some(t) = &found.torn {
        println!(
            "torn tail     {} at byte {}: {} (a crash mid-write; never acknowledged)",
            t.segment.display(),
            t.offset,
            t.reason
        );
    }
    println!("event digest  {:016x}", ex.event_digest());
    println!("state digest  {:016x}", ex.state_digest());
    Ok(())
}
