import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { basic, createDatabase, req, ROOT, startServer, type TestDatabase, type TestServer } from '../helpers/server.js';

/**
 * Issue 7: the pages in a real browser (Debian's chromium, driven by playwright-core), with
 * JavaScript turned off to prove they need none. Screenshots go to test/artifacts/ (not committed).
 */

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const ARTIFACTS = join(ROOT, 'test', 'artifacts');
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent: \`apt-get install -y chromium\` to run the browser tests`;
if (skip) process.stdout.write(`# browser tests skipped: ${skip}\n`);

type Browser = import('playwright-core').Browser;
let db: TestDatabase;
let s: TestServer;
let browser: Browser | null = null;

before(async () => {
  if (skip) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  db = await createDatabase();
  s = await startServer({ db, workers: 1 });
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true, timeout: 60000 });
});

after(async () => {
  await browser?.close();
  await s?.stop();
  await db?.drop();
});

test('welcome, docs and not-found pages render without JavaScript', { skip }, async () => {
  const ctx = await browser!.newContext({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  const home = await page.goto(s.url + '/');
  assert.equal(home?.status(), 200);
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.equal(await page.locator('h1').innerText(), 'Thalamus');
  const body = await page.locator('main').innerText();
  assert.match(body, /GNU Health Federation/);
  assert.match(body, /Server version \d+\.\d+\.\d+/);
  await page.screenshot({ path: join(ARTIFACTS, 'welcome.png'), fullPage: true });

  await page.getByRole('link', { name: 'the API reference' }).click();
  assert.equal(new URL(page.url()).pathname, '/docs');
  assert.match(await page.locator('h1').innerText(), /Thalamus API/);
  assert.ok((await page.locator('section h3').count()) > 20, 'one section per operation and schema');
  await page.screenshot({ path: join(ARTIFACTS, 'docs.png') });

  const missing = await page.goto(s.url + '/no/such/page');
  assert.equal(missing?.status(), 404);
  assert.match(await page.getByRole('alert').innerText(), /nothing at \/no\/such\/page/);
  await page.screenshot({ path: join(ARTIFACTS, 'not-found.png') });
  await ctx.close();
});

test('password page: a wrong confirmation shows the error, a right one changes the password', { skip }, async () => {
  const ctx = await browser!.newContext({ javaScriptEnabled: false, httpCredentials: { username: 'ESPGNU777ORG', password: 'gnusolidario' } });
  const page = await ctx.newPage();
  const form = await page.goto(s.url + '/password/ESPGNU777ORG');
  assert.equal(form?.status(), 200);
  assert.equal(await page.locator('h1').innerText(), 'Change password');
  await page.screenshot({ path: join(ARTIFACTS, 'password-form.png') });

  // Every field is reachable by its label (accessible names).
  await page.getByLabel('New password', { exact: true }).fill('brand-new-secret');
  await page.getByLabel('Repeat the new password').fill('something-else-1');
  const [bad] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Change password' }).click()]);
  assert.equal(bad.status(), 422);
  await page.waitForLoadState();
  assert.equal(await page.getByRole('alert').innerText(), 'the two passwords differ');
  assert.equal(await page.getByLabel('New password', { exact: true }).getAttribute('aria-describedby'), 'error');
  await page.screenshot({ path: join(ARTIFACTS, 'password-error.png') });
  assert.equal((await req(s, 'GET', '/login', { auth: basic('ESPGNU777ORG', 'gnusolidario') })).status, 200, 'unchanged after the error');

  await page.getByLabel('New password', { exact: true }).fill('brand-new-secret');
  await page.getByLabel('Repeat the new password').fill('brand-new-secret');
  await Promise.all([page.waitForURL(s.url + '/'), page.getByRole('button', { name: 'Change password' }).click()]);
  assert.equal(await page.locator('h1').innerText(), 'Thalamus');
  await page.screenshot({ path: join(ARTIFACTS, 'password-done.png') });
  await ctx.close();

  // Log in with the new password; the old one is refused.
  assert.equal((await req(s, 'GET', '/login', { auth: basic('ESPGNU777ORG', 'brand-new-secret') })).status, 200);
  assert.equal((await req(s, 'GET', '/login', { auth: basic('ESPGNU777ORG', 'gnusolidario') })).status, 401);
});
