//! Snapshot, restore and replay: a snapshot at input seq N, restored and fed the rest of the
//! command log, gives the same events (equal structs and byte-identical JSON), the same running
//! event digest and the same state digest as the uninterrupted run. The same command log always
//! gives the same output. Restoring bytes that are not a valid snapshot is an error, never a panic.

mod common;

use bourse_core::digest::digest_of;
use bourse_core::exchange::SnapshotError;
use bourse_core::*;
use common::*;
use proptest::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The concrete command log of a seeded scenario (cancels/amends resolved against live orders).
fn log(seed: u64, len: usize) -> Vec<(u64, Command)> {
    run_scenario(tight_config(), &seeded_scenario(seed, len)).1
}

/// Like [`log`] with timestamps 1 ms apart, so that candle rings (and snapshots) stay small.
fn compact_log(seed: u64, len: usize) -> Vec<(u64, Command)> {
    let steps: Vec<(u64, Step)> = seeded_scenario(seed, len)
        .into_iter()
        .enumerate()
        .map(|(k, (_, step))| (1_700_000_000 * SEC + k as u64 * MS, step))
        .collect();
    run_scenario(tight_config(), &steps).1
}

fn apply_all(ex: &mut Exchange, cmds: &[(u64, Command)]) -> Vec<Sequenced> {
    let mut out = Vec::new();
    for (ts, c) in cmds {
        ex.apply(*ts, c, &mut out);
    }
    out
}

fn json(events: &[Sequenced]) -> Vec<u8> {
    serde_json::to_vec(events).unwrap()
}

/// Split at `n`: run `cmds[..n]`, snapshot, restore, run `cmds[n..]`; compare with `full`.
fn check_split(cmds: &[(u64, Command)], n: usize, full: &Exchange, full_events: &[Sequenced]) {
    let mut first = Exchange::new(tight_config()).unwrap();
    let head = apply_all(&mut first, &cmds[..n]);
    assert_eq!(
        head[..],
        full_events[..head.len()],
        "split {n}: prefix differs"
    );
    let bytes = first.snapshot();
    let mut restored = Exchange::restore(&bytes).expect("restore");
    // The restored state is the same state.
    assert_eq!(
        restored.snapshot(),
        bytes,
        "split {n}: snapshot of restore differs"
    );
    assert_eq!(restored.state_digest(), first.state_digest());
    assert_eq!(restored.event_digest(), first.event_digest());
    assert_eq!(view(&restored), view(&first));
    restored.check_invariants().unwrap();
    let tail = apply_all(&mut restored, &cmds[n..]);
    assert_eq!(
        tail[..],
        full_events[head.len()..],
        "split {n}: tail events differ"
    );
    assert_eq!(
        json(&tail),
        json(&full_events[head.len()..]),
        "split {n}: JSON differs"
    );
    assert_eq!(
        restored.event_digest(),
        full.event_digest(),
        "split {n}: event digest"
    );
    assert_eq!(
        restored.state_digest(),
        full.state_digest(),
        "split {n}: state digest"
    );
    assert_eq!(
        restored.snapshot(),
        full.snapshot(),
        "split {n}: final snapshot"
    );
    assert_eq!(restored.next_input_seq(), full.next_input_seq());
    assert_eq!(restored.next_output_seq(), full.next_output_seq());
}

#[test]
fn snapshot_restore_replay_equals_full_run() {
    for seed in [7u64, 8, 9] {
        let cmds = log(seed, 700);
        let mut full = Exchange::new(tight_config()).unwrap();
        let events = apply_all(&mut full, &cmds);
        assert!(
            events
                .iter()
                .filter(|s| matches!(s.event, Event::Trade(_)))
                .count()
                > 20
        );
        assert!(
            full.open_order_count() > 0,
            "seed {seed}: state worth snapshotting"
        );
        // The running digest is the digest of the whole stream.
        assert_eq!(full.event_digest(), digest_of(&events));
        let setup = setup_commands().len();
        for n in [0, 1, setup, setup + 1, 100, 250, 349, 500, 699, cmds.len()] {
            check_split(&cmds, n.min(cmds.len()), &full, &events);
        }
    }
}

#[test]
fn snapshot_layout_starts_with_version_and_config() {
    // The config is stored with the same bytes as its own postcard encoding (decimals as
    // strings), right after the version: restoring must decode exactly that.
    let mut cfg = tight_config();
    cfg.instruments[1].tick_size = d("0.010"); // a scale that must survive the round trip
    let ex = Exchange::new(cfg.clone()).unwrap();
    let snap = ex.snapshot();
    let cfg_bytes = postcard::to_stdvec(&cfg).unwrap();
    assert_eq!(snap[0], 2);
    assert_eq!(&snap[1..1 + cfg_bytes.len()], &cfg_bytes[..]);
    let r = Exchange::restore(&snap).unwrap();
    assert_eq!(r.config(), &cfg);
    assert_eq!(r.config().instruments[1].tick_size.scale(), 3);
    assert_eq!(r.snapshot(), snap);
}

#[test]
fn snapshot_chain_every_50_commands() {
    // Snapshot/restore repeatedly along one run: every hop must be lossless.
    let cmds = log(11, 600);
    let mut full = Exchange::new(tight_config()).unwrap();
    let events = apply_all(&mut full, &cmds);
    let mut ex = Exchange::new(tight_config()).unwrap();
    let mut out = Vec::new();
    for (k, chunk) in cmds.chunks(50).enumerate() {
        ex = Exchange::restore(&ex.snapshot()).unwrap_or_else(|e| panic!("hop {k}: {e}"));
        for (ts, c) in chunk {
            ex.apply(*ts, c, &mut out);
        }
    }
    assert_eq!(out, events);
    assert_eq!(ex.state_digest(), full.state_digest());
    assert_eq!(ex.event_digest(), full.event_digest());
}

#[test]
fn same_commands_same_output() {
    let cmds = log(21, 800);
    let mut a = Exchange::new(tight_config()).unwrap();
    let mut b = Exchange::new(tight_config()).unwrap();
    let ea = apply_all(&mut a, &cmds);
    let eb = apply_all(&mut b, &cmds);
    assert_eq!(json(&ea), json(&eb));
    assert_eq!(a.event_digest(), b.event_digest());
    assert_eq!(a.state_digest(), b.state_digest());
    assert_ne!(a.event_digest(), 0);
    // A clone taken midway continues identically.
    let mut c = Exchange::new(tight_config()).unwrap();
    let mut ec = apply_all(&mut c, &cmds[..400]);
    let mut d = c.clone();
    let ed = apply_all(&mut d, &cmds[400..]);
    ec.extend(apply_all(&mut c, &cmds[400..]));
    assert_eq!(ec, ea);
    assert_eq!(ed[..], ea[ea.len() - ed.len()..]);
    assert_eq!(d.state_digest(), a.state_digest());
    // A different log gives a different digest.
    let mut e = Exchange::new(tight_config()).unwrap();
    apply_all(&mut e, &cmds[..cmds.len() - 1]);
    assert_ne!(e.event_digest(), a.event_digest());
}

#[test]
fn command_log_replay_checks_sequence_numbers() {
    let cmds = log(31, 200);
    let sequenced: Vec<SequencedCommand> = cmds
        .iter()
        .enumerate()
        .map(|(i, (ts, c))| SequencedCommand {
            seq: i as u64 + 1,
            ts_ns: *ts,
            cmd: c.clone(),
        })
        .collect();
    let mut a = Exchange::new(tight_config()).unwrap();
    let full = apply_all(&mut a, &cmds);
    let mut b = Exchange::new(tight_config()).unwrap();
    let mut out = Vec::new();
    // Out of order: refused, nothing applied.
    assert_eq!(b.apply_sequenced(&sequenced[1], &mut out), Err(1));
    assert!(out.is_empty());
    assert_eq!(b.next_input_seq(), 1);
    for j in &sequenced {
        b.apply_sequenced(j, &mut out).unwrap();
    }
    assert_eq!(out, full);
    // A replayed (duplicate) entry is refused.
    assert_eq!(
        b.apply_sequenced(&sequenced[5], &mut out),
        Err(sequenced.len() as u64 + 1)
    );
    assert_eq!(b.state_digest(), a.state_digest());
}

// ------------------------------------------------------------------ bad snapshots

fn restore_no_panic(bytes: &[u8]) -> Result<Option<Exchange>, String> {
    match catch_unwind(AssertUnwindSafe(|| Exchange::restore(bytes))) {
        Ok(Ok(ex)) => Ok(Some(ex)),
        Ok(Err(_)) => Ok(None),
        Err(_) => Err(format!("restore panicked on {} bytes", bytes.len())),
    }
}

#[test]
fn restore_garbage_is_an_error() {
    assert!(matches!(
        Exchange::restore(&[]),
        Err(SnapshotError::Decode(_))
    ));
    // Pseudo-random garbage of many lengths (xorshift, fixed seed).
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for len in 0..600usize {
        let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let r = restore_no_panic(&bytes).unwrap();
        assert!(r.is_none(), "{len} random bytes restored as a snapshot");
    }
    // Every strict prefix of a real snapshot is an error.
    let cmds = compact_log(41, 150);
    let mut ex = Exchange::new(tight_config()).unwrap();
    apply_all(&mut ex, &cmds);
    let snap = ex.snapshot();
    for n in 0..snap.len() {
        assert!(
            restore_no_panic(&snap[..n]).unwrap().is_none(),
            "prefix of {n} of {} bytes restored",
            snap.len()
        );
    }
    // A snapshot of another version is refused.
    let mut v1 = snap.clone();
    assert_eq!(v1[0], 2, "version is the first field (varint)");
    v1[0] = 1;
    assert!(matches!(
        Exchange::restore(&v1),
        Err(SnapshotError::Version(1))
    ));
}

#[test]
fn restore_corrupted_snapshot_never_panics() {
    // Single-byte corruptions of a real snapshot either fail to restore or give an exchange whose
    // invariants hold (and that keeps working).
    let cmds = compact_log(43, 150);
    let mut ex = Exchange::new(tight_config()).unwrap();
    apply_all(&mut ex, &cmds);
    assert!(ex.open_order_count() > 0 && ex.last_price(BTC_USDT).is_some());
    let snap = ex.snapshot();
    let tail = compact_log(44, 20);
    let mut bad = Vec::new();
    let mut rejected = 0;
    for i in 0..snap.len() {
        for delta in [1u8, 0xFF] {
            let mut b = snap.clone();
            b[i] = b[i].wrapping_add(delta);
            match restore_no_panic(&b) {
                Err(e) => bad.push(format!("byte {i} +{delta}: {e}")),
                Ok(None) => rejected += 1,
                Ok(Some(mut r)) => {
                    let ok = catch_unwind(AssertUnwindSafe(|| {
                        r.check_invariants()?;
                        r.check_every_command = true;
                        let mut out = Vec::new();
                        for (_, c) in &tail {
                            let ts = r.last_ts_ns();
                            r.apply(ts, c, &mut out);
                        }
                        r.check_invariants()
                    }));
                    match ok {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => bad.push(format!(
                            "byte {i} +{delta}: restored with broken invariants: {e}"
                        )),
                        Err(_) => {
                            bad.push(format!("byte {i} +{delta}: restored exchange panicked"))
                        }
                    }
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} corruptions misbehaved, e.g. {:?}",
        bad.len(),
        &bad[..bad.len().min(5)]
    );
    // Most corruptions are caught (some, e.g. in a balance's order-free available amount with a
    // matching deposit total, cannot be told apart from a valid state).
    assert!(
        rejected > snap.len(),
        "only {rejected} of {} corruptions rejected",
        2 * snap.len()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Random log, random split point.
    #[test]
    fn snapshot_at_any_point_replays_identically(
        steps in scenario_strategy(1..150),
        split in any::<prop::sample::Index>(),
    ) {
        let (full, cmds, events) = run_scenario(tight_config(), &steps);
        let n = split.index(cmds.len() + 1);
        check_split(&cmds, n, &full, &events);
    }
}
