//! Criterion benchmarks of the book layer and the full exchange path.
//!
//! `cargo bench -p bourse-core --bench book` (a few minutes). Workloads come from `bourse-workloads`
//! (a dev-dependency; it depends on this crate, which cargo allows for dev-dependencies), so these
//! numbers are comparable with `bourse bench`.
//!
//! - `book/add`: 10 000 non-crossing limit orders into an empty book (random prices near the touch).
//! - `book/cancel`: cancel 10 000 resting orders in random order.
//! - `book/sweep`: one IOC order taking 500 levels × 4 orders of a deep book.
//! - `book/realistic`: the realistic mix (cancels, amends, IOC, drift and crashes), 100 000 messages.
//! - `exchange/realistic`: the realistic mix through `Exchange::apply` (risk checks, wallet, market
//!   data, digest), 300 funded accounts, 50 000 commands.

use bourse_core::{
    BookCommand, BookEvent, BookOrder, MatchingEngine, OrderBook, Side, StpMode, TimeInForce,
};
use bourse_workloads::{
    deep_sweep_with, realistic_book, realistic_exchange, rng::Rng, SweepParams,
};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::time::Duration;

const N: u64 = 10_000;

fn limit(id: u64, side: Side, price: i64, qty: u64) -> BookCommand {
    BookCommand::Place(BookOrder {
        id,
        owner: (id % 1000) as u32,
        side,
        price: Some(price),
        qty,
        tif: TimeInForce::Gtc,
        post_only: false,
        stp: StpMode::None,
        budget: None,
    })
}

/// `N` resting orders: bids below 1 000 000, asks above, within 64 ticks of the touch.
fn resting_orders(seed: u64) -> Vec<BookCommand> {
    let mut rng = Rng::new(seed);
    (1..=N)
        .map(|id| {
            let d = 1 + rng.below(64) as i64;
            let q = rng.range(1, 100);
            if rng.coin() {
                limit(id, Side::Buy, 1_000_000 - d, q)
            } else {
                limit(id, Side::Sell, 1_000_000 + d, q)
            }
        })
        .collect()
}

fn run(book: &mut OrderBook, cmds: &[BookCommand], out: &mut Vec<BookEvent>) -> usize {
    let mut n = 0;
    for c in cmds {
        book.execute(c, out);
        n += out.len();
        out.clear();
    }
    n
}

fn book_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("book");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(20);

    let adds = resting_orders(1);
    g.throughput(Throughput::Elements(N));
    g.bench_function("add", |b| {
        b.iter_batched_ref(
            || (bourse_workloads::new_book(), Vec::with_capacity(64)),
            |(book, out)| run(book, &adds, out),
            BatchSize::LargeInput,
        )
    });

    let mut rng = Rng::new(2);
    let mut ids: Vec<u64> = (1..=N).collect();
    for i in (1..ids.len()).rev() {
        ids.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let cancels: Vec<BookCommand> = ids.iter().map(|&id| BookCommand::Cancel { id }).collect();
    g.bench_function("cancel", |b| {
        b.iter_batched_ref(
            || {
                let mut book = bourse_workloads::new_book();
                let mut out = Vec::with_capacity(64);
                run(&mut book, &adds, &mut out);
                (book, out)
            },
            |(book, out)| run(book, &cancels, out),
            BatchSize::LargeInput,
        )
    });

    // Deep book: 2 000 levels × 4 orders per side; the sweep takes 500 bid levels.
    let p = SweepParams::default();
    let build = deep_sweep_with(3, (2 * p.levels * p.orders_per_level) as usize, p);
    let sweep = [BookCommand::Place(BookOrder {
        id: u64::MAX - 1,
        owner: 0,
        side: Side::Sell,
        price: Some(p.mid - 500),
        qty: u64::MAX / 4,
        tif: TimeInForce::Ioc,
        post_only: false,
        stp: StpMode::None,
        budget: None,
    })];
    g.throughput(Throughput::Elements(500 * p.orders_per_level));
    g.bench_function("sweep", |b| {
        b.iter_batched_ref(
            || {
                let mut book = bourse_workloads::new_book();
                let mut out = Vec::with_capacity(4096);
                run(&mut book, &build, &mut out);
                (book, out)
            },
            |(book, out)| run(book, &sweep, out),
            BatchSize::LargeInput,
        )
    });

    let mix = realistic_book(42, 100_000);
    g.throughput(Throughput::Elements(mix.len() as u64));
    g.bench_function("realistic", |b| {
        b.iter_batched_ref(
            || (bourse_workloads::new_book(), Vec::with_capacity(4096)),
            |(book, out)| run(book, &mix, out),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn exchange_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("exchange");
    g.measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(10);
    let w = realistic_exchange(42, 50_000, bourse_workloads::EXCHANGE_ACCOUNTS);
    let base = w.prepared();
    g.throughput(Throughput::Elements(w.flow.len() as u64));
    g.bench_function("realistic", |b| {
        b.iter_batched_ref(
            || base.clone(),
            |ex| bourse_workloads::run_exchange(ex, &w.flow),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, book_benches, exchange_benches);
criterion_main!(benches);
