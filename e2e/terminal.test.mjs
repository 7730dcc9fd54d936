// End-to-end tests of the release build (dist/) served from a sub-path (/bourse/), driving Debian's
// Chromium through npm playwright-core. Run: node --test e2e/terminal.test.mjs (scripts/test.sh
// builds dist/ first). Every wait is bounded; the server listens on 127.0.0.1 only.
//
// The tests speak to the page only through its accessibility contract: tables named "Order book",
// "Trades", "Open orders", "Order history", "Fills", "Balances"; inputs labelled "Price",
// "Quantity", "Stop price"; buttons "Buy", "Sell", "Cancel".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update'];
let server, baseUrl, browser;
const pageErrors = [];

before(async () => {
  ({ server, url: baseUrl } = await serve({ dir: path.join(ROOT, 'dist'), prefix: '/bourse/' }));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** A fresh page on a seeded market, waiting until the worker said Ready (the venue is known). */
async function open(query = 'scenario=calm&seed=42', viewport = { width: 1440, height: 1000 }) {
  const page = await browser.newPage({ viewport });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(baseUrl + '?' + query);
  return page;
}

/** Integer units from a fixed-point string ("1.50000000" → 150000000n at 8 decimals). */
function units(text, decimals) {
  const t = text.trim();
  const neg = t.startsWith('-');
  const [i, f = ''] = t.replace('-', '').split('.');
  const v = BigInt(i) * 10n ** BigInt(decimals) + BigInt((f + '0'.repeat(decimals)).slice(0, decimals));
  return neg ? -v : v;
}

/** Balances table as { ASSET: { available, locked, total } } strings. */
async function balances(page) {
  const rows = await page.getByRole('table', { name: 'Balances' }).locator('tbody tr').all();
  const out = {};
  for (const r of rows) {
    const cells = await r.locator('th, td').allInnerTexts();
    out[cells[0].trim()] = { available: cells[1], locked: cells[2], total: cells[3] };
  }
  return out;
}

async function filledRows(table, section) {
  return table.locator(`tbody.${section} tr:not(.empty)`).count();
}

async function bestPrice(page, section) {
  const book = page.getByRole('table', { name: 'Order book' });
  // Asks are listed highest first: the best ask is the last filled ask row; bids best first.
  const rows = book.locator(`tbody.${section} tr:not(.empty) td.price`);
  const n = await rows.count();
  const cell = section === 'asks' ? rows.nth(n - 1) : rows.nth(0);
  return (await cell.innerText()).replace(/^(Ask|Bid)\s*/, '').trim();
}

async function pause(page) {
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByRole('button', { name: 'Play' }).waitFor({ timeout: 5000 });
}

test('the market starts, the ladder fills within 3 s, and the page is served from a sub-path', async () => {
  const t0 = Date.now();
  const page = await open();
  const book = page.getByRole('table', { name: 'Order book' });
  await book.locator('tbody.asks tr:not(.empty)').first().waitFor({ timeout: 3000 });
  await book.locator('tbody.bids tr:not(.empty)').first().waitFor({ timeout: 3000 - (Date.now() - t0) });
  assert.ok(Date.now() - t0 <= 3000, `ladder took ${Date.now() - t0} ms`);
  assert.ok(page.url().includes('/bourse/'), page.url());
  assert.match(page.url(), /scenario=calm&seed=42/);
  // Trades print on the tape.
  await page.getByRole('table', { name: 'Trades' }).locator('tbody tr:not(.empty)').first().waitFor({ timeout: 10000 });
  // Best bid below best ask.
  const bid = Number(await bestPrice(page, 'bids'));
  const ask = Number(await bestPrice(page, 'asks'));
  assert.ok(bid < ask, `bid ${bid} < ask ${ask}`);
  await page.close();
});

test('a resting limit order appears in Open orders and on the ladder, and Cancel removes it', async () => {
  const page = await open('scenario=calm&seed=7');
  const book = page.getByRole('table', { name: 'Order book' });
  await book.locator('tbody.bids tr:not(.empty)').first().waitFor({ timeout: 5000 });
  await pause(page);
  // One tick below the best bid: rests on the book, cannot cross.
  const bestBid = await bestPrice(page, 'bids');
  const price = (units(bestBid, 2) - 1n);
  const priceText = `${price / 100n}.${String(price % 100n).padStart(2, '0')}`;
  await page.getByLabel('Price', { exact: true }).fill(priceText);
  await page.getByLabel('Quantity', { exact: true }).fill('0.01234');
  await page.getByRole('button', { name: 'Buy', exact: true }).click();
  const open_ = page.getByRole('table', { name: 'Open orders' });
  const row = open_.locator('tbody tr', { hasText: priceText });
  await row.waitFor({ timeout: 5000 });
  assert.match(await row.innerText(), /Buy/);
  assert.match(await row.innerText(), /0\.01234/);
  // On the ladder: the level at that price shows the human's size in "Mine".
  const level = book.locator('tbody.bids tr', { hasText: priceText });
  await level.waitFor({ timeout: 5000 });
  assert.match(await level.locator('td.mine').innerText(), /0\.01234/);
  // Locked USDT = notional + fee reserve: 0.01234 × price × (1 + 0.001).
  const bal = await balances(page);
  const notional = units(priceText, 8) * 1234n / 100000n;
  assert.equal(units(bal.USDT.locked, 8), notional + notional * 1000n / 1000000n);
  // Cancel.
  await row.getByRole('button', { name: 'Cancel', exact: true }).click();
  await row.waitFor({ state: 'detached', timeout: 5000 });
  assert.equal(await open_.locator('tbody tr').count(), 0);
  await page.getByRole('table', { name: 'Order history' }).locator('tbody tr', { hasText: 'CANCELED' }).first()
    .waitFor({ timeout: 5000 });
  const after_ = await balances(page);
  assert.equal(after_.USDT.locked, '0.00000000');
  await page.close();
});

test('a crossing order fills and balances change by exactly the fill plus fee', async () => {
  const page = await open('scenario=calm&seed=11');
  const book = page.getByRole('table', { name: 'Order book' });
  await book.locator('tbody.asks tr:not(.empty)').first().waitFor({ timeout: 5000 });
  await pause(page);
  const before_ = await balances(page);
  const bestAsk = await bestPrice(page, 'asks');
  // IOC buy at the best ask: fills against it (at most the quantity there), nothing rests.
  await page.getByLabel('Time in force').selectOption('IOC');
  await page.getByLabel('Price', { exact: true }).fill(bestAsk);
  await page.getByLabel('Quantity', { exact: true }).fill('0.00100');
  await page.getByRole('button', { name: 'Buy', exact: true }).click();
  const fills = page.getByRole('table', { name: 'Fills' });
  await fills.locator('tbody tr').first().waitFor({ timeout: 5000 });
  await page.waitForTimeout(300); // the frame after the fill carries the balances
  const rows = await fills.locator('tbody tr').all();
  let qty = 0n, value = 0n, fee = 0n;
  for (const r of rows) {
    const c = await r.locator('td').allInnerTexts();
    assert.equal(c[3], 'Buy');
    assert.equal(c[7], 'Taker');
    qty += units(c[5], 5);
    value += units(c[6], 8);
    fee += units(c[8].replace(/\s*USDT/, ''), 8);
  }
  assert.ok(qty > 0n && qty <= 100n, `filled ${qty} lots`);
  // Taker fee 0.1% of the value, rounded down per fill: checked independently here.
  assert.ok(fee <= value / 1000n && fee >= value / 1000n - BigInt(rows.length));
  const after_ = await balances(page);
  assert.equal(units(after_.USDT.total, 8), units(before_.USDT.total, 8) - value - fee);
  assert.equal(units(after_.BTC.total, 8), units(before_.BTC.total, 8) + qty * 1000n);
  assert.equal(after_.USDT.locked, '0.00000000');
  await page.close();
});

test('changing the candle interval redraws the chart from the worker\'s history', async () => {
  const page = await open('scenario=volatile&seed=3');
  await page.getByRole('table', { name: 'Order book' }).locator('tbody.bids tr:not(.empty)').first()
    .waitFor({ timeout: 5000 });
  await page.getByLabel('Speed').selectOption('100x');
  await page.waitForTimeout(2500);
  const bars1m = await page.evaluate(() => window.BourseChart.barCount());
  await page.getByRole('button', { name: 'Interval 1s' }).click();
  await page.waitForFunction((n) => window.BourseChart.barCount() > n, bars1m, { timeout: 5000 });
  const bars1s = await page.evaluate(() => window.BourseChart.barCount());
  assert.ok(bars1s > bars1m, `1s bars ${bars1s} > 1m bars ${bars1m}`);
  assert.equal(await page.getByRole('button', { name: 'Interval 1s' }).getAttribute('aria-pressed'), 'true');
  await page.close();
});

test('pause then step advances the simulation by exactly the stepped events', async () => {
  const page = await open('scenario=calm&seed=5');
  await page.getByRole('table', { name: 'Order book' }).locator('tbody.bids tr:not(.empty)').first()
    .waitFor({ timeout: 5000 });
  await pause(page);
  const events = page.getByLabel('Simulation events');
  const seq = page.getByLabel('Sequence number');
  await page.waitForTimeout(300);
  const e0 = Number(await events.innerText());
  const s0 = Number(await seq.innerText());
  await page.waitForTimeout(500);
  assert.equal(Number(await events.innerText()), e0, 'paused: no events');
  await page.getByLabel('Step events').fill('25');
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await page.waitForFunction((n) => Number(document.querySelector('output[aria-label="Simulation events"]').textContent) !== n,
    e0, { timeout: 5000 });
  assert.equal(Number(await events.innerText()), e0 + 25);
  assert.ok(Number(await seq.innerText()) >= s0);
  await page.close();
});

test('rejects show their reason: the form\'s check and the exchange\'s', async () => {
  const page = await open('scenario=calm&seed=9');
  await page.getByRole('table', { name: 'Order book' }).locator('tbody.asks tr:not(.empty)').first()
    .waitFor({ timeout: 5000 });
  // Off the tick grid: refused by the form with the core's reason, nothing sent.
  await page.getByLabel('Price', { exact: true }).fill('60000.001');
  await page.getByLabel('Quantity', { exact: true }).fill('0.001');
  await page.getByRole('button', { name: 'Buy', exact: true }).click();
  await page.getByText('PRICE_NOT_ON_TICK').waitFor({ timeout: 3000 });
  // More than the balance: passes the form's grid checks, rejected by the exchange.
  const ask = await bestPrice(page, 'asks');
  await page.getByLabel('Price', { exact: true }).fill(ask);
  await page.getByLabel('Quantity', { exact: true }).fill('50');
  await page.getByRole('button', { name: 'Buy', exact: true }).click();
  await page.getByText('Order rejected: INSUFFICIENT_BALANCE').waitFor({ timeout: 5000 });
  const hist = page.getByRole('table', { name: 'Order history' });
  await hist.locator('tbody tr', { hasText: 'INSUFFICIENT_BALANCE' }).first().waitFor({ timeout: 5000 });
  await page.close();
});

test('amend changes a resting order, cancel all empties Open orders', async () => {
  const page = await open('scenario=calm&seed=21');
  await page.getByRole('table', { name: 'Order book' }).locator('tbody.bids tr:not(.empty)').first()
    .waitFor({ timeout: 5000 });
  await pause(page);
  const bid = units(await bestPrice(page, 'bids'), 2) - 50n;
  const text = (t) => `${t / 100n}.${String(t % 100n).padStart(2, '0')}`;
  for (const [p, q] of [[bid, '0.01000'], [bid - 10n, '0.02000']]) {
    await page.getByLabel('Price', { exact: true }).fill(text(p));
    await page.getByLabel('Quantity', { exact: true }).fill(q);
    await page.getByRole('button', { name: 'Buy', exact: true }).click();
  }
  const open_ = page.getByRole('table', { name: 'Open orders' });
  await open_.locator('tbody tr').nth(1).waitFor({ timeout: 5000 });
  const row = open_.locator('tbody tr', { hasText: text(bid) });
  await row.getByRole('button', { name: 'Amend' }).click();
  await row.getByLabel('New quantity').fill('0.00500');
  await row.getByRole('button', { name: 'Save' }).click();
  await open_.locator('tbody tr', { hasText: '0.00500' }).waitFor({ timeout: 5000 });
  // A quantity reduction keeps the price.
  assert.match(await open_.locator('tbody tr', { hasText: '0.00500' }).innerText(), new RegExp(text(bid).replace('.', '\\.')));
  await page.getByRole('button', { name: 'Cancel all' }).click();
  await open_.locator('tbody tr').first().waitFor({ state: 'detached', timeout: 5000 });
  assert.equal((await balances(page)).USDT.locked, '0.00000000');
  await page.close();
});

test('reset puts scenario and seed in the URL, and the same link gives the same market', async () => {
  const page = await open('scenario=calm&seed=5');
  await page.getByRole('table', { name: 'Order book' }).locator('tbody.bids tr:not(.empty)').first()
    .waitFor({ timeout: 5000 });
  await page.getByLabel('Scenario').selectOption('thin');
  await page.getByLabel('Seed').fill('777');
  await page.getByRole('button', { name: 'Reset' }).click();
  await page.waitForURL(/scenario=thin&seed=777/, { timeout: 5000 });
  // Two pages on the same link, paused and stepped to the same number of simulation events, show
  // the same digest: the market is a function of scenario and seed.
  const other = await open(page.url().split('?')[1]);
  const eventsOf = async (p) => Number(await p.getByLabel('Simulation events').innerText());
  for (const p of [page, other]) {
    await p.getByRole('table', { name: 'Order book' }).locator('tbody.bids tr:not(.empty)').first()
      .waitFor({ timeout: 5000 });
    await pause(p);
  }
  await page.waitForTimeout(300);
  const target = Math.max(await eventsOf(page), await eventsOf(other)) + 700;
  const digests = [];
  for (const p of [page, other]) {
    for (let i = 0; i < 20 && (await eventsOf(p)) < target; i++) {
      const now = await eventsOf(p);
      await p.getByLabel('Step events').fill(String(Math.min(500, target - now)));
      await p.getByRole('button', { name: 'Step', exact: true }).click();
      await p.waitForFunction((b) => Number(document.querySelector('output[aria-label="Simulation events"]').textContent) > b,
        now, { timeout: 5000 });
    }
    assert.equal(await eventsOf(p), target);
    digests.push(await p.getByLabel('Digest').innerText());
  }
  assert.equal(digests[0], digests[1]);
  await other.close();
  await page.close();
});

test('switching the instrument shows its own book, grid and orders', async () => {
  const page = await open('scenario=calm&seed=2');
  const book = page.getByRole('table', { name: 'Order book' });
  await book.locator('tbody.bids tr:not(.empty)').first().waitFor({ timeout: 5000 });
  await page.getByLabel('Instrument').selectOption({ label: 'ETH-USDT' });
  await book.getByText('Size (ETH)').waitFor({ timeout: 5000 });
  // Nobody quotes ETH-USDT in `calm`: the human's bid is the whole book.
  await page.getByLabel('Price', { exact: true }).fill('2990.50');
  await page.getByLabel('Quantity', { exact: true }).fill('0.0100');
  await page.getByRole('button', { name: 'Buy', exact: true }).click();
  const level = book.locator('tbody.bids tr', { hasText: '2990.50' });
  await level.waitFor({ timeout: 5000 });
  assert.match(await level.locator('td.mine').innerText(), /0\.0100/);
  const row = page.getByRole('table', { name: 'Open orders' }).locator('tbody tr', { hasText: 'ETH-USDT' });
  await row.waitFor({ timeout: 5000 });
  // ETH's lot is 0.0001: a fifth decimal is refused by the form with the core's reason.
  await page.getByLabel('Quantity', { exact: true }).fill('0.01005');
  await page.getByRole('button', { name: 'Buy', exact: true }).click();
  await page.getByText('QUANTITY_NOT_ON_LOT').waitFor({ timeout: 3000 });
  assert.equal(await page.getByLabel('Quantity', { exact: true }).getAttribute('step'), '0.0001');
  await page.close();
});

test('on a laptop screen (1280×720) the terminal fits the width', async () => {
  const page = await open('scenario=calm&seed=42', { width: 1280, height: 720 });
  await page.getByRole('table', { name: 'Order book' }).locator('tbody.bids tr:not(.empty)').first()
    .waitFor({ timeout: 5000 });
  const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= inner, `page is ${scroll} px wide in a ${inner} px window`);
  for (const name of ['Order book', 'Trades', 'Open orders', 'Balances']) {
    assert.ok(await page.getByRole('table', { name }).isVisible(), name);
  }
  await page.close();
});

test('screenshot of the terminal for the README', async () => {
  const page = await open('scenario=volatile&seed=42');
  await page.getByRole('table', { name: 'Order book' }).locator('tbody.bids tr:not(.empty)').first()
    .waitFor({ timeout: 5000 });
  await page.getByLabel('Speed').selectOption('100x');
  await page.waitForTimeout(6000);
  await page.getByLabel('Speed').selectOption('1x');
  await pause(page);
  // A taker fill (IOC at the best ask), then a resting bid a little below the best bid and its
  // level's FIFO queue in the L3 view; the market stays paused for the picture.
  await page.getByLabel('Time in force').selectOption('IOC');
  await page.getByLabel('Price', { exact: true }).fill(await bestPrice(page, 'asks'));
  await page.getByLabel('Quantity', { exact: true }).fill('0.02');
  await page.getByRole('button', { name: 'Buy', exact: true }).click();
  await page.getByRole('table', { name: 'Fills' }).locator('tbody tr').first().waitFor({ timeout: 5000 });
  await page.getByLabel('Time in force').selectOption('GTC');
  const bid = units(await bestPrice(page, 'bids'), 2) - 3n;
  const bidText = `${bid / 100n}.${String(bid % 100n).padStart(2, '0')}`;
  await page.getByLabel('Price', { exact: true }).fill(bidText);
  await page.getByLabel('Quantity', { exact: true }).fill('0.05');
  await page.getByRole('button', { name: 'Buy', exact: true }).click();
  const level = page.getByRole('table', { name: 'Order book' }).locator('tbody.bids tr', { hasText: bidText });
  await level.waitFor({ timeout: 5000 });
  await level.click();
  await page.getByRole('table', { name: 'Queue' }).locator('tbody tr', { hasText: 'you' }).waitFor({ timeout: 5000 });
  // Subscribing to a level's queue (a full frame) keeps the trade tape.
  await page.waitForTimeout(300);
  assert.ok(await page.getByRole('table', { name: 'Trades' }).locator('tbody tr:not(.empty)').count() > 0,
    'the tape survived the L3 subscription');
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(ROOT, 'target', 'terminal.png'), fullPage: true });
  assert.deepEqual(pageErrors, []);
  await page.close();
});
