// Box office keys and live figures. Plain ES module, no build step.
//   Alt+<digit>  one more ticket of the product with that key (the product's own, shown in its row)
//   Alt+G / Alt+K / Alt+M  pay by cash / card / cash + card      Alt+Backspace  clear all quantities
//   Enter        sell (the form's submit)                        the slot list refreshes seats every 5 s
// Keys are read by their physical position (e.code), so they work in any keyboard layout.
// The page works without this script; it only adds speed and live totals.

const form = document.getElementById('sale');
const money = (minor, lang, currency) => {
  const abs = Math.abs(minor);
  const units = Math.floor(abs / 100).toString();
  const cents = String(abs % 100).padStart(2, '0');
  const sep = lang === 'en' ? ',' : '\u00a0';
  const grouped = units.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
  const sign = minor < 0 ? '-' : '';
  if (lang === 'en') return `${sign}${currency} ${grouped}.${cents}`;
  return `${sign}${grouped},${cents}\u00a0${currency === 'UAH' ? 'грн' : currency}`;
};
const parseMoney = (raw) => {
  const clean = raw.replace(/[\s\u00a0]/g, '').replace(',', '.');
  if (!/^\d+(\.\d{0,2})?$/.test(clean)) return null;
  const [u, c = ''] = clean.split('.');
  return Number(u) * 100 + Number((c + '00').slice(0, 2));
};

// A sale goes by fetch, so that a node dying mid-sale does not lose it: the attempt (with
// the form's sale_key) is kept in localStorage until a node answers it. While this node
// is down the page keeps trying it; failover.js moves the page to the next node, where it
// is sent again. A node that made the order for that key answers with it; if two nodes
// that could not see each other both made one, a duplicate_sale finding lists both.
const PENDING = 'aspk.pending-sale';
const FRESH_MS = 60 * 1000;

function retrying() {
  let note = document.getElementById('retrying');
  if (!note) {
    note = document.createElement('p');
    note.id = 'retrying';
    note.className = 'error';
    note.setAttribute('role', 'status');
    note.textContent = form.dataset.retrying;
    form.prepend(note);
  }
  document.getElementById('sell').disabled = true;
}

async function attempt(fields) {
  const data = new URLSearchParams(fields);
  // The session's form token is this node's: take the one this page was given.
  data.set('csrf', form.querySelector('input[name="csrf"]')?.value || '');
  let res = null;
  try {
    res = await fetch(form.action, { method: 'POST', body: data, credentials: 'same-origin' });
  } catch { /* no answer: below */ }
  // No answer, or the node failed while deciding (5xx): the sale may or may not be made.
  if (!res || res.status >= 500) {
    retrying();
    setTimeout(() => retryWhenUp(fields), 1000);
    return;
  }
  localStorage.removeItem(PENDING);
  if (res.redirected) {
    location.assign(res.url);
    return;
  }
  // Refused (sold out, a typing mistake): nothing was sold. Send the form the plain way,
  // so the browser shows the page that says why, as it does without this script.
  restoreFields(fields);
  form.submit();
}

/** Puts a sale attempt's fields back in the form (never this page's anti-forgery token). */
function restoreFields(fields) {
  for (const [name, value] of new URLSearchParams(fields)) {
    if (name === 'csrf') continue;
    const input = form.querySelector(`[name="${CSS.escape(name)}"]:not([type="radio"])`);
    if (input) input.value = value;
    const radio = form.querySelector(`[type="radio"][name="${CSS.escape(name)}"][value="${CSS.escape(value)}"]`);
    if (radio) radio.checked = true;
  }
  form.dispatchEvent(new Event('input'));
}

async function retryWhenUp(fields) {
  if (self.aspkFailover?.movingTo) return;
  const pending = JSON.parse(localStorage.getItem(PENDING) || 'null');
  if (!pending || Date.now() - pending.at >= FRESH_MS) {
    // Too late to sell it by itself: the cashier sees the box office afresh and decides.
    localStorage.removeItem(PENDING);
    location.reload();
    return;
  }
  try {
    const res = await fetch('/healthz', { cache: 'no-store' });
    if (res.ok) return attempt(fields);
  } catch { /* still down: failover.js moves the page when another node answers */ }
  setTimeout(() => retryWhenUp(fields), 1000);
}

if (form) {
  const lang = form.dataset.lang;
  const total = document.getElementById('total');
  const change = document.getElementById('change');
  const tendered = document.getElementById('tendered');
  const mixedCash = document.getElementById('mixed_cash');
  const qtys = [...form.querySelectorAll('input.qty')];
  const radios = [...form.querySelectorAll('input[name="payment"]')];
  const method = () => radios.find((r) => r.checked)?.value || 'cash';
  const recompute = () => {
    const sum = qtys.reduce((acc, q) => acc + (Number(q.value) || 0) * Number(q.dataset.price), 0);
    total.textContent = money(sum, lang, total.dataset.currency);
    const given = parseMoney(tendered.value || '');
    // Cash due: all of it, or the cash part of a mixed payment; a card takes the exact amount.
    const due = method() === 'mixed' ? parseMoney(mixedCash.value || '') : sum;
    const show = method() !== 'card' && given !== null && due !== null;
    change.textContent = show ? money(given - due, lang, total.dataset.currency) : '—';
  };
  form.addEventListener('input', recompute);
  form.addEventListener('change', recompute);
  const choosePayment = (radio) => {
    radio.checked = true;
    recompute();
    const next = { cash: tendered, mixed: mixedCash }[radio.value] || document.getElementById('sell');
    next.focus();
  };
  document.addEventListener('keydown', (e) => {
    if (!e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.code === 'Backspace') {
      e.preventDefault();
      qtys.forEach((q) => { q.value = 0; });
      recompute();
      return;
    }
    const radio = radios.find((r) => r.dataset.key === e.code);
    if (radio) {
      e.preventDefault();
      choosePayment(radio);
      return;
    }
    if (!e.code.startsWith('Digit')) return;
    e.preventDefault();
    const q = qtys.find((x) => x.dataset.key === e.code.slice(5));
    if (q) { q.value = (Number(q.value) || 0) + 1; q.focus(); q.select(); }
    recompute();
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    // One sale per press: a double Enter must not sell twice.
    document.getElementById('sell').disabled = true;
    const fields = [...new FormData(form)].filter(([, v]) => typeof v === 'string');
    localStorage.setItem(PENDING, JSON.stringify({ fields, at: Date.now() }));
    attempt(fields);
  });
  // A sale this page's node did not answer is sent again here: the same sale_key finds the
  // order if the first attempt made it. One brought from another node (handoff.js) is
  // put back in the form for the cashier to check and send: a link cannot sell.
  const pending = JSON.parse(localStorage.getItem(PENDING) || 'null');
  if (pending && Date.now() - pending.at < FRESH_MS && !pending.handed) {
    retrying();
    attempt(pending.fields);
  } else if (pending && Date.now() - pending.at < FRESH_MS) {
    localStorage.removeItem(PENDING);
    restoreFields(pending.fields);
    const note = document.createElement('p');
    note.id = 'handed';
    note.className = 'error';
    note.setAttribute('role', 'alert');
    note.textContent = form.dataset.handed;
    form.prepend(note);
  } else {
    localStorage.removeItem(PENDING);
  }
  const slot = document.getElementById('slot');
  const refreshSeats = async () => {
    try {
      const url = `/api/v1/catalog?venue=${encodeURIComponent(form.dataset.venue)}&date=${form.dataset.date}&lang=${lang}`;
      const res = await fetch(url, { credentials: 'same-origin' });
      if (!res.ok) return;
      const body = await res.json();
      for (const s of body.slots) {
        const option = slot.querySelector(`option[value="${CSS.escape(s.id)}"]`);
        if (option && Number(option.dataset.left) !== s.available) {
          option.dataset.left = s.available;
          option.textContent = option.textContent.replace(/·.*$/, `· ${s.available}`);
        }
      }
    } catch { /* offline for a moment: keep the last figures */ }
  };
  setInterval(refreshSeats, 5000);
  recompute();
  // After a refused sale: the field the error is about, else the first quantity.
  const refused = form.querySelector('.field-error');
  const culprit = {
    'tendered-error': tendered, 'mixed_cash-error': mixedCash, 'slot-error': slot, 'payment-error': radios.find((r) => r.checked),
  }[refused?.id];
  (culprit || qtys[0] || slot).focus();
}

// The receipt of a browser-printer sale: Print opens the print dialog, then tells the server
// it was printed (that, not the sale, logs the print).
const printForm = document.getElementById('print-form');
if (printForm) {
  printForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try { document.getElementById('pdf').contentWindow.print(); } catch { /* no PDF viewer: the dialog of the page */ }
    const res = await fetch(printForm.action, { method: 'POST', body: new URLSearchParams(new FormData(printForm)), credentials: 'same-origin' });
    const status = document.getElementById('print-status');
    if (res.ok && status) {
      status.textContent = status.dataset.printed;
      status.className = 'ok';
    }
  });
}
