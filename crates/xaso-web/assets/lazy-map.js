// Public pages stay light: the map library loads only when someone asks for the map.
(function () {
  'use strict';
  var b = document.getElementById('show-map');
  if (!b) return;
  b.addEventListener('click', function () {
    b.disabled = true;
    var css = document.createElement('link');
    css.rel = 'stylesheet';
    css.href = b.dataset.css;
    document.head.appendChild(css);
    document.getElementById('map').hidden = false;
    var files = b.dataset.js.split(',');
    (function next(i) {
      if (i >= files.length) { b.hidden = true; return; }
      var s = document.createElement('script');
      s.src = files[i];
      s.onload = function () { next(i + 1); };
      document.head.appendChild(s);
    })(0);
  });
  // A link that asks for the map ("…#map", as stamps give) opens it straight away.
  if (location.hash === '#map') b.click();
})();
