// Agriculture in a real browser, on a phone: the demo's peanut producer draws a field on the
// map, records what it planted, a spraying and a harvest that comes too early (the platform
// warns and keeps nothing), then the harvest after the pre-harvest interval; the commune puts
// the field in its growing area; the producer makes a batch from that planting, releases it and
// prints a stamp; a buyer scanning the stamp reads the growing-area code, the season and the
// rough place, never who holds the field.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { base, violations, launch, shot, signIn, phone, accessibility } from './support.mjs';

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

test('a farmer draws a field, logs a planting, a spraying and a harvest that is warned about, and the batch stamp shows the growing-area code', async () => {
  const suffix = Date.now() % 100000;
  const fieldName = `Ruộng thử ${suffix}`;
  const holder = `Nguyễn Văn Chủ Ruộng ${suffix}`;
  const farmer = await signIn(browser, 'coso.dauphong', '/staff');
  farmer.on('dialog', (d) => d.accept());
  await farmer.getByRole('link', { name: 'Thửa đất của cơ sở' }).click();
  await farmer.waitForURL(/\/producers\/.+\/plots$/);
  const farmUrl = farmer.url();
  await farmer.getByRole('link', { name: 'Vẽ thửa mới' }).click();
  await farmer.waitForURL(/\/plots\/new\?producer=/);

  // Four taps on the map walk round the field (a few metres of screen apart at the commune's
  // zoom).
  const map = farmer.locator('#map');
  await map.scrollIntoViewIfNeeded();
  const box = await map.boundingBox();
  const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
  for (const [dx, dy] of [[0, 0], [8, 0], [8, 8], [0, 8]]) {
    await farmer.mouse.click(cx + dx, cy + dy);
  }
  const ring = (await farmer.locator('#polygon').inputValue()).trim().split(/\s+/);
  assert.equal(ring.length, 5, 'each tap adds a corner, and the ring is closed');
  assert.equal(ring[0], ring[4]);
  await farmer.getByLabel('Tên thửa').fill(fieldName);
  await farmer.getByLabel('Loại đất').selectOption('HNK');
  await farmer.getByLabel('Người sử dụng', { exact: true }).fill(holder);
  await shot(farmer, 'agri-draw');
  await farmer.getByRole('button', { name: 'Lưu thửa' }).click();
  await farmer.waitForURL(/\/plots\/[^/]+\?saved=plot$/);
  const plotUrl = farmer.url().replace('?saved=plot', '');
  assert.ok(await farmer.getByRole('heading', { name: fieldName }).isVisible());
  const area = await farmer.locator('#plot-facts dd').first().innerText();
  const ha = Number(area.replace(' ha', '').replace('.', '').replace(',', '.'));
  assert.ok(ha > 0.1 && ha < 20, `a field's area in hectares: ${area}`);

  // What was planted: peanuts in the Hè Thu 2026 season.
  await farmer.getByLabel('Mùa vụ').selectOption({ label: 'Hè Thu 2026' });
  await farmer.getByLabel('Cây trồng').selectOption('peanut');
  await farmer.getByLabel('Giống').fill('Lì');
  await farmer.getByLabel('Ngày gieo trồng').fill('2026-05-10');
  await farmer.getByRole('button', { name: 'Lưu gieo trồng' }).click();
  await farmer.waitForURL(/saved=planting/);
  assert.ok(await farmer.locator('#planting-table').getByText('Hè Thu 2026').isVisible());

  // A spraying with the label's 14-day pre-harvest interval.
  await farmer.getByLabel('Loại ghi chép').selectOption('input');
  assert.ok(await farmer.getByLabel('Sản lượng').isHidden(), 'only the spraying fields show');
  await farmer.getByLabel('Ngày thực hiện').fill('2026-07-20');
  await farmer.getByLabel('Loại vật tư').selectOption('pesticide');
  await farmer.getByLabel('Tên sản phẩm').fill('Thuốc trừ sâu thử (mẫu)');
  await farmer.getByLabel('Hoạt chất').fill('Emamectin benzoate');
  await farmer.getByLabel('Thời gian cách ly (ngày)').fill('14');
  await farmer.getByRole('button', { name: 'Lưu nhật ký' }).click();
  await farmer.waitForURL(/saved=log/);

  // A harvest ten days later is inside the interval: warned, and nothing is kept.
  await farmer.getByLabel('Loại ghi chép').selectOption('harvest');
  await farmer.getByLabel('Ngày thực hiện').fill('2026-07-30');
  await farmer.getByLabel('Sản lượng').fill('12,5');
  await farmer.getByLabel('Đơn vị tính').selectOption('ta');
  await farmer.getByRole('button', { name: 'Lưu nhật ký' }).click();
  const warning = farmer.locator('#too-early');
  await warning.waitFor();
  assert.match(await warning.innerText(), /Thuốc trừ sâu thử \(mẫu\).*20\/07\/2026.*14 ngày.*04\/08\/2026/s);
  assert.equal(await farmer.locator('#log-list .log-harvest').count(), 0, 'the early harvest was not recorded');
  await shot(farmer, 'agri-too-early');
  assert.deepEqual(await accessibility(farmer), []);

  // The farmer had the date wrong: the harvest was after the interval.
  await farmer.getByLabel('Ngày thực hiện').fill('2026-08-06');
  await farmer.getByRole('button', { name: 'Lưu nhật ký' }).click();
  await farmer.waitForURL(/saved=log/);
  const harvests = farmer.locator('#log-list .log-harvest');
  assert.equal(await harvests.count(), 1);
  assert.match(await harvests.innerText(), /06\/08\/2026.*12,5 tạ/s);
  assert.equal(await farmer.locator('#log-list .tag.bad').count(), 0, 'no warning stays on it');
  await shot(farmer, 'agri-plot');

  // The commune's officer puts the field in the commune's (illustrative) growing area.
  const officer = await signIn(browser, 'canbo.xaduchoa', new URL(plotUrl).pathname);
  await officer.getByLabel('Đưa thửa vào vùng trồng').selectOption('MINH-HOA-DH-0001');
  await officer.getByRole('button', { name: 'Lưu vùng trồng' }).click();
  await officer.waitForURL(/saved=area/);
  assert.match(await officer.locator('#growing-area').innerText(), /MINH-HOA-DH-0001/);
  await officer.context().close();

  // The producer makes a batch from that planting, releases it and prints a stamp.
  await farmer.goto(farmUrl);
  await farmer.getByRole('link', { name: 'Cơ sở đậu phộng Minh Họa (mẫu)' }).first().click();
  await farmer.getByRole('link', { name: 'Đậu phộng Đức Hòa rang muối (mẫu)' }).click();
  await farmer.getByText('Thêm lô hàng').click();
  const lot = `HT-${suffix}`;
  await farmer.getByLabel('Mã lô').fill(lot);
  await farmer.getByLabel('Ngày thu hoạch / sản xuất').fill('06/08/2026');
  await farmer.getByRole('button', { name: 'Thêm lô' }).click();
  await farmer.waitForURL(/\/batches\/.+\?saved=1/);
  const batchUrl = farmer.url().replace('?saved=1', '');
  await farmer.getByLabel('Vụ trồng').selectOption({ label: `${fieldName} · Hè Thu 2026 · Đậu phộng (lạc)` });
  await farmer.getByRole('button', { name: 'Lưu nguồn gốc' }).click();
  await farmer.waitForURL(/saved=1/);
  assert.match(await farmer.locator('#growing-area-code').innerText(), /MINH-HOA-DH-0001/);
  await farmer.getByLabel('Bước', { exact: true }).selectOption('harvesting');
  await farmer.getByRole('button', { name: 'Lưu bước này' }).click();
  await farmer.waitForURL(/logged=1/);
  await farmer.getByRole('button', { name: 'Đưa lô ra thị trường' }).click();
  await farmer.waitForURL(/saved=1/);
  await farmer.getByLabel('Số tem (tối đa 100.000)').fill('1');
  await farmer.getByLabel('Cỡ tem').selectOption('large');
  await farmer.getByRole('button', { name: 'Đặt in tem' }).click();
  await farmer.getByText('Sẵn sàng để in').waitFor({ timeout: 60000 });
  const sheet = await farmer.request.get(`${farmer.url()}/sheet.pdf`);
  const dir = mkdtempSync(join(tmpdir(), 'xaso-agri-'));
  writeFileSync(join(dir, 'sheet.pdf'), await sheet.body());
  execFileSync('pdftoppm', ['-r', '150', '-png', '-singlefile', join(dir, 'sheet.pdf'), join(dir, 'sheet')]);
  const url = execFileSync('zbarimg', ['--raw', '-q', join(dir, 'sheet.png')]).toString().trim();
  assert.match(url, new RegExp(`/10/${lot}/21/[A-Z0-9]{13}$`));

  // A buyer scans it: the growing-area code (labelled illustrative), the season and a rough
  // place; the field's holder is nowhere on the page.
  const buyer = await phone(browser);
  await buyer.goto(url);
  assert.ok(await buyer.getByText('Tem hợp lệ').isVisible());
  assert.match(await buyer.locator('#growing-area-code').innerText(), /MINH-HOA-DH-0001.*mã minh họa/s);
  assert.match(await buyer.locator('#grown').innerText(), /Đậu phộng.*Hè Thu 2026.*06\/08\/2026/s);
  assert.match(await buyer.locator('#grown-where').innerText(), /\d+,\d\d° B, \d+,\d\d° Đ/);
  const text = await buyer.locator('body').innerText();
  assert.ok(!text.includes(holder), 'the holder stays private');
  assert.ok(!text.includes(fieldName), "the field's name stays private");
  await shot(buyer, 'agri-stamp');
  // Its harvesting event carries the field's rough place as a geo URI (EPCIS query, public).
  const batchId = batchUrl.split('/').pop();
  const events = await buyer.request.get(`${base}/epcis/events?batch=${batchId}`);
  assert.equal(events.status(), 200);
  const list = (await events.json()).epcisBody.queryResults.resultsBody.eventList;
  const harvesting = list.find((e) => /harvesting/.test(e.bizStep));
  assert.match(harvesting.readPoint.id, /^geo:\d+\.\d\d,\d+\.\d\d$/);
  assert.equal(harvesting['xaso:growingArea'], 'MINH-HOA-DH-0001');
  await buyer.context().close();
  await farmer.context().close();
});

test("the commune's agriculture page shows the season's figures by village with a chart", async () => {
  const officer = await signIn(browser, 'canbo.xaduchoa', '/units/27937/agriculture?season=dong-xuan-2025');
  assert.ok(await officer.locator('#crop-chart').isVisible());
  const total = await officer.locator('#stats-total tbody').innerText();
  assert.match(total, /Lúa/);
  assert.match(total, /Đậu phộng/);
  assert.deepEqual(await accessibility(officer), []);
  await shot(officer, 'agri-stats');
  await officer.context().close();
});
