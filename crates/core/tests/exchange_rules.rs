//! Hand-checked exchange-level rules on `ExchangeConfig::default_spot()`.
//!
//! Units used in the worked numbers (BTC-USDT, all assets 8 decimals):
//! - price `P` USDT = `P × 100` ticks (tick 0.01);
//! - 1 lot = 0.00001 BTC = 1_000 BTC units; 1 BTC = 100_000_000 units;
//! - notional = ticks × lots × 10 USDT units (1 USDT = 100_000_000 units);
//! - maker fee 800 ppm, taker fee 1000 ppm, rounded down per fill; a buy limit order locks
//!   `notional + floor(notional × 1000 / 10^6)`.
//! - min notional 5 USDT = 500_000_000 units; band ±20 % around 60000 → [48000, 72000].
//!
//! Every expected number below is worked out in the comments next to it.

mod common;

use bourse_core::*;
use common::*;
use rust_decimal::Decimal;

const BUY: Side = Side::Buy;
const SELL: Side = Side::Sell;

/// Two funded accounts with one resting order each: a sells 0.01 @ 61000 (id 1), b buys 0.01 @
/// 59000 (id 2).
fn base() -> (H, AccountId, AccountId) {
    let mut h = H::new();
    let a = h.account("100000", "1");
    let b = h.account("100000", "1");
    let (id1, _) = h.place_ok(limit(a, SELL, "61000", "0.01"));
    let (id2, _) = h.place_ok(limit(b, BUY, "59000", "0.01"));
    assert_eq!((id1, id2), (1, 2));
    (h, a, b)
}

fn po(o: NewOrder) -> Command {
    Command::PlaceOrder(o)
}

// ==================================================================== rejects

#[test]
fn reject_unknown_account() {
    let (mut h, a, _) = base();
    h.assert_rejected(po(limit(99, BUY, "60000", "0.01")), Reason::UnknownAccount);
    h.assert_rejected(po(limit(0, BUY, "60000", "0.01")), Reason::UnknownAccount);
    h.assert_rejected(deposit(99, USDT, "1"), Reason::UnknownAccount);
    h.assert_rejected(withdraw(0, USDT, "1"), Reason::UnknownAccount);
    h.assert_rejected(cancel(99, 1), Reason::UnknownAccount);
    h.assert_rejected(
        Command::CancelAll {
            account: 3,
            instrument: None,
        },
        Reason::UnknownAccount,
    );
    h.assert_rejected(amend(99, 1, Some("61001"), None), Reason::UnknownAccount);
    // The real owner still has the order.
    assert_eq!(h.ex.open_order(1).unwrap().account, a);
}

#[test]
fn reject_unknown_instrument() {
    let (mut h, a, _) = base();
    h.assert_rejected(
        po(limit(a, BUY, "60000", "0.01").on(2)),
        Reason::UnknownInstrument,
    );
    h.assert_rejected(
        Command::CancelOrder {
            account: a,
            instrument: 2,
            order: OrderRef::OrderId(1),
        },
        Reason::UnknownInstrument,
    );
    h.assert_rejected(
        Command::AmendOrder {
            account: a,
            instrument: 7,
            order: OrderRef::OrderId(1),
            price: Some(d("61001")),
            quantity: None,
        },
        Reason::UnknownInstrument,
    );
    h.assert_rejected(
        Command::CancelAll {
            account: a,
            instrument: Some(2),
        },
        Reason::UnknownInstrument,
    );
    h.assert_rejected(Command::Halt { instrument: 2 }, Reason::UnknownInstrument);
    h.assert_rejected(Command::Resume { instrument: 9 }, Reason::UnknownInstrument);
}

#[test]
fn reject_unknown_asset() {
    let (mut h, a, _) = base();
    h.assert_rejected(deposit(a, 3, "1"), Reason::UnknownAsset);
    h.assert_rejected(withdraw(a, 3, "1"), Reason::UnknownAsset);
}

#[test]
fn reject_instrument_halted_and_resume() {
    let (mut h, a, b) = base();
    let evs = h.run(Command::Halt {
        instrument: BTC_USDT,
    });
    assert_eq!(
        evs,
        vec![Event::TradingStatus {
            instrument: BTC_USDT,
            halted: true
        }]
    );
    assert!(h.ex.is_halted(BTC_USDT));
    h.assert_rejected(po(limit(a, BUY, "60000", "0.01")), Reason::InstrumentHalted);
    h.assert_rejected(po(market(a, BUY, "0.01")), Reason::InstrumentHalted);
    h.assert_rejected(
        po(stop_market(a, SELL, "59000", "0.01")),
        Reason::InstrumentHalted,
    );
    h.assert_rejected(amend(b, 2, Some("59500"), None), Reason::InstrumentHalted);
    // Another instrument still trades: 0.1 ETH @ 3000 = 300 USDT.
    h.run(deposit(a, ETH, "1"));
    h.place_ok(limit(a, SELL, "3000", "0.1").on(ETH_USDT));
    // Cancels work while halted: b's bid leaves, its 590.59 USDT lock is released.
    let evs = h.run(cancel(b, 2));
    assert_eq!(
        statuses(&evs),
        vec![(
            ExecType::Canceled,
            OrderStatus::Canceled,
            Some(Reason::Canceled)
        )]
    );
    assert_eq!(h.al(b, USDT), (10_000_000_000_000, 0));
    let evs = h.run(Command::Resume {
        instrument: BTC_USDT,
    });
    assert_eq!(
        evs,
        vec![Event::TradingStatus {
            instrument: BTC_USDT,
            halted: false
        }]
    );
    // Trading again: b buys a's 0.01 @ 61000.
    let evs = h.place(limit(b, BUY, "61000", "0.01"));
    assert_eq!(trades(&evs).len(), 1);
}

#[test]
fn reject_price_not_on_tick() {
    let (mut h, a, b) = base();
    for p in ["60000.001", "0", "-60000", "0.000"] {
        h.assert_rejected(po(limit(a, BUY, p, "0.01")), Reason::PriceNotOnTick);
    }
    h.assert_rejected(
        po(stop_limit(a, BUY, "61000.005", "61000", "0.01")),
        Reason::PriceNotOnTick,
    );
    h.assert_rejected(
        po(stop_market(a, SELL, "0", "0.01")),
        Reason::PriceNotOnTick,
    );
    h.assert_rejected(amend(b, 2, Some("59000.005"), None), Reason::PriceNotOnTick);
}

#[test]
fn reject_quantity_not_on_lot() {
    let (mut h, a, b) = base();
    for q in ["0.000015", "0", "-0.01"] {
        h.assert_rejected(po(limit(a, BUY, "60000", q)), Reason::QuantityNotOnLot);
    }
    h.assert_rejected(po(market(a, SELL, "0.000001")), Reason::QuantityNotOnLot);
    h.assert_rejected(
        amend(b, 2, None, Some("0.000001")),
        Reason::QuantityNotOnLot,
    );
}

#[test]
fn reject_amount_not_on_grid() {
    let (mut h, a, _) = base();
    // USDT has 8 decimals: 9 decimals are off the grid; zero and negatives are not positive.
    h.assert_rejected(deposit(a, USDT, "0.000000001"), Reason::AmountNotOnGrid);
    h.assert_rejected(deposit(a, USDT, "0"), Reason::AmountNotOnGrid);
    h.assert_rejected(deposit(a, BTC, "-1"), Reason::AmountNotOnGrid);
    h.assert_rejected(withdraw(a, USDT, "0.000000001"), Reason::AmountNotOnGrid);
    h.assert_rejected(po(market_quote(a, "10.000000001")), Reason::AmountNotOnGrid);
    h.assert_rejected(po(market_quote(a, "0")), Reason::AmountNotOnGrid);
    h.assert_rejected(
        Command::CreateAccount {
            max_open_orders: None,
            daily_notional_limit: Some(d("0.000000001")),
        },
        Reason::AmountNotOnGrid,
    );
    assert_eq!(h.ex.account_count(), 2);
}

#[test]
fn reject_quantity_out_of_range() {
    let (mut h, a, b) = base();
    // max_qty 9000 BTC = 900_000_000 lots; 9000.00001 is one lot more.
    h.assert_rejected(
        po(limit(a, SELL, "60000", "9000.00001")),
        Reason::QuantityOutOfRange,
    );
    h.assert_rejected(po(market(a, BUY, "9000.00001")), Reason::QuantityOutOfRange);
    h.assert_rejected(
        amend(b, 2, None, Some("9000.00001")),
        Reason::QuantityOutOfRange,
    );
    // Below min_qty cannot be expressed on the default grid (min_qty = lot), so use a config with
    // min_qty 0.001: 0.00099 is on the lot grid but below the minimum.
    let mut cfg = ExchangeConfig::default_spot();
    cfg.instruments[0].min_qty = d("0.001");
    let mut h = H::with_config(cfg);
    let a = h.account("100000", "1");
    h.assert_rejected(
        po(limit(a, BUY, "60000", "0.00099")),
        Reason::QuantityOutOfRange,
    );
    h.place_ok(limit(a, BUY, "60000", "0.001"));
}

#[test]
fn reject_notional_below_minimum() {
    let (mut h, a, b) = base();
    // 0.00008 × 60000 = 4.8 USDT < 5.
    h.assert_rejected(
        po(limit(a, BUY, "60000", "0.00008")),
        Reason::NotionalBelowMinimum,
    );
    // Market by quantity is estimated at the reference price 60000: 4.8 USDT again.
    h.assert_rejected(po(market(a, SELL, "0.00008")), Reason::NotionalBelowMinimum);
    h.assert_rejected(
        po(market_quote(a, "4.99999999")),
        Reason::NotionalBelowMinimum,
    );
    // Amend of b's bid to 0.00008 @ 59000 = 4.72 USDT.
    h.assert_rejected(
        amend(b, 2, None, Some("0.00008")),
        Reason::NotionalBelowMinimum,
    );
    // Boundary, inclusive: 0.0001 × 50000 = 5 USDT exactly.
    h.place_ok(limit(a, BUY, "50000", "0.0001"));
    h.place_ok(market_quote(a, "5"));
}

#[test]
fn reject_price_outside_band() {
    let (mut h, a, b) = base();
    // Reference 60000, band 20 %: [48000, 72000] inclusive.
    h.assert_rejected(
        po(limit(a, SELL, "72000.01", "0.001")),
        Reason::PriceOutsideBand,
    );
    h.assert_rejected(
        po(limit(a, BUY, "47999.99", "0.001")),
        Reason::PriceOutsideBand,
    );
    h.assert_rejected(
        po(stop_limit(a, BUY, "61000", "72000.01", "0.001")),
        Reason::PriceOutsideBand,
    );
    h.assert_rejected(
        amend(b, 2, Some("47999.99"), None),
        Reason::PriceOutsideBand,
    );
    h.place_ok(limit(a, SELL, "72000", "0.001"));
    h.place_ok(limit(a, BUY, "48000", "0.001"));
}

#[test]
fn reject_insufficient_balance() {
    let mut h = H::new();
    let c = h.account("100", "0");
    let e = h.account("0", "1");
    // 0.01 @ 60000 locks 600 + 0.6 = 600.6 USDT > 100.
    h.assert_rejected(
        po(limit(c, BUY, "60000", "0.01")),
        Reason::InsufficientBalance,
    );
    // 0.0016 @ 60000 = 96 USDT + fee 0.096 = 96.096 fits; 0.0017 would need 102.102.
    h.assert_rejected(
        po(limit(c, BUY, "60000", "0.0017")),
        Reason::InsufficientBalance,
    );
    let (id, _) = h.place_ok(limit(c, BUY, "60000", "0.0016"));
    assert_eq!(
        h.al(c, USDT),
        (10_000_000_000 - 9_609_600_000, 9_609_600_000)
    );
    h.assert_rejected(
        amend(c, id, None, Some("0.0017")),
        Reason::InsufficientBalance,
    );
    // No BTC to sell.
    h.assert_rejected(
        po(limit(c, SELL, "60000", "0.001")),
        Reason::InsufficientBalance,
    );
    h.assert_rejected(po(market(c, SELL, "0.001")), Reason::InsufficientBalance);
    // Only 3.904 USDT available now; market buy by quote 5 needs 5.005.
    h.assert_rejected(po(market_quote(c, "5")), Reason::InsufficientBalance);
    // No USDT at all: a market buy by quantity has no budget.
    h.assert_rejected(po(market(e, BUY, "0.001")), Reason::InsufficientBalance);
    // Withdraw more than available (locked funds do not count).
    h.assert_rejected(withdraw(c, USDT, "3.90400001"), Reason::InsufficientBalance);
    h.run(withdraw(c, USDT, "3.904"));
    assert_eq!(h.al(c, USDT), (0, 9_609_600_000));
}

#[test]
fn reject_too_many_open_orders() {
    let mut h = H::new();
    let a = h.account_with(Some(2), None, &[(USDT, "10000"), (BTC, "1")]);
    let b = h.account("10000", "1");
    h.place_ok(limit(b, BUY, "59000", "0.01"));
    h.place_ok(limit(a, BUY, "58000", "0.001"));
    h.place_ok(stop_market(a, SELL, "50000", "0.001"));
    h.assert_rejected(
        po(limit(a, BUY, "58000", "0.001")),
        Reason::TooManyOpenOrders,
    );
    h.assert_rejected(
        po(stop_limit(a, BUY, "61000", "61000", "0.001")),
        Reason::TooManyOpenOrders,
    );
    // Market orders never rest and are not limited.
    let evs = h.place(market(a, SELL, "0.001"));
    assert_eq!(trades(&evs).len(), 1);
    assert_eq!(h.ex.open_orders_of(a).len(), 2);
}

#[test]
fn reject_daily_notional_limit() {
    let mut h = H::new();
    let day0 = 19_000 * DAY;
    h.ts = day0;
    let a = h.account_with(None, Some("1000"), &[(USDT, "10000")]);
    let b = h.account("0", "1");
    h.place_ok(limit(b, SELL, "60000", "0.05"));
    // 0.01 @ 60000 = 600 USDT traded today.
    let evs = h.place(limit(a, BUY, "60000", "0.01"));
    assert_eq!(trades(&evs).len(), 1);
    // 600 + 0.007 × 60000 (420) = 1020 > 1000.
    h.assert_rejected(
        po(limit(a, BUY, "60000", "0.007")),
        Reason::DailyNotionalLimitExceeded,
    );
    // Market by quote 400.00000001 → 1000.00000001 > 1000.
    h.assert_rejected(
        po(market_quote(a, "400.00000001")),
        Reason::DailyNotionalLimitExceeded,
    );
    // 600 + 0.0066 × 60000 (396) = 996 ≤ 1000: accepted (and trades).
    h.place_ok(limit(a, BUY, "60000", "0.0066"));
    // Now 996 traded: 0.0001 × 60000 = 6 → 1002 > 1000.
    h.assert_rejected(
        po(limit(a, BUY, "60000", "0.0001")),
        Reason::DailyNotionalLimitExceeded,
    );
    // The next UTC day starts from zero.
    h.run_at(day0 + DAY, deposit(b, USDT, "1"));
    h.place_ok(limit(a, BUY, "60000", "0.01"));
}

#[test]
fn reject_duplicate_client_order_id() {
    let (mut h, a, b) = base();
    let (id, _) = h.place_ok(limit(a, BUY, "58000", "0.001").cid(7));
    h.assert_rejected(
        po(limit(a, SELL, "62000", "0.001").cid(7)),
        Reason::DuplicateClientOrderId,
    );
    // Client ids are per account.
    h.place_ok(limit(b, SELL, "62000", "0.001").cid(7));
    // Free again once the order is closed.
    h.run(cancel(a, id));
    h.place_ok(limit(a, SELL, "62000", "0.001").cid(7));
}

#[test]
fn reject_unknown_order() {
    let (mut h, a, b) = base();
    h.assert_rejected(cancel(a, 999), Reason::UnknownOrder);
    // Order 2 belongs to b.
    h.assert_rejected(cancel(a, 2), Reason::UnknownOrder);
    h.assert_rejected(amend(a, 2, Some("59001"), None), Reason::UnknownOrder);
    // Right account, wrong instrument.
    h.assert_rejected(
        Command::CancelOrder {
            account: b,
            instrument: ETH_USDT,
            order: OrderRef::OrderId(2),
        },
        Reason::UnknownOrder,
    );
    h.assert_rejected(
        Command::CancelOrder {
            account: b,
            instrument: BTC_USDT,
            order: OrderRef::ClientOrderId(42),
        },
        Reason::UnknownOrder,
    );
    // The reject names the order id when the command did.
    let evs = h.run(cancel(a, 999));
    assert_eq!(
        evs,
        vec![Event::CommandRejected {
            account: Some(a),
            order_id: Some(999),
            reason: Reason::UnknownOrder
        }]
    );
}

#[test]
fn reject_invalid_order() {
    let (mut h, a, b) = base();
    let bad = [
        // Limit without a price.
        {
            let mut o = order(a, BUY, OrderType::Limit);
            o.spec.quantity = Some(d("0.01"));
            o
        },
        // Limit with a quote quantity.
        {
            let mut o = limit(a, BUY, "60000", "0.01");
            o.spec.quote_quantity = Some(d("100"));
            o
        },
        // Limit with a stop price.
        {
            let mut o = limit(a, BUY, "60000", "0.01");
            o.spec.stop_price = Some(d("61000"));
            o
        },
        // Market with a price.
        {
            let mut o = market(a, BUY, "0.01");
            o.spec.price = Some(d("60000"));
            o
        },
        // Market with both quantity and quote quantity.
        {
            let mut o = market(a, BUY, "0.01");
            o.spec.quote_quantity = Some(d("100"));
            o
        },
        // Market with neither.
        order(a, BUY, OrderType::Market),
        // Market sell by quote.
        {
            let mut o = market_quote(a, "100");
            o.spec.side = SELL;
            o
        },
        // Stop-limit without a stop price.
        {
            let mut o = stop_limit(a, BUY, "61000", "61000", "0.01");
            o.spec.stop_price = None;
            o
        },
        // Stop-market with a limit price.
        {
            let mut o = stop_market(a, BUY, "61000", "0.01");
            o.spec.price = Some(d("61000"));
            o
        },
        // Post-only only with GTC limit.
        limit(a, BUY, "60000", "0.01")
            .post_only()
            .tif(TimeInForce::Ioc),
        market(a, BUY, "0.01").post_only(),
        stop_limit(a, BUY, "61000", "61000", "0.01").post_only(),
    ];
    for o in bad {
        h.assert_rejected(po(o), Reason::InvalidOrder);
    }
    // Amending a pending stop order is not supported.
    let (stop, _) = h.place_ok(stop_limit(a, BUY, "61000", "61000", "0.001"));
    h.assert_rejected(amend(a, stop, Some("61500"), None), Reason::InvalidOrder);
    // New total quantity must exceed the filled quantity: a sells 0.004 into b's 0.01 bid.
    h.place(limit(a, SELL, "59000", "0.004"));
    assert_eq!(h.ex.open_order(2).unwrap().cum_qty, 400);
    h.assert_rejected(amend(b, 2, None, Some("0.004")), Reason::InvalidOrder);
    h.assert_rejected(amend(b, 2, None, Some("0.003")), Reason::InvalidOrder);
}

#[test]
fn reject_post_only_would_take() {
    let (mut h, a, b) = base();
    // Best ask 61000 (a), best bid 59000 (b).
    h.assert_rejected(
        po(limit(b, BUY, "61000", "0.001").post_only()),
        Reason::PostOnlyWouldTake,
    );
    h.assert_rejected(
        po(limit(a, SELL, "58000", "0.001").post_only()),
        Reason::PostOnlyWouldTake,
    );
    let (id, _) = h.place_ok(limit(b, BUY, "60999.99", "0.001").post_only());
    assert_eq!(h.queue(BUY, 6_099_999), vec![(id, 100)]);
    // An amend of a post-only order that would cross is refused too.
    h.assert_rejected(amend(b, id, Some("61000"), None), Reason::PostOnlyWouldTake);
}

#[test]
fn reject_stop_would_trigger_immediately() {
    let (mut h, a, _) = base();
    // No trade yet: the reference 60000 stands in for the last price.
    h.assert_rejected(
        po(stop_market(a, BUY, "60000", "0.001")),
        Reason::StopWouldTriggerImmediately,
    );
    h.assert_rejected(
        po(stop_limit(a, BUY, "59999.99", "60000", "0.001")),
        Reason::StopWouldTriggerImmediately,
    );
    h.assert_rejected(
        po(stop_market(a, SELL, "60000", "0.001")),
        Reason::StopWouldTriggerImmediately,
    );
    h.place_ok(stop_market(a, BUY, "60000.01", "0.001"));
    h.place_ok(stop_market(a, SELL, "59999.99", "0.001"));
    // After a trade at 61000 the last price decides.
    h.place(limit(a, BUY, "61000", "0.001"));
    assert_eq!(h.ex.last_price(BTC_USDT), Some(6_100_000));
    h.assert_rejected(
        po(stop_market(a, BUY, "60500", "0.001")),
        Reason::StopWouldTriggerImmediately,
    );
    h.place_ok(stop_market(a, SELL, "60500", "0.001"));
}

#[test]
fn reject_timestamp_regression() {
    let (mut h, a, _) = base();
    let before = h.view();
    let ts = h.ts;
    let evs = h.run_at(ts - 1, deposit(a, USDT, "1"));
    assert_eq!(
        evs,
        vec![Event::CommandRejected {
            account: None,
            order_id: None,
            reason: Reason::TimestampRegression
        }]
    );
    assert_eq!(h.view(), before);
    assert_eq!(h.ex.last_ts_ns(), ts);
    // Equal timestamps are fine.
    let evs = h.run_at(ts, deposit(a, USDT, "1"));
    assert!(matches!(evs[..], [Event::BalanceUpdate { .. }]));
}

// ==================================================================== fills, balances, fees

#[test]
fn fill_maker_sell_taker_buy() {
    let mut h = H::new();
    let a = h.account("0", "1");
    let b = h.account("1000", "0");
    let (m, _) = h.place_ok(limit(a, SELL, "60000", "0.01"));
    // 0.01 BTC = 1000 lots = 1_000_000 units locked.
    assert_eq!(h.al(a, BTC), (99_000_000, 1_000_000));
    let evs = h.place(limit(b, BUY, "60000", "0.01"));
    // 1000 lots × 6_000_000 ticks × 10 = 60_000_000_000 units (600 USDT).
    // Taker (b) fee 0.1 % = 60_000_000; maker (a) fee 0.08 % = 48_000_000.
    let t = trades(&evs);
    assert_eq!(
        t,
        vec![Trade {
            instrument: BTC_USDT,
            trade_id: 1,
            price: 6_000_000,
            qty: 1000,
            quote_qty: 60_000_000_000,
            aggressor: BUY,
            maker_order_id: m,
            taker_order_id: m + 1,
        }]
    );
    let r = execs(&evs);
    assert_eq!(r.len(), 3);
    assert_eq!(
        (r[0].exec_type, r[0].status, r[0].order_id),
        (ExecType::New, OrderStatus::New, m + 1)
    );
    assert_eq!(r[0].quantity, 1000);
    assert_eq!(r[0].price, 6_000_000);
    let (mk, tk) = (&r[1], &r[2]);
    assert_eq!(
        (mk.order_id, mk.status, mk.liquidity),
        (m, OrderStatus::Filled, Some(Liquidity::Maker))
    );
    assert_eq!(
        (mk.fee, mk.fee_asset, mk.last_qty, mk.last_price),
        (48_000_000, USDT, 1000, 6_000_000)
    );
    assert_eq!(
        (mk.cum_qty, mk.cum_quote, mk.trade_id),
        (1000, 60_000_000_000, 1)
    );
    assert_eq!(
        (tk.order_id, tk.status, tk.liquidity),
        (m + 1, OrderStatus::Filled, Some(Liquidity::Taker))
    );
    assert_eq!(
        (tk.fee, tk.last_quote, tk.cum_qty, tk.cum_quote),
        (60_000_000, 60_000_000_000, 1000, 60_000_000_000)
    );
    // a: BTC 1 − 0.01 = 99_000_000; USDT 60_000_000_000 − 48_000_000 = 59_952_000_000.
    assert_eq!(h.al(a, BTC), (99_000_000, 0));
    assert_eq!(h.al(a, USDT), (59_952_000_000, 0));
    // b: USDT 100_000_000_000 − 60_060_000_000 = 39_940_000_000; BTC 1_000_000.
    assert_eq!(h.al(b, USDT), (39_940_000_000, 0));
    assert_eq!(h.al(b, BTC), (1_000_000, 0));
    assert_eq!(h.ex.fees_collected(USDT), 108_000_000);
    assert_eq!(h.ex.fees_collected(BTC), 0);
    // Balance updates come last, in (account, asset) order, once each.
    let bu: Vec<_> = evs
        .iter()
        .filter_map(|e| match *e {
            Event::BalanceUpdate {
                account,
                asset,
                available,
                locked,
            } => Some((account, asset, available, locked)),
            _ => None,
        })
        .collect();
    assert_eq!(
        bu,
        vec![
            (a, BTC, 99_000_000, 0),
            (a, USDT, 59_952_000_000, 0),
            (b, BTC, 1_000_000, 0),
            (b, USDT, 39_940_000_000, 0),
        ]
    );
    assert!(matches!(evs.last(), Some(Event::BalanceUpdate { .. })));
    assert_eq!(h.ex.open_order_count(), 0);
}

#[test]
fn fill_taker_buy_price_improvement_releases_lock() {
    let mut h = H::new();
    let a = h.account("0", "1");
    let b = h.account("1000", "0");
    h.place_ok(limit(a, SELL, "59000", "0.01"));
    // b's lock at placement would be 600.6 USDT; the fill is at 59000:
    // 1000 × 5_900_000 × 10 = 59_000_000_000 + fee 59_000_000 = 59_059_000_000 spent;
    // 60_060_000_000 − 59_059_000_000 = 1_001_000_000 released.
    let evs = h.place(limit(b, BUY, "60000", "0.01"));
    assert_eq!(trades(&evs)[0].price, 5_900_000);
    assert_eq!(h.al(b, USDT), (100_000_000_000 - 59_059_000_000, 0));
    assert_eq!(h.al(b, BTC), (1_000_000, 0));
    // a (maker) receives 59_000_000_000 − 47_200_000.
    assert_eq!(h.al(a, USDT), (58_952_800_000, 0));
}

#[test]
fn fill_taker_sell_maker_buy() {
    let mut h = H::new();
    let a = h.account("0", "1");
    let b = h.account("1000", "0");
    h.place_ok(limit(b, BUY, "60000", "0.01"));
    assert_eq!(h.al(b, USDT), (39_940_000_000, 60_060_000_000));
    // a sells at 59000 but trades at the maker's 60000.
    let evs = h.place(limit(a, SELL, "59000", "0.01"));
    assert_eq!(trades(&evs)[0].price, 6_000_000);
    assert_eq!(trades(&evs)[0].aggressor, SELL);
    // a (taker): 60_000_000_000 − 60_000_000 = 59_940_000_000.
    assert_eq!(h.al(a, USDT), (59_940_000_000, 0));
    assert_eq!(h.al(a, BTC), (99_000_000, 0));
    // b (maker): spends 60_000_000_000 + 48_000_000, the lock's extra 12_000_000 is released.
    assert_eq!(h.al(b, USDT), (100_000_000_000 - 60_048_000_000, 0));
    assert_eq!(h.ex.fees_collected(USDT), 108_000_000);
}

#[test]
fn fill_partial_fills_both_roles() {
    let mut h = H::new();
    let a = h.account("0", "1");
    let b = h.account("1000", "0");
    let c = h.account("0", "1");
    h.place_ok(limit(a, SELL, "60000", "0.004"));
    let evs = h.place(limit(b, BUY, "60000", "0.01"));
    // Fill 400 lots: 24_000_000_000 notional, taker fee 24_000_000.
    // Rest 600 lots locked: 36_000_000_000 + 36_000_000 = 36_036_000_000.
    // Available: 100_000_000_000 − 24_024_000_000 − 36_036_000_000 = 39_940_000_000.
    let st = statuses(&evs);
    assert_eq!(
        st,
        vec![
            (ExecType::New, OrderStatus::New, None),
            (ExecType::Trade, OrderStatus::Filled, None),
            (ExecType::Trade, OrderStatus::PartiallyFilled, None),
        ]
    );
    let bid = execs(&evs)[2].order_id;
    assert_eq!(h.al(b, USDT), (39_940_000_000, 36_036_000_000));
    assert_eq!(h.ex.open_order(bid).unwrap().locked, 36_036_000_000);
    assert_eq!(h.queue(BUY, 6_000_000), vec![(bid, 600)]);
    assert!(l3s(&evs).contains(&L3Event::Added {
        instrument: BTC_USDT,
        order_id: bid,
        side: BUY,
        price: 6_000_000,
        qty: 600
    }));
    // c sells 0.006 at 59000 into b's bid (maker, 800 ppm): notional 36_000_000_000,
    // b's fee 28_800_000, b spends 36_028_800_000 and gets 7_200_000 back from the lock.
    let evs = h.place(limit(c, SELL, "59000", "0.006"));
    let r = execs(&evs);
    let bm = r.iter().find(|r| r.order_id == bid).unwrap();
    assert_eq!(
        (bm.status, bm.cum_qty, bm.cum_quote, bm.fee),
        (OrderStatus::Filled, 1000, 60_000_000_000, 28_800_000)
    );
    assert_eq!(h.al(b, USDT), (39_947_200_000, 0));
    assert_eq!(h.al(b, BTC), (1_000_000, 0));
    // c (taker): 36_000_000_000 − 36_000_000.
    assert_eq!(h.al(c, USDT), (35_964_000_000, 0));
    // A partially filled maker sell: d sells 0.02 @ 60100, e buys 0.005.
    let d_ = h.account("0", "1");
    let e = h.account("1000", "0");
    let (ask, _) = h.place_ok(limit(d_, SELL, "60100", "0.02"));
    let evs = h.place(limit(e, BUY, "60100", "0.005"));
    // 500 lots × 6_010_000 × 10 = 30_050_000_000; maker fee floor(× 0.0008) = 24_040_000.
    assert!(l3s(&evs).contains(&L3Event::Reduced {
        instrument: BTC_USDT,
        order_id: ask,
        qty: 1500
    }));
    let dm = execs(&evs).into_iter().find(|r| r.order_id == ask).unwrap();
    assert_eq!(
        (dm.status, dm.cum_qty, dm.fee),
        (OrderStatus::PartiallyFilled, 500, 24_040_000)
    );
    assert_eq!(h.al(d_, BTC), (98_000_000, 1_500_000));
    assert_eq!(h.al(d_, USDT), (30_025_960_000, 0));
    assert_eq!(h.ex.open_order(ask).unwrap().locked, 1_500_000);
    // Fees: b taker 24_000_000 + a maker 19_200_000 (400 lots), b maker 28_800_000 + c taker
    // 36_000_000, d maker 24_040_000 + e taker 30_050_000.
    assert_eq!(h.ex.fees_collected(USDT), 162_090_000);
}

#[test]
fn fee_rounds_down_per_fill() {
    let mut h = H::new();
    let a = h.account("0", "1");
    let b = h.account("1000", "0");
    // 0.00009 @ 60000.01: 9 lots × 6_000_001 × 10 = 540_000_090 units;
    // maker fee floor(540_000_090 × 800 / 10^6) = floor(432_000.072) = 432_000;
    // taker fee floor(540_000.09) = 540_000.
    h.place_ok(limit(a, SELL, "60000.01", "0.00009"));
    let evs = h.place(limit(b, BUY, "60000.01", "0.00009"));
    let r = execs(&evs);
    assert_eq!((r[1].fee, r[2].fee), (432_000, 540_000));
    assert_eq!(h.al(a, USDT), (540_000_090 - 432_000, 0));
    assert_eq!(h.al(b, USDT), (100_000_000_000 - 540_000_090 - 540_000, 0));
    assert_eq!(h.ex.fees_collected(USDT), 972_000);
}

// ==================================================================== cancel

#[test]
fn cancel_releases_locks() {
    let mut h = H::new();
    let a = h.account("0", "1");
    let b = h.account("1000", "0");
    let (bid, _) = h.place_ok(limit(b, BUY, "60000", "0.01"));
    assert_eq!(h.al(b, USDT), (39_940_000_000, 60_060_000_000));
    let evs = h.run(cancel(b, bid));
    let r = execs(&evs);
    assert_eq!(r.len(), 1);
    assert_eq!(
        (r[0].exec_type, r[0].status, r[0].reason),
        (
            ExecType::Canceled,
            OrderStatus::Canceled,
            Some(Reason::Canceled)
        )
    );
    assert_eq!(
        l3s(&evs),
        vec![L3Event::Removed {
            instrument: BTC_USDT,
            order_id: bid
        }]
    );
    assert_eq!(depth_updates(&evs)[0].bids, vec![(6_000_000, 0)]);
    assert_eq!(book_tickers(&evs)[0].bid, None);
    assert_eq!(h.al(b, USDT), (100_000_000_000, 0));
    // A partially filled bid: the remainder's lock is released, cum_qty is reported.
    let (bid, _) = h.place_ok(limit(b, BUY, "60000", "0.01"));
    h.place(limit(a, SELL, "60000", "0.003"));
    // Spent 300 lots: 18_000_000_000 + maker fee 14_400_000; remaining 700 lots lock 42_042_000_000.
    assert_eq!(
        h.al(b, USDT),
        (
            100_000_000_000 - 18_014_400_000 - 42_042_000_000,
            42_042_000_000
        )
    );
    let evs = h.run(cancel(b, bid));
    let r = execs(&evs);
    assert_eq!(
        (r[0].status, r[0].cum_qty, r[0].quantity),
        (OrderStatus::Canceled, 300, 1000)
    );
    assert_eq!(h.al(b, USDT), (100_000_000_000 - 18_014_400_000, 0));
    assert_eq!(h.al(b, BTC), (300_000, 0));
    // A pending stop: lock released, no book events.
    let (stop, _) = h.place_ok(stop_limit(b, BUY, "61000", "61000", "0.001"));
    // 100 × 6_100_000 × 10 = 6_100_000_000 + 6_100_000 locked.
    assert_eq!(h.bal(b, USDT).locked, 6_106_100_000);
    let evs = h.run(cancel(b, stop));
    assert!(l3s(&evs).is_empty() && depth_updates(&evs).is_empty());
    assert_eq!(
        statuses(&evs),
        vec![(
            ExecType::Canceled,
            OrderStatus::Canceled,
            Some(Reason::Canceled)
        )]
    );
    assert_eq!(h.bal(b, USDT).locked, 0);
}

#[test]
fn cancel_by_client_order_id() {
    let mut h = H::new();
    let b = h.account("1000", "0");
    let (id, _) = h.place_ok(limit(b, BUY, "60000", "0.001").cid(77));
    let evs = h.run(Command::CancelOrder {
        account: b,
        instrument: BTC_USDT,
        order: OrderRef::ClientOrderId(77),
    });
    let r = execs(&evs);
    assert_eq!(
        (r[0].order_id, r[0].client_order_id, r[0].status),
        (id, Some(77), OrderStatus::Canceled)
    );
    h.assert_rejected(
        Command::CancelOrder {
            account: b,
            instrument: BTC_USDT,
            order: OrderRef::ClientOrderId(77),
        },
        Reason::UnknownOrder,
    );
    let (id2, _) = h.place_ok(limit(b, BUY, "60000", "0.001").cid(77));
    assert_eq!(id2, id + 1);
    // Amend by client id.
    let evs = h.run(Command::AmendOrder {
        account: b,
        instrument: BTC_USDT,
        order: OrderRef::ClientOrderId(77),
        price: None,
        quantity: Some(d("0.0009")),
    });
    assert_eq!(execs(&evs)[0].order_id, id2);
    assert_eq!(execs(&evs)[0].exec_type, ExecType::Amended);
}

#[test]
fn cancel_all_per_instrument_and_all() {
    let mut h = H::new();
    let a = h.account("100000", "1");
    h.run(deposit(a, ETH, "10"));
    let b = h.account("100000", "1");
    let (o1, _) = h.place_ok(limit(a, BUY, "59000", "0.001"));
    let (o2, _) = h.place_ok(limit(a, SELL, "61000", "0.001"));
    let (eth, _) = h.place_ok(limit(a, SELL, "3000", "0.1").on(ETH_USDT));
    let (o3, _) = h.place_ok(stop_market(a, SELL, "55000", "0.001"));
    let (other, _) = h.place_ok(limit(b, BUY, "59000", "0.001"));
    let evs = h.run(Command::CancelAll {
        account: a,
        instrument: Some(BTC_USDT),
    });
    let r = execs(&evs);
    assert_eq!(
        r.iter().map(|r| r.order_id).collect::<Vec<_>>(),
        vec![o1, o2, o3]
    );
    assert!(r
        .iter()
        .all(|r| r.status == OrderStatus::Canceled && r.reason == Some(Reason::CanceledAll)));
    // b's order at the same level stays; a's ETH order stays.
    assert_eq!(h.queue(BUY, 5_900_000), vec![(other, 100)]);
    assert_eq!(
        h.ex.open_orders_of(a)
            .iter()
            .map(|o| o.id)
            .collect::<Vec<_>>(),
        vec![eth]
    );
    // All BTC locks are released; the ETH lock (0.1 ETH = 10_000_000 units) remains.
    assert_eq!(h.al(a, USDT), (10_000_000_000_000, 0));
    assert_eq!(h.al(a, BTC), (100_000_000, 0));
    assert_eq!(h.al(a, ETH), (990_000_000, 10_000_000));
    let evs = h.run(Command::CancelAll {
        account: a,
        instrument: None,
    });
    assert_eq!(
        execs(&evs).iter().map(|r| r.order_id).collect::<Vec<_>>(),
        vec![eth]
    );
    assert_eq!(h.al(a, ETH), (1_000_000_000, 0));
    assert!(h.ex.open_orders_of(a).is_empty());
    assert_eq!(h.ex.open_orders_of(b).len(), 1);
}

// ==================================================================== amend

#[test]
fn amend_keep_priority_quantity_down() {
    let mut h = H::new();
    let a = h.account("0", "1");
    let b = h.account("0", "1");
    let (id1, _) = h.place_ok(limit(a, SELL, "60000", "0.01"));
    let (id2, _) = h.place_ok(limit(b, SELL, "60000", "0.01"));
    let evs = h.run(amend(a, id1, None, Some("0.005")));
    let r = execs(&evs);
    assert_eq!(
        (r[0].exec_type, r[0].status, r[0].quantity),
        (ExecType::Amended, OrderStatus::New, 500)
    );
    assert_eq!(
        l3s(&evs),
        vec![L3Event::Reduced {
            instrument: BTC_USDT,
            order_id: id1,
            qty: 500
        }]
    );
    assert_eq!(depth_updates(&evs)[0].asks, vec![(6_000_000, 1500)]);
    assert_eq!(book_tickers(&evs)[0].ask, Some((6_000_000, 1500)));
    // Still first in the queue; 500 lots = 500_000 BTC units released.
    assert_eq!(h.queue(SELL, 6_000_000), vec![(id1, 500), (id2, 1000)]);
    assert_eq!(h.al(a, BTC), (99_500_000, 500_000));
    // A taker for 0.005 fills id1 first.
    let c = h.account("1000", "0");
    let evs = h.place(limit(c, BUY, "60000", "0.005"));
    assert_eq!(trades(&evs)[0].maker_order_id, id1);
    assert_eq!(h.queue(SELL, 6_000_000), vec![(id2, 1000)]);
}

#[test]
fn amend_price_change_or_quantity_up_loses_priority() {
    let mut h = H::new();
    let a = h.account("0", "1");
    let b = h.account("0", "1");
    let (id1, _) = h.place_ok(limit(a, SELL, "60000", "0.01"));
    let (id2, _) = h.place_ok(limit(b, SELL, "60000", "0.01"));
    // Away and back: now behind id2.
    let evs = h.run(amend(a, id1, Some("60000.01"), None));
    assert_eq!(
        l3s(&evs),
        vec![
            L3Event::Removed {
                instrument: BTC_USDT,
                order_id: id1
            },
            L3Event::Added {
                instrument: BTC_USDT,
                order_id: id1,
                side: SELL,
                price: 6_000_001,
                qty: 1000
            },
        ]
    );
    assert_eq!(
        depth_updates(&evs)[0].asks,
        vec![(6_000_000, 1000), (6_000_001, 1000)]
    );
    assert_eq!(h.queue(SELL, 6_000_001), vec![(id1, 1000)]);
    h.run(amend(a, id1, Some("60000"), None));
    assert_eq!(h.queue(SELL, 6_000_000), vec![(id2, 1000), (id1, 1000)]);
    // Quantity up at the same price also goes to the back; b's lock grows to 2_000_000.
    let evs = h.run(amend(b, id2, None, Some("0.02")));
    assert_eq!(execs(&evs)[0].quantity, 2000);
    assert_eq!(h.queue(SELL, 6_000_000), vec![(id1, 1000), (id2, 2000)]);
    assert_eq!(h.al(b, BTC), (98_000_000, 2_000_000));
    // Buy-side lock changes.
    let c = h.account("2000", "0");
    let (bid, _) = h.place_ok(limit(c, BUY, "59000", "0.01"));
    // 1000 × 5_900_000 × 10 = 59_000_000_000 + 59_000_000.
    assert_eq!(
        h.al(c, USDT),
        (200_000_000_000 - 59_059_000_000, 59_059_000_000)
    );
    h.run(amend(c, bid, Some("58000"), None));
    // 58_000_000_000 + 58_000_000.
    assert_eq!(
        h.al(c, USDT),
        (200_000_000_000 - 58_058_000_000, 58_058_000_000)
    );
    h.run(amend(c, bid, None, Some("0.02")));
    // 2000 lots: 116_000_000_000 + 116_000_000.
    assert_eq!(
        h.al(c, USDT),
        (200_000_000_000 - 116_116_000_000, 116_116_000_000)
    );
    assert_eq!(h.ex.open_order(bid).unwrap().locked, 116_116_000_000);
}

#[test]
fn amend_that_crosses_trades() {
    let mut h = H::new();
    let a = h.account("0", "1");
    let b = h.account("1000", "0");
    let (ask, _) = h.place_ok(limit(a, SELL, "61000", "0.01"));
    let (bid, _) = h.place_ok(limit(b, BUY, "60000", "0.01"));
    let evs = h.run(amend(b, bid, Some("61000"), None));
    // Order of events: the amend report and removal, then the trade as a new arrival.
    let kinds: Vec<&str> = evs
        .iter()
        .map(|e| match e {
            Event::Execution(r) if r.exec_type == ExecType::Amended => "amended",
            Event::Execution(r) if r.exec_type == ExecType::Trade => "fill",
            Event::L3(L3Event::Removed { .. }) => "removed",
            Event::Trade(_) => "trade",
            Event::DepthUpdate(_) => "depth",
            Event::BookTicker(_) => "l1",
            Event::BalanceUpdate { .. } => "balance",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            "amended", "removed", "trade", "removed", "fill", "fill", "depth", "l1", "balance",
            "balance", "balance", "balance"
        ]
    );
    let t = trades(&evs)[0];
    assert_eq!(
        (
            t.price,
            t.qty,
            t.maker_order_id,
            t.taker_order_id,
            t.aggressor
        ),
        (6_100_000, 1000, ask, bid, BUY)
    );
    let du = &depth_updates(&evs)[0];
    assert_eq!(
        (du.bids.clone(), du.asks.clone()),
        (vec![(6_000_000, 0)], vec![(6_100_000, 0)])
    );
    // b pays 61_000_000_000 + taker fee 61_000_000 = exactly the new lock.
    assert_eq!(h.al(b, USDT), (100_000_000_000 - 61_061_000_000, 0));
    assert_eq!(h.al(b, BTC), (1_000_000, 0));
    // a (maker): 61_000_000_000 − 48_800_000.
    assert_eq!(h.al(a, USDT), (60_951_200_000, 0));
    assert_eq!(h.ex.open_order_count(), 0);
}

#[test]
fn amend_keep_priority_on_partially_filled_order() {
    let mut h = H::new();
    let a = h.account("0", "1");
    let b = h.account("1000", "0");
    let (bid, _) = h.place_ok(limit(b, BUY, "60000", "0.01"));
    h.place(limit(a, SELL, "60000", "0.004"));
    // New total 0.006 with 0.004 filled: 200 lots remain, lock 12_000_000_000 + 12_000_000.
    let evs = h.run(amend(b, bid, None, Some("0.006")));
    let r = &execs(&evs)[0];
    assert_eq!(
        (r.status, r.quantity, r.cum_qty),
        (OrderStatus::PartiallyFilled, 600, 400)
    );
    assert_eq!(
        l3s(&evs),
        vec![L3Event::Reduced {
            instrument: BTC_USDT,
            order_id: bid,
            qty: 200
        }]
    );
    assert_eq!(h.bal(b, USDT).locked, 12_012_000_000);
    // Spent so far: 24_000_000_000 + maker fee 19_200_000.
    assert_eq!(
        h.bal(b, USDT).available,
        100_000_000_000 - 24_019_200_000 - 12_012_000_000
    );
}

// ==================================================================== time in force

#[test]
fn ioc_fok_post_only_statuses() {
    let mut h = H::new();
    let a = h.account("0", "1");
    let b = h.account("1000", "0");
    h.place_ok(limit(a, SELL, "60000", "0.004"));
    // IOC partially filled then expired.
    let evs = h.place(limit(b, BUY, "60000", "0.01").tif(TimeInForce::Ioc));
    assert_eq!(
        statuses(&evs),
        vec![
            (ExecType::New, OrderStatus::New, None),
            (ExecType::Trade, OrderStatus::Filled, None), // a's maker report
            (ExecType::Trade, OrderStatus::PartiallyFilled, None),
            (
                ExecType::Expired,
                OrderStatus::Expired,
                Some(Reason::IocRemainder)
            ),
        ]
    );
    let last = execs(&evs).pop().unwrap();
    assert_eq!((last.cum_qty, last.cum_quote), (400, 24_000_000_000));
    assert!(l3s(&evs)
        .iter()
        .all(|e| !matches!(e, L3Event::Added { .. })));
    // Spent 24_000_000_000 + 24_000_000; nothing locked.
    assert_eq!(h.al(b, USDT), (100_000_000_000 - 24_024_000_000, 0));
    // IOC with nothing to match.
    let evs = h.place(limit(b, BUY, "60000", "0.01").tif(TimeInForce::Ioc));
    assert_eq!(
        statuses(&evs),
        vec![
            (ExecType::New, OrderStatus::New, None),
            (
                ExecType::Expired,
                OrderStatus::Expired,
                Some(Reason::IocRemainder)
            ),
        ]
    );
    // FOK that cannot fill: no side effects on the book.
    let (ask, _) = h.place_ok(limit(a, SELL, "60000", "0.004"));
    let before = h.ex.book(BTC_USDT).unwrap().l3();
    let evs = h.place(limit(b, BUY, "60000", "0.01").tif(TimeInForce::Fok));
    assert_eq!(
        statuses(&evs),
        vec![
            (ExecType::New, OrderStatus::New, None),
            (
                ExecType::Expired,
                OrderStatus::Expired,
                Some(Reason::FokUnfillable)
            ),
        ]
    );
    assert!(trades(&evs).is_empty());
    assert_eq!(h.ex.book(BTC_USDT).unwrap().l3(), before);
    assert_eq!(h.al(b, USDT), (100_000_000_000 - 24_024_000_000, 0));
    // FOK that can fill.
    let evs = h.place(limit(b, BUY, "60000", "0.004").tif(TimeInForce::Fok));
    assert_eq!(
        statuses(&evs),
        vec![
            (ExecType::New, OrderStatus::New, None),
            (ExecType::Trade, OrderStatus::Filled, None),
            (ExecType::Trade, OrderStatus::Filled, None),
        ]
    );
    assert_eq!(trades(&evs)[0].maker_order_id, ask);
    // Post-only that does not cross rests (status NEW).
    let (po_id, evs) = h.place_ok(limit(b, BUY, "59999.99", "0.001").post_only());
    assert_eq!(
        statuses(&evs),
        vec![(ExecType::New, OrderStatus::New, None)]
    );
    assert_eq!(h.queue(BUY, 5_999_999), vec![(po_id, 100)]);
    // Post-only that would cross: REJECTED.
    h.place_ok(limit(a, SELL, "60000", "0.001"));
    let evs = h.place(limit(b, BUY, "60000", "0.001").post_only());
    assert_eq!(
        statuses(&evs),
        vec![(
            ExecType::Rejected,
            OrderStatus::Rejected,
            Some(Reason::PostOnlyWouldTake)
        )]
    );
}

// ==================================================================== self-trade prevention

fn stp_setup() -> (H, AccountId, AccountId, OrderId, OrderId) {
    let mut h = H::new();
    let a = h.account("10000", "1");
    let b = h.account("0", "1");
    let (own, _) = h.place_ok(limit(a, SELL, "60000", "0.01"));
    let (other, _) = h.place_ok(limit(b, SELL, "60000", "0.01"));
    (h, a, b, own, other)
}

#[test]
fn stp_none_trades_with_itself() {
    let (mut h, a, _, own, other) = stp_setup();
    let evs = h.place(limit(a, BUY, "60000", "0.01").stp(StpMode::None));
    let t = trades(&evs);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].maker_order_id, own);
    // a paid 600.6 and received 599.52: net −1.08 USDT = −108_000_000; BTC unchanged.
    assert_eq!(h.al(a, USDT), (1_000_000_000_000 - 108_000_000, 0));
    assert_eq!(h.al(a, BTC), (100_000_000, 0));
    assert_eq!(h.queue(SELL, 6_000_000), vec![(other, 1000)]);
}

#[test]
fn stp_expire_taker() {
    let (mut h, a, _, own, other) = stp_setup();
    let evs = h.place(limit(a, BUY, "60000", "0.01").stp(StpMode::ExpireTaker));
    assert!(trades(&evs).is_empty());
    assert_eq!(
        statuses(&evs),
        vec![
            (ExecType::New, OrderStatus::New, None),
            (
                ExecType::Expired,
                OrderStatus::ExpiredInMatch,
                Some(Reason::SelfTradePrevention)
            ),
        ]
    );
    assert_eq!(h.queue(SELL, 6_000_000), vec![(own, 1000), (other, 1000)]);
    assert_eq!(h.al(a, USDT), (1_000_000_000_000, 0));
}

#[test]
fn stp_expire_maker() {
    let (mut h, a, b, own, other) = stp_setup();
    let evs = h.place(limit(a, BUY, "60000", "0.01").stp(StpMode::ExpireMaker));
    let r = execs(&evs);
    assert_eq!(
        r.iter()
            .map(|r| (r.order_id, r.exec_type, r.status))
            .collect::<Vec<_>>(),
        vec![
            (own + 2, ExecType::New, OrderStatus::New),
            (own, ExecType::Expired, OrderStatus::ExpiredInMatch),
            (other, ExecType::Trade, OrderStatus::Filled),
            (own + 2, ExecType::Trade, OrderStatus::Filled),
        ]
    );
    assert_eq!(r[1].reason, Some(Reason::SelfTradePrevention));
    assert_eq!(trades(&evs)[0].maker_order_id, other);
    assert!(l3s(&evs).contains(&L3Event::Removed {
        instrument: BTC_USDT,
        order_id: own
    }));
    // a: the expired ask's 1_000_000 BTC units come back, plus 1_000_000 bought.
    assert_eq!(h.al(a, BTC), (101_000_000, 0));
    assert_eq!(h.al(a, USDT), (1_000_000_000_000 - 60_060_000_000, 0));
    assert_eq!(h.al(b, USDT), (59_952_000_000, 0));
    assert_eq!(h.ex.open_order_count(), 0);
}

#[test]
fn stp_expire_both() {
    let (mut h, a, _, own, other) = stp_setup();
    let evs = h.place(limit(a, BUY, "60000", "0.01").stp(StpMode::ExpireBoth));
    assert!(trades(&evs).is_empty());
    let r = execs(&evs);
    assert_eq!(
        r.iter()
            .map(|r| (r.order_id, r.exec_type, r.status, r.reason))
            .collect::<Vec<_>>(),
        vec![
            (own + 2, ExecType::New, OrderStatus::New, None),
            (
                own,
                ExecType::Expired,
                OrderStatus::ExpiredInMatch,
                Some(Reason::SelfTradePrevention)
            ),
            (
                own + 2,
                ExecType::Expired,
                OrderStatus::ExpiredInMatch,
                Some(Reason::SelfTradePrevention)
            ),
        ]
    );
    assert_eq!(h.queue(SELL, 6_000_000), vec![(other, 1000)]);
    assert_eq!(h.al(a, BTC), (100_000_000, 0));
    assert_eq!(h.al(a, USDT), (1_000_000_000_000, 0));
}

#[test]
fn stp_applies_only_to_same_account() {
    let (mut h, _, b, own, _) = stp_setup();
    h.run(deposit(b, USDT, "1000"));
    // b's taker meets a's order first: no STP, trades.
    let evs = h.place(limit(b, BUY, "60000", "0.01").stp(StpMode::ExpireTaker));
    assert_eq!(trades(&evs).len(), 1);
    assert_eq!(trades(&evs)[0].maker_order_id, own);
}

// ==================================================================== market orders

#[test]
fn market_buy_by_quote_quantity() {
    let mut h = H::new();
    let a = h.account("0", "1");
    let b = h.account("1000", "0");
    let (ask, _) = h.place_ok(limit(a, SELL, "60000", "0.01"));
    // Lock 100 + 0.1 USDT = 10_010_000_000. Budget 10_000_000_000 / 10 = 10^9 tick·lots;
    // at 6_000_000 ticks that buys 166 lots (996_000_000); 167 would be 1_002_000_000.
    let evs = h.place(market_quote(b, "100"));
    let r = execs(&evs);
    assert_eq!(
        (r[0].quantity, r[0].quote_quantity, r[0].price, r[0].tif),
        (0, 10_000_000_000, 0, TimeInForce::Ioc)
    );
    let t = trades(&evs);
    assert_eq!(t.len(), 1);
    // 166 × 6_000_000 × 10 = 9_960_000_000 (99.6 USDT); taker fee 9_960_000.
    assert_eq!((t[0].qty, t[0].quote_qty), (166, 9_960_000_000));
    // The budget is spent (167 lots would exceed it): like Binance `quoteOrderQty`, the last fill
    // reports FILLED and no EXPIRED follows.
    let last = r.last().unwrap();
    assert_eq!(
        (last.exec_type, last.status, last.reason),
        (ExecType::Trade, OrderStatus::Filled, None)
    );
    let taker = r[0].order_id;
    assert_eq!(
        r.iter().filter(|x| x.order_id == taker).count(),
        2,
        "taker: NEW then one TRADE(FILLED)"
    );
    assert_eq!((last.cum_qty, last.cum_quote), (166, 9_960_000_000));
    assert_eq!(h.al(b, USDT), (100_000_000_000 - 9_969_960_000, 0));
    assert_eq!(h.al(b, BTC), (166_000, 0));
    assert_eq!(h.queue(SELL, 6_000_000), vec![(ask, 834)]);
}

#[test]
fn market_buy_by_quote_across_levels() {
    let mut h = H::new();
    let a = h.account("0", "1");
    let b = h.account("1000", "0");
    h.place_ok(limit(a, SELL, "60000", "0.001"));
    h.place_ok(limit(a, SELL, "60010", "0.01"));
    // Budget 10^9 tick·lots: 100 lots × 6_000_000 = 6 × 10^8, leaving 4 × 10^8;
    // at 6_001_000: floor(4 × 10^8 / 6_001_000) = 66 lots (396_066_000).
    let evs = h.place(market_quote(b, "100"));
    let t = trades(&evs);
    assert_eq!(
        t.iter().map(|t| (t.price, t.qty)).collect::<Vec<_>>(),
        vec![(6_000_000, 100), (6_001_000, 66)]
    );
    // Notional 6_000_000_000 + 3_960_660_000; fees 6_000_000 + 3_960_660.
    assert_eq!(h.al(b, USDT), (100_000_000_000 - 9_970_620_660, 0));
    assert_eq!(h.al(b, BTC), (166_000, 0));
}

#[test]
fn market_buy_by_base_quantity() {
    let mut h = H::new();
    let a = h.account("0", "1");
    let b = h.account("1000", "0");
    h.place_ok(limit(a, SELL, "60000", "0.01"));
    let evs = h.place(market(b, BUY, "0.005"));
    assert_eq!(
        statuses(&evs),
        vec![
            (ExecType::New, OrderStatus::New, None),
            (ExecType::Trade, OrderStatus::PartiallyFilled, None),
            (ExecType::Trade, OrderStatus::Filled, None),
        ]
    );
    // 500 lots: 30_000_000_000 + fee 30_000_000; the whole-balance budget lock is released.
    assert_eq!(h.al(b, USDT), (100_000_000_000 - 30_030_000_000, 0));
    assert_eq!(h.al(b, BTC), (500_000, 0));
    // More than the book holds: fills 500 lots then expires for lack of liquidity.
    let evs = h.place(market(b, BUY, "0.01"));
    assert_eq!(trades(&evs).iter().map(|t| t.qty).sum::<u64>(), 500);
    assert_eq!(
        statuses(&evs).last().copied(),
        Some((
            ExecType::Expired,
            OrderStatus::Expired,
            Some(Reason::NoLiquidity)
        ))
    );
    assert_eq!(h.al(b, USDT), (100_000_000_000 - 2 * 30_030_000_000, 0));
    assert_eq!(h.ex.open_order_count(), 0);
}

#[test]
fn market_buy_by_base_quantity_limited_by_balance() {
    let mut h = H::new();
    let a = h.account("0", "1");
    let b = h.account("100", "0");
    h.place_ok(limit(a, SELL, "60000", "0.01"));
    // Budget floor(10_000_000_000 × 10^6 / (10 × 1_001_000)) = 999_000_999 tick·lots → 166 lots.
    let evs = h.place(market(b, BUY, "0.01"));
    assert_eq!(trades(&evs)[0].qty, 166);
    assert_eq!(
        statuses(&evs).last().copied(),
        Some((
            ExecType::Expired,
            OrderStatus::Expired,
            Some(Reason::BudgetExhausted)
        ))
    );
    // 9_960_000_000 + 9_960_000 spent.
    assert_eq!(h.al(b, USDT), (10_000_000_000 - 9_969_960_000, 0));
}

#[test]
fn market_sell_by_quantity() {
    let mut h = H::new();
    let b = h.account("1000", "0");
    let c = h.account("0", "1");
    h.place_ok(limit(b, BUY, "59000", "0.001"));
    h.place_ok(limit(b, BUY, "58000", "0.005"));
    let evs = h.place(market(c, SELL, "0.002"));
    let t = trades(&evs);
    assert_eq!(
        t.iter().map(|t| (t.price, t.qty)).collect::<Vec<_>>(),
        vec![(5_900_000, 100), (5_800_000, 100)]
    );
    assert_eq!(statuses(&evs).last().unwrap().1, OrderStatus::Filled);
    // 5_900_000_000 + 5_800_000_000 − taker fees 5_900_000 + 5_800_000.
    assert_eq!(h.al(c, USDT), (11_688_300_000, 0));
    assert_eq!(h.al(c, BTC), (99_800_000, 0));
}

#[test]
fn market_on_empty_book_expires_without_fill() {
    let mut h = H::new();
    let b = h.account("1000", "1");
    for o in [
        market(b, BUY, "0.01"),
        market(b, SELL, "0.01"),
        market_quote(b, "100"),
    ] {
        let before = h.view();
        let evs = h.place(o);
        assert!(trades(&evs).is_empty());
        assert_eq!(
            statuses(&evs),
            vec![
                (ExecType::New, OrderStatus::New, None),
                (
                    ExecType::Expired,
                    OrderStatus::Expired,
                    Some(Reason::NoLiquidity)
                ),
            ]
        );
        assert_eq!(h.view(), before);
    }
}

// ==================================================================== stops

#[test]
fn stop_limit_and_stop_market_trigger_on_last_trade() {
    let mut h = H::new();
    let a = h.account("100000", "10");
    let b = h.account("100000", "10");
    let c = h.account("100000", "10");
    let (s1, evs) = h.place_ok(stop_limit(c, BUY, "61000", "61500", "0.001"));
    // Pending: no book events. Lock 100 × 6_150_000 × 10 = 6_150_000_000 + 6_150_000.
    assert!(l3s(&evs).is_empty() && depth_updates(&evs).is_empty());
    assert_eq!(h.bal(c, USDT).locked, 6_156_150_000);
    assert!(h.ex.open_order(s1).unwrap().pending_stop);
    let (s2, _) = h.place_ok(stop_market(c, SELL, "59000", "0.001"));
    assert_eq!(h.bal(c, BTC).locked, 100_000);
    // A trade at 61000 triggers s1; it buys a's remaining 100 lots at 61000.
    let (ask, _) = h.place_ok(limit(a, SELL, "61000", "0.002"));
    let evs = h.place(limit(b, BUY, "61000", "0.001"));
    let r = execs(&evs);
    let seq: Vec<_> = r
        .iter()
        .map(|r| (r.order_id, r.exec_type, r.status))
        .collect();
    assert_eq!(
        seq,
        vec![
            (s2 + 2, ExecType::New, OrderStatus::New),
            (ask, ExecType::Trade, OrderStatus::PartiallyFilled),
            (s2 + 2, ExecType::Trade, OrderStatus::Filled),
            (s1, ExecType::Triggered, OrderStatus::New),
            (ask, ExecType::Trade, OrderStatus::Filled),
            (s1, ExecType::Trade, OrderStatus::Filled),
        ]
    );
    assert_eq!(
        trades(&evs)
            .iter()
            .map(|t| (t.trade_id, t.taker_order_id))
            .collect::<Vec<_>>(),
        vec![(1, s2 + 2), (2, s1)]
    );
    // c spent 6_100_000_000 + 6_100_000 of its 6_156_150_000 lock.
    assert_eq!(h.al(c, USDT), (10_000_000_000_000 - 6_106_100_000, 0));
    assert_eq!(h.al(c, BTC), (1_000_100_000 - 100_000, 100_000));
    // The sell stop triggers on a trade at 59000 and sells into the remaining bid.
    let (bid, _) = h.place_ok(limit(b, BUY, "59000", "0.002"));
    let evs = h.place(limit(a, SELL, "59000", "0.001"));
    let r = execs(&evs);
    let trig = r
        .iter()
        .position(|r| r.exec_type == ExecType::Triggered)
        .unwrap();
    assert_eq!(r[trig].order_id, s2);
    assert_eq!(
        r.last().map(|r| (r.order_id, r.status)),
        Some((s2, OrderStatus::Filled))
    );
    assert_eq!(
        trades(&evs)
            .iter()
            .map(|t| (t.maker_order_id, t.taker_order_id))
            .collect::<Vec<_>>(),
        vec![(bid, s2 + 4), (bid, s2)]
    );
    // c received 5_900_000_000 − 5_900_000 for 0.001 BTC.
    assert_eq!(h.al(c, BTC), (1_000_000_000, 0));
    assert_eq!(
        h.al(c, USDT),
        (10_000_000_000_000 - 6_106_100_000 + 5_894_100_000, 0)
    );
    assert_eq!(h.ex.last_price(BTC_USDT), Some(5_900_000));
    assert_eq!(h.ex.open_order_count(), 0);
}

#[test]
fn stops_triggered_together_run_in_order_id_order() {
    let mut h = H::new();
    let a = h.account("100000", "10");
    let b = h.account("100000", "10");
    let c = h.account("100000", "10");
    let (s1, _) = h.place_ok(stop_market(c, BUY, "60500", "0.001"));
    let (s2, _) = h.place_ok(stop_limit(c, BUY, "60100", "61000", "0.001"));
    let (s3, _) = h.place_ok(stop_market(c, BUY, "60300", "0.001"));
    // A sell stop far below must not trigger.
    let (s4, _) = h.place_ok(stop_market(c, SELL, "50000", "0.001"));
    h.place_ok(limit(a, SELL, "60500", "0.01"));
    let (taker, evs) = h.place_ok(limit(b, BUY, "60500", "0.001"));
    let trig: Vec<_> = execs(&evs)
        .iter()
        .filter(|r| r.exec_type == ExecType::Triggered)
        .map(|r| r.order_id)
        .collect();
    // All three trigger at last = 60500 (≥ 60500, 60100, 60300), in ascending id, not stop price.
    assert_eq!(trig, vec![s1, s2, s3]);
    assert_eq!(
        trades(&evs)
            .iter()
            .map(|t| t.taker_order_id)
            .collect::<Vec<_>>(),
        vec![taker, s1, s2, s3]
    );
    assert_eq!(
        h.ex.open_orders_of(c)
            .iter()
            .map(|o| o.id)
            .collect::<Vec<_>>(),
        vec![s4]
    );
    // s1 and s3 are stop-market buys by quantity: their whole-balance locks were released;
    // c spent 3 × (6_050_000_000 + 6_050_000); only s4's 100_000 BTC units are locked.
    assert_eq!(h.al(c, USDT), (10_000_000_000_000 - 3 * 6_056_050_000, 0));
    assert_eq!(h.al(c, BTC), (1_000_300_000 - 100_000, 100_000));
}

#[test]
fn stop_cascade_triggers_stop_via_triggered_trade() {
    let mut h = H::new();
    let a = h.account("100000", "10");
    let b = h.account("100000", "10");
    let c = h.account("100000", "10");
    // s1 buys at up to 61000 once last ≥ 60100; its own fill at 60800 then triggers s2
    // (stop 60700), which buys the ask at 60900.
    let (s1, _) = h.place_ok(stop_limit(c, BUY, "60100", "61000", "0.001"));
    let (s2, _) = h.place_ok(stop_market(c, BUY, "60700", "0.001"));
    h.place_ok(limit(a, SELL, "60100", "0.001"));
    h.place_ok(limit(a, SELL, "60800", "0.001"));
    h.place_ok(limit(a, SELL, "60900", "0.001"));
    let evs = h.place(limit(b, BUY, "60100", "0.001"));
    let t: Vec<_> = trades(&evs)
        .iter()
        .map(|t| (t.taker_order_id, t.price))
        .collect();
    assert_eq!(
        t,
        vec![(s2 + 4, 6_010_000), (s1, 6_080_000), (s2, 6_090_000)]
    );
    assert_eq!(h.ex.open_order_count(), 0);
}

// ==================================================================== market data

#[test]
fn depth_updates_hand_checked_and_continuous() {
    let mut h = H::new();
    let a = h.account("0", "1");
    let b = h.account("0", "1");
    let c = h.account("1000", "0");
    let evs = h.place(limit(a, SELL, "60000", "0.01"));
    assert_eq!(
        depth_updates(&evs),
        vec![DepthUpdate {
            instrument: 0,
            first_update_id: 1,
            last_update_id: 1,
            bids: vec![],
            asks: vec![(6_000_000, 1000)]
        }]
    );
    let evs = h.place(limit(b, SELL, "60001", "0.005"));
    assert_eq!(
        (
            depth_updates(&evs)[0].first_update_id,
            depth_updates(&evs)[0].last_update_id
        ),
        (2, 2)
    );
    // 0.012 buy at 60001: 1000 lots at 60000 and 200 at 60001 → two levels change.
    let evs = h.place(limit(c, BUY, "60001", "0.012"));
    assert_eq!(
        depth_updates(&evs),
        vec![DepthUpdate {
            instrument: 0,
            first_update_id: 3,
            last_update_id: 4,
            bids: vec![],
            asks: vec![(6_000_000, 0), (6_000_100, 300)]
        }]
    );
    assert_eq!(
        h.ex.depth(BTC_USDT, 10).unwrap(),
        DepthSnapshot {
            instrument: 0,
            last_update_id: 4,
            bids: vec![],
            asks: vec![(6_000_100, 300)]
        }
    );
    // Rejected commands do not move the update id.
    h.place(limit(c, BUY, "1", "0.01"));
    assert_eq!(h.ex.depth(BTC_USDT, 1).unwrap().last_update_id, 4);
}

#[test]
fn book_ticker_only_when_l1_changes() {
    let mut h = H::new();
    let a = h.account("10000", "1");
    let evs = h.place(limit(a, BUY, "59000", "0.01"));
    assert_eq!(
        book_tickers(&evs),
        vec![BookTicker {
            instrument: 0,
            update_id: 1,
            bid: Some((5_900_000, 1000)),
            ask: None
        }]
    );
    // A deeper bid changes L2 but not L1.
    let evs = h.place(limit(a, BUY, "58000", "0.01"));
    assert_eq!(depth_updates(&evs).len(), 1);
    assert!(book_tickers(&evs).is_empty());
    // More size at the best bid changes L1 (quantity).
    let evs = h.place(limit(a, BUY, "59000", "0.001"));
    assert_eq!(book_tickers(&evs)[0].bid, Some((5_900_000, 1100)));
    // A cancel deeper in the book: no L1.
    let deeper = h.ex.open_orders_of(a)[1].id;
    let evs = h.run(cancel(a, deeper));
    assert!(book_tickers(&evs).is_empty());
    // An ask sets L1; its update id is the latest.
    let evs = h.place(limit(a, SELL, "61000", "0.001"));
    assert_eq!(
        book_tickers(&evs),
        vec![BookTicker {
            instrument: 0,
            update_id: 5,
            bid: Some((5_900_000, 1100)),
            ask: Some((6_100_000, 100))
        }]
    );
    // Deposits, rejects and stops do nothing to L1.
    for cmd in [
        deposit(a, USDT, "1"),
        po(limit(a, BUY, "1", "1")),
        po(stop_market(a, SELL, "50000", "0.001")),
    ] {
        let evs = h.run(cmd);
        assert!(book_tickers(&evs).is_empty() && depth_updates(&evs).is_empty());
    }
}

/// Over seeded random scenarios: depth updates are continuous and rebuild `depth()` from the
/// initial (empty) snapshot and from a snapshot taken midway; L3 events rebuild the book; a
/// BookTicker is emitted exactly when L1 changes.
#[test]
fn market_data_streams_rebuild_the_book() {
    for seed in 1..=6u64 {
        let cmds = seeded_scenario(seed, 500);
        let mut ex = Exchange::new(tight_config()).unwrap();
        let n_ins = 2;
        let mut l2: Vec<LocalL2> = (0..n_ins)
            .map(|i| LocalL2::from_snapshot(&ex.depth(i, usize::MAX).unwrap()))
            .collect();
        let mut l2_mid: Vec<Option<LocalL2>> = vec![None, None];
        let mut l3: Vec<LocalL3> = vec![LocalL3::default(); 2];
        let mut last_u = [0u64; 2];
        let mut l1: Vec<BookTicker> = (0..n_ins).map(|i| ex.book_ticker(i).unwrap()).collect();
        let mut out = Vec::new();
        let mut traded = 0;
        for (k, (ts, step)) in cmds.iter().enumerate() {
            let cmd = &resolve(&ex, step);
            if k == cmds.len() / 2 {
                for i in 0..n_ins {
                    l2_mid[i as usize] =
                        Some(LocalL2::from_snapshot(&ex.depth(i, usize::MAX).unwrap()));
                }
            }
            out.clear();
            ex.apply(*ts, cmd, &mut out);
            let mut tickers = [0; 2];
            for s in &out {
                match &s.event {
                    Event::DepthUpdate(u) => {
                        let i = u.instrument as usize;
                        assert_eq!(u.first_update_id, last_u[i] + 1, "seed {seed} cmd {k}");
                        last_u[i] = u.last_update_id;
                        l2[i].apply(u).unwrap();
                        if let Some(m) = l2_mid[i].as_mut() {
                            m.apply(u).unwrap();
                        }
                    }
                    Event::L3(e) => {
                        let i = match *e {
                            L3Event::Added { instrument, .. }
                            | L3Event::Reduced { instrument, .. }
                            | L3Event::Removed { instrument, .. } => instrument,
                        } as usize;
                        l3[i]
                            .apply(e)
                            .unwrap_or_else(|err| panic!("seed {seed} cmd {k}: {err}"));
                    }
                    Event::BookTicker(t) => {
                        tickers[t.instrument as usize] += 1;
                        assert_ne!(
                            (t.bid, t.ask),
                            (l1[t.instrument as usize].bid, l1[t.instrument as usize].ask)
                        );
                        l1[t.instrument as usize] = *t;
                    }
                    Event::Trade(_) => traded += 1,
                    _ => {}
                }
            }
            for i in 0..n_ins {
                let book = ex.book(i).unwrap();
                let now = (book.best_bid(), book.best_ask());
                assert_eq!(
                    (l1[i as usize].bid, l1[i as usize].ask),
                    now,
                    "seed {seed} cmd {k}: L1 missed"
                );
                assert!(tickers[i as usize] <= 1);
                let depth = ex.depth(i, usize::MAX).unwrap();
                assert_eq!(l2[i as usize].as_snapshot(i), depth, "seed {seed} cmd {k}");
                if let Some(m) = &l2_mid[i as usize] {
                    assert_eq!(
                        m.as_snapshot(i),
                        depth,
                        "seed {seed} cmd {k} (mid snapshot)"
                    );
                }
                assert_eq!(
                    l3[i as usize].levels(),
                    l3_levels(&book.l3()),
                    "seed {seed} cmd {k}"
                );
            }
        }
        assert!(traded > 20, "seed {seed}: scenario should trade ({traded})");
    }
}

#[test]
fn candles_from_trades_with_flat_fill() {
    let mut h = H::new();
    let a = h.account("100000", "1");
    let b = h.account("100000", "1");
    // M = 1_700_000_040 s is a multiple of 60 s (28_333_334 minutes).
    let m = 1_700_000_040 * SEC;
    let trade = |h: &mut H, ts: u64, price: &str, qty: &str| {
        h.run_at(ts, po(limit(a, SELL, price, qty)));
        let evs = h.run_at(ts, po(limit(b, BUY, price, qty)));
        assert_eq!(trades(&evs).len(), 1);
    };
    trade(&mut h, m + 5 * SEC, "60000", "0.001"); // 100 lots, 6_000_000_000 units
    trade(&mut h, m + 30 * SEC, "60100", "0.002"); // 200 lots, 12_020_000_000
    trade(&mut h, m + 45 * SEC, "59900", "0.001"); // 100 lots, 5_990_000_000
    trade(&mut h, m + 2 * MIN + SEC, "60050", "0.001"); // 100 lots, 6_005_000_000
    let c =
        h.ex.candles(BTC_USDT, Interval::M1, m + 4 * MIN + 10 * SEC, 5);
    let flat = |t: u64, p: Ticks| Candle {
        open_time_ns: t,
        open: p,
        high: p,
        low: p,
        close: p,
        volume: 0,
        quote_volume: 0,
        trades: 0,
    };
    assert_eq!(
        c,
        vec![
            Candle {
                open_time_ns: m,
                open: 6_000_000,
                high: 6_010_000,
                low: 5_990_000,
                close: 5_990_000,
                volume: 400,
                quote_volume: 24_010_000_000,
                trades: 3
            },
            flat(m + MIN, 5_990_000),
            Candle {
                open_time_ns: m + 2 * MIN,
                open: 6_005_000,
                high: 6_005_000,
                low: 6_005_000,
                close: 6_005_000,
                volume: 100,
                quote_volume: 6_005_000_000,
                trades: 1
            },
            flat(m + 3 * MIN, 6_005_000),
            flat(m + 4 * MIN, 6_005_000),
        ]
    );
    assert_eq!(h.ex.candle_count(BTC_USDT, Interval::M1), 3);
    // The hour containing M starts at 1_699_999_200 s (472_222 h); one candle holds all four.
    let hr = h.ex.candles(BTC_USDT, Interval::H1, m + 4 * MIN, 10);
    assert_eq!(
        hr,
        vec![Candle {
            open_time_ns: 1_699_999_200 * SEC,
            open: 6_000_000,
            high: 6_010_000,
            low: 5_990_000,
            close: 6_005_000,
            volume: 500,
            quote_volume: 30_015_000_000,
            trades: 4
        }]
    );
    // 1s ring: contiguous from M+5s to M+121s (117 candles); a query at M+125s fills 4 flat
    // seconds after the last trade.
    assert_eq!(h.ex.candle_count(BTC_USDT, Interval::S1), 117);
    let s1 = h.ex.candles(BTC_USDT, Interval::S1, m + 125 * SEC, 7);
    assert_eq!(s1.len(), 7);
    assert_eq!(s1[0], flat(m + 119 * SEC, 5_990_000));
    assert_eq!(s1[1], flat(m + 120 * SEC, 5_990_000));
    assert_eq!(
        (s1[2].open_time_ns, s1[2].close, s1[2].trades),
        (m + 121 * SEC, 6_005_000, 1)
    );
    for (k, c) in s1[3..].iter().enumerate() {
        assert_eq!(*c, flat(m + (122 + k as u64) * SEC, 6_005_000));
    }
    let t = h.ex.ticker_24h(BTC_USDT, m + 4 * MIN).unwrap();
    // change 5_000 ticks on 6_000_000 = 8.33 bps → 8.
    assert_eq!(
        (
            t.open,
            t.high,
            t.low,
            t.last,
            t.volume,
            t.quote_volume,
            t.trades,
            t.change,
            t.change_bps
        ),
        (
            6_000_000,
            6_010_000,
            5_990_000,
            6_005_000,
            500,
            30_015_000_000,
            4,
            5_000,
            8
        )
    );
}

// ==================================================================== stale references

#[test]
fn stale_cancel_and_amend_after_full_fill() {
    let mut h = H::new();
    let a = h.account("0", "1");
    let b = h.account("1000", "0");
    let (id, _) = h.place_ok(limit(a, SELL, "60000", "0.01").cid(5));
    h.place(limit(b, BUY, "60000", "0.01"));
    assert!(h.ex.open_order(id).is_none());
    h.assert_rejected(cancel(a, id), Reason::UnknownOrder);
    h.assert_rejected(amend(a, id, None, Some("0.005")), Reason::UnknownOrder);
    h.assert_rejected(
        Command::CancelOrder {
            account: a,
            instrument: BTC_USDT,
            order: OrderRef::ClientOrderId(5),
        },
        Reason::UnknownOrder,
    );
    // And after a cancel.
    let (id, _) = h.place_ok(limit(a, SELL, "60000", "0.01"));
    h.run(cancel(a, id));
    h.assert_rejected(cancel(a, id), Reason::UnknownOrder);
    h.assert_rejected(amend(a, id, Some("60001"), None), Reason::UnknownOrder);
}

// ==================================================================== sweep

#[test]
fn sweep_5000_fills() {
    let mut h = H::new();
    let a = h.account_with(Some(6000), None, &[(BTC, "1")]);
    let b = h.account("40000", "0");
    h.ex.check_every_command = false;
    let mut out = Vec::new();
    // 5000 asks of 0.0001 (10 lots) at 60000.00 + k × 0.01, k = i mod 100 → 50 orders per level.
    for i in 0..5000u64 {
        let k = i % 100;
        let p = Decimal::new(6_000_000 + k as i64, 2);
        let o = {
            let mut o = limit(a, SELL, "1", "0.0001");
            o.spec.price = Some(p);
            o
        };
        h.ts += 1;
        h.ex.apply(h.ts, &Command::PlaceOrder(o), &mut out);
    }
    h.ex.check_invariants().unwrap();
    assert_eq!(h.ex.open_order_count(), 5000);
    h.ex.check_every_command = true;
    // 0.5 BTC at up to 60001: lock 50_000 × 6_000_100 × 10 = 3_000_050_000_000 + 3_000_050_000.
    let evs = h.place(limit(b, BUY, "60001", "0.5"));
    let t = trades(&evs);
    assert_eq!(t.len(), 5000);
    for (j, tr) in t.iter().enumerate() {
        let (k, n) = (j as u64 / 50, j as u64 % 50);
        assert_eq!(tr.trade_id, j as u64 + 1);
        assert_eq!(tr.price, 6_000_000 + k as i64);
        assert_eq!(tr.qty, 10);
        assert_eq!(
            tr.maker_order_id,
            k + 1 + 100 * n,
            "price then time priority"
        );
        assert_eq!(tr.taker_order_id, 5001);
    }
    // Σ notional = 100 × (5000 × 6_000_000 + 50 × 4950) = 3_000_024_750_000.
    // Taker fee per fill floor((6×10^8 + 100k) / 1000) = 600_000 + floor(k/10): Σ = 3_000_022_500.
    // Maker fee per fill 480_000 + floor(0.08k): Σ_k floor(0.08k) = 348 → 2_400_017_400.
    assert_eq!(
        h.al(b, USDT),
        (4_000_000_000_000 - 3_000_024_750_000 - 3_000_022_500, 0)
    );
    assert_eq!(h.al(b, BTC), (50_000_000, 0));
    assert_eq!(h.al(a, USDT), (3_000_024_750_000 - 2_400_017_400, 0));
    assert_eq!(h.al(a, BTC), (50_000_000, 0));
    assert_eq!(h.ex.fees_collected(USDT), 5_400_039_900);
    let last = execs(&evs).pop().unwrap();
    assert_eq!(
        (last.order_id, last.status, last.cum_qty, last.cum_quote),
        (5001, OrderStatus::Filled, 50_000, 3_000_024_750_000)
    );
    let du = depth_updates(&evs);
    assert_eq!(du.len(), 1);
    assert_eq!(du[0].asks.len(), 100);
    assert!(du[0].asks.iter().all(|&(_, q)| q == 0));
    assert_eq!(du[0].last_update_id - du[0].first_update_id + 1, 100);
    assert_eq!(book_tickers(&evs).last().unwrap().ask, None);
    assert_eq!(h.ex.open_order_count(), 0);
    assert_eq!(h.ex.last_price(BTC_USDT), Some(6_000_099));
}

// ==================================================================== extreme amounts

/// i64::MAX units of an 8-decimal asset, the largest amount a command can carry.
const MAX_AMOUNT: &str = "92233720368.54775807";

/// Before the cap, `a` could hold 2^64 − 2 USDT units while `b` deposited more; `a` selling BTC
/// to `b` then overflowed `a`'s available balance (a panic, or a silent wrap in release builds).
#[test]
fn total_supply_is_capped_so_balances_cannot_overflow() {
    let mut h = H::new();
    let a = h.account("0", "0");
    let b = h.account("0", "0");
    // 2 × (2^63 − 1) = 2^64 − 2 units: still representable.
    h.run(deposit(a, USDT, MAX_AMOUNT));
    h.run(deposit(a, USDT, MAX_AMOUNT));
    assert_eq!(h.al(a, USDT), (u64::MAX - 1, 0));
    // Another account may hold only what is left of u64::MAX units in total: 1 unit.
    h.assert_rejected(deposit(b, USDT, "0.00000002"), Reason::AmountNotOnGrid);
    h.run(deposit(b, USDT, "0.00000001"));
    // After a withdrawal there is room again.
    h.run(withdraw(a, USDT, "1"));
    h.run(deposit(b, USDT, "1"));
    assert_eq!(h.al(b, USDT), (100_000_001, 0));
    // b sells BTC to a: b's USDT grows, bounded by the supply.
    h.run(deposit(b, BTC, "1"));
    h.place_ok(limit(b, SELL, "60000", "0.01"));
    h.place(limit(a, BUY, "60000", "0.01"));
    assert_eq!(
        h.al(b, USDT),
        (100_000_001 + 60_000_000_000 - 48_000_000, 0)
    );
}

#[test]
fn huge_volumes_do_not_overflow_candles() {
    // Trades of max_qty (9000 BTC) at 60000: 900_000_000 lots × 6_000_000 × 10 = 5.4 × 10^16
    // units each; 400 of them in one minute exceed u64::MAX (1.8 × 10^19) in quote volume.
    let mut h = H::new();
    let a = h.account_with(None, None, &[(BTC, "9000"), (USDT, MAX_AMOUNT)]);
    let b = h.account_with(None, None, &[(USDT, MAX_AMOUNT)]);
    h.ex.check_every_command = false;
    let t0 = (h.ts / MIN + 1) * MIN;
    let mut out = Vec::new();
    for i in 0..400u64 {
        let (seller, buyer) = if i % 2 == 0 { (a, b) } else { (b, a) };
        for o in [
            limit(seller, SELL, "60000", "9000"),
            limit(buyer, BUY, "60000", "9000"),
        ] {
            out.clear();
            h.ex.apply(t0 + i, &Command::PlaceOrder(o), &mut out);
        }
        assert!(
            out.iter().any(|s| matches!(s.event, Event::Trade(_))),
            "trade {i}"
        );
    }
    h.ex.check_invariants().unwrap();
    let c = h.ex.candles(BTC_USDT, Interval::M1, t0, 1)[0];
    assert_eq!((c.trades, c.volume), (400, 400 * 900_000_000));
    assert_eq!(c.quote_volume, u64::MAX, "saturates instead of wrapping");
    assert_eq!(
        h.ex.ticker_24h(BTC_USDT, t0).unwrap().quote_volume,
        u64::MAX
    );
}

#[test]
fn cancel_all_with_nothing_open_is_rejected() {
    let mut h = H::new();
    let a = h.account("1000", "1");
    h.assert_rejected(
        Command::CancelAll {
            account: a,
            instrument: None,
        },
        Reason::UnknownOrder,
    );
    // Orders on another instrument do not count for a per-instrument cancel-all.
    h.run(deposit(a, ETH, "1"));
    h.place_ok(limit(a, SELL, "3000", "0.1").on(ETH_USDT));
    h.assert_rejected(
        Command::CancelAll {
            account: a,
            instrument: Some(BTC_USDT),
        },
        Reason::UnknownOrder,
    );
}

#[test]
fn stop_market_buy_by_quote_locks_quote_and_spends_its_budget() {
    let mut h = H::new();
    let a = h.account("100000", "10");
    let b = h.account("100000", "10");
    let c = h.account("1000", "0");
    let (s, _) = h.place_ok({
        let mut o = order(c, BUY, OrderType::StopMarket);
        o.spec.stop_price = Some(d("60500"));
        o.spec.quote_quantity = Some(d("100"));
        o
    });
    // Locked at placement: 100 USDT + taker fee 0.1 = 10_010_000_000.
    assert_eq!(
        h.al(c, USDT),
        (100_000_000_000 - 10_010_000_000, 10_010_000_000)
    );
    h.place_ok(limit(a, SELL, "60500", "0.01"));
    let evs = h.place(limit(b, BUY, "60500", "0.001"));
    // Budget 10^9 tick·lots at 6_050_000: 165 lots (998_250_000; 166 would be 1_004_300_000).
    // 165 × 6_050_000 × 10 = 9_982_500_000 + taker fee 9_982_500.
    let mine: Vec<_> = execs(&evs)
        .into_iter()
        .filter(|r| r.order_id == s)
        .collect();
    assert_eq!(
        mine.iter()
            .map(|r| (r.exec_type, r.status, r.reason))
            .collect::<Vec<_>>(),
        vec![
            (ExecType::Triggered, OrderStatus::New, None),
            // Quote-sized: spending the budget fills the order (Binance `quoteOrderQty`).
            (ExecType::Trade, OrderStatus::Filled, None),
        ]
    );
    assert_eq!(
        (mine[1].last_qty, mine[1].last_quote, mine[1].fee),
        (165, 9_982_500_000, 9_982_500)
    );
    assert_eq!(h.al(c, USDT), (100_000_000_000 - 9_992_482_500, 0));
    assert_eq!(h.al(c, BTC), (165_000, 0));
}

// A REJECTED report repeats what the order asked for where it is on the grid (as Binance's reject
// answers repeat the request), so a client's history keeps it; fields off the grid read 0. By hand:
// 60000.00 is 6,000,000 ticks of 0.01; 0.01 BTC is 1,000 lots of 0.00001; the stop 59000.5 is
// 5,900,050 ticks; 5 USDT is 500,000,000 units of 1e-8.
#[test]
fn rejected_report_carries_the_requested_fields() {
    let mut h = H::new();
    let c = h.account("100", "0");
    let report = |evs: &[Event]| execs(evs).into_iter().next().expect("a report").clone();
    let evs = h.run(po({
        let mut o = limit(c, BUY, "60000", "0.01");
        o.spec.tif = TimeInForce::Fok;
        o
    }));
    let r = report(&evs);
    assert_eq!(
        (r.exec_type, r.status),
        (ExecType::Rejected, OrderStatus::Rejected)
    );
    assert_eq!(r.reason, Some(Reason::InsufficientBalance));
    assert_eq!(
        (r.order_id, r.price, r.quantity, r.tif),
        (0, 6_000_000, 1_000, TimeInForce::Fok)
    );
    let evs = h.run(po(stop_limit(c, BUY, "59000.5", "59001", "0.01")));
    let r = report(&evs);
    assert_eq!(
        (r.stop_price, r.price, r.quantity),
        (5_900_050, 5_900_100, 1_000)
    );
    // Off the grid: the price reads 0, the quantity is still there.
    let evs = h.run(po(limit(c, BUY, "60000.001", "0.01")));
    let r = report(&evs);
    assert_eq!(r.reason, Some(Reason::PriceNotOnTick));
    assert_eq!((r.price, r.quantity), (0, 1_000));
    let evs = h.run(po(market_quote(c, "500")));
    let r = report(&evs);
    assert_eq!(r.quote_quantity, 50_000_000_000);
}
