// Photos of e-tickets taken during an outage: sent a few at a time (at most 4 files or
// 30 MB a request) to /paper/photos, with a progress bar; at the end, a summary of what was
// imported, already used, unknown and which files could not be read. Without this script
// the form posts every file at once and the page shows the summary.

const form = document.getElementById('photos-form');
const MAX_FILES = 4;
const MAX_BYTES = 30 * 1024 * 1024;

/** The files in groups a request can carry (a file bigger than the limit goes alone). */
const groups = (files) => {
  const out = [];
  let group = [];
  let bytes = 0;
  for (const file of files) {
    if (group.length && (group.length >= MAX_FILES || bytes + file.size > MAX_BYTES)) {
      out.push(group);
      group = [];
      bytes = 0;
    }
    group.push(file);
    bytes += file.size;
  }
  if (group.length) out.push(group);
  return out;
};

/** A catalogue text from the form's data attributes with `{ $name }` filled in. */
const text = (key, args = {}) => (form.dataset[key] ?? '').replace(/\{(\w+)\}/g, (_, n) => String(args[n] ?? ''));

const show = (result, lines) => {
  result.replaceChildren(...lines.map((line) => {
    const p = document.createElement('p');
    p.textContent = line;
    return p;
  }));
};

if (form) {
  form.addEventListener('submit', async (event) => {
    const input = form.querySelector('input[type=file]');
    const files = Array.from(input.files ?? []);
    if (!files.length || !window.fetch) return;
    event.preventDefault();
    const progress = document.getElementById('photos-progress');
    const result = document.getElementById('photos-result');
    const button = form.querySelector('button[type=submit]');
    const total = { imported: 0, used: 0, unknown: 0, unreadable: [], unknownItems: [] };
    const errors = [];
    progress.hidden = false;
    progress.max = files.length;
    progress.value = 0;
    button.disabled = true;
    show(result, [text('sending', { done: 0, total: files.length })]);
    for (const group of groups(files)) {
      const body = new FormData();
      for (const field of ['csrf', 'venue']) body.append(field, form.elements[field].value);
      for (const file of group) body.append('photos', file, file.name);
      try {
        const response = await fetch(form.action, { method: 'POST', body, headers: { Accept: 'application/json' } });
        const answer = await response.json().catch(() => ({}));
        if (!response.ok) {
          errors.push(answer.error ?? text('failed'));
        } else {
          const s = answer.summary;
          total.imported += s.imported;
          total.used += s.already_used;
          total.unknown += s.unknown;
          total.unreadable.push(...s.unreadable_items);
          total.unknownItems.push(...s.unknown_items);
        }
      } catch {
        errors.push(text('failed'));
      }
      progress.value += group.length;
      show(result, [text('sending', { done: progress.value, total: files.length })]);
    }
    const lines = [text('summary', {
      imported: total.imported, used: total.used, unknown: total.unknown, unreadable: total.unreadable.length,
    })];
    if (total.unreadable.length) lines.push(`${text('unreadable')}: ${total.unreadable.join(', ')}`);
    lines.push(...errors);
    show(result, lines);
    result.id = 'photos-result';
    result.classList.toggle('error', errors.length > 0);
    button.disabled = false;
    input.value = '';
  });
}
