// Before an idle sign-out, ask whether to stay signed in (WCAG 2.2.1, Timing
// Adjustable). The dialog is a native <dialog>: it takes focus, keeps it inside, and
// works with the keyboard alone. Any request the page makes (reading-time heartbeats,
// saved answers) counts as activity, as it does on the server.
(function () {
  "use strict";
  var dialog = document.getElementById("session-warning");
  if (!dialog || !window.fetch || typeof dialog.showModal !== "function") { return; }
  var idle = parseInt(dialog.getAttribute("data-idle-seconds"), 10);
  var warning = parseInt(dialog.getAttribute("data-warning-seconds"), 10);
  var stay = dialog.querySelector("[data-stay]");
  var text = dialog.querySelector("[data-session-text]");
  var title = dialog.querySelector("[data-session-title]");
  // Shown once signed out (on an author's editor "Save my text and sign in" comes first,
  // which sends the editor's form through the normal Save).
  var afterSignOut = dialog.querySelectorAll("[data-signed-out]");
  var warningNote = dialog.getAttribute("data-warning-note") || "";
  var signedOutNote = dialog.getAttribute("data-signed-out-note") || "";
  // Counted from what the server says is left: it notes activity at most once a minute,
  // so the full allowance from the page's last request could be a minute too long.
  var endsAt = Date.now() + 1000 * parseInt(dialog.getAttribute("data-expires-in"), 10);
  var signedOut = false;
  var dismissed = false;  // closed by the learner after the sign-out: not shown again
  var timer = null;

  var minutesLeft = function () {
    var minutes = Math.max(1, Math.round((endsAt - Date.now()) / 60000));
    return minutes === 1 ? "about a minute" : "about " + minutes + " minutes";
  };
  var schedule = function () {
    window.clearTimeout(timer);
    if (signedOut) { return; }
    var untilWarning = endsAt - Date.now() - 1000 * warning;
    if (untilWarning > 0) {
      timer = window.setTimeout(schedule, Math.min(untilWarning, 60000));
      return;
    }
    if (Date.now() >= endsAt) { showSignedOut(); return; }
    // Written again at each check while open (quietly: the text is not a live
    // region), so "about N minutes" never stays at what it said when it opened.
    text.textContent = "For your safety you will be signed out in " + minutesLeft() +
      " because there has been no activity. " + warningNote;
    if (!dialog.open) {
      dialog.showModal();
      stay.focus();
    }
    timer = window.setTimeout(schedule, Math.min(endsAt - Date.now(), 15000));
  };
  var contact = function (seconds) {
    endsAt = Date.now() + 1000 * seconds;
    schedule();
  };
  var showSignedOut = function () {
    // Said once: a second report of the same sign-out must not move focus again.
    if (signedOut && dialog.open) { return; }
    signedOut = true;
    // Screen readers name a dialog only when focus enters it, and this one may already
    // hold focus: the new title takes focus, so it is read (with the note it describes).
    title.textContent = "You were signed out";
    text.textContent = "For your safety you were signed out after a period without " +
      "activity. " + signedOutNote;
    stay.hidden = true;
    for (var i = 0; i < afterSignOut.length; i++) { afterSignOut[i].hidden = false; }
    if (!dialog.open) { dialog.showModal(); }
    title.focus();
  };
  var keepAlive = function () {
    // Past the end the server would sign out on this very request and forget the
    // session, and with it what a form sent afterwards could still keep.
    if (Date.now() >= endsAt) { showSignedOut(); return; }
    fetch(dialog.getAttribute("data-keepalive-url"), {
      method: "POST",
      headers: { "Accept": "application/json", "X-CSRFToken": dialog.getAttribute("data-csrf") },
      credentials: "same-origin",
      redirect: "manual"
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (data) {
      if (dialog.open) { dialog.close(); }
      contact(data.idle_seconds);
    }).catch(showSignedOut);
  };
  stay.addEventListener("click", keepAlive);
  dialog.addEventListener("cancel", function (event) {
    // Escape: the learner is evidently here, so it counts as "Stay signed in".
    if (signedOut) { dismissed = true; return; }
    event.preventDefault();
    keepAlive();
  });
  document.addEventListener("ce:server-contact", function (event) {
    // The seconds the server's reply says are left; without them, the least it can be.
    var reply = event.detail;
    var left = reply && reply.headers ? parseInt(reply.headers.get("X-Session-Expires-In"), 10) : NaN;
    contact(isNaN(left) ? idle - 60 : left);
  });
  document.addEventListener("ce:signed-out", function (event) {
    // Once closed after the sign-out it stays closed: reopened on every answer it took
    // focus each time. The sender then says it quietly in its own status line.
    if (dismissed) { return; }
    event.preventDefault();  // tells the sender the dialog has said it
    showSignedOut();
  });
  schedule();
})();
