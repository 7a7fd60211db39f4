// Feedback form: once a category and a position are chosen, show the open cases of that
// category nearby ("is it already reported?"), so a citizen can follow one instead of filing
// the same problem again. The form works the same without this script.
(function () {
  'use strict';
  var box = document.getElementById('nearby');
  var cat = document.getElementById('category');
  var lat = document.getElementById('latitude');
  var lng = document.getElementById('longitude');
  if (!box || !cat || !lat || !lng) return;
  var last = '';
  function look() {
    if (!cat.value || !lat.value || !lng.value) { box.innerHTML = ''; return; }
    var q = '/feedback/nearby?category=' + encodeURIComponent(cat.value) +
      '&lat=' + encodeURIComponent(lat.value) + '&lng=' + encodeURIComponent(lng.value);
    if (q === last) return;
    last = q;
    fetch(q, { credentials: 'same-origin' }).then(function (r) { return r.ok ? r.text() : ''; })
      .then(function (html) { if (q === last) box.innerHTML = html; })
      .catch(function () {});
  }
  cat.addEventListener('change', look);
  lat.addEventListener('change', look);
  lng.addEventListener('change', look);
  document.addEventListener('xaso:position', look);
})();
