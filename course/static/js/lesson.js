// Lesson page behaviour, all optional: every form also works without this script.
// - knowledge checks answer in place; the feedback region is aria-live, so screen
//   readers announce it;
// - a heartbeat reports active reading time while the page is visible and in use;
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  // A request the server counted as activity: the time-out warning starts over from the
  // seconds its reply says are left (session.js reads them).
  var serverContact = function (response) {
    document.dispatchEvent(new CustomEvent("ce:server-contact", { detail: response }));
  };

  // The lesson is one form (see learn/lesson.html): a check's button sends it in place,
  // every check's picks with it, as without script; Complete, and any send that fails
  // here, go to the server as the page is.
  var lessonForm = document.getElementById("lesson-form");
  var senders = {};  // check key -> send(): answers that check in place
  var submitting = false;
  // The positions ticked under a check now, as its drawn-KEY field says them: the server
  // records a check whose picks differ from what that field says the page showed.
  var ticked = function (key) {
    return Array.prototype.filter.call(
      lessonForm.querySelectorAll('input[name="choice-' + key + '"]'),
      function (input) { return input.checked; }
    ).map(function (input) { return input.value; }).join(",");
  };
  var drawnFields = function () { return lessonForm.querySelectorAll('input[name^="drawn-"]'); };
  var tickedNow = function (drawn) { return ticked(drawn.name.slice("drawn-".length)); };
  var unsent = function () {
    return Array.prototype.some.call(drawnFields(), function (drawn) {
      return drawn.value !== tickedNow(drawn);
    });
  };
  // A check answered in place: its feedback, a new submission key, the button's words, and
  // its picks now the ones the page shows as saved.
  var showAnswer = function (item) {
    var check = lessonForm.querySelector('.check[data-check="' + item.key + '"]');
    if (!check) { return; }
    check.querySelector(".feedback").innerHTML = item.html;
    check.querySelector('input[name="submission_key-' + item.key + '"]').value = item.next_key;
    check.querySelector("button[type=submit]").textContent = item.correct ? "Try another answer" : "Check again";
    check.querySelector('input[name="drawn-' + item.key + '"]').value = ticked(item.key);
    check.querySelector(".question-error").innerHTML = "";
    check.classList.remove("has-error");
    settleMissing(item.key);
    picksSaved();
  };
  // The picks this browser keeps for the lesson (lesson-keep.js) forget what is saved now.
  var picksSaved = function () { document.dispatchEvent(new CustomEvent("ce:picks-saved")); };
  // The server kept every pick the form sent (after a sign-out, or from a page open too
  // long): leaving now loses nothing, so the page reloads without asking.
  var allSent = function () {
    drawnFields().forEach(function (drawn) { drawn.value = tickedNow(drawn); });
    picksSaved();
  };
  // The list of unanswered checks at the lesson's end, once one of them is answered here:
  // it lost that check, and when none is left it goes, with "Error:" in the page's title.
  var settleMissing = function (key) {
    var summary = document.getElementById("lesson-missing");
    if (!summary) { return; }
    var link = summary.querySelector('a[href="#check-' + key + '"]');
    if (link) { link.parentNode.parentNode.removeChild(link.parentNode); }
    var left = summary.querySelectorAll("li").length;
    var heading = summary.querySelector("h3");
    if (left && heading) {
      heading.textContent = left + " knowledge " + (left === 1 ? "check is" : "checks are") + " still unanswered";
    } else if (!left) {
      summary.parentNode.removeChild(summary);
      document.title = document.title.replace(/^Error: /, "");
    }
  };
  document.querySelectorAll("#lesson-form .check[data-check]").forEach(function (check) {
    var busy = false;
    var key = check.getAttribute("data-check");
    var button = check.querySelector("button[type=submit]");
    var region = check.querySelector(".feedback");
    var error = check.querySelector(".question-error");
    var inputs = function () { return check.querySelectorAll('input[name="choice-' + key + '"]'); };
    var showError = function (message) {
      // Beside the question, read with the first choice it describes; nothing is sent.
      error.innerHTML = '<p class="field-error"><span class="visually-hidden">Error: </span></p>';
      error.firstChild.appendChild(document.createTextNode(message));
      check.classList.add("has-error");
      // The message stands under the question, off screen above the button on a
      // phone: go to the first choice, as the page without script does, in view.
      var first = inputs()[0];
      if (first) { first.focus({ preventScroll: true }); }
      error.scrollIntoView({ block: "nearest" });
    };
    // Sent while the phone had no connection: the page stays, choice and all, and says
    // so under the button, where the learner looks for the answer. Posting the form as
    // without script swapped the lesson for the browser's own "no internet" page.
    var notSent = function () {
      var note = region.querySelector(".send-failed");
      if (!note) {
        note = document.createElement("p");
        note.className = "send-failed";
        region.insertBefore(note, region.firstChild);
      }
      note.textContent = "Your answer was not sent: this device could not reach the course " +
        "just now. Your choice is still here. Press the button again once you are connected.";
      reveal();
    };
    var reveal = function () {
      // The feedback opens below the button, off screen on a phone: scroll it into
      // view, but never so far that what holds focus leaves the screen (the button, or
      // the choice a learner pressed Enter on).
      var focused = check.contains(document.activeElement) ? document.activeElement : button;
      var below = region.getBoundingClientRect().bottom - window.innerHeight + 16;
      var room = focused.getBoundingClientRect().top - 16;
      if (below > 0 && room > 0) { window.scrollBy(0, Math.min(below, room)); }
    };
    var send = function () {
      if (busy) { return; }
      if (!ticked(key) && !unsent()) {
        showError("Choose an answer, then check it.");
        return;
      }
      error.innerHTML = "";
      check.classList.remove("has-error");
      var failed = region.querySelector(".send-failed");
      if (failed) { region.removeChild(failed); }
      var answered = false;  // the server replied: a failure after this is not the network
      // Not button.disabled: disabling the focused button drops keyboard focus to the
      // top of the page, and the learner loses their place.
      busy = true;
      button.setAttribute("aria-disabled", "true");
      // On a slow connection the tap seemed to do nothing, and the last answer's feedback
      // stood as if it were this one's: after half a second it fades, under a line saying
      // the answer is on its way. Seen, not heard: a busy region is read once it is done.
      region.setAttribute("aria-busy", "true");
      var slow = window.setTimeout(function () {
        var status = document.createElement("p");
        status.className = "send-status";
        status.textContent = "Checking your answer\u2026";
        region.insertBefore(status, region.firstChild);
      }, 500);
      fetch(button.formAction, {
        method: "POST",
        body: new FormData(lessonForm),  // every check's picks: none is lost at a sign-out
        headers: { "Accept": "application/json", "X-CSRFToken": csrf },
        credentials: "same-origin",
        redirect: "manual"
      }).then(function (response) {
        answered = true;
        if (response.type === "opaqueredirect") {
          // Signed out for inactivity: the server kept this answer for the sign-in. The
          // time-out dialog says so, and its sign-in comes back to this answer's feedback;
          // a page without one goes to the sign-in itself.
          var signIn = document.querySelector("#session-warning a[data-signed-out]");
          if (signIn) {
            var back = window.location.pathname + window.location.search + "#" + region.id;
            signIn.href = signIn.pathname + "?next=" + encodeURIComponent(back);
          }
          allSent();
          if (document.dispatchEvent(new CustomEvent("ce:signed-out", { cancelable: true }))) {
            window.location.reload();
          }
          return { signedOut: true };
        }
        if (response.status === 422) { return response.json(); }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        serverContact(response);
        return response.json();
      }).then(function (data) {
        if (data.signedOut) { return; }
        (data.others || []).forEach(showAnswer);
        if (data.error) {
          showError(data.error);
          // Beside the refusal, not in its words: which other checks it saved.
          if (data.note) { error.insertAdjacentHTML("beforeend", data.note); }
          return;
        }
        if (data.stale) {
          // Changed in another tab since this page opened: the page again, as saved now,
          // at this check, where the server's note says why.
          allSent();
          window.location.hash = region.id;
          window.location.reload();
          return;
        }
        if (!data.html) {
          // Kept from a page open too long to send it: the page again, with its feedback.
          allSent();
          window.location.reload();
          return;
        }
        showAnswer(data);
        reveal();
      }).catch(function () {
        if (!answered) { notSent(); return; }
        // The ordinary post-and-redirect, with every check's picks, as without script.
        lessonForm.action = button.formAction;
        submitting = true;
        lessonForm.submit();
      }).finally(function () {
        busy = false;
        button.removeAttribute("aria-disabled");
        window.clearTimeout(slow);
        var status = region.querySelector(".send-status");
        if (status) { region.removeChild(status); }
        region.removeAttribute("aria-busy");
      });
    };
    senders[key] = send;
  });

  // "Complete" on a slow connection: the tap seemed to do nothing, and a second one posted
  // again (the server records it once). After half a second the button says it is at work;
  // not disabled, which would drop keyboard focus to the top of the page.
  var completing = false;
  var completingTimer = null;
  var showCompleting = function (button) {
    button.setAttribute("aria-disabled", "true");
    completingTimer = window.setTimeout(function () {
      button.setAttribute("data-label", button.textContent);
      button.textContent = "Saving your progress\u2026";
    }, 500);
  };
  var clearCompleting = function () {
    window.clearTimeout(completingTimer);
    document.querySelectorAll("#lesson-end button[aria-disabled]").forEach(function (button) {
      button.removeAttribute("aria-disabled");
      if (button.hasAttribute("data-label")) {
        button.textContent = button.getAttribute("data-label");
        button.removeAttribute("data-label");
      }
    });
  };

  if (lessonForm && window.fetch && window.FormData) {
    lessonForm.addEventListener("submit", function (event) {
      // A check's button, or Enter in a check's choice (the form's hidden first button):
      // that check, in place. Complete goes on as it is, with every check's picks.
      var by = event.submitter;
      var within = by && by.closest(".check[data-check]");
      if (!within && by && by.hidden && document.activeElement) {
        within = document.activeElement.closest(".check[data-check]");
      }
      var send = within && senders[within.getAttribute("data-check")];
      if (!send) {
        if (completing) { event.preventDefault(); return; }  // a second tap sends nothing
        submitting = true;
        if (by && !by.hidden) { completing = true; showCompleting(by); }
        return;
      }
      event.preventDefault();
      send();
    });
    // Back to this page from the next one (the browser's page cache): Complete works again.
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) { completing = false; submitting = false; clearCompleting(); }
    });
    // The signed-out dialog's "Sign in again" says itself what leaving loses: one warning.
    document.querySelectorAll("#session-warning a[data-signed-out]").forEach(function (link) {
      link.addEventListener("click", function () { submitting = true; });
    });
    // A link away (Next, the breadcrumb) with a choice picked and not sent: ask first.
    window.addEventListener("beforeunload", function (event) {
      if (submitting || !unsent()) { return; }
      event.preventDefault();
      event.returnValue = "";
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
        serverContact(response);
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
