// The manager's reports in headless Chromium at 1366×768 against the real `aspk` binary: a
// day with a few sales (cash and card) and a refund. Every table row has a cell per header,
// every table's net adds up to the headline net, the attendance chart has dates and a
// legend, the CSV (BOM, `;`, decimal comma) holds the page's numbers, the comma option
// parses with `,`, and the XLSX is a zip with the spreadsheet content type.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { chromium } from 'playwright-core';

import { CHROMIUM_PATH } from './harness.mjs';
import { startAspk } from './aspk-server.mjs';

/** A money or count cell as a number of minor units (or a count): "1 250,00 грн" → 125000. */
const minor = (text) => {
  const clean = text.replace(/[^\d,.-]/g, '');
  const [units, cents = '00'] = clean.split(/[,.](?=\d{2}$)/);
  return Number(units.replace(/[,.]/g, '')) * 100 + Number(cents) * Math.sign(Number(`${units}1`) || 1);
};

/** Parses CSV text with `sep`, honouring quotes; lines end with CRLF. */
const parseCsv = (text, sep) => {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i += 1; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === sep) { row.push(cell); cell = ''; } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell); rows.push(row); row = []; cell = ''; i += 1;
    } else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
};

/** The header and every body/footer row of a table, as text. */
const tableText = (page, id) => page.$eval(`table#${id}`, (t) => ({
  header: [...t.querySelectorAll('thead th')].map((c) => c.textContent.trim()),
  rows: [...t.querySelectorAll('tbody tr, tfoot tr')].map((r) => [...r.children].map((c) => c.textContent.trim())),
  aligned: [...t.querySelectorAll('tbody td.num, tfoot td.num')].every((c) => getComputedStyle(c).textAlign === 'right'),
  // A number's header sits right, over it; a text's header sits left.
  headsOver: [...t.querySelectorAll('tbody tr, tfoot tr')].every((r) => [...r.children].every((c, i) => {
    const th = t.querySelectorAll('thead th')[i];
    return getComputedStyle(th).textAlign === getComputedStyle(c).textAlign;
  })),
}));

test('reports: aligned tables that agree, a dated chart, CSV and XLSX downloads', async () => {
  const server = await startAspk();
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH });
  try {
    const { api, base } = server;
    await api.addStaff('maria', 'manager');
    const slot = await api.slotNow('demo', 40);
    await api.sell('demo', slot, 'adult', 2);
    await api.sell('demo', slot, 'reduced', 1);
    const card = await api.ok('POST', '/api/v1/orders', {
      venue: 'demo', channel: 'box_office', items: [{ product: 'adult', slot, quantity: 1 }], payment: { method: 'card' },
    });
    await api.ok('POST', `/api/v1/orders/${card.number}/cancel`, { reason: 'wrong day', refund: true });

    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    await page.goto(`${base}/?lang=uk`);
    await page.fill('#username', 'maria');
    await page.fill('#password', 'correct horse');
    await Promise.all([page.waitForNavigation(), page.press('#password', 'Enter')]);
    const today = await page.evaluate(() => new Date().toLocaleDateString('sv-SE', { timeZone: 'Europe/Kyiv' }));
    await page.goto(`${base}/reports?venue=demo&from=${today}&to=${today}`);

    const gross = minor(await page.textContent('#report-gross'));
    const refunds = minor(await page.textContent('#report-refunds'));
    const net = minor(await page.textContent('#report-net'));
    assert.equal(gross, 2 * 25_000 + 12_500 + 25_000, 'gross: every payment received');
    assert.equal(refunds, 25_000, 'the card order paid back');
    assert.equal(net, gross - refunds);
    assert.equal(Number(await page.textContent('#report-tickets')), 3, 'cancelled tickets are not sold');

    const ids = await page.$$eval('table.report-table', (ts) => ts.map((t) => t.id));
    assert.deepEqual(ids, ['by-day', 'by-product', 'by-channel', 'by-method', 'by-cashier', 'attendance', 'by-gate']);
    const shown = {};
    for (const id of ids) {
      const t = await tableText(page, id);
      shown[id] = t;
      for (const row of t.rows) assert.equal(row.length, t.header.length, `${id}: a cell per header in ${row}`);
      assert.ok(t.aligned, `${id}: numbers right-aligned`);
      assert.ok(t.headsOver, `${id}: each header aligned with its column`);
    }
    for (const id of ['by-day', 'by-product', 'by-channel', 'by-method', 'by-cashier']) {
      const t = shown[id];
      const body = t.rows.slice(0, -1);
      const total = t.rows.at(-1);
      assert.ok(body.length > 0, `${id} has rows`);
      const netOf = (row) => minor(row[5]);
      assert.equal(body.reduce((s, r) => s + netOf(r), 0), net, `${id}: rows net to the headline`);
      assert.equal(netOf(total), net, `${id}: its total is the headline net`);
      for (const r of body) assert.equal(minor(r[3]) - minor(r[4]), netOf(r), `${id}: gross − refunds = net in ${r}`);
    }
    const byMethod = Object.fromEntries(shown['by-method'].rows.map((r) => [r[0], r]));
    assert.equal(Number(byMethod['Готівка'][2]), 3, 'tickets paid in cash');
    assert.equal(Number(byMethod['Готівка'][1]), 2, 'orders paid in cash');
    assert.equal(minor(byMethod['Картка'][4]), 25_000, 'the card refund');

    // The chart: dates under the bars and a legend of sold and entered.
    const chart = await page.$eval('#attendance-chart', (svg) => ({
      dates: [...svg.querySelectorAll('text.date')].map((t) => t.textContent),
      legend: svg.querySelector('.legend').textContent,
      sold: [...svg.querySelectorAll('g.day rect.sold')].length,
    }));
    const [, mm, dd] = today.split('-');
    assert.ok(chart.dates.includes(`${dd}.${mm}`), `dates on the chart: ${chart.dates}`);
    assert.match(chart.legend, /Продано/);
    assert.match(chart.legend, /Пройшло/);
    assert.ok(chart.sold >= 1);

    // CSV as downloaded with the session: BOM, `;`, CRLF, decimal comma; the page's numbers.
    const csvHref = await page.getAttribute('#by-method ~ p a.csv', 'href');
    const res = await page.request.get(`${base}${csvHref}`);
    assert.equal(res.status(), 200);
    const bytes = await res.body();
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a UTF-8 BOM');
    const text = bytes.subarray(3).toString('utf8');
    assert.ok(text.includes('\r\n'), 'CRLF lines');
    const rows = parseCsv(text, ';');
    assert.deepEqual(rows[0], shown['by-method'].header, 'the columns of the page');
    assert.equal(rows.length - 1, shown['by-method'].rows.length);
    rows.slice(1).forEach((row, i) => {
      const onPage = shown['by-method'].rows[i];
      assert.equal(row[0], onPage[0]);
      assert.equal(Number(row[1]), Number(onPage[1]));
      assert.equal(Number(row[2]), Number(onPage[2]));
      for (const col of [3, 4, 5]) {
        assert.match(row[col], /^-?\d+,\d{2}$/, 'a decimal comma');
        assert.equal(Math.round(Number(row[col].replace(',', '.')) * 100), minor(onPage[col]));
      }
    });

    const commaHref = await page.getAttribute('#by-day ~ p a.csv-comma', 'href');
    const comma = (await (await page.request.get(`${base}${commaHref}`)).body()).subarray(3).toString('utf8');
    const commaRows = parseCsv(comma, ',');
    assert.equal(commaRows[0].length, shown['by-day'].header.length, 'splits on commas');
    assert.equal(Math.round(Number(commaRows.at(-1)[5]) * 100), net, 'a decimal point');

    const xlsx = await page.request.get(`${base}${await page.getAttribute('#report-xlsx', 'href')}`);
    assert.equal(xlsx.headers()['content-type'], 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const book = await xlsx.body();
    assert.equal(book.subarray(0, 2).toString('latin1'), 'PK', 'a zip');
    await context.close();
  } finally {
    await browser.close();
    await server.stop();
  }
});
