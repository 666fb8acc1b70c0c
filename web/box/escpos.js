// ESC/POS for the box-office device's receipt printer: a ticket as the bytes a thermal printer
// prints, with the same commands and layout as the server's thermal path, Rust's
// `aspk_render::escpos::ticket_escpos` in raster mode (crates/aspk-render/src/escpos/: mod.rs,
// layout.rs, raster.rs, commands.rs). crates/aspk-render/tests/it/escpos_device.rs renders
// sample tickets here (in Chromium, web/tools/box-escpos.mjs) and checks the bytes with the
// Rust side's strict parser against Rust's own output for the same tickets.
//
//   await ticketEscpos(ticket, options)    -> Uint8Array, one ticket
//   await ticketsEscpos(tickets, options)  -> Uint8Array, one job (each ticket cut)
//
// `ticket` mirrors Rust's `TicketDoc` (already localised strings, the renderer only wraps):
//   {code: digits (the QR content), number, title, venue, lines: [[label, value], …],
//    notice?: string|null (printed bold in a frame), footer?: string|null}
// `options`: {dotsPerLine = 576 (80 mm at 203 dpi; 384 for 58 mm), cut = true,
//             fonts = FONT_URLS (where to load DejaVu Sans from)}
//
// Per ticket: ESC @; the header (venue, title, rule) as GS v 0 raster images of at most 255
// rows, a band without ink sent as ESC J; the QR, printed by the printer from the code digits
// (GS ( k: model 2, module size, error correction Q, store, print) between quiet-zone feeds,
// centred; the body (number, label/value rows, the notice in a 4-dot frame, the footer) as
// raster; GS V 66 0 (feed and partial cut), or ESC d 6 without a cutter.
//
// Text is drawn with a canvas in the same DejaVu Sans the Rust side embeds
// (crates/aspk-render/assets/, served at /box-office/device/fonts/), glyph by glyph at the
// font's own unkerned advances (read from the font file, as Rust reads them), so lines wrap
// exactly where Rust wraps them; the canvas's anti-aliased coverage is thresholded at one half,
// Rust's ink rule. No DOM beyond OffscreenCanvas (or a detached <canvas>) and FontFace.
import qrcode from './vendor/qrcode/qrcode.mjs';

export const FONT_URLS = Object.freeze({
  regular: '/box-office/device/fonts/DejaVuSans.ttf',
  bold: '/box-office/device/fonts/DejaVuSans-Bold.ttf',
});

const FAMILY = 'AspkTicketDejaVuSans';

const ESC = 0x1b;
const GS = 0x1d;
/** Rows per GS v 0 command: at most 255 (yH = 0), as Rust sends them. */
const RASTER_BAND_ROWS = 255;
const QUIET_ZONE = 4;
/** Error correction Q for GS ( k fn 169 (48 L, 49 M, 50 Q, 51 H). */
const QR_ECC_Q = 50;
const QR_MAX_DATA = 7089;
const DOTS_MIN = 192;
const DOTS_MAX = 2048;

// Sizes in dots at 203 dpi, as crates/aspk-render/src/escpos/layout.rs.
const style = (weight, size) => ({ weight, size, lineHeight: size * 1.25 });
const VENUE = style('bold', 34);
const TITLE = style('regular', 28);
const NUMBER = style('bold', 46);
const LABEL = style('regular', 24);
const VALUE = style('bold', 28);
const NOTICE = style('bold', 27);
const FOOTER = style('regular', 21);

const MARGIN_X = 8;
const MARGIN_TOP = 8;
const GAP = 24;
const ROW_PAD = 8;
const RULE = 2;
const HEAD_RULE = 3;
const NOTICE_FRAME = 4;
const NOTICE_PAD = 12;
/** Coverage (alpha out of 255) from which a dot prints: one half, as Rust's INK_THRESHOLD. */
const INK_ALPHA = 128;

// --- the font files: metrics as ttf-parser reads them ---------------------------------------------

/** One TrueType face: glyph lookup (cmap), advances (hmtx), ascender and descender. */
class Face {
  constructor(buffer) {
    const v = new DataView(buffer);
    const tables = new Map();
    const count = v.getUint16(4);
    for (let i = 0; i < count; i++) {
      const at = 12 + 16 * i;
      const tag = String.fromCharCode(v.getUint8(at), v.getUint8(at + 1), v.getUint8(at + 2), v.getUint8(at + 3));
      tables.set(tag, v.getUint32(at + 8));
    }
    const table = (tag) => {
      const at = tables.get(tag);
      if (at === undefined) throw new Error(`the font has no ${tag} table`);
      return at;
    };
    this.v = v;
    this.unitsPerEm = v.getUint16(table('head') + 18);
    const hhea = table('hhea');
    let ascender = v.getInt16(hhea + 4);
    let descender = v.getInt16(hhea + 6);
    this.metrics = v.getUint16(hhea + 34);
    const os2 = tables.get('OS/2');
    // ttf-parser: the typographic values when OS/2 says USE_TYPO_METRICS (fsSelection bit 7).
    if (os2 !== undefined && v.getUint16(os2 + 62) & 0x80) {
      ascender = v.getInt16(os2 + 68);
      descender = v.getInt16(os2 + 70);
    }
    this.ascent = ascender / this.unitsPerEm;
    this.descent = -descender / this.unitsPerEm;
    this.hmtx = table('hmtx');
    this.cmap = this.#unicodeSubtables(table('cmap'));
    this.cache = new Map();
    // A char the face lacks shows U+FFFD (or '?'), as in the PDF and Rust's raster.
    this.fallback = [0xfffd, 0x3f].find((c) => this.#lookup(c) !== 0) ?? 0xfffd;
  }

  #unicodeSubtables(cmap) {
    const v = this.v;
    const list = [];
    const n = v.getUint16(cmap + 2);
    for (let i = 0; i < n; i++) {
      const platform = v.getUint16(cmap + 4 + 8 * i);
      const encoding = v.getUint16(cmap + 6 + 8 * i);
      const at = cmap + v.getUint32(cmap + 8 + 8 * i);
      const unicode = platform === 0 || (platform === 3 && (encoding === 1 || encoding === 10));
      const format = v.getUint16(at);
      if (unicode && (format === 4 || format === 12)) list.push({ at, format });
    }
    return list;
  }

  #lookup(cp) {
    for (const { at, format } of this.cmap) {
      const g = format === 4 ? this.#format4(at, cp) : this.#format12(at, cp);
      if (g) return g;
    }
    return 0;
  }

  #format4(at, cp) {
    if (cp > 0xffff) return 0;
    const v = this.v;
    const segs = v.getUint16(at + 6) / 2;
    const ends = at + 14;
    const starts = ends + 2 * segs + 2;
    const deltas = starts + 2 * segs;
    const offsets = deltas + 2 * segs;
    let lo = 0;
    let hi = segs - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const end = v.getUint16(ends + 2 * mid);
      const start = v.getUint16(starts + 2 * mid);
      if (cp > end) lo = mid + 1;
      else if (cp < start) hi = mid - 1;
      else {
        const delta = v.getUint16(deltas + 2 * mid);
        const offset = v.getUint16(offsets + 2 * mid);
        if (offset === 0) return (cp + delta) & 0xffff;
        const g = v.getUint16(offsets + 2 * mid + offset + 2 * (cp - start));
        return g === 0 ? 0 : (g + delta) & 0xffff;
      }
    }
    return 0;
  }

  #format12(at, cp) {
    const v = this.v;
    const groups = v.getUint32(at + 12);
    let lo = 0;
    let hi = groups - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const g = at + 16 + 12 * mid;
      const start = v.getUint32(g);
      const end = v.getUint32(g + 4);
      if (cp > end) lo = mid + 1;
      else if (cp < start) hi = mid - 1;
      else return v.getUint32(g + 8) + (cp - start);
    }
    return 0;
  }

  /** The char drawn for `ch`: itself, or the fallback when the face lacks it. */
  shown(ch) {
    const cp = ch.codePointAt(0);
    return this.#lookup(cp) !== 0 ? ch : String.fromCodePoint(this.fallback);
  }

  /** Advance of the glyph shown for `ch`, in ems. */
  advance(ch) {
    let a = this.cache.get(ch);
    if (a === undefined) {
      let g = this.#lookup(ch.codePointAt(0));
      if (g === 0) g = this.#lookup(this.fallback);
      const i = Math.min(g, this.metrics - 1);
      a = this.v.getUint16(this.hmtx + 4 * i) / this.unitsPerEm;
      this.cache.set(ch, a);
    }
    return a;
  }

  /** Width of `text` at `size` dots per em: the sum of unkerned advances, as Rust's `text_width`. */
  width(text, size) {
    let w = 0;
    for (const ch of text) w += this.advance(ch);
    return w * size;
  }
}

let loading = null;
let loadedFrom = null;

/**
 * Loads both faces (once): their files for the metrics, and as FontFaces for the canvas.
 * Resolves to {regular, bold} Faces.
 */
export function loadFonts(urls = FONT_URLS) {
  const key = `${urls.regular}\n${urls.bold}`;
  if (loading && loadedFrom === key) return loading;
  loadedFrom = key;
  loading = (async () => {
    const set = globalThis.document?.fonts ?? globalThis.fonts;
    const one = async (url, weight) => {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
      const buffer = await response.arrayBuffer();
      const face = new FontFace(FAMILY, buffer, { weight, style: 'normal' });
      await face.load();
      set?.add(face);
      return new Face(buffer);
    };
    const [regular, bold] = await Promise.all([one(urls.regular, '400'), one(urls.bold, '700')]);
    return { regular, bold };
  })();
  loading.catch(() => {
    if (loadedFrom === key) loading = null;
  });
  return loading;
}

// --- text: clean-up and wrapping, as crates/aspk-render/src/text.rs --------------------------------

/** Control characters become spaces (`\n` kept as a line break, `\r` dropped). */
function clean(text) {
  let s = '';
  for (const ch of String(text)) {
    if (ch === '\r') continue;
    const c = ch.codePointAt(0);
    s += ch !== '\n' && (c < 0x20 || (c >= 0x7f && c <= 0x9f)) ? ' ' : ch;
  }
  return s;
}

/** A word wider than the line, cut between characters (at least one per piece). */
function breakWord(face, word, size, max) {
  const pieces = [];
  let piece = '';
  let width = 0;
  for (const ch of word) {
    const w = face.width(ch, size);
    if (piece && width + w > max) {
      pieces.push(piece);
      piece = '';
      width = 0;
    }
    piece += ch;
    width += w;
  }
  pieces.push(piece);
  return pieces;
}

/** Lines no wider than `max` dots: breaks at ASCII spaces and `\n`, as Rust's `wrap`. */
export function wrap(face, text, size, max) {
  const s = clean(text);
  if (s.trim() === '') return [];
  const space = face.width(' ', size);
  const lines = [];
  for (const paragraph of s.split('\n')) {
    let line = '';
    let lineWidth = 0;
    for (const word of paragraph.split(' ')) {
      if (word === '') continue;
      const wordWidth = face.width(word, size);
      if (line && lineWidth + space + wordWidth <= max) {
        line += ' ' + word;
        lineWidth += space + wordWidth;
        continue;
      }
      if (line) lines.push(line);
      if (wordWidth <= max) {
        line = word;
        lineWidth = wordWidth;
      } else {
        const pieces = breakWord(face, word, size, max);
        line = pieces.pop();
        lines.push(...pieces);
        lineWidth = face.width(line, size);
      }
    }
    lines.push(line);
  }
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines;
}

// --- the bitmap ---------------------------------------------------------------------------------------

function newCanvas(width, height) {
  if (typeof OffscreenCanvas === 'function') return new OffscreenCanvas(width, height);
  const c = document.createElement('canvas');
  c.width = width;
  c.height = height;
  return c;
}

/**
 * A column of content flowing downwards, as Rust's `layout::Canvas`: text and rectangles are
 * recorded with their places, then drawn once the height is known (`finish`).
 */
class Column {
  constructor(fonts, dots, top) {
    this.fonts = fonts;
    this.dots = dots;
    this.y = top;
    this.left = MARGIN_X;
    this.width = dots - 2 * MARGIN_X;
    this.texts = [];
    this.rects = [];
  }

  paragraph(text, st, align) {
    this.paragraphIn(text, st, align, this.left, this.width);
  }

  paragraphIn(text, st, align, left, width) {
    const face = this.fonts[st.weight];
    for (const line of wrap(face, text, st.size, width)) {
      // The ascender-to-descender extent centred in the line box, baseline on a whole row.
      const extent = (face.ascent + face.descent) * st.size;
      const baseline = Math.round(this.y + (st.lineHeight - extent) / 2 + face.ascent * st.size);
      const x = align === 'center' ? left + (width - face.width(line, st.size)) / 2 : left;
      this.texts.push({ line, st, x, baseline });
      this.y += st.lineHeight;
    }
  }

  /** Rust's `fill_rect` takes whole dots: the fractional left and width are truncated. */
  rect(x, y, w, h) {
    this.rects.push({ x: Math.trunc(x), y, w: Math.trunc(w), h });
  }

  rule(thickness) {
    const top = Math.round(this.y);
    this.rect(this.left, top, this.width, thickness);
    this.y = top + thickness;
  }

  noticeBox(text) {
    const top = Math.round(this.y);
    this.y = top + NOTICE_FRAME + NOTICE_PAD;
    const innerLeft = this.left + NOTICE_FRAME + NOTICE_PAD;
    const innerWidth = this.width - 2 * (NOTICE_FRAME + NOTICE_PAD);
    this.paragraphIn(text, NOTICE, 'center', innerLeft, innerWidth);
    const bottom = Math.round(this.y + NOTICE_PAD) + NOTICE_FRAME;
    const [x, w, t] = [Math.trunc(this.left), Math.trunc(this.width), NOTICE_FRAME];
    this.rect(x, top, w, t);
    this.rect(x, bottom - t, w, t);
    this.rect(x, top, t, bottom - top);
    this.rect(x + w - t, top, t, bottom - top);
    this.y = bottom;
  }

  /** Draws everything; resolves to {width, height, stride, data} (1 bit per dot, MSB left). */
  finish() {
    const minHeight = Math.ceil(this.y);
    // Room for ink below the last line box (Rust's bitmap grows to hold any ink).
    const room = minHeight + 64;
    const canvas = newCanvas(this.dots, Math.max(1, room));
    const g = canvas.getContext('2d', { willReadFrequently: true });
    g.clearRect(0, 0, this.dots, room);
    g.fillStyle = '#000';
    g.textBaseline = 'alphabetic';
    g.textAlign = 'left';
    if ('fontKerning' in g) g.fontKerning = 'none';
    if ('textRendering' in g) g.textRendering = 'geometricPrecision';
    for (const { line, st, x, baseline } of this.texts) {
      const face = this.fonts[st.weight];
      g.font = `${st.weight === 'bold' ? 700 : 400} ${st.size}px ${FAMILY}`;
      // Glyph by glyph at the font's advances, as Rust's `draw_text`.
      let pen = x;
      for (const ch of line) {
        if (ch !== ' ') g.fillText(face.shown(ch), pen, baseline);
        pen += face.advance(ch) * st.size;
      }
    }
    for (const r of this.rects) g.fillRect(r.x, r.y, Math.min(r.w, this.dots - r.x), r.h);
    const pixels = g.getImageData(0, 0, this.dots, room).data;
    const stride = this.dots / 8;
    let height = minHeight;
    for (let y = room - 1; y >= minHeight; y--) {
      let ink = false;
      for (let x = 0; x < this.dots && !ink; x++) ink = pixels[(y * this.dots + x) * 4 + 3] >= INK_ALPHA;
      if (ink) {
        height = y + 1;
        break;
      }
    }
    const data = new Uint8Array(height * stride);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < this.dots; x++) {
        if (pixels[(y * this.dots + x) * 4 + 3] >= INK_ALPHA) data[y * stride + (x >> 3)] |= 0x80 >> (x & 7);
      }
    }
    return { width: this.dots, height, stride, data };
  }
}

// --- commands, as crates/aspk-render/src/escpos/commands.rs --------------------------------------------

class Bytes {
  constructor() {
    this.parts = [];
    this.length = 0;
  }

  push(...bytes) {
    this.add(Uint8Array.from(bytes));
  }

  add(part) {
    this.parts.push(part);
    this.length += part.length;
  }

  concat() {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/** ESC J n, repeated: print and feed `dots` rows. */
function feedDots(out, dots) {
  while (dots > 0) {
    const n = Math.min(dots, 255);
    out.push(ESC, 0x4a, n);
    dots -= n;
  }
}

/** The image as GS v 0 commands of at most 255 rows; a band without ink becomes a feed. */
function raster(out, bitmap) {
  const { stride, height, data } = bitmap;
  for (let y = 0; y < height; y += RASTER_BAND_ROWS) {
    const rows = Math.min(RASTER_BAND_ROWS, height - y);
    const band = data.subarray(y * stride, (y + rows) * stride);
    if (band.every((b) => b === 0)) {
      feedDots(out, rows);
    } else {
      out.push(GS, 0x76, 0x30, 0, stride & 0xff, stride >> 8, rows, 0);
      out.add(band.slice());
    }
  }
}

/** GS ( k with cn = 49 (QR Code): fn and its parameters. */
function qrFunction(out, fn, params) {
  const len = params.length + 2;
  out.push(GS, 0x28, 0x6b, len & 0xff, len >> 8, 49, fn);
  out.add(Uint8Array.from(params));
}

/** Quiet zone, centred native QR (model 2, module, ECC Q, store, print), left, quiet zone. */
function qrBlock(out, code, module) {
  const quiet = QUIET_ZONE * module;
  feedDots(out, quiet);
  out.push(ESC, 0x61, 1);
  qrFunction(out, 0x41, [50, 0]);
  qrFunction(out, 0x43, [module]);
  qrFunction(out, 0x45, [QR_ECC_Q]);
  qrFunction(out, 0x50, [48, ...Array.from(code, (c) => c.charCodeAt(0))]);
  qrFunction(out, 0x51, [48]);
  out.push(ESC, 0x61, 0);
  feedDots(out, quiet);
}

/** Modules per side of the smallest QR version holding the digits at level Q (Rust's `qr_matrix`). */
export function qrModules(code) {
  const qr = qrcode(0, 'Q');
  qr.addData(code, 'Numeric');
  qr.make();
  return qr.getModuleCount();
}

/**
 * QR module size in dots, as Rust's `qr_module`: a symbol of about 50 mm (at most 70 % of the
 * line, at most 400 dots) with both 4-module quiet zones inside the line; 1..=16.
 */
export function qrModule(symbolModules, dots) {
  const target = Math.min(Math.floor((dots * 7) / 10), 400);
  const fit = Math.floor(dots / (symbolModules + 2 * QUIET_ZONE));
  const module = Math.min(Math.floor(target / Math.max(1, symbolModules)), fit);
  return Math.max(1, Math.min(16, module));
}

function dotsOf(options) {
  const dots = options.dotsPerLine ?? 576;
  if (!Number.isInteger(dots) || dots < DOTS_MIN || dots > DOTS_MAX) {
    throw new RangeError(`dotsPerLine must be within ${DOTS_MIN}..=${DOTS_MAX} (576 for 80 mm paper at 203 dpi), got ${dots}`);
  }
  return Math.floor(dots / 8) * 8;
}

function renderOne(out, fonts, ticket, dots, cut) {
  const code = String(ticket.code ?? '');
  if (!/^[0-9]+$/.test(code)) throw new RangeError('the ticket code must be digits only');
  if (code.length > QR_MAX_DATA) throw new RangeError(`the ticket code is too long for a QR at level Q (${code.length} digits)`);
  let modules;
  try {
    modules = qrModules(code);
  } catch (e) {
    throw new RangeError(`the ticket code is too long for a QR at level Q (${code.length} digits): ${e.message ?? e}`);
  }
  const module = qrModule(modules, dots);

  out.push(ESC, 0x40);

  const head = new Column(fonts, dots, MARGIN_TOP);
  head.paragraph(ticket.venue ?? '', VENUE, 'center');
  head.paragraph(ticket.title ?? '', TITLE, 'center');
  head.y += GAP * 0.4;
  head.rule(HEAD_RULE);
  raster(out, head.finish());

  qrBlock(out, code, module);

  const body = new Column(fonts, dots, 0);
  body.paragraph(ticket.number ?? '', NUMBER, 'center');
  body.y += GAP;
  const lines = ticket.lines ?? [];
  if (lines.length > 0) {
    body.rule(RULE);
    for (const [label, value] of lines) {
      body.y += ROW_PAD;
      body.paragraph(label ?? '', LABEL, 'left');
      body.y += 1;
      body.paragraph(value ?? '', VALUE, 'left');
      body.y += ROW_PAD;
      body.rule(RULE);
    }
    body.y += GAP;
  }
  const notice = ticket.notice ?? '';
  if (notice.trim() !== '') {
    body.noticeBox(notice);
    body.y += GAP;
  }
  if (ticket.footer !== undefined && ticket.footer !== null) body.paragraph(ticket.footer, FOOTER, 'center');
  raster(out, body.finish());

  if (cut) out.push(GS, 0x56, 66, 0);
  else out.push(ESC, 0x64, 6);
}

/** Renders `tickets` as one ESC/POS job, each ticket starting with ESC @ and ending with its cut. */
export async function ticketsEscpos(tickets, options = {}) {
  if (!tickets?.length) throw new RangeError('no tickets to print');
  const dots = dotsOf(options);
  const fonts = await loadFonts(options.fonts ?? FONT_URLS);
  const out = new Bytes();
  for (const ticket of tickets) renderOne(out, fonts, ticket, dots, options.cut ?? true);
  return out.concat();
}

/** Renders one ticket (see the top of this file). */
export function ticketEscpos(ticket, options = {}) {
  return ticketsEscpos([ticket], options);
}
