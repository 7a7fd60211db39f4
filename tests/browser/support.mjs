// What every browser journey shares: Debian's Chromium under playwright-core, a phone-sized
// page, screenshots to $XASO_SHOTS, and a record of anything the server's
// Content-Security-Policy blocked (a journey fails on any).
import { chromium } from 'playwright-core';

export const base = process.env.XASO_BASE_URL ?? 'http://127.0.0.1:8080';
export const password = 'xaso-demo-2026';
const shots = process.env.XASO_SHOTS;

/** CSP violations seen since the last check. */
export const violations = [];

export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => {
    const context = await newContext(options);
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
      });
    });
    context.on('page', (page) => {
      page.on('console', (msg) => {
        if (/Content Security Policy|CSP violation/i.test(msg.text())) violations.push(`${page.url()}: ${msg.text()}`);
      });
    });
    return context;
  };
  return browser;
}

/** A page the size of a cheap phone, in Vietnamese. */
export async function phone(browser) {
  const context = await browser.newContext({ viewport: { width: 412, height: 860 }, locale: 'vi-VN' });
  return context.newPage();
}

export async function shot(page, name) {
  if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

/** Signs in on a fresh phone page and lands on `next`. */
export async function signIn(browser, username, next) {
  const page = await phone(browser);
  await page.goto(`${base}/login?next=${next}`);
  await page.getByLabel('Tên đăng nhập').fill(username);
  await page.getByLabel('Mật khẩu').fill(password);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.waitForURL(`${base}${next}`);
  return page;
}

/**
 * axe-core's WCAG 2.1 A/AA rules on the page as it is; returns the serious and critical
 * violations as "rule: target" lines. axe runs through the debugging protocol, so the page's
 * Content-Security-Policy is not loosened for it.
 */
export async function accessibility(page) {
  const { readFileSync } = await import('node:fs');
  const { createRequire } = await import('node:module');
  const source = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
}
