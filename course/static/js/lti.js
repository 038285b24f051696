// Deep linking: the one course's link goes back to the LMS at once. Without script the
// page's button sends the same form.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosubmit]");
  if (form) { form.submit(); }
})();
