// Printing sold tickets at the box office: the Printer panel of the desk (connection, port speed,
// printing after each sale), the Print button and the P key of the ticket screen. The tickets
// carry what the server's thermal tickets carry (aspk_app::print::ticket_doc: both languages,
// the venue's time), rendered by escpos.js and sent by printer.js. Printing never touches a sale:
// the sale is durable before it starts, and a failure is only a message.
import { t } from './i18n.js';
import uk from './messages/uk.js';
import en from './messages/en.js';
import { ticketsEscpos } from './escpos.js';
import * as printer from './printer.js';
import { formatHumanNumber } from '../scan/verify.js';

const $ = (id) => document.getElementById(id);

/** What printing did last, for the screen and the tests: {number, ok, count, reason, bytes}. */
export const state = { busy: 0, last: null, jobs: 0 };

// --- the ticket as printed ----------------------------------------------------------------------------

const fill = (text, vars) => text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));

/** "uk / en" as the server's `both`: one of them when the other is empty or the same. */
function both(ukText, enText) {
  return !enText || ukText === enText ? ukText : `${ukText} / ${enText}`;
}

/** A catalogue text in both languages, as the server prints its tickets ("Квиток / Ticket"). */
const bilingual = (key, ukVars = {}, enVars = ukVars) => both(fill(uk[key] ?? key, ukVars), fill(en[key] ?? uk[key] ?? key, enVars));

function human(serial) {
  try {
    return formatHumanNumber(serial);
  } catch {
    return String(serial);
  }
}

/** An amount as Rust's `Money::display("uk")`: "1 250,00 грн" with no-break spaces. */
function priceUk(minor, currency) {
  const abs = Math.abs(minor);
  const units = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0');
  const symbol = uk[`print.ticket.currency.${currency}`] ?? currency;
  return `${minor < 0 ? '-' : ''}${units},${String(abs % 100).padStart(2, '0')}\u00a0${symbol}`;
}

/** "05.12.2026 10:00–11:00" in the venue's zone, as `aspk_app::print::ticket_when`. */
function when(startsAt, endsAt, tz) {
  const parts = (ms) => {
    let f;
    try {
      f = new Intl.DateTimeFormat('en-GB', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    } catch {
      f = new Intl.DateTimeFormat('en-GB', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    }
    return Object.fromEntries(f.formatToParts(ms).map((p) => [p.type, p.value]));
  };
  const a = parts(Date.parse(startsAt));
  const b = parts(Date.parse(endsAt));
  return `${a.day}.${a.month}.${a.year} ${a.hour}:${a.minute}–${b.hour}:${b.minute}`;
}

/** The tickets of `sale` as escpos.js takes them (Rust's TicketDoc), from the synced catalogue. */
export function saleDocs(sale, sync) {
  const venue = sync?.venue ?? {};
  const tz = venue.time_zone || 'Europe/Kyiv';
  return sale.tickets.map((ticket) => {
    const product = (sync?.products ?? []).find((p) => p.id === ticket.product) ?? { name: ticket.product };
    const document = product.document || null;
    return {
      code: ticket.code,
      number: human(ticket.serial),
      title: bilingual('print.ticket.title'),
      venue: both(venue.name ?? '', venue.name_en ?? ''),
      lines: [
        [bilingual('print.ticket.category'), both(product.name ?? '', product.name_en ?? '')],
        [bilingual('print.ticket.time'), when(sale.slot_starts_at, sale.slot_ends_at, tz)],
        [bilingual('print.ticket.price'), priceUk(ticket.price_minor, sale.currency)],
        [bilingual('print.ticket.order'), human(sale.number)],
      ],
      notice: document ? bilingual('print.ticket.document', { document }, { document: product.document_en || document }) : null,
      footer: bilingual('print.ticket.footer'),
    };
  });
}

// --- the screen -----------------------------------------------------------------------------------------

let syncedOf = () => null;
let viewOf = () => null;

function printerStatus(text) {
  const el = $('printer-status');
  if (el) el.textContent = text;
}

function ticketStatus(text, number) {
  const el = $('ticket-print-status');
  if (!el) return;
  el.textContent = text;
  el.hidden = !text;
  el.dataset.number = number === undefined ? '' : String(number);
}

const errorText = (e) =>
  e instanceof printer.PrinterError ? t(`print.error.${e.reason}`, { detail: '', ...e.vars }) : t('print.error.failed', { detail: e?.message ?? String(e) });

function renderPanel() {
  const s = printer.settings();
  $('printer-kind').value = s.kind;
  $('printer-baud').value = String(s.baudRate);
  $('printer-baud-row').hidden = s.kind !== 'serial';
  $('printer-auto').checked = s.auto;
  const now = printer.current();
  $('printer-disconnect').hidden = !now;
  $('printer-open').dataset.connected = String(Boolean(now));
  printerStatus(now ? t('printer.status.connected', { name: now.name }) : t('printer.status.none'));
}

async function connectClicked() {
  const kind = $('printer-kind').value;
  const baudRate = Number($('printer-baud').value);
  printer.saveSettings({ kind, baudRate });
  // No await before connect(): its device chooser needs this click.
  const connecting = printer.connect(kind, { baudRate });
  printerStatus(t('printer.status.connecting'));
  try {
    await connecting;
    renderPanel();
  } catch (e) {
    printerStatus(errorText(e));
  }
}

/**
 * Prints every ticket of `sale`. Resolves (never rejects) to whether it printed; the outcome is
 * shown on the ticket screen and in the printer panel.
 */
export async function printSale(sale) {
  if (!sale) return false;
  const count = sale.tickets.length;
  state.busy += 1;
  state.jobs += 1;
  ticketStatus(t('print.working', { count }), sale.number);
  let bytes;
  try {
    bytes = await ticketsEscpos(saleDocs(sale, syncedOf()));
  } catch (e) {
    console.error('the tickets could not be rendered', e);
    return done(sale, { ok: false, reason: 'render', text: t('print.failed', { reason: t('print.error.render', { detail: e?.message ?? String(e) }) }) });
  }
  try {
    await printer.send(bytes);
  } catch (e) {
    console.warn('printing failed', e);
    return done(sale, { ok: false, reason: e?.reason ?? 'failed', text: t('print.failed', { reason: errorText(e) }) });
  }
  return done(sale, { ok: true, bytes: bytes.length, text: t('print.done', { count }) });
}

function done(sale, { ok, reason = null, bytes = 0, text }) {
  state.busy -= 1;
  state.last = { number: sale.number, ok, reason, bytes, count: sale.tickets.length, text };
  // Only over the sale it is about (the cashier may have opened another meanwhile).
  if (viewOf()?.sale?.number === sale.number || $('ticket').hidden) ticketStatus(text, sale.number);
  renderPanel();
  if (!ok) printerStatus(text);
  return ok;
}

/** After a sale is stored and shown: prints it when the cashier chose so. Never throws. */
export function afterSale(sale) {
  if (!printer.settings().auto) return;
  printSale(sale).catch((e) => console.error('printing after the sale', e));
}

/** P (any layout: the key's place) on the ticket screen prints its sale. */
export const isPrintKey = (e) => !e.ctrlKey && !e.altKey && !e.metaKey && (e.code === 'KeyP' || e.key === 'p' || e.key === 'P');

/** The ticket on screen changed: an old sale's print status goes. */
function ticketShown() {
  const el = $('ticket-print-status');
  const number = $('ticket').dataset.number;
  if (el && el.dataset.number !== number) ticketStatus('');
}

/**
 * Wires the printer panel and the Print button. `view()`: the ticket screen's {sale, index} or
 * null; `synced()`: the synced catalogue (venue, products).
 */
export function wire({ view, synced }) {
  viewOf = view;
  syncedOf = synced;
  $('printer-open').onclick = () => {
    const panel = $('printer-panel');
    panel.hidden = !panel.hidden;
    if (!panel.hidden) {
      renderPanel();
      panel.scrollIntoView?.({ block: 'nearest' });
    }
  };
  $('printer-kind').onchange = () => {
    printer.saveSettings({ kind: $('printer-kind').value });
    renderPanel();
  };
  $('printer-baud').onchange = () => printer.saveSettings({ baudRate: Number($('printer-baud').value) });
  $('printer-auto').onchange = () => printer.saveSettings({ auto: $('printer-auto').checked });
  $('printer-connect').onclick = connectClicked;
  $('printer-disconnect').onclick = () => printer.disconnect().then(renderPanel);
  $('ticket-print').onclick = () => printSale(viewOf()?.sale);
  new MutationObserver(ticketShown).observe($('ticket'), { attributes: true, attributeFilter: ['data-number'] });
  printer.onChange(() => renderPanel());
  renderPanel();
  // The printer used last time, when the browser still allows it (no chooser needed).
  printer.reconnect().then(renderPanel, () => {});
}

/** Texts that depend on the language (after a switch). */
export const render = () => renderPanel();
