// Contract test: docs/openapi.yaml against adapters/http/api/schemas.cc and
// against a real `stagecheck serve` talking to a real fake-certn.
//
//   node contract_test.js --stagecheck BIN --fake-certn BIN --source-dir DIR [--work-dir DIR]
//
// It checks that
//   (a) every route in the route tables of adapters/http/api/ is documented
//       and the reverse, and every documented operation answers on its path
//       and method (never route_not_found / method_not_allowed);
//   (b) every answer's status is documented for its operation, with its media
//       type, and its body validates against the documented schema (problem
//       codes included);
//   (c) every request schema in the document equals the one in schemas.cc,
//       uses only the keywords both JSON Schema draft-04 (RapidJSON) and
//       2020-12 (OpenAPI 3.1) read the same, compiles under both, both agree on
//       a set of probe bodies, and the server's verdict (400 invalid_body or
//       not) agrees with them too.
// Both processes are killed at the end, whatever happens. Loopback only.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, execFile } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const util = require('node:util');
const YAML = require('yaml');
const Ajv2020 = require('ajv/dist/2020');
const AjvDraft04 = require('ajv-draft-04');
const addFormats = require('ajv-formats');

// ---------------------------------------------------------------- arguments
function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) throw new Error(`bad argument ${argv[i]}`);
    out[argv[i].slice(2)] = argv[i + 1];
  }
  for (const k of ['stagecheck', 'fake-certn', 'source-dir']) {
    if (!out[k]) throw new Error(`--${k} is required`);
  }
  return out;
}
const args = parseArgs(process.argv.slice(2));
const SRC = path.resolve(args['source-dir']);
const SPEC_PATH = path.join(SRC, 'docs/openapi.yaml');
const SCHEMAS_CC = path.join(SRC, 'adapters/http/api/schemas.cc');
const ROUTES_DIR = path.join(SRC, 'adapters/http/api');

// ---------------------------------------------------------------- the document
const spec = YAML.parse(fs.readFileSync(SPEC_PATH, 'utf8'));
const METHODS = ['get', 'put', 'post', 'patch', 'delete'];
const operations = new Map(); // operationId -> {method, path, op, pathParams}
for (const [p, item] of Object.entries(spec.paths)) {
  for (const m of METHODS) {
    if (!item[m]) continue;
    const op = item[m];
    assert.ok(op.operationId, `${m.toUpperCase()} ${p} has no operationId`);
    operations.set(op.operationId, { method: m.toUpperCase(), path: p, op });
  }
}

function resolveRef(obj) {
  while (obj && obj.$ref) {
    assert.ok(obj.$ref.startsWith('#/'), `only local $ref is allowed: ${obj.$ref}`);
    obj = obj.$ref.slice(2).split('/').reduce((o, k) => o[k.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
  }
  return obj;
}

// Response schemas go through Ajv 2020-12 with the components under one $id.
const OAS_ID = 'https://stagecheck.dev/contract/openapi.json';
function rewriteRefs(value) {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) {
        out[k] = `${OAS_ID}#/$defs/${v.slice('#/components/schemas/'.length)}`;
      } else {
        out[k] = rewriteRefs(v);
      }
    }
    return out;
  }
  return value;
}
const ajv = new Ajv2020({ strict: true, strictTypes: false, allowUnionTypes: true, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: OAS_ID, $defs: rewriteRefs(spec.components.schemas) });
const validators = new Map();
function responseValidator(key, schema) {
  if (!validators.has(key)) validators.set(key, ajv.compile(rewriteRefs(schema)));
  return validators.get(key);
}

// ---------------------------------------------------------------- schemas.cc
function cppRequestSchemas() {
  const text = fs.readFileSync(SCHEMAS_CC, 'utf8');
  const found = new Map();
  const re = /\{\s*"(\w+)"\s*,\s*R"\(([\s\S]*?)\)"\s*\}/g;
  let m;
  while ((m = re.exec(text)) !== null) {
    assert.ok(!found.has(m[1]), `schemas.cc defines ${m[1]} twice`);
    found.set(m[1], JSON.parse(m[2]));
  }
  assert.ok(found.size > 0, 'no schema found in schemas.cc');
  return found;
}

function documentedRequestSchemas() {
  const out = new Map(); // name -> {schema, operationId}
  for (const [id, { op }] of operations) {
    const name = op['x-stagecheck-request-schema'];
    if (!name) continue;
    const body = resolveRef(op.requestBody);
    assert.ok(body && body.content && body.content['application/json'], `${id}: no application/json request body`);
    const schema = body.content['application/json'].schema;
    if (out.has(name)) {
      assert.deepEqual(schema, out.get(name).schema, `${id} and ${out.get(name).operationId} document ${name} differently`);
    } else {
      out.set(name, { schema, operationId: id });
    }
  }
  return out;
}

// The keywords that RapidJSON's draft-04 validator and 2020-12 read the same.
const SHARED_KEYWORDS = new Set(['type', 'properties', 'required', 'enum', 'minLength', 'maxLength', 'pattern',
  'minimum', 'maximum', 'items', 'maxItems', 'additionalProperties']);
function sharedSubsetProblems(schema, where = '#') {
  const problems = [];
  if (typeof schema === 'boolean') return problems;
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return [`${where}: not a schema`];
  for (const [k, v] of Object.entries(schema)) {
    if (!SHARED_KEYWORDS.has(k)) problems.push(`${where}: keyword '${k}' is outside the draft-04/2020-12 common subset`);
    if (k === 'properties') {
      for (const [name, sub] of Object.entries(v)) problems.push(...sharedSubsetProblems(sub, `${where}/properties/${name}`));
    } else if (k === 'items' || (k === 'additionalProperties' && typeof v === 'object')) {
      if (Array.isArray(v)) problems.push(`${where}/${k}: tuple form differs between drafts`);
      else problems.push(...sharedSubsetProblems(v, `${where}/${k}`));
    }
  }
  return problems;
}

// Probe bodies: the empty object, an unknown field, wrong root types, and for
// each property a spread of values of every JSON type and boundary lengths.
function probeBodies(schema) {
  const probes = [{}, { __unknown__: 1 }, [], 'text', 7, null];
  const values = ['', 'x', 'x'.repeat(16), 'x'.repeat(101), 'x'.repeat(255), 'x'.repeat(600), 0, -1, 3, 1001,
    1.5, true, null, [], ['a'], [''], Array(51).fill('t'), {}, { package_id: 'pkg-basic' }];
  for (const [name, sub] of Object.entries(schema.properties || {})) {
    for (const v of values) probes.push({ [name]: v });
    for (const e of sub.enum || []) probes.push({ [name]: e });
  }
  // A full body from every required field set to a plausible value.
  const full = {};
  for (const [name, sub] of Object.entries(schema.properties || {})) {
    if (sub.enum) full[name] = sub.enum[0];
    else if (sub.type === 'integer') full[name] = 0;
    else if (sub.type === 'object') full[name] = {};
    else if (sub.type === 'array') full[name] = ['a'];
    else full[name] = name.includes('secret') || name.includes('key') ? 'k'.repeat(20) : 'ok';
  }
  probes.push(full);
  for (const name of schema.required || []) {
    const partial = { ...full };
    delete partial[name];
    probes.push(partial);
  }
  return probes;
}

// Every route the server registers, read from the route sources: the rows of
// the route tables under adapters/http/api/ (route_table.h), each with the
// request schema its named function parses, and the console's router.Add calls.
function registeredRoutes() {
  const routes = [];
  const webhookPath = /kWebhookPath\s*=\s*"([^"]+)"/.exec(fs.readFileSync(path.join(SRC, 'plugin/certn/config.h'), 'utf8'))[1];
  const pathOf = (file, expr) => {
    const e = expr.trim();
    if (/^"[^"]*"$/.test(e)) return e.slice(1, -1);
    if (/^(\w+::)*kWebhookPath$/.test(e)) return webhookPath;
    throw new Error(`${file}: cannot read the route path expression '${e}'`);
  };
  const schemaIn = (body) => {
    const schema = /JsonBody::Parse\(\s*\w+\s*,\s*"(\w+)"\s*\)/.exec(body);
    return schema ? schema[1] : null;
  };
  const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]);
  const sources = walk(ROUTES_DIR).filter((f) => f.endsWith('.cc'));
  for (const file of sources) {
    const text = fs.readFileSync(file, 'utf8');
    // A row may name a fifth function, its try on the io thread (route_table.h).
    const row = /\{\s*"(\w+)"\s*,\s*("[^"]*"|[\w:]+)\s*,\s*Access::k\w+\s*,\s*(\w+)\s*(?:,\s*\w+\s*)?\}/g;
    let m;
    while ((m = row.exec(text)) !== null) {
      const [, method, expr, fn] = m;
      const def = new RegExp(`\\n[^\\n]*\\b${fn}\\(ApiContext&[^)]*\\)\\s*\\{`).exec(text);
      assert.ok(def, `${file}: no definition of ${fn}, the function of ${method} ${expr}`);
      const end = text.indexOf('\n}\n', def.index);
      routes.push({ method, path: pathOf(file, expr), schema: schemaIn(text.slice(def.index, end)), file });
    }
  }
  // The console's few routes are added one by one.
  const consoleSrc = path.join(SRC, 'adapters/console/console.cc');
  const text = fs.existsSync(consoleSrc) ? fs.readFileSync(consoleSrc, 'utf8') : '';
  const add = /router\.Add\(\s*"(\w+)"\s*,\s*("[^"]*")\s*,/g;
  let m;
  while ((m = add.exec(text)) !== null) {
    routes.push({ method: m[1], path: pathOf(consoleSrc, m[2]), schema: null, file: consoleSrc });
  }
  return routes;
}

// ---------------------------------------------------------------- processes
const children = [];
function killAll(signal) {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try { c.kill(signal); } catch { /* already gone */ }
    }
  }
}
process.on('exit', () => killAll('SIGKILL'));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { killAll('SIGKILL'); process.exit(1); });

// Starts a process that prints {"port":N} as its first stdout line.
function startWithPort(name, bin, argv, env, logFile) {
  return new Promise((resolve, reject) => {
    const log = fs.openSync(logFile, 'w');
    const child = spawn(bin, argv, { env, stdio: ['ignore', 'pipe', log] });
    children.push(child);
    const timer = setTimeout(() => reject(new Error(`${name} did not print its port within 20 s (see ${logFile})`)), 20000);
    const rl = readline.createInterface({ input: child.stdout });
    rl.once('line', (line) => {
      clearTimeout(timer);
      try {
        const port = JSON.parse(line).port;
        assert.ok(Number.isInteger(port) && port > 0, `${name} printed ${line}`);
        resolve({ child, port });
      } catch (e) {
        reject(new Error(`${name} printed '${line}' instead of {"port":N}: ${e.message}`));
      }
      // Keep draining stdout so the child never blocks on a full pipe.
      child.stdout.on('data', () => {});
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited early (code ${code}, signal ${sig}); see ${logFile}`));
    });
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

async function stopChild(child, name) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const deadline = new Promise((r) => setTimeout(() => r('timeout'), 10000));
  if ((await Promise.race([exited, deadline])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${name} did not stop within 10 s of SIGTERM`);
  }
}

function runCli(bin, argv, env) {
  return new Promise((resolve, reject) => {
    execFile(bin, argv, { env, timeout: 30000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${path.basename(bin)} ${argv.join(' ')} failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()));
    });
  });
}

// Polls `fn` until it returns a truthy value or the deadline passes.
async function until(what, fn, { timeoutMs = 30000, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last && last.done) return last.value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last && last.state)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ---------------------------------------------------------------- HTTP client
const calls = new Map(); // operationId -> [statuses]
let BASE = '';

function mediaTypeOf(header) {
  return (header || '').split(';')[0].trim().toLowerCase();
}

// Calls one documented operation and checks the answer against the document.
async function call(operationId, { token, params = {}, query, body, rawBody, contentType, headers = {}, expect } = {}) {
  const entry = operations.get(operationId);
  assert.ok(entry, `unknown operationId ${operationId}`);
  let url = entry.path.replace(/\{(\w+)\}/g, (_, n) => {
    assert.ok(params[n] !== undefined, `${operationId}: path parameter ${n} missing`);
    return encodeURIComponent(params[n]);
  });
  if (query) url += '?' + new URLSearchParams(query).toString();
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  let payload;
  if (rawBody !== undefined) {
    payload = rawBody;
    if (contentType) h['Content-Type'] = contentType;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['Content-Type'] = contentType || 'application/json';
  }
  const res = await fetch(BASE + url, { method: entry.method, headers: h, body: payload, redirect: 'manual', signal: AbortSignal.timeout(20000) });
  const bytes = Buffer.from(await res.arrayBuffer());
  const mediaType = mediaTypeOf(res.headers.get('content-type'));
  const text = bytes.toString('utf8');
  let json;
  if (mediaType === 'application/json' || mediaType === 'application/problem+json') {
    try { json = JSON.parse(text); } catch (e) { assert.fail(`${operationId} ${res.status}: body is not JSON: ${text.slice(0, 200)}`); }
  }
  const where = `${entry.method} ${url} (${operationId}) -> ${res.status} ${text.slice(0, 600)}`;
  if (!calls.has(operationId)) calls.set(operationId, []);
  calls.get(operationId).push(res.status);

  // (a) the route exists.
  assert.ok(!(json && (json.code === 'route_not_found' || json.code === 'method_not_allowed')), `route missing: ${where}`);
  // (b) the status is documented, with this media type, and the body fits.
  const documented = entry.op.responses[String(res.status)] || entry.op.responses.default;
  assert.ok(documented, `undocumented status: ${where}`);
  const response = resolveRef(documented);
  if (!response.content) {
    assert.equal(bytes.length, 0, `documented without a body but got one: ${where}`);
  } else {
    const media = response.content[mediaType];
    assert.ok(media, `undocumented media type '${mediaType}' (documented: ${Object.keys(response.content)}): ${where}`);
    if (json !== undefined) {
      const validate = responseValidator(`${operationId} ${res.status} ${mediaType}`, media.schema);
      assert.ok(validate(json), `body does not match the documented schema: ${where}\n${ajv.errorsText(validate.errors, { separator: '\n' })}`);
    }
  }
  for (const name of Object.keys(response.headers || {})) {
    const value = res.headers.get(name);
    if (value !== null && response.headers[name].schema && response.headers[name].schema.enum) {
      assert.ok(response.headers[name].schema.enum.includes(value), `header ${name}: ${value}: ${where}`);
    }
  }
  if (expect !== undefined) {
    const [status, code] = Array.isArray(expect) ? expect : [expect];
    assert.equal(res.status, status, `expected ${status}${code ? ' ' + code : ''}: ${where}`);
    if (code) assert.equal(json && json.code, code, `expected code ${code}: ${where}`);
  }
  return { status: res.status, json, text, bytes, headers: res.headers, mediaType };
}

// ================================================================= static tests
test('request schemas in openapi.yaml equal adapters/http/api/schemas.cc', () => {
  const cpp = cppRequestSchemas();
  const doc = documentedRequestSchemas();
  assert.deepEqual([...doc.keys()].sort(), [...cpp.keys()].sort(), 'the sets of request schema names differ');
  for (const [name, schema] of cpp) {
    assert.ok(util.isDeepStrictEqual(doc.get(name).schema, schema),
      `${name} differs:\n  schemas.cc:   ${JSON.stringify(schema)}\n  openapi.yaml: ${JSON.stringify(doc.get(name).schema)}`);
  }
});

test('request schemas stay in the draft-04 / 2020-12 common subset, compile and agree under both', () => {
  const d04 = new AjvDraft04({ strict: true, allowUnionTypes: true, allErrors: true });
  const d2020 = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  for (const [name, schema] of cppRequestSchemas()) {
    assert.deepEqual(sharedSubsetProblems(schema), [], `${name} uses keywords outside the common subset`);
    const v04 = d04.compile(schema);
    const v2020 = d2020.compile(schema);
    for (const probe of probeBodies(schema)) {
      assert.equal(v04(probe), v2020(probe), `${name}: draft-04 and 2020-12 disagree on ${JSON.stringify(probe)}`);
    }
  }
});

test('every route the server registers is documented, with its request schema, and nothing else is', () => {
  const routes = registeredRoutes();
  const key = (m, p) => `${m} ${p}`;
  const documented = new Map([...operations.values()].map((o) => [key(o.method, o.path), o]));
  const registered = new Map(routes.map((r) => [key(r.method, r.path), r]));
  assert.deepEqual([...registered.keys()].filter((k) => !documented.has(k)), [], 'routes missing from openapi.yaml');
  assert.deepEqual([...documented.keys()].filter((k) => !registered.has(k)), [], 'documented operations that no route registers');
  for (const [k, r] of registered) {
    assert.equal(documented.get(k).op['x-stagecheck-request-schema'] || null, r.schema,
      `${k}: the route parses ${r.schema} but openapi.yaml documents ${documented.get(k).op['x-stagecheck-request-schema']}`);
  }
});

test('every problem+json answer in the document is an RFC 9457 problem with stable codes', () => {
  for (const [id, { op }] of operations) {
    for (const [status, r] of Object.entries(op.responses)) {
      const response = resolveRef(r);
      if (Number(status) >= 400) {
        assert.ok(response.content && response.content['application/problem+json'], `${id} ${status}: not application/problem+json`);
      }
    }
    const idempotent = (op.parameters || []).some((p) => p.$ref === '#/components/parameters/IdempotencyKey');
    const creates = Object.keys(op.responses).some((s) => s === '201' || s === '202');
    if (['createJob', 'createCandidate', 'createApplication', 'sendBackgroundCheck', 'sendAdHocCheck'].includes(id)) {
      assert.ok(idempotent && creates, `${id} must document Idempotency-Key and a 201/202`);
    }
  }
});

// ================================================================= live test
test('live: every documented operation against stagecheck serve + fake-certn', async (t) => {
  // Each run gets a fresh folder (logs of both processes, the database); the
  // previous runs' folders under --work-dir are removed first.
  const parent = args['work-dir'] || fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'stagecheck-contract-'));
  fs.rmSync(parent, { recursive: true, force: true });
  fs.mkdirSync(parent, { recursive: true });
  const work = fs.mkdtempSync(path.join(parent, 'run-'));
  const env = { ...process.env, STAGECHECK_ENCRYPTION_KEY: crypto.randomBytes(32).toString('hex') };
  const db = path.join(work, 'stagecheck.db');
  let fake;
  let server;
  t.after(async () => {
    const errors = [];
    for (const [p, name] of [[server, 'stagecheck'], [fake, 'fake-certn']]) {
      if (p) await stopChild(p.child, name).catch((e) => errors.push(e));
    }
    killAll('SIGKILL');
    if (errors.length) throw errors[0];
  });

  // --legacy-team-id: the webhook section exercises the Certn-Team-ID path, so
  // the demo account's groups must name its Certn team (fixtures/README.md).
  // --demo-step-ms 0: the demo's cases move only when this test moves them.
  fake = await startWithPort('fake-certn', args['fake-certn'], ['--listen', '127.0.0.1:0', '--demo', '--demo-step-ms', '0', '--legacy-team-id'], env, path.join(work, 'fake-certn.log'));
  const FAKE = `http://127.0.0.1:${fake.port}`;
  const admin = await runCli(args.stagecheck, ['team', 'create', 'Contract team', '--db', db], env);
  const recruiter = await runCli(args.stagecheck, ['token', 'create', '--db', db, '--team', admin.team_id, '--role', 'recruiter'], env);
  const other = await runCli(args.stagecheck, ['team', 'create', 'Other team', '--db', db], env);
  const A = admin.token;
  const R = recruiter.token;
  const O = other.token;
  assert.ok(A && R && O && admin.team_id !== other.team_id);
  server = await startWithPort('stagecheck', args.stagecheck,
    ['serve', '--db', db, '--listen', '127.0.0.1:0', '--certn-base-url', FAKE], env, path.join(work, 'stagecheck.log'));
  BASE = `http://127.0.0.1:${server.port}`;

  // The demo account's webhooks go to this server.
  const control = async (method, p, body) => {
    const res = await fetch(FAKE + p, { method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(20000) });
    const text = await res.text();
    assert.ok(res.status < 300, `fake-certn ${method} ${p} -> ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  await control('POST', '/_control/accounts', {
    api_key: 'demo-certn-api-key', certn_team_id: 'certn-team-demo', region: 'north_america',
    webhook_url: `${BASE}/certn/certnWebhookHandler`, webhook_secret: 'demo-webhook-secret',
    packages: [
      { id: 'pkg-standard', name: 'Standard employment screening', check_types: ['CRIMINAL_RECORD_1', 'IDENTITY_VERIFICATION_1', 'ADVERSE_MEDIA_1'] },
      { id: 'pkg-basic', name: 'Basic criminal record', check_types: ['CRIMINAL_RECORD_1'] },
      { id: 'pkg-professional', name: 'Professional (employment + education)', check_types: ['EMPLOYMENT_VERIFICATION_1', 'EDUCATION_VERIFICATION_1', 'CRIMINAL_RECORD_1'] },
      { id: 'pkg-tenant', name: 'Tenant screening', check_types: ['QUESTIONNAIRE_1', 'INCOME_VERIFICATION_1', 'RENTAL_HISTORY_1'] },
    ],
  });

  const s = {}; // ids created along the way
  const step = (name, fn) => t.test(name, fn);

  await step('operations endpoints', async () => {
    await until('readyz', async () => {
      const r = await call('readyz');
      return { done: r.status === 200, state: r.json };
    });
    const h = await call('healthz', { expect: 200 });
    assert.equal(h.json.status, 'ok');
    const m = await call('metrics', { expect: 200 });
    assert.match(m.text, /stagecheck_http_requests_total/);
  });

  await step('auth: 401 without or with a bad token, 403 for a recruiter on admin routes', async () => {
    const none = await call('listJobs', { expect: [401, 'missing_token'] });
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    await call('listJobs', { token: 'not-a-token', expect: [401, 'invalid_token'] });
    await call('listJobs', { headers: { Authorization: 'Basic abc' }, expect: [401, 'invalid_token'] });
    await call('getCertnIntegration', { token: R, expect: [403, 'admin_only'] });
    await call('createJob', { token: R, body: { title: 'x' }, expect: [403, 'admin_only'] });
    const me = await call('getMe', { token: R, expect: 200 });
    assert.equal(me.json.role, 'recruiter');
    assert.equal(me.json.team.id, admin.team_id);
    const team = await call('getTeam', { token: A, expect: 200 });
    assert.equal(team.json.name, 'Contract team');
  });

  await step('admin connects Certn (demo account)', async () => {
    await call('getCertnIntegration', { token: A, expect: [422, 'certn_not_connected'] });
    await call('verifyCertn', { token: A, expect: [422, 'certn_not_connected'] });
    await call('rotateWebhookSecret', { token: A, body: { webhook_secret: 'x'.repeat(20) }, expect: [422, 'certn_not_connected'] });
    await call('listCertnPackages', { token: R, expect: [422, 'certn_not_connected'] });
    const kinds = await call('listActivityKinds', { token: A, expect: 200 });
    assert.ok(!kinds.json.items.some((k) => k.name === 'certn_background_check'), 'the Certn kind is offered before Certn is connected');
    await call('connectCertn', { token: A, rawBody: '{"api_key":"demo-certn-api-key"}', contentType: 'text/plain', expect: [415, 'unsupported_media_type'] });
    await call('connectCertn', { token: A, rawBody: '{"api_key":', expect: [400, 'invalid_json'], contentType: 'application/json' });
    await call('connectCertn', { token: A, body: { api_key: 'demo-certn-api-key', colour: 'blue' }, expect: [400, 'invalid_body'] });
    await call('connectCertn', { token: A, body: { api_key: 'demo-certn-api-key' }, expect: [400, 'missing_field'] });
    await call('connectCertn', { token: A, body: { api_key: 'has spaces in it', region: 'north_america', webhook_secret: 'demo-webhook-secret' }, expect: [400, 'invalid_api_key_format'] });
    const c = await call('connectCertn', {
      token: A, body: { api_key: 'demo-certn-api-key', region: 'north_america', webhook_secret: 'demo-webhook-secret' }, expect: 200,
    });
    assert.equal(c.json.status, 'connected', JSON.stringify(c.json));
    assert.equal(c.json.connected, true);
    assert.equal(c.json.certn_team_id, 'certn-team-demo');
    assert.ok(!c.text.includes('demo-certn-api-key') && !c.text.includes('demo-webhook-secret'), 'a secret came back in clear');
    assert.ok(c.json.webhook_url.endsWith('/certn/certnWebhookHandler'));
    const g = await call('getCertnIntegration', { token: A, expect: 200 });
    assert.equal(g.json.api_key, c.json.api_key);
    const v = await call('verifyCertn', { token: A, expect: 200 });
    assert.equal(v.json.status, 'connected');
    // Another team cannot claim the same Certn account.
    await call('connectCertn', { token: O, body: { api_key: 'demo-certn-api-key', region: 'north_america', webhook_secret: 'demo-webhook-secret' }, expect: [409, 'certn_team_claimed'] });
  });

  await step('packages, activity kinds and the team default', async () => {
    const p = await call('listCertnPackages', { token: R, expect: 200 });
    const ids = p.json.items.map((x) => x.id).sort();
    assert.deepEqual(ids, ['pkg-basic', 'pkg-professional', 'pkg-standard'], 'tenant-only packages must be filtered out');
    const kinds = await call('listActivityKinds', { token: A, expect: 200 });
    assert.ok(kinds.json.items.some((k) => k.name === 'certn_background_check'));
    const team = await call('updateTeam', { token: A, body: { default_package_id: 'pkg-basic' }, expect: 200 });
    assert.equal(team.json.default_package_id, 'pkg-basic');
    await call('updateTeam', { token: A, body: { default_package_id: 5 }, expect: [400, 'invalid_body'] });
    await call('updateTeam', { token: R, body: { default_package_id: null }, expect: [403, 'admin_only'] });
  });

  await step('jobs, with idempotency and pagination', async () => {
    const key = `job-${crypto.randomUUID()}`;
    const body = { title: 'Backend engineer', tags: ['remote'] };
    const j = await call('createJob', { token: A, body, headers: { 'Idempotency-Key': key }, expect: 201 });
    s.job = j.json.id;
    assert.equal(j.headers.get('location'), `/api/v1/jobs/${s.job}`);
    const again = await call('createJob', { token: A, body, headers: { 'Idempotency-Key': key }, expect: 201 });
    assert.equal(again.json.id, s.job);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    await call('createJob', { token: A, body: { title: 'Other' }, headers: { 'Idempotency-Key': key }, expect: [422, 'idempotency_key_reused'] });
    await call('createJob', { token: A, body: { title: 'x' }, headers: { 'Idempotency-Key': 'has space' }, expect: [400, 'invalid_idempotency_key'] });
    await call('createJob', { token: A, body: { tags: [] }, expect: [400, 'invalid_body'] });
    await call('createJob', { token: A, body: { title: 'Second job' }, expect: 201 });
    const page1 = await call('listJobs', { token: R, query: { limit: '1' }, expect: 200 });
    assert.equal(page1.json.items.length, 1);
    assert.ok(page1.json.next, 'a first page of 1 out of 2 jobs has a next cursor');
    const page2 = await call('listJobs', { token: R, query: { limit: '1', after: page1.json.next }, expect: 200 });
    assert.equal(page2.json.items.length, 1);
    assert.notEqual(page2.json.items[0].id, page1.json.items[0].id);
    const all = await call('listJobs', { token: R, query: { limit: '100' }, expect: 200 });
    assert.equal(all.json.next, null);
    await call('listJobs', { token: R, query: { limit: '0' }, expect: [400, 'invalid_limit'] });
    await call('listJobs', { token: R, query: { limit: '101' }, expect: [400, 'invalid_limit'] });
    await call('listJobs', { token: R, query: { after: 'c'.repeat(201) }, expect: [400, 'invalid_cursor'] });
    await call('getJob', { token: R, params: { job_id: s.job }, expect: 200 });
    await call('getJob', { token: O, params: { job_id: s.job }, expect: [404, 'not_found'] });
    await call('getJob', { token: A, params: { job_id: 'no-such-job' }, expect: [404, 'not_found'] });
    const u = await call('updateJob', { token: A, params: { job_id: s.job }, body: { title: 'Backend engineer II', default_package_id: null }, expect: 200 });
    assert.equal(u.json.title, 'Backend engineer II');
    assert.equal(u.json.default_package_id, null);
  });

  await step('interview plan: stages and activities', async () => {
    const plan0 = await call('getInterviewPlan', { token: R, params: { job_id: s.job }, expect: 200 });
    assert.deepEqual(plan0.json.stages, []);
    const st1 = await call('addStage', { token: A, params: { job_id: s.job }, body: { name: 'Screen' }, expect: 201 });
    s.stageScreen = st1.json.id;
    const st2 = await call('addStage', { token: A, params: { job_id: s.job }, body: { name: 'Background' }, expect: 201 });
    s.stageBg = st2.json.id;
    const st3 = await call('addStage', { token: A, params: { job_id: s.job }, body: { name: 'Temporary', position: 0 }, expect: 201 });
    const plan = await call('updateStage', { token: A, params: { job_id: s.job, stage_id: s.stageBg }, body: { name: 'Background check' }, expect: 200 });
    assert.deepEqual(plan.json.stages.map((x) => x.name), ['Temporary', 'Screen', 'Background check']);
    await call('removeStage', { token: A, params: { job_id: s.job, stage_id: st3.json.id }, expect: 204 });
    await call('removeStage', { token: A, params: { job_id: s.job, stage_id: st3.json.id }, expect: [404, 'not_found'] });
    await call('updateStage', { token: A, params: { job_id: s.job, stage_id: 'no-such-stage' }, body: { name: 'x' }, expect: [404, 'not_found'] });

    const act = await call('addActivity', {
      token: A, params: { job_id: s.job, stage_id: s.stageBg },
      body: { kind: 'certn_background_check', settings: { package_id: 'pkg-basic', auto_send: false } }, expect: 201,
    });
    s.activity = act.json.id;
    assert.equal(act.json.kind, 'certn_background_check');
    const upd = await call('updateActivity', {
      token: A, params: { job_id: s.job, stage_id: s.stageBg, activity_id: s.activity },
      body: { settings: { package_id: 'pkg-standard', auto_send: false } }, expect: 200,
    });
    assert.equal(upd.json.settings.package_id, 'pkg-standard');
    await call('addActivity', { token: A, params: { job_id: s.job, stage_id: s.stageBg }, body: { kind: 'certn_background_check', settings: { package_id: 'pkg-tenant' } }, expect: [400, 'unknown_package'] });
    await call('addActivity', { token: A, params: { job_id: s.job, stage_id: s.stageBg }, body: { kind: 'no_such_kind' }, expect: [400, 'unknown_activity_kind'] });
    await call('addActivity', { token: A, params: { job_id: s.job, stage_id: s.stageBg }, body: { kind: 'certn_background_check', settings: { package_id: 'pkg-basic', colour: 'x' } }, expect: [400, 'invalid_settings'] });
    await call('addActivity', { token: A, params: { job_id: s.job, stage_id: s.stageBg }, body: { kind: 'interview', settings: { nested: [1] } }, expect: [400, 'invalid_body'] });
    const tmp = await call('addActivity', { token: A, params: { job_id: s.job, stage_id: s.stageScreen }, body: { kind: 'interview' }, expect: 201 });
    await call('removeActivity', { token: A, params: { job_id: s.job, stage_id: s.stageScreen, activity_id: tmp.json.id }, expect: 204 });
    await call('removeActivity', { token: A, params: { job_id: s.job, stage_id: s.stageScreen, activity_id: tmp.json.id }, expect: [404, 'not_found'] });
    const plan2 = await call('getInterviewPlan', { token: R, params: { job_id: s.job }, expect: 200 });
    assert.equal(plan2.json.stages[1].activities[0].id, s.activity);
  });

  await step('candidates and applications', async () => {
    const key = `cand-${crypto.randomUUID()}`;
    const c = await call('createCandidate', { token: R, headers: { 'Idempotency-Key': key }, body: { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com' }, expect: 201 });
    s.candidate = c.json.id;
    const c2 = await call('createCandidate', { token: R, body: { first_name: 'No', last_name: 'Email' }, expect: 201 });
    s.candidateNoEmail = c2.json.id;
    assert.equal(c2.json.email, null);
    await call('createCandidate', { token: R, body: { first_name: 'Bad', last_name: 'Email', email: 'not-an-email' }, expect: [400, 'invalid_email'] });
    await call('createCandidate', { token: R, body: { first_name: 'Ada' }, expect: [400, 'invalid_body'] });
    const list = await call('listCandidates', { token: R, query: { limit: '1' }, expect: 200 });
    assert.ok(list.json.next);
    await call('getCandidate', { token: R, params: { candidate_id: s.candidate }, expect: 200 });
    await call('getCandidate', { token: O, params: { candidate_id: s.candidate }, expect: [404, 'not_found'] });
    const u = await call('updateCandidate', { token: R, params: { candidate_id: s.candidate }, body: { phone: '+1 555 0100' }, expect: 200 });
    assert.equal(u.json.phone, '+1 555 0100');

    const app = await call('createApplication', { token: R, headers: { 'Idempotency-Key': `app-${crypto.randomUUID()}` }, body: { candidate_id: s.candidate, job_id: s.job }, expect: 201 });
    s.application = app.json.id;
    assert.equal(app.json.stage_id, s.stageScreen);
    await call('createApplication', { token: R, body: { candidate_id: s.candidate, job_id: s.job }, expect: [409, 'application_exists'] });
    await call('createApplication', { token: R, body: { candidate_id: 'nope', job_id: s.job }, expect: [404, 'not_found'] });
    const app2 = await call('createApplication', { token: R, body: { candidate_id: s.candidateNoEmail, job_id: s.job }, expect: 201 });
    s.applicationNoEmail = app2.json.id;
    const apps = await call('listApplications', { token: R, query: { job_id: s.job }, expect: 200 });
    assert.equal(apps.json.items.length, 2);
    const mine = await call('listApplications', { token: R, query: { candidate_id: s.candidate }, expect: 200 });
    assert.deepEqual(mine.json.items.map((x) => x.id), [s.application]);
    // The pipeline overview: filters, search, sort, counts; a bad value names its parameter.
    const found = await call('listApplications', { token: R, query: { job_id: s.job, check_status: 'none', q: 'lovelace', sort: 'name' }, expect: 200 });
    assert.deepEqual(found.json.items.map((x) => x.id), [s.application]);
    assert.equal(found.json.items[0].candidate.name, 'Ada Lovelace');
    const bad = await call('listApplications', { token: R, query: { result: 'GREEN' }, expect: [400, 'invalid_filter'] });
    assert.equal(bad.json.field, 'result');
    const counts = await call('countApplications', { token: R, query: { job_id: s.job }, expect: 200 });
    assert.equal(counts.json.total, 2);
    assert.equal(counts.json.check_status.none, 2);
    await call('countApplications', { token: R, query: { sort: 'age' }, expect: [400, 'invalid_filter'] });
    const tab = await call('getApplication', { token: R, params: { application_id: s.application }, expect: 200 });
    assert.equal(tab.json.stages.length, 2);
    await call('getApplication', { token: O, params: { application_id: s.application }, expect: [404, 'not_found'] });
    const moved = await call('moveApplication', { token: R, params: { application_id: s.application }, body: { stage_id: s.stageBg }, expect: 200 });
    assert.equal(moved.json.application.stage_id, s.stageBg);
    await call('moveApplication', { token: R, params: { application_id: s.application }, body: { stage_id: 'no-such-stage' }, expect: [404, 'stage_not_found'] });
    const watched = await call('watchApplication', { token: A, params: { application_id: s.application }, expect: 200 });
    assert.equal(watched.json.watching, true);
    await call('watchApplication', { token: O, params: { application_id: s.application }, expect: [404, 'not_found'] });
  });

  await step('outbound webhooks: endpoints, the delivery log, replay', async () => {
    const created = await call('createWebhookEndpoint', { token: A, body: { url: 'https://hooks.example.com/stagecheck', event_types: ['application.moved', 'check.completed'], description: 'ATS' }, expect: 201 });
    const ep = created.json.id;
    assert.match(created.json.secret, /^whsec_/);
    assert.equal(created.headers.get('location'), `/api/v1/webhook-endpoints/${ep}`);
    await call('createWebhookEndpoint', { token: A, body: { url: 'http://hooks.example.com/', event_types: ['check.completed'] }, expect: [400, 'invalid_endpoint_url'] });
    await call('createWebhookEndpoint', { token: A, body: { url: 'https://10.0.0.1/', event_types: ['check.completed'] }, expect: [400, 'endpoint_address_refused'] });
    await call('createWebhookEndpoint', { token: A, body: { url: 'https://hooks.example.com/', event_types: ['check.nope'] }, expect: [400, 'unknown_event_type'] });
    await call('createWebhookEndpoint', { token: R, body: { url: 'https://hooks.example.com/', event_types: ['check.completed'] }, expect: [403, 'admin_only'] });
    const list = await call('listWebhookEndpoints', { token: A, expect: 200 });
    assert.ok(list.json.items.every((e) => !('secret' in e)));
    await call('getWebhookEndpoint', { token: A, params: { endpoint_id: ep }, expect: 200 });
    await call('getWebhookEndpoint', { token: O, params: { endpoint_id: ep }, expect: [404, 'not_found'] });
    await call('updateWebhookEndpoint', { token: A, params: { endpoint_id: ep }, body: { description: 'Our ATS' }, expect: 200 });
    await call('updateWebhookEndpoint', { token: A, params: { endpoint_id: ep }, body: { url: 'https://169.254.169.254/' }, expect: [400, 'endpoint_address_refused'] });
    const rotated = await call('rotateWebhookEndpointSecret', { token: A, params: { endpoint_id: ep }, expect: 200 });
    assert.ok(rotated.json.previous_secret_valid_until);
    // A move is an event: one delivery for this endpoint, in the move's transaction.
    await call('moveApplication', { token: R, params: { application_id: s.application }, body: { stage_id: s.stageScreen }, expect: 200 });
    await call('moveApplication', { token: R, params: { application_id: s.application }, body: { stage_id: s.stageBg }, expect: 200 });
    const log = await call('listWebhookEndpointDeliveries', { token: A, params: { endpoint_id: ep }, query: { limit: '1' }, expect: 200 });
    assert.equal(log.json.items[0].event_type, 'application.moved');
    assert.ok(log.json.next, 'two moves, two deliveries');
    await call('listWebhookEndpointDeliveries', { token: A, params: { endpoint_id: ep }, query: { limit: '0' }, expect: [400, 'invalid_limit'] });
    await call('replayWebhookEndpointDelivery', { token: A, params: { endpoint_id: ep, delivery_id: log.json.items[0].id }, expect: 202 });
    await call('replayWebhookEndpointDelivery', { token: A, params: { endpoint_id: ep, delivery_id: 'nope' }, expect: [404, 'not_found'] });
    await call('updateWebhookEndpoint', { token: A, params: { endpoint_id: ep }, body: { enabled: false }, expect: 200 });
    await call('replayWebhookEndpointDelivery', { token: A, params: { endpoint_id: ep, delivery_id: log.json.items[0].id }, expect: [422, 'endpoint_disabled'] });
    await call('deleteWebhookEndpoint', { token: A, params: { endpoint_id: ep }, expect: 204 });
    await call('deleteWebhookEndpoint', { token: A, params: { endpoint_id: ep }, expect: [404, 'not_found'] });
  });

  await step('recruiter sends the check; Certn is ordered; webhook completes it; report and PDF', async () => {
    await call('sendBackgroundCheck', { token: R, params: { application_id: s.applicationNoEmail }, body: { activity_id: s.activity }, expect: [422, 'no_email'] });
    await call('sendBackgroundCheck', { token: R, params: { application_id: s.application }, body: { activity_id: 'no-such-activity' }, expect: [404, 'activity_not_found'] });
    await call('sendBackgroundCheck', { token: R, params: { application_id: s.application }, body: { package_id: 'pkg-tenant' }, expect: [400, 'unknown_package'] });
    const key = `send-${crypto.randomUUID()}`;
    const sent = await call('sendBackgroundCheck', { token: R, params: { application_id: s.application }, headers: { 'Idempotency-Key': key }, body: { activity_id: s.activity }, expect: 202 });
    s.check = sent.json.id;
    assert.equal(sent.json.package_id, 'pkg-standard');
    assert.equal(sent.json.trigger, 'manual');
    assert.equal(sent.headers.get('location'), `/api/v1/background-checks/${s.check}`);
    const replay = await call('sendBackgroundCheck', { token: R, params: { application_id: s.application }, headers: { 'Idempotency-Key': key }, body: { activity_id: s.activity }, expect: 202 });
    assert.equal(replay.json.id, s.check);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    const twice = await call('sendBackgroundCheck', { token: R, params: { application_id: s.application }, headers: { 'Idempotency-Key': `send-${crypto.randomUUID()}` }, body: { activity_id: s.activity }, expect: [409, 'check_already_active'] });
    assert.equal(twice.json.existing_check.id, s.check);

    const invited = await until('the worker to order the check from Certn', async () => {
      const r = await call('getBackgroundCheck', { token: R, params: { check_id: s.check }, expect: 200 });
      return { done: r.json.certn_case_id !== null && r.json.status !== 'queued', value: r.json, state: r.json.status };
    });
    assert.equal(invited.status, 'invited');
    await call('getBackgroundCheck', { token: O, params: { check_id: s.check }, expect: [404, 'not_found'] });
    await call('getBackgroundCheckReport', { token: R, params: { check_id: s.check }, expect: [409, 'report_not_ready'] });
    const refreshed = await call('refreshBackgroundCheck', { token: R, params: { check_id: s.check }, expect: 200 });
    assert.equal(refreshed.json.id, s.check);

    await control('POST', `/_control/cases/${encodeURIComponent(invited.certn_case_id)}/advance`, { status: 'COMPLETE' });
    const complete = await until('the webhook to complete the check and the report PDF to be saved', async () => {
      const r = await call('getBackgroundCheck', { token: R, params: { check_id: s.check }, expect: 200 });
      return { done: r.json.status === 'complete' && r.json.report_file_id !== null, value: r.json, state: [r.json.status, r.json.report_file_id] };
    }, { timeoutMs: 60000 });
    assert.ok(complete.results_url);
    assert.ok(complete.history.length >= 2);
    // The results URL is a page for people: the console's, never JSON.
    assert.equal(new URL(complete.results_url).pathname, `/checks/${s.check}`);
    const resultsPage = await call('consoleCheckPage', { params: { check_id: s.check }, expect: 200 });
    assert.match(resultsPage.text, /<html/i);

    const integration = await call('getCertnIntegration', { token: A, expect: 200 });
    assert.ok(integration.json.last_delivery_at, 'a webhook delivery was recorded');
    const log = await call('listCertnDeliveries', { token: A, query: { case_id: invited.certn_case_id }, expect: 200 });
    assert.ok(log.json.items.length >= 1, 'the delivery log lists the case');
    assert.ok(log.json.items.every((d) => d.case_id === invited.certn_case_id && !('body' in d)));
    await call('listCertnDeliveries', { token: A, query: { verdict: 'bogus' }, expect: [400, 'invalid_filter'] });
    await call('listCertnDeliveries', { token: R, expect: [403, 'admin_only'] });
    await call('replayCertnDelivery', { token: A, params: { delivery_id: log.json.items[0].delivery_id }, expect: 202 });
    await call('replayCertnDelivery', { token: A, params: { delivery_id: 'no-such-delivery' }, expect: [404, 'not_found'] });

    const report = await call('getBackgroundCheckReport', { token: R, params: { check_id: s.check }, expect: 200 });
    assert.equal(report.json.status, 'complete');
    assert.equal(report.json.report_file_id, complete.report_file_id);
    const files = await call('listCandidateFiles', { token: R, params: { candidate_id: s.candidate }, expect: 200 });
    const file = files.json.items.find((f) => f.id === complete.report_file_id);
    assert.ok(file, 'the report is in the candidate files');
    assert.match(file.name, /^Certn_Report_.+\.pdf$/);
    assert.equal(file.download_url, `/api/v1/candidates/${s.candidate}/files/${file.id}`);
    const pdf = await call('downloadCandidateFile', { token: R, params: { candidate_id: s.candidate, file_id: file.id }, expect: 200 });
    assert.equal(pdf.mediaType, 'application/pdf');
    assert.equal(pdf.bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.equal(crypto.createHash('sha256').update(pdf.bytes).digest('hex'), file.sha256);
    await call('downloadCandidateFile', { token: R, params: { candidate_id: s.candidateNoEmail, file_id: file.id }, expect: [404, 'not_found'] });

    const tab = await call('getApplication', { token: R, params: { application_id: s.application }, expect: 200 });
    const view = tab.json.stages.find((x) => x.id === s.stageBg).activities.find((a) => a.id === s.activity);
    assert.equal(view.background_check.id, s.check);
    assert.equal(view.background_check.status, 'complete');
  });

  await step('notifications for people: the sender and a watcher, read and read-all; watches', async () => {
    // The admin watched the application before the check was sent (in the candidates step).
    await call('getApplicationWatch', { token: A, params: { application_id: s.application }, expect: 200 });
    await call('getApplicationWatch', { token: O, params: { application_id: s.application }, expect: [404, 'not_found'] });
    const mine = await until('the sender is notified', async () => {
      const r = await call('countUnreadNotifications', { token: R, expect: 200 });
      return { done: r.json.unread >= 1, value: r.json, state: r.json };
    });
    assert.ok(mine.unread >= 1);
    const list = await call('listNotifications', { token: R, query: { limit: '1' }, expect: 200 });
    const n = list.json.items[0];
    assert.match(n.text, /^Background check for Ada Lovelace is complete/);
    assert.equal(n.check_id, s.check);
    assert.equal(n.read, false);
    await call('listNotifications', { token: R, query: { after: 'c'.repeat(201) }, expect: [400, 'invalid_cursor'] });
    await call('markNotificationRead', { token: A, params: { notification_id: n.id }, expect: [404, 'not_found'] });
    await call('markNotificationRead', { token: O, params: { notification_id: n.id }, expect: [404, 'not_found'] });
    const read = await call('markNotificationRead', { token: R, params: { notification_id: n.id }, expect: 200 });
    assert.equal(read.json.read, true);
    const watcher = await call('listNotifications', { token: A, expect: 200 });
    assert.ok(watcher.json.items.some((x) => x.check_id === s.check), 'the watcher is notified too');
    const all = await call('markAllNotificationsRead', { token: A, expect: 200 });
    assert.ok(all.json.marked >= 1);
    const none = await call('countUnreadNotifications', { token: A, expect: 200 });
    assert.equal(none.json.unread, 0);
    const off = await call('unwatchApplication', { token: A, params: { application_id: s.application }, expect: 200 });
    assert.equal(off.json.watching, false);
    await call('unwatchApplication', { token: O, params: { application_id: s.application }, expect: [404, 'not_found'] });
  });

  await step('recruiter cancels a check, then re-orders it', async () => {
    await call('cancelBackgroundCheck', { token: R, params: { check_id: s.check }, expect: [409, 'check_complete'] });
    await call('reorderBackgroundCheck', { token: R, params: { check_id: s.check }, expect: [409, 'check_not_ended'] });
    await call('cancelBackgroundCheck', { token: R, params: { check_id: 'no-such-check' }, expect: [404, 'not_found'] });
    await call('cancelBackgroundCheck', { token: O, params: { check_id: s.check }, expect: [404, 'not_found'] });
    await call('reorderBackgroundCheck', { token: O, params: { check_id: s.check }, expect: [404, 'not_found'] });
    await call('cancelBackgroundCheck', { token: R, params: { check_id: s.check }, body: { reason: 'x'.repeat(501) }, expect: [400, 'invalid_body'] });
    const sent = await call('sendBackgroundCheck', { token: R, params: { application_id: s.application }, body: { activity_id: s.activity }, expect: 202 });
    await until('the worker to order the second check', async () => {
      const r = await call('getBackgroundCheck', { token: R, params: { check_id: sent.json.id }, expect: 200 });
      return { done: r.json.status === 'invited', value: r.json, state: r.json.status };
    });
    const asked = await call('cancelBackgroundCheck', { token: R, params: { check_id: sent.json.id }, body: { reason: 'Candidate withdrew' }, expect: 202 });
    assert.equal(asked.json.cancellation.reason, 'Candidate withdrew');
    const cancelled = await until('Certn to confirm the cancel', async () => {
      const r = await call('getBackgroundCheck', { token: R, params: { check_id: sent.json.id }, expect: 200 });
      return { done: r.json.status === 'cancelled', value: r.json, state: r.json.status };
    });
    assert.equal(cancelled.error_reason, 'cancelled_by_user');
    assert.equal(cancelled.cancellation.pending, false);
    await call('cancelBackgroundCheck', { token: R, params: { check_id: sent.json.id }, expect: 202 });
    await call('reorderBackgroundCheck', { token: R, params: { check_id: sent.json.id }, body: { package_id: 'pkg-tenant' }, expect: [400, 'unknown_package'] });
    const key = `reorder-${crypto.randomUUID()}`;
    const again = await call('reorderBackgroundCheck', { token: R, params: { check_id: sent.json.id }, headers: { 'Idempotency-Key': key }, expect: 202 });
    assert.equal(again.json.reordered_from, sent.json.id);
    assert.equal(again.json.package_id, cancelled.package_id);
    const replay = await call('reorderBackgroundCheck', { token: R, params: { check_id: sent.json.id }, headers: { 'Idempotency-Key': key }, expect: 202 });
    assert.equal(replay.json.id, again.json.id);
    await call('reorderBackgroundCheck', { token: R, params: { check_id: sent.json.id }, expect: [409, 'already_reordered'] });
    // Leave the application without an active check for the steps after this one.
    await call('cancelBackgroundCheck', { token: R, params: { check_id: again.json.id }, expect: 202 });
    await until('the re-ordered check to be cancelled', async () => {
      const r = await call('getBackgroundCheck', { token: R, params: { check_id: again.json.id }, expect: 200 });
      return { done: r.json.status === 'cancelled', value: r.json, state: r.json.status };
    });
  });

  await step('bulk send: progress, a second send skipped, and bad selections', async () => {
    const c = await call('createCandidate', { token: R, body: { first_name: 'Bulk', last_name: 'One', email: 'bulk.one@example.com' }, expect: 201 });
    const app = await call('createApplication', { token: R, body: { candidate_id: c.json.id, job_id: s.job }, expect: 201 });
    const key = `bulk-${crypto.randomUUID()}`;
    const bulk = await call('createBulkSend', { token: R, headers: { 'Idempotency-Key': key }, body: { application_ids: [app.json.id, app.json.id] }, expect: 202 });
    assert.equal(bulk.json.total, 1);
    assert.equal(bulk.json.items[0].state, 'queued');
    const replay = await call('createBulkSend', { token: R, headers: { 'Idempotency-Key': key }, body: { application_ids: [app.json.id, app.json.id] }, expect: 202 });
    assert.equal(replay.json.id, bulk.json.id);
    const done = await until('the bulk send to reach Certn', async () => {
      const r = await call('getBulkSend', { token: R, params: { bulk_send_id: bulk.json.id }, expect: 200 });
      return { done: r.json.status === 'done', value: r.json, state: r.json.counts };
    });
    assert.equal(done.counts.sent, 1);
    // Wrong state: the application has an active check now, so a second bulk send skips it.
    const again = await call('createBulkSend', { token: R, body: { application_ids: [app.json.id] }, expect: 202 });
    const skipped = await until('the second bulk send to finish', async () => {
      const r = await call('getBulkSend', { token: R, params: { bulk_send_id: again.json.id }, expect: 200 });
      return { done: r.json.status === 'done', value: r.json, state: r.json.counts };
    });
    assert.equal(skipped.items[0].state, 'skipped');
    assert.equal(skipped.items[0].reason, 'check_already_active');
    // Other teams' and unknown ids read alike; oversized and malformed selections.
    await call('getBulkSend', { token: O, params: { bulk_send_id: bulk.json.id }, expect: [404, 'not_found'] });
    await call('getBulkSend', { token: R, params: { bulk_send_id: 'no-such-bulk-send' }, expect: [404, 'not_found'] });
    await call('createBulkSend', { token: O, body: { application_ids: [app.json.id] }, expect: [404, 'application_not_found'] });
    await call('createBulkSend', { token: R, body: { application_ids: [app.json.id, 'no-such-app'] }, expect: [404, 'application_not_found'] });
    await call('createBulkSend', { token: R, body: { application_ids: Array.from({ length: 501 }, (_, i) => `app-${i}`) }, expect: [400, 'selection_too_large'] });
    await call('createBulkSend', { token: R, body: {}, expect: [400, 'invalid_selection'] });
    await call('createBulkSend', { token: R, body: { application_ids: [] }, expect: [400, 'invalid_selection'] });
    await call('createBulkSend', { token: R, body: { application_ids: [app.json.id], job_id: s.job, stage_id: s.stageBg }, expect: [400, 'invalid_selection'] });
    await call('createBulkSend', { token: R, body: { job_id: s.job }, expect: [400, 'invalid_selection'] });
    await call('createBulkSend', { token: R, body: { application_ids: 'all' }, expect: [400, 'invalid_body'] });
    await call('createBulkSend', { token: R, body: { job_id: s.job, stage_id: 'no-such-stage' }, expect: [404, 'stage_not_found'] });
    await call('createBulkSend', { token: R, body: { job_id: 'no-such-job', stage_id: s.stageBg }, expect: [404, 'not_found'] });
    await call('createBulkSend', { token: O, body: { job_id: s.job, stage_id: s.stageBg }, expect: [404, 'not_found'] });
    const empty = await call('addStage', { token: A, params: { job_id: s.job }, body: { name: 'Nobody here' }, expect: 201 });
    await call('createBulkSend', { token: R, body: { job_id: s.job, stage_id: empty.json.id }, expect: [422, 'empty_selection'] });
    await call('removeStage', { token: A, params: { job_id: s.job, stage_id: empty.json.id }, expect: 204 });
    const check = await call('getBackgroundCheck', { token: R, params: { check_id: done.items[0].check_id }, expect: 200 });
    assert.equal(typeof check.json.delayed, 'boolean');
  });

  await step('users and tokens: roles, revocation, the report-access audit', async () => {
    await call('listUsers', { token: R, expect: [403, 'admin_only'] });
    const cora = await call('createUser', { token: A, body: { name: 'Cora Ordin', email: 'cora@example.com', role: 'coordinator' }, expect: 201 });
    assert.equal(cora.json.active, true);
    await call('createUser', { token: A, body: { name: 'Again', email: 'CORA@example.com', role: 'viewer' }, expect: [409, 'email_taken'] });
    await call('createUser', { token: A, body: { name: 'X', email: 'nope', role: 'viewer' }, expect: [400, 'invalid_email'] });
    await call('createUser', { token: A, body: { name: 'X', email: 'x@example.com', role: 'owner' }, expect: [400, 'invalid_body'] });
    const users = await call('listUsers', { token: A, expect: 200 });
    assert.ok(users.json.items.some((u) => u.id === cora.json.id));
    const issued = await call('issueUserToken', { token: A, params: { user_id: cora.json.id }, body: { name: 'laptop', expires_in_days: 30 }, expect: 201 });
    const C = issued.json.token;
    await call('issueUserToken', { token: A, params: { user_id: 'no-such-user' }, body: { name: 'x' }, expect: [404, 'not_found'] });
    const me = await call('getMe', { token: C, expect: 200 });
    assert.deepEqual(me.json.can, { recruit: true, results: true, report: false, admin: false });
    await call('getBackgroundCheckReport', { token: C, params: { check_id: s.check }, expect: [403, 'report_forbidden'] });
    await call('getBackgroundCheckResults', { token: C, params: { check_id: s.check }, expect: 200 });
    await call('getBackgroundCheckResults', { token: C, params: { check_id: 'no-such-check' }, expect: [404, 'not_found'] });
    const feed = await call('listCandidateActivity', { token: A, params: { candidate_id: s.candidate }, expect: 200 });
    const look = feed.json.items.find((e) => e.type === 'report_viewed');
    assert.equal(look.actor_name, 'Cora Ordin');
    const tokens = await call('listUserTokens', { token: A, params: { user_id: cora.json.id }, expect: 200 });
    assert.equal(tokens.json.items.length, 1);
    assert.ok(tokens.json.items[0].last_used_at);
    assert.equal(tokens.json.items[0].role, null);  // no limit of its own: it follows Cora's role
    // A new role holds from the next request; a token may be narrower than its user.
    const renamed = await call('updateUser', { token: A, params: { user_id: cora.json.id }, body: { name: 'Cora Ord', role: 'viewer' }, expect: 200 });
    assert.equal(renamed.json.role, 'viewer');
    assert.equal((await call('getMe', { token: C, expect: 200 })).json.role, 'viewer');
    await call('updateUser', { token: A, params: { user_id: cora.json.id }, body: {}, expect: [400, 'nothing_to_change'] });
    await call('updateUser', { token: A, params: { user_id: 'no-such-user' }, body: { role: 'viewer' }, expect: [404, 'not_found'] });
    await call('updateUser', { token: R, params: { user_id: cora.json.id }, body: { role: 'admin' }, expect: [403, 'admin_only'] });
    const admin = await call('getMe', { token: A, expect: 200 });
    await call('updateUser', { token: A, params: { user_id: admin.json.user_id }, body: { role: 'recruiter' }, expect: [409, 'last_admin'] });
    await call('issueUserToken', { token: A, params: { user_id: cora.json.id }, body: { name: 'x', role: 'recruiter' }, expect: [400, 'role_too_wide'] });
    const board = await call('issueUserToken', { token: A, params: { user_id: cora.json.id }, body: { name: 'board', role: 'viewer' }, expect: 201 });
    assert.equal(board.json.role, 'viewer');
    await call('revokeUserToken', { token: A, params: { user_id: cora.json.id, token_id: issued.json.id }, expect: 204 });
    await call('getMe', { token: C, expect: [401, 'invalid_token'] });
    await call('deactivateUser', { token: A, params: { user_id: cora.json.id }, expect: 200 });
    await call('deactivateUser', { token: A, params: { user_id: me.json.user_id }, expect: 200 });
    await call('deactivateUser', { token: A, params: { user_id: admin.json.user_id }, expect: [422, 'cannot_deactivate_self'] });
    await call('deactivateUser', { token: A, params: { user_id: 'no-such-user' }, expect: [404, 'not_found'] });
  });

  await step('turnaround report', async () => {
    const report = await call('getTurnaroundReport', { token: R, expect: 200 });
    assert.equal(report.json.days, 90);
    const week = await call('getTurnaroundReport', { token: A, query: { days: '7' }, expect: 200 });
    assert.equal(week.json.days, 7);
    for (const days of ['0', '366', 'soon']) {
      await call('getTurnaroundReport', { token: R, query: { days }, expect: [400, 'invalid_filter'] });
    }
  });

  await step('auto-send on stage entry (Lever): no email leaves an error check, adding one and moving again retries', async () => {
    const st = await call('addStage', { token: A, params: { job_id: s.job }, body: { name: 'Auto check' }, expect: 201 });
    const act = await call('addActivity', {
      token: A, params: { job_id: s.job, stage_id: st.json.id },
      body: { kind: 'certn_background_check', settings: { package_id: 'pkg-basic', auto_send: true } }, expect: 201,
    });
    assert.equal(act.json.settings.auto_send, true);
    const m1 = await call('moveApplication', { token: R, params: { application_id: s.applicationNoEmail }, body: { stage_id: st.json.id }, expect: 200 });
    assert.deepEqual(m1.json.triggered.map((x) => [x.activity_id, x.ok, x.code]), [[act.json.id, false, 'no_email']]);
    const view1 = m1.json.application.stages.find((x) => x.id === st.json.id).activities[0];
    assert.equal(view1.background_check.status, 'error');
    assert.equal(view1.background_check.error_reason, 'no_email');
    assert.equal(view1.background_check.labels.lever_tag, 'CERTN - Error (No Email)');
    assert.equal(view1.background_check.history.at(-1).reason, 'no_email');
    assert.ok(m1.json.application.candidate.system_tags.includes('CERTN - Error (No Email)'));
    assert.ok(!m1.json.application.candidate.tags.includes('CERTN - Error (No Email)'));
    const read = await call('getCandidate', { token: R, params: { candidate_id: s.candidateNoEmail }, expect: 200 });
    const etag = read.headers.get('etag');
    await call('updateCandidate', { token: R, params: { candidate_id: s.candidateNoEmail }, headers: { 'If-Match': '"0000000000000000"' },
      body: { email: 'no.email+later@example.com' }, expect: [412, 'precondition_failed'] });
    await call('updateCandidate', { token: R, params: { candidate_id: s.candidateNoEmail }, headers: { 'If-Match': etag },
      body: { email: 'no.email+later@example.com' }, expect: 200 });
    await call('moveApplication', { token: R, params: { application_id: s.applicationNoEmail }, body: { stage_id: s.stageScreen }, expect: 200 });
    const m2 = await call('moveApplication', { token: R, params: { application_id: s.applicationNoEmail }, body: { stage_id: st.json.id }, expect: 200 });
    assert.deepEqual(m2.json.triggered.map((x) => [x.activity_id, x.ok]), [[act.json.id, true]]);
    const view2 = m2.json.application.stages.find((x) => x.id === st.json.id).activities[0];
    assert.equal(view2.background_check.trigger, 'auto_send');
    assert.equal(view2.background_check.package_id, 'pkg-basic');
    assert.notEqual(view2.background_check.status, 'error');
    assert.equal(view2.earlier_checks.length, 1);
    assert.equal(view2.earlier_checks[0].error_reason, 'no_email');
  });

  await step('activity feed, paginated newest first', async () => {
    const p1 = await call('listCandidateActivity', { token: R, params: { candidate_id: s.candidate }, query: { limit: '1' }, expect: 200 });
    assert.equal(p1.json.items.length, 1);
    assert.ok(p1.json.next, 'the feed has more than one event');
    const p2 = await call('listCandidateActivity', { token: R, params: { candidate_id: s.candidate }, query: { limit: '100', after: p1.json.next }, expect: 200 });
    assert.ok(p2.json.items.length >= 1);
    assert.ok(p1.json.items[0].at >= p2.json.items[0].at, 'newest first');
    const types = [...p1.json.items, ...p2.json.items].map((e) => e.type);
    assert.ok(types.includes('check_sent'), `feed types: ${types}`);
    await call('listCandidateActivity', { token: R, params: { candidate_id: s.candidate }, query: { limit: 'abc' }, expect: [400, 'invalid_limit'] });
  });

  await step('ad-hoc checks from the profile, and application status', async () => {
    const noEmail = await call('createCandidate', { token: R, body: { first_name: 'Still', last_name: 'No Email' }, expect: 201 });
    await call('sendAdHocCheck', { token: R, params: { candidate_id: noEmail.json.id }, body: { package_id: 'pkg-basic' }, expect: [422, 'no_email'] });
    await call('sendAdHocCheck', { token: R, params: { candidate_id: s.candidate }, body: { package_id: 'pkg-tenant' }, expect: [400, 'unknown_package'] });
    await call('sendAdHocCheck', { token: R, params: { candidate_id: s.candidate }, body: {}, expect: [400, 'invalid_body'] });
    const adhoc = await call('sendAdHocCheck', { token: R, params: { candidate_id: s.candidate }, headers: { 'Idempotency-Key': `adhoc-${crypto.randomUUID()}` }, body: { package_id: 'pkg-basic' }, expect: 202 });
    assert.equal(adhoc.json.trigger, 'ad_hoc');
    assert.equal(adhoc.json.application_id, null);
    const list = await call('listAdHocChecks', { token: R, params: { candidate_id: s.candidate }, expect: 200 });
    assert.deepEqual(list.json.items.map((c) => c.id), [adhoc.json.id]);
    const hired = await call('setApplicationStatus', { token: R, params: { application_id: s.application }, body: { status: 'hired' }, expect: 200 });
    assert.equal(hired.json.status, 'hired');
    await call('setApplicationStatus', { token: R, params: { application_id: s.application }, body: { status: 'promoted' }, expect: [400, 'invalid_body'] });
    await call('moveApplication', { token: R, params: { application_id: s.application }, body: { stage_id: s.stageScreen }, expect: [422, 'application_not_active'] });
  });

  await step('the Certn webhook endpoint', async () => {
    const event = JSON.stringify({ id: 'evt-contract', event_type: 'CASE_STATUS_CHANGED', object_id: 'no-such-case', object_type: 'CASE' });
    await call('receiveCertnWebhook', { rawBody: event, contentType: 'application/json', expect: [401, 'missing_signature'] });
    await call('receiveCertnWebhook', { rawBody: event, contentType: 'application/json', headers: { 'X-Signature': '00'.repeat(32), 'Certn-Team-ID': 'certn-team-demo' }, expect: [401, 'bad_signature'] });
    await call('receiveCertnWebhook', { rawBody: event, contentType: 'application/json', headers: { 'X-Signature': 'abc', 'Certn-Team-ID': 'certn-team-demo' }, expect: [401, 'malformed_signature'] });
    const ts = Math.floor(Date.now() / 1000);
    const sig = crypto.createHmac('sha256', 'demo-webhook-secret').update(`${ts}.${event}`).digest('hex');
    const ok = await call('receiveCertnWebhook', { rawBody: event, contentType: 'application/json', headers: { 'Certn-Signature': `t=${ts},v1=${sig}`, 'Certn-Team-ID': 'certn-team-demo' }, expect: 200 });
    assert.equal(ok.json.status, 'ok');
    const stale = crypto.createHmac('sha256', 'demo-webhook-secret').update(`${ts - 86400}.${event}`).digest('hex');
    await call('receiveCertnWebhook', { rawBody: event, contentType: 'application/json', headers: { 'Certn-Signature': `t=${ts - 86400},v1=${stale}`, 'Certn-Team-ID': 'certn-team-demo' }, expect: [401, 'stale_signature'] });
    await call('receiveCertnWebhook', { rawBody: event, contentType: 'application/json', headers: { 'X-Signature': '00'.repeat(32), 'Certn-Team-ID': 'no-such-certn-team' }, expect: [401, 'unknown_team'] });
    // Not stored, but counted for the team: the settings page's banner.
    const refused = await call('summarizeRefusedCertnDeliveries', { token: A, expect: 200 });
    assert.equal(refused.json.failed_signature, 3, JSON.stringify(refused.json));
    assert.equal(refused.json.window_seconds, 3600);
    assert.ok(refused.json.last_failed_at, 'the last failure has a time');
    await call('summarizeRefusedCertnDeliveries', { token: R, expect: [403, 'admin_only'] });
    const echo = await call('verifyCertnWebhook', { query: { challenge: 'abc123' }, expect: 200 });
    assert.equal(echo.text, 'abc123');
    await call('verifyCertnWebhook', { expect: [400, 'missing_challenge'] });
  });

  await step('admin sets how long data is kept and erases a candidate', async () => {
    const kept = await call('getRetention', { token: A, expect: 200 });
    assert.equal(kept.json.report_days, 365);
    assert.equal(kept.json.updated_at, null);
    const changed = await call('updateRetention', { token: A, body: { report_days: 180 }, expect: 200 });
    assert.equal(changed.json.report_days, 180);
    assert.equal(changed.json.delivery_body_days, 30);
    await call('updateRetention', { token: A, body: { report_days: 0 }, expect: [400, 'invalid_body'] });
    await call('getRetention', { token: R, expect: [403, 'admin_only'] });
    await call('updateRetention', { token: R, body: { report_days: 30 }, expect: [403, 'admin_only'] });
    const c = await call('createCandidate', { token: R, body: { first_name: 'Erin', last_name: 'Example', email: 'erin@example.com' }, expect: 201 });
    await call('eraseCandidate', { token: R, params: { candidate_id: c.json.id }, expect: [403, 'admin_only'] });
    await call('eraseCandidate', { token: O, params: { candidate_id: c.json.id }, expect: [404, 'not_found'] });
    const erased = await call('eraseCandidate', { token: A, params: { candidate_id: c.json.id }, expect: 200 });
    assert.equal(erased.json.erased, true);
    const again = await call('eraseCandidate', { token: A, params: { candidate_id: c.json.id }, expect: 200 });
    assert.deepEqual(again.json, erased.json);
  });

  await step('the web console', async () => {
    const page = await call('consoleIndex', { expect: 200 });
    assert.match(page.text, /<html/i);
    const etag = page.headers.get('etag');
    assert.ok(etag, 'the console page has an ETag');
    await call('consoleIndex', { headers: { 'If-None-Match': etag }, expect: 304 });
    const js = await call('consoleAsset', { params: { asset: 'app.js' }, expect: 200 });
    assert.equal(js.mediaType, 'text/javascript');
    await call('consoleAsset', { params: { asset: 'no-such-file.js' }, expect: [404, 'not_found'] });
  });

  await step('admin rotates the webhook secret', async () => {
    const r = await call('rotateWebhookSecret', { token: A, body: { webhook_secret: 'rotated-secret-0123456789' }, expect: 200 });
    assert.ok(r.json.previous_secret_valid_until, 'the old secret has a grace period');
    await call('rotateWebhookSecret', { token: A, body: { webhook_secret: 'short' }, expect: [400, 'invalid_body'] });
    await call('rotateWebhookSecret', { token: A, body: {}, expect: [400, 'invalid_body'] });
  });

  await step('the server validates request bodies exactly as the documented schemas do', async () => {
    // Routes whose path ids do not exist: a body that passes the schema gets
    // past validation (to 404 or a domain check); one that fails gets 400
    // invalid_body. Routes without path ids only get bodies the schema rejects.
    const targets = {
      ConnectCertn: ['connectCertn', A, {}], RotateWebhookSecret: ['rotateWebhookSecret', A, {}],
      TeamSettings: ['updateTeam', A, {}], CreateJob: ['createJob', A, {}], UpdateJob: ['updateJob', A, { job_id: 'nope' }],
      AddStage: ['addStage', A, { job_id: 'nope' }], UpdateStage: ['updateStage', A, { job_id: 'nope', stage_id: 'nope' }],
      AddActivity: ['addActivity', A, { job_id: 'nope', stage_id: 'nope' }],
      UpdateActivity: ['updateActivity', A, { job_id: 'nope', stage_id: 'nope', activity_id: 'nope' }],
      CreateCandidate: ['createCandidate', R, {}], UpdateCandidate: ['updateCandidate', R, { candidate_id: 'nope' }],
      CreateApplication: ['createApplication', R, {}], MoveApplication: ['moveApplication', R, { application_id: 'nope' }],
      SetApplicationStatus: ['setApplicationStatus', R, { application_id: 'nope' }],
      SendCheck: ['sendBackgroundCheck', R, { application_id: 'nope' }], AdHocCheck: ['sendAdHocCheck', R, { candidate_id: 'nope' }],
      CancelCheck: ['cancelBackgroundCheck', R, { check_id: 'nope' }], ReorderCheck: ['reorderBackgroundCheck', R, { check_id: 'nope' }],
      CreateBulkSend: ['createBulkSend', R, {}],
      CreateWebhookEndpoint: ['createWebhookEndpoint', A, {}],
      UpdateWebhookEndpoint: ['updateWebhookEndpoint', A, { endpoint_id: 'nope' }],
      CreateUser: ['createUser', A, {}], IssueToken: ['issueUserToken', A, { user_id: 'nope' }],
      UpdateUser: ['updateUser', A, { user_id: 'nope' }],
      RetentionSettings: ['updateRetention', A, {}],
    };
    const d2020 = new Ajv2020({ strict: true, allowUnionTypes: true });
    const cpp = cppRequestSchemas();
    assert.deepEqual(Object.keys(targets).sort(), [...cpp.keys()].sort(), 'every request schema has a probe target');
    let probes = 0;
    for (const [name, [operationId, token, params]] of Object.entries(targets)) {
      const validate = d2020.compile(cpp.get(name));
      const safe = Object.keys(params).length > 0;
      for (const probe of probeBodies(cpp.get(name))) {
        const valid = validate(probe);
        if (valid && !safe) continue;
        const r = await call(operationId, { token, params, body: probe });
        probes++;
        const rejected = r.status === 400 && r.json.code === 'invalid_body';
        // AddActivity/UpdateActivity also answer invalid_body for non-scalar settings values.
        const settingsCheck = r.status === 400 && /settings\//.test(r.json.detail || '');
        assert.equal(rejected && !settingsCheck, !valid, `${name}: schema says ${valid ? 'valid' : 'invalid'} but the server answered ${r.status} ${r.text} for ${JSON.stringify(probe)}`);
      }
    }
    assert.ok(probes > 100, `only ${probes} probe requests were sent`);
  });

  await step('every documented operation was exercised', async () => {
    const missing = [...operations.keys()].filter((id) => !calls.has(id));
    assert.deepEqual(missing, [], 'operations the contract test never called');
    const nonError = [...operations.keys()].filter((id) => !calls.get(id).some((st) => st < 400));
    assert.deepEqual(nonError, [], 'operations never seen succeeding');
  });
});
