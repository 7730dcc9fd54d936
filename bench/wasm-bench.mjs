#!/usr/bin/env node
// Times the standard Bourse workloads in WebAssembly.
//
// Builds nothing: it loads the `wasm-bindgen --target nodejs` output of the `bourse-bench` crate from
// target/wasm-bench/ (see bench/wasm.sh or `bourse bench --wasm`, which build it and compare with
// native). Generation is not timed; each workload is run `--iters` times after one warm-up run and
// timed with performance.now().
//
// Usage: node bench/wasm-bench.mjs [--orders N] [--iters K] [--seed S] [--workload NAME|all] [--json]
//          [--dir target/wasm-bench]
// With --json, prints one JSON object per workload:
//   {"workload", "messages", "iters", "seconds", "msgs_per_sec", "events", "trades", "checksum"}

import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import path from "node:path";
import fs from "node:fs";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
function opt(name, dflt) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
}
const json = args.includes("--json");
const orders = Number(opt("orders", "1000000"));
const iters = Number(opt("iters", "3"));
const seed = Number(opt("seed", "42"));
const which = opt("workload", "all");
const dir = path.resolve(opt("dir", path.join(here, "..", "target", "wasm-bench")));
const entry = path.join(dir, "bourse_bench.js");
if (!fs.existsSync(entry)) {
  console.error(`error: ${entry} not found; build it first with bench/wasm.sh`);
  process.exit(1);
}
const require = createRequire(import.meta.url);
const wasm = require(entry);

const names = which === "all" ? wasm.workload_names().split(",") : [which];
for (const name of names) {
  const n = orders;
  const b = wasm.prepare(name, seed, n);
  if (b === undefined) {
    console.error(`error: unknown workload ${name}`);
    process.exit(1);
  }
  b.run(1); // warm-up
  const t0 = performance.now();
  b.run(iters);
  const seconds = (performance.now() - t0) / 1000;
  const messages = b.messages();
  const rate = (messages * iters) / seconds;
  const r = {
    workload: name,
    messages,
    iters,
    seconds,
    msgs_per_sec: rate,
    events: b.events(),
    trades: b.trades(),
    checksum: b.checksum(),
  };
  if (json) {
    console.log(JSON.stringify(r));
  } else {
    console.log(
      `${name.padEnd(20)} ${(rate / 1e6).toFixed(2).padStart(7)} M msgs/s  ` +
        `(${messages} msgs x ${iters} in ${seconds.toFixed(3)} s, checksum ${r.checksum})`,
    );
  }
  b.free();
}
