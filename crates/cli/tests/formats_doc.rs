//! Known-answer test of `docs/FORMATS.md`: the document and the code cannot drift apart.
//!
//! The example command log of the document ("### Example" under "The command log") is
//! - what `bourse simulate --scenario-file tiny.json --seed 1 --duration 1ms` writes, byte for
//!   byte, for the `tiny.json` the document gives;
//! - replayed by `bourse replay` to the footer's digests and counts;
//! - and its footer's event digest is recomputed here from records built by hand from the
//!   document's description of the canonical encoding (not through `bourse_core::digest`):
//!   `seq u64 | input_seq u64 | ts_ns u64 | event`, little-endian, the event a tag byte (variant
//!   index of `Event` in declaration order) then its fields, folded once per command with
//!   `xxh3_64_with_seed(records, previous digest)` from 0.
//!
//! The event examples of "## Events" are exactly events of replaying the command examples of
//! "## Commands" (their values checked by hand in the document's note under them).

use std::path::PathBuf;
use std::process::Command;

const FORMATS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../docs/FORMATS.md"
));

fn tmp(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("formats-{}-{name}", std::process::id()))
}

/// The text of the "### Example" section of the command log: (tiny.json, the log's lines).
fn example() -> (String, Vec<String>) {
    let section = FORMATS
        .split("### Example")
        .nth(1)
        .expect("FORMATS.md has a ### Example section");
    let scenario = section
        .split("`tiny.json`:\n`")
        .nth(1)
        .and_then(|s| s.split('`').next())
        .expect("the section gives tiny.json inline");
    let block = section
        .split("```json\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("the section has a json block");
    (
        scenario.to_string(),
        block.lines().map(str::to_string).collect(),
    )
}

/// The value of `"key":"…"` in a JSON line (a string value).
fn string_field<'a>(line: &'a str, key: &str) -> &'a str {
    let pat = format!("\"{key}\":\"");
    let start = line.find(&pat).unwrap_or_else(|| panic!("{key} in {line}")) + pat.len();
    &line[start..start + line[start..].find('"').unwrap()]
}

#[test]
fn the_documented_log_is_what_simulate_writes() {
    let (scenario, lines) = example();
    assert_eq!(lines.len(), 5, "a complete 5-line log");
    let scenario_path = tmp("tiny.json");
    let out = tmp("tiny.jsonl");
    std::fs::write(&scenario_path, &scenario).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_bourse"))
        .args([
            "simulate",
            "--seed",
            "1",
            "--duration",
            "1ms",
            "--scenario-file",
        ])
        .arg(&scenario_path)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        written.lines().collect::<Vec<_>>(),
        lines,
        "docs/FORMATS.md example is stale"
    );
    let _ = std::fs::remove_file(scenario_path);
    let _ = std::fs::remove_file(out);
}

#[test]
fn the_documented_log_replays_to_its_footer() {
    let (_, lines) = example();
    let log = tmp("replay.jsonl");
    let events = tmp("events.jsonl");
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_bourse"))
        .arg("replay")
        .arg(&log)
        .arg("--events")
        .arg(&events)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The three events the document names: account_created, then one balance_update per deposit
    // (1 BTC = 100000000 units, 60 000 USDT = 6000000000000 units).
    let ev = std::fs::read_to_string(&events).unwrap();
    let ev: Vec<&str> = ev.lines().collect();
    assert_eq!(ev.len(), 3);
    assert!(
        ev[0].contains("\"account_created\":{\"account\":1}"),
        "{}",
        ev[0]
    );
    assert!(
        ev[1].contains(
            "\"balance_update\":{\"account\":1,\"asset\":0,\"available\":100000000,\"locked\":0}"
        ),
        "{}",
        ev[1]
    );
    assert!(ev[2].contains("\"balance_update\":{\"account\":1,\"asset\":2,\"available\":6000000000000,\"locked\":0}"), "{}", ev[2]);
    let _ = std::fs::remove_file(log);
    let _ = std::fs::remove_file(events);
}

#[test]
fn the_documented_event_digest_follows_from_the_documented_encoding() {
    let (_, lines) = example();
    let footer = lines.last().unwrap();
    let documented = u64::from_str_radix(string_field(footer, "event_digest"), 16).unwrap();
    const TS: u64 = 1_700_000_000_000_000_000;
    // (seq = input_seq, tag, fields) of the three events; Event's variants in declaration order:
    // 0 command_rejected, 1 account_created, 2 balance_update, ...
    let record = |seq: u64, tag: u8, fields: &[&[u8]]| {
        let mut r = Vec::new();
        r.extend_from_slice(&seq.to_le_bytes()); // seq
        r.extend_from_slice(&seq.to_le_bytes()); // input_seq (one event per command here)
        r.extend_from_slice(&TS.to_le_bytes());
        r.push(tag);
        for f in fields {
            r.extend_from_slice(f);
        }
        r
    };
    let commands = [
        record(1, 1, &[&1u32.to_le_bytes()]),
        record(
            2,
            2,
            &[
                &1u32.to_le_bytes(),
                &0u32.to_le_bytes(),
                &100_000_000u64.to_le_bytes(),
                &0u64.to_le_bytes(),
            ],
        ),
        record(
            3,
            2,
            &[
                &1u32.to_le_bytes(),
                &2u32.to_le_bytes(),
                &6_000_000_000_000u64.to_le_bytes(),
                &0u64.to_le_bytes(),
            ],
        ),
    ];
    assert_eq!(commands[1].len(), 8 * 3 + 1 + 4 + 4 + 8 + 8);
    let digest = commands.iter().fold(0u64, |d, records| {
        xxhash_rust::xxh3::xxh3_64_with_seed(records, d)
    });
    assert_eq!(
        format!("{digest:016x}"),
        format!("{documented:016x}"),
        "the encoding described in docs/FORMATS.md does not give the documented digest"
    );
}

/// The lines of the first ```json block after `heading` (a line of the document).
fn block_after(heading: &str) -> Vec<&'static str> {
    FORMATS
        .split(heading)
        .nth(1)
        .and_then(|s| s.split("```json\n").nth(1))
        .and_then(|s| s.split("```").next())
        .unwrap_or_else(|| panic!("no json block after {heading:?}"))
        .lines()
        .collect()
}

// The command examples of "## Commands" parse and apply (to `ExchangeConfig::default_spot`), and the
// event examples of "## Events", "from replaying the command examples above", are exactly events of
// that replay (the one with input_seq 15 is a 15th command whose timestamp goes back).
#[test]
fn the_documented_events_come_from_the_documented_commands() {
    use bourse_core::{Exchange, ExchangeConfig, SequencedCommand};
    let mut commands: Vec<SequencedCommand> =
        block_after("Examples (each parsed and applied by `bourse replay`):")
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
            .collect();
    assert_eq!(commands.len(), 14);
    commands.push(
        serde_json::from_str(
            r#"{"seq":15,"ts_ns":1700000007000000000,"cmd":{"resume":{"instrument":0}}}"#,
        )
        .unwrap(),
    );
    let mut ex = Exchange::new(ExchangeConfig::default_spot()).unwrap();
    let mut out = Vec::new();
    for c in &commands {
        ex.apply_sequenced(c, &mut out).unwrap();
    }
    let replayed: Vec<String> = out
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    let documented = block_after("Examples, from replaying the command examples above");
    assert!(documented.len() >= 10);
    for line in documented {
        assert!(
            replayed.iter().any(|r| r == line),
            "not produced by the commands: {line}"
        );
    }
}
