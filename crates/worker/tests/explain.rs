//! "Explain this fill" on the worker's brain: a queue history worked out by hand, the fee
//! computation against the core's reports, and, on every fill of a simulated run, the rule that
//! nothing is left ahead of a maker order when it fills (price-time priority), which checks the
//! explain window's queue arithmetic against the core's matching.

use std::str::FromStr;

use bourse_core::{OrderRef, OrderSpec, OrderType, Side, StpMode, TimeInForce};
use bourse_protocol::{
    ClientMessage, ClientRequest, ExplainTarget, Explanation, RejectReason, ServerMessage,
    SimControl, PROTOCOL_VERSION,
};
use bourse_worker::{WorkerState, EXPLAIN_WINDOW_COMMANDS};
use rust_decimal::Decimal;

const SECOND: u64 = 1_000_000_000;

fn req(client_seq: u64, message: ClientMessage) -> ClientRequest {
    ClientRequest {
        client_seq,
        message,
    }
}

fn started(scenario: &str, seed: u64) -> WorkerState {
    let mut w = WorkerState::new(scenario, seed, None).unwrap();
    let out = w.handle(req(
        1,
        ClientMessage::Hello {
            version: PROTOCOL_VERSION,
            market: None,
            login: None,
        },
    ));
    assert!(matches!(out.as_slice(), [ServerMessage::Ready { .. }]));
    w
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn order(side: Side, price: &str, qty: &str, tif: TimeInForce) -> OrderSpec {
    OrderSpec {
        instrument: 0,
        side,
        order_type: OrderType::Limit,
        tif,
        price: Some(d(price)),
        quantity: Some(d(qty)),
        quote_quantity: None,
        stop_price: None,
        post_only: false,
        stp: StpMode::None,
        client_order_id: None,
    }
}

/// Send a command and return its input sequence number (it must be acknowledged).
fn apply(w: &mut WorkerState, seq: u64, m: ClientMessage) -> u64 {
    match w.handle(req(seq, m)).as_slice() {
        [ServerMessage::Ack {
            input_seq: Some(s), ..
        }] => *s,
        other => panic!("expected an Ack with an input_seq, got {other:?}"),
    }
}

fn explain(w: &mut WorkerState, seq: u64, target: ExplainTarget) -> Explanation {
    match w
        .handle(req(seq, ClientMessage::Explain(target)))
        .as_slice()
    {
        [ServerMessage::Explained(x)] => (**x).clone(),
        other => panic!("expected an explanation, got {other:?}"),
    }
}

/// Three bids at one price, worked by hand: A 0.3, B 0.2, then M 0.5 joins behind 0.5 BTC. A is
/// amended down to 0.1 (keeps its place, 0.2 left ahead by a cancel), B is cancelled (0.2), then
/// a sell of 0.4 takes A's 0.1 (left by a trade) and 0.3 of M with nothing ahead. Fees at the
/// default rates: 0.3 × 50000 = 15000 USDT, maker 800 ppm = 12 USDT, taker 1000 ppm = 15 USDT.
#[test]
fn a_queue_history_and_fees_worked_by_hand() {
    let mut w = started("calm", 7);
    assert!(
        w.exchange().book_ticker(0).is_none_or(|t| t.bid.is_none()),
        "the hand case needs an empty bid side before any simulation step"
    );
    let place = |w: &mut WorkerState, seq, qty| {
        apply(
            w,
            seq,
            ClientMessage::PlaceOrder(order(Side::Buy, "50000", qty, TimeInForce::Gtc)),
        )
    };
    let (a, b, m) = (
        place(&mut w, 2, "0.3"),
        place(&mut w, 3, "0.2"),
        place(&mut w, 4, "0.5"),
    );
    let order_id_of = |w: &mut WorkerState, input_seq| {
        let x = explain(w, 90, ExplainTarget::Command { input_seq });
        assert!(x.own && x.sender == "you");
        let added = x.events.iter().find(|e| e.kind == "l3:Added").unwrap();
        added
            .text
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    let (ida, idb, idm) = (
        order_id_of(&mut w, a),
        order_id_of(&mut w, b),
        order_id_of(&mut w, m),
    );
    apply(
        &mut w,
        5,
        ClientMessage::Amend {
            instrument: 0,
            order: OrderRef::OrderId(ida),
            price: None,
            quantity: Some(d("0.1")),
        },
    );
    apply(
        &mut w,
        6,
        ClientMessage::Cancel {
            instrument: 0,
            order: OrderRef::OrderId(idb),
        },
    );
    let sell = apply(
        &mut w,
        7,
        ClientMessage::PlaceOrder(order(Side::Sell, "50000", "0.4", TimeInForce::Ioc)),
    );
    let x = explain(&mut w, 8, ExplainTarget::Command { input_seq: sell });
    assert_eq!(x.input_seq, sell);
    assert!(
        x.command
            .starts_with("sell 0.4 BTC at 50000 USDT on BTC-USDT (LIMIT, IOC"),
        "{}",
        x.command
    );
    assert!(
        x.events.windows(2).all(|p| p[0].seq < p[1].seq),
        "output order"
    );
    assert_eq!(x.fills.len(), 2, "two fills: A's 0.1 and M's 0.3");
    let fm = &x.fills[1];
    assert!(
        fm.text
            .starts_with("0.3 BTC at 50000 USDT = 15000 USDT; the seller took"),
        "{}",
        fm.text
    );
    assert!(
        fm.maker
            .starts_with(&format!("order {idm} of you: buy 0.5 BTC at 50000 USDT")),
        "{}",
        fm.maker
    );
    let steps: Vec<(&str, &str)> = fm
        .queue
        .iter()
        .map(|s| (s.text.as_str(), s.ahead.as_str()))
        .collect();
    assert_eq!(
        steps,
        vec![
            ("joined the back of the bid queue at 50000 with 0.5 BTC, 0.5 ahead", "0.5"),
            (
                format!("0.2 BTC ahead was cancelled (order {ida} reduced, keeping its place)").as_str(),
                "0.3"
            ),
            (
                format!("0.2 BTC ahead left without trading (order {idb} cancelled, expired or re-priced)").as_str(),
                "0.1"
            ),
            (format!("0.1 BTC ahead traded (order {ida})").as_str(), "0"),
            ("filled 0.3 BTC (this fill)", "0"),
        ]
    );
    assert_eq!(
        fm.queue_summary,
        "0.5 BTC ahead when it joined: 0.1 BTC left by trades, 0.4 BTC by cancels; 0 BTC ahead at the fill"
    );
    assert_eq!(fm.queue[0].input_seq, m);
    assert_eq!(fm.fees.len(), 2);
    assert_eq!(
        (fm.fees[0].role.as_str(), fm.fees[0].rate_ppm),
        ("maker", 800)
    );
    assert!(
        fm.fees[0]
            .text
            .starts_with("15000 USDT × 0.08 % (800 ppm) = 12 USDT"),
        "{}",
        fm.fees[0].text
    );
    assert_eq!(
        (fm.fees[1].role.as_str(), fm.fees[1].rate_ppm),
        ("taker", 1000)
    );
    assert!(
        fm.fees[1]
            .text
            .starts_with("15000 USDT × 0.1 % (1000 ppm) = 15 USDT"),
        "{}",
        fm.fees[1].text
    );
    assert!(fm.fees.iter().all(|f| f.matches_report));

    // A trade target finds the same command and puts its fill first.
    let trade_id = fm.trade_id;
    let t = explain(
        &mut w,
        9,
        ExplainTarget::Trade {
            instrument: 0,
            trade_id,
        },
    );
    assert_eq!(t.input_seq, sell);
    assert_eq!(t.focus_seq, Some(fm.seq));
    assert_eq!(t.fills[0].trade_id, trade_id);
    // Own commands step backwards: the sell, then the cancel, then the amend.
    let own = explain(&mut w, 10, ExplainTarget::Own { before: None });
    assert_eq!(own.input_seq, sell);
    let before = explain(&mut w, 11, ExplainTarget::Own { before: Some(sell) });
    assert!(
        before.command.starts_with(&format!("cancel order {idb}")),
        "{}",
        before.command
    );
    assert_eq!(before.next_input_seq, Some(before.input_seq + 1));
}

/// On every fill of five simulated minutes, the maker's queue history ends with nothing ahead,
/// both fee computations equal the reports, and the fill's trade is among the command's events.
#[test]
fn every_fill_of_a_run_has_nothing_ahead_of_its_maker_and_fees_that_match() {
    for scenario in ["calm", "call-auction"] {
        let mut w = started(scenario, 11);
        let out = w.handle(req(
            2,
            ClientMessage::Sim(SimControl::FastForward {
                virtual_ns: 300 * SECOND,
            }),
        ));
        assert!(
            matches!(out.as_slice(), [ServerMessage::Ack { .. }]),
            "{out:?}"
        );
        let frame = match w.handle(req(3, ClientMessage::RequestFrame)).as_slice() {
            [ServerMessage::Frame(f), ..] => f.clone(),
            other => panic!("expected a frame, got {other:?}"),
        };
        let (mut with_history, mut checked) = (0, 0);
        let ids: Vec<u64> = frame
            .trades
            .iter()
            .filter(|t| t.trade.instrument == 0)
            .map(|t| t.trade.trade_id)
            .collect();
        for trade_id in ids {
            let x = match w
                .handle(req(
                    3,
                    ClientMessage::Explain(ExplainTarget::Trade {
                        instrument: 0,
                        trade_id,
                    }),
                ))
                .as_slice()
            {
                [ServerMessage::Explained(x)] => (**x).clone(),
                _ => continue, // older than the window
            };
            let f = &x.fills[0];
            assert_eq!(f.trade_id, trade_id);
            assert!(x.events.iter().any(|e| e.seq == f.seq && e.kind == "trade"));
            assert!(
                f.fees.iter().all(|l| l.matches_report),
                "{scenario} trade {trade_id}: {:?}",
                f.fees
            );
            if let Some(last) = f.queue.last() {
                assert_eq!(
                    last.ahead, "0",
                    "{scenario} trade {trade_id}: {:?}",
                    f.queue
                );
                assert!(last.text.ends_with("(this fill)"), "{:?}", f.queue);
                with_history += 1;
            }
            checked += 1;
        }
        assert!(
            checked >= 100,
            "{scenario}: only {checked} fills in the window"
        );
        assert!(
            with_history * 2 >= checked,
            "{scenario}: {with_history} of {checked} fills with a queue history"
        );
    }
}

/// The window is bounded: after a long run the first commands are gone and asking for one says
/// which commands the window holds.
#[test]
fn commands_older_than_the_window_are_refused_with_the_window_named() {
    let mut w = started("volatile", 3);
    let out = w.handle(req(
        2,
        ClientMessage::Sim(SimControl::FastForward {
            virtual_ns: 1_800 * SECOND,
        }),
    ));
    assert!(matches!(out.as_slice(), [ServerMessage::Ack { .. }]));
    let last = w.exchange().next_input_seq() - 1;
    assert!(
        last > EXPLAIN_WINDOW_COMMANDS as u64,
        "the run is too short: {last} commands"
    );
    match w
        .handle(req(
            3,
            ClientMessage::Explain(ExplainTarget::Command { input_seq: 1 }),
        ))
        .as_slice()
    {
        [ServerMessage::Rejected {
            reason: RejectReason::InvalidRequest,
            message,
            ..
        }] => {
            let first = last - EXPLAIN_WINDOW_COMMANDS as u64 + 1;
            assert!(
                message.contains(&format!("holds commands {first} to {last}")),
                "{message}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let x = explain(&mut w, 4, ExplainTarget::Command { input_seq: last });
    assert_eq!(x.next_input_seq, None);
    assert_eq!(x.prev_input_seq, Some(last - 1));
}
