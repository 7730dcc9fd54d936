#!/usr/bin/env node
// Times the standard Bourse workloads in WebAssembly and, with --bourse, compares with native.
//
// Builds nothing: it loads the `wasm-bindgen --target nodejs` output of the `bourse-workloads` crate
// from target/wasm-bench/ (scripts/bench/wasm.sh builds it and passes --bourse). Generation is not
// timed; each workload runs `--iters` times after one warm-up run, timed with performance.now().
//
// With --bourse PATH (the native `bourse` binary), every round runs the workloads in wasm here and
// natively through `PATH bench --json` (same generators, same seed, same run code), alternating, and
// the best rate of each side over the rounds gives the ratio: other processes share the machine, so
// a burst of background load should not decide it.
//
// Usage: node scripts/bench/wasm.mjs [--orders N] [--iters K] [--seed S] [--workload NAME|all]
//          [--rounds R] [--json] [--dir target/wasm-bench] [--bourse target/release/bourse]
// With --json (and no --bourse), prints one JSON object per workload:
//   {"workload", "messages", "iters", "seconds", "msgs_per_sec", "events", "trades", "checksum"}

import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import path from "node:path";
import fs from "node:fs";
import { fileURLToPath } from "node:url";

/** wasm / native throughput ratio target. */
const RATIO_TARGET = 0.7;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const args = process.argv.slice(2);
function opt(name, dflt) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
}
const json = args.includes("--json");
const bourse = opt("bourse", null);
const orders = Number(opt("orders", bourse ? "300000" : "1000000"));
const iters = Number(opt("iters", "3"));
const seed = Number(opt("seed", "42"));
const rounds = Number(opt("rounds", "3"));
const which = opt("workload", "all");
const dir = path.resolve(opt("dir", path.join(root, "target", "wasm-bench")));
const entry = path.join(dir, "bourse_workloads.js");
if (!fs.existsSync(entry)) {
  console.error(`error: ${entry} not found; build it first with scripts/bench/wasm.sh`);
  process.exit(1);
}
const wasm = createRequire(import.meta.url)(entry);
const names = which === "all" ? wasm.workload_names().split(",") : [which];

/** One wasm measurement of workload `name`: the figures of `--json`. */
function runWasm(name) {
  const b = wasm.prepare(name, seed, orders);
  if (b === undefined) {
    console.error(`error: unknown workload ${name}`);
    process.exit(1);
  }
  b.run(1); // warm-up
  const t0 = performance.now();
  b.run(iters);
  const seconds = (performance.now() - t0) / 1000;
  const messages = b.messages();
  const r = {
    workload: name,
    messages,
    iters,
    seconds,
    msgs_per_sec: (messages * iters) / seconds,
    events: b.events(),
    trades: b.trades(),
    checksum: b.checksum(),
  };
  b.free();
  return r;
}

/** One native round: workload name → the `bourse bench --json` line. */
function runNative() {
  const sel = which === "all" ? "all" : which === "book-deep-sweep" ? "sweep" : "realistic";
  const out = execFileSync(
    bourse,
    ["bench", "--json", "--workload", sel, "--orders", String(orders), "--iters", String(iters),
      "--seed", String(seed)],
    { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
  );
  const m = new Map();
  for (const line of out.trim().split("\n")) {
    const v = JSON.parse(line);
    m.set(v.workload, v);
  }
  return m;
}

const mrate = (x) => `${(x / 1e6).toFixed(2)} M`;

if (!bourse) {
  for (const name of names) {
    const r = runWasm(name);
    if (json) console.log(JSON.stringify(r));
    else
      console.log(
        `${name.padEnd(20)} ${(r.msgs_per_sec / 1e6).toFixed(2).padStart(7)} M msgs/s  ` +
          `(${r.messages} msgs x ${iters} in ${r.seconds.toFixed(3)} s, checksum ${r.checksum})`,
      );
  }
  process.exit(0);
}

console.log(
  `workloads: ${orders} messages each, seed ${seed}, ${iters} timed runs after 1 warm-up, ` +
    `best of ${rounds} alternating rounds, same code natively and in wasm (node ${process.version})`,
);
const best = new Map(names.map((n) => [n, { wasm: 0, native: 0, wasmSum: "", nativeSum: "" }]));
for (let round = 0; round < rounds; round++) {
  for (const name of names) {
    const r = runWasm(name);
    const b = best.get(name);
    b.wasm = Math.max(b.wasm, r.msgs_per_sec);
    b.wasmSum = r.checksum;
  }
  const native = runNative();
  for (const name of names) {
    const v = native.get(name);
    if (!v) throw new Error(`bourse bench --json printed no ${name}`);
    const b = best.get(name);
    b.native = Math.max(b.native, v.msgs_per_sec);
    b.nativeSum = v.checksum;
  }
}
console.log(
  `${"workload".padEnd(20)} ${"native msgs/s".padStart(14)} ${"wasm msgs/s".padStart(14)} ` +
    `${"ratio".padStart(7)}  target ≥ ${RATIO_TARGET}   results`,
);
for (const name of names) {
  const b = best.get(name);
  const ratio = b.wasm / b.native;
  console.log(
    `${name.padEnd(20)} ${mrate(b.native).padStart(14)} ${mrate(b.wasm).padStart(14)} ` +
      `${ratio.toFixed(2).padStart(7)}  ${(ratio >= RATIO_TARGET ? "meets" : "BELOW").padEnd(13)} ` +
      `${b.wasmSum === b.nativeSum ? "identical" : "DIFFER"} (${b.wasmSum})`,
  );
}
