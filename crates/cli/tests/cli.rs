//! End-to-end tests of the `bourse` binary: simulate → replay, tampering, malformed logs, unknown
//! scenarios, `book --at` and `bench --json`.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

fn bourse(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bourse"))
        .args(args)
        .output()
        .expect("run bourse")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tmp(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{}-{name}", std::process::id()))
}

/// An error is exactly one line on stderr, a non-zero exit, and never a panic.
fn assert_clean_error(o: &Output, needle: &str) {
    let err = stderr(o);
    assert!(!o.status.success(), "expected failure, got {:?}", o.status);
    assert_ne!(o.status.code(), Some(101), "panicked: {err}");
    assert!(!err.contains("panicked"), "panic output: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err:?}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(needle), "{err:?} does not mention {needle:?}");
}

/// The value after `label` on the line that starts with it.
fn field<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(label))
        .map(|s| s.split_whitespace().next().unwrap_or(""))
        .unwrap_or_else(|| panic!("no {label:?} in {text}"))
}

/// One 2-minute calm run shared by the tests: (log path, simulate's stdout).
fn run_log() -> &'static (PathBuf, String) {
    static RUN: OnceLock<(PathBuf, String)> = OnceLock::new();
    RUN.get_or_init(|| {
        let path = tmp("run.jsonl");
        let o = bourse(&[
            "simulate",
            "--scenario",
            "calm",
            "--seed",
            "7",
            "--duration",
            "2m",
            "--out",
            path.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "simulate failed: {}", stderr(&o));
        (path, stdout(&o))
    })
}

fn log_lines() -> Vec<String> {
    std::fs::read_to_string(&run_log().0)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

fn write_log(name: &str, lines: &[String]) -> PathBuf {
    let p = tmp(name);
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p
}

#[test]
fn simulate_then_replay_reproduces_the_digest() {
    let (path, sim_out) = run_log();
    let digest = field(sim_out, "event digest");
    assert_eq!(digest.len(), 16);
    let commands: u64 = field(sim_out, "commands").parse().unwrap();
    assert!(commands > 100, "{sim_out}");
    assert!(
        field(sim_out, "trades").parse::<u64>().unwrap() > 0,
        "{sim_out}"
    );
    let lines = log_lines();
    assert!(lines[0].starts_with("{\"header\":"));
    assert!(lines.last().unwrap().starts_with("{\"footer\":"));
    assert!(lines
        .last()
        .unwrap()
        .contains(&format!("\"event_digest\":\"{digest}\"")));
    assert_eq!(lines.len() as u64, commands + 2);

    let o = bourse(&["replay", path.to_str().unwrap()]);
    assert!(o.status.success(), "replay failed: {}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(field(&out, "event digest"), digest);
    assert_eq!(field(&out, "state digest"), field(sim_out, "state digest"));

    // The same seed gives the same run.
    let again = bourse(&[
        "simulate",
        "--scenario",
        "calm",
        "--seed",
        "7",
        "--duration",
        "2m",
    ]);
    assert_eq!(field(&stdout(&again), "event digest"), digest);
}

#[test]
fn tampered_command_fails_replay() {
    let mut lines = log_lines();
    // Change the quantity of the first limit order (still valid JSON, still on the lot grid).
    let i = lines
        .iter()
        .position(|l| l.contains("\"place_order\"") && l.contains("\"quantity\":\""))
        .expect("a placement");
    let l = &lines[i];
    let start = l.find("\"quantity\":\"").unwrap() + "\"quantity\":\"".len();
    let end = start + l[start..].find('"').unwrap();
    let tampered = format!("{}{}{}", &l[..start], "0.00001", &l[end..]);
    assert_ne!(&tampered, l);
    lines[i] = tampered;
    let p = write_log("tampered.jsonl", &lines);
    let o = bourse(&["replay", p.to_str().unwrap()]);
    assert_clean_error(&o, "diverged");

    // A missing line is a sequence gap, reported with its line number.
    let mut lines = log_lines();
    lines.remove(10);
    let p = write_log("gap.jsonl", &lines);
    let o = bourse(&["replay", p.to_str().unwrap()]);
    assert_clean_error(&o, "line 11: sequence gap");
}

#[test]
fn malformed_line_reports_its_line_number() {
    let mut lines = log_lines();
    lines[6] = "{\"seq\":6,\"ts_ns\":1,\"cmd\":{\"fly_to_the_moon\":{}}}".into();
    let p = write_log("malformed.jsonl", &lines);
    let o = bourse(&["replay", p.to_str().unwrap()]);
    assert_clean_error(&o, "line 7: malformed command");

    let mut lines = log_lines();
    let half = lines[3].len() / 2;
    lines[3].truncate(half);
    let p = write_log("truncated-line.jsonl", &lines);
    let o = bourse(&["book", p.to_str().unwrap(), "--at", "100"]);
    assert_clean_error(&o, "line 4: malformed command");

    let o = bourse(&["replay", tmp("does-not-exist.jsonl").to_str().unwrap()]);
    assert_clean_error(&o, "cannot open");

    // A log cut short has no footer.
    let lines = log_lines();
    let p = write_log("no-footer.jsonl", &lines[..lines.len() - 1]);
    let o = bourse(&["replay", p.to_str().unwrap()]);
    assert_clean_error(&o, "no footer");
}

#[test]
fn unknown_scenario_is_an_error() {
    let o = bourse(&[
        "simulate",
        "--scenario",
        "no-such-market",
        "--duration",
        "1m",
    ]);
    assert_clean_error(&o, "unknown scenario \"no-such-market\"");
    let o = bourse(&[
        "simulate",
        "--scenario-file",
        tmp("nope.json").to_str().unwrap(),
    ]);
    assert_clean_error(&o, "cannot read");
    let o = bourse(&["simulate", "--duration", "10parsecs"]);
    assert!(!o.status.success());
}

#[test]
fn book_at_prints_a_non_crossed_book() {
    let (path, _) = run_log();
    let o = bourse(&[
        "book",
        path.to_str().unwrap(),
        "--at",
        "1000",
        "--depth",
        "5",
    ]);
    assert!(o.status.success(), "book failed: {}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("after input seq 1000"), "{out}");
    let price = |l: &str| l.split_whitespace().nth(1).unwrap().parse::<f64>().unwrap();
    let asks: Vec<f64> = out
        .lines()
        .filter(|l| l.starts_with("ask "))
        .map(price)
        .collect();
    let bids: Vec<f64> = out
        .lines()
        .filter(|l| l.starts_with("bid "))
        .map(price)
        .collect();
    assert!(!asks.is_empty() && !bids.is_empty(), "{out}");
    assert!(asks.len() <= 5 && bids.len() <= 5);
    // Asks printed above bids, highest first; the best ask is the last ask line.
    assert!(asks.windows(2).all(|w| w[0] > w[1]), "{out}");
    assert!(bids.windows(2).all(|w| w[0] > w[1]), "{out}");
    assert!(bids[0] < *asks.last().unwrap(), "crossed book:\n{out}");
    assert!(out.contains("spread"), "{out}");
    assert!(out.contains("mid"), "{out}");

    let o = bourse(&["book", path.to_str().unwrap(), "--at", "999999999"]);
    assert_clean_error(&o, "before --at 999999999");
}

// `bench --json` prints one object per workload with what it ran: the same summary as running the
// workload through the library directly (the wasm comparison script relies on these fields).
#[test]
fn bench_json_reports_what_it_ran() {
    let o = bourse(&[
        "bench",
        "--json",
        "--workload",
        "realistic",
        "--orders",
        "20000",
        "--iters",
        "1",
        "--seed",
        "9",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let names: Vec<&str> = lines
        .iter()
        .map(|v| v["workload"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["book-realistic", "exchange-realistic"]);
    for v in &lines {
        let name = v["workload"].as_str().unwrap();
        let lib = bourse_workloads::Prepared::generate(name, 9, 20_000)
            .unwrap()
            .run(1);
        assert_eq!(v["messages"], lib.messages, "{name}");
        assert_eq!(v["events"], lib.events, "{name}");
        assert_eq!(v["trades"], lib.trades, "{name}");
        assert_eq!(v["checksum"], format!("{:016x}", lib.checksum), "{name}");
        assert!(v["msgs_per_sec"].as_f64().unwrap() > 0.0, "{name}");
        assert!(
            v["p50_ns"].as_u64().unwrap() <= v["p99_ns"].as_u64().unwrap(),
            "{name}"
        );
    }
    // The shipped binary no longer builds or runs the wasm bench (scripts/bench/wasm.sh does).
    let o = bourse(&["bench", "--wasm"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--wasm"), "{}", stderr(&o));
}
