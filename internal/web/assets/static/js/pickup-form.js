// Progressive enhancement of the pickup request form: "use my location" and
// a busy state on submit. The form works without this script.
(function () {
  'use strict';
  document.querySelectorAll('[data-geo]').forEach(function (box) {
    var btn = box.querySelector('[data-geo-button]');
    var lat = box.querySelector('[data-geo-lat]');
    var lng = box.querySelector('[data-geo-lng]');
    var status = box.querySelector('[data-geo-status]');
    if (!btn || !('geolocation' in navigator)) return;
    btn.hidden = false;
    btn.addEventListener('click', function () {
      status.textContent = 'Đang lấy vị trí…';
      btn.disabled = true;
      navigator.geolocation.getCurrentPosition(function (pos) {
        lat.value = pos.coords.latitude.toFixed(6);
        lng.value = pos.coords.longitude.toFixed(6);
        status.textContent = 'Đã ghi vị trí hiện tại (sai số khoảng ' + Math.round(pos.coords.accuracy) + ' m).';
        btn.disabled = false;
      }, function () {
        status.textContent = 'Không lấy được vị trí. Bưu tá sẽ tìm theo địa chỉ bạn ghi.';
        btn.disabled = false;
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  });
  document.querySelectorAll('form').forEach(function (form) {
    form.addEventListener('submit', function () {
      var b = form.querySelector('button[data-busy]');
      if (!b) return;
      b.setAttribute('aria-busy', 'true');
      b.textContent = b.getAttribute('data-busy');
      setTimeout(function () { b.disabled = true; }, 0);
    });
  });
})();
