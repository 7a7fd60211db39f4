// The field app: forms that save to the phone (IndexedDB) with no signal, and an outbox that
// sends them in order when the signal returns. Each record carries its own UUIDv7, so a record
// sent twice (a lost answer, two tabs) is stored once by the server. Photos are made smaller
// here before they are kept. Nothing is deleted from the outbox unless the person says so.
(function () {
  'use strict';
  var T = JSON.parse(document.getElementById('field-text').textContent);
  var $ = function (id) { return document.getElementById(id); };
  var db = null;
  var session = null;
  var ref = { forms: [], villages: [], places: [], plots: [], stocktakes: [], assets: [], sessions: [], categories: [], batches: [] };
  var syncing = false;
  var here = null;

  // ---- IndexedDB ----
  function openDb() {
    return new Promise(function (ok, fail) {
      var req = indexedDB.open('xaso-field', 1);
      req.onupgradeneeded = function () {
        var d = req.result;
        d.createObjectStore('outbox', { keyPath: 'key' });
        d.createObjectStore('meta', { keyPath: 'name' });
      };
      req.onsuccess = function () { ok(req.result); };
      req.onerror = function () { fail(req.error); };
    });
  }
  function tx(store, mode, work) {
    return new Promise(function (ok, fail) {
      var t = db.transaction(store, mode);
      var result;
      t.oncomplete = function () { ok(result); };
      t.onerror = function () { fail(t.error); };
      t.onabort = function () { fail(t.error || new Error('aborted')); };
      var req = work(t.objectStore(store));
      if (req) req.onsuccess = function () { result = req.result; };
    });
  }
  var put = function (store, v) { return tx(store, 'readwrite', function (s) { return s.put(v); }); };
  var del = function (store, k) { return tx(store, 'readwrite', function (s) { return s.delete(k); }); };
  var get = function (store, k) { return tx(store, 'readonly', function (s) { return s.get(k); }); };
  var all = function (store) { return tx(store, 'readonly', function (s) { return s.getAll(); }); };

  // ---- Identifiers and time ----
  // UUIDv7: 48 bits of milliseconds, then the version, then random bits (RFC 9562).
  function uuidv7() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    var ms = Date.now();
    for (var i = 5; i >= 0; i--) { b[i] = ms % 256; ms = Math.floor(ms / 256); }
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function localDay(d) { return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()); }
  function shown(iso) {
    var d = new Date(iso);
    return pad(d.getDate()) + '/' + pad(d.getMonth() + 1) + '/' + d.getFullYear() + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes());
  }
  function say(key, args) {
    var s = T[key] || key;
    Object.keys(args || {}).forEach(function (k) { s = s.split('{' + k + '}').join(args[k]); });
    return s;
  }
  function notice(text, kind) {
    var n = $('notice');
    n.textContent = text;
    n.className = 'notice ' + (kind || 'info');
    n.hidden = !text;
  }

  // ---- Online / offline ----
  function showNet() {
    var on = navigator.onLine;
    $('net').textContent = on ? T.online : T.offline;
    $('net').className = 'st ' + (on ? 'st-ok' : 'st-warn');
  }

  // ---- Photos: at most 1280 px on the long side, JPEG ----
  function shrink(file) {
    if (!file || !file.size) return Promise.resolve(null);
    var draw = function (img, w, h) {
      var scale = Math.min(1, 1280 / Math.max(w, h));
      var c = document.createElement('canvas');
      c.width = Math.round(w * scale);
      c.height = Math.round(h * scale);
      c.getContext('2d').drawImage(img, 0, 0, c.width, c.height);
      return new Promise(function (ok) { c.toBlob(function (b) { ok(b); }, 'image/jpeg', 0.8); });
    };
    if (window.createImageBitmap) {
      return createImageBitmap(file).then(function (bmp) { return draw(bmp, bmp.width, bmp.height); });
    }
    return new Promise(function (ok, fail) {
      var img = new Image();
      img.onload = function () { URL.revokeObjectURL(img.src); ok(draw(img, img.naturalWidth, img.naturalHeight)); };
      img.onerror = fail;
      img.src = URL.createObjectURL(file);
    });
  }

  // ---- Reference lists ----
  function option(value, text) {
    var o = document.createElement('option');
    o.value = value;
    o.textContent = text;
    return o;
  }
  function distance(a, b) {
    var r = Math.PI / 180;
    var x = (b.longitude - a.longitude) * r * Math.cos((a.latitude + b.latitude) * r / 2);
    var y = (b.latitude - a.latitude) * r;
    return Math.round(Math.sqrt(x * x + y * y) * 6371000);
  }
  var lists = {
    villages: function () { return ref.villages.map(function (v) { return [v.code, v.name + ' — ' + v.commune_name]; }); },
    places: function () {
      var ps = ref.places.filter(function (p) { return p.status === 'active'; });
      if (here) ps.sort(function (a, b) { return distance(here, a) - distance(here, b); });
      else ps.sort(function (a, b) { return a.name.localeCompare(b.name, 'vi'); });
      return ps.slice(0, 300).map(function (p) {
        return [p.id, p.name + (p.address ? ', ' + p.address : '') + (here ? ' (' + distance(here, p) + ' m)' : '')];
      });
    },
    plots: function () { return ref.plots.map(function (p) { return [p.id, p.name]; }); },
    stocktakes: function () { return ref.stocktakes.map(function (s) { return [s.id, '#' + s.number + ' — ' + s.unit_name]; }); },
    sessions: function () { return ref.sessions.map(function (s) { return [s.id, s.title + ' — ' + s.day.split('-').reverse().join('/') + ' ' + s.starts]; }); },
    categories: function () { return ref.categories.map(function (c) { return [c.code, document.documentElement.lang === 'en' ? c.name_en : c.name_vi]; }); },
    batches: function () { return ref.batches.map(function (b) { return [b.id, b.product + ' — ' + b.lot]; }); },
  };
  function fillLists() {
    document.querySelectorAll('select[data-ref]').forEach(function (sel) {
      var keep = sel.value;
      sel.textContent = '';
      var required = sel.hasAttribute('required');
      sel.appendChild(option('', T.choose));
      lists[sel.getAttribute('data-ref')]().forEach(function (pair) { sel.appendChild(option(pair[0], pair[1])); });
      sel.value = keep;
      if (required && sel.options.length === 1) sel.title = T.need_reference;
    });
    var codes = $('place-codes');
    codes.textContent = '';
    ref.places.slice(0, 500).forEach(function (p) { codes.appendChild(option(p.plus_code, p.name)); });
    var tags = $('asset-tags');
    tags.textContent = '';
    ref.assets.forEach(function (a) { tags.appendChild(option(a.tag, a.name)); });
    document.querySelectorAll('.field-menu li').forEach(function (li) {
      li.hidden = ref.forms.indexOf(li.getAttribute('data-form')) < 0;
    });
    $('menu-empty').hidden = ref.forms.length > 0;
    route();
  }
  function showRef(meta) {
    $('ref-status').textContent = meta && meta.at
      ? say('ref_at', { t: shown(meta.at), n: ref.places.length, m: ref.plots.length })
      : T.ref_none;
  }
  function loadRef() {
    return get('meta', 'reference').then(function (m) {
      if (m) ref = m.data;
      fillLists();
      showRef(m);
      return get('meta', 'limit');
    }).then(function (l) { if (l) $('ref-limit').value = l.value; });
  }
  function merge(old, changes, limit) {
    var byId = {};
    old.forEach(function (x) { byId[x.id] = x; });
    changes.forEach(function (x) { byId[x.id] = x; });
    var out = Object.keys(byId).map(function (k) { return byId[k]; })
      .filter(function (x) { return !x.status || x.status === 'active'; });
    out.sort(function (a, b) { return a.updated_at < b.updated_at ? 1 : -1; });
    return out.slice(0, limit);
  }
  function refresh() {
    var limit = parseInt($('ref-limit').value, 10) || 2000;
    return get('meta', 'reference').then(function (m) {
      var since = m && m.cursor && m.limit === limit && m.username === (session && session.username) ? m.cursor : '';
      return fetch('/api/v1/field/reference?limit=' + limit + '&since=' + encodeURIComponent(since), { credentials: 'same-origin' })
        .then(function (r) {
          if (r.status === 401) { signedOut(); throw new Error('signed out'); }
          if (!r.ok) throw new Error('HTTP ' + r.status);
          return r.json();
        })
        .then(function (got) {
          var next = {
            forms: got.forms, villages: got.villages, stocktakes: got.stocktakes, assets: got.assets,
            sessions: got.sessions, categories: got.categories, batches: got.batches,
            username: got.username,
            places: got.full ? got.places : merge(ref.places, got.places, limit),
            plots: got.full ? got.plots : merge(ref.plots, got.plots, limit),
          };
          ref = next;
          var meta = { name: 'reference', data: next, cursor: got.cursor, limit: limit, username: got.username, at: new Date().toISOString() };
          return put('meta', meta).then(function () { fillLists(); showRef(meta); });
        });
    }).catch(function (e) {
      if (String(e.message) !== 'signed out') notice(T.ref_failed, 'bad');
    });
  }

  // ---- Session ----
  function signedOut() {
    session = null;
    $('who').textContent = '';
    $('sign-in').hidden = false;
    notice(T.sign_in_again, 'bad');
  }
  function whoami() {
    return fetch('/api/v1/field/session', { credentials: 'same-origin' }).then(function (r) {
      if (r.status === 401) { signedOut(); return null; }
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json().then(function (s) {
        session = s;
        $('who').textContent = s.display_name;
        $('sign-in').hidden = true;
        return s;
      });
    });
  }

  // ---- Forms ----
  function route() {
    var kind = location.hash.slice(1);
    document.querySelectorAll('.field-form').forEach(function (sec) {
      sec.hidden = sec.id !== 'form-' + kind || ref.forms.indexOf(kind) < 0;
    });
    var open = $('form-' + kind);
    if (open && !open.hidden) {
      var first = open.querySelector('select, input, textarea');
      if (first) first.focus();
      open.scrollIntoView({ block: 'start' });
    }
  }
  function resetForm(form) {
    form.reset();
    form.querySelectorAll('input[type=hidden]').forEach(function (i) { i.value = ''; });
    form.querySelectorAll('[data-gps-out]').forEach(function (o) { o.textContent = ''; });
    form.querySelectorAll('[data-today]').forEach(function (i) { i.value = localDay(new Date()); });
    form.querySelectorAll('[data-now]').forEach(function (i) {
      var d = new Date();
      i.value = localDay(d) + 'T' + pad(d.getHours()) + ':' + pad(d.getMinutes());
    });
    switchParts(form);
  }
  function switchParts(form) {
    var sw = form.querySelector('[data-switch]');
    if (!sw) return;
    form.querySelectorAll('fieldset[data-when]').forEach(function (f) { f.hidden = f.getAttribute('data-when') !== sw.value; });
  }
  function summary(form) {
    var parts = [];
    var sel = form.querySelector('select[data-ref]');
    if (sel && sel.selectedIndex > 0) parts.push(sel.options[sel.selectedIndex].textContent);
    ['name', 'description', 'tag', 'service', 'step', 'kind'].some(function (n) {
      var el = form.elements[n];
      if (!el || !el.value) return false;
      parts.push(el.tagName === 'SELECT' ? el.options[el.selectedIndex].textContent : el.value.slice(0, 80));
      return true;
    });
    return parts.join(' — ');
  }
  function save(form) {
    var kind = form.getAttribute('data-kind');
    var needGps = form.querySelector('[data-required=gps]');
    if (needGps && !needGps.value) { notice(T.gps_fail, 'bad'); return Promise.resolve(); }
    var fields = {};
    var file = null;
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled) return;
      if (el.closest('fieldset[data-when]') && el.closest('fieldset[data-when]').hidden) return;
      if (el.type === 'file') { file = el.files && el.files[0]; return; }
      if (el.type === 'checkbox') { if (el.checked) fields[el.name] = el.value; return; }
      fields[el.name] = el.value;
    });
    return shrink(file).then(function (photo) {
      var rec = {
        key: uuidv7(), kind: kind, fields: fields, photo: photo, recorded_at: new Date().toISOString(),
        summary: summary(form), username: session ? session.username : (ref.username || ''), state: 'waiting',
      };
      return put('outbox', rec);
    }).then(function () {
      if (navigator.storage && navigator.storage.persist) navigator.storage.persist();
      resetForm(form);
      notice(T.saved_local, 'ok');
      return render();
    }).then(function () { if (navigator.onLine) sync(); })
      .catch(function (e) { notice(T.storage_full + ' (' + e.message + ')', 'bad'); });
  }
  function gps(button) {
    var box = button.closest('.gps');
    var out = box.querySelector('[data-gps-out]');
    if (!navigator.geolocation) { out.textContent = T.gps_fail; return; }
    out.textContent = T.gps_wait;
    navigator.geolocation.getCurrentPosition(function (p) {
      box.querySelector('[name=latitude]').value = p.coords.latitude.toFixed(6);
      box.querySelector('[name=longitude]').value = p.coords.longitude.toFixed(6);
      out.textContent = say('gps_ok', { m: Math.round(p.coords.accuracy) });
      here = { latitude: p.coords.latitude, longitude: p.coords.longitude };
      var places = $('edit-place');
      if (box.closest('form').contains(places)) {
        var keep = places.value;
        fillLists();
        places.value = keep;
      }
    }, function () { out.textContent = T.gps_fail; }, { enableHighAccuracy: true, timeout: 60000, maximumAge: 30000 });
  }

  // ---- Outbox ----
  var STATES = { waiting: 'state_waiting', sending: 'state_sending', saved: 'state_saved', refused: 'state_refused', conflict: 'state_conflict', retry: 'state_retry' };
  var TONES = { saved: 'st-ok', refused: 'st-bad', conflict: 'st-warn' };
  var SHOWN = 100;
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function button(text, cls, act) {
    var b = el('button', 'btn ' + (cls || 'secondary'), text);
    b.type = 'button';
    b.addEventListener('click', act);
    return b;
  }
  function render() {
    return all('outbox').then(function (recs) {
      recs.sort(function (a, b) { return a.key < b.key ? 1 : -1; });
      var list = $('outbox');
      list.textContent = '';
      var waiting = recs.filter(function (r) { return r.state === 'waiting' || r.state === 'retry' || r.state === 'sending'; }).length;
      $('pending').textContent = say('state_waiting') + ': ' + waiting;
      if (!recs.length) list.appendChild(el('li', 'empty', T.outbox_empty));
      // A phone shows the latest hundred; the rest wait (or rest) all the same.
      if (recs.length > SHOWN) list.appendChild(el('li', 'hint', say('more_records', { n: recs.length - SHOWN })));
      recs.slice(0, SHOWN).forEach(function (r) {
        var li = el('li', 'field-record');
        li.setAttribute('data-state', r.state);
        li.setAttribute('data-key', r.key);
        var title = el('p');
        var label = document.querySelector('.field-menu li[data-form="' + r.kind + '"] a');
        title.appendChild(el('strong', '', label ? label.textContent : r.kind));
        title.appendChild(document.createTextNode(' · ' + shown(r.recorded_at) + ' '));
        var st = r.state === 'saved' && r.answer && r.answer.already ? 'state_already' : STATES[r.state];
        title.appendChild(el('span', 'st ' + (TONES[r.state] || 'st-none'), T[st]));
        li.appendChild(title);
        if (r.summary) li.appendChild(el('p', 'hint', r.summary + (r.photo ? ' · ' + T.photo_attached : '')));
        if (session && r.username && r.username !== session.username && r.state !== 'saved') {
          li.appendChild(el('p', 'hint', say('other_user', { u: r.username })));
        }
        if (r.state === 'refused' && r.reason) li.appendChild(el('p', 'err', r.reason));
        if (r.state === 'retry' && r.reason) li.appendChild(el('p', 'hint', r.reason));
        var acts = el('p', 'actions');
        if (r.state === 'saved' && r.answer && r.answer.link) {
          var a = el('a', '', T.open_record);
          a.href = r.answer.link;
          acts.appendChild(a);
        }
        if (r.state === 'conflict' && r.server) {
          var dl = el('dl', 'pair');
          ['name', 'address'].forEach(function (f) {
            dl.appendChild(el('dt', '', T.server_copy + ' (' + f + ')'));
            dl.appendChild(el('dd', '', r.server[f] || ''));
            dl.appendChild(el('dt', '', T.your_copy + ' (' + f + ')'));
            dl.appendChild(el('dd', '', r.fields[f] || ''));
          });
          li.appendChild(dl);
          acts.appendChild(button(T.keep_mine, 'primary', function () {
            r.fields.base = r.server.base;
            r.state = 'waiting';
            delete r.server;
            put('outbox', r).then(render).then(sync);
          }));
          acts.appendChild(button(T.keep_server, 'secondary', function () {
            if (confirm(T.confirm_delete)) del('outbox', r.key).then(render);
          }));
        }
        if (r.state === 'refused') {
          acts.appendChild(button(T.edit_again, 'secondary', function () { editAgain(r); }));
        }
        if (r.state !== 'sending') {
          acts.appendChild(button(T.delete, r.state === 'saved' ? 'secondary' : 'danger', function () {
            if (r.state === 'saved' || confirm(T.confirm_delete)) del('outbox', r.key).then(render);
          }));
        }
        li.appendChild(acts);
        list.appendChild(li);
      });
    });
  }
  function editAgain(r) {
    var form = document.querySelector('form[data-kind="' + r.kind + '"]');
    if (!form) return;
    resetForm(form);
    Object.keys(r.fields).forEach(function (k) {
      var f = form.elements[k];
      if (!f || f.type === 'file') return;
      if (f.type === 'checkbox') f.checked = true;
      else f.value = r.fields[k];
    });
    switchParts(form);
    del('outbox', r.key).then(render);
    location.hash = r.kind;
    route();
  }

  // ---- Sending ----
  function send(r) {
    var body = new FormData();
    body.append('record', JSON.stringify({ key: r.key, kind: r.kind, recorded_at: r.recorded_at, fields: r.fields }));
    if (r.photo) body.append('photo', r.photo, 'photo.jpg');
    return fetch('/api/v1/field/records', {
      method: 'POST', body: body, credentials: 'same-origin',
      headers: { 'X-CSRF-Token': session.csrf, 'Idempotency-Key': r.key },
    });
  }
  function sync() {
    if (syncing) return Promise.resolve();
    syncing = true;
    var sent = 0;
    var stop = false;
    var finish = function () { syncing = false; return render(); };
    return whoami().then(function (s) {
      if (!s) return null;
      return all('outbox');
    }).then(function (recs) {
      if (!recs) return null;
      var todo = recs.filter(function (r) {
        return (r.state === 'waiting' || r.state === 'retry' || r.state === 'sending') && (!r.username || r.username === session.username);
      }).sort(function (a, b) { return a.key < b.key ? -1 : 1; });
      var next = function (i, csrfRetried) {
        if (i >= todo.length || stop) return null;
        var r = todo[i];
        r.state = 'sending';
        return put('outbox', r).then(function () { return send(r); }).then(function (resp) {
          if (resp.status === 401) { stop = true; signedOut(); r.state = 'waiting'; return put('outbox', r); }
          return resp.json().catch(function () { return {}; }).then(function (a) {
            // A stale CSRF token (a new sign-in in another tab): fetch it again, once.
            if (resp.status === 403 && !a.status && !csrfRetried) {
              r.state = 'waiting';
              return put('outbox', r).then(whoami).then(function () { return 'again'; });
            }
            if (a.status === 'saved') { r.state = 'saved'; r.answer = a; delete r.reason; sent++; }
            else if (a.status === 'conflict') { r.state = 'conflict'; r.server = a.server; r.reason = a.reason; }
            else if (a.status === 'refused') { r.state = 'refused'; r.reason = a.reason; }
            else { r.state = 'retry'; r.reason = (a.errors && a.errors[0] && a.errors[0].detail) || ('HTTP ' + resp.status); stop = true; }
            return put('outbox', r);
          });
        }, function () {
          // No connection after all: it waits for the next try.
          stop = true;
          r.state = 'waiting';
          return put('outbox', r);
        }).then(function (again) {
          // A long outbox is drawn every 20 records, not after each one.
          var draw = todo.length < 50 || i % 20 === 0 ? render() : Promise.resolve();
          return draw.then(function () { return again === 'again' ? next(i, true) : next(i + 1, false); });
        });
      };
      return next(0, false);
    }).then(function () {
      if (sent) notice(say('sync_done', { n: sent }), 'ok');
      return finish();
    }, function () { return finish(); });
  }

  // ---- Start ----
  document.querySelectorAll('form[data-kind]').forEach(function (form) {
    resetForm(form);
    form.addEventListener('submit', function (e) { e.preventDefault(); save(form); });
    var sw = form.querySelector('[data-switch]');
    if (sw) sw.addEventListener('change', function () { switchParts(form); });
  });
  document.querySelectorAll('[data-gps]').forEach(function (b) { b.addEventListener('click', function () { gps(b); }); });
  $('edit-place').addEventListener('change', function () {
    var p = ref.places.filter(function (x) { return x.id === this.value; }, this)[0];
    var form = this.form;
    form.elements.base.value = p ? p.updated_at : '';
    form.elements.name.value = p ? p.name : '';
    form.elements.address.value = p ? p.address : '';
  });
  $('sync').addEventListener('click', function () { sync(); });
  $('refresh').addEventListener('click', function () { refresh(); });
  $('ref-limit').addEventListener('change', function () { put('meta', { name: 'limit', value: this.value }); });
  window.addEventListener('hashchange', route);
  window.addEventListener('online', function () { showNet(); sync().then(refresh); });
  window.addEventListener('offline', showNet);
  // A weak signal may come back without an "online" event: try again every minute while
  // something waits.
  setInterval(function () {
    if (!navigator.onLine || syncing || !db) return;
    all('outbox').then(function (recs) {
      if (recs.some(function (r) { return r.state === 'waiting' || r.state === 'retry'; })) sync();
    });
  }, 60000);
  showNet();
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/field/sw.js', { scope: '/field/' });
  openDb().then(function (d) { db = d; return loadRef(); }).then(render).then(function () {
    if (!navigator.onLine) return null;
    return sync().then(function () { if (session) return refresh(); return null; });
  });
})();
