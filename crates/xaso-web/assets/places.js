// Places maps (Leaflet, embedded): markers coloured by kind, a tap on the map or the phone's
// GPS fills the position fields of the place form. Points show even when tiles cannot load.
(function () {
  'use strict';
  var el = document.getElementById('map');
  var dataEl = document.getElementById('map-data');
  if (!el || !dataEl || !window.L) return;
  var data = JSON.parse(dataEl.textContent);
  var map = L.map(el, { scrollWheelZoom: false, zoomSnap: 0.25 });
  // Reachable for scripts that drive the page (the browser tests tap at a known point).
  window.xasoMap = map;
  if (data.tiles) {
    L.tileLayer(data.tiles, { maxZoom: 19, attribution: data.attribution || '' }).addTo(map);
  } else {
    el.classList.add('no-tiles');
  }
  var colours = {
    household: '#0b57a4', agency: '#a4161a', organisation: '#7a4b00', business: '#6a3d9a',
    relic: '#b15928', school: '#1f78b4', health: '#e31a1c', market: '#33a02c', wifi: '#00838f', other: '#59636e',
    // Feedback cases, by status.
    received: '#c2410c', accepted: '#1d4ed8', in_progress: '#7c3aed', resolved: '#15803d', closed: '#59636e', rejected: '#9ca3af'
  };
  var group = L.featureGroup().addTo(map);
  if (data.boundary) {
    L.geoJSON(data.boundary, { style: { color: '#0b6b3a', weight: 2, fill: false }, interactive: false }).addTo(group);
  }
  (data.points || []).forEach(function (p) {
    var m = L.circleMarker([p.lat, p.lng], {
      radius: 8, color: '#fff', weight: 2, fillColor: colours[p.kind] || '#59636e', fillOpacity: 0.95
    });
    var box = document.createElement('div');
    var a = document.createElement(p.url ? 'a' : 'strong');
    if (p.url) a.href = p.url;
    a.textContent = p.label;
    box.appendChild(a);
    var small = document.createElement('div');
    small.textContent = p.sub || '';
    box.appendChild(small);
    m.bindPopup(box);
    m.addTo(group);
  });
  // A tour: its stops joined in visiting order.
  if (data.route && data.points && data.points.length > 1) {
    L.polyline(data.points.map(function (p) { return [p.lat, p.lng]; }),
      { color: '#b15928', weight: 3, dashArray: '6 6', interactive: false }).addTo(group);
  }
  if (group.getLayers().length) {
    map.fitBounds(group.getBounds(), { maxZoom: 17, padding: [16, 16] });
  } else if (data.centre) {
    map.setView(data.centre, 14);
  } else {
    map.setView([16.0, 107.5], 5);
  }

  var lat = document.getElementById('latitude');
  var lng = document.getElementById('longitude');
  if (!lat || !lng) return;
  var pin = null;
  var status = document.getElementById('gps-status');
  function set(la, ln, zoom) {
    lat.value = la.toFixed(6);
    lng.value = ln.toFixed(6);
    if (pin) pin.setLatLng([la, ln]);
    else pin = L.circleMarker([la, ln], { radius: 10, color: '#000', weight: 3, fillColor: '#f59e0b', fillOpacity: 1 }).addTo(map);
    if (zoom) map.setView([la, ln], zoom);
    // Other scripts of the page (the feedback form's duplicate hints) follow the position.
    document.dispatchEvent(new CustomEvent('xaso:position', { detail: { lat: la, lng: ln } }));
  }
  if (lat.value && lng.value && isFinite(+lat.value) && isFinite(+lng.value)) set(+lat.value, +lng.value, 17);
  map.on('click', function (e) { set(e.latlng.lat, e.latlng.lng); });
  [lat, lng].forEach(function (i) {
    i.addEventListener('change', function () {
      if (lat.value && lng.value && isFinite(+lat.value) && isFinite(+lng.value)) set(+lat.value, +lng.value, 17);
    });
  });
  var gps = document.getElementById('gps');
  if (gps && navigator.geolocation) {
    gps.hidden = false;
    gps.addEventListener('click', function () {
      if (status) status.textContent = gps.dataset.wait;
      navigator.geolocation.getCurrentPosition(function (pos) {
        set(pos.coords.latitude, pos.coords.longitude, 18);
        if (status) status.textContent = gps.dataset.done.replace('{m}', Math.round(pos.coords.accuracy));
      }, function () {
        if (status) status.textContent = gps.dataset.fail;
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
    });
  }
})();
