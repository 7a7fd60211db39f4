// The field log form shows only the part for the kind of entry chosen (all parts show
// without scripts, and the server ignores the others).
(function () {
  'use strict';
  var kind = document.getElementById('kind');
  if (!kind) return;
  var parts = document.querySelectorAll('#log-form fieldset[data-kind]');
  function show() {
    for (var i = 0; i < parts.length; i++) {
      parts[i].hidden = parts[i].getAttribute('data-kind') !== kind.value;
    }
  }
  kind.addEventListener('change', show);
  show();
})();
