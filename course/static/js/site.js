// Every page: an error summary (or the first field of a refused answer) takes focus.
// The autofocus attribute does this without JavaScript, but browsers skip it when the
// address ends in an #anchor, as it does after a refused lesson form, and scrolling to
// the anchor at load can take focus away again: so focus it now and after the load.
(function () {
  "use strict";
  var target = document.querySelector("[autofocus]");
  if (!target) { return; }
  var focus = function () {
    var active = document.activeElement;
    if (active === target || (active && active !== document.body)) { return; }
    target.focus();
  };
  focus();
  window.addEventListener("load", function () { window.setTimeout(focus, 0); });
})();
