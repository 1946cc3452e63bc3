// The seller's way through onboarding, in a real browser: Debian's Chromium, headless, driven
// by playwright-core (no browser download). The sandbox runs as `omni sandbox`, sessions are
// created with `omni onboard` (omni-client), and a tiny local page stands for the partner's
// site. Traffic goes to 127.0.0.1 only; every wait is bounded.
//
// Run: node --test (in this folder), after `cargo build -p omni-cli`. OMNI_BIN overrides the
// omni binary, CHROMIUM the browser (default /usr/bin/chromium). Screenshots of the three pages
// land in target/browser/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../../..');
const targetDir = process.env.CARGO_TARGET_DIR
  ? resolve(root, process.env.CARGO_TARGET_DIR)
  : join(root, 'target');
const omniBin = process.env.OMNI_BIN || join(targetDir, 'debug', 'omni');
const shots = join(targetDir, 'browser');
const run = promisify(execFile);

// The demo partner `omni sandbox` registers (public on purpose, see omni_sandbox::demo).
const PARTNER = 'ptnr_1s4UqMnO64';
const PARTNER_SECRET = 'sandbox-demo-partner-secret';
const PHONE = { width: 390, height: 844 };

let sandbox; // the `omni sandbox` child process
let sandboxUrl; // http://127.0.0.1:PORT
let partnerSite; // the http.Server standing for the partner's site
let partnerUrl; // http://127.0.0.1:PORT
let browser; // a persistent context on a fresh profile directory
let userDataDir;

/** Starts `omni sandbox --addr 127.0.0.1:0` and reads the address it prints. */
function startSandbox() {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(omniBin, ['sandbox', '--addr', '127.0.0.1:0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RUST_LOG: 'warn' },
    });
    let seen = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`omni sandbox printed no address within 20 s:\n${seen}`));
    }, 20_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${omniBin} (build it: cargo build -p omni-cli): ${e.message}`));
    });
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ child, url: match[1] });
      }
    });
    child.stderr.on('data', (chunk) => {
      seen += chunk;
    });
  });
}

/** The partner's site: any path answers a small page saying where the seller landed. */
function startPartnerSite() {
  return new Promise((resolvePromise) => {
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Partner site</title><h1>Back at the partner</h1>');
    });
    server.listen(0, '127.0.0.1', () => resolvePromise(server));
  });
}

/** Runs `omni onboard --redirect-uri URI` (omni-client) against the sandbox. */
function omniOnboard(redirectUri) {
  return run(omniBin, ['onboard', '--redirect-uri', redirectUri], {
    timeout: 20_000,
    env: {
      ...process.env,
      OMNI_BASE_URL: `${sandboxUrl}/api/v1`,
      OMNI_CLIENT_ID: PARTNER,
      OMNI_SECRET_KEY: PARTNER_SECRET,
    },
  });
}

/** Creates an onboard session with `omni onboard`; returns its onboardUrl. */
async function onboard(redirectUri) {
  const { stdout } = await omniOnboard(redirectUri);
  const match = /^onboardUrl: (\S+)$/m.exec(stdout);
  assert.ok(match, `no onboardUrl in: ${stdout}`);
  assert.ok(match[1].startsWith(`${sandboxUrl}/auth/partner?clientId=${PARTNER}&token=`), match[1]);
  return match[1];
}

/** Moves the sandbox clock through its admin API. */
async function shiftClock(ms) {
  const res = await fetch(`${sandboxUrl}/_sandbox/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ shiftMs: ms }),
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(res.status, 200);
  return res.json();
}

async function phonePage() {
  const page = await browser.newPage();
  const context = page; // closing it closes the tab
  page.setDefaultTimeout(15_000);
  page.setDefaultNavigationTimeout(15_000);
  // Nothing but the sandbox and the partner's site is ever asked for.
  const outside = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(sandboxUrl) && !url.startsWith(partnerUrl)) outside.push(url);
  });
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return { context, page, outside, problems };
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  ({ child: sandbox, url: sandboxUrl } = await startSandbox());
  partnerSite = await startPartnerSite();
  partnerUrl = `http://127.0.0.1:${partnerSite.address().port}`;
  userDataDir = mkdtempSync(join(tmpdir(), 'omni-chromium-'));
  // playwright passes the fresh profile directory as --user-data-dir.
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    timeout: 30_000,
    viewport: PHONE,
    deviceScaleFactor: 2,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
  sandbox?.kill('SIGINT');
  partnerSite?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

test('the seller opens onboardUrl, presses Continue and lands on the exact redirectUri', async () => {
  const redirectUri = `${partnerUrl}/onboarded?store=toco-demo&step=done`;
  const onboardUrl = await onboard(redirectUri);
  const { context, page, outside, problems } = await phonePage();

  const response = await page.goto(onboardUrl);
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-type'], /^text\/html/);
  await page.getByRole('heading', { name: 'Connect your store to Toco' }).waitFor();
  const text = await page.locator('main').innerText();
  assert.match(text, new RegExp(`Partner ${PARTNER} asks to connect your store`));
  assert.match(text, /Store onboarding/);
  assert.match(text, /Session\s+[0-9a-f]{8}-[0-9a-f]{4}-/);
  assert.ok(text.includes(redirectUri), text);
  assert.match(text, /sandbox: the real page may add parameters here/);
  // The countdown runs: it starts at 3:00 or 2:59 and shows m:ss.
  assert.match(await page.locator('#left').innerText(), /^[0-3]:[0-5]\d$/);
  // Readable on a phone: nothing wider than the viewport.
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= PHONE.width, `page is ${width}px wide`);
  await page.screenshot({ path: join(shots, 'seller-page.png'), fullPage: true });

  await Promise.all([page.waitForURL(redirectUri), page.getByRole('button', { name: 'Continue' }).click()]);
  assert.equal(page.url(), redirectUri);
  assert.equal(await page.locator('h1').innerText(), 'Back at the partner');

  // The same link again: the session is used.
  const again = await page.goto(onboardUrl);
  assert.equal(again.status(), 409);
  assert.match(await page.locator('main').innerText(), /already used/);
  assert.deepEqual(outside, []);
  assert.deepEqual(problems.filter((p) => !/409|Failed to load resource/.test(p)), []);
  await context.close();
});

test('an expired session says to create a new onboard session', async () => {
  const onboardUrl = await onboard(`${partnerUrl}/onboarded`);
  await shiftClock(181_000);
  try {
    const { context, page, outside } = await phonePage();
    const response = await page.goto(onboardUrl);
    assert.equal(response.status(), 401);
    const text = await page.locator('main').innerText();
    assert.match(text, /This onboard session has expired/);
    assert.match(text, /create a new onboard session/);
    assert.equal(await page.getByRole('button').count(), 0);
    await page.screenshot({ path: join(shots, 'seller-expired.png'), fullPage: true });
    assert.deepEqual(outside, []);
    await context.close();
  } finally {
    await shiftClock(-181_000);
  }
});

test('a session cannot be continued twice', async () => {
  const redirectUri = `${partnerUrl}/onboarded?twice=1`;
  const onboardUrl = await onboard(redirectUri);
  // The seller opened the link in two tabs; Continue in the first one uses the session.
  const first = await phonePage();
  const second = await phonePage();
  await first.page.goto(onboardUrl);
  await second.page.goto(onboardUrl);
  await Promise.all([
    first.page.waitForURL(redirectUri),
    first.page.getByRole('button', { name: 'Continue' }).click(),
  ]);
  assert.equal(first.page.url(), redirectUri);

  const [response] = await Promise.all([
    second.page.waitForResponse((r) => r.url().endsWith('/auth/partner/continue')),
    second.page.getByRole('button', { name: 'Continue' }).click(),
  ]);
  assert.equal(response.status(), 409);
  await second.page.getByRole('heading', { name: 'This onboard session was already used' }).waitFor();
  assert.ok(second.page.url().startsWith(`${sandboxUrl}/auth/partner/continue`), second.page.url());
  assert.match(await second.page.locator('main').innerText(), /create a new onboard session/);
  await second.page.screenshot({ path: join(shots, 'seller-used.png'), fullPage: true });
  assert.deepEqual([...first.outside, ...second.outside], []);
  await first.context.close();
  await second.context.close();
});

test('a damaged link and a link signed elsewhere say which, never a 5xx', async () => {
  const onboardUrl = await onboard(`${partnerUrl}/onboarded`);
  const url = new URL(onboardUrl);
  const token = url.searchParams.get('token');
  const { context, page } = await phonePage();

  url.searchParams.set('token', token.slice(0, token.length / 2));
  let response = await page.goto(url.toString());
  assert.equal(response.status(), 401);
  assert.match(await page.locator('main').innerText(), /This link is damaged/);

  // A token of the right shape whose signature is not this sandbox's.
  const [header, payload, signature] = token.split('.');
  const other = signature[0] === 'A' ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
  url.searchParams.set('token', `${header}.${payload}.${other}`);
  response = await page.goto(url.toString());
  assert.equal(response.status(), 401);
  assert.match(await page.locator('main').innerText(), /not signed by this sandbox/);

  url.searchParams.set('token', token);
  url.searchParams.set('clientId', '<b>ptnr_other</b>');
  response = await page.goto(url.toString());
  assert.equal(response.status(), 401);
  const text = await page.locator('main').innerText();
  assert.match(text, /names another partner/);
  assert.ok(text.includes('<b>ptnr_other</b>'), 'the clientId is shown as text, escaped');
  assert.equal(await page.locator('main b').count(), 0);
  await context.close();
});

test('a javascript: redirectUri gets no session', async () => {
  // omni-client sends it as given; the sandbox's onboard route refuses it.
  for (const uri of ['javascript:alert(document.domain)', 'JAVASCRIPT:alert(1)//https://x.example/']) {
    await assert.rejects(omniOnboard(uri), (e) => {
      assert.equal(e.code, 1);
      assert.match(e.stderr, /VAL_001 \(HTTP 400 Bad Request\): redirectUri must be an absolute http\(s\) URL/);
      return true;
    });
  }
});
