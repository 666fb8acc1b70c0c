// A real mailbox for end-to-end tests: a self-signed certificate (openssl), the test SMTP
// server scripts/smtp-test-server.py (Debian python3-aiosmtpd: STARTTLS + AUTH, one .eml
// file per message in a maildir), reading a message's PDF attachment (Python's `email`),
// and the QR codes printed in a PDF (pdftoppm from poppler-utils, zbarimg from zbar-tools).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { REPO_DIR } from './harness.mjs';
import { freePort } from './aspk-server.mjs';

const PYTHON = '/usr/bin/python3';
const SMTP_SERVER = join(REPO_DIR, 'scripts', 'smtp-test-server.py');

/** What this file needs that is missing, as short names (empty when all is there). */
export function missingMailTools() {
  const missing = [];
  const runs = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
  if (!runs('openssl', ['version'])) missing.push('openssl');
  if (!existsSync(SMTP_SERVER)) missing.push('scripts/smtp-test-server.py');
  if (!runs(PYTHON, ['-c', 'import aiosmtpd'])) missing.push('python3-aiosmtpd');
  if (!runs('pdftoppm', ['-v'])) missing.push('pdftoppm (poppler-utils)');
  if (!runs('zbarimg', ['--version'])) missing.push('zbarimg (zbar-tools)');
  return missing;
}

/**
 * A self-signed P-256 certificate for localhost and 127.0.0.1, valid a day: {cert, key}
 * paths. Marked `CA:FALSE`: openssl's default for `-x509` is a CA certificate, which rustls
 * (aspk's SMTP client) refuses as a server's own (`CaUsedAsEndEntity`).
 */
export function selfSignedCert(dir) {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-addext', 'basicConstraints=critical,CA:FALSE',
    '-days', '1'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl req failed: ${made.stderr}`);
  return { cert, key };
}

/**
 * Starts the test SMTP server with `tls` ({cert, key}) and the login `user`/`password`.
 * Resolves to {port, maildir, stop}.
 */
export async function startSmtp({ tls, user, password }) {
  const maildir = await mkdtemp(join(tmpdir(), 'aspk-maildir-'));
  const port = await freePort();
  const child = spawn(PYTHON, [SMTP_SERVER, '--port', String(port), '--cert', tls.cert, '--key', tls.key,
    '--user', user, '--password', password, '--maildir', maildir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the SMTP server did not start: ${log}`)), 15_000);
    child.stdout.on('data', (d) => {
      log += d;
      if (/ready \d+/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the SMTP server exited (${code}): ${log}`));
    });
  });
  return {
    port,
    maildir,
    log: () => log,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      }
      await rm(maildir, { recursive: true, force: true });
    },
  };
}

/** The first message in `maildir` within `ms`: its path. */
export async function waitForMail(maildir, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const names = (await readdir(maildir)).filter((n) => n.endsWith('.eml')).sort();
    if (names.length > 0) return join(maildir, names[0]);
    if (Date.now() > deadline) throw new Error(`no mail in ${maildir} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// Prints the message's headers of interest and its parts as JSON, each part's bytes base64.
const PARSE_EML = `
import base64, email, json, sys
from email import policy
msg = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
parts = []
for part in msg.walk():
    if part.is_multipart():
        continue
    parts.append({
        'type': part.get_content_type(),
        'filename': part.get_filename(),
        'disposition': part.get_content_disposition(),
        'cid': part.get('Content-ID'),
        'data': base64.b64encode(part.get_payload(decode=True) or b'').decode(),
    })
print(json.dumps({'to': str(msg['To']), 'from': str(msg['From']), 'subject': str(msg['Subject']), 'parts': parts}))
`;

/** A .eml file parsed: {to, from, subject, parts: [{type, filename, disposition, cid, data: Buffer}]}. */
export function readMail(path) {
  const out = spawnSync(PYTHON, ['-c', PARSE_EML, path], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (out.status !== 0) throw new Error(`cannot parse ${path}: ${out.stderr}`);
  const mail = JSON.parse(out.stdout);
  for (const part of mail.parts) part.data = Buffer.from(part.data, 'base64');
  return mail;
}

/** The QR codes' texts printed in `pdf` (a Buffer): each page rendered at 150 dpi, then decoded. */
export async function qrCodesInPdf(pdf) {
  const dir = await mkdtemp(join(tmpdir(), 'aspk-pdf-'));
  try {
    const file = join(dir, 'tickets.pdf');
    await writeFile(file, pdf);
    const rendered = spawnSync('pdftoppm', ['-png', '-r', '150', file, join(dir, 'page')], { encoding: 'utf8' });
    if (rendered.status !== 0) throw new Error(`pdftoppm failed: ${rendered.stderr}`);
    const pages = (await readdir(dir)).filter((n) => n.endsWith('.png')).sort();
    const codes = [];
    for (const page of pages) {
      const decoded = spawnSync('zbarimg', ['--raw', '-q', join(dir, page)], { encoding: 'utf8' });
      // zbarimg exits 4 when a page has no code; that page simply adds none.
      if (decoded.status !== 0 && decoded.status !== 4) throw new Error(`zbarimg failed: ${decoded.stderr}`);
      codes.push(...decoded.stdout.split('\n').filter((l) => l.length > 0));
    }
    return codes;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
