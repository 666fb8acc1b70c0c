// Test harness for the browser verifier: a tiny static HTTP server on 127.0.0.1 (ephemeral port)
// serving web/scan/, the in-page test runner (web/tests/page-runner.js) and the Rust test vectors,
// and headless Debian Chromium driven by playwright-core. Nothing here touches the network beyond
// loopback: every request the page makes to another origin is aborted.
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const WEB_DIR = join(here, '..');
export const SCAN_DIR = join(WEB_DIR, 'scan');
export const TESTS_DIR = here;
export const REPO_DIR = join(WEB_DIR, '..');
export const VECTORS_PATH = join(REPO_DIR, 'crates', 'aspk-ticket', 'tests', 'vectors.json');
export const CHROMIUM_PATH = process.env.ASPK_CHROMIUM ?? '/usr/bin/chromium';

export async function loadVectors() {
  return JSON.parse(await readFile(VECTORS_PATH, 'utf8'));
}

export const hexToBytes = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
export const bytesToHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

const TYPES = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

const INDEX_HTML = '<!doctype html><meta charset="utf-8"><title>aspk verifier tests</title><p>aspk verifier tests</p>';

/**
 * Serves / (an empty page), /scan/** (web/scan), /tests/page-runner.js and /vectors.json.
 * Resolves to {url, close}.
 */
export async function startServer() {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file;
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': TYPES['.html'] });
      res.end(INDEX_HTML);
      return;
    } else if (path === '/vectors.json') {
      file = VECTORS_PATH;
    } else if (path === '/tests/page-runner.js') {
      file = join(TESTS_DIR, 'page-runner.js');
    } else if (path.startsWith('/scan/')) {
      file = normalize(join(SCAN_DIR, path.slice('/scan/'.length)));
      if (!file.startsWith(SCAN_DIR + sep)) file = undefined;
    }
    try {
      if (!file || req.method !== 'GET') throw new Error('not found');
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
      });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches headless Debian Chromium with a fresh temporary profile (--user-data-dir, via
 * launchPersistentContext) and opens `baseUrl`. Resolves to {page, context, close, errors}.
 */
export async function openPage(baseUrl) {
  const userDataDir = await mkdtemp(join(tmpdir(), 'aspk-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 60_000,
    });
  } catch (e) {
    await rm(userDataDir, { recursive: true, force: true });
    throw new Error(
      `could not start ${CHROMIUM_PATH} (run scripts/browser-setup): ${e.message}`,
    );
  }
  // Closed network: only the test server's origin.
  await context.route('**/*', (route) =>
    route.request().url().startsWith(baseUrl + '/') ? route.continue() : route.abort(),
  );
  const errors = [];
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(baseUrl + '/');
  return {
    page,
    context,
    errors,
    version: context.browser()?.version() ?? null,
    close: async () => {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
