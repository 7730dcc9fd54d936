//! Property tests: random command sequences (3 funded accounts, a tight 0.1 % price band so that
//! orders cross and self-trade, every command kind including stops, amends, cancels by client
//! id, cancel-all, halts, withdrawals and malformed input). After every command:
//! - `check_invariants()` holds, and so do stricter outside checks (exact lock per open order,
//!   book and open orders agree, L1 equals the book, no pending stop is already triggerable);
//! - every command is answered by at least one event;
//! - output sequence numbers are dense and increasing, stamped with the command's input sequence
//!   number and timestamp; input sequence numbers are dense;
//! - a command answered by a single reject event changed nothing (public state view);
//! - assets are conserved against an outside tally of accepted deposits and withdrawals;
//! - fills respect the taker's limit, carry the documented fee, and trade ids are dense;
//! - an order whose last report is terminal is gone, one whose last report is live is open;
//! - L2 updates and L3 events rebuild the book, BookTicker is emitted exactly when L1 changes.
//!
//! No command may panic (a panic fails the case and is shrunk).

mod common;

use bourse_core::*;
use common::*;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::collections::BTreeMap;

fn fail(msg: String) -> TestCaseError {
    TestCaseError::fail(msg)
}

fn terminal(s: OrderStatus) -> bool {
    matches!(
        s,
        OrderStatus::Filled
            | OrderStatus::Canceled
            | OrderStatus::Expired
            | OrderStatus::ExpiredInMatch
            | OrderStatus::Rejected
    )
}

fn run_checked(steps: &[(u64, Step)]) -> Result<(), TestCaseError> {
    let cfg = tight_config();
    let n_assets = cfg.assets.len();
    let n_ins = cfg.instruments.len();
    let mut ex = Exchange::new(cfg).unwrap();
    let mut out: Vec<Sequenced> = Vec::new();
    let mut supply = vec![0u128; n_assets];
    let mut l2: Vec<LocalL2> = (0..n_ins as u32)
        .map(|i| LocalL2::from_snapshot(&ex.depth(i, usize::MAX).unwrap()))
        .collect();
    let mut l3 = vec![LocalL3::default(); n_ins];
    let mut l1: Vec<BookTicker> = (0..n_ins as u32)
        .map(|i| ex.book_ticker(i).unwrap())
        .collect();
    let mut next_trade_id = vec![1u64; n_ins];
    for (k, (ts, step)) in steps.iter().enumerate() {
        let cmd = resolve(&ex, step);
        let ctx = || format!("step {k}: {cmd:?}");
        let before = view(&ex);
        let in_seq = ex.next_input_seq();
        let out_seq = ex.next_output_seq();
        out.clear();
        let got = ex.apply(*ts, &cmd, &mut out);
        // Sequencing.
        prop_assert_eq!(got, in_seq, "{}", ctx());
        prop_assert_eq!(ex.next_input_seq(), in_seq + 1);
        prop_assert_eq!(ex.next_output_seq(), out_seq + out.len() as u64);
        for (j, s) in out.iter().enumerate() {
            prop_assert_eq!(s.seq, out_seq + j as u64, "{}", ctx());
            prop_assert_eq!(s.input_seq, in_seq);
            prop_assert_eq!(s.ts_ns, *ts);
        }
        // Invariants.
        ex.check_invariants()
            .map_err(|e| fail(format!("{}: {e}", ctx())))?;
        check_exact_locks(&ex).map_err(|e| fail(format!("{}: {e}", ctx())))?;
        // A lone reject changes nothing.
        if out.len() == 1 && reject_reason(&out[0].event).is_some() {
            prop_assert_eq!(&view(&ex), &before, "{}: rejected but changed state", ctx());
        }
        // Every command is answered.
        prop_assert!(!out.is_empty(), "{}: no events", ctx());
        // Conservation against an outside tally.
        let accepted = out
            .first()
            .is_some_and(|s| matches!(s.event, Event::BalanceUpdate { .. }));
        match cmd {
            Command::Deposit { .. } if accepted => {
                let Event::BalanceUpdate {
                    account,
                    asset,
                    available,
                    ..
                } = out[0].event
                else {
                    unreachable!()
                };
                let prev = before.balances[account as usize - 1][asset as usize].available;
                supply[asset as usize] += (available - prev) as u128;
            }
            Command::Withdraw { .. } if accepted => {
                let Event::BalanceUpdate {
                    account,
                    asset,
                    available,
                    ..
                } = out[0].event
                else {
                    unreachable!()
                };
                let prev = before.balances[account as usize - 1][asset as usize].available;
                supply[asset as usize] -= (prev - available) as u128;
            }
            _ => {}
        }
        for (s, &sup) in supply.iter().enumerate() {
            let held: u128 = (1..=ex.account_count())
                .map(|a| {
                    let b = ex.balance(a, s as AssetId).unwrap();
                    b.available as u128 + b.locked as u128
                })
                .sum();
            prop_assert_eq!(
                held + ex.fees_collected(s as AssetId),
                sup,
                "{}: asset {} not conserved",
                ctx(),
                s
            );
        }
        // Per-event checks.
        let mut last_status: BTreeMap<OrderId, OrderStatus> = BTreeMap::new();
        let mut tickers = vec![0; n_ins];
        for s in &out {
            match &s.event {
                Event::Execution(r) => {
                    if r.order_id != 0 {
                        last_status.insert(r.order_id, r.status);
                    }
                    if r.exec_type == ExecType::Trade {
                        let rules = ex.rules(r.instrument).unwrap();
                        prop_assert_eq!(
                            r.last_quote as i128,
                            rules.notional(r.last_price, r.last_qty)
                        );
                        let rate = match r.liquidity {
                            Some(Liquidity::Maker) => rules.maker_fee_ppm,
                            Some(Liquidity::Taker) => rules.taker_fee_ppm,
                            None => return Err(fail(format!("{}: fill without liquidity", ctx()))),
                        };
                        prop_assert_eq!(r.fee as i128, fee_units(r.last_quote as i128, rate));
                        prop_assert_eq!(r.fee_asset, rules.quote);
                        if r.liquidity == Some(Liquidity::Maker)
                            && !matches!(cmd, Command::Uncross { .. })
                        {
                            // Trades print at the resting order's price (in continuous trading;
                            // an uncross prints every trade at the one uncross price).
                            prop_assert_eq!(r.last_price, r.price, "{}", ctx());
                        }
                        if r.price > 0 {
                            // Never through the order's own limit.
                            match r.side {
                                Side::Buy => prop_assert!(r.last_price <= r.price, "{}", ctx()),
                                Side::Sell => prop_assert!(r.last_price >= r.price, "{}", ctx()),
                            }
                        }
                        prop_assert!(r.quantity == 0 || r.cum_qty <= r.quantity);
                    }
                }
                Event::Trade(t) => {
                    let i = t.instrument as usize;
                    prop_assert_eq!(t.trade_id, next_trade_id[i], "{}", ctx());
                    next_trade_id[i] += 1;
                    prop_assert!(t.qty > 0);
                }
                Event::DepthUpdate(u) => {
                    l2[u.instrument as usize]
                        .apply(u)
                        .map_err(|e| fail(format!("{}: {e}", ctx())))?;
                }
                Event::L3(e) => {
                    let i = match *e {
                        L3Event::Added { instrument, .. }
                        | L3Event::Reduced { instrument, .. }
                        | L3Event::Removed { instrument, .. } => instrument,
                    } as usize;
                    l3[i]
                        .apply(e)
                        .map_err(|err| fail(format!("{}: {err}", ctx())))?;
                }
                Event::BookTicker(t) => {
                    let i = t.instrument as usize;
                    tickers[i] += 1;
                    prop_assert!(
                        (t.bid, t.ask) != (l1[i].bid, l1[i].ask),
                        "{}: L1 unchanged",
                        ctx()
                    );
                    l1[i] = *t;
                }
                _ => {}
            }
        }
        for (id, st) in last_status {
            let open = ex.open_order(id).is_some();
            prop_assert_eq!(
                open,
                !terminal(st),
                "{}: order {} last status {:?}",
                ctx(),
                id,
                st
            );
        }
        for i in 0..n_ins {
            let book = ex.book(i as u32).unwrap();
            prop_assert!(tickers[i] <= 1);
            prop_assert_eq!(
                (l1[i].bid, l1[i].ask),
                (book.best_bid(), book.best_ask()),
                "{}: L1 change not published",
                ctx()
            );
            prop_assert_eq!(
                l2[i].as_snapshot(i as u32),
                ex.depth(i as u32, usize::MAX).unwrap(),
                "{}",
                ctx()
            );
            prop_assert_eq!(l3[i].levels(), l3_levels(&book.l3()), "{}", ctx());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 3000,
        max_shrink_iters: 4000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_commands_keep_every_invariant(steps in scenario_strategy(1..200)) {
        run_checked(&steps)?;
    }
}

/// A few long scenarios on top of the many short ones.
#[test]
fn long_seeded_scenarios_keep_every_invariant() {
    for seed in 100..110 {
        let steps = seeded_scenario(seed, 3000);
        if let Err(e) = run_checked(&steps) {
            panic!("seed {seed}: {e}");
        }
    }
}
