//! Property tests: the fast `OrderBook` against the naive reference matcher (`reference/mod.rs`).
//!
//! Random command sequences on a tight price band with few owners (so that orders cross, queue up
//! and self-trade all the time) are fed to both books. After every command the event streams must be
//! identical, the L3 books must be identical, and both books' invariants must hold. On top of that,
//! each command's events are checked for internal consistency (fill arithmetic, limits respected,
//! budget respected, FOK all-or-nothing, rejections change nothing).
//!
//! Call auctions start and uncross at random points (with a random reference price inside the
//! band), so orders pile up crossed; after every command both books' indicative uncross must be
//! the same, and an uncross without self-trade expiries must trade exactly the indicative volume
//! at the indicative price and leave the book uncrossed.
//!
//! Ids are resolved while the sequence runs, so that cancels and amends hit live orders most of the
//! time, and ids of finished orders are reused.

mod reference;

use bourse_core::auction::Indicative;
use bourse_core::book::{
    BookCommand, BookEvent, BookOrder, BookReject, ExpireReason, L3Book, MatchingEngine, OrderBook,
    Outcome,
};
use bourse_core::types::{Lots, OrderId, Side, StpMode, Ticks, TimeInForce};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use reference::NaiveBook;

/// Which id a command names, resolved against the state when it runs.
#[derive(Debug, Clone, Copy)]
enum IdPick {
    /// A resting order (the k-th by id, modulo); a fresh id when the book is empty.
    Live(usize),
    /// An id used before that is not resting now (filled, cancelled, expired, rejected); a
    /// never-seen id when there is none.
    Dead(usize),
    /// A new id: for a placement the next unused id, for cancel/amend one never seen.
    New,
}

#[derive(Debug, Clone, Copy)]
enum PricePick {
    /// The order's current price.
    Same,
    /// This price.
    Abs(Ticks),
    /// The current price moved by this many ticks.
    Shift(Ticks),
}

#[derive(Debug, Clone, Copy)]
enum QtyPick {
    /// The order's current remaining quantity.
    Same,
    /// That minus k (may reach 0, which is invalid).
    Less(Lots),
    /// That plus k.
    More(Lots),
    /// This quantity (may be 0).
    Abs(Lots),
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Place {
        id: IdPick,
        owner: u32,
        side: Side,
        price: Option<Ticks>,
        qty: Lots,
        tif: TimeInForce,
        post_only: bool,
        stp: StpMode,
        budget: Option<u128>,
    },
    Cancel(IdPick),
    Amend(IdPick, PricePick, QtyPick),
    StartAuction,
    Uncross(Ticks),
}

/// Shape of the random sequences.
#[derive(Debug, Clone, Copy)]
struct Band {
    lo: Ticks,
    hi: Ticks,
    owners: u32,
    max_qty: Lots,
    /// Relative weights of place, cancel and amend commands.
    mix: (u32, u32, u32),
    /// Weight of market orders among placements (out of ~100).
    market: u32,
    /// Weight of auction starts and of uncrosses, each (against `mix`).
    auction: u32,
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Buy), Just(Side::Sell)]
}

fn tif() -> impl Strategy<Value = TimeInForce> {
    prop_oneof![
        6 => Just(TimeInForce::Gtc),
        2 => Just(TimeInForce::Ioc),
        2 => Just(TimeInForce::Fok),
    ]
}

fn stp() -> impl Strategy<Value = StpMode> {
    prop_oneof![
        3 => Just(StpMode::None),
        2 => Just(StpMode::ExpireTaker),
        2 => Just(StpMode::ExpireMaker),
        2 => Just(StpMode::ExpireBoth),
    ]
}

fn id_pick(live: u32, dead: u32, new: u32) -> impl Strategy<Value = IdPick> {
    prop_oneof![
        live => (0usize..64).prop_map(IdPick::Live),
        dead => (0usize..64).prop_map(IdPick::Dead),
        new => Just(IdPick::New),
    ]
}

fn op(b: Band) -> impl Strategy<Value = Op> {
    // Limit prices are drawn as a distance `d` from the passive end of the band (buy: lo + d,
    // sell: hi - d), mostly from its passive half plus a little overlap so that books build up
    // queues, sometimes from the whole band so that orders sweep.
    let width = b.hi - b.lo;
    let price = prop_oneof![
        62 => (0..=width / 2 + 1).prop_map(|d| Some(Ok(d))),
        24 => (0..=width).prop_map(|d| Some(Ok(d))),
        b.market => Just(None),
        // Invalid limit prices, taken as they are.
        4 => (-2i64..=0).prop_map(|p| Some(Err(p))),
    ];
    let qty = prop_oneof![
        90 => 1..=b.max_qty,
        8 => (2 * b.max_qty)..=(6 * b.max_qty),
        2 => Just(0),
    ];
    let budget = prop_oneof![
        85 => Just(None),
        15 => (0u128..=(b.hi as u128 * 3 * b.max_qty as u128)).prop_map(Some),
    ];
    let post_only = prop_oneof![85 => Just(false), 15 => Just(true)];
    let place = (
        id_pick(1, 3, 16),
        1..=b.owners,
        side(),
        price,
        qty,
        tif(),
        post_only,
        stp(),
        budget,
    )
        .prop_map(
            move |(id, owner, side, d, qty, tif, post_only, stp, budget)| Op::Place {
                id,
                owner,
                side,
                price: d.map(|d| match (d, side) {
                    (Ok(d), Side::Buy) => b.lo + d,
                    (Ok(d), Side::Sell) => b.hi - d,
                    (Err(raw), _) => raw,
                }),
                qty,
                tif,
                post_only,
                stp,
                budget,
            },
        );
    let amend_price = prop_oneof![
        4 => Just(PricePick::Same),
        3 => (-2i64..=2).prop_map(PricePick::Shift),
        3 => (b.lo..=b.hi).prop_map(PricePick::Abs),
        1 => (-1i64..=0).prop_map(PricePick::Abs),
    ];
    let amend_qty = prop_oneof![
        3 => Just(QtyPick::Same),
        2 => (1..=b.max_qty / 2).prop_map(QtyPick::Less),
        3 => (1..=b.max_qty).prop_map(QtyPick::More),
        2 => (0..=b.max_qty).prop_map(QtyPick::Abs),
    ];
    prop_oneof![
        b.mix.0 => place,
        b.mix.1 => id_pick(14, 4, 2).prop_map(Op::Cancel),
        b.mix.2 => (id_pick(16, 2, 2), amend_price, amend_qty)
            .prop_map(|(id, p, q)| Op::Amend(id, p, q)),
        b.auction => Just(Op::StartAuction),
        b.auction => (b.lo - 3..=b.hi + 3).prop_map(Op::Uncross),
    ]
}

/// Ids of all resting orders, sorted.
fn live_ids(l3: &L3Book) -> Vec<OrderId> {
    let mut v: Vec<OrderId> = l3
        .bids
        .iter()
        .chain(l3.asks.iter())
        .flat_map(|l| l.orders.iter().map(|o| o.id))
        .collect();
    v.sort_unstable();
    v
}

fn find(l3: &L3Book, id: OrderId) -> Option<bourse_core::book::RestingOrder> {
    l3.bids
        .iter()
        .chain(l3.asks.iter())
        .flat_map(|l| l.orders.iter())
        .find(|o| o.id == id)
        .copied()
}

/// Turns abstract ops into concrete commands, remembering which ids were used.
struct Resolver {
    seen: Vec<OrderId>,
    next_id: OrderId,
    never_seen: OrderId,
}

impl Resolver {
    fn new() -> Self {
        Resolver {
            seen: Vec::new(),
            next_id: 1,
            never_seen: 1_000_000,
        }
    }

    fn id(&mut self, pick: IdPick, l3: &L3Book, placing: bool) -> OrderId {
        let live = live_ids(l3);
        let fresh = |r: &mut Self| {
            if placing {
                r.next_id += 1;
                r.next_id - 1
            } else {
                r.never_seen += 1;
                r.never_seen
            }
        };
        let id = match pick {
            IdPick::Live(k) if !live.is_empty() => live[k % live.len()],
            IdPick::Dead(k) => {
                let dead: Vec<OrderId> = self
                    .seen
                    .iter()
                    .copied()
                    .filter(|i| live.binary_search(i).is_err())
                    .collect();
                if dead.is_empty() {
                    fresh(self)
                } else {
                    dead[k % dead.len()]
                }
            }
            _ => fresh(self),
        };
        if placing && !self.seen.contains(&id) {
            self.seen.push(id);
        }
        id
    }

    fn resolve(&mut self, op: &Op, l3: &L3Book) -> BookCommand {
        match *op {
            Op::Place {
                id,
                owner,
                side,
                price,
                qty,
                tif,
                post_only,
                stp,
                budget,
            } => BookCommand::Place(BookOrder {
                id: self.id(id, l3, true),
                owner,
                side,
                price,
                qty,
                tif,
                post_only,
                stp,
                budget,
            }),
            Op::Cancel(id) => BookCommand::Cancel {
                id: self.id(id, l3, false),
            },
            Op::Amend(id, p, q) => {
                let id = self.id(id, l3, false);
                let (cur_price, cur_qty) = find(l3, id).map_or((100, 3), |o| (o.price, o.qty));
                let price = match p {
                    PricePick::Same => cur_price,
                    PricePick::Abs(p) => p,
                    PricePick::Shift(d) => cur_price + d,
                };
                let qty = match q {
                    QtyPick::Same => cur_qty,
                    QtyPick::Less(k) => cur_qty.saturating_sub(k),
                    QtyPick::More(k) => cur_qty + k,
                    QtyPick::Abs(q) => q,
                };
                BookCommand::Amend { id, price, qty }
            }
            Op::StartAuction => BookCommand::StartAuction,
            Op::Uncross(reference) => BookCommand::Uncross { reference },
        }
    }
}

/// Checks one command's events for internal consistency, given the book before and after.
fn check_events(
    cmd: &BookCommand,
    ev: &[BookEvent],
    before: &L3Book,
    after: &L3Book,
    indicative_before: Indicative,
) -> Result<(), String> {
    match *cmd {
        BookCommand::StartAuction => {
            return match (ev.is_empty(), before == after) {
                (true, true) => Ok(()),
                _ => Err("StartAuction changed the book or emitted events".into()),
            }
        }
        BookCommand::Uncross { .. } => return check_uncross(ev, after, indicative_before),
        _ => {}
    }
    let Some(first) = ev.first() else {
        return Err("no events".into());
    };
    if let BookEvent::Rejected { id, reason } = *first {
        let named = match *cmd {
            BookCommand::Place(o) => o.id,
            BookCommand::Cancel { id } | BookCommand::Amend { id, .. } => id,
            BookCommand::StartAuction | BookCommand::Uncross { .. } => unreachable!(),
        };
        if ev.len() != 1 || id != named {
            return Err("a rejection must be the only event, naming the command's id".into());
        }
        if before != after {
            return Err(format!("rejected ({reason:?}) but the book changed"));
        }
        let live = find(before, id).is_some();
        let expect_live = !matches!(
            (cmd, reason),
            (
                BookCommand::Cancel { .. } | BookCommand::Amend { .. },
                BookReject::UnknownOrder
            )
        );
        if matches!(cmd, BookCommand::Cancel { .. } | BookCommand::Amend { .. })
            && live != expect_live
        {
            return Err(format!("{reason:?} on order that is live={live}"));
        }
        if reason == BookReject::DuplicateOrderId && !live {
            return Err("duplicate id rejected although not resting".into());
        }
        return Ok(());
    }
    // What the incoming order is, if the command makes one.
    let (id, side, limit, qty, tif, budget, matching) = match *cmd {
        BookCommand::Place(o) => (o.id, o.side, o.price, o.qty, o.tif, o.budget, ev),
        BookCommand::Cancel { id } => {
            let o = find(before, id).ok_or("cancel of a non-resting order succeeded")?;
            let want = BookEvent::Canceled {
                id,
                owner: o.owner,
                price: o.price,
                qty: o.qty,
            };
            if ev != [want] || find(after, id).is_some() {
                return Err("bad cancel".into());
            }
            return Ok(());
        }
        BookCommand::Amend { id, price, qty } => {
            let o = find(before, id).ok_or("amend of a non-resting order succeeded")?;
            match *first {
                BookEvent::Amended {
                    kept_priority: true,
                    ..
                } => {
                    let now = find(after, id).map(|n| (n.price, n.qty));
                    if ev.len() != 1 || o.price != price || qty > o.qty || now != Some((price, qty))
                    {
                        return Err("bad kept-priority amend".into());
                    }
                    return Ok(());
                }
                BookEvent::Amended {
                    kept_priority: false,
                    ..
                } => (
                    id,
                    o.side,
                    Some(price),
                    qty,
                    TimeInForce::Gtc,
                    None,
                    &ev[1..],
                ),
                _ => return Err("amend must start with Amended".into()),
            }
        }
        BookCommand::StartAuction | BookCommand::Uncross { .. } => unreachable!(),
    };
    let (last, body) = matching.split_last().ok_or("no Done")?;
    let BookEvent::Done {
        id: done_id,
        filled,
        remaining,
        outcome,
    } = *last
    else {
        return Err("last event is not Done".into());
    };
    if done_id != id || filled + remaining != qty {
        return Err("Done does not add up".into());
    }
    let (mut sum, mut notional) = (0u64, 0u128);
    for e in body {
        match *e {
            BookEvent::Fill {
                taker_id,
                price,
                qty: q,
                taker_remaining,
                ..
            } => {
                sum += q;
                notional += price as u128 * q as u128;
                let within = match (limit, side) {
                    (None, _) => true,
                    (Some(l), Side::Buy) => price <= l,
                    (Some(l), Side::Sell) => price >= l,
                };
                if taker_id != id || q == 0 || taker_remaining != qty - sum || !within {
                    return Err(format!("bad fill {e:?}"));
                }
            }
            BookEvent::MakerExpired { .. } => {}
            _ => return Err(format!("unexpected event {e:?}")),
        }
    }
    if sum != filled {
        return Err("fills do not add up to Done.filled".into());
    }
    if budget.is_some_and(|b| notional > b) {
        return Err("budget exceeded".into());
    }
    if tif == TimeInForce::Fok
        && !(outcome == Outcome::Filled
            || (outcome == Outcome::Expired(ExpireReason::FokUnfillable) && body.is_empty()))
    {
        return Err("FOK neither filled nor cleanly expired".into());
    }
    if outcome == Outcome::Expired(ExpireReason::FokUnfillable) && before != after {
        return Err("FOK expiry changed the book".into());
    }
    let rests = find(after, id);
    match outcome {
        Outcome::Rested
            if remaining == 0
                || rests.map(|o| (o.qty, Some(o.price))) != Some((remaining, limit)) =>
        {
            return Err("Rested but not resting with its remainder".into());
        }
        Outcome::Rested => {}
        Outcome::Filled if remaining != 0 => return Err("Filled with a remainder".into()),
        _ if rests.is_some() => return Err("finished order still rests".into()),
        _ => {}
    }
    Ok(())
}

/// An uncross: fills only between resting orders, and without expiries exactly the indicative
/// volume at the indicative price; the book afterwards is not crossed.
fn check_uncross(ev: &[BookEvent], after: &L3Book, ind: Indicative) -> Result<(), String> {
    let mut volume = 0;
    let mut expired = false;
    for e in ev {
        match *e {
            BookEvent::UncrossFill {
                price,
                qty,
                taker_id,
                maker_id,
                ..
            } => {
                if qty == 0 || maker_id >= taker_id {
                    return Err(format!("bad uncross fill {e:?}"));
                }
                if !expired && Some(price) != ind.price {
                    return Err(format!("first-round fill {e:?} not at {:?}", ind.price));
                }
                volume += qty;
            }
            BookEvent::MakerExpired { .. } => expired = true,
            _ => return Err(format!("unexpected uncross event {e:?}")),
        }
    }
    if !expired && volume != ind.volume {
        return Err(format!(
            "uncross traded {volume}, indicative {}",
            ind.volume
        ));
    }
    if let (Some(b), Some(a)) = (after.bids.first(), after.asks.first()) {
        if b.price >= a.price {
            return Err(format!(
                "book crossed after the uncross: {} >= {}",
                b.price, a.price
            ));
        }
    }
    Ok(())
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut fast = OrderBook::new();
    let mut naive = NaiveBook::new();
    let mut ids = Resolver::new();
    let (mut ev_fast, mut ev_naive) = (Vec::new(), Vec::new());
    let mut log: Vec<BookCommand> = Vec::new();
    let mut before = L3Book::default();
    for op in ops {
        let cmd = ids.resolve(op, &before);
        log.push(cmd);
        let reference = match cmd {
            BookCommand::Uncross { reference } => reference,
            _ => 100,
        };
        let indicative_before = fast.indicative(reference);
        ev_fast.clear();
        ev_naive.clear();
        fast.execute(&cmd, &mut ev_fast);
        naive.execute(&cmd, &mut ev_naive);
        prop_assert_eq!(
            &ev_fast,
            &ev_naive,
            "events differ (fast left, naive right) after {:#?}",
            log
        );
        let after = fast.l3();
        prop_assert_eq!(
            &after,
            &naive.l3(),
            "L3 differs (fast left, naive right) after {:#?}",
            log
        );
        if let Err(e) = fast.check_invariants() {
            return Err(TestCaseError::fail(format!("fast: {e} after {log:#?}")));
        }
        if let Err(e) = naive.check_invariants() {
            return Err(TestCaseError::fail(format!("naive: {e} after {log:#?}")));
        }
        prop_assert_eq!(fast.in_auction(), naive.in_auction());
        for r in [90, 100, 110] {
            prop_assert_eq!(
                fast.indicative(r),
                naive.indicative(r),
                "indicative at reference {} differs (fast left, naive right) after {:#?}",
                r,
                log
            );
        }
        if let Err(e) = check_events(&cmd, &ev_fast, &before, &after, indicative_before) {
            return Err(TestCaseError::fail(format!(
                "{e}: events {ev_fast:#?} after {log:#?}"
            )));
        }
        prop_assert_eq!(fast.order_count(), naive.order_count());
        before = after;
    }
    Ok(())
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

const TIGHT: Band = Band {
    lo: 95,
    hi: 105,
    owners: 3,
    max_qty: 5,
    mix: (12, 4, 5),
    market: 10,
    auction: 1,
};

/// Very few prices and two owners: long FIFO queues and constant self-trade conflicts.
const NARROW: Band = Band {
    lo: 99,
    hi: 101,
    owners: 2,
    max_qty: 3,
    mix: (12, 4, 5),
    market: 10,
    auction: 1,
};

/// Many price levels, so that the fast book's ladders exceed its linear-search window (16 levels)
/// and level insertion/removal goes through the binary search.
const WIDE: Band = Band {
    lo: 40,
    hi: 120,
    owners: 3,
    max_qty: 4,
    mix: (20, 2, 4),
    market: 2,
    auction: 1,
};

proptest! {
    #![proptest_config(config(10_000))]
    #[test]
    fn fast_book_matches_reference_tight_band(ops in prop::collection::vec(op(TIGHT), 1..80)) {
        run(&ops)?;
    }
}

proptest! {
    #![proptest_config(config(2_000))]
    #[test]
    fn fast_book_matches_reference_narrow_band(ops in prop::collection::vec(op(NARROW), 1..120)) {
        run(&ops)?;
    }
}

proptest! {
    #![proptest_config(config(1_000))]
    #[test]
    fn fast_book_matches_reference_wide_band(ops in prop::collection::vec(op(WIDE), 1..200)) {
        run(&ops)?;
    }
}
