// dispatch-progress.js: follows a planning run by polling its small JSON
// endpoint, moves the progress bar, and opens the new plan when the run is
// done. Without JavaScript the page reloads itself (a <noscript> refresh)
// and the server redirects when the run is done.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box) {
    return;
  }
  var url = box.getAttribute("data-progress-url");
  var bar = document.getElementById("tien-do");
  var text = document.getElementById("tien-do-chu");
  var nojs = box.querySelector(".dispatch-progress__nojs");
  if (nojs) {
    nojs.hidden = true;
  }
  if (!bar) {
    return; // the run failed; the page says why
  }
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        bar.value = d.percent;
        bar.textContent = d.percent + "%";
        if (text) {
          text.textContent = d.message;
        }
        if (d.redirect) {
          window.location.assign(d.redirect);
          return;
        }
        if (d.error) {
          return;
        }
        window.setTimeout(tick, 400);
      })
      .catch(function () { window.setTimeout(tick, 1500); });
  }
  tick();
}());
