//! Every message kind survives JSON, and frames survive the binary encoding, exactly — including
//! 64-bit ids and nanosecond timestamps above 2^53 (where an `f64` would round).

use bourse_core::{
    BookTicker, Candle, Command, Event, Exchange, ExchangeConfig, ExecType, ExecutionReport,
    Interval, Liquidity, NewOrder, OpenOrder, OrderRef, OrderSpec, OrderStatus, OrderType, Reason,
    Sequenced, Side, StpMode, Ticker24h, TimeInForce, Trade,
};
use bourse_protocol::*;
use rust_decimal::Decimal;

/// 2^53 + 1: the smallest positive integer an `f64` cannot hold.
const BIG: u64 = (1 << 53) + 1;
const HUGE: u64 = u64::MAX - 7;
const BIG_I: i64 = (1 << 53) + 3;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn sim_state() -> SimState {
    SimState {
        playing: true,
        speed: Speed::X100,
        scenario: "flash-crash".into(),
        seed: HUGE,
        steps: HUGE - 1,
    }
}

fn subscription() -> Subscription {
    Subscription {
        instrument: 1,
        depth_levels: MAX_DEPTH_LEVELS,
        grouping_ticks: 100,
        candle_interval: Interval::M15,
        l3_level: Some((Side::Sell, BIG_I)),
    }
}

fn report(k: u64) -> ExecutionReport {
    ExecutionReport {
        account: u32::MAX,
        instrument: 1,
        order_id: HUGE - k,
        client_order_id: Some(BIG + k),
        side: Side::Buy,
        order_type: OrderType::StopLimit,
        tif: TimeInForce::Fok,
        price: BIG_I,
        stop_price: -BIG_I,
        quantity: HUGE,
        quote_quantity: BIG,
        exec_type: ExecType::Trade,
        status: OrderStatus::PartiallyFilled,
        reason: Some(Reason::SelfTradePrevention),
        trade_id: HUGE,
        last_price: i64::MAX,
        last_qty: BIG,
        last_quote: HUGE,
        liquidity: Some(Liquidity::Maker),
        fee: BIG,
        fee_asset: 2,
        cum_qty: HUGE,
        cum_quote: u64::MAX,
    }
}

fn open_order(k: u64) -> OpenOrder {
    OpenOrder {
        id: HUGE - k,
        account: 9,
        instrument: 0,
        client_order_id: None,
        side: Side::Sell,
        order_type: OrderType::Limit,
        tif: TimeInForce::Gtc,
        post_only: true,
        stp: StpMode::ExpireBoth,
        price: i64::MIN + 1,
        stop_price: 0,
        quantity: BIG,
        quote_quantity: 0,
        cum_qty: 1,
        cum_quote: HUGE,
        locked: u64::MAX,
        pending_stop: true,
    }
}

fn candle(k: u64) -> Candle {
    Candle {
        open_time_ns: BIG + k * 1_000_000_000,
        open: BIG_I,
        high: i64::MAX,
        low: i64::MIN,
        close: -1,
        volume: HUGE,
        quote_volume: u64::MAX,
        trades: BIG,
    }
}

/// A frame with every field populated, most with values above 2^53.
fn big_frame() -> Frame {
    let row = |k: i64| L2Row {
        price: BIG_I + k,
        qty: HUGE - k.unsigned_abs(),
        own: BIG,
    };
    Frame {
        frame_no: HUGE,
        full: true,
        clock_ns: 1_700_000_000_123_456_789,
        last_input_seq: BIG,
        last_output_seq: HUGE,
        event_digest: u64::MAX,
        sim: sim_state(),
        subscription: subscription(),
        halted: true,
        phase: bourse_core::TradingPhase::Auction,
        auction: Some(bourse_protocol::AuctionView {
            price: Some(BIG_I),
            volume: HUGE,
            surplus: BIG,
            surplus_side: Some(bourse_core::Side::Sell),
            demand: vec![(BIG_I + 2, 1), (BIG_I, HUGE)],
            supply: vec![(BIG_I - 3, BIG), (BIG_I + 1, HUGE)],
        }),
        depth: Some(Depth {
            grouping_ticks: MAX_GROUPING_TICKS,
            bids: (0..5).map(|k| row(-k)).collect(),
            asks: (1..6).map(row).collect(),
        }),
        l1: Some(BookTicker {
            instrument: 1,
            update_id: HUGE,
            bid: Some((BIG_I, HUGE)),
            ask: None,
        }),
        trades: (0..3)
            .map(|k| TradePrint {
                ts_ns: BIG + k,
                seq: HUGE - k,
                trade: Trade {
                    instrument: 1,
                    trade_id: BIG + k,
                    price: BIG_I,
                    qty: HUGE,
                    quote_qty: u64::MAX,
                    aggressor: Side::Sell,
                    maker_order_id: HUGE,
                    taker_order_id: BIG,
                },
            })
            .collect(),
        trades_dropped: BIG,
        candles: (0..2).map(candle).collect(),
        candles_dropped: 3,
        ticker: Some(Ticker24h {
            last: BIG_I,
            open: 1,
            high: i64::MAX,
            low: i64::MIN,
            volume: HUGE,
            quote_volume: BIG,
            trades: 5,
            change: -BIG_I,
            change_bps: -12,
        }),
        executions: (0..2)
            .map(|k| ExecutionPrint {
                ts_ns: u64::MAX - k,
                seq: HUGE - k,
                input_seq: BIG + k,
                report: report(k),
            })
            .collect(),
        executions_dropped: 1,
        balances: vec![
            BalanceChange {
                asset: 0,
                available: HUGE,
                locked: BIG,
            },
            BalanceChange {
                asset: 2,
                available: 0,
                locked: u64::MAX,
            },
        ],
        open_orders: Some(OpenOrders {
            orders: (0..2).map(open_order).collect(),
            omitted: 4,
        }),
        l3: Some(L3Queue {
            side: Side::Sell,
            price: BIG_I,
            grouping_ticks: 100,
            orders: vec![
                L3Order {
                    id: HUGE,
                    price: BIG_I - 99,
                    qty: BIG,
                    own: true,
                },
                L3Order {
                    id: BIG,
                    price: BIG_I,
                    qty: 1,
                    own: false,
                },
            ],
            omitted: 0,
        }),
    }
}

fn order_request() -> OrderSpec {
    OrderSpec {
        instrument: 0,
        side: Side::Buy,
        order_type: OrderType::StopLimit,
        tif: TimeInForce::Ioc,
        price: Some(dec("60000.01")),
        quantity: Some(dec("0.00001")),
        quote_quantity: None,
        stop_price: Some(dec("59999.99")),
        post_only: false,
        stp: StpMode::ExpireTaker,
        client_order_id: Some(HUGE),
    }
}

fn all_client_messages() -> Vec<ClientMessage> {
    let mut v = vec![
        ClientMessage::Hello {
            version: PROTOCOL_VERSION,
            market: None,
            login: None,
        },
        ClientMessage::Hello {
            version: PROTOCOL_VERSION,
            market: Some(MarketStart {
                scenario: "halt".into(),
                seed: u64::MAX,
                warmup_ns: MAX_FAST_FORWARD_NS,
            }),
            login: None,
        },
        ClientMessage::PlaceOrder(order_request()),
        ClientMessage::PlaceOrder(OrderSpec {
            order_type: OrderType::Market,
            price: None,
            quantity: None,
            quote_quantity: Some(dec("100.5")),
            stop_price: None,
            client_order_id: None,
            ..order_request()
        }),
        ClientMessage::Cancel {
            instrument: 0,
            order: OrderRef::OrderId(HUGE),
        },
        ClientMessage::Cancel {
            instrument: 1,
            order: OrderRef::ClientOrderId(BIG),
        },
        ClientMessage::CancelAll { instrument: None },
        ClientMessage::CancelAll {
            instrument: Some(1),
        },
        ClientMessage::Amend {
            instrument: 0,
            order: OrderRef::OrderId(BIG),
            price: Some(dec("61000")),
            quantity: None,
        },
        ClientMessage::Sim(SimControl::Play),
        ClientMessage::Sim(SimControl::Pause),
        ClientMessage::Sim(SimControl::Step { steps: u32::MAX }),
        ClientMessage::Sim(SimControl::Reset {
            scenario: "calm".into(),
            seed: HUGE,
            warmup_ns: 900_000_000_000,
        }),
        ClientMessage::Subscribe(subscription()),
        ClientMessage::Subscribe(Subscription::new(0)),
        ClientMessage::RequestFrame,
        ClientMessage::CandleHistory {
            instrument: 0,
            interval: Interval::S1,
            limit: MAX_CANDLE_HISTORY,
        },
    ];
    for s in [Speed::X1, Speed::X10, Speed::X100, Speed::Max] {
        v.push(ClientMessage::Sim(SimControl::Speed(s)));
    }
    v
}

fn all_server_messages() -> Vec<ServerMessage> {
    let mut v = vec![
        ServerMessage::Ready {
            version: PROTOCOL_VERSION,
            config: ExchangeConfig::default_spot(),
            human_account: u32::MAX,
            scenarios: vec![
                ScenarioInfo {
                    name: "calm".into(),
                    description: "A quiet market.".into(),
                },
                ScenarioInfo {
                    name: "flash-crash".into(),
                    description: String::new(),
                },
            ],
            sim: sim_state(),
            market: MarketInfo {
                handover_ns: u64::MAX - 1,
                warmup_ns: 900_000_000_000,
                script: vec![ScriptItem {
                    at_ns: u64::MAX,
                    action: "halt".into(),
                    instrument: Some(0),
                    text: "trading halted in BTC-USDT".into(),
                }],
                live_instruments: vec![0, 1],
            },
            session: None,
        },
        ServerMessage::Ack {
            client_seq: HUGE,
            input_seq: Some(BIG),
        },
        ServerMessage::Ack {
            client_seq: 1,
            input_seq: None,
        },
        ServerMessage::Frame(Box::new(big_frame())),
        ServerMessage::CandleHistory {
            instrument: 1,
            interval: Interval::D1,
            candles: (0..3).map(candle).collect(),
        },
    ];
    let reasons = [
        RejectReason::Exchange(Reason::InsufficientBalance),
        RejectReason::Exchange(Reason::PriceNotOnTick),
        RejectReason::UnsupportedVersion,
        RejectReason::Malformed,
        RejectReason::HelloRequired,
        RejectReason::InvalidSubscription,
        RejectReason::UnknownScenario,
        RejectReason::InvalidRequest,
    ];
    for (k, reason) in reasons.into_iter().enumerate() {
        v.push(ServerMessage::rejected(
            (k % 2 == 0).then_some(HUGE - k as u64),
            reason,
            format!("because {k}"),
        ));
    }
    v
}

#[test]
fn client_messages_round_trip_json() {
    for (k, message) in all_client_messages().into_iter().enumerate() {
        let req = ClientRequest {
            client_seq: HUGE - k as u64,
            message,
        };
        let json = encode_client(&req);
        assert!(json.contains(&(HUGE - k as u64).to_string()), "{json}");
        assert_eq!(decode_client(&json).unwrap(), req, "{json}");
    }
}

#[test]
fn server_messages_round_trip_json() {
    for msg in all_server_messages() {
        let json = encode_server(&msg);
        assert_eq!(decode_server(&json).unwrap(), msg, "{json}");
    }
    // The big integers are written as exact integer literals, not floats.
    let json = encode_server(&ServerMessage::Frame(Box::new(big_frame())));
    for n in [BIG, HUGE, u64::MAX] {
        assert!(json.contains(&n.to_string()), "{n} missing");
    }
    assert!(json.contains(&i64::MIN.to_string()));
}

#[test]
fn frames_round_trip_binary() {
    let frame = big_frame();
    let bytes = encode_frame(&frame);
    assert_eq!(decode_frame(&bytes).unwrap(), frame);
    // Reusing a buffer gives the same bytes.
    let mut buf = vec![1, 2, 3];
    encode_frame_into(&frame, &mut buf);
    assert_eq!(buf, bytes);
    // An empty (nothing changed) frame round-trips too.
    let empty = Frame {
        full: false,
        auction: None,
        depth: None,
        l1: None,
        trades: vec![],
        candles: vec![],
        ticker: None,
        executions: vec![],
        balances: vec![],
        open_orders: None,
        l3: None,
        ..big_frame()
    };
    assert_eq!(decode_frame(&encode_frame(&empty)).unwrap(), empty);
    // Each 64-bit value is exact: flip one and the decoded frame differs in exactly that value.
    let mut f2 = frame.clone();
    f2.clock_ns += 1;
    assert_eq!(
        decode_frame(&encode_frame(&f2)).unwrap().clock_ns,
        frame.clock_ns + 1
    );
}

#[test]
fn binary_frames_are_checked() {
    let bytes = encode_frame(&big_frame());
    // Trailing garbage.
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        decode_frame(&longer),
        Err(ProtocolError::Binary(_))
    ));
    // Truncated.
    assert!(matches!(
        decode_frame(&bytes[..bytes.len() - 1]),
        Err(ProtocolError::Binary(_))
    ));
    assert!(decode_frame(&[]).is_err());
    // Another version.
    let mut other = vec![(PROTOCOL_VERSION + 1) as u8];
    other.extend_from_slice(&bytes[1..]);
    assert_eq!(
        decode_frame(&other),
        Err(ProtocolError::VersionMismatch {
            expected: PROTOCOL_VERSION,
            found: PROTOCOL_VERSION + 1
        })
    );
}

#[test]
fn wrong_hello_version_is_rejected_clearly() {
    let json = encode_client(&ClientRequest {
        client_seq: 1,
        message: ClientMessage::Hello {
            version: PROTOCOL_VERSION + 1,
            market: None,
            login: None,
        },
    });
    let err = decode_client(&json).unwrap_err();
    assert_eq!(
        err,
        ProtocolError::VersionMismatch {
            expected: PROTOCOL_VERSION,
            found: PROTOCOL_VERSION + 1
        }
    );
    match err.to_rejected(None) {
        ServerMessage::Rejected {
            client_seq: None,
            reason: RejectReason::UnsupportedVersion,
            message,
        } => {
            assert!(message.contains("protocol version mismatch"), "{message}");
            assert!(message.contains(&format!("version {}", PROTOCOL_VERSION + 1)));
        }
        other => panic!("{other:?}"),
    }
    // Garbage is malformed.
    let err = decode_client("{\"client_seq\":1,\"message\":\"fly\"}").unwrap_err();
    assert_eq!(err.reject_reason(), RejectReason::Malformed);
    // A Ready of another version is refused by the page.
    let ready = ServerMessage::Ready {
        version: PROTOCOL_VERSION + 1,
        config: ExchangeConfig::default_spot(),
        human_account: 1,
        scenarios: vec![],
        sim: SimState::default(),
        market: MarketInfo::default(),
        session: None,
    };
    assert!(matches!(
        decode_server(&encode_server(&ready)),
        Err(ProtocolError::VersionMismatch { .. })
    ));
}

#[test]
fn json_shape_is_readable() {
    let json = encode_client(&ClientRequest {
        client_seq: 3,
        message: ClientMessage::Sim(SimControl::Speed(Speed::X10)),
    });
    assert_eq!(
        json,
        r#"{"client_seq":3,"message":{"sim":{"speed":"10x"}}}"#
    );
    let json = encode_client(&ClientRequest {
        client_seq: 4,
        message: ClientMessage::RequestFrame,
    });
    assert_eq!(json, r#"{"client_seq":4,"message":"request_frame"}"#);
    // Decimals travel as strings.
    let json = encode_client(&ClientRequest {
        client_seq: 5,
        message: ClientMessage::PlaceOrder(order_request()),
    });
    assert!(json.contains(r#""price":"60000.01""#), "{json}");
}

#[test]
fn trading_messages_become_commands_for_the_human() {
    let human = 42;
    let msgs = all_client_messages();
    let cmds: Vec<Command> = msgs.iter().filter_map(|m| m.to_command(human)).collect();
    assert_eq!(cmds.len(), 7);
    for c in &cmds {
        let account = match c {
            Command::PlaceOrder(NewOrder { account, .. })
            | Command::CancelOrder { account, .. }
            | Command::CancelAll { account, .. }
            | Command::AmendOrder { account, .. } => *account,
            other => panic!("{other:?}"),
        };
        assert_eq!(account, human);
    }
    let o = order_request().for_account(7);
    assert_eq!(o.spec, order_request());
    assert_eq!(o.account, 7);
}

#[test]
fn command_outcome_acks_and_rejects() {
    let mut ex = Exchange::new(ExchangeConfig::default_spot()).unwrap();
    let mut out: Vec<Sequenced> = Vec::new();
    ex.apply(
        1,
        &Command::CreateAccount {
            max_open_orders: None,
            daily_notional_limit: None,
        },
        &mut out,
    );
    let account = match out[0].event {
        Event::AccountCreated { account } => account,
        ref e => panic!("{e:?}"),
    };
    // No funds: the order is rejected with the core's reason.
    let place = ClientMessage::PlaceOrder(OrderSpec {
        order_type: OrderType::Limit,
        tif: TimeInForce::Gtc,
        price: Some(dec("60000")),
        quantity: Some(dec("0.001")),
        stop_price: None,
        stp: StpMode::None,
        ..order_request()
    });
    let seq = ex.apply(2, &place.to_command(account).unwrap(), &mut out);
    match command_outcome(11, seq, &out) {
        ServerMessage::Rejected {
            client_seq: Some(11),
            reason: RejectReason::Exchange(Reason::InsufficientBalance),
            message,
        } => assert!(message.contains("INSUFFICIENT_BALANCE"), "{message}"),
        other => panic!("{other:?}"),
    }
    // Cancel of an unknown order: CommandRejected.
    let cancel = ClientMessage::Cancel {
        instrument: 0,
        order: OrderRef::OrderId(BIG),
    };
    let seq = ex.apply(3, &cancel.to_command(account).unwrap(), &mut out);
    assert!(matches!(
        command_outcome(12, seq, &out),
        ServerMessage::Rejected {
            reason: RejectReason::Exchange(Reason::UnknownOrder),
            ..
        }
    ));
    // A deposit then the same order: acknowledged with its input sequence number.
    ex.apply(
        4,
        &Command::Deposit {
            account,
            asset: 2,
            amount: dec("1000"),
        },
        &mut out,
    );
    let seq = ex.apply(5, &place.to_command(account).unwrap(), &mut out);
    assert_eq!(
        command_outcome(13, seq, &out),
        ServerMessage::Ack {
            client_seq: 13,
            input_seq: Some(seq)
        }
    );
}

#[test]
fn subscription_validation() {
    let config = ExchangeConfig::default_spot();
    assert!(Subscription::new(0).validate(&config).is_ok());
    assert!(subscription().validate(&config).is_ok());
    let bad = [
        Subscription {
            instrument: 2,
            ..Subscription::new(0)
        },
        Subscription {
            depth_levels: 0,
            ..Subscription::new(0)
        },
        Subscription {
            depth_levels: MAX_DEPTH_LEVELS + 1,
            ..Subscription::new(0)
        },
        Subscription {
            grouping_ticks: 0,
            ..Subscription::new(0)
        },
    ];
    for s in bad {
        assert!(s.validate(&config).is_err(), "{s:?}");
    }
}
