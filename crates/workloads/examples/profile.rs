//! Run one standard workload repeatedly, for profilers:
//! `cargo run --release -p bourse-workloads --example profile -- book-realistic 1000000 10`
//! (`valgrind --tool=callgrind target/release/examples/profile book-realistic 200000 1`).

use bourse_workloads::Prepared;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let name = args.get(1).map_or("book-realistic", |s| s.as_str());
    let n: usize = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let iters: u32 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(10);
    let Some(p) = Prepared::generate(name, 42, n) else {
        eprintln!(
            "error: unknown workload {name} (known: {:?})",
            bourse_workloads::WORKLOADS
        );
        std::process::exit(1);
    };
    let t = Instant::now();
    let s = p.run(iters);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{name}: {:.2} M msgs/s ({} msgs x {iters} in {secs:.3} s), {s:?}",
        n as f64 * iters as f64 / secs / 1e6,
        p.messages()
    );
}
