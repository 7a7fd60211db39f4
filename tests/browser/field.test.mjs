// The field app on a phone with no signal: a commune officer opens it once online (the service
// worker keeps it, the lists come down), loses the signal, registers a place with GPS, records
// help given, takes a feedback case and a field-log observation with photos, and one record the
// server will refuse; the page is reloaded while offline (the outbox is still there); when the
// signal returns every record is sent once, the photos arrive, a second sync sends nothing,
// and the refused record says why in Vietnamese. Then the session ends while offline: the
// record waits, the officer signs in again and it is sent. Last, a record made offline survives
// closing the browser (a phone reboot) and is sent after it opens again.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { base, password, violations, launch, shot, accessibility } from './support.mjs';

let browser;

before(async () => {
  browser = await launch();
});

afterEach(() => {
  assert.deepEqual(violations.splice(0), [], 'the Content-Security-Policy blocked something');
});

after(async () => {
  await browser?.close();
});

/** A JPEG as a phone camera makes it, drawn in the page (large, so the app must shrink it). */
async function cameraPhoto(page) {
  const b64 = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 3000;
    c.height = 2000;
    const g = c.getContext('2d');
    for (let i = 0; i < 60; i++) {
      g.fillStyle = `hsl(${i * 6}, 70%, 45%)`;
      g.fillRect(i * 50, (i * 37) % 1800, 400, 300);
    }
    return c.toDataURL('image/jpeg', 0.95).split(',')[1];
  });
  return { name: 'IMG_2026.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(b64, 'base64') };
}

async function outbox(page) {
  return page.$$eval('#outbox li.field-record', (lis) => lis.map((li) => ({
    state: li.getAttribute('data-state'), text: li.innerText,
  })));
}

async function waitSettled(page) {
  await page.waitForFunction(() => {
    const lis = [...document.querySelectorAll('#outbox li.field-record')];
    return lis.length > 0 && lis.every((li) => !['waiting', 'sending', 'retry'].includes(li.getAttribute('data-state')));
  }, null, { timeout: 60000 });
}

test('records made with no signal survive a reload and arrive once when the signal returns', async () => {
  const suffix = String(Date.now() % 1000000);
  const context = await browser.newContext({
    viewport: { width: 412, height: 860 }, locale: 'vi-VN',
    permissions: ['geolocation'], geolocation: { latitude: 10.88, longitude: 106.42, accuracy: 8 },
  });
  const page = await context.newPage();
  page.on('dialog', (d) => d.accept());
  await page.goto(`${base}/login?next=/field/`);
  await page.getByLabel('Tên đăng nhập').fill('canbo.xaduchoa');
  await page.getByLabel('Mật khẩu').fill(password);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.waitForURL(`${base}/field/`);
  // A position inside the commune: beside one of its registered places.
  const ref = await (await page.request.get(`${base}/api/v1/field/reference`)).json();
  const near = ref.places.find((p) => p.status === 'active');
  await context.setGeolocation({ latitude: near.latitude + 0.0002, longitude: near.longitude + 0.0001, accuracy: 8 });

  // Installed: the worker controls the page and the lists are on the phone.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30000 });
  await page.locator('.field-menu li[data-form="place"]:not([hidden])').waitFor();
  assert.match(await page.locator('#ref-status').innerText(), /Tải lúc .*địa điểm/);
  assert.deepEqual(await accessibility(page), []);
  await shot(page, 'field-online');

  // The signal drops.
  await context.setOffline(true);
  await page.waitForFunction(() => !navigator.onLine);
  assert.match(await page.locator('#net').innerText(), /Mất mạng/);

  // 1. A household registered with its GPS position.
  await page.getByRole('link', { name: 'Đăng ký địa điểm' }).click();
  const place = page.locator('#form-place');
  await place.getByLabel('Ấp').selectOption('27937-01');
  await place.getByLabel('Tên địa điểm (chủ hộ)').fill(`Hộ ông Sáu Ruộng ${suffix}`);
  await page.locator('#form-place [data-gps]').click();
  await page.locator('#form-place [data-gps-out]').filter({ hasText: 'Đã lấy vị trí' }).waitFor();
  await page.locator('#form-place button[type=submit]').click();
  await page.locator('#notice').filter({ hasText: 'Đã lưu trên máy' }).waitFor();

  // 2. Help given to a household.
  await page.getByRole('link', { name: 'Ghi nhận hỗ trợ người dân' }).click();
  await page.locator('#support-village').selectOption('27937-01');
  await page.locator('#support-service').selectOption('public_service');
  await page.locator('#support-people').fill('3');
  await page.locator('#support-note').fill(`Nộp hồ sơ cấp đổi CCCD ${suffix}`);
  await page.locator('#form-support button[type=submit]').click();
  await page.waitForFunction(() => document.querySelectorAll('#outbox li.field-record').length === 2);

  // 3. A feedback case with a photo.
  await page.getByRole('link', { name: 'Tiếp nhận phản ánh' }).click();
  await page.locator('#fb-category').selectOption({ index: 1 });
  await page.locator('#fb-description').fill(`Cống thoát nước ấp Bình Tả 1 bị nghẹt ${suffix}`);
  await page.locator('#fb-village').selectOption('27937-01');
  await page.locator('#fb-name').fill('Lê Văn Báo');
  await page.locator('#fb-phone').fill('0913555777');
  const photo = await cameraPhoto(page);
  await page.locator('#fb-photo').setInputFiles(photo);
  await page.locator('#form-feedback button[type=submit]').click();
  await page.waitForFunction(() => document.querySelectorAll('#outbox li.field-record').length === 3);

  // 4. A pest seen on a plot, with a photo.
  await page.getByRole('link', { name: 'Nhật ký đồng ruộng' }).click();
  await page.locator('#log-plot').selectOption({ index: 1 });
  await page.locator('#log-kind').selectOption('observation');
  await page.locator('#log-pest').fill(`Rầy nâu ${suffix}`);
  await page.locator('#log-photo').setInputFiles(photo);
  await page.locator('#form-field_log button[type=submit]').click();
  await page.waitForFunction(() => document.querySelectorAll('#outbox li.field-record').length === 4);

  // 5. Help given at a digital address no house has: the server will refuse it.
  await page.getByRole('link', { name: 'Ghi nhận hỗ trợ người dân' }).click();
  await page.locator('#support-village').selectOption('27937-01');
  await page.locator('#support-address').fill('7P28QJXX+XX');
  await page.locator('#form-support button[type=submit]').click();
  await page.waitForFunction(() => document.querySelectorAll('#outbox li.field-record').length === 5);

  // The photos were made smaller on the phone before they were kept.
  const kept = await page.evaluate(() => new Promise((ok) => {
    indexedDB.open('xaso-field').onsuccess = (e) => {
      e.target.result.transaction('outbox').objectStore('outbox').getAll().onsuccess = (r) => {
        ok(r.target.result.filter((x) => x.photo).map((x) => x.photo.size));
      };
    };
  }));
  assert.equal(kept.length, 2);
  for (const size of kept) assert.ok(size < photo.buffer.length / 2, `kept ${size} bytes of ${photo.buffer.length}`);

  // Reloaded with no signal: the worker opens the app and the outbox is all there.
  await page.reload();
  await page.locator('#outbox li.field-record').first().waitFor();
  let box = await outbox(page);
  assert.equal(box.length, 5);
  assert.ok(box.every((r) => r.state === 'waiting'), JSON.stringify(box));
  assert.match(await page.locator('#pending').innerText(), /Chờ gửi: 5/);
  await shot(page, 'field-offline-outbox');

  // The signal returns: the outbox sends itself, in order.
  const posts = [];
  page.on('request', (r) => { if (r.url().endsWith('/api/v1/field/records')) posts.push(r.url()); });
  await context.setOffline(false);
  await waitSettled(page);
  box = await outbox(page);
  assert.equal(box.filter((r) => r.state === 'saved').length, 4, JSON.stringify(box));
  const refused = box.filter((r) => r.state === 'refused');
  assert.equal(refused.length, 1);
  assert.match(refused[0].text, /Bị từ chối/);
  assert.match(refused[0].text, /địa chỉ số/i, refused[0].text);
  assert.equal(posts.length, 5);
  await shot(page, 'field-synced');

  // A second sync sends nothing.
  posts.length = 0;
  await page.getByRole('button', { name: 'Gửi ngay' }).click();
  await page.waitForFunction(() => document.querySelector('#sync') && !document.querySelector('[data-state=sending]'));
  await page.waitForLoadState('networkidle');
  assert.equal(posts.length, 0);

  // Each record is on the server once; the photos came with them.
  const answers = await page.evaluate(() => new Promise((ok) => {
    indexedDB.open('xaso-field').onsuccess = (e) => {
      e.target.result.transaction('outbox').objectStore('outbox').getAll().onsuccess = (r) => {
        ok(r.target.result.filter((x) => x.state === 'saved').map((x) => ({ kind: x.kind, ...x.answer })));
      };
    };
  }));
  assert.equal(new Set(answers.map((a) => a.record_id)).size, 4);
  const places = await (await page.request.get(`${base}/api/v1/places?unit=27937&q=${encodeURIComponent(`Sáu Ruộng ${suffix}`)}`)).json();
  assert.equal(places.places.length, 1, JSON.stringify(places));
  const caseAnswer = answers.find((a) => a.kind === 'feedback');
  await page.goto(`${base}${caseAnswer.link}`);
  assert.match(await page.locator('main').innerText(), new RegExp(`bị nghẹt ${suffix}`));
  assert.equal(await page.locator('#photos figure').count(), 1);
  const logAnswer = answers.find((a) => a.kind === 'field_log');
  await page.goto(`${base}${logAnswer.link}`);
  const entry = page.locator(`#log-${logAnswer.record_id}`);
  assert.match(await entry.innerText(), new RegExp(`Rầy nâu ${suffix}`));
  assert.equal(await page.locator('#log-list li', { hasText: `Rầy nâu ${suffix}` }).count(), 1);
  const photoUrl = await entry.getByRole('link').first().getAttribute('href');
  const got = await page.request.get(`${base}${photoUrl}`);
  assert.equal(got.status(), 200);
  assert.match(got.headers()['content-type'], /^image\//);

  // The session ends while the phone is offline: nothing is lost.
  await page.goto(`${base}/field/`);
  await context.setOffline(true);
  await page.waitForFunction(() => !navigator.onLine);
  await page.getByRole('link', { name: 'Ghi nhận hỗ trợ người dân' }).click();
  await page.locator('#support-village').selectOption('27937-02');
  await page.locator('#support-note').fill(`Sau khi hết phiên ${suffix}`);
  await page.locator('#form-support button[type=submit]').click();
  await page.waitForFunction(() => document.querySelectorAll('#outbox li[data-state=waiting]').length === 1);
  await context.clearCookies();
  await context.setOffline(false);
  await page.locator('#notice').filter({ hasText: 'Đăng nhập lại' }).waitFor();
  assert.equal(await page.locator('#outbox li[data-state=waiting]').count(), 1);
  await page.locator('#sign-in').click();
  await page.getByLabel('Tên đăng nhập').fill('canbo.xaduchoa');
  await page.getByLabel('Mật khẩu').fill(password);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.waitForURL(`${base}/field/`);
  await waitSettled(page);
  assert.equal(await page.locator('#outbox li[data-state=waiting]').count(), 0);
  assert.equal(await page.locator('#outbox li[data-state=saved]').count(), 5);
  await shot(page, 'field-after-sign-in');
  await context.close();
});

test('a record made with no signal survives closing the browser and is sent after', async () => {
  const profile = mkdtempSync(join(tmpdir(), 'xaso-field-profile-'));
  const open = (offline) => chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 412, height: 860 }, locale: 'vi-VN', offline,
  });
  const note = `Trước khi tắt máy ${Date.now() % 1000000}`;
  let context = await open(false);
  let page = context.pages()[0] ?? await context.newPage();
  await page.goto(`${base}/login?next=/field/`);
  await page.getByLabel('Tên đăng nhập').fill('totruong.binhta1');
  await page.getByLabel('Mật khẩu').fill(password);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.waitForURL(`${base}/field/`);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30000 });
  await page.locator('.field-menu li[data-form="support"]:not([hidden])').waitFor();
  // A village team member sees the team's forms, not the office's.
  assert.ok(await page.locator('.field-menu li[data-form="stocktake"]').isHidden());

  await context.setOffline(true);
  await page.waitForFunction(() => !navigator.onLine);
  await page.getByRole('link', { name: 'Ghi nhận hỗ trợ người dân' }).click();
  await page.locator('#support-village').selectOption('27937-01');
  await page.locator('#support-service').selectOption('cashless');
  await page.locator('#support-note').fill(note);
  await page.locator('#form-support button[type=submit]').click();
  await page.waitForFunction(() => document.querySelectorAll('#outbox li[data-state=waiting]').length === 1);
  await context.close();

  // The phone is switched on again, still with no signal: the app opens from its own copy.
  context = await open(true);
  page = context.pages()[0] ?? await context.newPage();
  await page.goto(`${base}/field/`);
  const waiting = page.locator('#outbox li[data-state=waiting]');
  await waiting.waitFor();
  assert.match(await waiting.innerText(), /Mở tài khoản thanh toán không dùng tiền mặt/);
  await shot(page, 'field-after-restart');

  // The signal returns: it is sent (the session lasted; the CSRF token comes again).
  await context.setOffline(false);
  await page.locator('#outbox li[data-state=saved]').waitFor({ timeout: 30000 });
  assert.match(await page.locator('#outbox li[data-state=saved]').innerText(), /Mở tài khoản thanh toán/);
  // Stored once, and the log has the time the phone recorded it.
  const id = await page.evaluate(() => new Promise((ok) => {
    indexedDB.open('xaso-field').onsuccess = (e) => {
      e.target.result.transaction('outbox').objectStore('outbox').getAll().onsuccess = (r) => ok(r.target.result[0].answer.record_id);
    };
  }));
  const log = await (await page.request.get(`${base}/api/v1/audit?record_type=dt_support&record_id=${id}`)).json();
  assert.equal(log.entries.length, 1);
  assert.ok(log.entries[0].recorded_at < log.entries[0].at);
  await context.close();
  rmSync(profile, { recursive: true, force: true });
});
