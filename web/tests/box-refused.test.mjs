// Bad input from a box-office device, seen from the device: an op whose signature does not hold
// (here: one altered in the device's own store, as a tampered or broken device would send it)
// is refused by the server as forged, changes nothing there, and the device's status bar says
// so plainly instead of showing the sale as handed in. Real binary, headless Chromium.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { startAspk } from './aspk-server.mjs';
import { digits, launchDevice, openDesk, ready, sellByKeys, watchProblems } from './box-session.mjs';

let server;
let data;
let dir;
let device;
const problems = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aspk-box-refused-'));
  server = await startAspk();
  data = server.data;
  device = await launchDevice(dir);
  watchProblems(device.page, problems);
});

after(async () => {
  await device?.context.close();
  await server?.stop();
  if (data) await rm(data, { recursive: true, force: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Flips one hex digit of the signature of op `seq` in the device's IndexedDB. */
function tamper(page, seq) {
  return page.evaluate(async (n) => {
    const db = await import('/box-office/device/db.js');
    const [row] = await db.opsAfter(n - 1, 1);
    const op = row.json.replace(/("sig":"\d+\.)([0-9a-f])/, (_, head, digit) => head + (digit === '0' ? '1' : '0'));
    await db.write(['ops'], ({ ops }) => {
      ops.put({ ...row, json: op });
    });
    return op !== row.json;
  }, seq);
}

test('a forged op is refused by the server, sells nothing there, and the device says so', { timeout: 120_000 }, async () => {
  const { page } = device;
  const slot = await openDesk(server, page);
  await page.evaluate(() => self.aspkBox.sync());
  assert.equal(await page.evaluate(() => self.aspkBox.status.queue), 0, 'the shift is handed in');
  await server.kill();
  const sale = await sellByKeys(page, slot.id, { adult: 1 });
  const seq = await page.evaluate(() => self.aspkBox.status.queue);
  assert.equal(seq, 1, 'one op waits');
  const queued = await page.evaluate(async () => {
    const db = await import('/box-office/device/db.js');
    return (await db.opsAfter(0, 100)).map((r) => r.seq);
  });
  assert.ok(await tamper(page, Math.max(...queued)), 'the stored op was altered');
  await page.reload();
  await ready(page);
  assert.ok(await page.locator('#refused-warning').isHidden(), 'no warning before the server says so');

  server = await startAspk({ port: server.port, data: server.data });
  await page.evaluate(() => self.aspkBox.sync());
  await page.waitForSelector('#refused-warning:not([hidden])', { timeout: 20_000 });
  const warning = await page.textContent('#refused-warning');
  assert.match(warning, /відхилив.*\(1\)/, warning);
  assert.equal(await page.evaluate(() => self.aspkBox.status.queue), 1, 'the forged op is not acknowledged');
  const order = await server.api.call('GET', `/api/v1/orders/${digits(sale.number)}`);
  assert.equal(order.status, 404, 'the server holds no such sale');
  assert.deepEqual(problems, []);
});
