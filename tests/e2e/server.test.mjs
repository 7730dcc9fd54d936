// End-to-end tests of `bourse serve`: the release terminal (dist/) served by a real server on
// 127.0.0.1 (ephemeral port, temporary data directory), two pages in headless Chromium
// (playwright-core) as two visitors. Each signs in as its own guest; an order placed in page A
// appears in page B's ladder; B does not see A's orders; a reload keeps A's account; the
// simulation controls are read-only for guests; a first visit without `?name=` asks for a name in
// a dialog; the admin's Reset starts a new round (orders cancelled, opening funds back). Run: node --test tests/e2e/server.test.mjs after
// `trunk build --release` and `cargo build -p bourse` (scripts/test.sh does both). The server is
// stopped at the end; every wait is bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { typeInto } from './keys.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = process.env.BOURSE_BIN ?? path.join(ROOT, 'target', 'debug', 'bourse');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update'];
const ADMIN = 'ba_e2e-admin-token-0000000000000000';
let proc, base, browser, dataDir;

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bourse-e2e-'));
  proc = spawn(BIN, ['serve', '--addr', '127.0.0.1:0', '--scenario', 'calm', '--seed', '3',
    '--data-dir', dataDir, '--web-dir', path.join(ROOT, 'dist')],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BOURSE_ADMIN_TOKEN: ADMIN } });
  base = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`bourse serve did not start: ${out}`)), 20000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^listening\s+(\S+)/m);
      if (m) { clearTimeout(timer); resolve(`http://${m[1]}`); }
    });
    proc.on('exit', (c) => reject(new Error(`bourse serve exited (${c}): ${out}`)));
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
});

after(async () => {
  await browser?.close();
  if (proc && proc.exitCode === null) {
    const done = new Promise((r) => proc.on('exit', r));
    proc.kill('SIGTERM');
    await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
    if (proc.exitCode === null) proc.kill('SIGKILL');
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const book = (page) => page.getByRole('table', { name: 'Order book' });

async function visitor(name, viewport = { width: 1280, height: 720 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(() => localStorage.setItem('bourse.help.dismissed', '1'));
  await page.goto(`${base}/?name=${name}`);
  await book(page).locator('tbody.bids tr:not(.empty)').first().waitFor({ timeout: 15000 });
  return { page, errors };
}


async function bestAsk(page) {
  const rows = book(page).locator('tbody.asks tr:not(.empty):not(.hidden) td.price');
  const n = await rows.count();
  return (await rows.nth(n - 1).innerText()).replace(/^Ask\s*/, '').trim();
}

const session = (page) => page.getByLabel('Signed in as');

test('two visitors share one book: A\'s order shows in B\'s ladder, B cannot see A\'s orders, a reload keeps A\'s account', async () => {
  const a = await visitor('ann');
  const b = await visitor('bob', { width: 1440, height: 900 });
  const whoA = await session(a.page).innerText();
  const whoB = await session(b.page).innerText();
  assert.match(whoA, /^ann · account \d+$/);
  assert.match(whoB, /^bob · account \d+$/);
  assert.notEqual(whoA.split('account ')[1], whoB.split('account ')[1], 'two accounts');
  // The simulation is the admin's: guests see its controls disabled.
  assert.equal(await a.page.getByRole('button', { name: /Pause|Play/ }).isDisabled(), true);

  // A rests a sell 25 ticks above the best ask with a quantity nobody else uses.
  const ask = Number(await bestAsk(a.page));
  const price = (ask + 0.25).toFixed(2);
  await a.page.getByRole('radio', { name: 'Sell' }).check();
  await typeInto(a.page.getByLabel('Price', { exact: true }), price);
  await typeInto(a.page.getByLabel('Quantity', { exact: true }), '0.01234');
  await a.page.getByRole('button', { name: /^Sell BTC$/ }).click();
  await a.page.getByLabel('Order outcome').getByText(/^Accepted: Sell 0\.01234 BTC/).waitFor({ timeout: 10000 });
  const mine = a.page.getByRole('table', { name: 'Open orders' }).locator('tbody tr', { hasText: price });
  await mine.waitFor({ timeout: 10000 });

  // B's ladder shows the level with at least A's quantity; B's own open orders stay empty.
  const level = book(b.page).locator('tbody.asks tr', { hasText: price });
  await level.waitFor({ timeout: 10000 });
  const qty = Number((await level.locator('td.num').first().innerText()).trim());
  assert.ok(qty >= 0.01234, `B sees the level at ${price} with ${qty}`);
  assert.equal(await b.page.getByRole('table', { name: 'Open orders' }).locator('tbody tr').count(), 0);
  fs.mkdirSync(path.join(ROOT, 'target', 'e2e'), { recursive: true });
  await b.page.screenshot({ path: path.join(ROOT, 'target', 'e2e', 'server-visitor-b.png') });

  // A reload keeps A's account and its open order.
  await a.page.reload();
  await book(a.page).locator('tbody.bids tr:not(.empty)').first().waitFor({ timeout: 15000 });
  assert.equal(await session(a.page).innerText(), whoA);
  await a.page.getByRole('table', { name: 'Open orders' }).locator('tbody tr', { hasText: price }).waitFor({ timeout: 10000 });
  assert.deepEqual([...a.errors, ...b.errors], []);
  await a.page.context().close();
  await b.page.context().close();
});

const balanceCell = (page, asset, col) => page.getByRole('table', { name: 'Balances' })
  .locator('tbody tr', { has: page.locator('th', { hasText: new RegExp(`^${asset}$`) }) })
  .locator('td.num').nth(col);

test('a first visit asks for a name; the admin\'s Reset cancels the visitor\'s order and gives back the faucet', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(() => localStorage.setItem('bourse.help.dismissed', '1'));
  await page.goto(`${base}/`);
  const dialog = page.getByRole('dialog', { name: 'Join the market' });
  await dialog.waitFor({ timeout: 15000 });
  // The name field has the focus: real key presses go into it; Enter joins.
  await page.keyboard.type('Zoë K', { delay: 20 });
  assert.equal(await dialog.getByLabel(/Your name/).inputValue(), 'Zoë K');
  fs.mkdirSync(path.join(ROOT, 'target', 'e2e'), { recursive: true });
  await page.screenshot({ path: path.join(ROOT, 'target', 'e2e', 'server-join.png') });
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'hidden', timeout: 5000 });
  await book(page).locator('tbody.bids tr:not(.empty)').first().waitFor({ timeout: 15000 });
  assert.match(await session(page).innerText(), /^Zoë K · account \d+$/);
  assert.equal(Number(await balanceCell(page, 'BTC', 2).getAttribute('data-exact')), 2);

  // Zoë rests a sell far above the market: 0.01111 BTC locked.
  const price = (Number(await bestAsk(page)) + 300).toFixed(2);
  await page.getByRole('radio', { name: 'Sell' }).check();
  await typeInto(page.getByLabel('Price', { exact: true }), price);
  await typeInto(page.getByLabel('Quantity', { exact: true }), '0.01111');
  await page.getByLabel('Quantity', { exact: true }).press('Enter');
  const mine = page.getByRole('table', { name: 'Open orders' }).locator('tbody tr', { hasText: price });
  await mine.waitFor({ timeout: 10000 });
  assert.equal(Number(await balanceCell(page, 'BTC', 1).getAttribute('data-exact')), 0.01111);

  // The admin (token in the fragment) has the controls and resets the market.
  const adminCtx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const admin = await adminCtx.newPage();
  admin.on('pageerror', (e) => errors.push(e.message));
  await admin.addInitScript(() => localStorage.setItem('bourse.help.dismissed', '1'));
  await admin.goto(`${base}/#admin=${ADMIN}`);
  await book(admin).locator('tbody.bids tr:not(.empty)').first().waitFor({ timeout: 15000 });
  const reset = admin.getByRole('button', { name: 'Reset' });
  assert.equal(await reset.isDisabled(), false, 'the admin controls the simulation');
  await reset.click();
  await mine.waitFor({ state: 'detached', timeout: 10000 });
  await page.waitForFunction(() => {
    const row = [...document.querySelectorAll('table[aria-label="Balances"] tbody tr')]
      .find((r) => r.querySelector('th')?.textContent === 'BTC');
    const cells = row ? row.querySelectorAll('td.num') : [];
    return cells.length === 3 && Number(cells[1].dataset.exact) === 0 && Number(cells[2].dataset.exact) === 2;
  }, null, { timeout: 10000 });
  assert.deepEqual(errors, []);
  await context.close();
  await adminCtx.close();
});
