// The ICT register in a real browser: an officer adds devices, prints the commune's label
// sheet, reads every label from the rendered PDF with a real QR reader (pdftoppm + zbarimg),
// runs a stocktake by opening the decoded URLs signed in and confirming each device, leaves
// one label unscanned and closes the stocktake: that device is marked missing.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { base, violations, launch, shot, signIn, phone } from './support.mjs';

let browser;

/**
 * Every QR code of a medium label sheet, read label by label: zbar reading a whole page of
 * twenty codes at once sometimes misses one, so each label's cell (the sheet's grid: 40 × 50 mm
 * cells, 5 across and 5 down, centred on A4) is rendered and read on its own.
 */
function readLabels(dir, pdf) {
  const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [pdf]).toString())[1]);
  const px = (mm) => String(Math.round((mm / 25.4) * 150));
  const urls = [];
  for (let page = 1; page <= pages; page++) {
    for (let r = 0; r < 5; r++) {
      for (let c = 0; c < 5; c++) {
        const cell = join(dir, `cell-${page}-${r}-${c}`);
        execFileSync('pdftoppm', ['-f', String(page), '-l', String(page), '-r', '150', '-x', px(5 + c * 40),
          '-y', px(23.5 + r * 50), '-W', px(40), '-H', px(50), '-png', '-singlefile', pdf, cell]);
        try {
          urls.push(...execFileSync('zbarimg', ['--raw', '-q', `${cell}.png`]).toString().trim().split('\n'));
        } catch {
          // An empty cell (the sheet's last labels) holds no code.
        }
      }
    }
  }
  return urls.filter((u) => u);
}

before(async () => {
  browser = await launch();
});

afterEach(() => {
  assert.deepEqual(violations.splice(0), [], 'the Content-Security-Policy blocked something');
});

after(async () => {
  await browser?.close();
});

test('an officer prints labels, stocktakes by scanning them and closes with one device missing', async () => {
  const officer = await signIn(browser, 'canbo.xaduchoa', '/units/27937/assets/new');
  officer.on('dialog', (d) => d.accept());
  const suffix = Date.now() % 100000;
  const devices = [
    ['Máy tính để bàn', `Máy tính một cửa ${suffix}`],
    ['Máy in', `Máy in văn thư ${suffix}`],
    ['Bộ định tuyến (router)', `Router tầng 1 ${suffix}`],
  ];
  for (const [kind, name] of devices) {
    await officer.goto(`${base}/units/27937/assets/new`);
    await officer.getByLabel('Loại thiết bị').selectOption({ label: kind });
    await officer.getByLabel('Tên thiết bị').fill(name);
    await officer.getByRole('button', { name: 'Lưu' }).click();
    await officer.waitForURL(/\/assets\/[^/?]+\?saved=1$/);
  }

  // The label sheet of the whole commune, as printed, read back label by label.
  const dir = mkdtempSync(join(tmpdir(), 'xaso-ict-'));
  const pdf = await officer.request.get(`${base}/units/27937/assets/labels.pdf?size=medium`);
  assert.equal(pdf.headers()['content-type'], 'application/pdf');
  writeFileSync(join(dir, 'labels.pdf'), await pdf.body());
  const urls = readLabels(dir, join(dir, 'labels.pdf'));
  assert.ok(urls.length >= 3, `every device has a label: ${urls.length}`);
  for (const u of urls) assert.match(u, /\/q\/[a-z0-9]{13}$/);

  // Start a stocktake of the whole commune.
  await officer.goto(`${base}/units/27937/assets/stocktakes`);
  await officer.getByRole('button', { name: 'Bắt đầu đợt kiểm kê' }).first().click();
  await officer.waitForURL(/\/stocktakes\/[^/?]+$/);
  const stocktakeUrl = officer.url();
  await shot(officer, 'ict-stocktake-started');

  // Each label but the last: the phone opens its URL and the officer confirms the device.
  const left = urls[urls.length - 1].replace(/^https?:\/\/[^/]+/, base);
  for (const url of urls.slice(0, -1)) {
    await officer.goto(url.replace(/^https?:\/\/[^/]+/, base));
    await officer.waitForURL(/\/assets\/[^/?]+$/);
    await officer.getByRole('button', { name: 'Xác nhận thiết bị có mặt' }).click();
    await officer.waitForURL(/\/stocktakes\/[^/?]+\?r=found/);
    assert.match(await officer.locator('#scan-result').innerText(), /đã ghi nhận có mặt/);
  }
  await shot(officer, 'ict-stocktake-progress');
  assert.match(await officer.locator('#count-found').innerText(), new RegExp(`${urls.length - 1}`));
  assert.match(await officer.locator('#count-missing').innerText(), /: 1$/);

  // The unscanned label's device is the one listed missing.
  await officer.goto(left);
  await officer.waitForURL(/\/assets\/[^/?]+$/);
  const missingName = (await officer.locator('h1').innerText()).split('\n')[0].replace(/\s+\S+-TB-\d+$/, '').trim();
  const missingUrl = officer.url();
  await officer.goto(stocktakeUrl);
  assert.match(await officer.locator('#lines-missing').innerText(), new RegExp(missingName.replace(/[()]/g, '.')));

  // Closing asks first; the missing device is then marked missing.
  await officer.getByRole('button', { name: 'Kết thúc kiểm kê' }).click();
  await officer.waitForURL(stocktakeUrl);
  assert.equal(await officer.locator('#close-stocktake').count(), 0, 'closed');
  await shot(officer, 'ict-stocktake-closed');
  await officer.goto(missingUrl);
  assert.equal(await officer.locator('#asset-status').innerText(), 'Thất lạc');

  // The report, as PDF, names the missing device.
  const report = await officer.request.get(`${stocktakeUrl}/report.pdf`);
  writeFileSync(join(dir, 'report.pdf'), await report.body());
  const text = execFileSync('pdftotext', [join(dir, 'report.pdf'), '-']).toString();
  assert.match(text, /BIÊN BẢN KIỂM KÊ/);
  assert.match(text, /Không thấy: 1/);
  await officer.context().close();
});

test('a citizen reports a broken Wi-Fi point from its label and the officer logs the fault and the repair', async () => {
  const officer = await signIn(browser, 'canbo.xaduchoa', '/units/27937/assets/new');
  officer.on('dialog', (d) => d.accept());
  const ssid = `Cho-Test-${Date.now() % 100000}`;
  await officer.getByLabel('Loại thiết bị').selectOption({ label: 'Điểm phát Wi-Fi công cộng' });
  await officer.getByLabel('Tên thiết bị').fill(`Wi-Fi chợ ${ssid}`);
  await officer.getByLabel('Tên mạng (SSID)').fill(ssid);
  await officer.getByRole('button', { name: 'Lưu' }).click();
  await officer.waitForURL(/\/assets\/[^/?]+\?saved=1$/);
  const assetUrl = officer.url().replace(/\?.*$/, '');
  const id = assetUrl.split('/').pop();

  // A citizen scans the label: the network name and a problem report with the device chosen.
  const citizen = await phone(browser);
  await citizen.goto(`${base}/t/${id}`);
  assert.ok(await citizen.getByText(ssid).first().isVisible());
  await citizen.getByRole('link', { name: 'Báo hỏng, phản ánh sự cố' }).click();
  await citizen.waitForURL(/\/feedback\?/);
  assert.equal(await citizen.getByLabel('Lĩnh vực').inputValue(), 'ha-tang-so');
  await citizen.getByLabel('Nội dung phản ánh').fill('Wi-Fi ở chợ không vào được mạng từ sáng nay.');
  await shot(citizen, 'ict-wifi-report');
  await citizen.getByRole('button', { name: 'Gửi phản ánh' }).click();
  await citizen.waitForURL(/\/feedback\/track\/[0-9A-Z]{12}\?new=1/);
  const number = (await citizen.locator('h1').innerText()).match(/#(\d+)/)[1];
  await citizen.context().close();

  // The officer sees the report on the device's record and logs the fault from the quick action.
  await officer.goto(assetUrl);
  assert.match(await officer.locator('#asset-cases').innerText(), new RegExp(`#${number}`));
  await officer.getByRole('link', { name: 'Báo hỏng' }).click();
  await officer.getByLabel('Nội dung').fill('Mất nguồn bộ phát, cháy adapter.');
  await officer.getByRole('button', { name: 'Lưu ghi chép' }).click();
  await officer.waitForURL(/\?logged=1/);
  assert.equal(await officer.locator('#asset-status').innerText(), 'Hỏng');
  // The repair with its cost puts it back in use.
  await officer.getByLabel('Loại ghi chép').selectOption({ label: 'Thay linh kiện' });
  await officer.getByLabel('Nội dung').fill('Thay adapter 12V mới.');
  await officer.getByLabel('Chi phí (đồng)').fill('250.000');
  await officer.getByRole('button', { name: 'Lưu ghi chép' }).click();
  await officer.waitForURL(/\?logged=1/);
  assert.equal(await officer.locator('#asset-status').innerText(), 'Đang sử dụng');
  assert.match(await officer.locator('#log-table').innerText(), /250\.000 đ/);
  await shot(officer, 'ict-asset-log');
  // The staff case names the device.
  await officer.goto(`${base}/staff/feedback/${number}`);
  assert.match(await officer.locator('#case-asset').innerText(), new RegExp(ssid));
  await officer.context().close();
});
