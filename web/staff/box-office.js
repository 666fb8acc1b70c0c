// Box office keys and live figures. Plain ES module, no build step.
//   Alt+1..9  one more ticket of the product in that row     Alt+0  clear all quantities
//   Enter     sell (the form's submit)                        the slot list refreshes seats every 5 s
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

if (form) {
  const lang = form.dataset.lang;
  const total = document.getElementById('total');
  const change = document.getElementById('change');
  const tendered = document.getElementById('tendered');
  const qtys = [...form.querySelectorAll('input.qty')];
  const recompute = () => {
    const sum = qtys.reduce((acc, q) => acc + (Number(q.value) || 0) * Number(q.dataset.price), 0);
    total.textContent = money(sum, lang, total.dataset.currency);
    const given = parseMoney(tendered.value || '');
    change.textContent = given === null ? '—' : money(given - sum, lang, total.dataset.currency);
  };
  form.addEventListener('input', recompute);
  document.addEventListener('keydown', (e) => {
    if (!e.altKey || e.ctrlKey || e.metaKey) return;
    const digit = e.code.startsWith('Digit') ? Number(e.code.slice(5)) : NaN;
    if (Number.isNaN(digit)) return;
    e.preventDefault();
    if (digit === 0) {
      qtys.forEach((q) => { q.value = 0; });
    } else {
      const q = qtys.find((x) => Number(x.dataset.key) === digit);
      if (q) { q.value = (Number(q.value) || 0) + 1; q.focus(); q.select(); }
    }
    recompute();
  });
  form.addEventListener('submit', () => {
    const button = document.getElementById('sell');
    // One sale per press: a double Enter must not sell twice.
    setTimeout(() => { button.disabled = true; }, 0);
  });
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
  (qtys[0] || slot).focus();
}

const printPdf = document.getElementById('print-pdf');
if (printPdf) {
  printPdf.addEventListener('click', () => document.getElementById('pdf').contentWindow.print());
}
