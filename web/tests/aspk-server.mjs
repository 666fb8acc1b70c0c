// The real `aspk` binary for browser tests: built with cargo when needed (ASPK_BIN overrides),
// started with the demo museum in a temporary data folder on a free loopback port, and a few
// API helpers (admin token, slots, orders, enrolment) used by the scanner app tests.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { REPO_DIR } from './harness.mjs';

/** Path of an up-to-date aspk binary (cargo build -p aspk unless ASPK_BIN is given). */
export function aspkBinary() {
  if (process.env.ASPK_BIN) return process.env.ASPK_BIN;
  const built = spawnSync('cargo', ['build', '-p', 'aspk', '--locked', '--quiet'], {
    cwd: REPO_DIR,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (built.status !== 0) throw new Error('cargo build -p aspk failed');
  const target = process.env.CARGO_TARGET_DIR ?? join(REPO_DIR, 'target');
  return join(target, 'debug', 'aspk');
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Waits until `check()` is truthy, polling every 50 ms; fails after `ms`. */
export async function until(what, check, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * `aspk serve --upstream UPSTREAM` as a site node in the data folder `data` (a new one when
 * not given) on `port` (a free one when not given), enrolling with `code` on its first
 * start. Resolves to {base, api, child, data, port}; `api` carries `token`, a session the
 * cloud opened (the cloud vouches for its staff at every node; the demo admin, one of the
 * organisation's own staff, has no password at a site node).
 */
export async function startSite(upstream, { code, data, port, token } = {}) {
  data ??= await mkdtemp(join(tmpdir(), 'aspk-site-'));
  port ??= await freePort();
  const base = `http://127.0.0.1:${port}`;
  const args = ['serve', '--data', data, '--listen', `127.0.0.1:${port}`, '--upstream', upstream,
    '--lease-seats', '5'];
  if (code) args.push('--enrol', code);
  const child = spawn(aspkBinary(), args, { stdio: 'ignore' });
  await until('the site node answers', async () => (await fetch(`${base}/healthz`).catch(() => null))?.ok);
  const api = new Api(base);
  api.token = token;
  return { base, api, child, data, port };
}

/**
 * Starts `aspk serve --demo`; resolves to {base, api, stop, kill, data, port}. Optional:
 * `port` to listen on (a free one when not given), `args` added to the command line (or a
 * function of the server's base URL returning them), `env` added to the environment, `data`
 * an existing data folder to start on again (a restart: `stop` then leaves it in place).
 * `stop` ends the server with SIGTERM and deletes a data folder it made; `kill` ends it with
 * SIGKILL (a power cut) and keeps the data.
 */
export async function startAspk({ port, args = [], env = {}, data } = {}) {
  const bin = aspkBinary();
  const ownData = !data;
  data ??= await mkdtemp(join(tmpdir(), 'aspk-scan-test-'));
  port ??= await freePort();
  const base = `http://127.0.0.1:${port}`;
  const extra = typeof args === 'function' ? args(base) : args;
  const child = spawn(bin, ['serve', '--demo', '--data', data, '--listen', `127.0.0.1:${port}`, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`aspk exited: ${log}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`aspk did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const api = new Api(base);
  await api.signIn();
  const exited = () => new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', r)));
  return {
    base,
    api,
    data,
    port,
    log: () => log,
    stop: async () => {
      child.kill('SIGTERM');
      await exited();
      if (ownData) await rm(data, { recursive: true, force: true });
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited();
    },
  };
}

/** One JSON API call at `base` that must succeed (as `token`, when given): its answer. */
export function apiOk(base, method, path, body, token) {
  return new Api(base).ok(method, path, body, token ?? null);
}

export class Api {
  constructor(base) {
    this.base = base;
    this.token = null;
  }

  async call(method, path, body, token = this.token) {
    const headers = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, body: json };
  }

  async ok(method, path, body, token) {
    const r = await this.call(method, path, body, token);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  async signIn(username = 'admin', password = 'demo') {
    this.token = (await this.ok('POST', '/api/v1/auth/token', { username, password }, null)).token;
  }

  /**
   * Adds `username` (password `correct horse`) with `role`, working at `venue` (they may
   * sign in at its site nodes) when given.
   */
  addStaff(username, role, venue) {
    return this.ok('POST', '/api/v1/users', { username, password: 'correct horse', role, venue });
  }

  /** A slot of `venue` open now (started 10 minutes ago, ends in 2 hours). */
  slotNow(venue, capacity) {
    const now = Date.now();
    return this.ok('POST', `/api/v1/venues/${venue}/slots`, {
      starts_at: new Date(now - 10 * 60_000).toISOString(),
      ends_at: new Date(now + 2 * 3600_000).toISOString(),
      capacity,
    }).then((s) => s.id);
  }

  sell(venue, slot, product, quantity) {
    return this.ok('POST', '/api/v1/orders', {
      venue,
      channel: 'box_office',
      items: [{ product, slot, quantity }],
      payment: { method: 'cash' },
    });
  }

  enrolScanner(venue = 'demo') {
    return this.ok('POST', '/api/v1/enrolments', { role: 'scanner', venue });
  }
}

/**
 * Pays a visitor's online order (the API's answer of its hold) on the demo's test provider
 * page, as the visitor would, and returns the paid order as its visitor reads it.
 */
export async function payOnline(base, held, email) {
  const serial = held.number.slice(0, -1);
  const res = await fetch(`${base}/pay/test/${serial}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'outcome=pay',
    redirect: 'manual',
  });
  if (res.status !== 303) throw new Error(`paying ${held.number}: ${res.status} ${await res.text()}`);
  return apiOk(base, 'GET', `/api/v1/orders/${held.number}?email=${encodeURIComponent(email)}`);
}
