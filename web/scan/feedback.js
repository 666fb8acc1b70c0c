// Sound (WebAudio beeps, no audio files) and vibration for a result, so staff need not look.
//   admit: one high beep; check document: two middle beeps; no: one long low tone.

const PATTERNS = {
  admit: { tones: [[1760, 0.12]], vibrate: [80] },
  check: { tones: [[1175, 0.12], [1175, 0.12]], vibrate: [80, 80, 80] },
  deny: { tones: [[220, 0.5]], vibrate: [400] },
};

let audio = null;

/** Call from a user gesture (a tap) once, so the browser lets the page make sound. */
export function unlock() {
  try {
    audio ??= new AudioContext();
    if (audio.state === 'suspended') audio.resume();
  } catch {
    audio = null;
  }
}

/** @param {"admit"|"check"|"deny"} kind */
export function signal(kind) {
  const p = PATTERNS[kind];
  try {
    navigator.vibrate?.(p.vibrate);
  } catch {
    // no vibration motor or not allowed
  }
  if (!audio || audio.state !== 'running') return;
  let t = audio.currentTime;
  for (const [freq, secs] of p.tones) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = 'square';
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.2, t);
    gain.gain.exponentialRampToValueAtTime(0.001, t + secs);
    osc.connect(gain).connect(audio.destination);
    osc.start(t);
    osc.stop(t + secs);
    t += secs + 0.06;
  }
}
