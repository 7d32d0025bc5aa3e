// Test harness for the console's browser tests: starts a real fake Certn and a
// real `stagecheck serve`, bootstraps a team with admin and recruiter tokens,
// and drives Debian's Chromium through playwright-core.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, copyFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import net from 'node:net';
import { chromium } from 'playwright-core';

const STAGECHECK = process.env.STAGECHECK_BIN;
const FAKE_CERTN = process.env.FAKE_CERTN_BIN;
export const OUTPUT_DIR = process.env.CONSOLE_TEST_OUTPUT || path.join(process.cwd(), 'test-output', 'console');
const DOCS_IMAGE = process.env.CONSOLE_DOCS_IMAGE || '';
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ENCRYPTION_KEY = 'a'.repeat(64);

export const DEMO_ACCOUNT = {
  api_key: 'demo-certn-api-key',
  certn_team_id: 'certn-team-demo',
  region: 'north_america',
  webhook_secret: 'demo-webhook-secret',
  packages: [
    { id: 'pkg-standard', name: 'Standard employment screening', check_types: ['CRIMINAL_RECORD_1', 'IDENTITY_VERIFICATION_1', 'ADVERSE_MEDIA_1'] },
    { id: 'pkg-basic', name: 'Basic criminal record', check_types: ['CRIMINAL_RECORD_1'] },
    { id: 'pkg-professional', name: 'Professional (employment + education)', check_types: ['EMPLOYMENT_VERIFICATION_1', 'EDUCATION_VERIFICATION_1', 'CRIMINAL_RECORD_1'] },
    { id: 'pkg-tenant', name: 'Tenant screening', check_types: ['QUESTIONNAIRE_1', 'INCOME_VERIFICATION_1', 'RENTAL_HISTORY_1'] },
  ],
};

export function fail(message) { throw new Error(message); }
export function assert(condition, message) { if (!condition) fail(message); }

// Starts a process that prints {"port":N} on its first stdout line.
function startServer(name, bin, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr = [];
    child.stderr.on('data', (d) => { stderr.push(d); if (stderr.length > 2000) stderr.shift(); });
    const lines = readline.createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error(`${name} did not start in time: ${Buffer.concat(stderr)}`)), 20000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve({ child, port: JSON.parse(line).port, stderr });
      } catch (e) { reject(new Error(`${name} printed ${line}`)); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited (${code}): ${Buffer.concat(stderr)}`)); });
  });
}

// A free loopback port. `serve --listen 127.0.0.1:0` would advertise port 0
// in the webhook URL (the public URL is derived from --listen before binding),
// so the test picks the port itself.
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

function cli(args, env) {
  return JSON.parse(execFileSync(STAGECHECK, args, { env: { ...process.env, ...env }, encoding: 'utf8' }).trim().split('\n').pop());
}

export class Env {
  // options.fakeArgs: more fake-certn flags (say --demo --demo-step-ms N);
  // options.serveArgs: more `stagecheck serve` flags;
  // options.regionalCertn: Stagecheck reaches the fake as a regional host per
  // region (/regions/{region}), as deploy/demo.sh does, so a key used on the
  // wrong region is refused.
  async start(options = {}) {
    assert(STAGECHECK && FAKE_CERTN, 'STAGECHECK_BIN and FAKE_CERTN_BIN must be set (ctest sets them)');
    assert(existsSync(CHROMIUM), `${CHROMIUM} is missing: run deploy/install-deps.sh (Debian package chromium)`);
    mkdirSync(OUTPUT_DIR, { recursive: true });
    this.dir = mkdtempSync(path.join(tmpdir(), 'stagecheck-console-'));
    const env = { STAGECHECK_ENCRYPTION_KEY: ENCRYPTION_KEY };
    this.controlCalls = [];
    this.fake = await startServer('fake-certn', FAKE_CERTN,
      ['--listen', '127.0.0.1:0', '--webhook-retry-delays-ms', '200,500,1000', ...(options.fakeArgs || [])]);
    this.certnUrl = `http://127.0.0.1:${this.fake.port}`;
    const db = path.join(this.dir, 'stagecheck.db');
    const team = cli(['team', 'create', 'Acme Talent', '--db', db], env);
    this.adminToken = team.token;
    this.recruiterToken = cli(['token', 'create', '--db', db, '--team', team.team_id, '--role', 'recruiter', '--name', 'Rita'], env).token;
    const port = await freePort();
    this.server = await startServer('stagecheck', STAGECHECK,
      ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--public-url', `http://127.0.0.1:${port}`,
        '--certn-base-url', options.regionalCertn ? `${this.certnUrl}/regions/{region}` : this.certnUrl, '--log-level', 'info',
        ...(options.serveArgs || [])], env);
    this.baseUrl = `http://127.0.0.1:${this.server.port}`;
    this.webhookUrl = `${this.baseUrl}/certn/certnWebhookHandler`;
    await this.control('POST', '/_control/accounts', { ...DEMO_ACCOUNT, webhook_url: this.webhookUrl });
    // chromium.launch() gives every run a fresh, throwaway user-data dir.
    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    return this;
  }

  async stop() {
    if (this.browser) await this.browser.close().catch(() => {});
    for (const p of [this.server, this.fake]) {
      if (p && p.child.exitCode === null) {
        const exited = new Promise((r) => p.child.once('exit', r));
        p.child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (p.child.exitCode === null) p.child.kill('SIGKILL');
      }
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  async control(method, p, body) {
    this.controlCalls.push(`${method} ${p}`);
    const r = await fetch(`${this.certnUrl}${p}`, {
      method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    if (!r.ok) fail(`fake-certn ${method} ${p} answered ${r.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  }

  // The REST API as a given role (for setting up state the scenario is not about).
  async api(role, method, p, body) {
    const token = role === 'admin' ? this.adminToken : this.recruiterToken;
    const headers = { Authorization: `Bearer ${token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method === 'POST') headers['Idempotency-Key'] = `setup-${Math.random().toString(36).slice(2)}`;
    const r = await fetch(`${this.baseUrl}/api/v1${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    if (!r.ok) fail(`${method} ${p} answered ${r.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  }

  async connectCertn() {
    const view = await this.api('admin', 'PUT', '/integrations/certn',
      { api_key: DEMO_ACCOUNT.api_key, region: 'north_america', webhook_secret: DEMO_ACCOUNT.webhook_secret });
    assert(view.connected, `setup: Certn did not connect: ${JSON.stringify(view)}`);
  }

  // A job whose plan has the given stages; `certn` maps a stage name to the
  // Certn activity settings to add to it.
  async jobWithPlan(title, stageNames, certn = {}) {
    const job = await this.api('admin', 'POST', '/jobs', { title });
    const stages = {};
    const activities = {};
    for (const name of stageNames) {
      const stage = await this.api('admin', 'POST', `/jobs/${job.id}/interview-plan/stages`, { name });
      stages[name] = stage.id;
      if (certn[name]) {
        const activity = await this.api('admin', 'POST', `/jobs/${job.id}/interview-plan/stages/${stage.id}/activities`,
          { kind: 'certn_background_check', settings: certn[name] });
        activities[name] = activity.id;
      }
    }
    return { job, stages, activities };
  }

  // A page that records console errors and uncaught exceptions. The network
  // layer logs every non-2xx answer as a console error; a scenario declares
  // the ones it provokes on purpose with allowHttpError().
  async newPage({ width = 1280, height = 800 } = {}) {
    const context = await this.browser.newContext({ viewport: { width, height }, acceptDownloads: true });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: this.baseUrl });
    const page = await context.newPage();
    (this.pages ||= []).push(page);
    page.setDefaultTimeout(15000);
    page.consoleErrors = [];
    page.allowedHttpErrors = [];
    page.allowHttpError = (pathPattern, status) => page.allowedHttpErrors.push({ pathPattern, status });
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = msg.text();
      const url = (msg.location() && msg.location().url) || '';
      const m = /status of (\d{3})/.exec(text);
      if (m && text.startsWith('Failed to load resource') &&
          page.allowedHttpErrors.some((a) => a.status === Number(m[1]) && a.pathPattern.test(url))) return;
      page.consoleErrors.push(`${text} ${url}`.trim());
    });
    page.on('pageerror', (err) => page.consoleErrors.push(`uncaught: ${err.message}`));
    return page;
  }

  async signIn(page, role) {
    await page.goto(`${this.baseUrl}/`);
    await page.getByLabel('API token', { exact: true }).fill(role === 'admin' ? this.adminToken : this.recruiterToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#who-label').filter({ hasText: role === 'admin' ? 'Admin' : 'Recruiter' }).waitFor();
    const url = page.url();
    assert(!url.includes(role === 'admin' ? this.adminToken : this.recruiterToken), 'the token leaked into the URL');
  }

  async screenshot(page, name) {
    const file = path.join(OUTPUT_DIR, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  }

  // docs/images/console-application-tab.png (the README's) and, with a name,
  // docs/images/console-<name>.png (docs/console.md's) are refreshed when
  // missing, or on request (STAGECHECK_UPDATE_DOCS_IMAGES=1), so a test run
  // leaves the source tree clean.
  publishDocsImage(file, name) {
    if (!DOCS_IMAGE) return;
    const target = name ? path.join(path.dirname(DOCS_IMAGE), `console-${name}.png`) : DOCS_IMAGE;
    if (existsSync(target) && process.env.STAGECHECK_UPDATE_DOCS_IMAGES !== '1') return;
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(file, target);
  }
}

export function checkNoConsoleErrors(page) {
  assert(page.consoleErrors.length === 0, `browser console errors:\n  ${page.consoleErrors.join('\n  ')}`);
}

// Every form control has a label and every button a name.
export async function checkLabels(page, what) {
  const unlabelled = await page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (el.type === 'hidden') continue;
      if (!(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')) bad.push(el.outerHTML.slice(0, 80));
    }
    for (const el of document.querySelectorAll('button, a[href]')) {
      if (!(el.textContent.trim() || el.getAttribute('aria-label'))) bad.push(el.outerHTML.slice(0, 80));
    }
    return bad;
  });
  assert(unlabelled.length === 0, `${what}: controls without a label: ${unlabelled.join(' | ')}`);
  // Every field a person types in wears the console's style (a browser's bare
  // input looks broken beside the styled ones): app.css's rounded border.
  const unstyled = await page.evaluate(() => [...document.querySelectorAll('input, select')]
    .filter((el) => !['hidden', 'checkbox', 'radio', 'file', 'submit', 'button'].includes(el.type))
    .filter((el) => el.getClientRects().length > 0 && getComputedStyle(el).borderRadius !== '6px')
    .map((el) => el.outerHTML.slice(0, 80)));
  assert(unstyled.length === 0, `${what}: fields without the console's style: ${unstyled.join(' | ')}`);
}

// The page must fit the viewport (no sideways scrolling at phone width).
export async function checkNoHorizontalOverflow(page, what) {
  const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  assert(scroll <= inner + 1, `${what}: the page is ${scroll}px wide in a ${inner}px viewport`);
}

// Runs named scenarios: node console.test.mjs <scenario>.
export async function run(scenarios) {
  const name = process.argv[2];
  const scenario = scenarios[name];
  if (!scenario) {
    console.error(`usage: node console.test.mjs <${Object.keys(scenarios).join('|')}>`);
    process.exit(2);
  }
  const env = new Env();
  const started = Date.now();
  mkdirSync(OUTPUT_DIR, { recursive: true });
  for (const f of readdirSync(OUTPUT_DIR)) {
    if (f.startsWith(`FAILED-${name}-`)) rmSync(path.join(OUTPUT_DIR, f));
  }
  let code = 0;
  try {
    await env.start(scenario.envOptions);
    await scenario(env);
    // The API token never reaches the service's log (it only ever travels in a header).
    const log = Buffer.concat(env.server.stderr).toString();
    assert(log.includes('http.request'), 'the service logged its requests');
    assert(!log.includes(env.adminToken) && !log.includes(env.recruiterToken), 'an API token appeared in the service log');
    console.log(`console.${name}: passed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  } catch (e) {
    console.error(`console.${name}: FAILED: ${e.stack || e}`);
    if (env.server) console.error(`stagecheck stderr (tail):\n${Buffer.concat(env.server.stderr).toString().slice(-4000)}`);
    code = 1;
    for (const [i, page] of (env.pages || []).entries()) {
      await page.screenshot({ path: path.join(OUTPUT_DIR, `FAILED-${name}-${i}.png`), fullPage: true }).catch(() => {});
    }
  } finally {
    await env.stop();
  }
  process.exit(code);
}
