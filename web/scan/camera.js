// Continuous QR scanning from the rear camera: the browser's BarcodeDetector where it reads QR
// codes, otherwise the vendored jsQR on a downscaled frame. A code still in view (or seen in the
// last moments) is reported once, so a ticket held up is one scan, not one per frame.

const MAX_WIDTH = 640;
const SAME_CODE_QUIET_MS = 2_500;

let stream = null;
let running = false;
let detector = null;
let jsQR = null;
let last = { text: null, at: 0 };

async function makeDecoder() {
  if ('BarcodeDetector' in self) {
    try {
      const formats = await self.BarcodeDetector.getSupportedFormats();
      if (formats.includes('qr_code')) {
        detector = new self.BarcodeDetector({ formats: ['qr_code'] });
        return 'barcode-detector';
      }
    } catch {
      // fall through to jsQR
    }
  }
  await import('./vendor/jsqr/jsQR.js');
  jsQR = self.jsQR;
  return 'jsqr';
}

/**
 * Starts the camera in `video` and calls `onCode(text)` for each new code.
 * Resolves to {decoder, torch}: which decoder runs and whether the torch can be switched.
 */
export async function start(video, onCode) {
  stop();
  const decoder = await makeDecoder();
  stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
    audio: false,
  });
  video.srcObject = stream;
  video.setAttribute('playsinline', '');
  video.muted = true;
  await video.play();
  running = true;
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const loop = async () => {
    if (!running) return;
    try {
      const text = await readFrame(video, canvas, ctx);
      if (text) report(text, onCode);
    } catch {
      // a frame that cannot be read (camera switching, not ready): try the next one
    }
    if (running) setTimeout(loop, decoder === 'jsqr' ? 40 : 80);
  };
  loop();
  const track = stream.getVideoTracks()[0];
  const torch = Boolean(track?.getCapabilities?.().torch);
  return { decoder, torch };
}

async function readFrame(video, canvas, ctx) {
  if (video.readyState < 2 || !video.videoWidth) return null;
  if (detector) {
    const codes = await detector.detect(video);
    return codes[0]?.rawValue ?? null;
  }
  const scale = Math.min(1, MAX_WIDTH / video.videoWidth);
  const w = Math.round(video.videoWidth * scale);
  const h = Math.round(video.videoHeight * scale);
  if (canvas.width !== w || canvas.height !== h) [canvas.width, canvas.height] = [w, h];
  ctx.drawImage(video, 0, 0, w, h);
  const img = ctx.getImageData(0, 0, w, h);
  return jsQR(img.data, w, h, { inversionAttempts: 'dontInvert' })?.data ?? null;
}

function report(text, onCode) {
  const now = performance.now();
  const same = text === last.text && now - last.at < SAME_CODE_QUIET_MS;
  last = { text, at: now };
  if (!same) onCode(text);
}

export async function setTorch(on) {
  const track = stream?.getVideoTracks()[0];
  if (!track) return false;
  await track.applyConstraints({ advanced: [{ torch: on }] });
  return on;
}

export function stop() {
  running = false;
  for (const track of stream?.getTracks() ?? []) track.stop();
  stream = null;
}

export const isRunning = () => running;
