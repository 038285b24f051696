// Lesson page: what this browser keeps for a learner who leaves mid-lesson. Optional: the
// lesson works in full without it (a pick is saved by any button of the lesson's form).
// - a choice picked and not sent survives a phone closing or reloading the tab: it is
//   ticked again on return, with a note that it is not sent yet;
// - the lesson opens again near the last heading the learner had read to.
// Kept in localStorage under a name the server gives (data-keep: an opaque account token,
// the course version and the lesson), as choice positions and a heading's id: no words
// a learner wrote, and nothing once it is sent, after a week, or after "Sign out" (site.js).
// Nothing is announced and focus never moves: the page only looks as the learner left it.
(function () {
  "use strict";
  var form = document.getElementById("lesson-form");
  var name = form && form.getAttribute("data-keep");
  var store = null;
  try { store = window.localStorage; } catch (e) { return; }  // storage blocked: nothing kept
  if (!name || !store || !window.JSON) { return; }
  var PREFIX = "ce-lesson:";
  var WEEK_MS = 7 * 24 * 3600 * 1000;

  var read = function (key) {
    try {
      var entry = JSON.parse(store.getItem(key) || "null");
      return entry && Date.now() - entry.t < WEEK_MS ? entry : null;
    } catch (e) { return null; }
  };
  var write = function (entry) {
    try {
      if (!Object.keys(entry.picks).length && !entry.at) { store.removeItem(name); return; }
      entry.t = Date.now();
      store.setItem(name, JSON.stringify(entry));
    } catch (e) { /* full or blocked: the page still works, it just keeps nothing */ }
  };
  // Forgotten after a week, whichever lesson or account they were for.
  try {
    for (var i = store.length - 1; i >= 0; i -= 1) {
      var key = store.key(i);
      if (key && key.indexOf(PREFIX) === 0 && !read(key)) { store.removeItem(key); }
    }
  } catch (e) { /* as above */ }
  var entry = read(name) || { picks: {}, at: null };
  entry.picks = entry.picks || {};

  // -- picks ---------------------------------------------------------------------------
  var inputsOf = function (key) {
    return form.querySelectorAll('input[name="choice-' + key + '"]');
  };
  var tickedOf = function (key) {
    return Array.prototype.filter.call(inputsOf(key), function (input) { return input.checked; })
      .map(function (input) { return input.value; }).join(",");
  };
  var drawnOf = function (key) {
    var drawn = form.querySelector('input[name="drawn-' + key + '"]');
    return drawn ? drawn.value : null;
  };
  var described = function (fieldset, id, add) {
    var ids = (fieldset.getAttribute("aria-describedby") || "").split(" ").filter(function (x) {
      return x && x !== id;
    });
    if (add) { ids.push(id); }
    if (ids.length) { fieldset.setAttribute("aria-describedby", ids.join(" ")); }
    else { fieldset.removeAttribute("aria-describedby"); }
  };
  var dropNote = function (key) {
    var note = form.querySelector('.check[data-check="' + key + '"] .kept-note');
    if (!note) { return; }
    var fieldset = note.parentNode.querySelector("fieldset");
    if (fieldset) { described(fieldset, note.id, false); }
    note.parentNode.removeChild(note);
  };
  // What to keep: each check whose picks differ from what the page shows as saved, with
  // that saved answer ("base"), so an answer saved since on another device wins.
  var keepPicks = function () {
    form.querySelectorAll(".check[data-check]").forEach(function (check) {
      var key = check.getAttribute("data-check");
      var ticked = tickedOf(key);
      var drawn = drawnOf(key);
      if (drawn === null || ticked === drawn) {
        delete entry.picks[key];
        dropNote(key);
      } else {
        entry.picks[key] = { v: ticked, base: drawn };
      }
    });
    write(entry);
  };
  // On return: tick again what was picked and not sent, beside a quiet note (not a live
  // region: a screen reader reads it in its place, before the check's button). It also
  // describes the choices, so tabbing into them says once that the pick is not sent.
  Object.keys(entry.picks).forEach(function (key) {
    var kept = entry.picks[key];
    var inputs = inputsOf(key);
    if (!inputs.length || drawnOf(key) !== kept.base) { delete entry.picks[key]; return; }
    var wanted = kept.v ? kept.v.split(",") : [];
    var known = Array.prototype.map.call(inputs, function (input) { return input.value; });
    if (wanted.some(function (value) { return known.indexOf(value) < 0; })) {
      delete entry.picks[key];
      return;
    }
    inputs.forEach(function (input) { input.checked = wanted.indexOf(input.value) >= 0; });
    var fieldset = form.querySelector('.check[data-check="' + key + '"] fieldset');
    if (fieldset && !fieldset.parentNode.querySelector(".kept-note")) {
      var note = document.createElement("p");
      note.className = "kept-note";
      note.id = "kept-note-" + key;
      note.textContent = "You picked this on your last visit. It is not saved until you " +
        "press the button below.";
      fieldset.parentNode.insertBefore(note, fieldset.nextSibling);
      described(fieldset, note.id, true);
    }
  });
  keepPicks();
  form.addEventListener("change", function (event) {
    if (event.target.name && event.target.name.indexOf("choice-") === 0) { keepPicks(); }
  });
  document.addEventListener("ce:picks-saved", keepPicks);
  form.addEventListener("submit", function (event) {
    // A check answered in place stops this submit (lesson.js) and says when it is saved.
    // Any other button sends every pick, and Complete ends the reading: keep nothing.
    if (event.defaultPrevented) { return; }
    entry = { picks: {}, at: null };
    try { store.removeItem(name); } catch (e) { /* as above */ }
  });

  // -- reading place -------------------------------------------------------------------
  var marks = function () {
    return form.querySelectorAll(
      ".lesson-text h2[id], .lesson-text h3[id], .check[id], #lesson-end-heading");
  };
  var moved = false;  // the learner scrolled, tapped or typed since the page opened
  ["wheel", "touchstart", "keydown", "pointerdown"].forEach(function (type) {
    window.addEventListener(type, function () { moved = true; }, { passive: true, once: true });
  });
  var noting = null;
  window.addEventListener("scroll", function () {
    window.clearTimeout(noting);
    noting = window.setTimeout(function () {
      // The last heading or check that has come up into the top third of the screen.
      var line = window.innerHeight / 3;
      var at = null;
      Array.prototype.forEach.call(marks(), function (mark) {
        if (mark.getBoundingClientRect().top <= line) { at = mark.id; }
      });
      if (at !== entry.at) { entry.at = at; write(entry); }
    }, 300);
  }, { passive: true });
  // Only a fresh visit opens at the place: an address with a #fragment (the resume link,
  // an answer's feedback, a sign-in's way back) goes where it says, and a reload or the
  // Back button already gets the browser's own scroll position.
  var visit = window.performance && performance.getEntriesByType &&
    performance.getEntriesByType("navigation")[0];
  var fresh = !visit || visit.type === "navigate";
  var target = entry.at && document.getElementById(entry.at);
  // Nor a page that puts focus on something of its own (an error): the view stays there.
  var focusing = document.querySelector("[autofocus]");
  if (fresh && target && form.contains(target) && !window.location.hash && !focusing) {
    var goTo = function () {
      if (moved || window.location.hash) { return; }
      target.scrollIntoView({ block: "start" });  // scrolls only: focus stays where it is
    };
    goTo();
    // Fonts and images arriving move the heading down: put it back once, if the learner
    // has not started to move about meanwhile.
    window.addEventListener("load", function () { window.setTimeout(goTo, 0); });
  }
})();
