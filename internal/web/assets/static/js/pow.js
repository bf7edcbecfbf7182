// pow.js: the proof-of-work step of the citizen's first form. When the
// server asks for it (the form carries pow_challenge and data-pow-bits),
// sending the form first finds a nonce such that SHA-256(challenge ":"
// nonce) starts with that many zero bits, in slices of work so the page
// stays responsive, then sends the form with it. The server checks the
// answer, once. No outside service is involved.
(function () {
  "use strict";
  var form = document.querySelector("form[data-pow-bits]");
  if (!form) {
    return;
  }
  var bits = parseInt(form.getAttribute("data-pow-bits"), 10);
  var challenge = form.querySelector("input[name=pow_challenge]").value;
  var nonceInput = form.querySelector("input[name=pow_nonce]");
  var status = document.getElementById("pow-status");

  var K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ]);
  var W = new Uint32Array(64);

  // sha256First returns the first 32-bit word of SHA-256 of an ASCII
  // string (enough to count up to 32 leading zero bits).
  function sha256First(s) {
    var n = s.length;
    var blocks = ((n + 9 + 63) >> 6);
    var m = new Uint32Array(blocks * 16);
    for (var i = 0; i < n; i++) {
      m[i >> 2] |= (s.charCodeAt(i) & 0xff) << (24 - (i & 3) * 8);
    }
    m[n >> 2] |= 0x80 << (24 - (n & 3) * 8);
    m[blocks * 16 - 1] = n * 8;
    var h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a,
        h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
    for (var b = 0; b < blocks; b++) {
      for (var t = 0; t < 64; t++) {
        if (t < 16) {
          W[t] = m[b * 16 + t];
        } else {
          var x = W[t - 15], y = W[t - 2];
          var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
          var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
          W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
        }
      }
      var a = h0, bb = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
      for (var r = 0; r < 64; r++) {
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var ch = (e & f) ^ (~e & g);
        var t1 = (h + S1 + ch + K[r] + W[r]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var maj = (a & bb) ^ (a & c) ^ (bb & c);
        var t2 = (S0 + maj) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = bb; bb = a; a = (t1 + t2) | 0;
      }
      h0 = (h0 + a) | 0; h1 = (h1 + bb) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
      h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
    }
    return h0 >>> 0;
  }

  function leadingZeros(w) {
    return w === 0 ? 32 : Math.clz32(w);
  }

  var solving = false;
  form.addEventListener("submit", function (ev) {
    if (nonceInput.value !== "") {
      return;
    }
    ev.preventDefault();
    if (solving) {
      return;
    }
    solving = true;
    if (status) {
      status.textContent = "Đang kiểm tra chống gửi tự động, vui lòng chờ trong giây lát…";
    }
    var prefix = challenge + ":";
    var nonce = 0;
    function slice() {
      var end = nonce + 20000;
      for (; nonce < end; nonce++) {
        if (leadingZeros(sha256First(prefix + nonce.toString(36))) >= bits) {
          nonceInput.value = nonce.toString(36);
          if (status) {
            status.textContent = "Đã kiểm tra xong, đang gửi mã…";
          }
          form.submit();
          return;
        }
      }
      setTimeout(slice, 0);
    }
    setTimeout(slice, 0);
  });
}());
