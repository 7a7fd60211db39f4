// Every URI printed on a stamp sheet, read back from the PDF with a real QR reader (zbarimg) and
// checked with GS1's own Digital Link toolkit (digital-link.js from npm), for each label size.
// Run by scripts/test against `xaso demo` with XASO_BASE_URL set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import gs1 from 'digital-link.js';

const { DigitalLink } = gs1;
const base = process.env.XASO_BASE_URL ?? 'http://127.0.0.1:8080';
const auth = { authorization: 'Bearer demo-admin-token' };

/// The demo batch DH-2026-03 of the peanut product, through its GS1 Digital Link.
async function demoBatch() {
  const r = await fetch(`${base}/01/09520001123450/10/DH-2026-03`, { redirect: 'manual' });
  assert.equal(r.status, 303);
  return r.headers.get('location').split('/').pop();
}

async function readySheet(batch, size, count) {
  const made = await fetch(`${base}/api/v1/batches/${batch}/stamp-orders`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ count, label_size: size }),
  });
  assert.equal(made.status, 200, await made.clone().text());
  const { id } = await made.json();
  for (let i = 0; i < 600; i++) {
    const o = await (await fetch(`${base}/api/v1/stamp-orders/${id}`, { headers: auth })).json();
    if (o.status === 'ready') break;
    assert.notEqual(o.status, 'failed', JSON.stringify(o));
    await new Promise((r) => setTimeout(r, 100));
  }
  const pdf = await fetch(`${base}/api/v1/stamp-orders/${id}/sheet.pdf`, { headers: auth });
  assert.equal(pdf.status, 200);
  return Buffer.from(await pdf.arrayBuffer());
}

/// Every QR code on every page, as printed at 300 dpi.
function decode(pdf) {
  const dir = mkdtempSync(join(tmpdir(), 'xaso-dl-'));
  writeFileSync(join(dir, 'sheet.pdf'), pdf);
  execFileSync('pdftoppm', ['-r', '300', '-gray', '-png', join(dir, 'sheet.pdf'), join(dir, 'page')]);
  const out = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.png')).sort()) {
    const text = execFileSync('zbarimg', ['--raw', '-q', join(dir, f)]).toString();
    out.push(...text.split('\n').filter(Boolean));
  }
  return out;
}

for (const [size, count] of [['small', 48], ['medium', 24], ['large', 9]]) {
  test(`every URI on a ${size} stamp sheet passes GS1's digital-link.js`, async () => {
    const batch = await demoBatch();
    const uris = decode(await readySheet(batch, size, count));
    assert.equal(uris.length, count, 'every label decodes');
    assert.equal(new Set(uris).size, count, 'no two stamps alike');
    for (const uri of uris) {
      // The scheme in lower case: the toolkit refuses HTTP:// and HTTPS:// outright.
      assert.match(uri, /^https?:\/\/[A-Z0-9.:-]+\/01\/09520001123450\/10\/DH-2026-03\/21\/[A-Z0-9]{13}$/);
      const link = DigitalLink(uri);
      assert.ok(link.isValid(), `digital-link.js finds ${uri} invalid`);
      assert.equal(link.getIdentifier()['01'], '09520001123450');
      assert.equal(link.getKeyQualifier('10'), 'DH-2026-03');
      // And the link leads to the stamp's own page.
      const page = await fetch(uri.replace(/^https?:\/\/[^/]+/, base));
      assert.equal(page.status, 200, uri);
      assert.match(await page.text(), /Tem hợp lệ/);
    }
  });
}
