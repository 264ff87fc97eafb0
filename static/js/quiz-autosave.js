// Enhancement of the quiz page: each chosen answer is saved on the open attempt as it is chosen (not graded), so
// that leaving the page loses nothing. Without JavaScript, the "Save and leave" button does the same.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = document.getElementById("autosave-status");
  var timer = null;
  var pending = false;

  function save(keepalive) {
    timer = null;
    pending = false;
    return fetch(form.dataset.autosave, {
      method: "POST",
      body: new FormData(form), // includes the form's CSRF token
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
      keepalive: !!keepalive
    }).then(function (response) {
      if (status && response.status === 204) { status.textContent = form.dataset.savedText || ""; }
    }).catch(function () { /* the answers are still on the page; the next change or the buttons try again */ });
  }

  form.addEventListener("change", function () {
    pending = true;
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(save, 400);
  });
  // Leaving right after a change: send it on its way.
  window.addEventListener("pagehide", function () { if (pending) { save(true); } });
})();
