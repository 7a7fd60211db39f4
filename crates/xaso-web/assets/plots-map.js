// A commune's plots on a map: their shapes and names over the commune's boundary.
(function () {
  'use strict';
  var el = document.getElementById('map');
  var dataEl = document.getElementById('map-data');
  if (!el || !dataEl || !window.L) return;
  var data = JSON.parse(dataEl.textContent);
  var map = L.map(el, { scrollWheelZoom: false, zoomSnap: 0.25 });
  if (data.tiles) {
    L.tileLayer(data.tiles, { maxZoom: 19, attribution: data.attribution || '' }).addTo(map);
  } else {
    el.classList.add('no-tiles');
  }
  var group = L.featureGroup().addTo(map);
  if (data.boundary) {
    L.geoJSON(data.boundary, { style: { color: '#0b6b3a', weight: 2, fill: false }, interactive: false }).addTo(group);
  }
  if (data.plots) {
    L.geoJSON(data.plots, {
      style: { color: '#7a4b00', weight: 2, fillColor: '#f2c14e', fillOpacity: 0.45 },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(f.properties.name + ' · ' + String(f.properties.area_ha).replace('.', ',') + ' ha');
      }
    }).addTo(group);
  }
  if (group.getLayers().length) map.fitBounds(group.getBounds().pad(0.05));
  else map.setView([10.9, 106.4], 12);
})();
