// The box-office device app: pairing, the cashier's sign-in, the cash shift, selling and
// refunding with or without a server. Each sale and refund is signed and stored durably here
// (sell.js) before it is shown, and handed to the server in the background whenever one
// answers (sync.js).
import * as db from './db.js';
import { apply, lang, setLang, t } from './i18n.js';
import * as printing from './printing.js';
import * as sell from './sell.js';
import * as net from './sync.js';
import * as ui from './ui.js';

const SYNC_EVERY_MS = 10_000;

const $ = (id) => document.getElementById(id);

const app = {
  ready: false,
  online: false,
  status: { online: false, endpoint: null, queue: 0, leaseLeft: null, lastSync: null, user: null, shift: null },
  /** Key press (or click) to QR code on screen, per sale, in ms (performance.now()). */
  saleTimings: [],
  sales: 0,
  lastSale: null,
  /** Refunds made since the page loaded, and the last one's sale. */
  refunds: 0,
  lastRefund: null,
  /** The refund being confirmed: {sale, busy, back (the element to focus after)}. */
  refunding: null,
  lastRefusal: null,
  slot: null,
  quantities: new Map(),
  productsKey: '',
  slotsKey: '',
  historyKey: '',
  net: { via: null, lastSync: null, skewMs: 0, refused: 0 },
  syncing: null,
  pending: null,
  selling: false,
  view: null,
  keyAt: null,
};

// Exposed for the browser tests and for support staff looking at the device.
self.aspkBox = app;
app.printing = printing.state;
app.sync = () => sync();

const tz = () => sell.synced()?.venue?.time_zone ?? 'Europe/Kyiv';
const currency = () => sell.synced()?.currency ?? 'UAH';

// --- status and sync ------------------------------------------------------------------------

async function readNet() {
  const m = await db.metas(['via', 'lastSync', 'skewMs', 'refused']);
  app.net = { via: m.via ?? null, lastSync: m.lastSync ?? null, skewMs: m.skewMs ?? 0, refused: m.refused ?? 0 };
}

function refreshStatus() {
  const slot = sell.slotById(app.slot);
  const user = sell.user();
  const left = slot ? sell.leaseLeft(slot) : null;
  app.status = {
    online: app.online,
    endpoint: app.net.via,
    queue: sell.queue(),
    leaseLeft: left === null ? null : Math.max(0, left),
    lastSync: app.net.lastSync,
    user: user?.username ?? null,
    role: user?.role ?? null,
    shift: sell.shift()?.id ?? null,
  };
  ui.renderStatus({
    online: app.online,
    endpoint: app.net.via,
    queue: app.status.queue,
    leaseLeft: left ?? 0,
    slot,
    tz: tz(),
    user,
    skewMs: app.net.skewMs,
    refused: app.net.refused,
  });
}

/** One sync round; a call while one runs gets the next round. Never throws. */
function sync() {
  if (app.syncing) {
    app.pending ??= app.syncing.then(() => {
      app.pending = null;
      return sync();
    });
    return app.pending;
  }
  if (!sell.device()) return Promise.resolve();
  app.syncing = round().finally(() => {
    app.syncing = null;
  });
  return app.syncing;
}

async function round() {
  let answer = null;
  const hadKey = Boolean(sell.synced()?.key);
  try {
    answer = await net.syncOnce();
    app.online = true;
  } catch (e) {
    if (e instanceof net.RevokedError) return wipe(t('wiped'));
    app.online = !(e instanceof net.OfflineError);
    if (app.online) console.warn('sync refused', e);
  }
  await sell.refresh();
  await readNet();
  // The key is gone (revoked or run out) and nothing is left to hand in: start afresh.
  if (answer && answer.key === null && hadKey && sell.queue() === 0) return wipe(t('wiped.key'));
  render();
}

async function wipe(message) {
  clearInterval(app.timer);
  app.timer = null;
  ui.hideTicket();
  app.refunding = null;
  ui.hideRefund();
  await db.wipe();
  sell.forget();
  app.quantities.clear();
  app.slot = null;
  app.productsKey = '';
  app.slotsKey = '';
  app.historyKey = '';
  showPairing(null, message);
}

function startSyncLoop() {
  sync();
  app.timer ??= setInterval(sync, SYNC_EVERY_MS);
}

/** Redraws what depends on the stored state (after a sync, a sale, a shift change). */
function render() {
  if (!sell.device()) return;
  if (document.body.dataset.section === 'desk') renderDesk();
  else refreshStatus();
}

// --- pairing and sign-in ----------------------------------------------------------------------

function showPairing(code, message) {
  ui.showSection('pairing');
  $('pair-code').value = code ?? '';
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(2)), (b) => b.toString(16).padStart(2, '0')).join('');
  $('pair-name').value ||= t('pair.name.default', { id: suffix.toUpperCase() });
  $('pair-message').hidden = !message;
  $('pair-message').textContent = message ?? '';
  $('pair-status').textContent = '';
  (code ? $('pair-submit') : $('pair-code')).focus();
  refreshStatus();
}

async function submitPairing(event) {
  event.preventDefault();
  const status = $('pair-status');
  $('pair-submit').disabled = true;
  status.textContent = t('pair.working');
  try {
    await net.pair($('pair-code').value.replace(/\D/g, ''), $('pair-name').value.trim());
  } catch (e) {
    const detail = e instanceof net.ServerError ? e.message : e instanceof net.OfflineError ? t('pair.offline') : e.message;
    status.textContent = t('pair.failed', { detail });
    $('pair-submit').disabled = false;
    return;
  }
  await navigator.storage?.persist?.().catch(() => false);
  history.replaceState(null, '', location.pathname + location.search);
  status.textContent = t('pair.syncing');
  await sell.load();
  await sync();
  status.textContent = '';
  $('pair-submit').disabled = false;
  showSignIn();
  startSyncLoop();
}

function showSignIn(message) {
  ui.showSection('signin');
  const d = sell.device();
  $('signin-device').textContent = d ? t('signin.device', { name: d.name, venue: sell.synced()?.venue?.name ?? d.venue }) : '';
  $('signin-status').textContent = message ?? '';
  $('password').value = '';
  $('username').focus();
  refreshStatus();
}

async function submitSignIn(event) {
  event.preventDefault();
  const status = $('signin-status');
  $('signin-submit').disabled = true;
  status.textContent = t('signin.working');
  try {
    const user = await net.signIn($('username').value.trim(), $('password').value);
    if (!sell.canSell(user)) {
      status.textContent = t('signin.role', { role: t(`role.${user.role}`) });
      return;
    }
    await db.setMeta({ user });
    await sell.refresh();
  } catch (e) {
    if (e instanceof net.OfflineError) status.textContent = t('signin.offline');
    else if (e instanceof net.ServerError && e.status === 401) status.textContent = t('signin.wrong');
    else status.textContent = t('error.server', { detail: e.message });
    return;
  } finally {
    $('password').value = '';
    $('signin-submit').disabled = false;
  }
  status.textContent = '';
  showDesk();
  sync();
}

async function signOut() {
  ui.historyMessage('');
  await db.setMeta({ user: undefined });
  await sell.refresh();
  showSignIn();
}

// --- the desk: shift, sale, history -------------------------------------------------------------

function showDesk() {
  ui.showSection('desk');
  renderDesk();
  focusSale();
}

function focusSale() {
  if (sell.shift()) {
    const first = document.querySelector('#products .qty');
    (first ?? $('sell')).focus();
  } else {
    $('float').focus();
  }
}

function chosenCount() {
  let n = 0;
  for (const q of app.quantities.values()) n += q;
  return n;
}

function renderTotal() {
  let total = 0;
  for (const p of sell.products()) total += (app.quantities.get(p.id) ?? 0) * p.price_minor;
  ui.renderTotal(chosenCount(), total, currency());
}

function renderDesk() {
  const shift = sell.shift();
  const counted = sell.parseAmount($('counted').value);
  const figures = sell.shiftFigures(shift);
  ui.renderShift({
    shift,
    lastShift: sell.lastShift(),
    figures,
    expected: figures.expected_minor,
    counted: $('counted').value.trim() ? counted : null,
    currency: currency(),
    user: sell.user(),
    sales: shift ? sell.salesOf(shift.id).length : 0,
    tz: tz(),
    durableSeq: sell.durableSeq(),
  });
  const slots = sell.slots();
  if (!slots.some((s) => s.id === app.slot)) {
    app.slot = (slots.find((s) => sell.leaseLeft(s) > 0) ?? slots[0])?.id ?? null;
    app.slotsKey = '';
  }
  // Redrawn only when something in them changed (a redraw would take the keyboard's focus).
  const slotsKey = JSON.stringify([lang(), new Date().getDate(), slots.map((s) => [s.id, sell.leaseLeft(s)])]);
  if (slotsKey !== app.slotsKey) {
    app.slotsKey = slotsKey;
    ui.renderSlots(slots, app.slot, (s) => sell.leaseLeft(s), tz(), pickSlot);
  }
  const products = sell.products();
  const key = JSON.stringify([lang(), products.map((p) => [p.id, p.price_minor, p.name, p.name_en])]);
  if (key !== app.productsKey) {
    app.productsKey = key;
    for (const id of app.quantities.keys()) if (!products.some((p) => p.id === id)) app.quantities.delete(id);
    ui.renderProducts(products, app.quantities, currency(), setQuantity);
  }
  renderTotal();
  if (shift) {
    const sales = sell.salesOf(shift.id);
    const user = sell.user();
    const historyKey = JSON.stringify([
      lang(),
      shift.id,
      user?.username,
      sales.map((sale) => [sale.number, sell.isUploaded(sale), sell.isRefunded(sale), sell.canRefund(sale)]),
    ]);
    if (historyKey !== app.historyKey) {
      app.historyKey = historyKey;
      ui.renderHistory(sales, {
        uploaded: sell.isUploaded,
        refundable: sell.canRefund,
        tz: tz(),
        onOpen: (sale) => openTicket(sale, 0),
        onRefund: askRefund,
      });
    }
    ui.historyNote(refundNote(shift, sales, user));
  } else {
    ui.historyMessage('');
  }
  refreshStatus();
}

/**
 * Why the signed-in user sees no Refund button on sales of the open shift, when some sale
 * would have one for the one who opened it: a cashier's own sales only, and a refund goes
 * through the refunder's own shift.
 */
function refundNote(shift, sales, user) {
  if (!user || shift.user === user.username) return '';
  if (!sales.some((sale) => !sell.isRefunded(sale))) return '';
  return t(sell.canOverride(user) ? 'history.refund.shift' : 'history.refund.other', { user: shift.user });
}

// --- refunds --------------------------------------------------------------------------------------

function askRefund(sale) {
  const why = sell.refundRefusal(sale);
  if (why) {
    ui.historyMessage(refusalText(why), 'error');
    return;
  }
  ui.historyMessage('');
  app.refunding = { sale, busy: false, back: document.activeElement };
  ui.showRefund(sale, sell.products(), tz());
}

function closeRefund() {
  // Already being stored: it goes through (the message says so when it is).
  if (app.refunding?.busy) return;
  const back = app.refunding?.back;
  app.refunding = null;
  ui.hideRefund();
  if (back instanceof HTMLElement && back.isConnected) back.focus();
  else focusSale();
}

async function confirmRefund(event) {
  event?.preventDefault();
  const r = app.refunding;
  if (!r || r.busy) return;
  r.busy = true;
  $('refund-confirm').disabled = true;
  ui.refundMessage('');
  let sale;
  try {
    sale = await sell.refund(r.sale.number, $('refund-reason').value.trim() || t('refund.reason.default'));
  } catch (e) {
    r.busy = false;
    $('refund-confirm').disabled = false;
    if (!(e instanceof sell.Refused)) console.error('the refund could not be stored', e);
    ui.refundMessage(e instanceof sell.Refused ? refusalText(e) : t('refund.failed', { detail: e.message }));
    return;
  }
  // Stored durably: now the cashier hands the money back.
  app.refunding = null;
  ui.hideRefund();
  app.refunds += 1;
  app.lastRefund = sale;
  if (app.view?.sale.number === sale.number) app.view = { ...app.view, sale };
  ui.historyMessage(
    t('refund.done', {
      number: ui.humanNumber(sale.number),
      amount: ui.money(sale.refund.amount_minor, sale.currency),
      method: t(`refund.method.${sale.refund.method}`),
    }),
  );
  renderDesk();
  focusSale();
  sync();
}

function pickSlot(id) {
  app.slot = id;
  ui.saleMessage('');
  for (const b of document.querySelectorAll('#slots .slot')) b.setAttribute('aria-pressed', String(b.dataset.slot === id));
  refreshStatus();
}

function setQuantity(productId, n) {
  if (n > 0) app.quantities.set(productId, n);
  else app.quantities.delete(productId);
  ui.saleMessage('');
  renderTotal();
}

function refusalText(e) {
  const vars = { ...e.vars };
  if (vars.slot) vars.slot = ui.slotLabel(vars.slot, tz());
  if (vars.role) vars.role = t(`role.${vars.role}`);
  // Some seats left, fewer than asked for: say so (the limit is not used up).
  const key = e.reason === 'lease' && vars.left > 0 ? 'refused.lease.short' : `refused.${e.reason}`;
  return t(key, vars);
}

const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));

async function submitSale(event, override = false) {
  event?.preventDefault();
  const at = event?.timeStamp ?? performance.now();
  // The Enter key that submitted the form, when it was one.
  const t0 = app.keyAt !== null && at - app.keyAt < 1_000 ? app.keyAt : at;
  app.keyAt = null;
  if (app.selling) return;
  app.selling = true;
  ui.saleMessage('');
  let sale;
  try {
    sale = await sell.sell({
      slotId: app.slot,
      lines: [...app.quantities].map(([product, quantity]) => ({ product, quantity })),
      method: $('pay-card').checked ? 'card' : 'cash',
      email: $('email').value,
      override,
    });
  } catch (e) {
    app.selling = false;
    if (e instanceof sell.Refused) {
      app.lastRefusal = { reason: e.reason, text: refusalText(e), at: Date.now(), error: e };
      ui.saleMessage(app.lastRefusal.text, e.reason === 'lease' && e.vars.canOverride);
      if (e.reason === 'lease' && e.vars.canOverride) $('override').focus();
    } else {
      console.error('the sale could not be stored', e);
      app.lastRefusal = { reason: 'failed', text: t('refused.failed', { detail: e.message }), at: Date.now() };
      ui.saleMessage(app.lastRefusal.text);
    }
    return;
  }
  // Stored durably: now the visitor gets the ticket.
  app.quantities.clear();
  for (const p of sell.products()) ui.setQuantity(p.id, 0);
  $('email').value = '';
  openTicket(sale, 0);
  await nextFrame();
  app.saleTimings.push(performance.now() - t0);
  app.lastSale = sale;
  app.sales += 1;
  app.selling = false;
  renderDesk();
  printing.afterSale(sale);
  sync();
}

function openTicket(sale, index) {
  app.view = { sale, index };
  ui.showTicket(sale, index, sell.products(), tz());
}

function closeTicket() {
  app.view = null;
  ui.hideTicket();
  focusSale();
}

function stepTicket(delta) {
  if (!app.view) return;
  const index = app.view.index + delta;
  if (index < 0 || index >= app.view.sale.tickets.length) return;
  openTicket(app.view.sale, index);
}

async function submitOpenShift(event) {
  event.preventDefault();
  const message = $('shift-open-status');
  message.hidden = true;
  const amount = sell.parseAmount($('float').value);
  try {
    if (amount === null) throw new sell.Refused('amount');
    await sell.openShift(amount);
  } catch (e) {
    message.textContent = e instanceof sell.Refused ? refusalText(e) : t('refused.failed', { detail: e.message });
    message.hidden = false;
    return;
  }
  $('float').value = '';
  renderDesk();
  focusSale();
  sync();
}

function resetCloseConfirm() {
  const form = $('shift-close-form');
  delete form.dataset.confirm;
  $('shift-close').textContent = t('shift.close');
}

async function submitCloseShift(event) {
  event.preventDefault();
  const message = $('shift-close-status');
  message.hidden = true;
  const counted = sell.parseAmount($('counted').value);
  const form = $('shift-close-form');
  try {
    if (counted === null) throw new sell.Refused('amount');
    if (!form.dataset.confirm) {
      // First press: ask, with the figures in view; the second closes.
      form.dataset.confirm = '1';
      const expected = sell.expectedCash();
      $('shift-close').textContent = t('shift.close.confirm', { difference: ui.money(counted - expected, currency()) });
      renderDesk();
      return;
    }
    await sell.closeShift(counted, $('note').value);
  } catch (e) {
    resetCloseConfirm();
    message.textContent = e instanceof sell.Refused ? refusalText(e) : t('refused.failed', { detail: e.message });
    message.hidden = false;
    return;
  }
  resetCloseConfirm();
  $('counted').value = '';
  $('note').value = '';
  renderDesk();
  $('float').focus();
  sync();
}

// --- start ----------------------------------------------------------------------------------------

function onKey(e) {
  if (ui.refundShown()) {
    // Enter confirms (on the Cancel button: cancels), Esc cancels; typing goes to the reason.
    if (e.key === 'Escape') {
      e.preventDefault();
      closeRefund();
    } else if (e.key === 'Enter' && !e.repeat) {
      e.preventDefault();
      if (e.target === $('refund-cancel')) closeRefund();
      else confirmRefund();
    }
    return;
  }
  if (ui.ticketShown()) {
    if (e.repeat) return;
    if (e.key === 'Escape' || e.key === 'Enter') {
      e.preventDefault();
      closeTicket();
    } else if (e.key === 'ArrowRight' || e.key === 'PageDown') {
      e.preventDefault();
      stepTicket(1);
    } else if (e.key === 'ArrowLeft' || e.key === 'PageUp') {
      e.preventDefault();
      stepTicket(-1);
    } else if (printing.isPrintKey(e)) {
      e.preventDefault();
      // A refunded sale's tickets are void: never printed.
      if (!app.view?.sale?.refund) printing.printSale(app.view?.sale);
    }
    return;
  }
  if (document.body.dataset.section !== 'desk' || $('sale-form').hidden) return;
  if (e.key === 'Enter' && e.target instanceof Node && $('sale-form').contains(e.target)) {
    app.keyAt = e.timeStamp;
    return;
  }
  const inField = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
  if (inField || e.ctrlKey || e.altKey || e.metaKey) return;
  // Digits pick ticket types (one more each press); Enter sells.
  if (/^[1-9]$/.test(e.key)) {
    const p = sell.products()[Number(e.key) - 1];
    if (!p) return;
    e.preventDefault();
    const n = Math.min(99, (app.quantities.get(p.id) ?? 0) + 1);
    ui.setQuantity(p.id, n);
    setQuantity(p.id, n);
  } else if (e.key === 'Enter' && (e.target === document.body || e.target === document.documentElement)) {
    e.preventDefault();
    app.keyAt = e.timeStamp;
    submitSale(e);
  }
}

function wire() {
  $('lang').onclick = () => {
    setLang(lang() === 'uk' ? 'en' : 'uk');
    app.productsKey = '';
    app.slotsKey = '';
    app.historyKey = '';
    resetCloseConfirm();
    ui.historyMessage('');
    render();
    if (app.refunding && !app.refunding.busy) {
      const reason = $('refund-reason').value;
      ui.showRefund(app.refunding.sale, sell.products(), tz());
      $('refund-reason').value = reason;
    }
    // A refusal on screen, in the new language.
    const refusal = app.lastRefusal?.error;
    if (refusal && !$('sale-message').hidden) ui.saleMessage(refusalText(refusal), !$('override').hidden);
    if (app.view) openTicket(app.view.sale, app.view.index);
    printing.render();
  };
  $('pair-form').onsubmit = submitPairing;
  $('signin-form').onsubmit = submitSignIn;
  $('sale-form').onsubmit = (e) => submitSale(e);
  $('override').onclick = (e) => submitSale(e, true);
  $('shift-open-form').onsubmit = submitOpenShift;
  $('shift-close-form').onsubmit = submitCloseShift;
  $('counted').oninput = () => {
    resetCloseConfirm();
    renderDesk();
  };
  $('note').oninput = resetCloseConfirm;
  $('sign-out').onclick = signOut;
  $('sync-now').onclick = () => sync();
  $('ticket-close').onclick = closeTicket;
  $('ticket-prev').onclick = () => stepTicket(-1);
  $('ticket-next').onclick = () => stepTicket(1);
  $('refund-form').onsubmit = confirmRefund;
  $('refund-cancel').onclick = closeRefund;
  printing.wire({ view: () => app.view, synced: sell.synced });
  addEventListener('keydown', onKey, true);
  addEventListener('online', () => sync());
  addEventListener('offline', () => {
    app.online = false;
    render();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') sync();
  });
}

async function start() {
  apply(document);
  wire();
  // Keys, the service worker and persistent storage exist only in a secure context.
  $('insecure').hidden = self.isSecureContext;
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker
      .register('/box-office/device/sw.js', { scope: '/box-office/device/' })
      .catch((e) => console.warn('no service worker', e));
  }
  await sell.load();
  await readNet();
  const code = new URLSearchParams(location.hash.slice(1)).get('pair');
  if (!sell.device()) {
    showPairing(code);
    app.ready = true;
    return;
  }
  if (code) history.replaceState(null, '', location.pathname + location.search);
  if (sell.user()) showDesk();
  else showSignIn();
  app.ready = true;
  startSyncLoop();
}

start().catch((e) => {
  console.error('the box-office app could not start', e);
  document.body.dataset.error = String(e);
});
