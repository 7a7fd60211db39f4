// Browser journeys in a real headless Chromium against a running `xaso demo`.
// Run by scripts/test with XASO_BASE_URL set; screenshots go to $XASO_SHOTS (if set).
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { base, password, violations, launch, phone as phoneOf, shot } from './support.mjs';

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

const phone = () => phoneOf(browser);

test('a commune officer signs in, sees the commune page and adds a village', async () => {
  const page = await phone();
  const first = await page.goto(`${base}/staff`);
  // Every answer carries the policy the pages are written for.
  assert.match(first.headers()['content-security-policy'], /script-src 'self'; style-src 'self';/);
  assert.equal(first.headers()['x-content-type-options'], 'nosniff');
  // Not signed in: the sign-in page, which brings us back afterwards.
  assert.match(page.url(), /\/login\?next=\/staff$/);
  await page.getByLabel('Tên đăng nhập').fill('canbo.duchoaha');
  await page.getByLabel('Mật khẩu').fill(password);
  await shot(page, 'login');
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.waitForURL(`${base}/staff`);
  assert.ok(await page.getByText('Cán bộ xã Đức Hòa Hạ (mẫu)').first().isVisible());
  await shot(page, 'staff');

  // From the role's unit to the commune's page.
  await page.getByRole('link', { name: 'Xã Đức Hòa Hạ' }).click();
  await page.waitForLoadState();
  assert.equal(await page.locator('h1').innerText(), 'Xã Đức Hòa Hạ');
  assert.ok(await page.getByText('đã nhập vào').isVisible());
  assert.ok(await page.getByRole('link', { name: 'Ấp Bình Tả 1' }).isVisible());

  // Add a village with the form, using the keyboard as an officer would.
  const name = `Bình Tả ${Date.now() % 100000}`;
  await page.getByLabel('Tên ấp (thôn)').fill(name);
  await page.getByLabel('Tên ấp (thôn)').press('Enter');
  await page.waitForURL(/added=/);
  assert.ok(await page.getByText('Đã thêm ấp (thôn).').isVisible());
  assert.ok(await page.getByRole('link', { name: `Ấp ${name}` }).isVisible());
  await shot(page, 'commune');

  // Another commune's page has no form for this officer.
  await page.goto(`${base}/units/27988?as_of=2024-06-30`);
  assert.equal(await page.locator('h1').innerText(), 'Xã Hựu Thạnh');
  assert.equal(await page.getByRole('button', { name: 'Lưu' }).count(), 0);

  // The audit log page shows the officer's own change.
  await page.goto(`${base}/staff/audit`);
  assert.ok(await page.getByText(`Ấp ${name}`).first().isVisible());
  await shot(page, 'audit');
  await page.context().close();
});

test('search works as you type, without diacritics', async () => {
  const page = await phone();
  await page.goto(`${base}/units/search`);
  await page.getByLabel('Tên đơn vị').pressSequentially('duc hoa ha', { delay: 20 });
  await page.getByRole('link', { name: 'Xã Đức Hòa Hạ' }).waitFor();
  await shot(page, 'search');
  await page.context().close();
});

test('the language switch turns the interface to English and back', async () => {
  const page = await phone();
  await page.goto(`${base}/units?as_of=2024-06-30`);
  await page.getByRole('link', { name: 'English' }).click();
  await page.waitForLoadState();
  assert.equal(await page.locator('h1').innerText(), 'Administrative units');
  assert.match(page.url(), /\/units\?as_of=2024-06-30$/);
  await page.getByRole('link', { name: 'Tiếng Việt' }).click();
  await page.waitForLoadState();
  assert.equal(await page.locator('h1').innerText(), 'Đơn vị hành chính');
  await page.context().close();
});

test('a commune enters a year, submits it, and the area officer approves it', async () => {
  const page = await phone();
  const asked = [];
  page.on('dialog', (d) => { asked.push(d.message()); d.accept(); });
  await page.goto(`${base}/login?next=/units/27985/criteria/2024`);
  await page.getByLabel('Tên đăng nhập').fill('canbo.duchoaha');
  await page.getByLabel('Mật khẩu').fill(password);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.waitForURL(`${base}/units/27985/criteria/2024`);
  assert.ok(await page.getByText('Chưa đạt chuẩn').first().isVisible());

  // The three criteria the commune still lacked, set to Đạt, with a note.
  for (const code of ['10', '13', '17']) {
    await page.getByLabel(`Giá trị ${code} (Đạt chuẩn NTM)`, { exact: true }).selectOption('dat');
  }
  await page.getByLabel('Ghi chú 17 (Đạt chuẩn NTM)', { exact: true }).fill('Biên bản kiểm tra tháng 11/2024');
  await page.getByRole('button', { name: 'Lưu' }).click();
  await page.waitForURL(/saved=1/);
  assert.ok(await page.getByText('Đã lưu số liệu').isVisible());
  assert.ok(await page.getByText('Mức đạt: Đạt chuẩn NTM').isVisible());
  await shot(page, 'criteria-entry');

  // The signed inspection record for criterion 17, attached as evidence from the phone.
  await page.locator('#ev-indicator').selectOption('vn-xa-ntm-2021-2025:17');
  await page.locator('#ev-file').setInputFiles({
    name: 'bien-ban-kiem-tra-moi-truong.pdf',
    mimeType: 'application/pdf',
    buffer: readFileSync(new URL('../../data/demo/minh-chung-minh-hoa.pdf', import.meta.url)),
  });
  await page.getByRole('region', { name: /^Minh chứng/ }).getByRole('button', { name: 'Tải lên' }).click();
  await page.waitForLoadState();
  assert.ok(await page.getByRole('link', { name: 'bien-ban-kiem-tra-moi-truong.pdf' }).isVisible());

  assert.deepEqual(asked, []);
  await page.getByRole('button', { name: 'Gửi duyệt' }).click();
  await page.waitForLoadState();
  assert.equal(asked.length, 1, 'submitting asks for a confirmation first (app.js, no inline handler)');
  assert.ok(await page.getByRole('heading', { name: 'Trạng thái số liệu: Đã gửi duyệt' }).isVisible());
  assert.equal(await page.getByRole('button', { name: 'Lưu' }).count(), 0, 'no edits after submitting');
  await page.context().close();

  const area = await phone();
  await area.goto(`${base}/login?next=/units/27985/criteria/2024`);
  await area.getByLabel('Tên đăng nhập').fill('canbo.duchoa');
  await area.getByLabel('Mật khẩu').fill(password);
  await area.getByRole('button', { name: 'Đăng nhập' }).click();
  await area.waitForURL(`${base}/units/27985/criteria/2024`);
  await area.getByLabel('Ý kiến gửi xã').fill('Đủ minh chứng.');
  await area.getByRole('button', { name: 'Phê duyệt' }).click();
  await area.waitForLoadState();
  assert.ok(await area.getByRole('heading', { name: 'Trạng thái số liệu: Đã phê duyệt — khóa số liệu' }).isVisible());
  await shot(area, 'criteria-approved');

  await area.goto(`${base}/units/802/rollup/2024`);
  assert.ok(await area.getByText('17/17 xã đạt chuẩn NTM').isVisible());
  await shot(area, 'rollup');
  await area.context().close();
});

test('an officer registers a place by tapping the map, finds it without diacritics and opens its public page', async () => {
  const page = await phone();
  await page.goto(`${base}/login?next=/units/27937/places/new`);
  await page.getByLabel('Tên đăng nhập').fill('canbo.xaduchoa');
  await page.getByLabel('Mật khẩu').fill(password);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.waitForURL(`${base}/units/27937/places/new`);

  await page.getByLabel('Loại địa điểm').selectOption('market');
  await page.getByLabel('Tên địa điểm (hộ: tên chủ hộ)').fill('Chợ Đức Hòa Hạ');
  // Tap the map where the commune's centre is (the demo's relics without a surveyed position sit there).
  const centre = await (await fetch(`${base}/api/v1/places?unit=27937&q=chua%20linh`)).json();
  const { latitude, longitude } = centre.places[0];
  await page.waitForFunction(() => window.xasoMap);
  const point = await page.evaluate(([la, ln]) => {
    const p = window.xasoMap.latLngToContainerPoint([la, ln]);
    return { x: p.x, y: p.y };
  }, [latitude, longitude]);
  await page.locator('#map').click({ position: { x: point.x + 6, y: point.y + 6 } });
  const lat = Number(await page.getByLabel('Vĩ độ').inputValue());
  const lng = Number(await page.getByLabel('Kinh độ').inputValue());
  assert.ok(Math.abs(lat - latitude) < 0.01 && Math.abs(lng - longitude) < 0.01, `tapped ${lat},${lng}`);
  await shot(page, 'place-form');
  await page.getByRole('button', { name: 'Đăng ký' }).click();
  await page.waitForURL(/\/places\/.+\?saved=1/);
  assert.ok(await page.getByText('Đã lưu địa điểm.').isVisible());
  const code = (await page.locator('strong.code').first().innerText()).trim();
  assert.match(code, /^7P28[23456789CFGHJMPQRVWX]{4}\+[23456789CFGHJMPQRVWX]{2}$/);

  // Search without diacritics, as on a phone keyboard.
  await page.goto(`${base}/units/27937/places`);
  await page.getByLabel('Tìm theo tên, địa chỉ hoặc mã').fill('cho duc hoa ha');
  await page.getByRole('button', { name: 'Lọc' }).click();
  await page.waitForLoadState();
  await page.getByRole('link', { name: 'Chợ Đức Hòa Hạ' }).click();
  await page.waitForURL(/\/places\//);

  // Its public page, as a visitor.
  const visitor = await phone();
  await visitor.goto(`${base}/a/${encodeURIComponent(code)}`);
  assert.equal(await visitor.locator('h1').innerText(), code);
  assert.ok(await visitor.getByRole('heading', { name: 'Chợ Đức Hòa Hạ' }).isVisible());
  assert.ok(await visitor.getByRole('link', { name: 'OpenStreetMap' }).isVisible());
  await shot(visitor, 'address-page');
  await visitor.context().close();
  await page.context().close();
});

// A short 8 kHz mono WAV: half a second of a tone a browser can decode.
function wav(seconds = 0.5) {
  const rate = 8000;
  const n = Math.round(rate * seconds);
  const buf = Buffer.alloc(44 + n);
  buf.write('RIFF', 0); buf.writeUInt32LE(36 + n, 4); buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(16, 16); buf.writeUInt16LE(1, 20); buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24); buf.writeUInt32LE(rate, 28); buf.writeUInt16LE(1, 32); buf.writeUInt16LE(8, 34);
  buf.write('data', 36); buf.writeUInt32LE(n, 40);
  for (let i = 0; i < n; i++) buf[44 + i] = 128 + Math.round(60 * Math.sin((2 * Math.PI * 440 * i) / rate));
  return buf;
}

test('an officer adds a photo and an audio guide to a relic; a visitor reads it in English and plays the guide', async () => {
  const page = await phone();
  page.on('dialog', (d) => d.accept());
  const found = await (await fetch(`${base}/api/v1/places?unit=27937&q=linh%20nguyen`)).json();
  const id = found.places[0].id;
  await page.goto(`${base}/login?next=/places/${id}/heritage`);
  await page.getByLabel('Tên đăng nhập').fill('canbo.xaduchoa');
  await page.getByLabel('Mật khẩu').fill(password);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.waitForURL(`${base}/places/${id}/heritage`);

  // A photo from the phone (any picture will do: a screenshot of the page itself).
  const picture = await page.screenshot();
  await page.locator('#photo-file').setInputFiles({ name: 'IMG_2041.png', mimeType: 'image/png', buffer: picture });
  await page.getByLabel('Chú thích').fill('Cổng tam quan');
  await page.locator('#photos').getByRole('button', { name: 'Tải lên' }).click();
  await page.waitForURL(/saved=1/);
  assert.equal(await page.locator('#photos img').count(), 1);

  await page.locator('#audio-lang').fill('en');
  await page.getByLabel('Tiêu đề (không bắt buộc)').fill('Two-minute guide');
  await page.locator('#audio-file').setInputFiles({ name: 'guide.wav', mimeType: 'audio/wav', buffer: wav() });
  await page.locator('#audio').getByRole('button', { name: 'Tải lên' }).click();
  await page.waitForURL(/saved=1/);
  await shot(page, 'heritage-edit');

  // A visitor scans the poster: the Vietnamese page, then English.
  const visitor = await phone();
  await visitor.goto(`${base}/p/${id}`);
  assert.equal(await visitor.locator('h1').innerText(), 'Chùa Linh Nguyên');
  assert.ok(await visitor.getByRole('img', { name: 'Cổng tam quan' }).isVisible());
  await visitor.getByRole('link', { name: 'English', exact: true }).last().click();
  await visitor.waitForURL(/lang=en/);
  assert.equal(await visitor.locator('h1').innerText(), 'Linh Nguyên pagoda');
  assert.ok(await visitor.getByText('Two-minute guide').isVisible());
  // The player reads the recording over byte ranges and knows its length.
  const duration = await visitor.locator('audio').evaluate((a) => new Promise((resolve, reject) => {
    a.onloadedmetadata = () => resolve(a.duration);
    a.onerror = () => reject(new Error('audio failed'));
    a.preload = 'metadata';
    a.load();
  }));
  assert.ok(Math.abs(duration - 0.5) < 0.05, `duration ${duration}`);
  // The map loads only when asked for.
  assert.equal(await visitor.locator('.leaflet-container').count(), 0);
  await visitor.getByRole('button', { name: 'Show the map' }).click();
  await visitor.locator('.leaflet-container').waitFor();
  await shot(visitor, 'relic-page');
  await visitor.context().close();
  await page.context().close();
});

test('a producer signs up, the commune approves, the producer adds a product, logs a step, releases a batch and prints a stamp that a buyer scans', async () => {
  const page = await phone();
  page.on('dialog', (d) => d.accept());
  // A visitor finds the sign-up on the commune's producer list and opens an account there.
  await page.goto(`${base}/units/27937/producers`);
  await page.getByRole('link', { name: 'Đăng ký cơ sở sản xuất' }).click();
  const suffix = Date.now() % 100000;
  const name = `Tổ hợp tác thử ${suffix} (mẫu)`;
  await page.getByLabel('Họ và tên người đăng ký').fill('Lê Văn Thử');
  await page.getByLabel('Tên đăng nhập').fill(`tht.${suffix}`);
  await page.getByLabel('Mật khẩu').fill('mat-khau-thu-nghiem');
  await page.getByLabel('Loại cơ sở').selectOption('cooperative');
  await page.getByLabel('Tên cơ sở').fill(name);
  await page.getByLabel('Số điện thoại').fill('0909 000 111');
  await shot(page, 'producer-sign-up');
  await page.getByRole('button', { name: 'Đăng ký và gửi xã duyệt' }).click();
  await page.waitForURL(/\/producers\/.+\?saved=1/);
  assert.ok(await page.getByText('Chờ duyệt').first().isVisible());
  const producerUrl = page.url().replace('?saved=1', '');
  // Its business registration, photographed on the phone, for the commune to check.
  await page.getByLabel('Loại giấy tờ').selectOption('business_registration');
  await page.getByLabel('Tên, số hiệu (không bắt buộc)').fill('GCN số 41A800' + suffix);
  await page.locator('#doc-file').setInputFiles({ name: 'giay-dang-ky.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% giay dang ky (mau)\n%%EOF\n') });
  await page.getByRole('button', { name: 'Tải lên' }).click();
  await page.waitForURL(/saved=1/);
  assert.ok(await page.getByText('GCN số 41A800' + suffix).isVisible());

  // The commune officer reads the papers and approves it from the commune's list.
  const officer = await phone();
  await officer.goto(`${base}/login?next=/units/27937/producers`);
  await officer.getByLabel('Tên đăng nhập').fill('canbo.xaduchoa');
  await officer.getByLabel('Mật khẩu').fill(password);
  await officer.getByRole('button', { name: 'Đăng nhập' }).click();
  await officer.waitForURL(`${base}/units/27937/producers`);
  await officer.getByRole('link', { name }).click();
  assert.ok(await officer.getByText('GCN số 41A800' + suffix).isVisible());
  await officer.getByRole('button', { name: 'Duyệt' }).click();
  await officer.waitForURL(/saved=1/);
  assert.ok(await officer.getByText('Đã duyệt').first().isVisible());
  await shot(officer, 'producer-approved');
  await officer.context().close();

  // The producer adds a product with its barcode number, then a batch, and releases it.
  await page.goto(producerUrl);
  await page.getByRole('link', { name: 'Thêm sản phẩm' }).click();
  await page.getByLabel('Tên sản phẩm').fill('Đậu phộng luộc (mẫu)');
  await page.getByLabel('Mã số mã vạch GTIN (nếu có)').fill('9520001123467');
  await page.getByRole('button', { name: 'Lưu' }).click();
  await page.waitForURL(/\/products\/.+\?saved=1/);
  assert.ok(await page.getByText('/01/09520001123467').isVisible());
  await page.getByText('Thêm lô hàng').click();
  await page.getByLabel('Mã lô').fill('DL-2026-01');
  await page.getByLabel('Ngày thu hoạch / sản xuất').fill('15/03/2026');
  await page.getByRole('button', { name: 'Thêm lô' }).click();
  await page.waitForURL(/\/batches\/.+\?saved=1/);
  // A step of the batch's log, from the phone: harvesting, with a note buyers will read.
  await page.getByLabel('Bước', { exact: true }).selectOption('harvesting');
  await page.getByLabel('Ghi chú (người mua sẽ thấy)').fill('Thu hoạch tay trên ruộng cát');
  await page.getByRole('button', { name: 'Lưu bước này' }).click();
  await page.waitForURL(/logged=1/);
  assert.ok(await page.getByText('Đã ghi bước vào nhật ký.').isVisible());
  await page.getByRole('button', { name: 'Đưa lô ra thị trường' }).click();
  await page.waitForURL(/saved=1/);
  const batchUrl = page.url().replace('?saved=1', '');
  await shot(page, 'batch-released');

  // Stamps: order one large label, wait for the sheet, print it (here: render and read it).
  await page.getByLabel('Số tem (tối đa 100.000)').fill('1');
  await page.getByLabel('Cỡ tem').selectOption('large');
  await page.getByRole('button', { name: 'Đặt in tem' }).click();
  await page.getByText('Sẵn sàng để in').waitFor({ timeout: 60000 });
  const sheet = await page.request.get(`${page.url()}/sheet.pdf`);
  assert.equal(sheet.headers()['content-type'], 'application/pdf');
  const dir = mkdtempSync(join(tmpdir(), 'xaso-stamp-'));
  writeFileSync(join(dir, 'sheet.pdf'), await sheet.body());
  execFileSync('pdftoppm', ['-r', '150', '-png', '-singlefile', join(dir, 'sheet.pdf'), join(dir, 'sheet')]);
  const url = execFileSync('zbarimg', ['--raw', '-q', join(dir, 'sheet.png')]).toString().trim();
  assert.match(url, /\/01\/09520001123467\/10\/DL-2026-01\/21\/[A-Z0-9]{13}$/);

  // A buyer scans the stamp: the product, its producer and batch, and a clean verdict.
  const visitor = await phone();
  await visitor.goto(url);
  assert.ok(await visitor.getByText('Tem hợp lệ').isVisible());
  assert.equal(await visitor.locator('h1').innerText(), 'Đậu phộng luộc (mẫu)');
  assert.ok(await visitor.getByText(name).isVisible());
  assert.ok(await visitor.getByText('Thu hoạch tay trên ruộng cát').isVisible());
  await shot(visitor, 'stamp-scan');
  await visitor.goto(batchUrl);
  assert.ok(await visitor.getByText('Đang bán').isVisible());
  await visitor.context().close();
  await page.context().close();
});

test('a citizen reports a problem from a phone with a photo and the GPS, follows it and rates the fix', async () => {
  // Where the citizen stands: the centre of today's Xã Đức Hòa (a demo relic without a surveyed
  // position sits there).
  const found = await (await fetch(`${base}/api/v1/places?unit=27937&q=chua%20linh`)).json();
  const { latitude, longitude } = found.places[0];
  // Someone already reported a light out right there, through an Open311 app.
  const earlier = await fetch(`${base}/open311/v2/requests.json`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      api_key: 'demo-open311-key', service_code: 'chieu-sang', lat: String(latitude), long: String(longitude),
      description: 'Đèn đường trước chùa không sáng.',
    }),
  });
  assert.equal(earlier.status, 201);
  const [{ service_request_id: earlierId }] = await earlier.json();

  const context = await browser.newContext({
    viewport: { width: 412, height: 860 }, locale: 'vi-VN',
    geolocation: { latitude: latitude + 0.0004, longitude }, permissions: ['geolocation'],
  });
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await page.getByRole('link', { name: 'Phản ánh' }).first().click();
  await page.waitForURL(`${base}/feedback`);
  await page.getByLabel('Lĩnh vực').selectOption({ label: 'Đèn chiếu sáng công cộng' });
  await page.getByLabel('Nội dung phản ánh').fill('Hai bóng đèn đường gần chùa tắt từ ba hôm nay, tối đi lại nguy hiểm.');
  await page.getByRole('button', { name: 'Dùng vị trí hiện tại' }).click();
  await page.waitForFunction(() => document.getElementById('latitude').value !== '');
  assert.ok(Math.abs(Number(await page.getByLabel('Vĩ độ').inputValue()) - (latitude + 0.0004)) < 1e-5);
  // The form points to the open report nearby before sending a second one.
  await page.getByText(`#${earlierId}`).waitFor();
  assert.ok(await page.getByText('Gần đây đã có phản ánh cùng lĩnh vực').isVisible());
  // A photo from the phone (a real PNG: a picture of this very page).
  const photo = join(mkdtempSync(join(tmpdir(), 'xaso-')), 'den-duong.png');
  writeFileSync(photo, await page.screenshot());
  await page.getByLabel('Ảnh (tối đa 4 ảnh)').setInputFiles(photo);
  await page.getByLabel('Số điện thoại').fill('0912 345 678');
  await shot(page, 'feedback-form');
  await page.getByRole('button', { name: 'Gửi phản ánh' }).click();
  await page.waitForURL(/\/feedback\/track\/[0-9A-Z]{12}\?new=1/);
  assert.ok(await page.getByText('Đã gửi phản ánh. Cảm ơn bạn!').isVisible());
  const code = (await page.locator('#tracking-code').innerText()).trim();
  assert.match(code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  const number = (await page.locator('h1').innerText()).match(/#(\d+)/)[1];
  assert.equal(await page.locator('#case-status').innerText(), 'Đã tiếp nhận');
  // The server's worker resizes the photo in the background (it looks every 2 s); once done,
  // the photo shows on the page.
  for (let i = 0; i < 60 && !(await page.locator('.photos img').count()); i++) {
    await page.waitForTimeout(500);
    await page.reload();
  }
  assert.equal(await page.locator('.photos img').count(), 1);
  await shot(page, 'feedback-tracking');

  // The commune's officer handles it: sees the reporter's phone, resolves it with a note.
  const staff = await phone();
  await staff.goto(`${base}/login?next=/staff/feedback/${number}`);
  await staff.getByLabel('Tên đăng nhập').fill('canbo.xaduchoa');
  await staff.getByLabel('Mật khẩu').fill(password);
  await staff.getByRole('button', { name: 'Đăng nhập' }).click();
  await staff.waitForURL(`${base}/staff/feedback/${number}`);
  assert.ok(await staff.getByText('0912345678').first().isVisible());
  assert.ok(await staff.getByText('Có thể trùng với').isVisible());
  await staff.getByLabel('Chuyển trạng thái').selectOption({ label: 'Đã giải quyết' });
  await staff.getByLabel('Ghi chú gửi người dân').fill('Đã thay hai bóng đèn chiều 30/11.');
  await staff.getByLabel('Ghi chú nội bộ').fill('Tổ điện ấp Bình Tả 1');
  await shot(staff, 'feedback-staff');
  await staff.getByRole('button', { name: 'Lưu' }).first().click();
  await staff.waitForURL(new RegExp(`/staff/feedback/${number}`));
  assert.equal(await staff.locator('#case-status').innerText(), 'Đã giải quyết');

  // Back on the phone: the answer, and a rating.
  await page.goto(`${base}/feedback/track?code=${encodeURIComponent(code.toLowerCase())}`);
  await page.waitForURL(/\/feedback\/track\/[0-9A-Z]{12}$/);
  assert.equal(await page.locator('#case-status').innerText(), 'Đã giải quyết');
  assert.ok(await page.getByText('Đã thay hai bóng đèn chiều 30/11.').first().isVisible());
  assert.equal(await page.getByText('Tổ điện ấp Bình Tả 1').count(), 0);
  await page.getByLabel('5 ★').check();
  await page.getByLabel('Góp ý thêm (không bắt buộc)').fill('Cảm ơn xã.');
  await page.getByRole('button', { name: 'Gửi đánh giá' }).click();
  await page.waitForURL(/saved=rated/);
  assert.ok(await page.getByText('Cảm ơn bạn đã đánh giá.').isVisible());
  await shot(page, 'feedback-rated');

  // The public list shows the case, never the phone number.
  await page.goto(`${base}/feedback/cases?unit=27937`);
  assert.ok(await page.getByRole('link', { name: new RegExp(`#${number}`) }).isVisible());
  assert.equal((await page.content()).includes('0912345678'), false);
  await shot(page, 'feedback-list');
  await staff.context().close();
  await context.close();
});
