#!/usr/bin/env node
// Bourse web bench: bundle size, time to first order book on screen, frame time and main-thread
// busy time at max simulation speed, and the worker's sustained throughput, in headless Chromium.
//
// A bench, not a test: it prints figures against targets and never fails on a missed target (it
// exits non-zero only when it cannot measure). Every loop is bounded in count and in time; a whole
// run takes about 20-40 s. Sizes are in KiB (1024 bytes).
//
// Usage: node scripts/bench/web.mjs [--dist dist] [--loads 5] [--seconds 10] [--baseline 3]
//          [--out target/bench-web.json]
// --seconds: the max-speed window; --baseline: a shorter window at the default 1x before it.
// (scripts/bench/web.sh builds dist/ first when it is missing.)
//
// Needs: dist/ built by Trunk, playwright-core (node_modules), Chromium at /usr/bin/chromium
// (or $CHROMIUM).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../../tests/e2e/serve.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const DIST = path.resolve(root, opt('dist', 'dist'));
const LOADS = Math.max(1, Math.min(20, Number(opt('loads', '5'))));
const WINDOW_S = Math.max(1, Math.min(60, Number(opt('seconds', '10'))));
const OUT = path.resolve(root, opt('out', 'target/bench-web.json'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const QUERY = '?scenario=calm&seed=42';
const BOOK_TIMEOUT_MS = 20_000; // per page load
const BASELINE_S = Math.max(0, Math.min(30, Number(opt('baseline', '3')))); // 1x window
const SETTLE_MS = 1_500; // after the first book, before the 1x window (start-up work settles)
const WARMUP_MS = 1_000; // after switching to max, before the measured window
const MAX_FRAMES = 20_000; // rAF timestamps kept in-page (60 Hz × 60 s fits)

const TARGETS = {
  bundle_total_kb: 600,
  first_book_ms: 1500,
  frame_p95_ms: 16.7,
  busy_per_frame_ms: 8,
};

// ---------------------------------------------------------------------------------------------
// Helpers

const KB = 1024;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
// Nearest-rank percentile.
const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const k = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[k];
};
const round = (x, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function machine() {
  let model = os.cpus()[0]?.model ?? 'unknown';
  try {
    const l = execFileSync('lscpu', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const m = l.match(/^Model name:\s*(.+)$/m);
    if (m) model = m[1].trim();
  } catch {
    // lscpu missing: keep os.cpus()
  }
  return {
    cpu: model,
    cores: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    memory_gb: round(os.totalmem() / 2 ** 30, 1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

// ---------------------------------------------------------------------------------------------
// 1. Bundle size

function bundleSizes() {
  const files = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.name.startsWith('.')) continue; // e.g. Trunk's .stage/ while a build is running
      if (e.isDirectory()) walk(p);
      else if (/\.(wasm|js)$/.test(e.name)) {
        const raw = fs.readFileSync(p);
        const gz = zlib.gzipSync(raw, { level: 9 });
        files.push({ file: path.relative(DIST, p), raw_bytes: raw.length, gzip_bytes: gz.length });
      }
    }
  };
  walk(DIST);
  files.sort((a, b) => b.gzip_bytes - a.gzip_bytes);
  const total = files.reduce((s, f) => s + f.gzip_bytes, 0);
  const totalRaw = files.reduce((s, f) => s + f.raw_bytes, 0);
  return { files, gzip_bytes: total, raw_bytes: totalRaw, gzip_kb: total / KB };
}

// ---------------------------------------------------------------------------------------------
// In-page instrumentation (installed with addInitScript, runs before any page script).

function instrument() {
  const b = (window.__bench = {
    bookAt: null, // performance.now() when both sides first had a filled row (DOM mutation)
    bookFrameAt: null, // performance.now() in the next animation frame callback (≈ painted)
    frames: null, // { ts: rAF timestamps, now: performance.now() in the callback } while recording
    recording: false,
    // Decoded from the worker's binary frames (header only): see crates/protocol/src/codec.rs.
    wire: { frames: 0, bytes: 0, frameNo: 0, inputSeq: 0, outputSeq: 0, at: 0 },
  });

  // --- time to first book: MutationObserver plus a rAF poll as a backstop.
  const filled = (side) => {
    const rows = document.querySelectorAll(`table[aria-label="Order book"] tbody.${side} tr`);
    for (const r of rows) {
      const c = r.querySelector('td.price') || r.querySelector('td');
      if (c && c.textContent.trim() !== '') return true;
    }
    return false;
  };
  let mo = null;
  const check = () => {
    if (b.bookAt !== null) return;
    if (filled('bids') && filled('asks')) {
      b.bookAt = performance.now();
      if (mo) mo.disconnect();
      requestAnimationFrame(() => {
        b.bookFrameAt = performance.now();
      });
    }
  };
  mo = new MutationObserver(check);
  mo.observe(document, { childList: true, subtree: true, characterData: true, attributes: true });
  let polls = 0;
  const poll = () => {
    check();
    if (b.bookAt === null && ++polls < 3600) requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);

  // --- rAF timestamps, on demand.
  b.start = (max) => {
    b.frames = { ts: [], now: [] };
    b.recording = true;
    const loop = (ts) => {
      if (!b.recording) return;
      b.frames.ts.push(ts);
      b.frames.now.push(performance.now());
      if (b.frames.ts.length >= max) {
        b.recording = false;
        return;
      }
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  };
  b.stop = () => {
    b.recording = false;
    return b.frames;
  };

  // --- peek at the worker's frames (the page reads them too; this only copies a header).
  // Frame layout: varint(version) varint(frame_no) bool(full) varint(clock_ns)
  // varint(last_input_seq) varint(last_output_seq) ...
  const varint = (u8, pos) => {
    let x = 0n;
    let shift = 0n;
    for (let i = 0; i < 10 && pos.i < u8.length; i++) {
      const byte = u8[pos.i++];
      x |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return x;
      shift += 7n;
    }
    throw new Error('bad varint');
  };
  const peek = (ev) => {
    if (!(ev.data instanceof ArrayBuffer)) return;
    try {
      const u8 = new Uint8Array(ev.data);
      const pos = { i: 0 };
      varint(u8, pos); // protocol version
      const frameNo = varint(u8, pos);
      pos.i += 1; // full
      varint(u8, pos); // clock_ns
      const inputSeq = varint(u8, pos);
      const outputSeq = varint(u8, pos);
      const w = b.wire;
      w.frames++;
      w.bytes += u8.length;
      w.frameNo = Number(frameNo);
      w.inputSeq = Number(inputSeq);
      w.outputSeq = Number(outputSeq);
      w.at = performance.now();
    } catch (e) {
      b.wire.error = String(e);
    }
  };
  const RealWorker = window.Worker;
  if (RealWorker) {
    window.Worker = class extends RealWorker {
      constructor(...a) {
        super(...a);
        this.addEventListener('message', peek);
      }
    };
  }
}

// ---------------------------------------------------------------------------------------------

async function newPage(browser, errors, label) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.addInitScript(instrument);
  // The first-visit help overlay dismissed, as a returning user has it.
  await page.addInitScript(() => localStorage.setItem('bourse.help.dismissed', '1'));
  context.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') {
      const where = msg.worker() ? 'worker' : 'page';
      errors.push({ run: label, type: msg.type(), where, text: msg.text().slice(0, 500) });
    }
  });
  page.on('pageerror', (e) => errors.push({ run: label, type: 'pageerror', where: 'page', text: String(e).slice(0, 500) }));
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push({ run: label, type: `http ${r.status()}`, where: 'network', text: r.url() });
  });
  page.on('crash', () => errors.push({ run: label, type: 'crash', where: 'page', text: 'page crashed' }));
  return { context, page };
}

async function waitForBook(page) {
  await page.waitForFunction(() => window.__bench && window.__bench.bookAt !== null, null, {
    timeout: BOOK_TIMEOUT_MS,
    polling: 50,
  });
  // Let the "painted" timestamp land (one frame).
  await page
    .waitForFunction(() => window.__bench.bookFrameAt !== null, null, { timeout: 2000, polling: 20 })
    .catch(() => {});
  return page.evaluate(() => ({
    dom_ms: window.__bench.bookAt,
    frame_ms: window.__bench.bookFrameAt,
    dcl_ms: performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd ?? null,
  }));
}

async function firstBook(browser, url, errors) {
  const runs = [];
  for (let i = 0; i < LOADS; i++) {
    const { context, page } = await newPage(browser, errors, `load ${i + 1}`);
    try {
      const t0 = Date.now();
      await page.goto(url, { waitUntil: 'commit', timeout: BOOK_TIMEOUT_MS });
      const r = await waitForBook(page);
      r.wall_ms = Date.now() - t0; // includes Playwright round trips; for reference only
      runs.push(r);
    } catch (e) {
      errors.push({ run: `load ${i + 1}`, type: 'bench', where: 'bench', text: String(e).slice(0, 500) });
    } finally {
      await context.close();
    }
  }
  const dom = runs.map((r) => r.dom_ms);
  const painted = runs.map((r) => r.frame_ms).filter((x) => x !== null);
  return {
    loads: LOADS,
    ok: runs.length,
    runs: runs.map((r) => ({
      dom_ms: round(r.dom_ms),
      painted_ms: round(r.frame_ms),
      dom_content_loaded_ms: round(r.dcl_ms),
      wall_ms: r.wall_ms,
    })),
    median_ms: round(median(dom)),
    max_ms: round(Math.max(...dom)),
    painted_median_ms: round(median(painted)),
    painted_max_ms: round(Math.max(...painted)),
  };
}

// Measure one window of `seconds` on a running page: rAF frame intervals, main-thread time from
// CDP Performance.getMetrics, and the worker's counters.
async function measureWindow(page, cdp, seconds) {
  const metrics = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
  };
  const sample = () =>
    page.evaluate(() => {
      const out = (name) => {
        const e = document.querySelector(`output[aria-label="${name}"]`);
        return e ? Number(String(e.textContent).replace(/[^0-9]/g, '')) : NaN;
      };
      return {
        t: performance.now(),
        seq: out('Sequence number'),
        simEvents: out('Simulation steps'),
        wire: { ...window.__bench.wire },
        bars: window.BourseChart && window.BourseChart.barCount ? window.BourseChart.barCount() : null,
      };
    });

  const m0 = await metrics();
  await page.evaluate((max) => window.__bench.start(max), MAX_FRAMES);
  const a = await sample();
  await sleep(seconds * 1000);
  const b = await sample();
  const { ts, now } = await page.evaluate(() => window.__bench.stop());
  const m1 = await metrics();

  const diffs = (xs) => {
    const d = [];
    for (let i = 1; i < xs.length; i++) d.push(xs[i] - xs[i - 1]);
    return d;
  };
  const intervals = diffs(ts);
  const nowIntervals = diffs(now);
  const frameSpan = ts.length > 1 ? ts[ts.length - 1] - ts[0] : NaN;
  const secs = (b.t - a.t) / 1000;
  const d = (k) => m1[k] - m0[k];
  const metricSecs = d('Timestamp');
  const n = ts.length;
  const w = Math.max(1, b.wire.frames - a.wire.frames);
  return {
    window_s: round(secs, 3),
    frames: n,
    fps: round(intervals.length / (frameSpan / 1000), 1),
    // Intervals between rAF callback timestamps (frame begin times).
    frame_ms: {
      p50: round(percentile(intervals, 50), 2),
      p95: round(percentile(intervals, 95), 2),
      p99: round(percentile(intervals, 99), 2),
      max: round(Math.max(...intervals), 2),
      mean: round(intervals.reduce((s, x) => s + x, 0) / intervals.length, 2),
      over_16_7: intervals.filter((x) => x > 16.7).length,
      over_33_4: intervals.filter((x) => x > 33.4).length,
    },
    // The same, from performance.now() read inside each rAF callback.
    frame_ms_callback_clock: {
      p50: round(percentile(nowIntervals, 50), 2),
      p95: round(percentile(nowIntervals, 95), 2),
      max: round(Math.max(...nowIntervals), 2),
    },
    main_thread: {
      task_s: round(d('TaskDuration'), 3),
      metrics_window_s: round(metricSecs, 3),
      busy_per_frame_ms: round((d('TaskDuration') * 1000) / n, 2),
      busy_fraction: round(d('TaskDuration') / metricSecs, 3),
      cpu_s: round(d('ThreadTime'), 3),
      cpu_per_frame_ms: round((d('ThreadTime') * 1000) / n, 2),
      renderer_process_cpu_s: round(d('ProcessTime'), 3),
      script_s: round(d('ScriptDuration'), 3),
      layout_s: round(d('LayoutDuration'), 3),
      recalc_style_s: round(d('RecalcStyleDuration'), 3),
      layouts: d('LayoutCount'),
      js_heap_mb: round(m1.JSHeapUsedSize / 2 ** 20, 1),
    },
    worker: {
      exchange_events_per_s: round((b.seq - a.seq) / secs, 0),
      simulation_steps_per_s: round((b.simEvents - a.simEvents) / secs, 0),
      exchange_commands_per_s: round((b.wire.inputSeq - a.wire.inputSeq) / secs, 0),
      exchange_events_per_s_wire: round((b.wire.outputSeq - a.wire.outputSeq) / secs, 0),
      frames_received_per_s: round((b.wire.frames - a.wire.frames) / secs, 1),
      frame_bytes_mean: round((b.wire.bytes - a.wire.bytes) / w, 0),
      wire_error: b.wire.error ?? null,
    },
    start: a,
    end: b,
  };
}

async function speedRun(browser, url, errors) {
  const { context, page } = await newPage(browser, errors, 'speed');
  try {
    await page.goto(url, { waitUntil: 'commit', timeout: BOOK_TIMEOUT_MS });
    await waitForBook(page);
    const playing = (await page.getByRole('button', { name: 'Pause', exact: true }).count()) > 0;
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable', { timeDomain: 'timeTicks' });

    // Baseline at the default 1x.
    await sleep(SETTLE_MS);
    const x1 = BASELINE_S > 0 ? await measureWindow(page, cdp, BASELINE_S) : null;
    if (x1) x1.playing_at_start = playing;

    await page.getByLabel('Speed').selectOption('max', { timeout: 5000 });
    // The select follows the worker's reported state; wait until it reads "max".
    const isMax = await page
      .waitForFunction(
        () =>
          [...document.querySelectorAll('select')].some(
            (s) => [...s.options].some((o) => o.value === 'max') && s.value === 'max',
          ),
        null,
        { timeout: 5000, polling: 50 },
      )
      .then(() => true)
      .catch(() => false);
    if (!isMax) {
      errors.push({ run: 'speed', type: 'bench', where: 'bench', text: 'the Speed select did not read "max" within 5 s' });
    }
    await sleep(WARMUP_MS);
    const max = await measureWindow(page, cdp, WINDOW_S);
    max.speed_confirmed = isMax;
    max.playing_at_start = (await page.getByRole('button', { name: 'Pause', exact: true }).count()) > 0;
    await cdp.detach().catch(() => {});
    return { x1, max };
  } finally {
    await context.close();
  }
}

// ---------------------------------------------------------------------------------------------

function pad(s, n) {
  s = String(s);
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}
function lpad(s, n) {
  s = String(s);
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}
function verdict(value, target, lowerIsBetter = true) {
  if (value === null || !Number.isFinite(value)) return '?';
  return (lowerIsBetter ? value <= target : value >= target) ? 'ok' : 'MISS';
}

async function main() {
  if (!fs.existsSync(path.join(DIST, 'index.html'))) {
    console.error(`error: ${DIST}/index.html not found; build it with scripts/bench/web.sh or scripts/trunk.sh build --release`);
    process.exit(2);
  }
  const started = Date.now();
  const m = machine();
  const bundle = bundleSizes();
  const warnings = [];
  if (fs.readFileSync(path.join(DIST, 'index.html'), 'utf8').includes('.well-known/trunk/ws')) {
    warnings.push('dist/index.html carries the `trunk serve` live-reload script: dist/ was written by trunk serve, not trunk build --release (rebuild for clean figures)');
  }
  if (fs.existsSync(path.join(DIST, '.stage'))) {
    warnings.push('dist/.stage exists: a Trunk build is running or was interrupted (not counted in the bundle)');
  }
  const errors = [];

  const { server, url: base } = await serve({ dir: DIST, prefix: '/bourse/', port: 0 });
  const url = base + QUERY;
  // Requests the static server could not answer (the browser does not report e.g. favicon misses
  // to Playwright).
  server.on('request', (req, res) => {
    res.on('finish', () => {
      if (res.statusCode >= 400) {
        errors.push({ run: 'server', type: `http ${res.statusCode}`, where: 'server', text: `${req.method} ${req.url}` });
      }
    });
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  let book, x1, max;
  try {
    m.chromium = browser.version();
    book = await firstBook(browser, url, errors);
    ({ x1, max } = await speedRun(browser, url, errors));
  } finally {
    await browser.close().catch(() => {});
    server.close();
  }

  const result = {
    date: new Date().toISOString(),
    machine: m,
    url,
    notes: [
      'headless Chromium with --disable-gpu: animation frames are driven by the headless compositor, not a display vsync, so the rAF rate need not be exactly 60 Hz',
      'first book: performance.now() (ms since navigation start) when the "Order book" table first has a filled bid and a filled ask row (MutationObserver); "painted" = timestamp of the next animation frame',
      'frame intervals: differences of rAF callback timestamps; frame_ms_callback_clock uses performance.now() read in the callback',
      'busy per frame: CDP Performance.getMetrics TaskDuration delta (renderer main thread, wall time of tasks) / rAF frames in the window; cpu_per_frame_ms uses ThreadTime (main-thread CPU time)',
      'exchange events/s: "Sequence number" output (last output seq) delta; simulation steps/s: "Simulation steps" delta; exchange commands/s: last_input_seq from the frame header the worker posts (read in-page, page code unchanged)',
    ],
    warnings,
    targets: TARGETS,
    bundle,
    first_book: book,
    baseline_1x: x1,
    max_speed: max,
    console_errors: errors,
    bench_seconds: round((Date.now() - started) / 1000, 1),
  };
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, JSON.stringify(result, null, 2) + '\n');

  // --- table
  const rows = [['measure', 'value', 'unit', 'target', '', `1x (${BASELINE_S} s)`]];
  const row = (name, value, unit, target = '', ok = '', base = '') => rows.push([name, value, unit, target, ok, base]);
  for (const f of bundle.files) row(`  gzip -9 ${f.file}`, round(f.gzip_bytes / KB, 1), 'KiB');
  row('bundle gzip -9 total (.wasm + .js)', round(bundle.gzip_kb, 1), 'KiB', `≤ ${TARGETS.bundle_total_kb}`, verdict(bundle.gzip_kb, TARGETS.bundle_total_kb));
  row(`first book on screen, median of ${book.ok}`, book.median_ms, 'ms', `≤ ${TARGETS.first_book_ms}`, verdict(book.median_ms, TARGETS.first_book_ms));
  row('first book on screen, max', book.max_ms, 'ms', `≤ ${TARGETS.first_book_ms}`, verdict(book.max_ms, TARGETS.first_book_ms));
  row('  + next animation frame, median', book.painted_median_ms, 'ms');
  const x = x1 || { frame_ms: {}, main_thread: {}, worker: {} };
  row(`frame interval p50 (max speed, ${WINDOW_S} s)`, max.frame_ms.p50, 'ms', '', '', x.frame_ms.p50);
  row('frame interval p95', max.frame_ms.p95, 'ms', `≤ ${TARGETS.frame_p95_ms}`, verdict(max.frame_ms.p95, TARGETS.frame_p95_ms), x.frame_ms.p95);
  row('frame interval max', max.frame_ms.max, 'ms', '', '', x.frame_ms.max);
  row('frames per second', max.fps, 'fps', '', '', x.fps);
  row('main-thread busy per frame (TaskDuration)', max.main_thread.busy_per_frame_ms, 'ms', `≤ ${TARGETS.busy_per_frame_ms}`, verdict(max.main_thread.busy_per_frame_ms, TARGETS.busy_per_frame_ms), x.main_thread.busy_per_frame_ms);
  row('  main-thread CPU per frame (ThreadTime)', max.main_thread.cpu_per_frame_ms, 'ms', '', '', x.main_thread.cpu_per_frame_ms);
  row('  main-thread busy fraction', max.main_thread.busy_fraction, '', '', '', x.main_thread.busy_fraction);
  row('exchange events/s ("Sequence number")', max.worker.exchange_events_per_s, '/s', '', '', x.worker.exchange_events_per_s);
  row('simulation steps/s ("Simulation steps")', max.worker.simulation_steps_per_s, '/s', '', '', x.worker.simulation_steps_per_s);
  row('exchange commands/s (input seq, frame header)', max.worker.exchange_commands_per_s, '/s', '', '', x.worker.exchange_commands_per_s);
  row('frames received from the worker', max.worker.frames_received_per_s, '/s', '', '', x.worker.frames_received_per_s);
  const w = [0, 0, 0, 0, 0, 0];
  const str = (c) => (c === null || c === undefined ? '—' : String(c));
  for (const r of rows) r.forEach((c, i) => (w[i] = Math.max(w[i], str(c).length)));
  console.log(`Bourse web bench — ${m.cpu}, ${m.cores} cores, ${m.os}, Chromium ${m.chromium}, node ${m.node}`);
  console.log(`url ${url}`);
  console.log('');
  for (const r of rows) {
    const [a, b, c, d, e, f] = r.map(str);
    console.log(`${pad(a, w[0])}  ${lpad(b, w[1])} ${pad(c, w[2])}  ${pad(d, w[3])}  ${pad(e, w[4])}  ${lpad(f, w[5])}`);
  }
  console.log('');
  console.log(`first-book loads (ms since navigation start): ${book.runs.map((r) => r.dom_ms).join(', ')}`);
  console.log(
    `max-speed window: ${max.window_s} s, ${max.frames} frames, ${max.frame_ms.over_16_7} intervals > 16.7 ms, ` +
      `${max.frame_ms.over_33_4} > 33.4 ms; speed confirmed "max": ${max.speed_confirmed}; playing: ${max.playing_at_start}; ` +
      `chart bars ${max.start.bars} → ${max.end.bars}; mean frame ${max.worker.frame_bytes_mean} B`,
  );
  console.log('note: headless Chromium (--disable-gpu) has no display vsync; the frame rate is what its compositor gives.');
  for (const w of warnings) console.log(`warning: ${w}`);
  // Console messages, grouped by text.
  const groups = new Map();
  for (const e of errors) {
    const k = `${e.where} ${e.type}: ${e.text}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(e.run);
  }
  if (groups.size) {
    console.log(`\nconsole errors/warnings, failed requests (${errors.length}):`);
    for (const [k, runs] of [...groups].slice(0, 30)) console.log(`  ${runs.length}× ${k}  [${[...new Set(runs)].join(', ')}]`);
  } else {
    console.log('\nconsole errors/warnings, failed requests: none');
  }
  console.log(`\nwrote ${path.relative(process.cwd(), OUT) || OUT} (${result.bench_seconds} s)`);
  if (book.ok === 0) process.exit(1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
