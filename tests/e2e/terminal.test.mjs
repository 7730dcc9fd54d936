// End-to-end tests of the release build (dist/) served from a sub-path (/bourse/), driving Debian's
// Chromium through npm playwright-core. Run: node --test tests/e2e/terminal.test.mjs (scripts/test.sh
// builds dist/ first). Every wait is bounded; the server listens on 127.0.0.1 only.
//
// The tests use the page as a person does: they type with real key events (never fill()), click
// and press keys, at 1280×720, 1440×900 and 1920×1080, and read the page through its
// accessibility contract (tables "Order book", "Trades", "Open orders", "Order history", "Fills",
// "Balances", "Queue"; inputs "Price", "Quantity", "Stop price", "Total"; the "Order outcome"
// line) and the `data-*` stamps every market panel carries (the frame it shows).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';
import { typeInto } from './keys.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update'];
const SIZES = [{ width: 1280, height: 720 }, { width: 1440, height: 900 }, { width: 1920, height: 1080 }];
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

/** A fresh page on a seeded market (the first-visit help already dismissed unless `help`). */
async function open(query = 'scenario=calm&seed=42', viewport = { width: 1440, height: 900 }, { help = false } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  if (!help) await page.addInitScript(() => localStorage.setItem('bourse.help.dismissed', '1'));
  await page.goto(baseUrl + '?' + query);
  await book(page).locator('tbody.bids tr:not(.empty)').first().waitFor({ timeout: 10000 });
  return page;
}

const book = (page) => page.getByRole('table', { name: 'Order book' });

/** Integer units from a fixed-point string ("1.50000000" → 150000000n at 8 decimals). */
function units(text, decimals) {
  const t = text.trim();
  const neg = t.startsWith('-');
  const [i, f = ''] = t.replace('-', '').split('.');
  const v = BigInt(i) * 10n ** BigInt(decimals) + BigInt((f + '0'.repeat(decimals)).slice(0, decimals));
  return neg ? -v : v;
}

const priceText = (ticks) => `${ticks / 100n}.${String(ticks % 100n).padStart(2, '0')}`;


/** Balances table as { ASSET: { available, locked, total } } exact strings (cell tooltips). */
async function balances(page) {
  const rows = await page.getByRole('table', { name: 'Balances' }).locator('tbody tr').all();
  const out = {};
  for (const r of rows) {
    const asset = (await r.locator('th').innerText()).trim();
    const exact = await r.locator('td').evaluateAll((tds) => tds.map((td) => td.dataset.exact));
    out[asset] = { available: exact[0], locked: exact[1], total: exact[2] };
  }
  return out;
}

async function bestPrice(page, section) {
  // Asks are listed highest first: the best ask is the last filled ask row; bids best first.
  const rows = book(page).locator(`tbody.${section} tr:not(.empty):not(.hidden) td.price`);
  const n = await rows.count();
  const cell = section === 'asks' ? rows.nth(n - 1) : rows.nth(0);
  return (await cell.innerText()).replace(/^(Ask|Bid)\s*/, '').trim();
}

async function pause(page) {
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByRole('button', { name: 'Play' }).waitFor({ timeout: 5000 });
  await page.waitForTimeout(300); // the mirror follows on the next frames
}

async function setSide(page, side) {
  await page.getByRole('radio', { name: side }).check();
}

const submit = (page) => page.getByRole('button', { name: /^(Buy|Sell) (BTC|ETH)$/ });
const outcome = (page) => page.getByLabel('Order outcome');

/** True when the element's box is entirely inside the window. */
async function inViewport(locator) {
  return locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth;
  });
}

/** Elements whose text is cut: wider content than box (for text elements that clip), or sticking
 *  out of their panel (panels clip their content). Returns descriptions; empty when none. */
async function clipped(page) {
  return page.evaluate(() => {
    const out = [];
    const visible = (el) => {
      const s = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      return s.visibility !== 'hidden' && s.display !== 'none' && r.width > 0 && r.height > 0 && !el.closest('.sr-only');
    };
    const sel = 'td, th, h2, button, label, span, output, p, select, .legend, .hint';
    for (const el of document.querySelectorAll(sel)) {
      if (!visible(el) || el.closest('.ladder tbody')) continue; // the ladder's text is drawn on its canvas
      if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible') {
        out.push(`overflow ${el.tagName} "${el.textContent.trim().slice(0, 40)}" ${el.scrollWidth}>${el.clientWidth}`);
      }
      const panel = el.closest('.panel');
      if (panel && !el.closest('.scroll, .scroll-fill')) {
        const p = panel.getBoundingClientRect();
        const r = el.getBoundingClientRect();
        if (r.right > p.right + 1 || r.bottom > p.bottom + 1 || r.left < p.left - 1) {
          out.push(`outside its panel ${el.tagName} "${el.textContent.trim().slice(0, 40)}" (${Math.round(r.right)}/${Math.round(p.right)}, ${Math.round(r.bottom)}/${Math.round(p.bottom)})`);
        }
      }
    }
    // The chart's container fits its panel (lightweight-charts draws its axes inside it).
    const chart = document.querySelector('.chart');
    const cp = chart?.closest('.panel')?.getBoundingClientRect();
    const cr = chart?.getBoundingClientRect();
    if (chart && (cr.right > cp.right + 1 || cr.bottom > cp.bottom + 1)) out.push('chart outside its panel');
    // The document is not wider than the window.
    if (document.documentElement.scrollWidth > window.innerWidth) out.push(`page ${document.documentElement.scrollWidth} px wide`);
    return out;
  });
}

test('the market starts, the ladder fills within 3 s, and the address holds scenario, seed, instrument, interval and speed', async () => {
  const t0 = Date.now();
  const page = await open();
  assert.ok(Date.now() - t0 <= 3000 + 1500, `ladder took ${Date.now() - t0} ms (includes the browser context)`);
  assert.ok(page.url().includes('/bourse/'), page.url());
  await page.waitForURL(/scenario=calm&seed=42&instrument=BTC-USDT&interval=1m&speed=1x/, { timeout: 5000 });
  await page.getByRole('table', { name: 'Trades' }).locator('tbody tr:not(.empty)').first().waitFor({ timeout: 10000 });
  const bid = Number(await bestPrice(page, 'bids'));
  const ask = Number(await bestPrice(page, 'asks'));
  assert.ok(bid < ask, `bid ${bid} < ask ${ask}`);
  // The spread has its unit; the mid is exact.
  const spread = await book(page).getByLabel('Spread and mid').innerText();
  assert.match(spread, /^Spread \d+\.\d{2} USDT · \d+ ticks? · \d+\.\d bps · Mid \d+\.\d{2,3}$/);
  await page.context().close();
});

test('decimals are typed with real keys and stay as typed (price, quantity, stop price)', async () => {
  const page = await open('scenario=calm&seed=7');
  await pause(page);
  const price = page.getByLabel('Price', { exact: true });
  const qty = page.getByLabel('Quantity', { exact: true });
  // A half-typed value is a valid state: "59822." stays, the caret stays at the end.
  await price.click();
  await price.pressSequentially('59822.', { delay: 15 });
  assert.equal(await price.inputValue(), '59822.');
  await price.pressSequentially('86', { delay: 15 });
  assert.equal(await price.inputValue(), '59822.86');
  await typeInto(qty, '0.01');
  await page.getByLabel('Type').selectOption('STOP_LIMIT');
  await typeInto(page.getByLabel('Stop price', { exact: true }), '59000.5');
  // Editing in the middle keeps the caret where it is: ArrowLeft twice, then type.
  await price.click();
  await price.press('End');
  await price.press('ArrowLeft');
  await price.press('ArrowLeft');
  await price.pressSequentially('9', { delay: 15 });
  assert.equal(await price.inputValue(), '59822.986');
  await page.context().close();
});

test('a resting limit order appears in Open orders and on the ladder with the exact lock, and Cancel removes it', async () => {
  const page = await open('scenario=calm&seed=7');
  await pause(page);
  const p = units(await bestPrice(page, 'bids'), 2) - 1n; // one tick below the best bid: rests
  await typeInto(page.getByLabel('Price', { exact: true }), priceText(p));
  await typeInto(page.getByLabel('Quantity', { exact: true }), '0.01234');
  await submit(page).click();
  const open_ = page.getByRole('table', { name: 'Open orders' });
  const row = open_.locator('tbody tr', { hasText: priceText(p) });
  await row.waitFor({ timeout: 5000 });
  assert.match(await row.innerText(), /Buy/);
  assert.match(await row.innerText(), /0\.01234/);
  await outcome(page).getByText(/^Accepted: Buy 0\.01234 BTC at/).waitFor({ timeout: 5000 });
  const level = book(page).locator('tbody.bids tr', { hasText: priceText(p) });
  await level.waitFor({ timeout: 5000 });
  assert.match(await level.locator('td.mine').innerText(), /0\.01234/);
  // Locked USDT = notional + fee reserve: 0.01234 × price × (1 + 0.001), exact.
  const bal = await balances(page);
  const notional = units(priceText(p), 8) * 1234n / 100000n;
  assert.equal(units(bal.USDT.locked, 8), notional + notional * 1000n / 1000000n);
  await row.getByRole('button', { name: 'Cancel', exact: true }).click();
  await row.waitFor({ state: 'detached', timeout: 5000 });
  assert.equal(await open_.locator('tbody tr').count(), 0);
  await page.getByRole('table', { name: 'Order history' }).locator('tbody tr', { hasText: 'CANCELED' }).first()
    .waitFor({ timeout: 5000 });
  assert.equal((await balances(page)).USDT.locked, '0.00000000');
  await page.context().close();
});

test('a crossing order fills, balances move by exactly fill plus fee, times are the events\' own, the tape marks it', async () => {
  const page = await open('scenario=calm&seed=11');
  await pause(page);
  const before_ = await balances(page);
  const bestAsk = await bestPrice(page, 'asks');
  await page.getByLabel('Time in force').selectOption('IOC');
  await typeInto(page.getByLabel('Price', { exact: true }), bestAsk);
  await typeInto(page.getByLabel('Quantity', { exact: true }), '0.00100');
  const clock = (await page.getByLabel('Simulation clock').innerText()).replace(' UTC', '');
  await page.getByLabel('Quantity', { exact: true }).press('Enter'); // Enter sends the form
  const fills = page.getByRole('table', { name: 'Fills' });
  await fills.locator('tbody tr').first().waitFor({ timeout: 5000 });
  await page.waitForTimeout(400);
  const rows = await fills.locator('tbody tr').all();
  let qty = 0n, value = 0n, fee = 0n;
  for (const r of rows) {
    const c = await r.locator('td').allInnerTexts();
    assert.equal(c[3], 'Buy');
    assert.equal(c[7], 'Taker');
    // The fill's own virtual time (the market is paused: the clock), not when the page saw it.
    assert.equal(c[0].slice(0, 8), clock);
    qty += units(c[5], 5);
    value += units(await r.locator('td').nth(6).getAttribute('title'), 8);
    fee += units(c[8].replace(/\s*USDT/, ''), 8);
  }
  assert.ok(qty > 0n && qty <= 100n, `filled ${qty} lots`);
  // Taker fee 0.1% of the value, rounded down per fill: checked independently here.
  assert.ok(fee <= value / 1000n && fee >= value / 1000n - BigInt(rows.length));
  const after_ = await balances(page);
  assert.equal(units(after_.USDT.total, 8), units(before_.USDT.total, 8) - value - fee);
  assert.equal(units(after_.BTC.total, 8), units(before_.BTC.total, 8) + qty * 1000n);
  assert.equal(after_.USDT.locked, '0.00000000');
  // The tape marks the human's own print.
  await page.getByRole('table', { name: 'Trades' }).locator('tbody tr', { hasText: '◆ you' }).first().waitFor({ timeout: 5000 });
  // A toast says what filled.
  await page.getByRole('status').filter({ hasText: /^Bought 0\.\d+ BTC at/ }).first().waitFor({ timeout: 5000 });
  await page.context().close();
});

test('explain this fill: the command, its events step by step, the maker\'s queue history and both fees', async () => {
  const page = await open('scenario=calm&seed=11', { width: 1280, height: 720 });
  await pause(page);
  await page.getByLabel('Time in force').selectOption('IOC');
  await typeInto(page.getByLabel('Price', { exact: true }), await bestPrice(page, 'asks'));
  await typeInto(page.getByLabel('Quantity', { exact: true }), '0.00100');
  await page.getByLabel('Quantity', { exact: true }).press('Enter');
  const fills = page.getByRole('table', { name: 'Fills' });
  const row = fills.locator('tbody tr').first();
  await row.waitFor({ timeout: 5000 });
  const cells = await row.locator('td').allInnerTexts();
  const [tradeId, feeText] = [cells[1], cells[8].replace(/\s*USDT/, '')];
  await row.getByRole('button', { name: `Explain trade ${tradeId}` }).click();
  const dialog = page.getByRole('dialog', { name: 'Explain' });
  await dialog.waitFor({ timeout: 5000 });
  assert.match(await dialog.getByRole('heading', { level: 2 }).innerText(), /^Command \d+ — explain this fill$/);
  assert.match(await dialog.locator('.explain-command').innerText(), /sent by you: buy 0\.001 BTC at [\d.]+ USDT on BTC-USDT \(LIMIT, IOC, self-trade prevention EXPIRE_MAKER\)/);
  // The step-through starts at the trade asked about; arrow keys move it one event at a time.
  const events = dialog.getByRole('list', { name: 'Events' }).getByRole('listitem');
  const n = await events.count();
  assert.ok(n >= 6, `${n} events`);
  const current = dialog.locator('.event-log li[aria-current="step"]');
  assert.match(await current.innerText(), new RegExp(`· trade · Trade ${tradeId}:`));
  const at = await events.evaluateAll((els) => els.findIndex((e) => e.getAttribute('aria-current') === 'step'));
  await page.keyboard.press('ArrowDown');
  assert.match(await dialog.getByRole('status').innerText(), new RegExp(`^Event ${at + 2} of ${n} `));
  assert.match(await current.innerText(), /l3:(Reduced|Removed)/, 'the maker\'s L3 change follows its trade');
  await dialog.getByRole('button', { name: 'Previous event' }).press('Enter');
  assert.match(await current.innerText(), /· trade ·/);
  // The maker's queue history ends at this fill with nothing ahead (price-time priority).
  const steps = await dialog.getByRole('list', { name: 'Queue history' }).first().getByRole('listitem').allInnerTexts();
  assert.match(steps[0], /joined the back of the ask queue at [\d.]+ with [\d.]+ BTC, [\d.]+ ahead/);
  assert.match(steps.at(-1), /filled [\d.]+ BTC \(this fill\) — ahead: 0$/);
  // Both fees, computed from the notional and the rate, equal the execution reports; the taker's
  // is the fee in the Fills row.
  const fees = await dialog.getByRole('list', { name: 'Fees' }).first().getByRole('listitem').allInnerTexts();
  assert.equal(fees.length, 2);
  assert.match(fees[0], /^maker fee, paid by an? [a-z -]+ \(account \d+\): [\d.]+ USDT × 0\.08 % \(800 ppm\) = /);
  assert.match(fees[1], new RegExp(`^taker fee, paid by you: [\\d.]+ USDT × 0\\.1 % \\(1000 ppm\\) = ${feeText.replace(/0+$/, '').replace('.', '\\.')} USDT`));
  for (const f of fees) assert.match(f, /equals the execution report's fee$/);
  await page.screenshot({ path: path.join(ROOT, 'target', 'terminal-explain.png') });
  // Escape closes; a click on a tape print explains the command behind it.
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached', timeout: 5000 });
  const tape = page.locator('.tape-canvas canvas');
  await tape.click({ position: { x: 40, y: 18 + 8 } });
  await dialog.waitFor({ timeout: 5000 });
  assert.match(await dialog.getByRole('heading', { level: 2 }).innerText(), /^Command \d+ — explain this fill$/);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await page.context().close();
});

for (const size of SIZES) {
  test(`rejects say what the limit was, in view, at ${size.width}×${size.height}`, async () => {
    const page = await open('scenario=calm&seed=9', size);
    await pause(page);
    // Off the tick grid: refused by the form, naming the tick.
    await typeInto(page.getByLabel('Price', { exact: true }), '60000.001');
    await typeInto(page.getByLabel('Quantity', { exact: true }), '0.001');
    await submit(page).click();
    await outcome(page).getByText('Not sent: PRICE_NOT_ON_TICK: prices are multiples of the tick size 0.01 USDT').waitFor({ timeout: 3000 });
    assert.ok(await inViewport(outcome(page)), 'the form reject is in view');
    // Below the minimum value.
    await typeInto(page.getByLabel('Price', { exact: true }), await bestPrice(page, 'bids'));
    await typeInto(page.getByLabel('Quantity', { exact: true }), '0.00001');
    await submit(page).click();
    await outcome(page).getByText(/minimum value 5 USDT per order/).waitFor({ timeout: 3000 });
    // Quantity −1: must be positive (not "off the lot").
    await typeInto(page.getByLabel('Quantity', { exact: true }), '-1');
    await submit(page).click();
    await outcome(page).getByText('Not sent: Quantity must be greater than 0').waitFor({ timeout: 3000 });
    // More than the balance: the exchange rejects; the outcome and a toast say available and needed.
    const ask = await bestPrice(page, 'asks');
    await typeInto(page.getByLabel('Price', { exact: true }), ask);
    await typeInto(page.getByLabel('Quantity', { exact: true }), '50');
    await submit(page).click();
    const line = outcome(page).getByText(/^Rejected: INSUFFICIENT_BALANCE: available 100000\.00 USDT, needed \d+\.\d+ USDT/);
    await line.waitFor({ timeout: 5000 });
    assert.ok(await inViewport(outcome(page)), 'the exchange reject is in view next to the button');
    const toast = page.getByRole('alert').filter({ hasText: 'INSUFFICIENT_BALANCE: available 100000.00 USDT' });
    await toast.waitFor({ timeout: 5000 });
    assert.ok(await inViewport(toast), 'the toast is in view');
    // The history keeps what was sent.
    const hist = page.getByRole('table', { name: 'Order history' }).locator('tbody tr', { hasText: 'INSUFFICIENT_BALANCE' }).first();
    await hist.waitFor({ timeout: 5000 });
    assert.match(await hist.innerText(), new RegExp(ask.replace('.', '\\.')));
    assert.match(await hist.innerText(), /50\.00000/);
    // The toast stays until read, then goes.
    await toast.getByRole('button', { name: 'Dismiss' }).click();
    await toast.waitFor({ state: 'detached', timeout: 3000 });
    // A post-only order that would take is rejected with the best price named.
    await page.getByLabel('Post-only').check();
    await typeInto(page.getByLabel('Quantity', { exact: true }), '0.001');
    await submit(page).click();
    await outcome(page).getByText(/^Rejected: POST_ONLY_WOULD_TAKE: .* best price \d+\.\d{2}$/).waitFor({ timeout: 5000 });
    assert.ok(await inViewport(outcome(page)));
    await page.context().close();
  });

  test(`nothing is clipped and the whole ladder shows at ${size.width}×${size.height}`, async () => {
    const page = await open('scenario=calm&seed=42', size);
    await pause(page);
    // Open the amend editor and the queue too: their widest states.
    await typeInto(page.getByLabel('Price', { exact: true }), priceText(units(await bestPrice(page, 'bids'), 2) - 5n));
    await typeInto(page.getByLabel('Quantity', { exact: true }), '0.01');
    await submit(page).click();
    const row = page.getByRole('table', { name: 'Open orders' }).locator('tbody tr').first();
    await row.waitFor({ timeout: 5000 });
    await row.getByRole('button', { name: 'Amend' }).click();
    await book(page).locator('tbody.bids tr:not(.empty)').first().click();
    await page.getByRole('table', { name: 'Queue' }).locator('tbody tr').first().waitFor({ timeout: 5000 });
    await page.waitForTimeout(300);
    const cut = await clipped(page);
    assert.deepEqual(cut, [], cut.join('\n'));
    // The ladder's last row (the table's rows lie over the canvas rows) is inside the panel.
    const last = book(page).locator('tbody.bids tr:not(.hidden)').last();
    const panel = page.getByRole('region', { name: 'Order book panel' });
    const [r, p] = [await last.boundingBox(), await panel.boundingBox()];
    assert.ok(r.y + r.height <= p.y + p.height, `last ladder row ends at ${r.y + r.height}, panel at ${p.y + p.height}`);
    // The amend input shows its whole value.
    const amend = row.getByLabel('New price');
    assert.ok(await amend.evaluate((el) => el.scrollWidth <= el.clientWidth), 'amend price not cut');
    // The submit button and its outcome line are on the first screen.
    assert.ok(await inViewport(submit(page)));
    assert.ok(await inViewport(outcome(page)));
    await page.screenshot({ path: path.join(ROOT, 'target', `terminal-${size.width}x${size.height}.png`) });
    await page.context().close();
  });
}

test('the halt scenario halts in front of the user: banner, Buy disabled with the reason, then the resume', async () => {
  const page = await open('scenario=halt&seed=3');
  // The description says what will happen; the countdown counts from the hand-over.
  await page.getByLabel('Scenario description').getByText(/halted 3 minutes in/).waitFor({ timeout: 5000 });
  await page.getByLabel('Scripted events').getByText(/trading halted in BTC-USDT in 2:5\d/).waitFor({ timeout: 5000 });
  assert.equal(await page.getByRole('status', { name: 'Halted' }).count(), 0, 'not halted at the hand-over');
  await page.getByLabel('Speed').selectOption('100x');
  const banner = book(page).locator('..').getByRole('status', { name: 'Halted' });
  await banner.waitFor({ timeout: 15000 });
  assert.match(await banner.innerText(), /HALTED/);
  assert.match(await banner.innerText(), /Trading in BTC-USDT is halted since \d\d:\d\d:\d\d/);
  await page.screenshot({ path: path.join(ROOT, 'target', 'terminal-halt.png') });
  await page.getByLabel('Ticker').getByText('HALTED').waitFor({ timeout: 2000 });
  await page.getByLabel('Speed').selectOption('1x');
  await pause(page);
  // Buy is off, with the reason next to it; Enter in the form is refused with the reason too.
  assert.ok(await submit(page).isDisabled());
  await page.getByText('Trading in BTC-USDT is halted: Buy and Sell are off until it resumes. Cancels still work.').waitFor({ timeout: 2000 });
  await typeInto(page.getByLabel('Price', { exact: true }), '60000.00');
  await typeInto(page.getByLabel('Quantity', { exact: true }), '0.01');
  await page.getByLabel('Quantity', { exact: true }).press('Enter');
  await outcome(page).getByText(/^Not sent: Trading in BTC-USDT is halted/).waitFor({ timeout: 3000 });
  // A notice said so, and stays until read.
  await page.getByRole('alert').filter({ hasText: /Trading in BTC-USDT halted at \d\d:\d\d:\d\d/ }).waitFor({ timeout: 2000 });
  // ETH-USDT keeps trading meanwhile.
  await page.getByLabel('Instrument').selectOption({ label: 'ETH-USDT' });
  await book(page).getByText('Size (ETH)').waitFor({ timeout: 5000 });
  assert.equal(await banner.count(), 0);
  await page.getByLabel('Instrument').selectOption({ label: 'BTC-USDT' });
  await banner.waitFor({ timeout: 5000 });
  // The resume is visible: banner gone, a notice, Buy back.
  await page.getByRole('button', { name: 'Play' }).click();
  await page.getByLabel('Speed').selectOption('100x');
  await banner.waitFor({ state: 'detached', timeout: 15000 });
  await page.getByRole('alert').filter({ hasText: /BTC-USDT resumed trading at \d\d:\d\d:\d\d/ }).waitFor({ timeout: 2000 });
  assert.ok(!(await submit(page).isDisabled()));
  await page.context().close();
});

test('the call auction: demand and supply cross at the marked uncross, a market order is refused, a bid above fills at the single price', async () => {
  const page = await open('scenario=call-auction&seed=3', { width: 1280, height: 720 });
  await page.getByLabel('Scenario description').getByText(/call auction 1 minute in/).waitFor({ timeout: 5000 });
  const line = page.getByRole('status', { name: 'Call auction' });
  assert.equal(await line.count(), 0, 'continuous at the hand-over');
  await page.getByLabel('Speed').selectOption('10x');
  await line.waitFor({ timeout: 20000 });
  // The book crosses once the traders' marketable limits arrive; the status line names the price.
  await line.getByText(/indicative uncross \d+\.\d{2} for \d+\.\d+ BTC/).waitFor({ timeout: 20000 });
  await pause(page);
  const text = await line.innerText();
  const indicative = text.match(/indicative uncross (\d+\.\d{2})/)[1];
  assert.equal(await page.locator('.depth-box canvas').getAttribute('data-uncross'), indicative, 'the depth chart marks the same price');
  await page.getByRole('heading', { name: 'Demand and supply' }).waitFor({ timeout: 2000 });
  await book(page).getByText(/^Crossed by .*call auction/).waitFor({ timeout: 2000 });
  for (const b of await page.getByRole('button', { name: 'Dismiss' }).all()) await b.click();
  await page.screenshot({ path: path.join(ROOT, 'target', 'terminal-auction.png') });
  // A market buy is refused by the exchange, with the reason.
  await setSide(page, 'Buy');
  await page.getByLabel('Type').selectOption('MARKET');
  await typeInto(page.getByLabel('Quantity', { exact: true }), '0.01');
  await submit(page).click();
  await outcome(page).getByText(/call auction/).waitFor({ timeout: 5000 });
  // A GTC limit buy 300 USDT above the indicative price rests (crossed, nothing trades) ...
  await page.getByLabel('Type').selectOption('LIMIT');
  const limit = (units(indicative, 2) + 30000n);
  await typeInto(page.getByLabel('Price', { exact: true }), priceText(limit));
  await typeInto(page.getByLabel('Quantity', { exact: true }), '0.01');
  await page.getByLabel('Quantity', { exact: true }).press('Enter');
  await outcome(page).getByText(/^Accepted: Buy 0\.01/).waitFor({ timeout: 5000 });
  await page.getByRole('table', { name: 'Open orders' }).locator('tbody tr').first().waitFor({ timeout: 5000 });
  assert.equal(await page.getByRole('table', { name: 'Fills' }).locator('tbody tr').count(), 0, 'no fill during the auction');
  // ... and fills at the uncross, at one price below its limit, when continuous trading resumes.
  await page.getByRole('button', { name: 'Play' }).click();
  await page.getByLabel('Speed').selectOption('100x');
  await line.waitFor({ state: 'detached', timeout: 20000 });
  await page.getByRole('alert').filter({ hasText: /call auction in BTC-USDT uncrossed/ }).waitFor({ timeout: 5000 });
  const fill = page.getByRole('table', { name: 'Fills' }).locator('tbody tr').first();
  await fill.waitFor({ timeout: 5000 });
  await page.context().close();
});

test('at max speed every panel shows the same moment: depth range and chart price agree with the ladder', async () => {
  const page = await open('scenario=volatile&seed=5');
  await page.getByLabel('Speed').selectOption('max');
  await page.waitForTimeout(2000);
  for (let i = 0; i < 10; i++) {
    // One synchronous read of every panel's stamp (JavaScript runs between frames).
    const s = await page.evaluate(() => {
      const ladder = document.querySelector('.ladder-canvas canvas').dataset;
      const depth = document.querySelector('.depth-box canvas').dataset;
      const tape = document.querySelector('.tape-canvas canvas').dataset;
      const chart = document.querySelector('.chart').dataset;
      return { ladder: { ...ladder }, depth: { ...depth }, tape: { ...tape }, chart: { ...chart } };
    });
    assert.equal(s.depth.seq, s.ladder.seq, 'depth and ladder show the same frame');
    assert.equal(s.tape.seq, s.ladder.seq, 'tape and ladder show the same frame');
    assert.ok([s.ladder.seq, s.ladder.prevSeq].includes(s.chart.seq),
      `the chart (${s.chart.seq}) is within one redraw of the ladder (${s.ladder.prevSeq} → ${s.ladder.seq})`);
    const [bid, ask, lo, hi] = [s.ladder.bestBid, s.ladder.bestAsk, s.depth.lo, s.depth.hi].map(Number);
    assert.ok(lo <= bid && bid < ask && ask <= hi, `depth ${lo}–${hi} holds the ladder's ${bid}/${ask}`);
    // The chart's last close is the last trade price of the very frame it shows.
    const want = s.chart.seq === s.ladder.seq ? s.ladder.last : s.ladder.prevLast;
    assert.equal(s.chart.last, want, `chart last ${s.chart.last} = the frame's last trade ${want}`);
    await page.waitForTimeout(150);
  }
  await page.context().close();
});

test('pause then step advances the simulation by exactly the stepped events', async () => {
  const page = await open('scenario=calm&seed=5');
  await pause(page);
  const events = page.getByLabel('Simulation steps');
  const e0 = Number(await events.innerText());
  await page.waitForTimeout(400);
  assert.equal(Number(await events.innerText()), e0, 'paused: no events');
  await typeInto(page.getByLabel('Step count'), '25');
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await page.waitForFunction((n) => Number(document.querySelector('output[aria-label="Simulation steps"]').textContent) !== n,
    e0, { timeout: 5000 });
  assert.equal(Number(await events.innerText()), e0 + 25);
  await page.context().close();
});

test('amend with the keyboard: Enter saves, Escape closes, focus comes back; cancel all empties Open orders', async () => {
  const page = await open('scenario=calm&seed=21');
  await pause(page);
  const bid = units(await bestPrice(page, 'bids'), 2) - 50n;
  for (const [p, q] of [[bid, '0.01000'], [bid - 10n, '0.02000']]) {
    await typeInto(page.getByLabel('Price', { exact: true }), priceText(p));
    await typeInto(page.getByLabel('Quantity', { exact: true }), q);
    await submit(page).click();
    await page.getByRole('table', { name: 'Open orders' }).locator('tbody tr', { hasText: priceText(p) }).waitFor({ timeout: 5000 });
  }
  const open_ = page.getByRole('table', { name: 'Open orders' });
  const row = open_.locator('tbody tr', { hasText: priceText(bid) });
  await row.getByRole('button', { name: 'Amend' }).click();
  // The editor opens focused on the new price; Escape closes it and focus returns to Amend.
  await page.keyboard.press('Escape');
  await row.getByLabel('New price').waitFor({ state: 'detached', timeout: 2000 });
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Amend');
  await row.getByRole('button', { name: 'Amend' }).press('Enter');
  const newQty = row.getByLabel('New quantity');
  await typeInto(newQty, '0.00500');
  await newQty.press('Enter');
  await open_.locator('tbody tr', { hasText: '0.00500' }).waitFor({ timeout: 5000 });
  // A quantity reduction keeps the price (and the place in the queue).
  assert.match(await open_.locator('tbody tr', { hasText: '0.00500' }).innerText(), new RegExp(priceText(bid).replace('.', '\\.')));
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Amend');
  await page.getByRole('button', { name: 'Cancel all' }).click();
  await open_.locator('tbody tr').first().waitFor({ state: 'detached', timeout: 5000 });
  assert.equal((await balances(page)).USDT.locked, '0.00000000');
  await page.context().close();
});

test('keyboard on the ladder: Tab to a row, arrows move, Enter takes its price and opens its queue; grouped rows open their bucket', async () => {
  const page = await open('scenario=calm&seed=13');
  await pause(page);
  const first = book(page).locator('tbody.bids tr:not(.empty)').first();
  await first.focus();
  await page.keyboard.press('ArrowDown');
  const focused = await page.evaluate(() => document.activeElement.id);
  assert.equal(focused, 'ladder-bid-1');
  const want = await book(page).locator('#ladder-bid-1 td.price').innerText();
  await page.keyboard.press('Enter');
  assert.equal(await page.getByLabel('Price', { exact: true }).inputValue(), want.replace(/^Bid\s*/, '').trim());
  const queue = page.getByRole('table', { name: 'Queue' });
  await queue.locator('tbody tr').first().waitFor({ timeout: 5000 });
  // Up from the best bid goes to the best ask.
  await first.focus();
  await page.keyboard.press('ArrowUp');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'ladder-ask-0');
  // Grouped by 10 ticks: a row opens the queue of every level in its bucket, with prices.
  await page.getByLabel('Price grouping').selectOption('10');
  await page.waitForTimeout(300);
  await book(page).locator('tbody.bids tr:not(.empty)').first().click();
  await page.getByRole('heading', { name: /^Queue .* \(bids, 10-tick group\)$/ }).waitFor({ timeout: 5000 });
  await queue.locator('tbody tr').first().waitFor({ timeout: 5000 });
  await page.context().close();
});

test('self-trade prevention: the default expires the resting order instead of trading with it, and says so', async () => {
  const page = await open('scenario=calm&seed=17');
  await pause(page);
  const bid = units(await bestPrice(page, 'bids'), 2);
  const ask = units(await bestPrice(page, 'asks'), 2);
  const mid = (bid + ask) / 2n; // strictly inside the spread
  if (mid <= bid || mid >= ask) return; // a one-tick spread: nothing to test on this seed
  await typeInto(page.getByLabel('Price', { exact: true }), priceText(mid));
  await typeInto(page.getByLabel('Quantity', { exact: true }), '0.01');
  await submit(page).click();
  await page.getByRole('table', { name: 'Open orders' }).locator('tbody tr').first().waitFor({ timeout: 5000 });
  await setSide(page, 'Sell');
  await submit(page).click();
  await page.getByRole('alert').filter({ hasText: /Self-trade prevention \(EXPIRE_MAKER\): your order \d+ on BTC-USDT expired/ }).waitFor({ timeout: 5000 });
  assert.equal(await page.getByRole('table', { name: 'Fills' }).locator('tbody tr').count(), 0, 'no self-trade printed');
  await page.context().close();
});

test('stop orders: a stop line at the trigger price on the chart, not a "my bid" line; stop-market and market-by-amount are offered', async () => {
  const page = await open('scenario=calm&seed=19');
  await pause(page);
  const ask = units(await bestPrice(page, 'asks'), 2);
  await page.getByLabel('Type').selectOption('STOP_MARKET');
  await typeInto(page.getByLabel('Stop price', { exact: true }), priceText(ask + 5000n));
  await typeInto(page.getByLabel('Quantity', { exact: true }), '0.01');
  await submit(page).click();
  await page.getByRole('table', { name: 'Open orders' }).locator('tbody tr', { hasText: 'stop pending' }).waitFor({ timeout: 5000 });
  await page.waitForFunction(() => window.BourseChart.priceLines().length > 0, null, { timeout: 5000 });
  const lines = await page.evaluate(() => window.BourseChart.priceLines());
  assert.deepEqual(lines.map((l) => l.title), ['stop buy 0.01000 → market']);
  assert.equal(lines[0].price, Number(priceText(ask + 5000n)));
  // A market buy by the amount to spend.
  await page.getByLabel('Type').selectOption('MARKET');
  await page.getByRole('radio', { name: 'amount to spend' }).check();
  await typeInto(page.getByLabel('Total', { exact: true }), '250.50');
  await page.getByText(/^Estimate: 0\.\d+ BTC at avg \d+\.\d+ over \d+ levels?, slippage \d+\.\d bps vs best \d+\.\d{2}/).waitFor({ timeout: 3000 });
  await submit(page).click();
  await outcome(page).getByText(/^Accepted: Buy 250\.50 USDT of BTC \(market\)$/).waitFor({ timeout: 5000 });
  await page.getByRole('table', { name: 'Fills' }).locator('tbody tr').first().waitFor({ timeout: 5000 });
  await page.context().close();
});

test('switching to ETH-USDT shows a live book with its own grid, and the chart follows the instrument', async () => {
  const page = await open('scenario=calm&seed=2&instrument=ETH-USDT');
  await book(page).getByText('Size (ETH)').waitFor({ timeout: 5000 });
  // Simulated participants trade it: a two-sided book and prints on the tape.
  await page.getByRole('table', { name: 'Trades' }).locator('tbody tr:not(.empty)').first().waitFor({ timeout: 10000 });
  const bid = Number(await bestPrice(page, 'bids'));
  assert.ok(bid > 1000 && bid < 10000, `an ETH price: ${bid}`);
  await page.waitForFunction(() => Number(document.querySelector('.chart').dataset.last) > 0, null, { timeout: 10000 });
  const last = Number(await page.locator('.chart').getAttribute('data-last'));
  assert.ok(last > 1000 && last < 10000, `the chart is ETH's: ${last}`);
  await pause(page);
  // ETH's lot is 0.0001: a fifth decimal is refused by the form with the lot named.
  await typeInto(page.getByLabel('Price', { exact: true }), await bestPrice(page, 'bids'));
  await typeInto(page.getByLabel('Quantity', { exact: true }), '0.01005');
  await submit(page).click();
  await outcome(page).getByText(/QUANTITY_NOT_ON_LOT: quantities are multiples of the lot size 0\.0001 ETH/).waitFor({ timeout: 3000 });
  await page.context().close();
});

test('reset writes the address, the same link gives the same market, and a reload says the market restarted', async () => {
  const page = await open('scenario=calm&seed=5');
  await page.getByLabel('Scenario', { exact: true }).selectOption('thin');
  await page.getByLabel('Scenario description').getByText(/chosen; press Reset/).waitFor({ timeout: 2000 });
  await typeInto(page.getByLabel('Seed'), '777');
  await page.getByRole('button', { name: 'Reset' }).click();
  await page.waitForURL(/scenario=thin&seed=777/, { timeout: 5000 });
  const other = await open(page.url().split('?')[1]);
  const eventsOf = async (p) => Number(await p.getByLabel('Simulation steps').innerText());
  for (const p of [page, other]) await pause(p);
  const target = Math.max(await eventsOf(page), await eventsOf(other)) + 700;
  const digests = [];
  for (const p of [page, other]) {
    for (let i = 0; i < 20 && (await eventsOf(p)) < target; i++) {
      const now = await eventsOf(p);
      await typeInto(p.getByLabel('Step count'), String(Math.min(500, target - now)));
      await p.getByRole('button', { name: 'Step', exact: true }).click();
      await p.waitForFunction((b) => Number(document.querySelector('output[aria-label="Simulation steps"]').textContent) > b,
        now, { timeout: 5000 });
    }
    assert.equal(await eventsOf(p), target);
    digests.push(await p.getByLabel('Digest').innerText());
  }
  assert.equal(digests[0], digests[1]);
  // Speed and interval go into the address; a reload keeps them and says the market restarted.
  await page.getByLabel('Speed').selectOption('10x');
  await page.getByRole('button', { name: 'Interval 1s' }).click();
  await page.waitForURL(/interval=1s&speed=10x/, { timeout: 5000 });
  await page.reload();
  await page.getByRole('alert').filter({ hasText: /The page was reloaded, so the market started again from its seed \(thin seed 777\)/ }).waitFor({ timeout: 10000 });
  assert.equal(await page.getByRole('button', { name: 'Interval 1s' }).getAttribute('aria-pressed'), 'true');
  assert.equal(await page.getByLabel('Speed').inputValue(), '10x');
  await other.context().close();
  await page.context().close();
});

test('fills and order history export as CSV with exact values', async () => {
  const page = await open('scenario=calm&seed=23');
  await pause(page);
  await page.getByLabel('Type').selectOption('MARKET');
  await typeInto(page.getByLabel('Quantity', { exact: true }), '0.002');
  await submit(page).click();
  await page.getByRole('table', { name: 'Fills' }).locator('tbody tr').first().waitFor({ timeout: 5000 });
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 5000 }),
    page.getByRole('region', { name: 'Account panel' }).getByRole('button', { name: 'Download CSV' }).nth(1).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'bourse-fills.csv');
  const text = fs.readFileSync(await download.path(), 'utf8');
  const lines = text.trim().split('\n');
  assert.equal(lines[0], 'time_utc,symbol,trade_id,order_id,side,price,quantity,value,liquidity,fee,fee_asset');
  const f = lines[1].split(',');
  assert.match(f[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(f[1], 'BTC-USDT');
  assert.equal(f[4], 'BUY');
  // value = price × quantity exactly, in quote units: ticks × lots × 10.
  const value = units(f[5], 2) * units(f[6], 5) * 10n;
  assert.equal(units(f[7], 8), value);
  assert.equal(units(f[9], 8), value / 1000n);
  await page.context().close();
});

test('the help overlay shows on the first visit, explains the terms, and stays dismissed', async () => {
  const page = await open('scenario=calm&seed=1', { width: 1440, height: 900 }, { help: true });
  const dialog = page.getByRole('dialog', { name: 'Help' });
  await dialog.waitFor({ timeout: 5000 });
  for (const term of ['Bid / ask', 'Spread', 'Tick / lot', 'Queue', 'Maker / taker', 'IOC / FOK / post-only', 'Digest']) {
    await dialog.getByText(term, { exact: true }).waitFor({ timeout: 1000 });
  }
  await page.keyboard.press('Enter'); // "Got it" has the focus
  await dialog.waitFor({ state: 'detached', timeout: 2000 });
  await page.reload();
  await book(page).locator('tbody.bids tr:not(.empty)').first().waitFor({ timeout: 10000 });
  assert.equal(await dialog.count(), 0);
  await page.getByRole('button', { name: 'Help' }).click();
  await dialog.waitFor({ timeout: 2000 });
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached', timeout: 2000 });
  await page.context().close();
});

test('screenshot of the terminal for the README', async () => {
  const page = await open('scenario=volatile&seed=42');
  await page.getByLabel('Speed').selectOption('100x');
  await page.waitForTimeout(5000);
  await page.getByLabel('Speed').selectOption('1x');
  await pause(page);
  // A taker fill, then a resting bid a little below the best bid, and its level's queue.
  await page.getByLabel('Time in force').selectOption('IOC');
  await typeInto(page.getByLabel('Price', { exact: true }), await bestPrice(page, 'asks'));
  await typeInto(page.getByLabel('Quantity', { exact: true }), '0.02');
  await submit(page).click();
  await page.getByRole('table', { name: 'Fills' }).locator('tbody tr').first().waitFor({ timeout: 5000 });
  await page.getByLabel('Time in force').selectOption('GTC');
  const bid = units(await bestPrice(page, 'bids'), 2) - 3n;
  await typeInto(page.getByLabel('Price', { exact: true }), priceText(bid));
  await typeInto(page.getByLabel('Quantity', { exact: true }), '0.05');
  await submit(page).click();
  const level = book(page).locator('tbody.bids tr', { hasText: priceText(bid) });
  await level.waitFor({ timeout: 5000 });
  await level.click();
  await page.getByRole('table', { name: 'Queue' }).locator('tbody tr', { hasText: 'you' }).waitFor({ timeout: 5000 });
  await page.waitForTimeout(600);
  assert.ok(await page.getByRole('table', { name: 'Trades' }).locator('tbody tr:not(.empty)').count() > 0,
    'the tape survived the L3 subscription');
  // Toasts would cover the tables in the picture.
  for (let i = 0; i < 10 && (await page.getByRole('button', { name: 'Dismiss' }).count()) > 0; i++) {
    await page.getByRole('button', { name: 'Dismiss' }).first().click();
  }
  await page.screenshot({ path: path.join(ROOT, 'target', 'terminal.png'), fullPage: true });
  assert.deepEqual(pageErrors, []);
  await page.context().close();
});
