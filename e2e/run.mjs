#!/usr/bin/env node
// run.mjs runs one browser scenario and prints one JSON line on stdout:
//
//   node e2e/run.mjs <scenario> --base URL [--out DIR] [--data JSON|@file.json] [--timeout MS]
//
//   {"ok":true,"scenario":"styleguide","error":null,"screenshots":["..."],"result":...,"ms":1234}
//
// Exit status: 0 ok, 1 scenario failed, 2 usage error. The scenario is
// e2e/scenarios/<scenario>.mjs; its default export is
//   async function ({ browser, baseURL, data, lib }) -> any (put in "result")
// and it may export `launchOptions` (an object or a function of data) for
// lib.launch, e.g. { extraArgs: lib.fakeCameraArgs(file) }.
// Anything the scenario prints goes to stderr; stdout carries only the result.

import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as lib from "./lib.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

// Keep stdout for the result line only.
const writeResult = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
console.log = (...a) => console.error(...a);
console.info = (...a) => console.error(...a);

function usage(msg) {
  console.error(`run.mjs: ${msg}\nusage: node e2e/run.mjs <scenario> --base URL [--out DIR] [--data JSON|@file] [--timeout MS]`);
  writeResult({ ok: false, scenario: null, error: `usage: ${msg}`, screenshots: [] });
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { scenario: null, base: null, out: path.join(here, "out"), data: null, timeout: 120_000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, null];
    const val = () => (inline !== null ? inline : next());
    switch (flag) {
      case "--base": opts.base = val(); break;
      case "--out": opts.out = val(); break;
      case "--data": opts.data = val(); break;
      case "--timeout": opts.timeout = Number(val()); break;
      case "-h":
      case "--help": usage("help");
      default:
        if (a.startsWith("-")) usage(`unknown flag ${a}`);
        if (opts.scenario) usage(`extra argument ${a}`);
        opts.scenario = a;
    }
  }
  if (!opts.scenario) usage("no scenario");
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(opts.scenario)) usage(`bad scenario name ${JSON.stringify(opts.scenario)}`);
  if (!Number.isFinite(opts.timeout) || opts.timeout <= 0) usage("bad --timeout");
  return opts;
}

async function parseData(raw) {
  if (raw === null) return {};
  const text = raw.startsWith("@") ? await readFile(raw.slice(1), "utf8") : raw;
  try {
    return JSON.parse(text);
  } catch (e) {
    usage(`--data is not JSON: ${e.message}`);
  }
}

const opts = parseArgs(process.argv.slice(2));
const file = path.join(here, "scenarios", `${opts.scenario}.mjs`);
if (!existsSync(file)) usage(`no scenario file ${path.relative(process.cwd(), file)}`);
const data = await parseData(opts.data);
lib.setOutDir(opts.out);

const started = Date.now();
let browser;
let result = null;
let error = null;
let timer;
try {
  const mod = await import(pathToFileURL(file).href);
  if (typeof mod.default !== "function") throw new Error(`${opts.scenario}.mjs has no default export function`);
  if (opts.base) {
    try {
      new URL(opts.base);
    } catch {
      throw new Error(`--base ${JSON.stringify(opts.base)} is not a URL`);
    }
  } else if (!mod.ignoresBase) {
    throw new Error("--base URL is required for this scenario");
  }
  const launchOptions = typeof mod.launchOptions === "function" ? mod.launchOptions(data) : mod.launchOptions ?? {};
  browser = await lib.launch(launchOptions);
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`scenario timed out after ${opts.timeout} ms`)), opts.timeout);
  });
  result = await Promise.race([mod.default({ browser, baseURL: opts.base, data, lib }), timeout]);
  lib.checkGuards();
} catch (e) {
  error = e?.stack && process.env.E2E_STACK ? e.stack : String(e?.message ?? e);
  // Name the scenario's line that failed: Playwright's message alone does
  // not say which of a scenario's waits timed out.
  const at = String(e?.stack ?? "").split("\n").find((l) => l.includes("/scenarios/"));
  if (at && !error.includes(at.trim())) error += `\n${at.trim()}`;
} finally {
  clearTimeout(timer);
  if (browser) await browser.close().catch(() => {});
}

writeResult({
  ok: error === null,
  scenario: opts.scenario,
  error,
  screenshots: lib.screenshots(),
  result: result ?? null,
  ms: Date.now() - started,
});
// Exit explicitly: a scenario that left a socket open must not hang the run.
process.exit(error === null ? 0 : 1);
