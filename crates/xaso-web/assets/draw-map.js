// Drawing an area (an alert's, a plot's): each tap on the map adds a corner; the corners go into the
// form's coordinates field (CAP's "lat,lon lat,lon …"), which also works typed by hand. The
// unit's boundary and its loudspeakers and boards are shown to draw against.
(function () {
  'use strict';
  var el = document.getElementById('map');
  var dataEl = document.getElementById('map-data');
  var field = document.getElementById('polygon');
  if (!el || !dataEl || !field || !window.L) return;
  var data = JSON.parse(dataEl.textContent);
  var map = L.map(el, { scrollWheelZoom: false, zoomSnap: 0.25 });
  window.xasoMap = map;
  if (data.tiles) {
    L.tileLayer(data.tiles, { maxZoom: 19, attribution: data.attribution || '' }).addTo(map);
  } else {
    el.classList.add('no-tiles');
  }
  var group = L.featureGroup().addTo(map);
  if (data.boundary) {
    L.geoJSON(data.boundary, { style: { color: '#0b6b3a', weight: 2, fill: false }, interactive: false }).addTo(group);
  }
  (data.devices || []).forEach(function (d) {
    L.circleMarker([d.lat, d.lng], { radius: 7, color: '#fff', weight: 2, fillColor: '#7a4b00', fillOpacity: 0.95 })
      .bindTooltip(d.label).addTo(group);
  });
  function fit() {
    if (group.getLayers().length) {
      map.fitBounds(group.getBounds().pad(0.1));
    } else if (data.centre) {
      map.setView(data.centre, 14);
    } else {
      map.setView([10.9, 106.4], 12);
    }
  }
  fit();
  // The map sits in a closed section: it learns its size when the section opens.
  var section = el.closest('details');
  if (section) {
    section.addEventListener('toggle', function () {
      if (section.open) {
        map.invalidateSize();
        if (!corners.length) fit();
      }
    });
  }
  var corners = [];
  var shape = L.polygon([], { color: '#b00020', weight: 3, fillOpacity: 0.15 }).addTo(map);
  function read() {
    corners = field.value.trim().split(/\s+/).filter(Boolean).map(function (p) {
      var xy = p.split(',');
      return [parseFloat(xy[0]), parseFloat(xy[1])];
    }).filter(function (c) { return !isNaN(c[0]) && !isNaN(c[1]); });
    if (corners.length > 1 && corners[0][0] === corners[corners.length - 1][0] && corners[0][1] === corners[corners.length - 1][1]) {
      corners.pop();
    }
    shape.setLatLngs(corners);
  }
  function write() {
    var ring = corners.length >= 3 ? corners.concat([corners[0]]) : corners;
    field.value = ring.map(function (c) { return c[0].toFixed(6) + ',' + c[1].toFixed(6); }).join(' ');
    shape.setLatLngs(corners);
  }
  map.on('click', function (e) {
    corners.push([e.latlng.lat, e.latlng.lng]);
    write();
  });
  field.addEventListener('change', read);
  var clear = document.getElementById('clear-polygon');
  if (clear) {
    clear.hidden = false;
    clear.addEventListener('click', function () {
      corners = [];
      write();
    });
  }
  read();
})();
