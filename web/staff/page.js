// Small behaviours shared by every staff page, here rather than in inline handlers: the
// pages' Content-Security-Policy runs no inline script. Plain ES module, no build step.
//   data-autosubmit  on a field: changing it submits its form (the date, the printer)
//   data-print       on a button: prints the page (the Z report)
//   data-back        on a link: goes back in history (its href is where to go without one)

for (const field of document.querySelectorAll('[data-autosubmit]')) {
  field.addEventListener('change', () => field.form?.submit());
}
for (const button of document.querySelectorAll('[data-print]')) {
  button.addEventListener('click', () => window.print());
}
for (const link of document.querySelectorAll('a[data-back]')) {
  link.addEventListener('click', (e) => {
    if (history.length > 1) {
      e.preventDefault();
      history.back();
    }
  });
}
// data-escape on a link: Esc follows it (the "no" of a confirmation).
for (const link of document.querySelectorAll('a[data-escape]')) {
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      window.location.assign(link.href);
    }
  });
}
