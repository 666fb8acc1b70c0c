// Arriving from another node of the organisation (see failover.js): trade the session
// token in the address's fragment for this node's session cookie, then go on to the page
// the person was on, with a sale still to send if there is one. The token never reaches a
// server log: fragments are not sent.

const params = new URLSearchParams(location.hash.slice(1));
history.replaceState(null, '', location.pathname);
const next = params.get('next') || '/';
const endpoints = params.get('endpoints');
if (endpoints) localStorage.setItem('aspk.endpoints', endpoints);
// A sale the last node did not answer: the box office sends it again here (box-office.js).
const sale = params.get('pending_sale');
if (sale) localStorage.setItem('aspk.pending-sale', sale);
let ok = false;
try {
  const res = await fetch('/handoff', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: params.get('token') || '' }),
    credentials: 'same-origin',
  });
  ok = res.ok;
} catch { /* this node went away too: the sign-in page will say so */ }
const safe = next.startsWith('/') && !next.startsWith('//');
location.replace(ok && safe ? next : '/');
