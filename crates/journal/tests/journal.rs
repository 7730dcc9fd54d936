//! The journal's contract: records come back as written, a torn tail is cut and only it,
//! corruption anywhere else stops recovery naming the segment and offset, snapshots are atomic
//! and checked, the data directory has one owner.

use bourse_core::{
    Command, ExchangeConfig, NewOrder, OrderRef, OrderSpec, OrderType, Side, StpMode, TimeInForce,
};
use bourse_journal::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("bourse-journal-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn limit(account: u32, price: &str, qty: &str, cid: Option<u64>) -> Command {
    Command::PlaceOrder(NewOrder {
        account,
        spec: OrderSpec {
            instrument: 0,
            side: Side::Buy,
            order_type: OrderType::Limit,
            tif: TimeInForce::Gtc,
            price: Some(dec(price)),
            quantity: Some(dec(qty)),
            quote_quantity: None,
            stop_price: None,
            post_only: false,
            stp: StpMode::None,
            client_order_id: cid,
        },
    })
}

/// Command `i` of a test journal: a mix of every variant.
fn command(i: u64) -> Command {
    match i % 6 {
        0 => Command::CreateAccount {
            max_open_orders: None,
            daily_notional_limit: None,
        },
        1 => Command::Deposit {
            account: 1,
            asset: 2,
            amount: dec("1000.5"),
        },
        2 => limit(1, "60000.01", "0.001", Some(i)),
        3 => Command::CancelOrder {
            account: 1,
            instrument: 0,
            order: OrderRef::ClientOrderId(i - 1),
        },
        4 => Command::AmendOrder {
            account: 1,
            instrument: 0,
            order: OrderRef::OrderId(i),
            price: None,
            quantity: Some(dec("0.5")),
        },
        _ => Command::Halt { instrument: 1 },
    }
}

fn meta() -> serde_json::Value {
    serde_json::json!({"scenario": "calm", "seed": 7})
}

/// A journal of `n` commands in `dir`, committed in batches of `batch`.
fn write_journal(dir: &Path, n: u64, batch: u64, max_segment: u64) {
    let scan = scan(dir, 1, |_, _, _| Ok(())).unwrap();
    let mut w = JournalWriter::resume(
        dir,
        &scan,
        ExchangeConfig::default_spot(),
        meta(),
        max_segment,
    )
    .unwrap();
    for i in 1..=n {
        w.append(i, 1_000 + i, &command(i));
        if i % batch == 0 {
            w.commit().unwrap();
        }
    }
    w.commit().unwrap();
}

fn read_all(dir: &Path) -> (Scan, Vec<(u64, u64, Command)>) {
    let mut got = Vec::new();
    let s = scan(dir, 1, |seq, ts, c| {
        got.push((seq, ts, c));
        Ok(())
    })
    .unwrap();
    (s, got)
}

// Hand-written bytes of the codec (format 1, docs in codec.rs).
#[test]
fn codec_known_answers() {
    let mut b = Vec::new();
    encode_command(&Command::Halt { instrument: 7 }, &mut b);
    assert_eq!(b, [7, 7, 0, 0, 0]);
    b.clear();
    // The call auction's commands: tags 9 and 10, then the instrument.
    encode_command(&Command::StartAuction { instrument: 3 }, &mut b);
    assert_eq!(b, [9, 3, 0, 0, 0]);
    assert_eq!(
        decode_command(&b).unwrap(),
        Command::StartAuction { instrument: 3 }
    );
    b.clear();
    encode_command(&Command::Uncross { instrument: 0x0201 }, &mut b);
    assert_eq!(b, [10, 1, 2, 0, 0]);
    assert_eq!(
        decode_command(&b).unwrap(),
        Command::Uncross { instrument: 0x0201 }
    );
    b.clear();
    encode_command(
        &Command::CancelOrder {
            account: 2,
            instrument: 1,
            order: OrderRef::ClientOrderId(0x0102),
        },
        &mut b,
    );
    assert_eq!(b, [4, 2, 0, 0, 0, 1, 0, 0, 0, 1, 2, 1, 0, 0, 0, 0, 0, 0]);
    b.clear();
    // 1.5 = mantissa 15, scale 1: flags 0x00010000, then lo, mid, hi of the mantissa.
    encode_command(
        &Command::Deposit {
            account: 1,
            asset: 0,
            amount: dec("1.5"),
        },
        &mut b,
    );
    let mut want = vec![1, 1, 0, 0, 0, 0, 0, 0, 0];
    want.extend_from_slice(&[0, 0, 1, 0, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(b, want);
    assert_eq!(
        decode_command(&want).unwrap(),
        Command::Deposit {
            account: 1,
            asset: 0,
            amount: dec("1.5")
        }
    );
    // Trailing bytes, unknown tags and impossible decimals are refused.
    want.push(0);
    assert_eq!(decode_command(&want), Err(CodecError::Trailing(1)));
    assert!(matches!(
        decode_command(&[11]),
        Err(CodecError::UnknownCode {
            what: "command",
            code: 11
        })
    ));
    let mut bad = vec![1, 1, 0, 0, 0, 0, 0, 0, 0];
    bad.extend_from_slice(&[0, 0, 29, 0, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert!(matches!(
        decode_command(&bad),
        Err(CodecError::BadDecimal(_))
    ));
    assert!(matches!(
        decode_command(&[3, 1]),
        Err(CodecError::Truncated { .. })
    ));
}

fn arb_dec() -> impl Strategy<Value = Decimal> {
    (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Decimal::new(m, s))
}

fn arb_command() -> impl Strategy<Value = Command> {
    let side = prop_oneof![Just(Side::Buy), Just(Side::Sell)];
    let ot = prop_oneof![
        Just(OrderType::Limit),
        Just(OrderType::Market),
        Just(OrderType::StopLimit),
        Just(OrderType::StopMarket)
    ];
    let tif = prop_oneof![
        Just(TimeInForce::Gtc),
        Just(TimeInForce::Ioc),
        Just(TimeInForce::Fok)
    ];
    let stp = prop_oneof![
        Just(StpMode::None),
        Just(StpMode::ExpireTaker),
        Just(StpMode::ExpireMaker),
        Just(StpMode::ExpireBoth)
    ];
    let oref = prop_oneof![
        any::<u64>().prop_map(OrderRef::OrderId),
        any::<u64>().prop_map(OrderRef::ClientOrderId)
    ];
    prop_oneof![
        (
            proptest::option::of(any::<u32>()),
            proptest::option::of(arb_dec())
        )
            .prop_map(|(m, d)| {
                Command::CreateAccount {
                    max_open_orders: m,
                    daily_notional_limit: d,
                }
            }),
        (any::<u32>(), any::<u32>(), arb_dec()).prop_map(|(account, asset, amount)| {
            Command::Deposit {
                account,
                asset,
                amount,
            }
        }),
        (any::<u32>(), any::<u32>(), arb_dec()).prop_map(|(account, asset, amount)| {
            Command::Withdraw {
                account,
                asset,
                amount,
            }
        }),
        (
            (any::<u32>(), any::<u32>(), side, ot, tif),
            (
                proptest::option::of(arb_dec()),
                proptest::option::of(arb_dec()),
                proptest::option::of(arb_dec()),
                proptest::option::of(arb_dec())
            ),
            (any::<bool>(), stp, proptest::option::of(any::<u64>()))
        )
            .prop_map(
                |(
                    (account, instrument, side, order_type, tif),
                    (price, quantity, quote_quantity, stop_price),
                    (post_only, stp, client_order_id),
                )| {
                    Command::PlaceOrder(NewOrder {
                        account,
                        spec: OrderSpec {
                            instrument,
                            side,
                            order_type,
                            tif,
                            price,
                            quantity,
                            quote_quantity,
                            stop_price,
                            post_only,
                            stp,
                            client_order_id,
                        },
                    })
                }
            ),
        (any::<u32>(), any::<u32>(), oref.clone()).prop_map(|(account, instrument, order)| {
            Command::CancelOrder {
                account,
                instrument,
                order,
            }
        }),
        (any::<u32>(), proptest::option::of(any::<u32>())).prop_map(|(account, instrument)| {
            Command::CancelAll {
                account,
                instrument,
            }
        }),
        (
            any::<u32>(),
            any::<u32>(),
            oref,
            proptest::option::of(arb_dec()),
            proptest::option::of(arb_dec())
        )
            .prop_map(|(account, instrument, order, price, quantity)| {
                Command::AmendOrder {
                    account,
                    instrument,
                    order,
                    price,
                    quantity,
                }
            }),
        any::<u32>().prop_map(|instrument| Command::Halt { instrument }),
        any::<u32>().prop_map(|instrument| Command::Resume { instrument }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn codec_round_trips(c in arb_command()) {
        let mut b = Vec::new();
        encode_command(&c, &mut b);
        prop_assert_eq!(decode_command(&b), Ok(c));
        // Every strict prefix is refused, never decoded to something else.
        for k in 0..b.len() {
            prop_assert!(decode_command(&b[..k]).is_err());
        }
    }

    #[test]
    fn decoding_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        let _ = decode_command(&bytes);
    }
}

#[test]
fn records_come_back_as_written_across_segments() {
    let d = tmp("roundtrip");
    write_journal(&d, 5_000, 37, 16 * 1024);
    let (s, got) = read_all(&d);
    assert!(s.segments.len() > 5, "{} segments", s.segments.len());
    assert_eq!(
        (s.first_seq, s.last_seq, s.delivered, s.torn.clone()),
        (1, 5_000, 5_000, None)
    );
    for (k, (seq, ts, c)) in got.iter().enumerate() {
        let i = k as u64 + 1;
        assert_eq!((*seq, *ts, c), (i, 1_000 + i, &command(i)));
    }
    // Segments are contiguous and named by their first seq.
    for w in s.segments.windows(2) {
        assert_eq!(w[1].first_seq, w[0].last_seq + 1);
    }
    assert_eq!(s.header.as_ref().unwrap().meta, meta());
    // Reading from a later seq skips whole segments and delivers exactly the rest.
    let mut first = None;
    let s2 = scan(&d, 4_000, |seq, _, _| {
        first.get_or_insert(seq);
        Ok(())
    })
    .unwrap();
    assert_eq!(
        (first, s2.delivered, s2.last_seq),
        (Some(4_000), 1_001, 5_000)
    );
    // Appending after a reopen continues the sequence.
    write_more(&d, 5_001, 100);
    let (s3, _) = read_all(&d);
    assert_eq!(s3.last_seq, 5_100);
}

fn write_more(d: &Path, from: u64, n: u64) {
    let s = scan(d, u64::MAX, |_, _, _| Ok(())).unwrap();
    assert_eq!(s.last_seq + 1, from);
    let mut w =
        JournalWriter::resume(d, &s, ExchangeConfig::default_spot(), meta(), 16 * 1024).unwrap();
    for i in from..from + n {
        w.append(i, 1_000 + i, &command(i));
    }
    w.commit().unwrap();
}

fn last_segment(d: &Path) -> PathBuf {
    let s = scan(d, u64::MAX, |_, _, _| Ok(())).unwrap();
    s.segments.last().unwrap().path.clone()
}

// A crash in the middle of a write leaves a record cut short: every cut point in the last
// record is detected, the whole records before it survive, and the writer continues after them.
#[test]
fn a_torn_final_record_is_cut_off() {
    let d = tmp("torn");
    write_journal(&d, 200, 10, 1 << 30);
    let seg = last_segment(&d);
    let full = std::fs::read(&seg).unwrap();
    // Offset of the last record: scan a journal of 199 records for its valid length.
    let d199 = tmp("torn-199");
    write_journal(&d199, 199, 10, 1 << 30);
    let last_start = std::fs::metadata(last_segment(&d199)).unwrap().len() as usize;
    assert!(last_start < full.len());
    for cut in [
        last_start + 1,
        last_start + 8,
        last_start + 20,
        full.len() - 1,
    ] {
        std::fs::write(&seg, &full[..cut]).unwrap();
        let (s, got) = read_all(&d);
        assert_eq!(s.last_seq, 199, "cut at {cut}");
        assert_eq!(got.len(), 199);
        let t = s.torn.clone().expect("torn tail reported");
        assert_eq!(
            (t.segment.clone(), t.offset, t.bytes),
            (seg.clone(), last_start as u64, (cut - last_start) as u64)
        );
        // Resume cuts it and appends record 200 again.
        write_more(&d, 200, 1);
        let (s2, got2) = read_all(&d);
        assert_eq!((s2.last_seq, s2.torn), (200, None));
        assert_eq!(got2[199].2, command(200));
        std::fs::write(&seg, &full).unwrap();
    }
    // A flipped byte in the last record's body is a torn write too (nothing valid follows).
    let mut flipped = full.clone();
    *flipped.last_mut().unwrap() ^= 0x40;
    std::fs::write(&seg, &flipped).unwrap();
    let (s, _) = read_all(&d);
    assert_eq!(
        (s.last_seq, s.torn.unwrap().offset),
        (199, last_start as u64)
    );
}

// Corruption before the tail is never skipped: recovery stops and names the segment and offset.
#[test]
fn a_corrupt_middle_record_stops_recovery() {
    let d = tmp("corrupt");
    write_journal(&d, 300, 10, 1 << 30);
    let seg = last_segment(&d);
    let d100 = tmp("corrupt-100");
    write_journal(&d100, 100, 10, 1 << 30);
    let rec101 = std::fs::metadata(last_segment(&d100)).unwrap().len();
    let mut bytes = std::fs::read(&seg).unwrap();
    bytes[rec101 as usize + 12] ^= 0x01; // inside record 101's body (its input seq)
    std::fs::write(&seg, &bytes).unwrap();
    let mut delivered = 0;
    let err = scan(&d, 1, |_, _, _| {
        delivered += 1;
        Ok(())
    })
    .unwrap_err();
    match err {
        JournalError::Corrupt {
            segment,
            offset,
            reason,
        } => {
            assert_eq!((segment, offset), (seg.clone(), rec101));
            assert!(reason.contains("checksum"), "{reason}");
        }
        other => panic!("{other}"),
    }
    assert_eq!(delivered, 100);
    // The same damage in a segment that is not the last is corruption even at its end.
    let d2 = tmp("corrupt-seg");
    write_journal(&d2, 2_000, 50, 8 * 1024);
    let s = scan(&d2, 1, |_, _, _| Ok(())).unwrap();
    let first = &s.segments[0];
    let mut b = std::fs::read(&first.path).unwrap();
    let n = b.len();
    b[n - 3] ^= 0xff;
    std::fs::write(&first.path, &b).unwrap();
    assert!(matches!(
        scan(&d2, 1, |_, _, _| Ok(())),
        Err(JournalError::Corrupt { segment, .. }) if segment == first.path
    ));
    // A gap in the sequence numbers is refused.
    let d3 = tmp("gap");
    write_journal(&d3, 10, 10, 1 << 30);
    let seg3 = last_segment(&d3);
    let mut b3 = std::fs::read(&seg3).unwrap();
    encode_record(12, 5, &command(12), &mut b3);
    std::fs::write(&seg3, &b3).unwrap();
    assert!(matches!(
        scan(&d3, 1, |_, _, _| Ok(())),
        Err(JournalError::Gap {
            expected: 11,
            found: 12,
            ..
        })
    ));
}

#[test]
fn a_callback_refusal_names_the_record() {
    let d = tmp("refuse");
    write_journal(&d, 20, 5, 1 << 30);
    let err = scan(
        &d,
        1,
        |seq, _, _| if seq == 13 { Err("no".into()) } else { Ok(()) },
    )
    .unwrap_err();
    assert!(matches!(err, JournalError::Replay { seq: 13, .. }), "{err}");
}

#[test]
fn resuming_with_another_configuration_is_refused() {
    let d = tmp("mismatch");
    write_journal(&d, 3, 3, 1 << 30);
    let s = scan(&d, 1, |_, _, _| Ok(())).unwrap();
    let mut other = ExchangeConfig::default_spot();
    other.default_max_open_orders += 1;
    assert!(matches!(
        JournalWriter::resume(&d, &s, other, meta(), 1 << 30),
        Err(JournalError::Mismatch { .. })
    ));
}

#[test]
fn snapshots_are_checked_and_the_newest_valid_one_wins() {
    let d = tmp("snap");
    assert_eq!(load_newest_snapshot(&d).unwrap(), None);
    write_snapshot(&d, 100, b"state at 100").unwrap();
    let p200 = write_snapshot(&d, 200, b"state at 200").unwrap();
    let s = load_newest_snapshot(&d).unwrap().unwrap();
    assert_eq!(
        (s.seq, s.payload.as_slice(), s.skipped.len()),
        (200, &b"state at 200"[..], 0)
    );
    // A damaged newest snapshot is passed over, and said so.
    let mut b = std::fs::read(&p200).unwrap();
    let n = b.len();
    b[n - 1] ^= 1;
    std::fs::write(&p200, &b).unwrap();
    let s = load_newest_snapshot(&d).unwrap().unwrap();
    assert_eq!(s.seq, 100);
    assert_eq!(s.skipped.len(), 1);
    assert!(s.skipped[0].1.contains("checksum"), "{:?}", s.skipped);
    // A half-written temporary file never counts, and pruning removes it.
    std::fs::write(d.join("snapshot-00000000000000000300.bin.tmp"), b"half").unwrap();
    assert_eq!(load_newest_snapshot(&d).unwrap().unwrap().seq, 100);
    write_snapshot(&d, 300, b"state at 300").unwrap();
    assert_eq!(prune_snapshots(&d, 1).unwrap(), 2);
    assert_eq!(list_snapshots(&d).unwrap().len(), 1);
}

#[test]
fn a_data_directory_has_one_owner() {
    let d = tmp("lock");
    let a = DataDir::open(&d).unwrap();
    assert!(matches!(DataDir::open(&d), Err(JournalError::Locked(_))));
    drop(a);
    assert!(DataDir::open(&d).is_ok());
}
