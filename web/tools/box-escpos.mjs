// Cross-check renderings of the box-office device's ESC/POS (web/box/escpos.js), made in headless
// Chromium exactly as the device makes them: a tiny static server on 127.0.0.1 serves web/box at
// /box-office/device/ and the DejaVu fonts Rust embeds (crates/aspk-render/assets/) at
// /box-office/device/fonts/, as the aspk server does. crates/aspk-render/tests/it/escpos_device.rs
// runs it (`node web/tools/box-escpos.mjs`, from the repository root) and checks the bytes with
// the library's strict ESC/POS parser against Rust's `ticket_escpos` for the same tickets.
//
// Prints one JSON object on stdout:
//   {chromium, tickets: [{name, doc, options: {dots_per_line, cut}, hex}]}
//     doc: the ticket as given to ticketEscpos (Rust's TicketDoc fields: code, number, title,
//          venue, lines [[label, value]], notice, footer); hex: the bytes.
// or, when it cannot run here (no playwright-core in web/node_modules, no Chromium):
//   {skip: "why", fix: "what to install"}          (exit status 0)
// ASPK_CHROMIUM overrides the browser (default /usr/bin/chromium).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const WEB = join(here, '..');
const BOX = join(WEB, 'box');
const ASSETS = join(WEB, '..', 'crates', 'aspk-render', 'assets');
const CHROMIUM = process.env.ASPK_CHROMIUM ?? '/usr/bin/chromium';
const FONTS = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'];

function skip(why, fix) {
  process.stdout.write(JSON.stringify({ skip: why, fix }) + '\n');
  process.exit(0);
}

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  skip(`playwright-core is not installed in web/node_modules (${e.code ?? e.message})`, 'cd web && npm ci');
}
if (!existsSync(CHROMIUM)) skip(`no Chromium at ${CHROMIUM}`, 'run scripts/browser-setup, or apt-get install -y chromium');

/** `len` digits from a fixed seed (a ticket code is 197 or 202 digits). */
function digits(len, seed) {
  let x = BigInt(seed);
  let s = '';
  while (s.length < len) {
    x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    s += String(Number((x >> 33n) % 10n));
  }
  return s;
}

const FOOTER = 'Квиток дійсний для одного входу. Не згинайте QR-код. / Valid for one entry. Do not fold the QR code.';

const TICKETS = [
  {
    name: 'notice',
    doc: {
      code: digits(202, 1),
      number: '4821 0937 5526',
      title: 'Квиток / Ticket',
      venue: 'Національний музей історії українського ґрунтознавства імені В. В. Докучаєва / National Museum of Ukrainian Soil Science',
      lines: [
        ['Категорія / Category', 'Пільговий (учні, студенти, пенсіонери) / Reduced (pupils, students, pensioners)'],
        ['Час відвідування / Visit time', '05.12.2026 10:00–11:00'],
        ['Ціна / Price', '1\u00a0250,00\u00a0грн'],
        ['Замовлення / Order', '№ 1234 5678 9012'],
        ['Зал / Hall', 'Ґалерея їжі та з’їздів, є ґанок і «Їжак» № 7'],
      ],
      notice: 'Пред’явіть при вході: студентський, учнівський або пенсійний квиток / Show at entry: student, pupil or pension card',
      footer: FOOTER,
    },
    options: { dots_per_line: 576, cut: true },
  },
  {
    name: 'plain',
    doc: {
      code: digits(197, 2),
      number: '0000 0000 0042',
      title: 'Квиток / Ticket',
      venue: 'Демо-музей імені Івана Їжакевича / Ivan Izhakevych Demo Museum',
      lines: [
        ['Категорія / Category', 'Дорослий / Adult'],
        ['Час відвідування / Visit time', '05.12.2026 14:00–15:00'],
        ['Ціна / Price', '250,00\u00a0грн'],
        ['Замовлення / Order', '0987 6543 2101'],
      ],
      notice: null,
      footer: FOOTER,
    },
    options: { dots_per_line: 576, cut: true },
  },
];
// The first again on 58 mm paper with no cutter.
TICKETS.push({ ...TICKETS[0], name: 'notice-58mm', options: { dots_per_line: 384, cut: false } });

const TYPES = { '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.ttf': 'font/ttf' };
const PAGE = '<!doctype html><meta charset="utf-8"><title>escpos.js cross-check</title><p>escpos.js</p>';

const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  let file;
  if (path === '/box-office/device/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
    return;
  }
  if (path.startsWith('/box-office/device/fonts/') && FONTS.includes(path.slice('/box-office/device/fonts/'.length))) {
    file = join(ASSETS, path.slice('/box-office/device/fonts/'.length));
  } else if (path.startsWith('/box-office/device/')) {
    file = normalize(join(BOX, path.slice('/box-office/device/'.length)));
    if (!file.startsWith(BOX + sep)) file = undefined;
  }
  try {
    if (!file || req.method !== 'GET') throw new Error('not found');
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(body);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  }
});
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, '127.0.0.1', resolve);
});
const base = `http://127.0.0.1:${server.address().port}`;

const profile = await mkdtemp(join(tmpdir(), 'aspk-escpos-'));
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
  });
  // Closed network: only the local server.
  await context.route('**/*', (route) => (route.request().url().startsWith(base + '/') ? route.continue() : route.abort()));
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/box-office/device/`);
  const rendered = await page.evaluate(async (tickets) => {
    const { ticketEscpos } = await import('/box-office/device/escpos.js');
    const out = [];
    for (const t of tickets) {
      const bytes = await ticketEscpos(t.doc, { dotsPerLine: t.options.dots_per_line, cut: t.options.cut });
      out.push(Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(''));
    }
    return { out, fonts: document.fonts.check('700 34px AspkTicketDejaVuSans') };
  }, TICKETS);
  if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
  if (!rendered.fonts) throw new Error('the DejaVu fonts did not load in the page');
  const result = {
    chromium: context.browser()?.version() ?? null,
    tickets: TICKETS.map((t, i) => ({ ...t, hex: rendered.out[i] })),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
} finally {
  await context?.close();
  server.closeAllConnections?.();
  server.close();
  await rm(profile, { recursive: true, force: true });
}
