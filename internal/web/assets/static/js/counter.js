// Counter pages (post office, desk): a keyboard-wedge scanner types the
// number and presses Enter, then the seal's code and Enter; the clerk states
// the seal (intact or broken: never pre-chosen) and sends. The page keeps
// the focus where the next input goes, sends the scan without leaving the
// page, and answers with a sound and a colour: one high beep OK, two beeps
// already scanned, one low long tone unexpected. A scan that needs the count
// form or the confirmation of a difference opens that page.
// Without this script the forms post and the page reloads the same way.
(function () {
  'use strict';
  var audio = null;
  function tone(freq, ms, at) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var o = audio.createOscillator();
      var g = audio.createGain();
      o.frequency.value = freq;
      o.connect(g);
      g.connect(audio.destination);
      var t = audio.currentTime + (at || 0);
      g.gain.setValueAtTime(0.2, t);
      o.start(t);
      o.stop(t + ms / 1000);
    } catch (e) { /* no sound: the colour still tells */ }
  }
  function feedback(kind) {
    if (kind === 'ok') tone(1200, 120);
    else if (kind === 'duplicate') { tone(700, 90); tone(700, 90, 0.15); }
    else if (kind === 'needs_count') tone(900, 200);
    else if (kind) tone(220, 500);
  }
  function focusScan() {
    var f = document.getElementById('so');
    if (f && !f.value) { f.focus(); f.select(); }
  }
  function sealStated(form) {
    return !!form.querySelector('input[name=seal]:checked');
  }
  // Enter in the number or the seal field moves on to what is still
  // missing instead of sending half a receipt.
  function nextMissing(form, e) {
    if (e.key !== 'Enter') return;
    var so = form.querySelector('#so');
    var seal = form.querySelector('#seal_id');
    var broken = form.querySelector('input[name=seal][value=broken]');
    if (so && !so.value.trim()) return;
    if (seal && !seal.value.trim() && !(broken && broken.checked) && e.target !== seal) {
      e.preventDefault();
      seal.focus();
      return;
    }
    if (!sealStated(form)) {
      e.preventDefault();
      var first = form.querySelector('input[name=seal]');
      if (first) first.focus();
    }
  }
  function bind() {
    var form = document.querySelector('[data-scan-form]');
    if (!form) return;
    form.addEventListener('keydown', function (e) { nextMissing(form, e); });
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var body = new URLSearchParams(new FormData(form));
      var btn = form.querySelector('button[type=submit]');
      btn.setAttribute('aria-busy', 'true');
      fetch(form.action, { method: 'POST', body: body, credentials: 'same-origin',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Accept': 'text/html' } })
        .then(function (r) {
          // The count form and the confirmation screen are pages of their own.
          if (r.redirected && new URL(r.url).pathname !== window.location.pathname) {
            // Read the answer to its end first: leaving mid-body aborts it.
            return r.text().then(function () {
              window.location.assign(r.url);
              return null;
            });
          }
          return r.text();
        })
        .then(function (html) {
          if (html === null) return;
          var doc = new DOMParser().parseFromString(html, 'text/html');
          var main = doc.getElementById('noi-dung');
          if (main) document.getElementById('noi-dung').replaceChildren.apply(document.getElementById('noi-dung'), Array.prototype.slice.call(main.childNodes));
          var res = document.querySelector('[data-scan]');
          feedback(res ? res.getAttribute('data-scan') : '');
          bind();
          focusScan();
        })
        .catch(function () {
          btn.removeAttribute('aria-busy');
          form.submit();
        });
    });
  }
  document.addEventListener('DOMContentLoaded', function () {
    var res = document.querySelector('[data-scan]');
    if (res) feedback(res.getAttribute('data-scan'));
    bind();
    // A form that came back with errors (a refused decision): the
    // summary first, read aloud, its links lead to the fields.
    var summary = document.querySelector('.error-summary');
    if (summary && !res) summary.focus();
    else focusScan();
  });
})();
