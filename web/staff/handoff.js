// Arriving from another node of the organisation (see failover.js): trade the one-time
// handoff code in the address's fragment (made for this node, usable once) for this
// node's session cookie, then go on to the page the person was on. The endpoints to fail
// over along come with the code, signed by the node that made it, never from the link.
// A sale the last node did not answer comes along to be put back in the box office form
// for the cashier to check and send (box-office.js); it is kept only if the code holds.

const params = new URLSearchParams(location.hash.slice(1));
history.replaceState(null, '', location.pathname);
const next = params.get('next') || '/';
let ok = false;
try {
  const res = await fetch('/handoff', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: params.get('code') || '' }),
    credentials: 'same-origin',
  });
  ok = res.ok;
} catch { /* this node went away too: the sign-in page will say so */ }
const sale = params.get('pending_sale');
if (ok && sale) {
  try {
    const pending = JSON.parse(sale);
    if (Array.isArray(pending.fields)) {
      localStorage.setItem('aspk.pending-sale', JSON.stringify({ fields: pending.fields, at: Date.now(), handed: true }));
    }
  } catch { /* not a sale: ignored */ }
}
const safe = next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\');
location.replace(ok && safe ? next : '/');
