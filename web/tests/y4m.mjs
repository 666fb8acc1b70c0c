// A fake camera for Chromium (--use-file-for-fake-video-capture): a YUV4MPEG2 file whose frames
// show one QR code, black on white, drawn from qrcode-generator's module matrix. The format is
// a text header, then per frame "FRAME\n" and the Y, U and V planes (4:2:0).
import { writeFile } from 'node:fs/promises';

import qrcode from 'qrcode-generator';

/** Writes `path`: `frames` identical 640x480 frames showing `text` as a QR code. */
export async function writeQrVideo(path, text, { width = 640, height = 480, frames = 2 } = {}) {
  const qr = qrcode(0, 'M');
  qr.addData(text, /^[0-9]+$/.test(text) ? 'Numeric' : 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  const quiet = 4;
  const scale = Math.floor((Math.min(width, height) - 20) / (n + 2 * quiet));
  const size = scale * n;
  const x0 = Math.floor((width - size) / 2);
  const y0 = Math.floor((height - size) / 2);
  const y = Buffer.alloc(width * height, 235);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (!qr.isDark(r, c)) continue;
      for (let dy = 0; dy < scale; dy++) {
        y.fill(16, (y0 + r * scale + dy) * width + x0 + c * scale, (y0 + r * scale + dy) * width + x0 + (c + 1) * scale);
      }
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2), 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`);
  await writeFile(path, Buffer.concat([header, ...Array(frames).fill(frame)]));
  return { modules: n, pixelsPerModule: scale };
}
