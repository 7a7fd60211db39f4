// The reference board player in a real browser: an officer registers an e-bulletin board,
// makes its token, schedules two texts and a picture all day; the board's page (a TV-sized
// window) loops them, is cut off from the network (Chromium's network emulation), reloaded
// and keeps looping from its cache; back online, an emergency alert the officer issues is on
// its screen within 2 s, and its cancellation gives the screen back to the loop. The reports it
// kept offline reach the commune's broadcast log.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { base, violations, launch, shot, signIn, accessibility } from './support.mjs';

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

/** Posts a form as the signed-in officer (the page's CSRF token), returning the response. */
async function postForm(page, path, fields) {
  const csrf = (await page.context().cookies()).find((c) => c.name === 'xaso_csrf').value;
  const form = new URLSearchParams([['csrf', csrf], ...fields]);
  return page.request.post(`${base}${path}`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    data: form.toString(),
    maxRedirects: 0,
  });
}

/** The id at the end of a redirect's Location. */
const idOf = (resp) => resp.headers().location.split('?')[0].split('/').pop();

/**
 * The item ids the board shows, in order, until each of `wanted` was seen (the demo's own
 * board programme for the whole commune may share the loop), or `count` changes for any.
 */
async function watchLoop(tv, count, wanted = []) {
  const seen = [];
  while (seen.length < count || !wanted.every((w) => seen.includes(w))) {
    assert.ok(seen.length < count + 12, `the loop should show ${wanted}: ${seen}`);
    const item = await tv.waitForFunction(
      (last) => {
        const s = document.getElementById('stage');
        return !s.hidden && s.dataset.item && s.dataset.item !== last ? s.dataset.item : null;
      },
      seen[seen.length - 1] ?? '',
      { timeout: 15000 },
    );
    seen.push(await item.jsonValue());
  }
  return seen;
}

test('a board loops its items offline from its cache and shows an emergency at once when back online', async () => {
  const officer = await signIn(browser, 'canbo.xaduchoa', '/units/27937/assets/new');
  officer.on('dialog', (d) => d.accept());
  const suffix = Date.now() % 100000;

  // The board in the ICT register, and its token (shown once, with the player's address).
  await officer.getByLabel('Loại thiết bị').selectOption({ label: 'Bảng tin điện tử' });
  await officer.getByLabel('Tên thiết bị').fill(`Bảng tin chợ ${suffix}`);
  await officer.getByRole('button', { name: 'Lưu' }).click();
  await officer.waitForURL(/\/assets\/[^/?]+\?saved=1$/);
  const device = new URL(officer.url()).pathname.split('/').pop();
  await officer.locator('#make-token').click();
  await officer.waitForURL(`${base}/assets/${device}/token`);
  const playerLink = await officer.locator('#open-board').getAttribute('href');
  assert.match(playerLink, new RegExp(`^/player/board#device=${device}&token=xsd_`));
  await shot(officer, 'board-token');

  // Two texts and a picture, two seconds each, approved; a programme for this board all day.
  const items = [];
  for (const [kind, title, body] of [
    ['text', `Lịch tiêm chủng ${suffix}`, 'Trạm y tế xã tiêm vắc-xin sởi cho trẻ từ 9 đến 24 tháng tuổi vào sáng thứ Bảy.'],
    ['text', `Họp dân ấp ${suffix}`, 'Mời bà con dự họp bàn làm đường giao thông nông thôn lúc 19 giờ tối thứ Sáu.'],
    ['slide', `Ảnh chợ phiên ${suffix}`, ''],
  ]) {
    const r = await postForm(officer, '/units/27937/broadcast/bulletins', [
      ['kind', kind], ['title', title], ['body', body], ['priority', 'normal'], ['show_seconds', '2'],
    ]);
    assert.equal(r.status(), 303, await r.text());
    items.push(idOf(r));
  }
  const csrf = (await officer.context().cookies()).find((c) => c.name === 'xaso_csrf').value;
  // The picture: a PNG the browser makes of the page it shows.
  const picture = await officer.screenshot({ clip: { x: 0, y: 0, width: 400, height: 225 } });
  const up = await officer.request.post(`${base}/bulletins/${items[2]}/media`, {
    multipart: { csrf, file: { name: 'cho-phien.png', mimeType: 'image/png', buffer: picture } },
    maxRedirects: 0,
  });
  assert.equal(up.status(), 303, await up.text());
  for (const id of items) {
    const r = await postForm(officer, `/bulletins/${id}/status`, [['to', 'approved']]);
    assert.equal(r.status(), 303, await r.text());
  }
  const programme = await postForm(officer, '/units/27937/broadcast/programmes', [
    ['name', `Bảng tin chợ cả ngày ${suffix}`], ['medium', 'board'], ['target', `asset:${device}`],
    ...['2', '3', '4', '5', '6', '7', 'CN'].map((d) => ['weekdays', d]),
    ['slots', '00:00-23:59'],
    ...items.map((id, i) => [`order_${id}`, String(i + 1)]),
  ]);
  assert.equal(programme.status(), 303, await programme.text());

  // The board: a TV-sized kiosk window opening the player's address once.
  const tvContext = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'vi-VN' });
  const tv = await tvContext.newPage();
  await tv.goto(`${base}${playerLink}`);
  assert.equal(new URL(tv.url()).hash, '', 'the token does not stay in the address bar');
  const online = await watchLoop(tv, 3, items);
  const order = online.filter((i) => items.includes(i));
  assert.deepEqual(order.slice(0, 3), items.slice(items.indexOf(order[0])).concat(items).slice(0, 3), `in the programme's order: ${online}`);
  // The page is looked after by its service worker and holds the picture.
  await tv.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await tv.waitForFunction(async () => (await (await caches.open('xaso-board-media')).keys()).length === 1);
  await tv.waitForFunction(() => navigator.serviceWorker.controller !== null);

  // Offline, and even reloaded (the kiosk restarting), it keeps looping, picture included.
  await tvContext.setOffline(true);
  await tv.reload();
  await tv.getByText('Mất kết nối mạng — đang phát từ bộ nhớ').waitFor();
  await watchLoop(tv, 3, items);
  await tv.waitForFunction(() => {
    const img = document.getElementById('slide-image');
    return !img.hidden && img.src.startsWith('blob:') && img.naturalWidth > 0;
  }, null, { timeout: 15000 });
  await shot(tv, 'board-offline');

  // Back online: once the board has its event stream again, an alert is on screen within 2 s.
  await tvContext.setOffline(false);
  await tv.waitForFunction(() => document.getElementById('status').hidden, null, { timeout: 15000 });
  const sent = Date.now();
  const alert = await postForm(officer, '/units/27937/alerts', [
    ['hazard', 'flood'], ['risk_level', '4'], ['headline', `Lũ lên nhanh ở chợ ${suffix}`],
    ['description', 'Nước sông Vàm Cỏ Đông đang dâng cao.'], ['instruction', 'Dời hàng hóa lên cao, tránh xa bờ sông.'],
    ['hours', '2'], ['repeats', '1'],
  ]);
  assert.equal(alert.status(), 303, await alert.text());
  const alertId = idOf(alert);
  await tv.locator('#alert').getByText(`Lũ lên nhanh ở chợ ${suffix}`).waitFor({ timeout: 2000 });
  const shownAfter = Date.now() - sent;
  assert.ok(shownAfter < 2000, `shown ${shownAfter} ms after it was sent`);
  assert.equal(await tv.locator('#stage').isVisible(), false, 'the alert takes the whole screen');
  await shot(tv, 'board-alert');

  // Cancelled: the screen goes back to the loop.
  const cancel = await postForm(officer, `/alerts/${alertId}/cancel`, [['reason', 'Nước đã rút']]);
  assert.equal(cancel.status(), 303, await cancel.text());
  await tv.locator('#alert').waitFor({ state: 'hidden', timeout: 5000 });
  await watchLoop(tv, 1);
  await shot(tv, 'board-after');

  // What it showed (offline too) and the alert are in the commune's broadcast log.
  let plays = [];
  // (The board sends its reports as the cancellation arrives; this only waits for that.)
  for (let i = 0; i < 40 && !plays.some((p) => p.alert === alertId); i++) {
    if (i) await new Promise((r) => setTimeout(r, 500));
    const log = await officer.request.get(`${base}/api/v1/units/27937/broadcast-log`);
    plays = (await log.json()).plays.filter((p) => p.device === device);
  }
  assert.ok(plays.some((p) => p.alert === alertId && p.result === 'played'), JSON.stringify(plays));
  assert.ok(plays.filter((p) => p.item && p.result === 'played').length >= 4, JSON.stringify(plays));
  assert.ok(plays.some((p) => p.item && p.result === 'interrupted'), 'the item the alert cut is reported');

  // The alert's page shows the board received and showed it.
  await officer.goto(`${base}/alerts/${alertId}`);
  await shot(officer, 'board-alert-deliveries');
  await tvContext.close();
});

test('a board without its token asks for it, accessibly, and a wrong token says so', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'vi-VN' });
  const tv = await context.newPage();
  await tv.goto(`${base}/player/board`);
  await tv.getByRole('heading', { name: 'Cài đặt bảng tin điện tử' }).waitFor();
  assert.deepEqual(await accessibility(tv), []);
  await tv.getByLabel('Mã số thiết bị').fill('khong-co-thiet-bi-nay');
  await tv.getByLabel('Mã thiết bị').fill('xsd_sai');
  await tv.getByRole('button', { name: 'Bắt đầu phát' }).click();
  await tv.getByText('Mã thiết bị không còn hiệu lực — xin xã cấp mã mới').waitFor();
  await shot(tv, 'board-wrong-token');
  await context.close();
});
