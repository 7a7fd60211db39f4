// The reference board player (docs/PLAYERS.md): a full-screen page for the kiosk browser of a
// public e-bulletin board. It plays the board's dayparts from its own cache (the schedule and
// every picture are kept in Cache Storage, the page itself by a service worker), so it keeps
// going when the network drops; it listens on the device's event stream and shows an
// emergency alert full screen as soon as it arrives; it reports what it showed.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const root = $('player');
  const S = root.dataset;
  const KEY = 'xaso-board';
  const REPORTS = 'xaso-board-reports';
  const ACKS = 'xaso-board-acks';
  const ALERTS = 'xaso-board-alerts';
  const DATA = 'xaso-board-data';
  const MEDIA = 'xaso-board-media';
  const SCHEDULE_KEY = '/player/data/schedule';
  const hasCaches = 'caches' in self;

  const load = (k, d) => {
    try {
      return JSON.parse(localStorage.getItem(k)) ?? d;
    } catch {
      return d;
    }
  };
  const save = (k, v) => localStorage.setItem(k, JSON.stringify(v));

  // Set up from the device's token page (#device=…&token=…), then the address is cleaned.
  let cfg = load(KEY, null);
  if (location.hash.length > 1) {
    const h = new URLSearchParams(location.hash.slice(1));
    if (h.get('device') && h.get('token')) {
      cfg = { device: h.get('device'), token: h.get('token') };
      save(KEY, cfg);
    }
    history.replaceState(null, '', location.pathname);
  }

  const api = (rest) => `/api/v1/devices/${encodeURIComponent(cfg.device)}${rest}`;
  const auth = () => ({ Authorization: `Bearer ${cfg.token}` });
  const uuid = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`);

  // ---- The connection indicator ----
  let offline = false;
  function online(yes) {
    offline = !yes;
    $('status').hidden = yes;
    if (!yes) $('status').textContent = S.offline;
  }

  // ---- The schedule and its files ----
  let schedule = null;
  let etag = null;
  const urls = new Map();

  async function loadCached() {
    if (!hasCaches) return;
    const r = await (await caches.open(DATA)).match(SCHEDULE_KEY);
    if (r) {
      schedule = await r.json();
      etag = r.headers.get('x-etag') || null;
    }
  }

  const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

  async function fetchMedia(body) {
    if (!hasCaches) return;
    const cache = await caches.open(MEDIA);
    const keep = new Set();
    for (const m of body.media || []) {
      if (!m.url || !m.sha256) continue;
      const key = `/player/data/media/${m.sha256}`;
      keep.add(key);
      if (await cache.match(key)) continue;
      const r = await fetch(m.url, { headers: auth(), cache: 'no-store' });
      if (!r.ok) continue;
      const bytes = await r.arrayBuffer();
      if (crypto.subtle && hex(await crypto.subtle.digest('SHA-256', bytes)) !== m.sha256) continue;
      await cache.put(key, new Response(bytes, { headers: { 'content-type': m.content_type || 'application/octet-stream' } }));
    }
    for (const req of await cache.keys()) {
      const path = new URL(req.url).pathname;
      if (!keep.has(path)) {
        await cache.delete(req);
        const sha = path.split('/').pop();
        if (urls.has(sha)) {
          URL.revokeObjectURL(urls.get(sha));
          urls.delete(sha);
        }
      }
    }
  }

  async function refresh() {
    try {
      const headers = auth();
      if (etag && schedule) headers['If-None-Match'] = etag;
      const r = await fetch(api('/schedule'), { headers, cache: 'no-store' });
      if (r.status === 401) {
        $('status').hidden = false;
        $('status').textContent = S.unauthorized;
        return;
      }
      if (r.status === 304) {
        online(true);
      } else if (r.ok) {
        const body = await r.json();
        await fetchMedia(body);
        schedule = body;
        etag = r.headers.get('ETag');
        if (hasCaches) {
          await (await caches.open(DATA)).put(SCHEDULE_KEY, new Response(JSON.stringify(body), {
            headers: { 'content-type': 'application/json', 'x-etag': etag || '' },
          }));
        }
        online(true);
        if (!showing) tick();
      } else {
        throw new Error(`schedule: ${r.status}`);
      }
    } catch {
      online(false);
    }
    await flush();
  }

  // ---- Play reports (kept in the browser until the server has them) ----
  function report(r) {
    const all = load(REPORTS, []);
    all.push({ id: uuid(), ...r });
    save(REPORTS, all.slice(-5000));
  }

  async function flush() {
    if (offline) return;
    for (const id of load(ACKS, [])) {
      try {
        const r = await fetch(api(`/alerts/${encodeURIComponent(id)}/received`), { method: 'POST', headers: auth() });
        if (r.ok || r.status === 404) save(ACKS, load(ACKS, []).filter((x) => x !== id));
      } catch {
        return;
      }
    }
    const all = load(REPORTS, []);
    if (!all.length) return;
    const batch = all.slice(0, 500);
    try {
      const r = await fetch(api('/plays'), {
        method: 'POST',
        headers: { ...auth(), 'Content-Type': 'application/json' },
        body: JSON.stringify({ plays: batch }),
      });
      // Kept, or refused as wrong (sending them again would not help).
      if (r.ok || r.status === 422) {
        const sent = new Set(batch.map((b) => b.id));
        save(REPORTS, load(REPORTS, []).filter((b) => !sent.has(b.id)));
      }
    } catch {
      // Offline: kept for later.
    }
  }

  // ---- The loop ----
  let timer = null;
  let position = null; // {key, index}
  let showing = null; // {item, started}

  function endShowing(result) {
    if (!showing) return;
    report({ item: showing.item, started_at: new Date(showing.started).toISOString(), duration_ms: Date.now() - showing.started, result });
    showing = null;
  }

  async function fileUrl(m) {
    if (!m.sha256 || !hasCaches) return null;
    if (urls.has(m.sha256)) return urls.get(m.sha256);
    const r = await (await caches.open(MEDIA)).match(`/player/data/media/${m.sha256}`);
    if (!r) return null;
    const u = URL.createObjectURL(await r.blob());
    urls.set(m.sha256, u);
    return u;
  }

  function currentPart(now) {
    if (!schedule) return null;
    for (const day of schedule.days || []) {
      for (const p of day.dayparts || []) {
        if (Date.parse(p.start) <= now && now < Date.parse(p.end) && p.loop.length) return p;
      }
    }
    return null;
  }

  function showIdle() {
    $('stage').hidden = true;
    $('idle').hidden = false;
    const now = new Date();
    const tz = { timeZone: 'Asia/Ho_Chi_Minh' };
    $('idle-clock').textContent = now.toLocaleTimeString(S.locale, { ...tz, hour: '2-digit', minute: '2-digit' });
    $('idle-date').textContent = now.toLocaleDateString(S.locale, { ...tz, weekday: 'long', day: 'numeric', month: 'numeric', year: 'numeric' });
    $('idle-note').textContent = schedule ? $('idle-note').textContent : S.waiting;
  }

  async function tick() {
    clearTimeout(timer);
    if (alertOn()) return;
    const now = Date.now();
    endShowing('played');
    const part = currentPart(now);
    if (!part) {
      position = null;
      showIdle();
      timer = setTimeout(tick, 1000);
      return;
    }
    const key = `${part.start}|${part.end}|${part.loop.map((l) => l.item).join(',')}`;
    position = position && position.key === key ? { key, index: (position.index + 1) % part.loop.length } : { key, index: 0 };
    const entry = part.loop[position.index];
    const m = (schedule.media || []).find((x) => x.item === entry.item) || { item: entry.item, kind: 'text', title: '', text: '' };
    const src = m.kind === 'slide' ? await fileUrl(m) : null;
    $('slide-title').textContent = m.title || '';
    $('slide-text').textContent = m.kind === 'text' ? m.text || '' : '';
    $('slide-image').hidden = !src;
    if (src) $('slide-image').src = src;
    $('idle').hidden = true;
    $('stage').hidden = false;
    $('stage').dataset.item = entry.item;
    showing = { item: entry.item, started: Date.now() };
    timer = setTimeout(tick, Math.max(500, Math.min(entry.ms, Date.parse(part.end) - now)));
  }

  // ---- Emergency alerts ----
  let alerts = load(ALERTS, {}); // first message id → {msg, since}

  const alive = (a) => !a.msg.expires || Date.parse(a.msg.expires) > Date.now();
  const alertOn = () => Object.values(alerts).some(alive);

  function renderAlert() {
    const live = Object.values(alerts).filter(alive).sort((a, b) => a.since - b.since);
    const box = $('alert');
    if (!live.length) {
      if (!box.hidden) {
        box.hidden = true;
        delete box.dataset.alert;
        tick();
      }
      return;
    }
    const { msg } = live[live.length - 1];
    if (box.hidden) {
      clearTimeout(timer);
      endShowing('interrupted');
      $('stage').hidden = true;
      $('idle').hidden = true;
    }
    $('alert-headline').textContent = msg.headline || '';
    $('alert-description').textContent = msg.description || '';
    $('alert-instruction').textContent = msg.instruction || '';
    $('alert-until').textContent = msg.expires
      ? `${S.until} ${new Date(msg.expires).toLocaleString(S.locale, { timeZone: 'Asia/Ho_Chi_Minh', hour: '2-digit', minute: '2-digit', day: 'numeric', month: 'numeric' })}`
      : '';
    box.dataset.alert = msg.id;
    box.hidden = false;
  }

  /** An alert shown until now is over: report how long it was on screen. */
  function endAlert(first) {
    const a = alerts[first];
    if (!a) return;
    report({ alert: a.msg.id, started_at: new Date(a.since).toISOString(), duration_ms: Math.max(0, Date.now() - a.since), result: 'played' });
    delete alerts[first];
    save(ALERTS, alerts);
  }

  function onAlert(msg) {
    const acks = load(ACKS, []);
    if (!acks.includes(msg.id) && !(alerts[msg.first] && alerts[msg.first].msg.id === msg.id)) {
      acks.push(msg.id);
      save(ACKS, acks);
    }
    if (msg.msg_type === 'Cancel') {
      endAlert(msg.first);
    } else if (!msg.expires || Date.parse(msg.expires) > Date.now()) {
      const old = alerts[msg.first];
      if (old && old.msg.id !== msg.id) endAlert(msg.first);
      alerts[msg.first] = { msg, since: old && old.msg.id === msg.id ? old.since : Date.now() };
      save(ALERTS, alerts);
    }
    renderAlert();
    flush();
  }

  setInterval(() => {
    for (const [first, a] of Object.entries(alerts)) if (!alive(a)) endAlert(first);
    renderAlert();
  }, 1000);

  // ---- The event stream (fetch, so the token goes in a header) ----
  let stream = null;
  let retry = null;

  function handleBlock(block) {
    let name = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      let value = i < 0 ? '' : line.slice(i + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') name = value;
      else if (field === 'data') data.push(value);
    }
    if (!data.length) return;
    if (name === 'alert') {
      try {
        onAlert(JSON.parse(data.join('\n')));
      } catch {
        // An unreadable event is skipped.
      }
    } else if (name === 'schedule') {
      refresh();
    }
  }

  async function listen() {
    clearTimeout(retry);
    if (stream) stream.abort();
    const mine = new AbortController();
    stream = mine;
    try {
      const r = await fetch(api('/events'), { headers: { ...auth(), Accept: 'text/event-stream' }, signal: mine.signal, cache: 'no-store' });
      if (!r.ok) throw new Error(`events: ${r.status}`);
      online(true);
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value.replace(/\r\n/g, '\n');
        let end;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          handleBlock(buf.slice(0, end));
          buf = buf.slice(end + 2);
        }
      }
    } catch {
      // Dropped or unreachable: try again below.
    }
    if (stream === mine) retry = setTimeout(listen, 2000);
  }

  // ---- Start ----
  function start() {
    $('setup').hidden = true;
    if ('serviceWorker' in navigator) navigator.serviceWorker.register('/player/sw.js', { scope: '/player/' }).catch(() => {});
    window.addEventListener('online', () => {
      listen();
      refresh();
    });
    window.addEventListener('offline', () => online(false));
    // The kiosk restarting or the page reloaded: what was on screen was cut.
    window.addEventListener('pagehide', () => endShowing('interrupted'));
    loadCached().then(() => {
      renderAlert();
      if (!alertOn()) tick();
      refresh();
      listen();
      setInterval(refresh, 60000);
    });
  }

  if (cfg) {
    start();
  } else {
    $('setup').hidden = false;
    $('setup-form').addEventListener('submit', (e) => {
      e.preventDefault();
      cfg = { device: $('setup-device').value.trim(), token: $('setup-token').value.trim() };
      save(KEY, cfg);
      start();
    });
  }
})();
