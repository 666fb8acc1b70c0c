// Live order list: new orders arrive by server-sent events and appear at the top at once,
// highlighted, with an optional beep. Paused while a search or day filter is shown.

const table = document.getElementById('orders');
const state = document.getElementById('live-state');
const sound = document.getElementById('sound');

const beep = () => {
  if (!sound || !sound.checked) return;
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    osc.frequency.value = 880;
    osc.connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.15);
  } catch { /* no audio device */ }
};

const rowFor = (o) => {
  const tr = document.createElement('tr');
  tr.dataset.number = o.number;
  tr.className = 'fresh';
  const cells = [o.number, o.created, o.channel, o.email, String(o.tickets), o.total, o.status];
  cells.forEach((text, i) => {
    const td = document.createElement('td');
    if (i === 0) {
      const a = document.createElement('a');
      a.href = o.href;
      a.className = 'number';
      a.textContent = text;
      td.appendChild(a);
    } else {
      td.textContent = text;
    }
    if (i === 4 || i === 5) td.className = 'num';
    if (i === 6) td.className = `status-${o.status_key}`;
    tr.appendChild(td);
  });
  return tr;
};

if (table && state && state.dataset.live === 'true') {
  const channelLabel = table.dataset.channel;
  const statusFilter = table.dataset.status;
  const events = new EventSource('/orders/events');
  events.addEventListener('open', () => state.classList.add('connected'));
  events.addEventListener('error', () => state.classList.remove('connected'));
  events.addEventListener('orders', (e) => {
    const rows = JSON.parse(e.data);
    const body = table.tBodies[0];
    let added = 0;
    for (const o of rows) {
      if (statusFilter && o.status_key !== statusFilter) continue;
      if (channelLabel && !o.href) continue;
      if (body.querySelector(`tr[data-number="${CSS.escape(o.number)}"]`)) continue;
      body.insertBefore(rowFor(o), body.firstChild);
      added += 1;
    }
    if (added > 0) {
      document.getElementById('no-orders')?.remove();
      beep();
    }
  });
}
