// The DT programme in a real browser: an officer opens a training session, a participant
// checks in by scanning the code on the trainer's screen, the officer closes the session, the
// printed certificate's code says "genuine", and after a revocation the same code says
// "revoked". Codes are read with zbarimg from what the screen and the PDF show.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { base, violations, launch, phone, shot, signIn } from './support.mjs';

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

const zbar = (file) => execFileSync('zbarimg', ['--raw', '-q', file]).toString().trim();

test('an officer runs a session, a participant scans in, the certificate is genuine and then revoked', async () => {
  const officer = await signIn(browser, 'canbo.xaduchoa', '/units/27937/training');
  officer.on('dialog', (d) => d.accept());
  const suffix = Date.now() % 100000;
  const title = `Dịch vụ công trực tuyến cho người dân ${suffix} (thử)`;
  await officer.getByLabel('Tên khóa').fill(title);
  await officer.getByRole('radio', { name: 'Người dân' }).check();
  await officer.getByLabel('Dịch vụ công trực tuyến quốc gia và của tỉnh').check();
  await officer.getByRole('button', { name: 'Tạo khóa' }).click();
  await officer.waitForURL(/\/training\/courses\//);
  // Today's session: the date is filled in already; the trainer and seats are typed.
  await officer.getByLabel('Giảng viên').fill('Tổ công nghệ số ấp Bình Tả 1');
  await officer.getByLabel('Hoặc ghi địa điểm').fill('Nhà văn hóa ấp');
  await officer.getByLabel('Số chỗ').fill('40');
  await officer.getByRole('button', { name: 'Thêm buổi học' }).click();
  await officer.waitForURL(/\/training\/sessions\/[^/?]+$/);
  const sessionUrl = officer.url();
  await shot(officer, 'dt-session');

  // The participant scans the code shown on the trainer's screen.
  const dir = mkdtempSync(join(tmpdir(), 'xaso-dt-'));
  await officer.locator('img.checkin-qr').screenshot({ path: join(dir, 'screen.png') });
  const checkInUrl = zbar(join(dir, 'screen.png'));
  assert.match(checkInUrl, /\/q\/[a-z0-9]{13}$/);
  const participant = await phone(browser);
  await participant.goto(checkInUrl);
  assert.match(participant.url(), /\/training\/sessions\/[^/]+\/check-in$/);
  assert.ok(await participant.getByText(title).isVisible());
  await participant.getByLabel('Họ và tên của bạn').fill('Nguyễn Thị Học Viên');
  await participant.getByLabel('Ấp, khu phố của bạn').selectOption({ label: 'Bình Tả 2' });
  await shot(participant, 'dt-check-in');
  await participant.getByRole('button', { name: 'Xác nhận có mặt' }).click();
  await participant.locator('#checked-in').waitFor();
  assert.match(await participant.locator('#checked-in').innerText(), /Đã điểm danh[\s\S]*Nguyễn Thị Học Viên/);
  await shot(participant, 'dt-checked-in');

  // The officer sees the participant, ticks a team member on the roster and closes.
  await officer.reload();
  assert.ok(await officer.getByRole('rowheader', { name: 'Nguyễn Thị Học Viên' }).isVisible());
  await officer.getByLabel(/Trưởng ấp Bình Tả 1 \(mẫu\)/).check();
  await officer.getByRole('button', { name: 'Lưu điểm danh' }).click();
  await officer.waitForURL(/done=roster/);
  assert.equal(await officer.locator('#attendee-count').innerText(), '2/40');
  await officer.getByRole('button', { name: 'Kết thúc buổi học và cấp giấy chứng nhận' }).click();
  await officer.waitForURL(/done=closed/);
  await shot(officer, 'dt-session-closed');

  // The certificates as printed: render the PDF and read the participant's code.
  const pdf = await officer.request.get(`${sessionUrl}/certificates.pdf`);
  assert.equal(pdf.headers()['content-type'], 'application/pdf');
  writeFileSync(join(dir, 'certificates.pdf'), await pdf.body());
  execFileSync('pdftoppm', ['-r', '120', '-png', join(dir, 'certificates.pdf'), join(dir, 'page')]);
  const codes = execFileSync('zbarimg', ['--raw', '-q', join(dir, 'page-1.png'), join(dir, 'page-2.png')])
    .toString().trim().split('\n');
  assert.equal(codes.length, 2);
  const text = execFileSync('pdftotext', [join(dir, 'certificates.pdf'), '-']).toString();
  assert.match(text, /GIẤY CHỨNG NHẬN/);
  assert.match(text, /Nguyễn Thị Học Viên/);
  // Page 1 is the participant's: certificates follow the order people were recorded in.
  const checker = await phone(browser);
  await checker.goto(codes[0]);
  await checker.locator('#certificate-verdict').waitFor();
  assert.match(await checker.locator('#certificate-verdict').innerText(), /Giấy chứng nhận hợp lệ/);
  assert.ok(!(await checker.content()).includes('Nguyễn Thị Học Viên'), 'initials only in public');
  await shot(checker, 'dt-certificate-genuine');

  // The officer revokes that certificate; the same printed code now says so.
  await officer.goto(checker.url());
  await officer.getByLabel('Lý do', { exact: true }).first().fill('Cấp nhầm buổi học');
  await officer.getByRole('button', { name: 'Thu hồi' }).click();
  await officer.waitForURL(/\/certificates\/[^/]+$/);
  await checker.goto(codes[0]);
  assert.match(await checker.locator('#certificate-verdict').innerText(), /đã bị thu hồi[\s\S]*Cấp nhầm buổi học/);
  await shot(checker, 'dt-certificate-revoked');

  // The commune's public page shows the programme without personal data.
  await checker.goto(`${base}/units/27937/dt`);
  assert.ok(await checker.locator('#dt-team-table').isVisible());
  assert.ok(!(await checker.content()).includes('Nguyễn Thị Học Viên'));
  await shot(checker, 'dt-commune');
  for (const p of [officer, participant, checker]) await p.context().close();
});
