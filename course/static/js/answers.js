// Post-test and evaluation: every answer is saved as the learner gives it, with a small
// request to the form's save address. Optional: without this script the "Save and finish
// later" button does the same, and a form sent after a time-out is kept by the server.
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) { return; }
  // The page says how answers are kept: now each one is saved as it is given.
  document.querySelectorAll("[data-saved-without-script]").forEach(function (note) {
    note.hidden = true;
  });
  document.querySelectorAll("[data-saved-as-you-go]").forEach(function (note) {
    note.hidden = false;
  });
  document.querySelectorAll("form[data-save-url]").forEach(function (form) {
    var url = form.getAttribute("data-save-url");
    var status = form.querySelector("[data-save-status]");
    var sending = null;  // the save in flight, if any
    var again = false;
    var typing = null;
    var submitted = false;
    var say = function (message) {
      // A live region: announced once, not on every keystroke (same text, no news).
      if (status && status.textContent !== message) { status.textContent = message; }
    };
    var save = function () {
      // One request at a time, the latest answers last: a slow save never overwrites
      // a newer one.
      if (submitted) { return; }  // the form itself carries every answer now
      if (sending) { again = true; return; }
      sending = fetch(url, {
        method: "POST",
        body: new FormData(form),
        headers: { "Accept": "application/json" },
        credentials: "same-origin",
        redirect: "manual"
      }).then(function (response) {
        if (response.type === "opaqueredirect") {
          // Signed out for inactivity: the server kept these answers for the sign-in.
          // The time-out dialog (session.js) says so when the page has one: said here
          // as well, a screen reader heard it twice.
          var told = !document.dispatchEvent(new CustomEvent("ce:signed-out", { cancelable: true }));
          if (!told) {
            say("For your safety you were signed out after a period without activity. " +
                "Your answers are saved: sign in again to finish.");
          }
          return;
        }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        say("Your answers are saved.");
        // The server counted this as activity; its reply says how long the sign-in has left.
        document.dispatchEvent(new CustomEvent("ce:server-contact", { detail: response }));
      }).catch(function () {
        say("Your answers could not be saved just now. They are still on this page; " +
            "they are saved when you submit or choose \u201cSave and finish later\u201d.");
      }).finally(function () {
        sending = null;
        if (again) { again = false; save(); }
      });
    };
    form.addEventListener("change", function (event) {
      if (event.target.matches("input[type=radio], input[type=checkbox], select")) { save(); }
    });
    form.addEventListener("input", function (event) {
      if (!event.target.matches("textarea, input[type=text]")) { return; }
      window.clearTimeout(typing);
      typing = window.setTimeout(save, 1500);
    });
    form.addEventListener("submit", function (event) {
      // Enter in a post-test choice (the form's hidden first button): save in place and
      // keep the learner where they are, rather than reload the page at its top.
      if (event.submitter && event.submitter.hasAttribute("data-enter-saves")) {
        event.preventDefault();
        save();
        return;
      }
      // A save still on its way must not arrive after the form: the submission would be
      // recorded first and the late save refused. So the form waits for it (briefly).
      window.clearTimeout(typing);
      typing = null;
      submitted = true;
      if (!sending || form.hasAttribute("data-releasing")) { return; }
      event.preventDefault();
      var button = event.submitter || null;
      var release = function () {
        form.setAttribute("data-releasing", "");
        if (form.requestSubmit) { form.requestSubmit(button); } else { form.submit(); }
      };
      Promise.race([sending, new Promise(function (done) { window.setTimeout(done, 3000); })])
        .then(release, release);
    });
    form.addEventListener("focusout", function (event) {
      // Leaving a text box saves what was typed at once; not when the learner is on the
      // way to a button of this form, which sends the answers itself.
      var next = event.relatedTarget;
      if (next && next.form === form && next.type === "submit") { return; }
      if (typing && event.target.matches("textarea, input[type=text]")) {
        window.clearTimeout(typing);
        typing = null;
        save();
      }
    });
  });
})();
