// Benchmark of the field app (not a test; scripts/bench/field runs it, docs/BENCHMARKS.md has
// its figures):
//  1. what a phone downloads to install the app: the page, its files and the service worker's
//     copies, as sent and as gzip would send them;
//  2. how long one phone takes to send an outbox of 1,000 records, 100 of them with a photo,
//     through the app's own sync (IndexedDB → the API), on loopback.
import { gzipSync } from 'node:zlib';
import { base, password, launch } from './support.mjs';

const RECORDS = Number(process.env.RECORDS ?? 1000);
const PHOTOS = Number(process.env.PHOTOS ?? 100);

const browser = await launch();
const context = await browser.newContext({ viewport: { width: 412, height: 860 }, locale: 'vi-VN' });
const page = await context.newPage();
await page.goto(`${base}/login?next=/staff`);
await page.getByLabel('Tên đăng nhập').fill('canbo.xaduchoa');
await page.getByLabel('Mật khẩu').fill(password);
await page.getByRole('button', { name: 'Đăng nhập' }).click();
await page.waitForURL(`${base}/staff`);

// 1. First install.
const fetched = {};
context.on('request', (r) => {
  const url = new URL(r.url());
  if (!url.pathname.startsWith('/api/')) fetched[url.pathname] = (fetched[url.pathname] ?? 0) + 1;
});
await page.goto(`${base}/field/`);
await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 60000 });
await page.locator('.field-menu li:not([hidden])').first().waitFor();
await page.waitForLoadState('networkidle');
let bytes = 0;
let gzip = 0;
console.log('first install: file, fetches (page and worker), bytes sent, bytes gzip-compressed');
for (const [path, fetches] of Object.entries(fetched)) {
  const body = await (await page.request.get(`${base}${path}`)).body();
  const z = gzipSync(body, { level: 6 }).length;
  console.log(`  ${path.padEnd(30)} ${String(fetches).padStart(2)} ${String(fetches * body.length).padStart(8)} ${String(fetches * z).padStart(8)}`);
  bytes += fetches * body.length;
  gzip += fetches * z;
}
console.log(`  total${' '.repeat(28)}${String(bytes).padStart(8)} ${String(gzip).padStart(8)}`);
const ref = await page.request.get(`${base}/api/v1/field/reference`);
const refBody = await ref.body();
console.log(`reference lists: ${refBody.length} bytes (${gzipSync(refBody).length} gzip)`);

// 2. An outbox of RECORDS records, PHOTOS with a photo, written while offline.
await context.setOffline(true);
const plots = await page.evaluate(() => new Promise((ok) => {
  indexedDB.open('xaso-field').onsuccess = (e) => {
    e.target.result.transaction('meta').objectStore('meta').get('reference').onsuccess = (r) => ok(r.target.result.data.plots.map((p) => p.id));
  };
}));
const photoBytes = await page.evaluate(async ({ records, photos, plotId }) => {
  const c = document.createElement('canvas');
  c.width = 1280;
  c.height = 960;
  const g = c.getContext('2d');
  for (let i = 0; i < 200; i++) {
    g.fillStyle = `hsl(${(i * 37) % 360}, 60%, ${30 + (i % 40)}%)`;
    g.fillRect((i * 53) % 1200, (i * 71) % 900, 90, 70);
  }
  const photo = await new Promise((ok) => c.toBlob(ok, 'image/jpeg', 0.8));
  const uuid = (n) => {
    const ms = Date.now();
    const h = ms.toString(16).padStart(12, '0');
    const r = crypto.getRandomValues(new Uint8Array(10));
    const x = Array.from(r, (b) => b.toString(16).padStart(2, '0')).join('');
    const seq = n.toString(16).padStart(3, '0');
    return `${h.slice(0, 8)}-${h.slice(8)}-7${seq}-${(8 + (r[0] & 3)).toString(16)}${x.slice(1, 4)}-${x.slice(4, 16)}`;
  };
  const yesterday = new Date(Date.now() - 86400000).toISOString().slice(0, 10);
  const db = await new Promise((ok) => { indexedDB.open('xaso-field').onsuccess = (e) => ok(e.target.result); });
  const t = db.transaction('outbox', 'readwrite');
  const store = t.objectStore('outbox');
  const every = Math.floor(records / Math.max(photos, 1));
  let withPhoto = 0;
  for (let i = 0; i < records; i++) {
    const photoHere = withPhoto < photos && i % every === 0;
    const rec = photoHere
      ? { kind: 'field_log', fields: { plot: plotId, kind: 'observation', done_on: yesterday, pest: `Rầy nâu đo ${i}`, severity: 'light' }, photo }
      : { kind: 'support', fields: { village: '27937-01', service: 'vneid', people: '1', helped_on: yesterday, note: `Đo đồng bộ ${i}` }, photo: null };
    if (photoHere) withPhoto++;
    store.put({ key: uuid(i), recorded_at: new Date().toISOString(), summary: '', username: 'canbo.xaduchoa', state: 'waiting', ...rec });
  }
  await new Promise((ok) => { t.oncomplete = ok; });
  return photo.size;
}, { records: RECORDS, photos: PHOTOS, plotId: plots[0] });
await page.reload();
await page.locator('#pending').filter({ hasText: String(RECORDS) }).waitFor();
const started = Date.now();
await context.setOffline(false);
await page.waitForFunction(() => /: 0$/.test(document.querySelector('#pending').textContent) && !document.querySelector('[data-state=sending]'), null, { timeout: 600000, polling: 200 });
const seconds = (Date.now() - started) / 1000;
const states = await page.evaluate(() => new Promise((ok) => {
  indexedDB.open('xaso-field').onsuccess = (e) => {
    e.target.result.transaction('outbox').objectStore('outbox').getAll().onsuccess = (r) => {
      const count = {};
      for (const x of r.target.result) count[x.state] = (count[x.state] ?? 0) + 1;
      ok(count);
    };
  };
}));
console.log(`sync: ${RECORDS} records (${PHOTOS} with a ${photoBytes}-byte photo) in ${seconds.toFixed(1)} s = ${(RECORDS / seconds).toFixed(0)} records/s; states ${JSON.stringify(states)}`);
await browser.close();
