// What the screen shows: the status bar, the full-screen result, the last scans and the hint
// under the number field. No decisions here; texts come from the catalogue (i18n.js).
import { lang, t } from './i18n.js';
import { formatHumanNumber, isTypedNumber, parseHumanNumber, verhoeffIsValid } from './verify.js';

const $ = (id) => document.getElementById(id);

const RESULT_MS = { admit: 1_800, check: 4_000, deny: 4_000 };

export function showSection(name) {
  document.body.dataset.section = name;
  for (const id of ['pairing', 'scanner']) $(id).hidden = id !== name;
}

const time = (ms) => new Date(ms).toLocaleTimeString(lang() === 'uk' ? 'uk-UA' : 'en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function renderStatus({ online, queue, lastSync, tickets, skewMs, via }) {
  const net = $('net');
  net.textContent = t(online ? 'status.online' : 'status.offline');
  net.dataset.state = online ? 'online' : 'offline';
  $('queue').textContent = t('status.queue', { count: queue });
  $('queue').dataset.count = String(queue);
  const synced = lastSync ? t('status.synced', { time: time(lastSync) }) : t('status.never');
  // Synced through another node than the one that served the app (its own is down).
  const other = via && via !== location.origin ? ` ${t('status.via', { host: new URL(via).host })}` : '';
  $('synced').textContent = synced + other;
  $('synced').dataset.via = via ?? '';
  $('count').textContent = t('status.tickets', { count: tickets });
  const off = Math.round(Math.abs(skewMs ?? 0) / 60_000);
  $('clock-warning').hidden = off < 2;
  $('clock-warning').textContent = t('status.clock', { minutes: off });
}

/** admit | check | deny for a decision. */
export function kindOf(d) {
  if (d.result === 'admit') return d.document !== null && d.document !== undefined ? 'check' : 'admit';
  return 'deny';
}

const productName = (p) => (p ? (lang() === 'en' ? p.name_en : p.name) : '');

function reasonText(d) {
  if (d.result === 'admit' && kindOf(d) === 'check') {
    const doc = lang() === 'en' ? d.product?.document_en : d.product?.document;
    return doc ? t('reason.document', { document: doc }) : t('reason.document.any');
  }
  if (d.result === 'already_used' && d.first?.gate) {
    return t('reason.already_used.at', { time: time(Date.parse(d.first.at)), gate: d.first.gate });
  }
  if (d.result === 'not_valid_yet' && d.validFrom) return t('reason.not_valid_yet.from', { time: d.validFrom });
  return t(`reason.${d.reason ?? d.result}`);
}

function ticketLine(d) {
  if (d.serial === undefined) return '';
  const parts = [formatHumanNumber(d.serial)];
  if (d.product) parts.push(productName(d.product));
  return parts.join(' · ');
}

let hideTimer = null;

export function showResult(d, onClose) {
  const kind = kindOf(d);
  const box = $('result');
  box.dataset.kind = kind;
  box.dataset.result = d.result;
  $('result-word').textContent = t(kind === 'admit' ? 'result.admit' : kind === 'check' ? 'result.check' : 'result.deny');
  $('result-reason').textContent = reasonText(d);
  $('result-ticket').textContent = ticketLine(d);
  box.hidden = false;
  clearTimeout(hideTimer);
  const close = () => {
    clearTimeout(hideTimer);
    box.hidden = true;
    box.onclick = null;
    onClose?.();
  };
  box.onclick = close;
  hideTimer = setTimeout(close, RESULT_MS[kind]);
  return kind;
}

export function renderHistory(items) {
  const list = $('history');
  list.replaceChildren();
  if (items.length === 0) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = t('scan.empty');
    list.append(li);
    return;
  }
  for (const d of items) {
    const li = document.createElement('li');
    li.dataset.kind = kindOf(d);
    li.dataset.result = d.result;
    const when = document.createElement('time');
    when.textContent = time(d.at_ms);
    const what = document.createElement('span');
    what.textContent = [reasonText(d), ticketLine(d)].filter(Boolean).join(' — ');
    li.append(when, what);
    list.append(li);
  }
}

/** The hint under the field while a ticket number is typed: how many digits left, check digit. */
export function numberHint(text) {
  const hint = $('entry-hint');
  hint.dataset.state = '';
  if (!isTypedNumber(text)) {
    hint.textContent = '';
    return;
  }
  const digits = text.replace(/[^0-9]/g, '');
  if (digits.length < 12) {
    hint.textContent = t('scan.number.more', { count: 12 - digits.length });
    return;
  }
  let ok = verhoeffIsValid(digits);
  try {
    parseHumanNumber(digits);
  } catch {
    ok = false;
  }
  hint.textContent = t(ok ? 'scan.number.ok' : 'scan.number.bad');
  hint.dataset.state = ok ? 'ok' : 'bad';
}
