// Enhancement of the job page: without JavaScript it refreshes itself (a <noscript> refresh); with it, the
// status box is fetched again every two seconds and swapped in place until the job is finished.
(function () {
  "use strict";
  function poll() {
    var box = document.getElementById("job-status");
    if (!box || box.dataset.finished === "true") { return; }
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("job-status");
        if (next) { box.replaceWith(next); }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
})();
