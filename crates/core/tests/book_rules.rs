//! Hand-checked matching rules at the book layer, run against BOTH the fast `OrderBook` and the
//! naive reference matcher (`reference/mod.rs`), like exchange-core's naive-vs-fast book tests.
//!
//! Every test is a generic function over an engine; the `both!` macro at the bottom instantiates
//! it once per engine (`fast::name` and `naive::name`). Every expected event and book below is
//! worked out by hand in the comments next to it.
//!
//! Notation in comments: `S id owner qty@price` is a resting sell, `B ...` a resting buy.

mod reference;

use bourse_core::book::{
    BookCommand, BookEvent, BookOrder, BookReject, ExpireReason, L3Book, MatchingEngine, OrderBook,
    Outcome,
};
use bourse_core::types::{Lots, OrderId, Side, StpMode, Ticks, TimeInForce};
use reference::NaiveBook;

const BUY: Side = Side::Buy;
const SELL: Side = Side::Sell;

/// An engine under test plus its own consistency check, run after every command.
trait Engine: MatchingEngine {
    fn verify(&self);
}

impl Engine for OrderBook {
    fn verify(&self) {
        self.check_invariants().expect("fast book invariants");
        // No stale or missing levels: the ladders agree with the L3 view.
        let l3 = self.l3();
        assert_eq!(self.level_count(BUY), l3.bids.len());
        assert_eq!(self.level_count(SELL), l3.asks.len());
        let n: usize = l3.bids.iter().chain(&l3.asks).map(|l| l.orders.len()).sum();
        assert_eq!(self.order_count(), n);
        let top = |levels: &Vec<bourse_core::book::L3Level>| {
            levels
                .first()
                .map(|l| (l.price, l.orders.iter().map(|o| o.qty).sum::<Lots>()))
        };
        assert_eq!(self.best_bid(), top(&l3.bids));
        assert_eq!(self.best_ask(), top(&l3.asks));
    }
}

impl Engine for NaiveBook {
    fn verify(&self) {
        self.check_invariants().expect("reference book invariants");
    }
}

/// Runs one command and returns its events.
fn exec<E: Engine>(e: &mut E, cmd: BookCommand) -> Vec<BookEvent> {
    let mut out = Vec::new();
    e.execute(&cmd, &mut out);
    e.verify();
    out
}

/// A GTC limit order without post-only, STP or budget.
fn limit(id: OrderId, owner: u32, side: Side, price: Ticks, qty: Lots) -> BookOrder {
    BookOrder {
        id,
        owner,
        side,
        price: Some(price),
        qty,
        tif: TimeInForce::Gtc,
        post_only: false,
        stp: StpMode::None,
        budget: None,
    }
}

/// A market order (IOC semantics) without STP or budget.
fn market(id: OrderId, owner: u32, side: Side, qty: Lots) -> BookOrder {
    BookOrder {
        price: None,
        tif: TimeInForce::Ioc,
        ..limit(id, owner, side, 1, qty)
    }
}

fn place(o: BookOrder) -> BookCommand {
    BookCommand::Place(o)
}

fn cancel(id: OrderId) -> BookCommand {
    BookCommand::Cancel { id }
}

fn amend(id: OrderId, price: Ticks, qty: Lots) -> BookCommand {
    BookCommand::Amend { id, price, qty }
}

/// Places a GTC limit order that must rest untouched.
fn rest<E: Engine>(e: &mut E, id: OrderId, owner: u32, side: Side, price: Ticks, qty: Lots) {
    assert_eq!(
        exec(e, place(limit(id, owner, side, price, qty))),
        vec![done(id, 0, qty, Outcome::Rested)]
    );
}

fn fill(
    taker_id: OrderId,
    maker_id: OrderId,
    maker_owner: u32,
    price: Ticks,
    qty: Lots,
    maker_remaining: Lots,
    taker_remaining: Lots,
) -> BookEvent {
    BookEvent::Fill {
        taker_id,
        maker_id,
        maker_owner,
        price,
        qty,
        maker_remaining,
        taker_remaining,
    }
}

fn done(id: OrderId, filled: Lots, remaining: Lots, outcome: Outcome) -> BookEvent {
    BookEvent::Done {
        id,
        filled,
        remaining,
        outcome,
    }
}

fn expired(r: ExpireReason) -> Outcome {
    Outcome::Expired(r)
}

fn rejected(id: OrderId, reason: BookReject) -> BookEvent {
    BookEvent::Rejected { id, reason }
}

fn maker_expired(id: OrderId, owner: u32, price: Ticks, qty: Lots) -> BookEvent {
    BookEvent::MakerExpired {
        id,
        owner,
        price,
        qty,
    }
}

fn amended(id: OrderId, price: Ticks, qty: Lots, kept_priority: bool) -> BookEvent {
    BookEvent::Amended {
        id,
        price,
        qty,
        kept_priority,
    }
}

type Ladder = Vec<(Ticks, Vec<(OrderId, Lots)>)>;

/// One side of the book as `(price, [(id, qty) in queue order])`, best first.
fn side_view(l3: &L3Book, side: Side) -> Ladder {
    let levels = match side {
        Side::Buy => &l3.bids,
        Side::Sell => &l3.asks,
    };
    levels
        .iter()
        .map(|l| (l.price, l.orders.iter().map(|o| (o.id, o.qty)).collect()))
        .collect()
}

fn bids<E: Engine>(e: &E) -> Ladder {
    side_view(&e.l3(), BUY)
}

fn asks<E: Engine>(e: &E) -> Ladder {
    side_view(&e.l3(), SELL)
}

// ---------------------------------------------------------------------------------------------

/// FIFO within a level: cancel from the middle of the queue, then sweep; the order of the fills
/// proves the queue order.
fn fifo_cancel_middle_then_sweep<E: Engine>(mut e: E) {
    // Queue at 100: S1 o1 2, S2 o2 3, S3 o1 4, S4 o2 5 (arrival order).
    rest(&mut e, 1, 1, SELL, 100, 2);
    rest(&mut e, 2, 2, SELL, 100, 3);
    rest(&mut e, 3, 1, SELL, 100, 4);
    rest(&mut e, 4, 2, SELL, 100, 5);
    // Cancel S2 from the middle: 3 lots of owner 2 leave.
    assert_eq!(
        exec(&mut e, cancel(2)),
        vec![BookEvent::Canceled {
            id: 2,
            owner: 2,
            price: 100,
            qty: 3
        }]
    );
    assert_eq!(asks(&e), vec![(100, vec![(1, 2), (3, 4), (4, 5)])]);
    // Buy 10 @100 (owner 3): S1 2 (taker left 8), S3 4 (left 4), S4 4 of 5 (S4 keeps 1, left 0).
    assert_eq!(
        exec(&mut e, place(limit(10, 3, BUY, 100, 10))),
        vec![
            fill(10, 1, 1, 100, 2, 0, 8),
            fill(10, 3, 1, 100, 4, 0, 4),
            fill(10, 4, 2, 100, 4, 1, 0),
            done(10, 10, 0, Outcome::Filled),
        ]
    );
    assert_eq!(asks(&e), vec![(100, vec![(4, 1)])]);
    assert_eq!(bids(&e), vec![]);
    // A newcomer at 100 queues behind S4's residual, which kept its place.
    rest(&mut e, 5, 1, SELL, 100, 7);
    assert_eq!(asks(&e), vec![(100, vec![(4, 1), (5, 7)])]);
}

/// A partial fill leaves a residual that can then be cancelled; cancelling again is unknown.
fn partial_fill_then_cancel_residual<E: Engine>(mut e: E) {
    rest(&mut e, 1, 1, SELL, 101, 10);
    // Buy 4 @101: one fill of 4, S1 keeps 6.
    assert_eq!(
        exec(&mut e, place(limit(2, 2, BUY, 101, 4))),
        vec![fill(2, 1, 1, 101, 4, 6, 0), done(2, 4, 0, Outcome::Filled)]
    );
    assert_eq!(asks(&e), vec![(101, vec![(1, 6)])]);
    // The residual 6 is what the cancel removes.
    assert_eq!(
        exec(&mut e, cancel(1)),
        vec![BookEvent::Canceled {
            id: 1,
            owner: 1,
            price: 101,
            qty: 6
        }]
    );
    assert_eq!(e.l3(), L3Book::default());
    assert_eq!(
        exec(&mut e, cancel(1)),
        vec![rejected(1, BookReject::UnknownOrder)]
    );
}

/// After a full fill, the maker (and the taker, which never rested) are unknown to cancel and
/// amend; the book does not change.
fn stale_cancel_and_amend_after_full_fill<E: Engine>(mut e: E) {
    rest(&mut e, 1, 1, SELL, 100, 5);
    rest(&mut e, 2, 1, SELL, 102, 1);
    assert_eq!(
        exec(&mut e, place(limit(3, 2, BUY, 100, 5))),
        vec![fill(3, 1, 1, 100, 5, 0, 0), done(3, 5, 0, Outcome::Filled)]
    );
    let before = e.l3();
    assert_eq!(asks(&e), vec![(102, vec![(2, 1)])]);
    for id in [1, 3] {
        assert_eq!(
            exec(&mut e, cancel(id)),
            vec![rejected(id, BookReject::UnknownOrder)]
        );
        assert_eq!(
            exec(&mut e, amend(id, 100, 1)),
            vec![rejected(id, BookReject::UnknownOrder)]
        );
    }
    // A never-seen id too.
    assert_eq!(
        exec(&mut e, amend(99, 101, 1)),
        vec![rejected(99, BookReject::UnknownOrder)]
    );
    assert_eq!(e.l3(), before);
}

/// An id may be used again once its order left the book (cancelled or filled), but not while it
/// rests.
fn ids_reused_after_cancel<E: Engine>(mut e: E) {
    rest(&mut e, 7, 1, BUY, 99, 3);
    // While 7 rests, a second 7 is a duplicate, whatever its side; nothing changes.
    assert_eq!(
        exec(&mut e, place(limit(7, 2, SELL, 105, 1))),
        vec![rejected(7, BookReject::DuplicateOrderId)]
    );
    assert_eq!(bids(&e), vec![(99, vec![(7, 3)])]);
    assert_eq!(asks(&e), vec![]);
    assert_eq!(
        exec(&mut e, cancel(7)),
        vec![BookEvent::Canceled {
            id: 7,
            owner: 1,
            price: 99,
            qty: 3
        }]
    );
    // Reused on the other side by another owner: a brand-new order.
    rest(&mut e, 7, 2, SELL, 101, 2);
    assert_eq!(bids(&e), vec![]);
    assert_eq!(asks(&e), vec![(101, vec![(7, 2)])]);
    // Fill it completely with taker 8, then reuse 7 again, and reuse the taker's id 8 as well.
    assert_eq!(
        exec(&mut e, place(limit(8, 1, BUY, 101, 2))),
        vec![fill(8, 7, 2, 101, 2, 0, 0), done(8, 2, 0, Outcome::Filled)]
    );
    rest(&mut e, 7, 1, BUY, 98, 4);
    rest(&mut e, 8, 2, BUY, 98, 1);
    assert_eq!(bids(&e), vec![(98, vec![(7, 4), (8, 1)])]);
    let o = &e.l3().bids[0].orders[0];
    assert_eq!((o.id, o.owner, o.side), (7, 1, BUY));
}

/// A marketable limit order takes what is within its limit, stops at its own price and rests the
/// remainder (GTC) or expires it (IOC).
fn marketable_limit_stops_at_its_price<E: Engine>(mut e: E) {
    // Asks: S1 2@100, S2 3@101, S3 4@102.
    rest(&mut e, 1, 1, SELL, 100, 2);
    rest(&mut e, 2, 1, SELL, 101, 3);
    rest(&mut e, 3, 1, SELL, 102, 4);
    // GTC buy 8 @101: 2@100 (left 6), 3@101 (left 3); 102 is beyond the limit; 3 rest at 101.
    assert_eq!(
        exec(&mut e, place(limit(10, 2, BUY, 101, 8))),
        vec![
            fill(10, 1, 1, 100, 2, 0, 6),
            fill(10, 2, 1, 101, 3, 0, 3),
            done(10, 5, 3, Outcome::Rested),
        ]
    );
    assert_eq!(bids(&e), vec![(101, vec![(10, 3)])]);
    assert_eq!(asks(&e), vec![(102, vec![(3, 4)])]);
    // IOC sell 5 @101 hits only the bid at 101 (3 lots) and the 2 left expire.
    let ioc = BookOrder {
        tif: TimeInForce::Ioc,
        ..limit(11, 1, SELL, 101, 5)
    };
    assert_eq!(
        exec(&mut e, place(ioc)),
        vec![
            fill(11, 10, 2, 101, 3, 0, 2),
            done(11, 3, 2, expired(ExpireReason::IocRemainder)),
        ]
    );
    assert_eq!(bids(&e), vec![]);
    assert_eq!(asks(&e), vec![(102, vec![(3, 4)])]);
}

/// Trades print at the resting order's price, for a buy taker and for a sell taker.
fn trades_print_at_maker_price<E: Engine>(mut e: E) {
    // Buy taker with limit 105 against S1 2@100 and S2 2@103: prints 100 then 103, never 105.
    rest(&mut e, 1, 1, SELL, 100, 2);
    rest(&mut e, 2, 1, SELL, 103, 2);
    assert_eq!(
        exec(&mut e, place(limit(3, 2, BUY, 105, 4))),
        vec![
            fill(3, 1, 1, 100, 2, 0, 2),
            fill(3, 2, 1, 103, 2, 0, 0),
            done(3, 4, 0, Outcome::Filled),
        ]
    );
    // Sell taker with limit 90 against B4 1@99 and B5 1@97: prints 99 then 97, never 90.
    rest(&mut e, 4, 1, BUY, 99, 1);
    rest(&mut e, 5, 1, BUY, 97, 1);
    assert_eq!(
        exec(&mut e, place(limit(6, 2, SELL, 90, 2))),
        vec![
            fill(6, 4, 1, 99, 1, 0, 1),
            fill(6, 5, 1, 97, 1, 0, 0),
            done(6, 2, 0, Outcome::Filled),
        ]
    );
    // A market sell prints at the bid: B7 3@98, market sell 1 → 1@98.
    rest(&mut e, 7, 1, BUY, 98, 3);
    assert_eq!(
        exec(&mut e, place(market(8, 2, SELL, 1))),
        vec![fill(8, 7, 1, 98, 1, 2, 0), done(8, 1, 0, Outcome::Filled)]
    );
    assert_eq!(e.l3().bids[0].orders[0].qty, 2);
}

/// One order sweeps 5,000 resting orders over 50 levels; afterwards the book is empty and the
/// swept prices hold no stale levels.
fn sweep_of_5000_orders<E: Engine>(mut e: E) {
    // 50 levels (1000..=1049), 100 orders each, ids 1..=5000 in price-then-arrival order, so
    // price-time priority fills them in id order. Quantity of id i: 1 + i % 3, so ids ≡ 0,1,2
    // (mod 3) have 1, 2, 3 lots; 1..=5000 holds 1666 ids ≡ 0, 1667 ≡ 1 and 1667 ≡ 2, total
    // 1666·1 + 1667·2 + 1667·3 = 1666 + 3334 + 5001 = 10_001 lots.
    let qty_of = |i: u64| 1 + i % 3;
    let mut id = 0;
    for level in 0..50 {
        for _ in 0..100 {
            id += 1;
            rest(
                &mut e,
                id,
                1 + (id % 2) as u32,
                SELL,
                1000 + level,
                qty_of(id),
            );
        }
    }
    assert_eq!(e.l3().asks.len(), 50);
    // Buy exactly 10_001 @1049 (owner 3, no STP): every order fills completely, in id order.
    let out = exec(&mut e, place(limit(9_000, 3, BUY, 1049, 10_001)));
    assert_eq!(out.len(), 5_001);
    let mut total = 0;
    for (k, ev) in out[..5_000].iter().enumerate() {
        let id = k as u64 + 1;
        let price = 1000 + (k as i64) / 100;
        total += qty_of(id);
        assert_eq!(
            *ev,
            fill(
                9_000,
                id,
                1 + (id % 2) as u32,
                price,
                qty_of(id),
                0,
                10_001 - total
            )
        );
    }
    assert_eq!(total, 10_001);
    assert_eq!(out[5_000], done(9_000, 10_001, 0, Outcome::Filled));
    assert_eq!(e.l3(), L3Book::default());
    // No stale level: a new sell at a swept price is alone in a fresh level, and a buy at a swept
    // price rests (nothing hidden to match).
    rest(&mut e, 1, 1, SELL, 1020, 5);
    rest(&mut e, 2, 2, BUY, 1019, 5);
    assert_eq!(asks(&e), vec![(1020, vec![(1, 5)])]);
    assert_eq!(bids(&e), vec![(1019, vec![(2, 5)])]);
}

/// FOK that cannot fill entirely has no side effects at all (no fills, no STP maker expiries),
/// and one that can fills entirely.
fn fok_has_no_side_effects<E: Engine>(mut e: E) {
    // Asks: S1 o1 2@100, S2 o2 3@100 (the taker's own), S3 o1 2@101.
    rest(&mut e, 1, 1, SELL, 100, 2);
    rest(&mut e, 2, 2, SELL, 100, 3);
    rest(&mut e, 3, 1, SELL, 101, 2);
    let before = e.l3();
    let fok = |id, qty, limit_price, stp| BookOrder {
        tif: TimeInForce::Fok,
        stp,
        ..limit(id, 2, BUY, limit_price, qty)
    };
    // Owner 2, EXPIRE_MAKER, buy 5 @101: fillable = 2 (S1) + 2 (S3) = 4 (own S2 would be expired,
    // not traded) < 5 → expires, and S2 is NOT expired.
    assert_eq!(
        exec(&mut e, place(fok(10, 5, 101, StpMode::ExpireMaker))),
        vec![done(10, 0, 5, expired(ExpireReason::FokUnfillable))]
    );
    assert_eq!(e.l3(), before);
    // EXPIRE_TAKER buy 3 @101: 2 from S1, then own S2 stops it → 2 < 3 → expires untouched.
    assert_eq!(
        exec(&mut e, place(fok(11, 3, 101, StpMode::ExpireTaker))),
        vec![done(11, 0, 3, expired(ExpireReason::FokUnfillable))]
    );
    assert_eq!(e.l3(), before);
    // EXPIRE_BOTH buy 3 @101: same stop at S2 → expires, S2 stays.
    assert_eq!(
        exec(&mut e, place(fok(12, 3, 101, StpMode::ExpireBoth))),
        vec![done(12, 0, 3, expired(ExpireReason::FokUnfillable))]
    );
    assert_eq!(e.l3(), before);
    // Limit too low: buy 3 @100 without STP: 2 + 3 (self-trade allowed) = 5 ≥ 3 would fill, but
    // buy 6 @100 cannot (only 5 at ≤100) → expires.
    assert_eq!(
        exec(&mut e, place(fok(13, 6, 100, StpMode::None))),
        vec![done(13, 0, 6, expired(ExpireReason::FokUnfillable))]
    );
    assert_eq!(e.l3(), before);
    // A market FOK for more than the whole side (7 lots) expires too.
    let mkt = BookOrder {
        tif: TimeInForce::Fok,
        ..market(14, 3, BUY, 8)
    };
    assert_eq!(
        exec(&mut e, place(mkt)),
        vec![done(14, 0, 8, expired(ExpireReason::FokUnfillable))]
    );
    assert_eq!(e.l3(), before);
    // EXPIRE_MAKER buy 4 @101 is fillable (2 + 2): S1 2@100, S2 expired (3), S3 2@101.
    assert_eq!(
        exec(&mut e, place(fok(15, 4, 101, StpMode::ExpireMaker))),
        vec![
            fill(15, 1, 1, 100, 2, 0, 2),
            maker_expired(2, 2, 100, 3),
            fill(15, 3, 1, 101, 2, 0, 0),
            done(15, 4, 0, Outcome::Filled),
        ]
    );
    assert_eq!(e.l3(), L3Book::default());
}

/// Post-only orders are rejected (book unchanged) when they would match the opposite best, and
/// rest otherwise; a post-only amend to a crossing price is rejected as well.
fn post_only_rejection<E: Engine>(mut e: E) {
    rest(&mut e, 1, 1, SELL, 100, 5);
    let po = |id, side, price| BookOrder {
        post_only: true,
        ..limit(id, 2, side, price, 2)
    };
    // Buy @100 would match the ask at 100; so would @101.
    for (id, price) in [(2, 100), (3, 101)] {
        assert_eq!(
            exec(&mut e, place(po(id, BUY, price))),
            vec![rejected(id, BookReject::PostOnlyWouldTake)]
        );
    }
    assert_eq!(bids(&e), vec![]);
    // Buy @99 rests.
    assert_eq!(
        exec(&mut e, place(po(4, BUY, 99))),
        vec![done(4, 0, 2, Outcome::Rested)]
    );
    // Sell @99 would match the bid at 99: rejected; sell @100 rests behind S1.
    assert_eq!(
        exec(&mut e, place(po(5, SELL, 99))),
        vec![rejected(5, BookReject::PostOnlyWouldTake)]
    );
    assert_eq!(
        exec(&mut e, place(po(6, SELL, 100))),
        vec![done(6, 0, 2, Outcome::Rested)]
    );
    assert_eq!(asks(&e), vec![(100, vec![(1, 5), (6, 2)])]);
    // Amending the post-only bid 4 up to 100 would take: rejected, B4 unchanged.
    let before = e.l3();
    assert_eq!(
        exec(&mut e, amend(4, 100, 2)),
        vec![rejected(4, BookReject::PostOnlyWouldTake)]
    );
    assert_eq!(e.l3(), before);
    // A post-only market order is not a thing.
    let mkt = BookOrder {
        post_only: true,
        ..market(7, 2, BUY, 1)
    };
    assert_eq!(
        exec(&mut e, place(mkt)),
        vec![rejected(7, BookReject::InvalidPrice)]
    );
    assert_eq!(e.l3(), before);
}

/// Asks at 100 in queue order: S1 o2 2, S2 o1 3, S3 o2 4. The taker is owner 1 buying 6 @100.
fn stp_setup<E: Engine>(e: &mut E) {
    rest(e, 1, 2, SELL, 100, 2);
    rest(e, 2, 1, SELL, 100, 3);
    rest(e, 3, 2, SELL, 100, 4);
}

fn stp_taker(stp: StpMode) -> BookCommand {
    place(BookOrder {
        stp,
        ..limit(10, 1, BUY, 100, 6)
    })
}

/// STP NONE: the self-trade prints like any trade.
fn stp_none<E: Engine>(mut e: E) {
    stp_setup(&mut e);
    // S1 2 (left 4), S2 3 with maker_owner 1 (left 1), S3 1 of 4 (S3 keeps 3).
    assert_eq!(
        exec(&mut e, stp_taker(StpMode::None)),
        vec![
            fill(10, 1, 2, 100, 2, 0, 4),
            fill(10, 2, 1, 100, 3, 0, 1),
            fill(10, 3, 2, 100, 1, 3, 0),
            done(10, 6, 0, Outcome::Filled),
        ]
    );
    assert_eq!(asks(&e), vec![(100, vec![(3, 3)])]);
}

/// STP EXPIRE_TAKER: the taker's remainder expires at its own order (even GTC, it does not rest);
/// the maker stays.
fn stp_expire_taker<E: Engine>(mut e: E) {
    stp_setup(&mut e);
    // S1 2 (left 4), then own S2: stop; 4 expire.
    assert_eq!(
        exec(&mut e, stp_taker(StpMode::ExpireTaker)),
        vec![
            fill(10, 1, 2, 100, 2, 0, 4),
            done(10, 2, 4, expired(ExpireReason::SelfTradePrevention)),
        ]
    );
    assert_eq!(asks(&e), vec![(100, vec![(2, 3), (3, 4)])]);
    assert_eq!(bids(&e), vec![]);
}

/// STP EXPIRE_MAKER: the own resting order expires and the taker continues.
fn stp_expire_maker<E: Engine>(mut e: E) {
    stp_setup(&mut e);
    // S1 2 (left 4), S2 expires with its 3, S3 4 (left 0).
    assert_eq!(
        exec(&mut e, stp_taker(StpMode::ExpireMaker)),
        vec![
            fill(10, 1, 2, 100, 2, 0, 4),
            maker_expired(2, 1, 100, 3),
            fill(10, 3, 2, 100, 4, 0, 0),
            done(10, 6, 0, Outcome::Filled),
        ]
    );
    assert_eq!(e.l3(), L3Book::default());
    // The expired maker is gone: cancelling it is unknown.
    assert_eq!(
        exec(&mut e, cancel(2)),
        vec![rejected(2, BookReject::UnknownOrder)]
    );
}

/// STP EXPIRE_BOTH: the own resting order expires and so does the taker's remainder.
fn stp_expire_both<E: Engine>(mut e: E) {
    stp_setup(&mut e);
    // S1 2 (left 4), S2 expires (3), then the taker stops with 4 expiring; S3 untouched.
    assert_eq!(
        exec(&mut e, stp_taker(StpMode::ExpireBoth)),
        vec![
            fill(10, 1, 2, 100, 2, 0, 4),
            maker_expired(2, 1, 100, 3),
            done(10, 2, 4, expired(ExpireReason::SelfTradePrevention)),
        ]
    );
    assert_eq!(asks(&e), vec![(100, vec![(3, 4)])]);
    assert_eq!(bids(&e), vec![]);
}

/// STP only concerns the taker's own orders: with the maker mode set on the resting order but
/// NONE on the taker, the self-trade prints (the taker's mode decides).
fn stp_taker_mode_decides<E: Engine>(mut e: E) {
    let maker = BookOrder {
        stp: StpMode::ExpireBoth,
        ..limit(1, 1, SELL, 100, 2)
    };
    assert_eq!(
        exec(&mut e, place(maker)),
        vec![done(1, 0, 2, Outcome::Rested)]
    );
    assert_eq!(
        exec(&mut e, place(limit(2, 1, BUY, 100, 2))),
        vec![fill(2, 1, 1, 100, 2, 0, 0), done(2, 2, 0, Outcome::Filled)]
    );
}

/// A market order on an empty opposite side expires with no fill; one larger than the side takes
/// it all and expires the rest.
fn market_order_on_empty_side<E: Engine>(mut e: E) {
    rest(&mut e, 1, 1, BUY, 99, 4);
    // Market buy 5: no asks at all.
    assert_eq!(
        exec(&mut e, place(market(2, 2, BUY, 5))),
        vec![done(2, 0, 5, expired(ExpireReason::NoLiquidity))]
    );
    // A GTC market order behaves the same (never rests).
    let gtc = BookOrder {
        tif: TimeInForce::Gtc,
        ..market(3, 2, BUY, 5)
    };
    assert_eq!(
        exec(&mut e, place(gtc)),
        vec![done(3, 0, 5, expired(ExpireReason::NoLiquidity))]
    );
    assert_eq!(bids(&e), vec![(99, vec![(1, 4)])]);
    assert_eq!(asks(&e), vec![]);
    // Market sell 6 against the 4 bid lots: fills 4 @99, 2 expire.
    assert_eq!(
        exec(&mut e, place(market(4, 2, SELL, 6))),
        vec![
            fill(4, 1, 1, 99, 4, 0, 2),
            done(4, 4, 2, expired(ExpireReason::NoLiquidity)),
        ]
    );
    assert_eq!(e.l3(), L3Book::default());
}

/// Amend: same price and less (or equal) quantity keeps the queue place; more quantity or a new
/// price loses it; a crossing amend trades as a new arrival.
fn amend_keeps_or_loses_priority<E: Engine>(mut e: E) {
    // Bids at 99: B1 o1 5, B2 o2 5.
    rest(&mut e, 1, 1, BUY, 99, 5);
    rest(&mut e, 2, 2, BUY, 99, 5);
    // B1 down to 3 at the same price: keeps its place.
    assert_eq!(exec(&mut e, amend(1, 99, 3)), vec![amended(1, 99, 3, true)]);
    assert_eq!(bids(&e), vec![(99, vec![(1, 3), (2, 5)])]);
    // Same quantity, same price: still keeps it.
    assert_eq!(exec(&mut e, amend(1, 99, 3)), vec![amended(1, 99, 3, true)]);
    assert_eq!(bids(&e), vec![(99, vec![(1, 3), (2, 5)])]);
    // B1 up to 6: goes to the back of the queue (re-enters, rests 6 with nothing to match).
    assert_eq!(
        exec(&mut e, amend(1, 99, 6)),
        vec![amended(1, 99, 6, false), done(1, 0, 6, Outcome::Rested)]
    );
    assert_eq!(bids(&e), vec![(99, vec![(2, 5), (1, 6)])]);
    // B2 to 98 (less quantity but a new price): loses its place too.
    assert_eq!(
        exec(&mut e, amend(2, 98, 4)),
        vec![amended(2, 98, 4, false), done(2, 0, 4, Outcome::Rested)]
    );
    assert_eq!(bids(&e), vec![(99, vec![(1, 6)]), (98, vec![(2, 4)])]);
    // Invalid amends change nothing.
    let before = e.l3();
    assert_eq!(
        exec(&mut e, amend(1, 99, 0)),
        vec![rejected(1, BookReject::InvalidQuantity)]
    );
    assert_eq!(
        exec(&mut e, amend(1, 0, 2)),
        vec![rejected(1, BookReject::InvalidPrice)]
    );
    assert_eq!(e.l3(), before);
    // Ask S3 o3 4@101; amend B2 (98, 4) to 102 × 5: crosses, buys 4 @101 (maker price), rests 1 @102.
    rest(&mut e, 3, 3, SELL, 101, 4);
    assert_eq!(
        exec(&mut e, amend(2, 102, 5)),
        vec![
            amended(2, 102, 5, false),
            fill(2, 3, 3, 101, 4, 0, 1),
            done(2, 4, 1, Outcome::Rested),
        ]
    );
    assert_eq!(bids(&e), vec![(102, vec![(2, 1)]), (99, vec![(1, 6)])]);
    assert_eq!(asks(&e), vec![]);
    // A sell 7 @98 now takes B2 1@102 first, then B1 6@99.
    assert_eq!(
        exec(&mut e, place(limit(4, 3, SELL, 98, 7))),
        vec![
            fill(4, 2, 2, 102, 1, 0, 6),
            fill(4, 1, 1, 99, 6, 0, 0),
            done(4, 7, 0, Outcome::Filled),
        ]
    );
    assert_eq!(e.l3(), L3Book::default());
}

/// The amended order keeps its STP mode: an EXPIRE_TAKER bid amended onto its owner's ask expires.
fn amend_keeps_stp_mode<E: Engine>(mut e: E) {
    rest(&mut e, 1, 1, SELL, 101, 2);
    let bid = BookOrder {
        stp: StpMode::ExpireTaker,
        ..limit(2, 1, BUY, 99, 3)
    };
    assert_eq!(
        exec(&mut e, place(bid)),
        vec![done(2, 0, 3, Outcome::Rested)]
    );
    // Amend to 101: first (and only) ask is its own → the re-entering order expires, nothing fills.
    assert_eq!(
        exec(&mut e, amend(2, 101, 3)),
        vec![
            amended(2, 101, 3, false),
            done(2, 0, 3, expired(ExpireReason::SelfTradePrevention)),
        ]
    );
    assert_eq!(bids(&e), vec![]);
    assert_eq!(asks(&e), vec![(101, vec![(1, 2)])]);
}

/// A market buy with a budget in tick·lots stops when the next lot would exceed it.
fn budget_limited_market_buy<E: Engine>(mut e: E) {
    // Asks: S1 2@100, S2 3@101, S3 5@102.
    rest(&mut e, 1, 1, SELL, 100, 2);
    rest(&mut e, 2, 1, SELL, 101, 3);
    rest(&mut e, 3, 1, SELL, 102, 5);
    let buy = |id, qty, budget| BookOrder {
        budget: Some(budget),
        ..market(id, 2, BUY, qty)
    };
    // Budget 450, qty 10: S1 2@100 = 200 (left 250); S2: 250 / 101 = 2 lots = 202 (left 48);
    // next lot of S2 costs 101 > 48 → stop: filled 4, 6 expire. Spent 402 ≤ 450.
    assert_eq!(
        exec(&mut e, place(buy(10, 10, 450))),
        vec![
            fill(10, 1, 1, 100, 2, 0, 8),
            fill(10, 2, 1, 101, 2, 1, 6),
            done(10, 4, 6, expired(ExpireReason::BudgetExhausted)),
        ]
    );
    assert_eq!(asks(&e), vec![(101, vec![(2, 1)]), (102, vec![(3, 5)])]);
    // Budget exactly enough: 1@101 + 1@102 = 203 with qty 2 → filled, no expiry.
    assert_eq!(
        exec(&mut e, place(buy(11, 2, 203))),
        vec![
            fill(11, 2, 1, 101, 1, 0, 1),
            fill(11, 3, 1, 102, 1, 4, 0),
            done(11, 2, 0, Outcome::Filled),
        ]
    );
    // Budget below one lot (101 < 102): nothing fills.
    assert_eq!(
        exec(&mut e, place(buy(12, 1, 101))),
        vec![done(12, 0, 1, expired(ExpireReason::BudgetExhausted))]
    );
    // Budget larger than the side: the side runs out first (4 @102 = 408 of 1000) → NoLiquidity.
    assert_eq!(
        exec(&mut e, place(buy(13, 9, 1000))),
        vec![
            fill(13, 3, 1, 102, 4, 0, 5),
            done(13, 4, 5, expired(ExpireReason::NoLiquidity)),
        ]
    );
    assert_eq!(e.l3(), L3Book::default());
}

/// Rejections come in a fixed order of checks and change nothing.
fn placement_rejections<E: Engine>(mut e: E) {
    rest(&mut e, 1, 1, SELL, 100, 1);
    let before = e.l3();
    // Quantity is checked first (even with a bad price and a duplicate id).
    assert_eq!(
        exec(&mut e, place(limit(1, 1, BUY, 0, 0))),
        vec![rejected(1, BookReject::InvalidQuantity)]
    );
    // Then the price (even with a duplicate id).
    assert_eq!(
        exec(&mut e, place(limit(1, 1, BUY, -5, 1))),
        vec![rejected(1, BookReject::InvalidPrice)]
    );
    // Then the id (even when post-only would take).
    let po = BookOrder {
        post_only: true,
        ..limit(1, 2, BUY, 100, 1)
    };
    assert_eq!(
        exec(&mut e, place(po)),
        vec![rejected(1, BookReject::DuplicateOrderId)]
    );
    // Then post-only.
    assert_eq!(
        exec(&mut e, place(BookOrder { id: 2, ..po })),
        vec![rejected(2, BookReject::PostOnlyWouldTake)]
    );
    assert_eq!(e.l3(), before);
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod fast {
            $( #[test] fn $name() { super::$name(bourse_core::book::OrderBook::new()); } )*
        }
        mod naive {
            $( #[test] fn $name() { super::$name(crate::reference::NaiveBook::new()); } )*
        }
    };
}

both!(
    fifo_cancel_middle_then_sweep,
    partial_fill_then_cancel_residual,
    stale_cancel_and_amend_after_full_fill,
    ids_reused_after_cancel,
    marketable_limit_stops_at_its_price,
    trades_print_at_maker_price,
    sweep_of_5000_orders,
    fok_has_no_side_effects,
    post_only_rejection,
    stp_none,
    stp_expire_taker,
    stp_expire_maker,
    stp_expire_both,
    stp_taker_mode_decides,
    market_order_on_empty_side,
    amend_keeps_or_loses_priority,
    amend_keeps_stp_mode,
    budget_limited_market_buy,
    placement_rejections,
);
