// Signing a member of staff in to the staff app in a fresh browser context, in a language,
// collecting what the pages' Content-Security-Policy refused or their scripts threw.

/**
 * Signs `username` in at `base` in `lang` (a new 1280×900 context); every CSP refusal and
 * page error is pushed onto `problems` (a test asserts it stays empty).
 */
export async function signIn(browser, base, lang, username, password, problems) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) problems.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${page.url()}: ${e}`));
  await page.goto(`${base}/?lang=${lang}`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.press('#password', 'Enter')]);
  return { context, page };
}
