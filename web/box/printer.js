// The box-office device's receipt printer: ESC/POS bytes (escpos.js) to a printer over WebUSB,
// WebSerial or Web Bluetooth, as the cashier chose (remembered on this device). No DOM and no
// texts here: a failure is a PrinterError whose `reason` names the catalogue message
// (`print.error.<reason>`), with `vars` for its placeholders.
//
//   support(kind)            -> null, or why this browser cannot use it ('insecure' | 'no_api')
//   await connect(kind, {baudRate})  -> {kind, name}; shows the browser's device chooser, so call
//                              it straight from a click (before any other await)
//   await reconnect()        -> {kind, name} | null: the remembered printer, without a chooser
//   await send(bytes)        -> written (one job at a time; reconnects without a chooser first)
//   current(), disconnect(), settings(), saveSettings(patch), onChange(fn)
//
// WebUSB: a device with an interface of the printer class (7); its bulk OUT endpoint gets the
// bytes in chunks. WebSerial: the port at the chosen speed (9600–115200 baud), 8N1. Web
// Bluetooth: the write characteristic of one of the GATT services ESC/POS printers use, in
// chunks of at most 512 bytes, without response where the characteristic allows it.

export const KINDS = ['usb', 'serial', 'bluetooth'];
export const BAUD_RATES = [9600, 19200, 38400, 57600, 115200];
const DEFAULT_BAUD = 115200;

/** The name of each browser API, for the messages. */
const API = { usb: 'WebUSB', serial: 'WebSerial', bluetooth: 'Web Bluetooth' };

const USB_PRINTER_CLASS = 7;
const USB_VENDOR_CLASS = 0xff;
const USB_CHUNK = 4096;
const SERIAL_CHUNK = 4096;
/** GATT writes: at most 512 bytes (the longest attribute value). */
const BLE_CHUNK = 512;

/**
 * GATT services of common ESC/POS printers (BLE "serial port" services of their modules), in
 * the order they are tried. Web Bluetooth lets a page use only services it names up front.
 */
export const BLE_SERVICES = [
  '000018f0-0000-1000-8000-00805f9b34fb', // 0x18F0, write 0x2AF1: most small thermal printers
  'e7810a71-73ae-499d-8c15-faa9aef0c3f2', // many "BlueTooth Printer" modules
  '49535343-fe7d-4ae5-8fa9-9fafd205e455', // Microchip (ISSC) transparent UART
  '0000ff00-0000-1000-8000-00805f9b34fb', // 0xFF00, write 0xFF02
  '0000ae30-0000-1000-8000-00805f9b34fb', // 0xAE30, write 0xAE01
  '0000fee7-0000-1000-8000-00805f9b34fb', // 0xFEE7
  '6e400001-b5a3-f393-e0a9-e50e24dcca9e', // Nordic UART, write 6E400002
];

const STORE_KEY = 'aspk-box-printer';

/** A printing failure: `reason` names the message, `vars` fill it. */
export class PrinterError extends Error {
  constructor(reason, vars = {}, cause = undefined) {
    super(vars.detail ? `${reason}: ${vars.detail}` : reason, cause ? { cause } : undefined);
    this.name = 'PrinterError';
    this.reason = reason;
    this.vars = vars;
  }
}

// --- settings -------------------------------------------------------------------------------------

/** The cashier's choice on this device: {kind, baudRate, auto, device} (device: how to find it again). */
export function settings() {
  let saved = {};
  try {
    saved = JSON.parse(localStorage.getItem(STORE_KEY) ?? '{}') ?? {};
  } catch {
    // storage unavailable or spoilt: defaults
  }
  return {
    kind: KINDS.includes(saved.kind) ? saved.kind : 'usb',
    baudRate: BAUD_RATES.includes(saved.baudRate) ? saved.baudRate : DEFAULT_BAUD,
    auto: saved.auto === true,
    device: saved.device ?? null,
  };
}

export function saveSettings(patch) {
  const next = { ...settings(), ...patch };
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(next));
  } catch {
    // not remembered, still used now
  }
  return next;
}

// --- state ----------------------------------------------------------------------------------------

/** The open connection: {kind, name, write(bytes), close(), owns(x)} or null. */
let link = null;
const listeners = new Set();

export const current = () => (link ? { kind: link.kind, name: link.name } : null);

/** `fn(current())` whenever the connection changes. */
export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function setLink(next) {
  link = next;
  for (const fn of listeners) {
    try {
      fn(current());
    } catch (e) {
      console.warn('printer listener', e);
    }
  }
}

/** Null when `kind` can be used in this browser, or the reason it cannot. */
export function support(kind) {
  if (!KINDS.includes(kind)) return 'no_api';
  if (globalThis.isSecureContext === false) return 'insecure';
  if (!globalThis.navigator?.[kind]) return 'no_api';
  return null;
}

function requireSupport(kind) {
  const why = support(kind);
  if (why) throw new PrinterError(why, { api: API[kind] ?? kind });
}

const detail = (e) => e?.message || String(e);

/** A browser error as a PrinterError; `choosing`: while the device chooser was open. */
function asPrinterError(e, choosing = false) {
  if (e instanceof PrinterError) return e;
  switch (e?.name) {
    case 'NotFoundError':
      // No device picked (the chooser was closed), or it went away.
      return new PrinterError(choosing ? 'cancelled' : 'gone', { detail: detail(e) }, e);
    case 'SecurityError':
    case 'NotAllowedError':
      return new PrinterError('denied', { detail: detail(e) }, e);
    case 'NetworkError':
    case 'InvalidStateError':
    case 'AbortError':
      return new PrinterError('gone', { detail: detail(e) }, e);
    default:
      return new PrinterError('failed', { detail: detail(e) }, e);
  }
}

function* chunks(bytes, size) {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, Math.min(bytes.length, at + size));
}

// --- WebUSB ---------------------------------------------------------------------------------------

/** The interface and bulk OUT endpoint to print through: the printer class first. */
function usbEndpoint(device) {
  let best = null;
  for (const iface of device.configuration?.interfaces ?? []) {
    for (const alt of iface.alternates ?? [iface.alternate]) {
      const out = alt?.endpoints?.find((e) => e.direction === 'out' && e.type === 'bulk');
      if (!out) continue;
      const score = alt.interfaceClass === USB_PRINTER_CLASS ? 2 : alt.interfaceClass === USB_VENDOR_CLASS ? 1 : 0;
      if (!best || score > best.score) best = { iface, alt, out, score };
    }
  }
  return best;
}

async function openUsb(device) {
  try {
    if (!device.opened) await device.open();
    if (!device.configuration) await device.selectConfiguration(1);
  } catch (e) {
    throw asPrinterError(e);
  }
  const found = usbEndpoint(device);
  if (!found) throw new PrinterError('no_endpoint');
  try {
    if (!found.iface.claimed) await device.claimInterface(found.iface.interfaceNumber);
  } catch (e) {
    // Held by the system's printer driver or another program.
    throw e?.name === 'NetworkError' || e?.name === 'InvalidStateError' ? new PrinterError('busy', { detail: detail(e) }, e) : asPrinterError(e);
  }
  try {
    if (found.iface.alternate && found.iface.alternate.alternateSetting !== found.alt.alternateSetting) {
      await device.selectAlternateInterface(found.iface.interfaceNumber, found.alt.alternateSetting);
    }
  } catch (e) {
    throw asPrinterError(e);
  }
  const endpoint = found.out.endpointNumber;
  const hex4 = (n) => (n ?? 0).toString(16).padStart(4, '0');
  return {
    kind: 'usb',
    name: device.productName || `USB ${hex4(device.vendorId)}:${hex4(device.productId)}`,
    remember: { vendorId: device.vendorId, productId: device.productId, serialNumber: device.serialNumber ?? null },
    owns: (x) => x === device,
    async write(bytes) {
      for (const chunk of chunks(bytes, USB_CHUNK)) {
        let result = await device.transferOut(endpoint, chunk);
        if (result.status === 'stall') {
          await device.clearHalt('out', endpoint);
          result = await device.transferOut(endpoint, chunk);
        }
        if (result.status !== 'ok') throw new PrinterError('gone', { detail: `USB transfer: ${result.status}` });
      }
    },
    async close() {
      await device.close();
    },
  };
}

const sameUsb = (d, r) => r && d.vendorId === r.vendorId && d.productId === r.productId && (!r.serialNumber || d.serialNumber === r.serialNumber);

// --- WebSerial ------------------------------------------------------------------------------------

async function openSerial(port, baudRate) {
  // Open already (ours, maybe at another speed): opened again at this one.
  if (port.writable) await port.close().catch(() => {});
  try {
    await port.open({ baudRate, dataBits: 8, stopBits: 1, parity: 'none', flowControl: 'none' });
  } catch (e) {
    // Open in another program (or tab): busy.
    throw e?.name === 'NetworkError' || e?.name === 'InvalidStateError' ? new PrinterError('busy', { detail: detail(e) }, e) : asPrinterError(e);
  }
  const info = port.getInfo?.() ?? {};
  const hex4 = (n) => n.toString(16).padStart(4, '0');
  return {
    kind: 'serial',
    name: info.usbVendorId !== undefined ? `COM ${hex4(info.usbVendorId)}:${hex4(info.usbProductId ?? 0)} · ${baudRate}` : `COM · ${baudRate}`,
    remember: { usbVendorId: info.usbVendorId ?? null, usbProductId: info.usbProductId ?? null },
    owns: (x) => x === port,
    async write(bytes) {
      if (!port.writable) throw new PrinterError('gone', { detail: 'the port is closed' });
      const writer = port.writable.getWriter();
      try {
        for (const chunk of chunks(bytes, SERIAL_CHUNK)) {
          await writer.ready;
          await writer.write(chunk);
        }
        await writer.ready;
      } finally {
        writer.releaseLock();
      }
    },
    async close() {
      await port.close();
    },
  };
}

const sameSerial = (p, r) => {
  const info = p.getInfo?.() ?? {};
  return !r || r.usbVendorId === null || (info.usbVendorId === r.usbVendorId && info.usbProductId === r.usbProductId);
};

// --- Web Bluetooth --------------------------------------------------------------------------------

async function writableCharacteristic(server) {
  const services = await server.getPrimaryServices();
  services.sort((a, b) => BLE_SERVICES.indexOf(a.uuid) - BLE_SERVICES.indexOf(b.uuid));
  for (const service of services) {
    let list = [];
    try {
      list = await service.getCharacteristics();
    } catch {
      continue;
    }
    const c = list.find((ch) => ch.properties.writeWithoutResponse) ?? list.find((ch) => ch.properties.write);
    if (c) return c;
  }
  return null;
}

async function openBluetooth(device) {
  let characteristic;
  try {
    const server = device.gatt.connected ? device.gatt : await device.gatt.connect();
    characteristic = await writableCharacteristic(server);
  } catch (e) {
    throw asPrinterError(e);
  }
  if (!characteristic) throw new PrinterError('no_endpoint');
  let withoutResponse = Boolean(characteristic.properties.writeWithoutResponse && characteristic.writeValueWithoutResponse);
  return {
    kind: 'bluetooth',
    name: device.name || 'Bluetooth',
    remember: { id: device.id },
    owns: (x) => x === device,
    async write(bytes) {
      if (!device.gatt.connected) {
        await device.gatt.connect();
        characteristic = await writableCharacteristic(device.gatt);
        if (!characteristic) throw new PrinterError('no_endpoint');
      }
      for (const chunk of chunks(bytes, BLE_CHUNK)) {
        if (withoutResponse) {
          try {
            await characteristic.writeValueWithoutResponse(chunk);
            continue;
          } catch (e) {
            // Some stacks refuse long writes without response: with response from here on.
            if (!characteristic.properties.write) throw e;
            withoutResponse = false;
          }
        }
        await (characteristic.writeValueWithResponse ?? characteristic.writeValue).call(characteristic, chunk);
      }
    },
    async close() {
      device.gatt.disconnect();
    },
  };
}

// --- connecting -----------------------------------------------------------------------------------

let watching = false;

/** Forgets the link when its device goes away (unplugged, switched off, out of range). */
function watch() {
  if (watching) return;
  watching = true;
  const gone = (e) => {
    const target = e.device ?? e.port ?? e.target;
    if (link?.owns(target)) setLink(null);
  };
  globalThis.navigator?.usb?.addEventListener?.('disconnect', gone);
  globalThis.navigator?.serial?.addEventListener?.('disconnect', gone);
}

async function use(opened, remember) {
  if (link && !link.owns(opened)) await link.close().catch(() => {});
  saveSettings({ ...remember, device: opened.remember });
  setLink(opened);
  watch();
  return current();
}

/**
 * Asks the browser for a printer of `kind` (its device chooser) and connects to it. Call it
 * straight from the cashier's click: the chooser needs that gesture.
 */
export async function connect(kind = settings().kind, { baudRate = settings().baudRate } = {}) {
  requireSupport(kind);
  let chosen;
  try {
    // First, with nothing awaited before: the click's user activation opens the chooser.
    if (kind === 'usb') chosen = await navigator.usb.requestDevice({ filters: [{ classCode: USB_PRINTER_CLASS }] });
    else if (kind === 'serial') chosen = await navigator.serial.requestPort();
    else chosen = await navigator.bluetooth.requestDevice({ acceptAllDevices: true, optionalServices: BLE_SERVICES });
  } catch (e) {
    throw asPrinterError(e, true);
  }
  const opened = kind === 'usb' ? await openUsb(chosen) : kind === 'serial' ? await openSerial(chosen, baudRate) : await openBluetooth(chosen);
  return use(opened, { kind, baudRate });
}

/** The remembered printer again, without a chooser (a device this site was allowed before). */
export async function reconnect() {
  if (link) return current();
  const s = settings();
  if (support(s.kind)) return null;
  try {
    if (s.kind === 'usb') {
      const devices = await navigator.usb.getDevices();
      const device = devices.find((d) => sameUsb(d, s.device)) ?? devices.find((d) => usbEndpoint(d)?.score === 2) ?? null;
      if (!device) return null;
      return use(await openUsb(device), s);
    }
    if (s.kind === 'serial') {
      const port = (await navigator.serial.getPorts()).find((p) => sameSerial(p, s.device));
      if (!port) return null;
      return use(await openSerial(port, s.baudRate), s);
    }
    if (!navigator.bluetooth.getDevices) return null;
    const device = (await navigator.bluetooth.getDevices()).find((d) => d.id === s.device?.id);
    if (!device) return null;
    return use(await openBluetooth(device), s);
  } catch (e) {
    console.warn('the remembered printer did not connect', e);
    return null;
  }
}

export async function disconnect() {
  const old = link;
  setLink(null);
  await old?.close().catch(() => {});
}

let queue = Promise.resolve();

/** Writes `bytes` to the printer, after any job before it. Throws PrinterError. */
export function send(bytes) {
  const job = queue.then(async () => {
    const kind = settings().kind;
    requireSupport(kind);
    if (link && link.kind !== kind) await disconnect();
    if (!link) await reconnect();
    if (!link) throw new PrinterError('not_connected', { api: API[kind] });
    const used = link;
    try {
      await used.write(bytes);
    } catch (e) {
      const error = asPrinterError(e);
      if (error.reason === 'gone' && link === used) setLink(null);
      throw error;
    }
  });
  queue = job.catch(() => {});
  return job;
}
