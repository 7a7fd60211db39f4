// The commune portal in a real browser: an officer writes an announcement with a photo,
// schedules it and sends it for review; the area officer publishes it; it shows pinned on the
// commune's page and in its Atom feed. axe-core finds no serious or critical WCAG 2.1 A/AA
// problem on the commune's page, a post, the document list, a service guide and the contacts.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** This minute in Vietnam's time as the form takes it (dd/mm/yyyy HH:mm). */
function nowVn() {
  const t = new Date(Date.now() + 7 * 3600 * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${p(t.getUTCDate())}/${p(t.getUTCMonth() + 1)}/${t.getUTCFullYear()} ${p(t.getUTCHours())}:${p(t.getUTCMinutes())}`;
}

test('an announcement with a photo goes from the officer through review to the commune page and its feed', async () => {
  const title = `Thông báo lịch họp dân ấp ${Date.now() % 100000}`;
  const officer = await signIn(browser, 'canbo.xaduchoa', '/units/27937/portal');
  await officer.getByRole('link', { name: '+ Thông báo' }).click();
  await officer.waitForURL(/\/portal\/new\?kind=announcement$/);
  await officer.getByLabel('Tiêu đề', { exact: true }).fill(title);
  await officer.getByLabel('Tóm tắt', { exact: true }).fill('Họp dân bàn kế hoạch chuyển đổi số của ấp.');
  await officer.getByLabel('Nội dung', { exact: true }).fill('Thời gian: 19 giờ thứ Sáu.\n\nĐịa điểm: nhà văn hóa ấp.');
  await officer.getByLabel(/^Đăng lúc/).fill(nowVn());
  await officer.getByLabel('Ghim lên đầu trang chủ khi còn hiệu lực').check();
  await officer.getByRole('button', { name: 'Lưu' }).first().click();
  await officer.waitForURL(/\/posts\/[^/]+\/edit\?saved=1$/);
  const editUrl = officer.url().replace(/\?.*$/, '');
  const id = editUrl.split('/').slice(-2)[0];

  // A photo, described for people who cannot see it.
  const photo = join(mkdtempSync(join(tmpdir(), 'xaso-portal-')), 'hop-dan.png');
  writeFileSync(photo, await officer.screenshot());
  await officer.locator('#image-file').setInputFiles(photo);
  await officer.getByLabel('Mô tả ảnh (cho người không xem được ảnh)').fill('Nhà văn hóa ấp nơi họp dân');
  await officer.getByRole('button', { name: 'Tải ảnh lên' }).click();
  await officer.waitForURL(/\?saved=1$/);
  assert.equal(await officer.locator('#post-image img').count(), 1);

  // Sent for review; not public yet.
  await officer.getByRole('button', { name: 'Gửi duyệt' }).click();
  await officer.waitForURL(/\?saved=1$/);
  assert.equal(await officer.locator('#post-status').innerText(), 'Chờ duyệt');
  await shot(officer, 'portal-review');
  const reader = await phone(browser);
  const early = await reader.goto(`${base}/posts/${id}`);
  assert.equal(early.status(), 404, 'a post under review is not public');

  // The area officer publishes it.
  const reviewer = await signIn(browser, 'canbo.duchoa', `/posts/${id}/edit`);
  await reviewer.getByRole('button', { name: 'Duyệt và đăng' }).click();
  await reviewer.waitForURL(/\?saved=1$/);
  assert.equal(await reviewer.locator('#post-status').innerText(), 'Đã đăng');
  await reviewer.context().close();

  // Pinned on the commune's page, first among the posts; its page shows the photo; in the feed.
  await reader.goto(`${base}/units/27937`);
  const first = reader.locator('#unit-news li').first();
  assert.match(await first.innerText(), new RegExp(title));
  assert.match(await first.innerText(), /Ghim/);
  await shot(reader, 'portal-home');
  assert.deepEqual(await accessibility(reader), [], 'the commune page');
  await first.getByRole('link').click();
  await reader.waitForURL(`${base}/posts/${id}`);
  assert.equal(await reader.locator('figure.lead-image img').getAttribute('alt'), 'Nhà văn hóa ấp nơi họp dân');
  await shot(reader, 'portal-post');
  assert.deepEqual(await accessibility(reader), [], 'a post');
  const feed = await (await reader.request.get(`${base}/units/27937/feed.atom`)).text();
  assert.ok(feed.includes(`<title>${title}</title>`), 'in the Atom feed');

  // The document list and a service guide are accessible too.
  await reader.goto(`${base}/units/27937/posts?kind=document`);
  assert.ok((await reader.locator('#posts li').count()) >= 1);
  assert.deepEqual(await accessibility(reader), [], 'the document list');
  await reader.goto(`${base}/units/27937/posts?kind=guide`);
  await reader.locator('#posts li a').first().click();
  await reader.waitForURL(/\/posts\/[^/]+$/);
  assert.ok(await reader.getByRole('link', { name: 'Nộp hồ sơ trực tuyến' }).isVisible());
  assert.deepEqual(await accessibility(reader), [], 'a service guide');
  await reader.goto(`${base}/units/27937/contacts`);
  assert.ok(await reader.locator('#hotline').isVisible());
  assert.deepEqual(await accessibility(reader), [], 'the contact directory');
  await reader.context().close();
  await officer.context().close();
});
