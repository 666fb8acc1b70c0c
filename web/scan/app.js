// The scanner app: pairing, then scanning (camera, typed number, hardware scanner typing into
// the field), each decision made locally (decide.js), recorded durably (store.js) and handed to
// the server in the background whenever it can be reached (net.js).
import * as camera from './camera.js';
import { decide } from './decide.js';
import * as feedback from './feedback.js';
import { apply, lang, setLang, t } from './i18n.js';
import * as net from './net.js';
import * as store from './store.js';
import * as ui from './ui.js';

const SYNC_EVERY_MS = 5_000;
const HISTORY = 15;
const RECORDED = new Set(['admit', 'already_used', 'void', 'not_valid_yet', 'expired', 'wrong_venue']);

const $ = (id) => document.getElementById(id);

const app = {
  device: null,
  online: navigator.onLine,
  history: [],
  syncing: null,
  deciding: Promise.resolve(),
};

// Exposed for the browser tests and for support staff looking at a phone.
self.aspkScan = app;
app.sync = () => sync();

async function refreshStatus() {
  const [held, nextSeq, lastSync, tickets, skewMs, via] = await Promise.all([
    store.getMeta('held'),
    store.getMeta('nextSeq'),
    store.getMeta('lastSync'),
    store.countTickets(),
    store.getMeta('skewMs'),
    store.getMeta('via'),
  ]);
  const queue = Math.max(0, (nextSeq ?? 1) - 1 - (held ?? 0));
  app.status = { queue, held: held ?? 0, lastSync: lastSync ?? null, tickets };
  ui.renderStatus({ online: app.online && navigator.onLine, queue, lastSync, tickets, skewMs, via });
  return queue;
}

/** One sync round at a time; failures only mark the app offline (the queue stays on disk). */
function sync() {
  if (!app.device) return Promise.resolve();
  app.syncing ??= (async () => {
    try {
      await net.syncOnce(app.device);
      app.online = true;
    } catch (e) {
      if (e instanceof net.RevokedError) return wipe();
      app.online = false;
    } finally {
      app.syncing = null;
    }
    await refreshStatus();
  })();
  return app.syncing;
}

async function wipe() {
  camera.stop();
  app.device = null;
  app.history = [];
  await store.wipe();
  showPairing(null, t('wiped'));
}

// --- scanning -------------------------------------------------------------------------------

/** Decides `text`, records it, shows it; scans are decided strictly one after another. */
function scan(text) {
  app.deciding = app.deciding.then(() => scanNow(text)).catch((e) => console.error('scan failed', e));
  return app.deciding;
}

async function scanNow(text) {
  if (!app.device || !String(text).trim()) return;
  const d = await decide(text);
  let row = { at_ms: Date.now() };
  if (RECORDED.has(d.result)) {
    row = await store.appendScan({
      serial: d.serial,
      result: d.result,
      // An admission counts at the server only for a ticket it knows, or with the code that
      // proves it was sold (offline, at another node).
      code: d.result === 'admit' ? d.code ?? null : null,
      product_no: d.claims?.product ?? null,
      document: d.document ?? null,
    });
  }
  const shown = { ...d, at_ms: row.at_ms, seq: row.seq };
  app.history = [shown, ...app.history].slice(0, HISTORY);
  ui.renderHistory(app.history);
  const kind = ui.showResult(shown, () => $('entry').focus());
  feedback.signal(kind);
  app.lastDecision = { result: d.result, kind, serial: d.serial ?? null, seq: row.seq ?? null };
  app.decisions = (app.decisions ?? 0) + 1;
  await refreshStatus();
  if (row.seq) sync();
}

async function toggleCamera() {
  feedback.unlock();
  const button = $('camera');
  if (camera.isRunning()) {
    camera.stop();
    button.textContent = t('scan.camera.start');
    $('torch').hidden = true;
    return;
  }
  $('camera-error').hidden = true;
  try {
    const { decoder, torch } = await camera.start($('video'), scan);
    app.decoder = decoder;
    button.textContent = t('scan.camera.stop');
    $('torch').hidden = !torch;
  } catch (e) {
    $('camera-error').textContent = t('scan.camera.denied', { detail: e.message || e.name });
    $('camera-error').hidden = false;
  }
}

async function toggleTorch() {
  const button = $('torch');
  const on = button.getAttribute('aria-pressed') !== 'true';
  try {
    await camera.setTorch(on);
    button.setAttribute('aria-pressed', String(on));
  } catch {
    button.hidden = true;
  }
}

// --- pairing --------------------------------------------------------------------------------

function showPairing(code, message) {
  ui.showSection('pairing');
  $('pair-code').value = code ?? '';
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(2)), (b) => b.toString(16).padStart(2, '0')).join('');
  $('pair-name').value ||= t('pair.name.default', { id: suffix.toUpperCase() });
  $('pair-message').hidden = !message;
  $('pair-message').textContent = message ?? '';
}

async function submitPairing(event) {
  event.preventDefault();
  feedback.unlock();
  const status = $('pair-status');
  $('pair-submit').disabled = true;
  status.textContent = t('pair.working');
  try {
    const code = $('pair-code').value.replace(/\D/g, '');
    app.device = await net.pair(code, $('pair-name').value.trim());
  } catch (e) {
    const detail = e instanceof net.ServerError ? e.message : t('pair.offline');
    status.textContent = t('pair.failed', { detail });
    $('pair-submit').disabled = false;
    return;
  }
  await navigator.storage?.persist?.().catch(() => false);
  history.replaceState(null, '', location.pathname + location.search);
  try {
    await net.pull(app.device, (count) => (status.textContent = t('pair.downloading', { count })));
    app.online = true;
  } catch {
    app.online = false; // paired; the download resumes from its cursor at the next sync
  }
  status.textContent = '';
  $('pair-submit').disabled = false;
  await showScanner();
  startSyncLoop();
}

async function showScanner() {
  ui.showSection('scanner');
  app.history = (await store.lastScans(HISTORY)).map((s) => ({ ...s }));
  const products = (await store.getMeta('products')) ?? [];
  for (const h of app.history) h.product = products.find((p) => p.no === h.product_no) ?? null;
  ui.renderHistory(app.history);
  await refreshStatus();
  $('entry').focus();
  app.ready = true;
}

// --- start ----------------------------------------------------------------------------------

function wire() {
  $('lang').onclick = async () => {
    setLang(lang() === 'uk' ? 'en' : 'uk');
    ui.renderHistory(app.history);
    if (app.device) await refreshStatus();
  };
  $('pair-form').onsubmit = submitPairing;
  $('camera').onclick = toggleCamera;
  $('torch').onclick = toggleTorch;
  $('entry').oninput = (e) => ui.numberHint(e.target.value);
  $('entry-form').onsubmit = (e) => {
    e.preventDefault();
    feedback.unlock();
    const input = $('entry');
    const text = input.value;
    input.value = '';
    ui.numberHint('');
    scan(text);
  };
  // A keyboard-wedge scanner types wherever the focus is: digits typed outside a field go to
  // the scan field (while the scanner screen is shown), so its Enter submits them there.
  addEventListener('keydown', (e) => {
    const inField = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
    if (inField || $('scanner').hidden || e.ctrlKey || e.altKey || e.metaKey || !/^[0-9]$/.test(e.key)) return;
    $('result').hidden = true;
    $('entry').focus();
  });
  addEventListener('online', () => sync());
  addEventListener('offline', () => {
    app.online = false;
    if (app.device) refreshStatus();
  });
}

async function start() {
  apply(document);
  wire();
  // Camera, service worker and WebCrypto exist only in a secure context (https:, localhost).
  $('insecure').hidden = self.isSecureContext;
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/scan/sw.js', { scope: '/scan' }).catch((e) => console.warn('no service worker', e));
  }
  app.device = (await store.getMeta('device')) ?? null;
  const code = new URLSearchParams(location.hash.slice(1)).get('pair');
  if (!app.device) {
    showPairing(code);
    app.ready = true;
    return;
  }
  if (code) history.replaceState(null, '', location.pathname + location.search);
  await showScanner();
  startSyncLoop();
}

function startSyncLoop() {
  sync();
  app.timer ??= setInterval(sync, SYNC_EVERY_MS);
}

start().catch((e) => {
  console.error('the scanner app could not start', e);
  document.body.dataset.error = String(e);
});
