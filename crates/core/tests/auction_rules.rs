//! Hand-checked call auctions at the exchange level on `ExchangeConfig::default_spot()`.
//!
//! Units (BTC-USDT, as in `exchange_rules.rs`): price `P` USDT = `P × 100` ticks; 0.01 BTC =
//! 1_000 lots; 1 USDT = 10^8 units; maker fee 800 ppm, taker 1000 ppm; the configured reference
//! price is 60000 USDT (6_000_000 ticks) until the first trade.

mod common;

use bourse_core::*;
use common::*;

const BUY: Side = Side::Buy;
const SELL: Side = Side::Sell;
const USDT_UNIT: u64 = 100_000_000;

fn po(o: NewOrder) -> Command {
    Command::PlaceOrder(o)
}

fn start() -> Command {
    Command::StartAuction {
        instrument: BTC_USDT,
    }
}

fn uncross() -> Command {
    Command::Uncross {
        instrument: BTC_USDT,
    }
}

fn indicatives(evs: &[Event]) -> Vec<(Option<Ticks>, Lots, Lots, Option<Side>)> {
    evs.iter()
        .filter_map(|e| match *e {
            Event::IndicativeUncross {
                price,
                volume,
                surplus,
                surplus_side,
                ..
            } => Some((price, volume, surplus, surplus_side)),
            _ => None,
        })
        .collect()
}

#[test]
fn an_opening_auction_from_start_to_uncross() {
    let mut h = H::new();
    let a = h.account("100000", "1");
    let b = h.account("100000", "1");
    let c = h.account("100000", "1");
    // Start: the phase, then the first indicative (an empty book does not cross).
    assert_eq!(
        h.run(start()),
        vec![
            Event::TradingPhase {
                instrument: BTC_USDT,
                phase: TradingPhase::Auction
            },
            Event::IndicativeUncross {
                instrument: BTC_USDT,
                price: None,
                volume: 0,
                surplus: 0,
                surplus_side: None
            }
        ]
    );
    assert_eq!(h.ex.trading_phase(BTC_USDT), TradingPhase::Auction);
    h.assert_rejected(start(), Reason::WrongTradingPhase);

    // a sells 0.01 @ 60000 (id 1): still no cross, so no new indicative.
    let (id1, evs) = h.place_ok(limit(a, SELL, "60000", "0.01"));
    assert!(indicatives(&evs).is_empty());
    // b buys 0.02 @ 60100 (id 2): crosses but does not trade.
    // p = 6_000_000: D 2000, S 1000 -> 1000, surplus 1000; the same at every p up to 6_010_000,
    // so the reference 6_000_000 itself is the price.
    let (id2, evs) = h.place_ok(limit(b, BUY, "60100", "0.02"));
    assert!(trades(&evs).is_empty());
    assert_eq!(
        indicatives(&evs),
        vec![(Some(6_000_000), 1000, 1000, Some(BUY))]
    );
    assert_eq!(
        h.ex.book(BTC_USDT).unwrap().best_bid(),
        Some((6_010_000, 2000))
    );
    assert_eq!(
        h.ex.book(BTC_USDT).unwrap().best_ask(),
        Some((6_000_000, 1000))
    );
    // c sells 0.01 @ 60050 (id 3): asks 1000 @ 6_000_000 and 1000 @ 6_005_000.
    // p = 6_000_000: D 2000, S 1000 -> 1000.  p in [6_005_000, 6_010_000]: D 2000, S 2000 ->
    // 2000, surplus 0: the nearest to the reference is 6_005_000.
    let (id3, evs) = h.place_ok(limit(c, SELL, "60050", "0.01"));
    assert_eq!(indicatives(&evs), vec![(Some(6_005_000), 2000, 0, None)]);
    assert_eq!((id1, id2, id3), (1, 2, 3));

    // What the auction does not take.
    let mut ioc = limit(a, BUY, "60000", "0.01");
    ioc.spec.tif = TimeInForce::Ioc;
    let mut fok = ioc.clone();
    fok.spec.tif = TimeInForce::Fok;
    let mut post = limit(a, BUY, "59000", "0.01");
    post.spec.post_only = true;
    for o in [market(a, BUY, "0.01"), ioc, fok, post] {
        h.assert_rejected(po(o), Reason::NotAllowedInAuction);
    }
    // A stop order waits off-book as always (a's 0.01 BTC locked for it).
    let (id4, _) = h.place_ok(stop_market(a, SELL, "59000", "0.01"));

    // The uncross at 60050: bid 2 against ask 1 (maker 1, the earlier), then against ask 3
    // (maker 2). 0.01 @ 60050 = 600.5 USDT; maker fee 0.4804, taker fee 0.6005.
    let evs = h.run(uncross());
    let t = trades(&evs);
    assert_eq!(t.len(), 2);
    assert_eq!(
        (
            t[0].price,
            t[0].qty,
            t[0].maker_order_id,
            t[0].taker_order_id,
            t[0].aggressor
        ),
        (6_005_000, 1000, 1, 2, BUY)
    );
    assert_eq!(
        (
            t[1].price,
            t[1].qty,
            t[1].maker_order_id,
            t[1].taker_order_id,
            t[1].aggressor
        ),
        (6_005_000, 1000, 2, 3, SELL)
    );
    assert_eq!(
        evs.last(),
        Some(&Event::BalanceUpdate {
            account: c,
            asset: USDT,
            available: h.al(c, USDT).0,
            locked: 0
        })
    );
    assert!(evs.contains(&Event::TradingPhase {
        instrument: BTC_USDT,
        phase: TradingPhase::Continuous
    }));
    let fills: Vec<_> = execs(&evs)
        .into_iter()
        .filter(|r| r.exec_type == ExecType::Trade)
        .map(|r| (r.order_id, r.liquidity, r.fee, r.status))
        .collect();
    assert_eq!(
        fills,
        vec![
            (1, Some(Liquidity::Maker), 48_040_000, OrderStatus::Filled),
            (
                2,
                Some(Liquidity::Taker),
                60_050_000,
                OrderStatus::PartiallyFilled
            ),
            (2, Some(Liquidity::Maker), 48_040_000, OrderStatus::Filled),
            (3, Some(Liquidity::Taker), 60_050_000, OrderStatus::Filled),
        ]
    );
    // b paid 1201 USDT + 1.0809 fees = 1202.0809; the 60100 lock's excess is released.
    assert_eq!(h.al(b, USDT), (100_000 * USDT_UNIT - 120_208_090_000, 0));
    assert_eq!(h.al(b, BTC), (102_000_000, 0));
    // a: + 600.5 − 0.4804; BTC 1 − 0.01 sold − 0.01 locked by the stop.
    assert_eq!(h.al(a, USDT), (100_000 * USDT_UNIT + 60_001_960_000, 0));
    assert_eq!(h.al(a, BTC), (98_000_000, 1_000_000));
    // c: + 600.5 − 0.6005.
    assert_eq!(h.al(c, USDT), (100_000 * USDT_UNIT + 59_989_950_000, 0));
    // Continuous again, with an empty book; the stop (59000) has not triggered at 60050.
    assert_eq!(h.ex.trading_phase(BTC_USDT), TradingPhase::Continuous);
    assert_eq!(h.ex.indicative_uncross(BTC_USDT), None);
    assert_eq!(h.ex.book(BTC_USDT).unwrap().order_count(), 0);
    assert_eq!(h.ex.last_price(BTC_USDT), Some(6_005_000));
    assert!(h.ex.open_order(id4).is_some());
    h.assert_rejected(uncross(), Reason::WrongTradingPhase);
    // And orders match on arrival again: a market buy finds nothing and expires.
    let evs = h.place(market(b, BUY, "0.01"));
    assert_eq!(
        statuses(&evs).last().copied(),
        Some((
            ExecType::Expired,
            OrderStatus::Expired,
            Some(Reason::NoLiquidity)
        ))
    );
}

#[test]
fn the_surplus_rests_in_time_priority_and_amends_cancels_move_the_indicative() {
    let mut h = H::new();
    let a = h.account("100000", "1");
    let b = h.account("100000", "1");
    h.run(start());
    // Bids: a 0.01 @ 60010 (id 1), b 0.01 @ 60010 (id 2). Ask: b 0.015 @ 59990 (id 3).
    h.place_ok(limit(a, BUY, "60010", "0.01"));
    h.place_ok(limit(b, BUY, "60010", "0.01"));
    let (_, evs) = h.place_ok(limit(b, SELL, "59990", "0.015"));
    // p in [5_999_000, 6_001_000]: D 2000, S 1500 -> 1500, surplus 500 buy; reference
    // 6_000_000 is inside.
    assert_eq!(
        indicatives(&evs),
        vec![(Some(6_000_000), 1500, 500, Some(BUY))]
    );
    // Amending the ask down to 0.005 keeps its priority and shrinks the volume:
    // 500, surplus 1500.
    let evs = h.run(amend(b, 3, None, Some("0.005")));
    assert!(trades(&evs).is_empty());
    assert_eq!(
        indicatives(&evs),
        vec![(Some(6_000_000), 500, 1500, Some(BUY))]
    );
    // Repricing it above the bids (60020) removes the cross.
    let evs = h.run(amend(b, 3, Some("60020"), None));
    assert!(trades(&evs).is_empty());
    assert_eq!(indicatives(&evs), vec![(None, 0, 0, None)]);
    // And back to 59990 at 0.015 (more quantity: a new arrival).
    let evs = h.run(amend(b, 3, Some("59990"), Some("0.015")));
    assert_eq!(
        indicatives(&evs),
        vec![(Some(6_000_000), 1500, 500, Some(BUY))]
    );
    // The uncross at 60000: id 1 (a) fills 0.01 first, then id 2 (b's own bid) meets b's ask:
    // no STP mode is set, so it trades 0.005; 0.005 of id 2 rests at 60010.
    let evs = h.run(uncross());
    let t: Vec<_> = trades(&evs)
        .iter()
        .map(|t| (t.price, t.qty, t.maker_order_id, t.taker_order_id))
        .collect();
    assert_eq!(t, vec![(6_000_000, 1000, 1, 3), (6_000_000, 500, 2, 3)]);
    assert_eq!(h.queue(BUY, 6_001_000), vec![(2, 500)]);
    assert_eq!(h.ex.book(BTC_USDT).unwrap().best_ask(), None);
}

#[test]
fn self_trade_prevention_in_the_uncross_and_the_book_is_left_uncrossed() {
    let mut h = H::new();
    let a = h.account("100000", "1");
    let b = h.account("100000", "1");
    h.run(start());
    // a bids 0.01 @ 60100 (id 1); b bids 0.01 @ 59900 (id 2); a asks 0.01 @ 59800 with
    // EXPIRE_MAKER (id 3), the later order of the pair (1, 3).
    h.place_ok(limit(a, BUY, "60100", "0.01"));
    h.place_ok(limit(b, BUY, "59900", "0.01"));
    let mut ask = limit(a, SELL, "59800", "0.01");
    ask.spec.stp = StpMode::ExpireMaker;
    h.place_ok(ask);
    // p = 5_980_000: D 2000, S 1000 -> 1000 s 1000; p in (5_980_000, 5_990_000]: D 2000, S 1000
    // -> 1000 s 1000; above: D 1000, S 1000 -> 1000 s 0. So [5_990_001, 6_010_000], nearest to
    // 6_000_000 is itself.
    assert_eq!(
        h.ex.indicative_uncross(BTC_USDT).unwrap().price,
        Some(6_000_000)
    );
    // Round 1 at 60000: pair (1, 3) is a's own, the taker (3) says EXPIRE_MAKER: 1 expires.
    // Round 2 on what is left (bid 2 @ 59900, ask 3 @ 59800): D 1000, S 1000 on
    // [5_980_000, 5_990_000], nearest to the reference 5_990_000: 3 and 2 trade there.
    let evs = h.run(uncross());
    let expired: Vec<_> = statuses(&evs)
        .into_iter()
        .filter(|s| s.0 == ExecType::Expired)
        .collect();
    assert_eq!(
        expired,
        vec![(
            ExecType::Expired,
            OrderStatus::ExpiredInMatch,
            Some(Reason::SelfTradePrevention)
        )]
    );
    let t: Vec<_> = trades(&evs)
        .iter()
        .map(|t| (t.price, t.qty, t.maker_order_id, t.taker_order_id))
        .collect();
    assert_eq!(t, vec![(5_990_000, 1000, 2, 3)]);
    assert_eq!(h.ex.book(BTC_USDT).unwrap().order_count(), 0);
    assert_eq!(h.al(a, USDT).1, 0, "a's expired bid released its lock");
}

#[test]
fn uncross_is_refused_while_halted_and_a_snapshot_keeps_the_auction() {
    let mut h = H::new();
    let a = h.account("100000", "1");
    let b = h.account("100000", "1");
    h.run(start());
    h.place_ok(limit(a, SELL, "60000", "0.01"));
    h.place_ok(limit(b, BUY, "60000", "0.01"));
    h.run(Command::Halt {
        instrument: BTC_USDT,
    });
    h.assert_rejected(uncross(), Reason::InstrumentHalted);
    h.run(Command::Resume {
        instrument: BTC_USDT,
    });
    // A snapshot taken now restores the auction and its crossed book, and the restored exchange
    // uncrosses exactly like the original.
    let mut copy = Exchange::restore(&h.ex.snapshot()).expect("restores");
    assert_eq!(copy.trading_phase(BTC_USDT), TradingPhase::Auction);
    assert_eq!(
        copy.indicative_uncross(BTC_USDT),
        h.ex.indicative_uncross(BTC_USDT)
    );
    let mut out = Vec::new();
    let ts = h.ex.last_ts_ns() + 1;
    copy.apply(ts, &uncross(), &mut out);
    let evs = h.run_at(ts, uncross());
    assert_eq!(out.iter().map(|s| s.event.clone()).collect::<Vec<_>>(), evs);
    assert_eq!(copy.event_digest(), h.ex.event_digest());
    assert_eq!(trades(&evs).len(), 1);
}
