// End-to-end tests of the lessons in the release build (dist/, served under /bourse/), in Debian's
// Chromium through playwright-core: a student opens the lesson list, completes one lesson through
// the page (the objective checklist turning "met"), fails another, downloads both receipts, and the
// teacher page (teacher.html) replays them, ranks the confirmed ones and refuses a tampered one.
// Run: node --test tests/e2e/lessons.test.mjs (scripts/test.sh builds dist/ first). Every wait is
// bounded; the server listens on 127.0.0.1 only; typing uses real key events (never fill()).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';
import { typeInto } from './keys.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update'];
const SHOTS = path.join(ROOT, 'target', 'e2e-shots');
let server, baseUrl, browser;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bourse-lessons-'));
const receipts = {};
const pageErrors = [];

before(async () => {
  ({ server, url: baseUrl } = await serve({ dir: path.join(ROOT, 'dist'), prefix: '/bourse/' }));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  fs.mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
  assert.deepEqual(pageErrors, [], 'no uncaught page errors');
});

async function newPage(viewport = { width: 1280, height: 720 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.addInitScript(() => localStorage.setItem('bourse.help.dismissed', '1'));
  return page;
}


const book = (page) => page.getByRole('table', { name: 'Order book' });
const lesson = (page) => page.getByRole('region', { name: 'Lesson' });
const objectives = (page) => lesson(page).getByRole('list', { name: 'Objectives' }).getByRole('listitem');

/** Open a lesson by its address and wait until its market and checklist are there. */
async function openLesson(page, id) {
  await page.goto(`${baseUrl}?lesson=${id}`);
  await book(page).locator('tbody.bids tr:not(.empty)').first().waitFor({ timeout: 15000 });
  await objectives(page).first().waitFor({ timeout: 15000 });
  await lesson(page).getByRole('button', { name: 'Start lesson' }).waitFor({ timeout: 15000 });
}

async function texts(locator) {
  return (await locator.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
}

async function bestAsk(page) {
  const rows = book(page).locator('tbody.asks tr:not(.empty):not(.hidden) td.price');
  const n = await rows.count();
  const t = (await rows.nth(n - 1).innerText()).replace(/^Ask\s*/, '').trim();
  const [i, f = ''] = t.split('.');
  return BigInt(i) * 100n + BigInt((f + '00').slice(0, 2));
}

async function downloadReceipt(page, name) {
  const [dl] = await Promise.all([
    page.waitForEvent('download', { timeout: 10000 }),
    lesson(page).getByRole('button', { name: 'Download receipt' }).click(),
  ]);
  const file = path.join(tmp, name);
  await dl.saveAs(file);
  return file;
}

test('the lesson list names ten lessons, each a link to ?lesson=<id>', async () => {
  const page = await newPage();
  await page.goto(baseUrl + '?scenario=calm&seed=42');
  await book(page).locator('tbody.bids tr:not(.empty)').first().waitFor({ timeout: 15000 });
  await page.getByRole('button', { name: 'Lessons', exact: true }).click();
  const items = page.getByRole('list', { name: 'Lessons' }).getByRole('listitem');
  await items.first().waitFor({ timeout: 10000 });
  assert.ok((await items.count()) >= 10, 'at least ten lessons');
  const hrefs = await page.getByRole('list', { name: 'Lessons' }).getByRole('link').evaluateAll(
    (as) => as.map((a) => a.getAttribute('href')));
  for (const id of ['book-anatomy', 'queue-priority', 'walking-the-book', 'stop-orders']) {
    assert.ok(hrefs.some((h) => h.endsWith(`?lesson=${id}`)), `a link to ${id}: ${hrefs}`);
  }
  await page.screenshot({ path: path.join(SHOTS, 'lesson-list.png') });
  await page.context().close();
});

test('a student completes "book anatomy" through the page: the checklist turns met, the receipt downloads', async () => {
  const page = await newPage();
  await openLesson(page, 'book-anatomy');
  assert.deepEqual((await texts(objectives(page))).map((t) => t.includes('open')), [true, true, true],
    'every objective starts open');
  await typeInto(lesson(page).getByLabel('Your name'), 'Ada');
  await lesson(page).getByRole('button', { name: 'Start lesson' }).click();
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByRole('button', { name: 'Play' }).waitFor({ timeout: 5000 });
  await page.waitForTimeout(300);
  // One tick below the best ask, post-only: the new best bid, spread 1 tick, no trade.
  const p = (await bestAsk(page)) - 1n;
  await typeInto(page.getByLabel('Price', { exact: true }), `${p / 100n}.${String(p % 100n).padStart(2, '0')}`);
  await typeInto(page.getByLabel('Quantity', { exact: true }), '0.001');
  await page.getByLabel('Post-only').check();
  await page.getByRole('button', { name: /^Buy BTC$/ }).click();
  await objectives(page).filter({ hasText: 'best bid' }).filter({ hasText: 'met' }).waitFor({ timeout: 10000 });
  // The event log of the student's own command, in every lesson: who sent it, its events in order.
  await lesson(page).getByRole('button', { name: 'Event log' }).click();
  const log = page.getByRole('dialog', { name: 'Explain' });
  await log.getByText(/sent by you:/).waitFor({ timeout: 5000 });
  assert.match(await log.locator('.explain-command strong').innerText(), /^buy 0\.001 BTC at [\d.]+ USDT on BTC-USDT \(LIMIT, GTC, post-only(, self-trade prevention [A-Z_]+)?\)$/);
  const kinds = await log.getByRole('list', { name: 'Events' }).getByRole('listitem').allInnerTexts();
  assert.ok(kinds[0].includes('execution:NEW') && kinds.some((k) => k.includes('l3:Added')), kinds.join('\n'));
  await page.keyboard.press('Escape');
  await log.waitFor({ state: 'detached', timeout: 5000 });
  await page.screenshot({ path: path.join(SHOTS, 'lesson-in-progress.png') });
  await lesson(page).getByRole('button', { name: 'Finish lesson' }).click();
  await lesson(page).getByText(/Lesson passed on seed 7/).waitFor({ timeout: 10000 });
  const after_ = await texts(objectives(page));
  assert.equal(after_.length, 3);
  for (const t of after_) assert.match(t, /\bmet\b/, t);
  assert.ok(await lesson(page).getByRole('table', { name: 'Your figures' }).isVisible());
  receipts.passed = await downloadReceipt(page, 'passed.json');
  const r = JSON.parse(fs.readFileSync(receipts.passed, 'utf8'));
  assert.equal(r.lesson, 'book-anatomy');
  assert.equal(r.student, 'Ada');
  assert.equal(r.seed, 7);
  assert.equal(r.passed, true);
  assert.equal(r.commands.length, 1, 'the one order the student placed');
  await page.screenshot({ path: path.join(SHOTS, 'lesson-debrief.png') });
  // The list remembers it.
  await lesson(page).getByRole('button', { name: 'All lessons' }).click();
  await page.getByRole('list', { name: 'Lessons' }).getByRole('listitem').filter({ hasText: 'bid, ask and the spread' })
    .filter({ hasText: 'passed' }).waitFor({ timeout: 5000 });
  await page.context().close();
});

test('a student fails "maker or taker" by finishing without trading: every objective says failed', async () => {
  const page = await newPage({ width: 1440, height: 900 });
  await openLesson(page, 'maker-or-taker');
  await typeInto(lesson(page).getByLabel('Your name'), 'Bob');
  await lesson(page).getByRole('button', { name: 'Start lesson' }).click();
  await lesson(page).getByRole('button', { name: 'Finish lesson' }).click();
  await lesson(page).getByText(/Not passed on seed/).waitFor({ timeout: 10000 });
  const t = await texts(objectives(page));
  assert.equal(t.length, 4);
  for (const x of t) assert.match(x, /\bfailed\b/, x);
  receipts.failed = await downloadReceipt(page, 'failed.json');
  await lesson(page).getByRole('button', { name: 'Same market again' }).click();
  await lesson(page).getByRole('button', { name: 'Start lesson' }).waitFor({ timeout: 10000 });
  assert.ok((await texts(objectives(page))).every((x) => /\bopen\b/.test(x)), 'a fresh run starts open');
  await page.context().close();
});

test('the teacher page replays the receipts, ranks the confirmed ones and refuses a tampered one', async () => {
  assert.ok(receipts.passed && receipts.failed, 'the student tests ran first');
  // Tampering is done on the text: JSON.parse would round the 64-bit times (ns) to doubles.
  const good = fs.readFileSync(receipts.passed, 'utf8');
  const tamper = (name, from, to) => {
    const text = good.replace(from, to);
    assert.notEqual(text, good, `${name}: the tampering changed something`);
    const f = path.join(tmp, name);
    fs.writeFileSync(f, text);
    return f;
  };
  const files = [
    // A figure the commands do not give: a P&L of 1000 USDT.
    tamper('metric.json', /"pnl":\s*"[^"]*"/, '"pnl":"1000"'),
    // A changed command: the order's quantity doubled.
    tamper('command.json', /"quantity":\s*"0\.001"/, '"quantity":"0.002"'),
  ];

  const page = await newPage({ width: 1280, height: 720 });
  await page.goto(baseUrl + 'teacher.html');
  const input = page.getByLabel('Receipts');
  await input.waitFor({ timeout: 15000 });
  await input.setInputFiles([receipts.passed, receipts.failed, ...files]);
  const rows = page.getByRole('table', { name: 'Class' }).locator('tbody tr');
  await page.waitForFunction(() => document.querySelectorAll('table.class tbody tr').length >= 4, null, { timeout: 30000 });
  const all = [];
  for (const r of await rows.all()) all.push((await r.locator('td').allInnerTexts()).map((c) => c.trim()));
  assert.equal(all.length, 4);
  const confirmed = all.filter((c) => c[3] === 'confirmed');
  const refused = all.filter((c) => c[3].startsWith('refused'));
  assert.deepEqual(confirmed.map((c) => [c[0], c[1], c[5]]).sort(),
    [['Ada', 'book-anatomy', 'yes'], ['Bob', 'maker-or-taker', 'no']]);
  assert.equal(confirmed.find((c) => c[0] === 'Ada')[7], '1', 'the passing student ranks first');
  assert.equal(refused.length, 2, JSON.stringify(all));
  for (const c of refused) {
    assert.equal(c[0], 'Ada');
    assert.equal(c[5], 'no', 'a refused receipt never counts as passed');
    assert.equal(c[7], '—', 'nor gets a rank');
  }
  assert.deepEqual(refused.map((c) => c[3].replace(/ .*/s, '') + ' ' + (/figures/.test(c[3]) ? 'figures' : /digest/.test(c[3]) ? 'digest' : c[3])).sort(),
    ['refused: digest', 'refused: figures']);
  // The whole table fits the window at 1280×720 (nothing cut off on the right).
  const right = await page.getByRole('table', { name: 'Class' }).evaluate((t) => t.getBoundingClientRect().right);
  assert.ok(right <= 1280, `table right edge ${right}`);
  await page.screenshot({ path: path.join(SHOTS, 'teacher.png') });
  await page.context().close();
});
