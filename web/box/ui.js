// What the screen shows: sections, the status bar, the slots and products of a sale, the
// shift's history with its refunds, the refund's confirmation, the closed shift's
// reconciliation and the full-screen ticket with its QR code. No decisions here; every text
// comes from the catalogue (i18n.js).
import { lang, t } from './i18n.js';
import qrcode from './vendor/qrcode/qrcode.mjs';
import { formatHumanNumber } from '../scan/verify.js';

const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';

const locale = () => (lang() === 'uk' ? 'uk-UA' : 'en-GB');

export function showSection(name) {
  document.body.dataset.section = name;
  for (const id of ['pairing', 'signin', 'desk']) $(id).hidden = id !== name;
}

// --- formatting -------------------------------------------------------------------------------

/** An amount in minor units as people read it: "1 250,00 грн". */
export function money(minor, currency = 'UAH') {
  try {
    return new Intl.NumberFormat(locale(), { style: 'currency', currency, minimumFractionDigits: 2 }).format(minor / 100);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency}`;
  }
}

/** An amount for an input field: "500,00" (uk) or "500.00". */
export function amountText(minor) {
  const s = (minor / 100).toFixed(2);
  return lang() === 'uk' ? s.replace('.', ',') : s;
}

function fmt(ms, tz, options) {
  try {
    return new Intl.DateTimeFormat(locale(), { timeZone: tz || undefined, ...options }).format(ms);
  } catch {
    return new Intl.DateTimeFormat(locale(), options).format(ms);
  }
}

const dayKey = (ms, tz) => fmt(ms, tz, { year: 'numeric', month: '2-digit', day: '2-digit' });

/** "14:00" for a slot today (venue time), "пт, 05.12 14:00" for another day. */
export function slotLabel(slot, tz) {
  if (!slot) return '';
  const ms = Date.parse(slot.starts_at ?? slot.slot_starts_at);
  const time = fmt(ms, tz, { hour: '2-digit', minute: '2-digit' });
  if (dayKey(ms, tz) === dayKey(Date.now(), tz)) return time;
  return `${fmt(ms, tz, { weekday: 'short', day: '2-digit', month: '2-digit' })} ${time}`;
}

function dayLabel(ms, tz) {
  const today = dayKey(Date.now(), tz);
  if (dayKey(ms, tz) === today) return t('day.today');
  if (dayKey(ms, tz) === dayKey(Date.now() + 86_400_000, tz)) return t('day.tomorrow');
  return fmt(ms, tz, { weekday: 'long', day: 'numeric', month: 'long' });
}

/** A moment as the venue's wall clock: "14:05:09". */
const clock = (ms, tz) => fmt(ms, tz, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export const productName = (p) => (p ? (lang() === 'en' ? p.name_en || p.name : p.name) : '');

export function humanNumber(serial) {
  try {
    return formatHumanNumber(serial);
  } catch {
    return String(serial);
  }
}

// --- status bar ---------------------------------------------------------------------------------

export function renderStatus({ online, endpoint, queue, leaseLeft, slot, tz, user, skewMs, refused }) {
  const net = $('net');
  net.textContent = t(online ? 'status.online' : 'status.offline');
  net.dataset.state = online ? 'online' : 'offline';
  let host = '';
  try {
    host = endpoint ? new URL(endpoint).host : '';
  } catch {
    host = endpoint ?? '';
  }
  $('endpoint').textContent = host ? t('status.endpoint', { host }) : t('status.endpoint.none');
  $('endpoint').dataset.endpoint = endpoint ?? '';
  $('queue').textContent = t('status.queue', { count: queue });
  $('queue').dataset.count = String(queue);
  $('lease').textContent = slot ? t('status.lease', { slot: slotLabel(slot, tz), count: Math.max(0, leaseLeft) }) : '';
  $('lease').dataset.left = slot ? String(Math.max(0, leaseLeft)) : '';
  $('user').textContent = user ? t('status.user', { user: user.username, role: t(`role.${user.role}`) }) : '';
  const off = Math.round(Math.abs(skewMs ?? 0) / 60_000);
  $('clock-warning').hidden = off < 2;
  $('clock-warning').textContent = t('status.clock', { minutes: off });
  // The server refused ops as forged: they never become durable, so say so plainly.
  $('refused-warning').hidden = !(refused > 0);
  $('refused-warning').textContent = t('status.refused', { count: refused ?? 0 });
}

// --- sale -----------------------------------------------------------------------------------------

/** Buttons per slot, by day: time and seats left; `leftOf(slot)` counts them. */
export function renderSlots(slots, selected, leftOf, tz, onPick) {
  const box = $('slots');
  box.replaceChildren();
  if (slots.length === 0) {
    const p = document.createElement('p');
    p.className = 'hint';
    p.textContent = t('sale.no_slots');
    box.append(p);
    return;
  }
  let day = null;
  let row = null;
  for (const slot of slots) {
    const ms = Date.parse(slot.starts_at);
    const key = dayKey(ms, tz);
    if (key !== day) {
      day = key;
      const h = document.createElement('h3');
      h.textContent = dayLabel(ms, tz);
      row = document.createElement('div');
      row.className = 'slot-row';
      box.append(h, row);
    }
    const left = Math.max(0, leftOf(slot));
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'slot';
    b.dataset.slot = slot.id;
    b.dataset.left = String(left);
    b.setAttribute('aria-pressed', String(slot.id === selected));
    const time = document.createElement('strong');
    time.textContent = fmt(ms, tz, { hour: '2-digit', minute: '2-digit' });
    const seats = document.createElement('small');
    seats.textContent = t('sale.slot.left', { count: left });
    b.append(time, seats);
    b.onclick = () => onPick(slot.id);
    row.append(b);
  }
}

/** A row per product: name, price, − quantity +. */
export function renderProducts(products, quantities, currency, onChange) {
  const box = $('products');
  box.replaceChildren();
  products.forEach((p, i) => {
    const row = document.createElement('div');
    row.className = 'product';
    row.dataset.product = p.id;
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = i < 9 ? `${i + 1}. ${productName(p)}` : productName(p);
    if (p.needs_document_check) {
      const doc = document.createElement('small');
      doc.textContent = lang() === 'en' ? p.document_en || p.document || '' : p.document || '';
      name.append(document.createElement('br'), doc);
    }
    const price = document.createElement('span');
    price.className = 'price';
    price.textContent = money(p.price_minor, p.currency || currency);
    const minus = document.createElement('button');
    minus.type = 'button';
    minus.className = 'step';
    minus.textContent = '−';
    minus.setAttribute('aria-label', t('sale.less', { product: productName(p) }));
    const qty = document.createElement('input');
    qty.id = `qty-${p.id}`;
    qty.className = 'qty';
    qty.inputMode = 'numeric';
    qty.value = String(quantities.get(p.id) ?? 0);
    qty.setAttribute('aria-label', t('sale.quantity', { product: productName(p) }));
    const plus = document.createElement('button');
    plus.type = 'button';
    plus.className = 'step';
    plus.textContent = '+';
    plus.setAttribute('aria-label', t('sale.more', { product: productName(p) }));
    const set = (n) => {
      const v = Math.max(0, Math.min(99, n));
      qty.value = String(v);
      onChange(p.id, v);
    };
    minus.onclick = () => set((quantities.get(p.id) ?? 0) - 1);
    plus.onclick = () => set((quantities.get(p.id) ?? 0) + 1);
    qty.oninput = () => onChange(p.id, Math.max(0, Math.min(99, parseInt(qty.value.replace(/\D/g, ''), 10) || 0)));
    qty.onfocus = () => qty.select();
    row.append(name, price, minus, qty, plus);
    box.append(row);
  });
}

export function setQuantity(productId, n) {
  const input = $(`qty-${productId}`);
  if (input) input.value = String(n);
}

export function renderTotal(count, total, currency) {
  $('total').textContent = count > 0 ? t('sale.total', { count, amount: money(total, currency) }) : t('sale.total.none');
}

/** A refusal under the sell button (empty: none); `override` shows the manager's button. */
export function saleMessage(text, override = false) {
  $('sale-message').hidden = !text;
  $('sale-message').textContent = text ?? '';
  $('override').hidden = !override;
}

// --- shift ----------------------------------------------------------------------------------------

export function renderShift({ shift, lastShift, figures, expected, counted, currency, user, sales, tz, durableSeq }) {
  $('shift-closed').hidden = Boolean(shift);
  $('sale-form').hidden = !shift;
  $('shift-open-panel').hidden = !shift;
  if (!shift) {
    $('last-shift').hidden = !lastShift;
    if (lastShift) {
      $('last-shift').textContent = t('shift.last', {
        time: clock(lastShift.closed_at, tz),
        expected: money(lastShift.expected_minor, lastShift.currency),
        counted: money(lastShift.counted_minor, lastShift.currency),
        difference: money(lastShift.counted_minor - lastShift.expected_minor, lastShift.currency),
      });
    }
    renderReconcile(lastShift, durableSeq);
    return;
  }
  $('shift-info').textContent = t('shift.info', {
    user: shift.user,
    time: clock(shift.opened_at, tz),
    float: money(shift.float_minor, shift.currency),
    sales,
  });
  $('shift-cash').textContent = money(figures.cash_minor, currency);
  $('shift-refunds').textContent =
    figures.refunds > 0 ? t('shift.refunds.value', { count: figures.refunds, amount: money(figures.refunds_minor, currency), cash: money(figures.cash_refunds_minor, currency) }) : '—';
  $('shift-refunds').dataset.minor = String(figures.refunds_minor);
  $('shift-refunds').dataset.cash = String(figures.cash_refunds_minor);
  $('shift-expected').textContent = money(expected, currency);
  $('shift-difference').textContent = counted === null ? '—' : money(counted - expected, currency);
  $('shift-difference').dataset.sign = counted === null ? '' : String(Math.sign(counted - expected));
  $('shift-close').disabled = shift.user !== user?.username && !['manager', 'admin'].includes(user?.role);
}

/**
 * The closed shift's figures as the device counted them, and whether the server holds every op
 * of the shift (`durableSeq` reaches its close): the server's Z report is counted from those
 * ops, but the device cannot read it, so "reconciled" says only that much.
 */
function renderReconcile(closed, durableSeq) {
  const box = $('reconcile');
  const f = closed?.figures;
  box.hidden = !f;
  if (!f) return;
  const cur = closed.currency;
  const set = (id, minor) => {
    $(id).textContent = money(minor, cur);
    $(id).dataset.minor = String(minor);
  };
  $('reconcile-orders').textContent = String(f.orders);
  set('reconcile-cash', f.cash_minor);
  set('reconcile-card', f.card_minor);
  set('reconcile-refunds', f.refunds_minor);
  set('reconcile-float', closed.float_minor);
  set('reconcile-expected', f.expected_minor);
  set('reconcile-counted', closed.counted_minor);
  set('reconcile-difference', closed.counted_minor - f.expected_minor);
  $('reconcile-difference').dataset.sign = String(Math.sign(closed.counted_minor - f.expected_minor));
  if (f.refunds > 0) $('reconcile-refunds').textContent = t('shift.refunds.value', { count: f.refunds, amount: money(f.refunds_minor, cur), cash: money(f.cash_refunds_minor, cur) });
  const first = Number.isSafeInteger(closed.open_seq) ? closed.open_seq : null;
  const done = durableSeq >= closed.close_seq;
  const state = $('reconcile-state');
  state.dataset.state = done ? 'reconciled' : 'waiting';
  if (done) {
    state.textContent = first === null ? t('reconcile.done') : t('reconcile.done.count', { count: closed.close_seq - first + 1 });
  } else {
    const left = closed.close_seq - Math.max(durableSeq, (first ?? 1) - 1);
    state.textContent = t('reconcile.waiting', { count: left });
  }
}

/**
 * The shift's sales, newest first. `uploaded(sale)`: the server holds it (and its refund);
 * `refundable(sale)`: the signed-in user may refund it here (a Refund button, `onRefund`).
 */
export function renderHistory(sales, { uploaded, refundable, tz, onOpen, onRefund }) {
  const body = $('history');
  body.replaceChildren();
  if (sales.length === 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 7;
    td.className = 'empty';
    td.textContent = t('history.empty');
    tr.append(td);
    body.append(tr);
    return;
  }
  for (const sale of sales) {
    const tr = document.createElement('tr');
    tr.dataset.number = String(sale.number);
    tr.dataset.uploaded = String(uploaded(sale));
    tr.dataset.refunded = String(Boolean(sale.refund));
    tr.tabIndex = 0;
    const state = [];
    if (sale.refund) state.push(t('history.refunded', { method: t(`history.method.${sale.refund.method}`) }));
    state.push(t(uploaded(sale) ? 'history.uploaded' : 'history.waiting'));
    if (sale.is_overbooking) state.push(t('history.override'));
    const cells = [
      humanNumber(sale.number),
      clock(sale.at_ms, tz),
      slotLabel({ starts_at: sale.slot_starts_at }, tz),
      String(sale.tickets.length),
      money(sale.total_minor, sale.currency),
      state.join(' · '),
    ];
    cells.forEach((text, i) => {
      const td = document.createElement('td');
      td.textContent = text;
      if (i === 3 || i === 4) td.className = 'num';
      if (i === 5) td.className = 'state';
      tr.append(td);
    });
    const action = document.createElement('td');
    action.className = 'action';
    if (refundable(sale)) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'refund';
      b.textContent = t('history.refund');
      b.setAttribute('aria-label', t('history.refund.aria', { number: humanNumber(sale.number) }));
      b.onclick = (e) => {
        e.stopPropagation();
        onRefund(sale);
      };
      action.append(b);
    }
    tr.append(action);
    tr.onclick = () => onOpen(sale);
    tr.onkeydown = (e) => {
      // Enter on the row itself (not on its Refund button) shows the tickets.
      if (e.key === 'Enter' && e.target === tr) {
        e.preventDefault();
        onOpen(sale);
      }
    };
    body.append(tr);
  }
}

/** A line over the history: what was just done (`kind` 'done') or why not ('error'); '' hides it. */
export function historyMessage(text, kind = 'done') {
  const el = $('history-message');
  el.hidden = !text;
  el.textContent = text ?? '';
  el.dataset.kind = kind;
}

/** A standing note under the history's title ('' hides it). */
export function historyNote(text) {
  $('history-note').hidden = !text;
  $('history-note').textContent = text ?? '';
}

// --- the refund's confirmation ----------------------------------------------------------------------

/** Asks to confirm the refund of `sale`: its tickets and the amount paid back, and how. */
export function showRefund(sale, products, tz) {
  $('refund-summary').textContent = t('refund.summary', {
    number: humanNumber(sale.number),
    time: clock(sale.at_ms, tz),
    slot: slotLabel({ starts_at: sale.slot_starts_at }, tz),
  });
  const list = $('refund-tickets');
  list.replaceChildren();
  for (const ticket of sale.tickets) {
    const li = document.createElement('li');
    li.dataset.serial = String(ticket.serial);
    const product = products.find((p) => p.id === ticket.product);
    li.textContent = `${humanNumber(ticket.serial)} · ${productName(product) || ticket.product} · ${money(ticket.price_minor, sale.currency)}`;
    list.append(li);
  }
  const amount = $('refund-amount');
  amount.textContent = t('refund.amount', {
    amount: money(sale.total_minor, sale.currency),
    count: sale.tickets.length,
    method: t(`refund.method.${sale.method}`),
  });
  amount.dataset.minor = String(sale.total_minor);
  $('refund').dataset.number = String(sale.number);
  $('refund-reason').value = '';
  refundMessage('');
  $('refund-confirm').disabled = false;
  $('refund').hidden = false;
  document.body.classList.add('showing-dialog');
  // Modal: nothing behind it takes the focus or a click meanwhile.
  document.querySelector('main').inert = true;
  $('refund-reason').focus();
}

export function refundMessage(text) {
  $('refund-message').hidden = !text;
  $('refund-message').textContent = text ?? '';
}

export function hideRefund() {
  $('refund').hidden = true;
  delete $('refund').dataset.number;
  document.body.classList.remove('showing-dialog');
  document.querySelector('main').inert = false;
}

export const refundShown = () => !$('refund').hidden;

// --- the ticket on screen ---------------------------------------------------------------------------

/** The QR code of `text` (digits) as an SVG element: numeric mode, level M, quiet zone 4. */
export function qrSvg(text) {
  const qr = qrcode(0, 'M');
  qr.addData(text, /^\d+$/.test(text) ? 'Numeric' : 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  const quiet = 4;
  let d = '';
  for (let r = 0; r < n; r++) {
    let c = 0;
    while (c < n) {
      if (!qr.isDark(r, c)) {
        c++;
        continue;
      }
      const start = c;
      while (c < n && qr.isDark(r, c)) c++;
      d += `M${start + quiet} ${r + quiet}h${c - start}v1h-${c - start}z`;
    }
  }
  const size = n + 2 * quiet;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('shape-rendering', 'crispEdges');
  svg.setAttribute('role', 'img');
  const bg = document.createElementNS(SVG, 'rect');
  bg.setAttribute('width', String(size));
  bg.setAttribute('height', String(size));
  bg.setAttribute('fill', '#fff');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000');
  svg.append(bg, path);
  svg.dataset.modules = String(n);
  return svg;
}

/** Shows ticket `index` of `sale` full screen. */
export function showTicket(sale, index, products, tz) {
  const ticket = sale.tickets[index];
  const product = products.find((p) => p.id === ticket.product);
  const box = $('ticket');
  const svg = qrSvg(ticket.code);
  svg.setAttribute('aria-label', t('ticket.qr', { number: humanNumber(ticket.serial) }));
  $('ticket-qr').replaceChildren(svg);
  $('ticket-number').textContent = humanNumber(ticket.serial);
  $('ticket-info').textContent = [
    sale.refund ? t('ticket.refunded') : '',
    productName(product) || ticket.product,
    slotLabel({ starts_at: sale.slot_starts_at }, tz),
    money(ticket.price_minor, sale.currency),
  ]
    .filter(Boolean)
    .join(' · ');
  // A refunded sale's tickets are void: shown for the record, never printed.
  $('ticket-print').hidden = Boolean(sale.refund);
  const many = sale.tickets.length > 1;
  $('ticket-index').textContent = many ? t('ticket.index', { n: index + 1, count: sale.tickets.length }) : '';
  $('ticket-prev').hidden = !many;
  $('ticket-next').hidden = !many;
  $('ticket-prev').disabled = index === 0;
  $('ticket-next').disabled = index === sale.tickets.length - 1;
  box.dataset.serial = String(ticket.serial);
  box.dataset.number = String(sale.number);
  box.dataset.index = String(index);
  box.dataset.refunded = String(Boolean(sale.refund));
  box.hidden = false;
  document.body.classList.add('showing-ticket');
  box.focus();
}

export function hideTicket() {
  $('ticket').hidden = true;
  document.body.classList.remove('showing-ticket');
}

export const ticketShown = () => !$('ticket').hidden;
