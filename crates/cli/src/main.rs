//! `bourse`: simulate, replay, inspect and benchmark the exchange core.
//!
//! - `bourse simulate --scenario calm --seed 7 --duration 1h --out run.jsonl`
//! - `bourse replay run.jsonl`
//! - `bourse book run.jsonl --at 1000 --depth 10`
//! - `bourse bench [--workload realistic|sweep|all] [--orders N] [--json]`
//! - `bourse serve [--addr 127.0.0.1:8080] [--scenario calm] [--data-dir bourse-data] ...`
//! - `bourse replay DATA_DIR` (a server's journal)
//!
//! Errors are one line on stderr and a non-zero exit status.

mod bench;
mod load;
mod log;
mod serve;

use bourse_core::{
    from_grid, Event, Exchange, ExchangeConfig, InstrumentId, Interval, Lots, Sequenced,
    SequencedCommand, Side, Ticks,
};
use bourse_sim::{Scenario, Simulation};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rust_decimal::Decimal;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// A user-facing error: printed as one line, exit status 1.
#[derive(Debug)]
pub struct CliError(pub String);

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Result with a [`CliError`].
pub type Result<T> = std::result::Result<T, CliError>;

#[derive(Parser)]
#[command(
    name = "bourse",
    version,
    about = "Bourse exchange simulator: simulate, replay, inspect and benchmark the exchange core."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a seeded simulation in virtual time as fast as possible; optionally write its command log.
    Simulate(SimulateArgs),
    /// Re-apply a command log and check the footer's digest and the sequence numbers.
    Replay(ReplayArgs),
    /// Replay a command log up to an input sequence number and print the L2 book.
    Book(BookArgs),
    /// Run the standard workloads through the core and print throughput and latency.
    Bench(bench::BenchArgs),
    /// Run one shared live market: REST, WebSocket and the terminal, with a durable journal.
    Serve(serve::ServeArgs),
    /// Load-test a server started in-process: WebSocket and REST order entry, latency, market data, recovery.
    Load(load::LoadArgs),
}

#[derive(Args)]
struct SimulateArgs {
    /// Built-in scenario: calm, volatile, thin, flash-crash, halt [default: calm].
    #[arg(long, conflicts_with = "scenario_file")]
    scenario: Option<String>,
    /// Scenario JSON file instead of a built-in one.
    #[arg(long, value_name = "FILE")]
    scenario_file: Option<PathBuf>,
    /// Seed of every random choice in the run.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Virtual time to simulate, e.g. 90s, 10m, 1h, 1d [default: the scenario's].
    #[arg(long, value_parser = parse_duration)]
    duration: Option<u64>,
    /// Write the sequenced command log here (JSON Lines, see docs/FORMATS.md).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct ReplayArgs {
    /// Command log (JSON Lines) written by `bourse simulate --out`, or a server's data
    /// directory (its journal is re-applied and its digests printed).
    log: PathBuf,
    /// Check the exchange invariants after every command (slow).
    #[arg(long)]
    check_invariants: bool,
    /// Also write every event as JSON Lines (one `Sequenced` per line) to this file.
    #[arg(long, value_name = "FILE")]
    events: Option<PathBuf>,
}

#[derive(Args)]
struct BookArgs {
    /// Command log (JSON Lines).
    log: PathBuf,
    /// Replay up to and including this input sequence number [default: the whole log].
    #[arg(long, value_name = "SEQ")]
    at: Option<u64>,
    /// Levels per side.
    #[arg(long, default_value_t = 10)]
    depth: usize,
    /// Instrument symbol (e.g. BTC-USDT) or index [default: the first].
    #[arg(long)]
    instrument: Option<String>,
}

/// Parse `90s`, `10m`, `1h`, `1d`, `500ms`, `1h30m` (units ns, us, ms, s, m, h, d) into ns.
pub fn parse_duration(s: &str) -> std::result::Result<u64, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    let mut total: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return Err(format!(
                "invalid duration {s:?} (expected e.g. 90s, 10m, 1h, 1d)"
            ));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("duration {s:?} is too large"))?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
        let unit = match &rest[..unit_len] {
            "ns" => 1,
            "us" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "d" => 86_400_000_000_000,
            "" => {
                return Err(format!(
                    "duration {s:?} needs a unit (ns, us, ms, s, m, h, d)"
                ))
            }
            u => return Err(format!("unknown unit {u:?} in duration {s:?}")),
        };
        rest = &rest[unit_len..];
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("duration {s:?} is too large"))?;
    }
    if total == 0 {
        return Err("duration must be positive".into());
    }
    Ok(total)
}

/// `3_723_000_000_000` → `1h2m3s`.
pub fn format_duration(ns: u64) -> String {
    let units = [
        (86_400_000_000_000u64, "d"),
        (3_600_000_000_000, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1_000, "us"),
        (1, "ns"),
    ];
    if ns == 0 {
        return "0s".into();
    }
    let mut s = String::new();
    let mut rest = ns;
    for (u, name) in units {
        if rest >= u {
            s += &format!("{}{name}", rest / u);
            rest %= u;
        }
    }
    s
}

/// ns since the Unix epoch → `2023-11-14T22:13:20.000Z` (see [`bourse_core::utc_iso8601`]).
pub fn format_ts(ns: u64) -> String {
    bourse_core::utc_iso8601(ns)
}

/// A progress bar (or, without a length, a spinner) on stderr, hidden when stderr is not a terminal.
pub fn progress(len: Option<u64>, template: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(
        len,
        if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr_with_hz(10)
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    pb.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb
}

/// Decimal display of grid values with the grid's number of decimals.
struct Fmt<'a> {
    config: &'a ExchangeConfig,
    instrument: InstrumentId,
}

impl Fmt<'_> {
    fn price(&self, t: Ticks) -> String {
        let step = self.config.instruments[self.instrument as usize].tick_size;
        fixed(from_grid(t, step), step)
    }
    fn qty(&self, l: Lots) -> String {
        let step = self.config.instruments[self.instrument as usize].lot_size;
        fixed(from_grid(l as i64, step), step)
    }
}

/// `v` printed with as many decimals as `step` has (after normalising it).
fn fixed(v: Decimal, step: Decimal) -> String {
    let dp = step.normalize().scale() as usize;
    format!("{v:.dp$}")
}

fn load_scenario(args: &SimulateArgs) -> Result<Scenario> {
    if let Some(path) = &args.scenario_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError(format!("cannot read {}: {e}", path.display())))?;
        return Scenario::from_json(&text)
            .map_err(|e| CliError(format!("{}: {e}", path.display())));
    }
    let name = args.scenario.as_deref().unwrap_or("calm");
    Scenario::preset(name).ok_or_else(|| {
        CliError(format!(
            "unknown scenario {name:?} (built-in: {}; or use --scenario-file)",
            Scenario::preset_names().join(", ")
        ))
    })
}

fn simulate(args: SimulateArgs) -> Result<()> {
    let scenario = load_scenario(&args)?;
    let name = scenario.name.clone();
    let instruments = scenario.instruments.clone();
    let duration_ns = args.duration.unwrap_or(scenario.duration.ns());
    let mut sim = Simulation::new(scenario, args.seed)
        .map_err(|e| CliError(format!("scenario {name:?}: {e}")))?;
    sim.set_check_every_command(false);
    let start = sim.start_ns();
    let end = start.saturating_add(duration_ns);
    let mut writer = match &args.out {
        Some(p) => Some(log::LogWriter::create(
            p,
            &log::Header {
                format: log::FORMAT.into(),
                version: log::VERSION,
                scenario: name.clone(),
                seed: args.seed,
                start_ns: start,
                duration_ns,
                config: sim.config().clone(),
            },
        )?),
        None => None,
    };
    let total_secs = duration_ns.div_ceil(1_000_000_000);
    let pb = progress(
        Some(total_secs),
        "{spinner} simulating [{bar:30}] {pos}/{len} virtual s, eta {eta} {msg}",
    );
    let mut log_buf: Vec<SequencedCommand> = Vec::with_capacity(1 << 16);
    let mut events: Vec<Sequenced> = Vec::with_capacity(1 << 16);
    let (mut n_cmds, mut n_events, mut n_trades) = (0u64, 0u64, 0u64);
    let mut write_time = Duration::ZERO;
    let t0 = Instant::now();
    // Run in chunks of one virtual second, draining the log and events after each.
    let chunk = 1_000_000_000u64.min(duration_ns.max(1));
    let mut now = start;
    while now < end {
        now = now.saturating_add(chunk).min(end);
        sim.run_until(now, &mut log_buf, &mut events);
        n_cmds += log_buf.len() as u64;
        n_events += events.len() as u64;
        n_trades += events
            .iter()
            .filter(|e| matches!(e.event, Event::Trade(_)))
            .count() as u64;
        if let Some(w) = writer.as_mut() {
            let tw = Instant::now();
            w.commands(&log_buf)?;
            write_time += tw.elapsed();
        }
        log_buf.clear();
        events.clear();
        pb.set_position((now - start) / 1_000_000_000);
        pb.set_message(format!("{n_cmds} cmds"));
    }
    let wall = t0.elapsed();
    pb.finish_and_clear();
    let ex = sim.exchange();
    let event_digest = ex.event_digest();
    let state_digest = ex.state_digest();
    if let Some(w) = writer.take() {
        let tw = Instant::now();
        w.finish(log::Footer {
            final_input_seq: ex.next_input_seq() - 1,
            event_count: ex.next_output_seq() - 1,
            event_digest: log::hex(event_digest),
            state_digest: log::hex(state_digest),
        })?;
        write_time += tw.elapsed();
    }
    let secs = wall.as_secs_f64().max(1e-9);
    println!(
        "scenario      {name} (seed {}), {} of virtual time from {}",
        args.seed,
        format_duration(duration_ns),
        format_ts(start)
    );
    println!("commands      {n_cmds}");
    println!("events        {n_events}");
    println!("trades        {n_trades}");
    print!("wall time     {:.3} s", secs);
    if args.out.is_some() {
        print!(
            " (of which writing the log {:.3} s)",
            write_time.as_secs_f64()
        );
    }
    println!();
    println!(
        "throughput    {:.0} events/s, {:.0} commands/s ({:.0}x real time)",
        n_events as f64 / secs,
        n_cmds as f64 / secs,
        duration_ns as f64 / 1e9 / secs
    );
    let config = ex.config();
    for &i in &instruments {
        let Some(spec) = config.instruments.get(i as usize) else {
            continue;
        };
        let f = Fmt {
            config,
            instrument: i,
        };
        let l1 = ex.book_ticker(i).unwrap_or_default();
        let side = |x: Option<(Ticks, Lots)>| match x {
            Some((p, q)) => format!("{} ({})", f.price(p), f.qty(q)),
            None => "-".into(),
        };
        println!(
            "{:<13} bid {}  ask {}  last {}",
            spec.symbol,
            side(l1.bid),
            side(l1.ask),
            ex.last_price(i).map_or("-".into(), |p| f.price(p))
        );
        let counts: Vec<String> = Interval::ALL
            .iter()
            .map(|&iv| format!("{} {}", iv.label(), ex.candle_count(i, iv)))
            .collect();
        println!("{:<13} candles: {}", "", counts.join(", "));
    }
    println!("event digest  {}", log::hex(event_digest));
    println!("state digest  {}", log::hex(state_digest));
    if let Some(p) = &args.out {
        println!("log           {}", p.display());
    }
    Ok(())
}

/// Replay state shared by `replay` and `book`.
struct Replayer {
    reader: log::LogReader,
    ex: Exchange,
    events: Vec<Sequenced>,
    /// Where to write the events, if anywhere.
    sink: Option<(std::io::BufWriter<std::fs::File>, PathBuf)>,
    last_seq: u64,
    last_ts: u64,
}

impl Replayer {
    fn open(path: &std::path::Path, check: bool) -> Result<Self> {
        let reader = log::LogReader::open(path)?;
        let mut ex = Exchange::new(reader.header.config.clone()).map_err(|e| {
            CliError(format!(
                "{}: line 1: invalid exchange configuration: {e}",
                reader.path()
            ))
        })?;
        ex.check_every_command = check;
        Ok(Replayer {
            reader,
            ex,
            events: Vec::with_capacity(1 << 12),
            sink: None,
            last_seq: 0,
            last_ts: 0,
        })
    }

    /// Apply the next command; `Ok(Some(footer))` at the footer, `Ok(None)` at the end of file.
    fn step(&mut self) -> Result<Step> {
        match self.reader.next_item()? {
            None => Ok(Step::End),
            Some(log::Item::Footer(n, f)) => Ok(Step::Footer(n, f)),
            Some(log::Item::Command(n, c)) => {
                if let Err(expected) = self.ex.apply_sequenced(&c, &mut self.events) {
                    return Err(self.reader.error_at(
                        n,
                        format!(
                            "sequence gap: expected input seq {expected}, found {}",
                            c.seq
                        ),
                    ));
                }
                if let Some((w, p)) = self.sink.as_mut() {
                    for e in &self.events {
                        serde_json::to_writer(&mut *w, e)
                            .map_err(|e| e.to_string())
                            .and_then(|_| w.write_all(b"\n").map_err(|e| e.to_string()))
                            .map_err(|e| CliError(format!("cannot write {}: {e}", p.display())))?;
                    }
                }
                self.events.clear();
                self.last_seq = c.seq;
                self.last_ts = c.ts_ns;
                Ok(Step::Applied)
            }
        }
    }
}

enum Step {
    Applied,
    Footer(usize, log::Footer),
    End,
}

fn replay(args: ReplayArgs) -> Result<()> {
    if args.log.is_dir() {
        return serve::replay_dir(&args.log);
    }
    let mut r = Replayer::open(&args.log, args.check_invariants)?;
    let path = r.reader.path().to_string();
    if let Some(p) = &args.events {
        let f = std::fs::File::create(p)
            .map_err(|e| CliError(format!("cannot create {}: {e}", p.display())))?;
        r.sink = Some((std::io::BufWriter::with_capacity(1 << 20, f), p.clone()));
    }
    let pb = progress(None, "{spinner} replaying: {pos} commands ({elapsed})");
    let t0 = Instant::now();
    let footer = loop {
        match r.step()? {
            Step::Applied => {
                if r.last_seq % 65_536 == 0 {
                    pb.set_position(r.last_seq);
                }
            }
            Step::Footer(n, f) => break (n, f),
            Step::End => {
                return Err(CliError(format!(
                    "{path}: no footer line after input seq {} (truncated log?)",
                    r.last_seq
                )))
            }
        }
    };
    // Nothing may follow the footer (the reader rejects it; this is belt and braces).
    if !matches!(r.step()?, Step::End) {
        return Err(CliError(format!("{path}: content after the footer line")));
    }
    if let Some((mut w, p)) = r.sink.take() {
        w.flush()
            .map_err(|e| CliError(format!("cannot write {}: {e}", p.display())))?;
    }
    pb.finish_and_clear();
    let wall = t0.elapsed().as_secs_f64().max(1e-9);
    let (footer_line, f) = footer;
    let digest = log::hex(r.ex.event_digest());
    let events = r.ex.next_output_seq() - 1;
    println!(
        "replayed      {} commands, {events} events in {wall:.3} s ({:.0} commands/s)",
        r.last_seq,
        r.last_seq as f64 / wall
    );
    println!("event digest  {digest}");
    if f.final_input_seq != r.last_seq {
        return Err(CliError(format!(
            "{path}: line {footer_line}: footer says final input seq {}, the log ends at {}",
            f.final_input_seq, r.last_seq
        )));
    }
    if f.event_digest != digest || f.event_count != events {
        return Err(CliError(format!(
            "{path}: replay diverged: event digest {digest} ({events} events), footer says {} ({} events)",
            f.event_digest, f.event_count
        )));
    }
    let state = log::hex(r.ex.state_digest());
    println!("state digest  {state}");
    if f.state_digest != state {
        return Err(CliError(format!(
            "{path}: replay diverged: state digest {state}, footer says {}",
            f.state_digest
        )));
    }
    println!("ok            digest matches the footer");
    Ok(())
}

fn book(args: BookArgs) -> Result<()> {
    let mut r = Replayer::open(&args.log, false)?;
    let path = r.reader.path().to_string();
    let config = r.reader.header.config.clone();
    let instrument: InstrumentId = match &args.instrument {
        None => 0,
        Some(s) => match s.parse::<InstrumentId>() {
            Ok(i) if (i as usize) < config.instruments.len() => i,
            _ => config.instrument_by_symbol(s).ok_or_else(|| {
                let known: Vec<&str> = config
                    .instruments
                    .iter()
                    .map(|i| i.symbol.as_str())
                    .collect();
                CliError(format!(
                    "unknown instrument {s:?} (in this log: {})",
                    known.join(", ")
                ))
            })?,
        },
    };
    if config.instruments.is_empty() {
        return Err(CliError(format!(
            "{path}: the log's configuration has no instruments"
        )));
    }
    if args.at == Some(0) {
        return Err(CliError("--at must be at least 1".into()));
    }
    loop {
        if Some(r.last_seq) == args.at {
            break;
        }
        match r.step()? {
            Step::Applied => {}
            Step::Footer(..) | Step::End => {
                if let Some(at) = args.at {
                    return Err(CliError(format!(
                        "{path}: the log ends at input seq {}, before --at {at}",
                        r.last_seq
                    )));
                }
                break;
            }
        }
    }
    let f = Fmt {
        config: &config,
        instrument,
    };
    let spec = &config.instruments[instrument as usize];
    let depth =
        r.ex.depth(instrument, args.depth)
            .expect("instrument exists");
    println!(
        "{} after input seq {} ({}), book update id {}",
        spec.symbol,
        r.last_seq,
        format_ts(r.last_ts),
        depth.last_update_id
    );
    let rows = |levels: &[(Ticks, Lots)]| -> Vec<(String, String, String)> {
        let mut cum = 0;
        levels
            .iter()
            .map(|&(p, q)| {
                cum += q;
                (f.price(p), f.qty(q), f.qty(cum))
            })
            .collect()
    };
    let asks = rows(&depth.asks);
    let bids = rows(&depth.bids);
    let w = asks
        .iter()
        .chain(bids.iter())
        .map(|(p, q, c)| p.len().max(q.len()).max(c.len()))
        .max()
        .unwrap_or(8)
        .max(8);
    println!("     {:>w$}  {:>w$}  {:>w$}", "price", "qty", "cum qty");
    for (p, q, c) in asks.iter().rev() {
        println!("ask  {p:>w$}  {q:>w$}  {c:>w$}");
    }
    match (depth.bids.first(), depth.asks.first()) {
        (Some(&(b, _)), Some(&(a, _))) => {
            let spread = a - b;
            // mid = (a + b) / 2 ticks, exactly: in half ticks.
            let tick = spec.tick_size;
            let mid = (Decimal::from(a + b) * tick / Decimal::from(2)).normalize();
            let dp = tick.normalize().scale() as usize + ((a + b) % 2 != 0) as usize;
            let bps = spread as f64 / ((a + b) as f64 / 2.0) * 10_000.0;
            println!(
                "---  spread {} ({bps:.2} bps), mid {mid:.dp$}",
                f.price(spread)
            );
        }
        _ => println!("---  spread -, mid - (one side empty)"),
    }
    for (p, q, c) in &bids {
        println!("bid  {p:>w$}  {q:>w$}  {c:>w$}");
    }
    let (nb, na) = r.ex.book(instrument).map_or((0, 0), |b| {
        (b.level_count(Side::Buy), b.level_count(Side::Sell))
    });
    println!(
        "levels: {nb} bid, {na} ask (showing up to {} per side)",
        args.depth
    );
    Ok(())
}

fn main() -> ExitCode {
    // Never a backtrace: an unexpected panic is one line too.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let loc = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal error: {}{loc}", msg.replace('\n', " "));
    }));
    let cli = Cli::parse();
    let res = std::panic::catch_unwind(|| match cli.cmd {
        Cmd::Simulate(a) => simulate(a),
        Cmd::Replay(a) => replay(a),
        Cmd::Book(a) => book(a),
        Cmd::Bench(a) => bench::run(a),
        Cmd::Serve(a) => serve::serve(a),
        Cmd::Load(a) => load::run(a),
    });
    match res {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
        Err(_) => ExitCode::from(101),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(90_000_000_000));
        assert_eq!(parse_duration("10m"), Ok(600_000_000_000));
        assert_eq!(parse_duration("1h"), Ok(3_600_000_000_000));
        assert_eq!(parse_duration("1d"), Ok(86_400_000_000_000));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(parse_duration("250ms"), Ok(250_000_000));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("0s").is_err());
        assert_eq!(format_duration(5_400_000_000_000), "1h30m");
    }

    #[test]
    fn timestamps() {
        assert_eq!(format_ts(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_ts(1_700_000_000_123_000_000),
            "2023-11-14T22:13:20.123Z"
        );
        assert_eq!(
            format_ts(951_782_400_000_000_000),
            "2000-02-29T00:00:00.000Z"
        );
    }
}
