// Every page: an error summary (or the first field of a refused answer) takes focus.
// The autofocus attribute does this without JavaScript, but browsers skip it when the
// address ends in an #anchor, as it does after a refused lesson form, and scrolling to
// the anchor at load can take focus away again: so focus it now and after the load.
(function () {
  "use strict";
  var target = document.querySelector("[autofocus]");
  if (!target) { return; }
  var summary = target.classList.contains("error-summary");
  var focus = function () {
    var active = document.activeElement;
    if (!active || active === document.body) { target.focus(); }  // nothing else holds focus
    // A summary taller than a phone's screen: focus scrolls to its end, past the heading
    // that says what is wrong. Open it at its top.
    if (summary && document.activeElement === target) {
      var top = target.getBoundingClientRect().top;
      if (top < 0 || top > window.innerHeight) { target.scrollIntoView({ block: "start" }); }
    }
  };
  focus();
  window.addEventListener("load", function () { window.setTimeout(focus, 0); });
})();

// A finding's "line 68 of the text" link puts the caret on that line of the text box and
// scrolls it there (without script it goes to the box), as the box shows no numbers.
(function () {
  "use strict";
  document.querySelectorAll("a[data-text-line]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var box = document.getElementById(link.getAttribute("href").slice(1));
      if (!box || typeof box.setSelectionRange !== "function") { return; }
      event.preventDefault();
      var lines = box.value.split("\n");
      var wanted = Math.min(parseInt(link.getAttribute("data-text-line"), 10), lines.length);
      var start = lines.slice(0, wanted - 1).join("\n").length + (wanted > 1 ? 1 : 0);
      box.focus({ preventScroll: true });
      box.setSelectionRange(start, start + lines[wanted - 1].length);
      // Put the line near the top of the box: its wrapped lines make any count a guess,
      // so measure by the selection's share of the text.
      box.scrollTop = Math.max(0, box.scrollHeight * (start / Math.max(1, box.value.length)) - 40);
      box.scrollIntoView({ block: "nearest" });
    });
  });
})();

// Author editors: leaving with changes not saved asks first, as links such as "Add a
// knowledge check" sit right beside the text. Saving, previewing, a list button or the
// time-out's "Save my text" all submit the form, which is not leaving. A page drawn from
// such a post (a preview, a refused save, a list button) holds text not saved yet: the
// server marks it data-unsaved, so it counts as changed before any typing.
(function () {
  "use strict";
  var form = document.getElementById("editor-form");
  if (!form) { return; }
  var changed = form.hasAttribute("data-unsaved");
  var mark = function () { changed = true; };
  form.addEventListener("input", mark);
  form.addEventListener("change", mark);
  form.addEventListener("submit", function () { changed = false; });
  window.addEventListener("beforeunload", function (event) {
    if (changed) { event.preventDefault(); event.returnValue = ""; }
  });
})();

// Submit buttons marked data-once resist a double click, which would send the form twice
// (the server records it once all the same, but a sign-up would mail twice).
(function () {
  "use strict";
  document.querySelectorAll("button[data-once]").forEach(function (button) {
    button.form.addEventListener("submit", function () {
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  });
})();

// "Sign out" forgets what lesson pages kept in this browser for whoever was signed in
// (lesson-keep.js: choices picked and not sent, the reading place): the computer may be
// shared, and the next person has no use for them.
(function () {
  "use strict";
  document.querySelectorAll("button[data-sign-out]").forEach(function (button) {
    button.form.addEventListener("submit", function () {
      try {
        var store = window.localStorage;
        for (var i = store.length - 1; i >= 0; i -= 1) {
          var key = store.key(i);
          if (key && key.indexOf("ce-lesson:") === 0) { store.removeItem(key); }
        }
      } catch (e) { /* storage blocked: nothing was kept */ }
    });
  });
})();
