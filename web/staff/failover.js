// Endpoint failover for every staff page. Plain ES module, no build step.
// The server lists the endpoints in order of preference (data-endpoints: this node, its
// upstreams, the route the page arrived along); nothing from a link or from storage.
// The page fetches a one-time handoff code for each other endpoint from its own node
// (/session/handoffs, bound to that endpoint; renewed every few minutes, kept in memory
// only). It checks its own node every 0.7 s; after two failures in a row (within 3 s of
// the node dying) it moves to the first other endpoint that answers, through that
// endpoint's /handoff with its code. On a less preferred endpoint it keeps looking for a
// more preferred one, and moves back as soon as one answers, unless a sale is being typed.
// The path badge says when it is on a fallback. The session token never leaves its cookie.

const EVERY_MS = 700;
const PROBE_MS = 800;
const CODES_EVERY_MS = 4 * 60 * 1000;

const body = document.body;
const here = location.origin;
const endpoints = JSON.parse(body.dataset.endpoints || '[]').map((u) => u.replace(/\/$/, ''));
const rank = endpoints.indexOf(here);
/** Handoff codes by endpoint address. */
let codes = {};

async function fetchCodes() {
  try {
    const res = await fetch('/session/handoffs', { credentials: 'same-origin', cache: 'no-store' });
    if (res.ok) {
      const got = await res.json();
      const next = {};
      for (const e of got.endpoints) {
        const code = got.codes[e.audience];
        if (code) next[e.url.replace(/\/$/, '')] = code;
      }
      codes = next;
    }
  } catch { /* this node is away: keep the codes fetched before */ }
}

/** Whether `url` answers: its own node must say healthy; another need only be reachable. */
async function answers(url) {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), PROBE_MS);
  try {
    const same = url === here;
    const res = await fetch(`${url}/healthz`, {
      mode: same ? 'same-origin' : 'no-cors', cache: 'no-store', signal: stop.signal,
    });
    return !same || res.ok;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Something typed that a move would lose: quantities or cash tendered at the box office. */
function busy() {
  const qty = [...document.querySelectorAll('input.qty')].some((q) => Number(q.value) > 0);
  return qty || Boolean(document.getElementById('tendered')?.value);
}

function moveTo(url) {
  const params = new URLSearchParams({
    code: codes[url] || '',
    next: location.pathname + location.search,
  });
  // A sale this node did not answer goes along, to be sent again there (box-office.js).
  const sale = localStorage.getItem('aspk.pending-sale');
  if (sale) {
    params.set('pending_sale', sale);
    localStorage.removeItem('aspk.pending-sale');
  }
  self.aspkFailover.movingTo = url;
  location.replace(`${url}/handoff#${params}`);
}

async function firstAnswering(candidates) {
  for (const url of candidates) {
    if (url !== here && codes[url] && (await answers(url))) return url;
  }
  return null;
}

let failures = 0;
async function check() {
  if (await answers(here)) {
    failures = 0;
    if (rank > 0 && !busy()) {
      const better = await firstAnswering(endpoints.slice(0, rank));
      if (better) return moveTo(better);
    }
  } else if (++failures >= 2) {
    const other = await firstAnswering(endpoints);
    if (other) return moveTo(other);
  }
  setTimeout(check, EVERY_MS);
}

self.aspkFailover = { endpoints, rank, movingTo: null };
// Fetching the codes also keeps the session of an open page alive (its cookie is renewed
// while the page is in use, up to a working day), where there is nowhere to fail over too.
setInterval(fetchCodes, CODES_EVERY_MS);
if (endpoints.length > 1 && rank !== -1) {
  fetchCodes();
  if (rank > 0) {
    const badge = document.getElementById('path');
    if (badge) {
      badge.classList.add('path-fallback');
      badge.textContent += ` · ${body.dataset.fallback}`;
    }
  }
  setTimeout(check, EVERY_MS);
}
