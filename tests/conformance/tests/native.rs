//! The committed fixtures are what the native build computes now (see the crate docs), and the
//! fixture format is parsed strictly. With `BOURSE_BLESS=1` the fixtures are rewritten instead:
//! `BOURSE_BLESS=1 cargo test -p bourse-conformance --test native`.
#![cfg(not(target_arch = "wasm32"))]

use bourse_conformance::{
    auction_run, hex, reference_run, unhex, worker_session, Expected, Footer, EXPECTED, TRANSCRIPT,
};
use std::path::Path;

#[test]
fn fixtures_are_current() {
    let reference = reference_run(false);
    let (transcript, session) = worker_session();
    let fresh = Expected {
        reference,
        auction: auction_run(false),
        session,
    };
    if std::env::var_os("BOURSE_BLESS").is_some() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        std::fs::write(dir.join("expected.txt"), fresh.render()).unwrap();
        std::fs::write(dir.join("worker-session.txt"), &transcript).unwrap();
        eprintln!("blessed {}", dir.display());
        return;
    }
    const HOW: &str = "fixtures are stale: if the change of behaviour is deliberate, regenerate \
        with `BOURSE_BLESS=1 cargo test -p bourse-conformance --test native` and say why in the \
        commit";
    assert_eq!(Expected::parse(EXPECTED), Ok(fresh), "{HOW}");
    if transcript != TRANSCRIPT {
        let line = transcript
            .lines()
            .zip(TRANSCRIPT.lines())
            .position(|(a, b)| a != b)
            .map_or(
                transcript.lines().count().min(TRANSCRIPT.lines().count()),
                |i| i,
            )
            + 1;
        panic!("worker-session.txt differs from line {line}: {HOW}");
    }
}

// The invariant checks after every command observe and never change: the same figures.
#[test]
fn invariant_checks_do_not_change_the_reference_run() {
    assert_eq!(reference_run(true), Expected::committed().reference);
    assert_eq!(auction_run(true), Expected::committed().auction);
}

// The runs are large enough for the comparison to mean something, and the session did what its
// documentation says (two accepted orders of the human, frames with its executions).
#[test]
fn the_pinned_runs_exercise_the_exchange() {
    let e = Expected::committed();
    assert!(e.reference.event_count > 10_000, "{:?}", e.reference);
    assert!(e.reference.final_input_seq > 1_000, "{:?}", e.reference);
    assert!(e.session.steps >= 60_000, "{:?}", e.session);
    let acks = TRANSCRIPT
        .lines()
        .filter(|l| l.starts_with("< {\"ack\":") && !l.contains("\"input_seq\":null"))
        .count();
    assert_eq!(acks, 2, "accepted orders in the transcript");
    assert!(TRANSCRIPT.lines().filter(|l| l.starts_with("# ")).count() >= 3);
}

#[test]
fn fixture_format_round_trips_and_is_strict() {
    let e = Expected {
        reference: Footer {
            final_input_seq: 1,
            event_count: 2,
            event_digest: u64::MAX,
            state_digest: 0xab,
        },
        ..Expected::default()
    };
    assert_eq!(Expected::parse(&e.render()), Ok(e));
    // Hand-written: digests are hex, counts decimal.
    let text = e.render();
    assert!(text.contains("reference.event_digest ffffffffffffffff\n"));
    assert!(text.contains("reference.state_digest 00000000000000ab\n"));
    let missing = text.replace("session.now_ns 0\n", "");
    assert_eq!(
        Expected::parse(&missing),
        Err("13 of 14 keys present".into())
    );
    let unknown = format!("{text}session.colour 3\n");
    assert!(Expected::parse(&unknown)
        .unwrap_err()
        .contains("unknown key session.colour"));
    let repeated = format!("{text}session.steps 3\n");
    assert!(Expected::parse(&repeated).unwrap_err().contains("repeated"));
    let bad = text.replace("reference.event_count 2", "reference.event_count two");
    assert!(Expected::parse(&bad)
        .unwrap_err()
        .contains("reference.event_count"));
    assert_eq!(unhex(&hex(&[0, 1, 0xfe, 0xff])), Ok(vec![0, 1, 0xfe, 0xff]));
    assert!(unhex("abc").is_err() && unhex("zz").is_err());
}
