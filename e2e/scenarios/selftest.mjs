// selftest: proves the harness can fail. Serves a deliberately bad page from
// 127.0.0.1:0 and checks that checkA11y throws on a serious violation,
// guardOrigin records a request to another origin, watchErrors sees the
// failed request, expectNoOverflow catches a too-wide element and
// expectText reports a mismatch. --base is ignored.

import http from "node:http";

export const ignoresBase = true;

const bad = `<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Trang lỗi</title></head>
<body><main><h1>Trang thử</h1>
<p style="color:#bbb;background:#fff">Chữ quá nhạt trên nền trắng</p>
<img src="/x.png">
<div style="width:900px">Quá rộng</div>
<script src="http://cdn.example.invalid/lib.js"></script>
</main></body></html>`;

async function expectThrow(what, fn, re) {
  try {
    await fn();
  } catch (e) {
    if (re && !re.test(e.message)) throw new Error(`${what} threw, but not as expected: ${e.message}`);
    return e.message;
  }
  throw new Error(`${what} did not throw`);
}

export default async function selftest({ browser, lib }) {
  const server = http.createServer((req, res) => {
    if (req.url === "/") {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(bad);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const baseURL = `http://127.0.0.1:${server.address().port}`;
  const found = {};
  try {
    const ctx = await lib.newPhoneContext(browser, { baseURL });
    const page = await ctx.newPage();
    const guard = lib.guardOrigin(page, baseURL);
    const errors = lib.watchErrors(page);
    await page.goto("/", { waitUntil: "load" });

    found.axe = await expectThrow("checkA11y", () => lib.checkA11y(page, "selftest"), /color-contrast|image-alt/);
    found.origin = await expectThrow("guard.check", async () => guard.check(), /cdn\.example\.invalid/);
    found.errors = await expectThrow("watchErrors.check", async () => errors.check(), /x\.png|cdn\.example\.invalid/);
    found.overflow = await expectThrow("expectNoOverflow", () => lib.expectNoOverflow(page), /overflows/);
    found.text = await expectThrow("expectText", () => lib.expectText(page, "h1", "Không có", { timeout: 300 }), /Trang thử/);
    await lib.expectText(page, "h1", "Trang thử");

    // The findings were expected: clear them so the run itself passes.
    guard.foreign.length = 0;
    errors.errors.length = 0;
    await ctx.close();
  } finally {
    await new Promise((r) => server.close(r));
  }
  return Object.fromEntries(Object.entries(found).map(([k, v]) => [k, v.split("\n")[0].slice(0, 120)]));
}
