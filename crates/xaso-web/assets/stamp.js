// The stamp page asks for the buyer's position only when they tap the button: the position,
// rounded to about a kilometre, lets the platform notice one stamp scanned in two far-apart
// places (a copied stamp).
(function () {
  'use strict';
  var b = document.getElementById('share-place');
  if (!b || !navigator.geolocation) return;
  b.hidden = false;
  var out = document.getElementById('place-result');
  b.addEventListener('click', function () {
    b.disabled = true;
    out.textContent = b.dataset.wait;
    navigator.geolocation.getCurrentPosition(function (pos) {
      var body = new URLSearchParams();
      body.set('lat', pos.coords.latitude.toFixed(4));
      body.set('lng', pos.coords.longitude.toFixed(4));
      fetch(b.dataset.url, { method: 'POST', body: body })
        .then(function (r) { return r.json(); })
        .then(function (j) {
          out.textContent = j.far_apart_km ? b.dataset.copied.replace('{km}', j.far_apart_km) : b.dataset.fine;
          out.className = j.far_apart_km ? 'notice bad' : 'notice ok';
        })
        .catch(function () { out.textContent = b.dataset.failed; b.disabled = false; });
    }, function () { out.textContent = b.dataset.denied; b.disabled = false; },
    { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 });
  });
})();
