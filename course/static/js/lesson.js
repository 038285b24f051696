// Lesson page behaviour, all optional: every form also works without this script.
// - knowledge checks answer in place; the feedback region is aria-live, so screen
//   readers announce it;
// - a heartbeat reports active reading time while the page is visible and in use;
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  var checks = [];  // each check form: whether a choice waits to be sent, and how to send it
  document.querySelectorAll("form.check-form").forEach(function (form) {
    var busy = false;
    var button = form.querySelector("button[type=submit]");
    var region = form.querySelector(".feedback");
    var error = form.querySelector(".question-error");
    var chosen = function () {
      return Array.prototype.map.call(form.querySelectorAll("input[name=choice]:checked"),
        function (input) { return input.value; }).join(" ");
    };
    var sent = chosen();  // the answer the page was drawn with is the one stored
    var showError = function (message) {
      // Beside the question, read with the first choice it describes; nothing is sent.
      error.innerHTML = '<p class="field-error"><span class="visually-hidden">Error: </span></p>';
      error.firstChild.appendChild(document.createTextNode(message));
      form.parentNode.classList.add("has-error");
      // The message stands under the question, off screen above the button on a
      // phone: go to the first choice, as the page without script does, in view.
      var first = form.querySelector("input[name=choice]");
      if (first) { first.focus({ preventScroll: true }); }
      error.scrollIntoView({ block: "nearest" });
    };
    var reveal = function () {
      // The feedback opens below the button, off screen on a phone: scroll it into
      // view, but never so far that what holds focus leaves the screen (the button, or
      // the choice a learner pressed Enter on).
      var focused = form.contains(document.activeElement) ? document.activeElement : button;
      var below = region.getBoundingClientRect().bottom - window.innerHeight + 16;
      var room = focused.getBoundingClientRect().top - 16;
      if (below > 0 && room > 0) { window.scrollBy(0, Math.min(below, room)); }
    };
    // Send the choice; ``finishing``: for the lesson's Complete button, which goes on
    // whatever happens here (a failure must not leave the page mid-way).
    var send = function (finishing) {
      error.innerHTML = "";
      form.parentNode.classList.remove("has-error");
      // Not button.disabled: disabling the focused button drops keyboard focus to the
      // top of the page, and the learner loses their place.
      busy = true;
      button.setAttribute("aria-disabled", "true");
      var choice = chosen();
      return fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "Accept": "application/json", "X-CSRFToken": csrf },
        credentials: "same-origin",
        redirect: "manual"
      }).then(function (response) {
        if (response.type === "opaqueredirect") {
          // Signed out for inactivity: the server kept this answer for the sign-in. The
          // time-out dialog says so, and its sign-in comes back to this answer's feedback;
          // a page without one goes to the sign-in itself.
          var signIn = document.querySelector("#session-warning a[data-signed-out]");
          if (signIn) {
            var back = window.location.pathname + window.location.search + "#" + region.id;
            signIn.href = signIn.pathname + "?next=" + encodeURIComponent(back);
          }
          if (document.dispatchEvent(new CustomEvent("ce:signed-out", { cancelable: true }))) {
            window.location.reload();
          }
          return { signedOut: true };
        }
        if (response.status === 422) { return response.json(); }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      }).then(function (data) {
        if (data.signedOut) { return; }
        if (data.error) { showError(data.error); return; }
        if (!data.html) {
          // Kept from a page open too long to send it: the page again, with its feedback.
          window.location.reload();
          return;
        }
        sent = choice;
        region.innerHTML = data.html;
        form.querySelector("input[name=submission_key]").value = data.next_key;
        button.textContent = data.correct ? "Change my answer" : "Check again";
        if (!finishing) { reveal(); }
      }).catch(function () {
        if (!finishing) { form.submit(); }  // fall back to the ordinary post-and-redirect
      }).finally(function () {
        busy = false;
        button.removeAttribute("aria-disabled");
      });
    };
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.FormData) { return; }
      event.preventDefault();
      if (busy) { return; }
      if (!chosen()) {
        showError("Choose an answer, then check it.");
        return;
      }
      send(false);
    });
    checks.push({
      waiting: function () { var now = chosen(); return !busy && now !== "" && now !== sent; },
      send: send
    });
  });

  // "Complete" with a choice made but not yet checked: send those choices first, so the
  // learner is not told the checks are unanswered and finds the choices cleared.
  var complete = document.querySelector("form[data-complete-lesson]");
  if (complete && window.fetch && window.FormData) {
    complete.addEventListener("submit", function (event) {
      var waiting = checks.filter(function (check) { return check.waiting(); });
      if (!waiting.length) { return; }
      event.preventDefault();
      Promise.all(waiting.map(function (check) { return check.send(true); }))
        .then(function () { complete.submit(); });
    });
  }

  var article = document.querySelector("[data-heartbeat]");
  if (article && window.fetch) {
    var url = article.getAttribute("data-heartbeat");
    var every = 1000 * (parseInt(article.getAttribute("data-heartbeat-seconds"), 10) || 30);
    var lastInput = Date.now();
    // Only a page in use counts: no beat once the learner has done nothing this long.
    var IDLE_MS = 1000 * (parseInt(article.getAttribute("data-idle-seconds"), 10) || 180);
    ["keydown", "pointerdown", "pointermove", "scroll", "touchstart", "focusin"].forEach(function (name) {
      window.addEventListener(name, function (event) {
        // The time-out warning moves focus into itself: that is the page, not the
        // learner. Counted, it restarted the beats, which kept an empty seat signed
        // in and credited reading time nobody spent.
        var target = event.target;
        if (name === "focusin" && target.closest && target.closest("#session-warning")) { return; }
        lastInput = Date.now();
      }, { passive: true });
    });
    window.setInterval(function () {
      if (document.visibilityState !== "visible" || Date.now() - lastInput > IDLE_MS) { return; }
      fetch(url, {
        method: "POST",
        headers: { "X-CSRFToken": csrf, "Accept": "application/json" },
        credentials: "same-origin"
      }).then(function (response) {
        if (!response.ok) { return; }
        // The server counted this as activity: the idle sign-out warning starts over.
        document.dispatchEvent(new CustomEvent("ce:server-contact"));
        return response.json().then(function (data) { readingLeft(data.active_seconds); });
      }).catch(function () {});
    }, every);
  }

  // "About N more minutes to go" was right when the page was drawn: count it down by the
  // reading time the heartbeats have had credited since, so it never goes stale.
  function readingLeft(active) {
    var start = parseInt(article.getAttribute("data-active-seconds"), 10) || 0;
    if (typeof active !== "number") { return; }
    document.querySelectorAll("[data-seconds-to-go]").forEach(function (note) {
      var words = note.querySelector("[data-reading-left]");
      var left = parseInt(note.getAttribute("data-seconds-to-go"), 10) - (active - start);
      if (!words || isNaN(left)) { return; }
      var minutes = Math.ceil(left / 60);
      words.textContent = minutes > 0
        ? "about " + minutes + " more minute" + (minutes === 1 ? "" : "s") + " to go"
        : note.getAttribute("data-then") || "you have read long enough now";
    });
  }
})();
