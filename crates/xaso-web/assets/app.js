// What every page shares, without inline script (the Content-Security-Policy lets only this
// server's script files run): a confirmation before a destructive action, and print buttons.
(function () {
  'use strict';
  // A form, or the button that sent it, may carry data-confirm="question". Asked in the
  // capture phase, so a "no" stops the submission before anything else (htmx too) sees it.
  document.addEventListener('submit', function (e) {
    var b = e.submitter;
    var question = (b && b.dataset && b.dataset.confirm) || e.target.dataset.confirm;
    if (question && !window.confirm(question)) {
      e.preventDefault();
      e.stopPropagation();
    }
  }, true);
  // Print buttons show only where script runs (they would do nothing otherwise).
  document.querySelectorAll('[data-print]').forEach(function (b) {
    b.hidden = false;
    b.addEventListener('click', function () { window.print(); });
  });
})();
