#!/usr/bin/env bash
# vendor-npm.sh fetches the pinned front-end packages from the npm registry
# (npm pack, never a CDN), copies the exact files we serve plus each package's
# licence into internal/web/assets/static/vendor/<dir>/, and writes
# internal/web/assets/static/vendor/manifest.json (package, version, licence,
# tarball integrity, and path + sha256 + size of every copied file).
#
# Usage:
#   scripts/vendor-npm.sh           rebuild the vendor tree in place
#   scripts/vendor-npm.sh --check   rebuild into a temp dir and fail if it
#                                   differs from the committed tree
#
# The output is deterministic (no timestamps), so a re-run on an unchanged
# pin list leaves git clean. To change a version, edit the list below, re-run,
# and commit the vendor tree and the manifest together.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
vendor=$root/internal/web/assets/static/vendor
mode=write
case "${1-}" in
  "") ;;
  --check) mode=check ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/vendor
mkdir -p "$tmp/pack" "$tmp/src" "$out"
records=$tmp/records.tsv
: >"$records"

# fetch SPEC: npm pack the spec into $tmp/pack, extract to $tmp/src/<safe>,
# print the extracted package directory.
fetch() {
  local spec=$1 safe json tgz
  safe=$(printf '%s' "$spec" | tr '/@' '__')
  if [[ ! -d $tmp/src/$safe ]]; then
    json=$(npm pack "$spec" --pack-destination "$tmp/pack" --json 2>/dev/null)
    tgz=$(printf '%s' "$json" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s)[0];process.stdout.write(j.filename+"\t"+j.integrity)})')
    mkdir -p "$tmp/src/$safe"
    tar -xzf "$tmp/pack/${tgz%%$'\t'*}" -C "$tmp/src/$safe"
    printf '%s\n' "${tgz#*$'\t'}" >"$tmp/src/$safe/.integrity"
  fi
  printf '%s\n' "$tmp/src/$safe"
}

# vendor DIR SPEC FILE...: copy FILEs (paths inside the package) flat into
# vendor/DIR, plus every LICENSE*/LICENCE*/NOTICE* at the package root.
vendor() {
  local dir=$1 spec=$2; shift 2
  local src f
  src=$(fetch "$spec")
  mkdir -p "$out/$dir"
  for f in "$@"; do
    [[ -f $src/package/$f ]] || { echo "vendor-npm: $spec has no $f" >&2; exit 1; }
    cp "$src/package/$f" "$out/$dir/"
    printf '%s\t%s\t%s\t%s\t%s\n' "$dir" "$src" "served" "$(basename "$f")" "$f" >>"$records"
  done
  local found=0
  for f in "$src"/package/LICENSE* "$src"/package/LICENCE* "$src"/package/NOTICE*; do
    [[ -f $f ]] || continue
    found=1
    cp "$f" "$out/$dir/"
    printf '%s\t%s\t%s\t%s\t%s\n' "$dir" "$src" "licence" "$(basename "$f")" "$(basename "$f")" >>"$records"
  done
  [[ $found == 1 ]] || { echo "vendor-npm: $spec has no licence file" >&2; exit 1; }
}

# extra DIR SPEC FROM TO: copy one more licence file from another package
# (used where a served file bundles third-party code).
extra() {
  local dir=$1 spec=$2 from=$3 to=$4 src
  src=$(fetch "$spec")
  cp "$src/package/$from" "$out/$dir/$to"
  printf '%s\t%s\t%s\t%s\t%s\n' "$dir" "$src" "licence" "$to" "$spec:$from" >>"$records"
}

vendor htmx.org          htmx.org@2.0.11          dist/htmx.min.js
vendor leaflet           leaflet@1.9.4            dist/leaflet.js dist/leaflet.css
vendor h3-js             h3-js@4.5.0              dist/h3-js.umd.js
vendor signature_pad     signature_pad@5.1.4      dist/signature_pad.umd.min.js
vendor idb               idb@8.0.4                build/umd.js
vendor htm               htm@3.1.1                preact/standalone.module.js
# htm/preact/standalone bundles Preact 10.x (MIT); keep Preact's notice too.
extra  htm               preact@10.2.0            LICENSE LICENSE.preact
vendor barcode-detector  barcode-detector@3.2.2   dist/iife/polyfill.js
# barcode-detector@3.2.2 depends on exactly zxing-wasm@3.1.3; serve its reader.
vendor zxing-wasm        zxing-wasm@3.1.3         dist/reader/zxing_reader.wasm
# The wasm is compiled from ZXing-C++ (Apache-2.0). h3-js ships the unmodified
# Apache-2.0 text, so take it from there.
extra  zxing-wasm        h3-js@4.5.0              LICENSE LICENSE.zxing-cpp

fonts=()
for subset in vietnamese latin-ext latin; do
  for weight in 400 600 700; do
    fonts+=("files/be-vietnam-pro-$subset-$weight-normal.woff2")
  done
done
vendor be-vietnam-pro    @fontsource/be-vietnam-pro@5.3.0 "${fonts[@]}"

cat >"$out/zxing-wasm/README.md" <<'MD'
# zxing_reader.wasm (zxing-wasm 3.1.3)

The reader build of ZXing-C++ compiled to WebAssembly, used by
`../barcode-detector/polyfill.js` (barcode-detector 3.2.2 depends on exactly
zxing-wasm 3.1.3). Written by `scripts/vendor-npm.sh`; do not edit by hand.

**The polyfill fetches this file from jsDelivr by default.** Before the first
`new BarcodeDetector(...)` / `detect(...)`, point it at our own copy:

```js
// after <script src="/static/vendor/barcode-detector/polyfill.js?v=..."></script>
BarcodeDetectionAPI.prepareZXingModule({
  overrides: {
    locateFile: (path, prefix) =>
      path.endsWith(".wasm") ? "/static/vendor/zxing-wasm/zxing_reader.wasm" : prefix + path,
  },
});
```

- The server must send `Content-Type: application/wasm` (the `assets`
  package does), or streaming compilation falls back to a slower path.
- `BarcodeDetectionAPI.ZXING_WASM_SHA256` in the polyfill equals the sha256 of
  this file recorded in `../manifest.json`; a test can compare them.
- The CSP needs `script-src 'self' 'wasm-unsafe-eval'` for WebAssembly.
- Where the browser has a native `BarcodeDetector` (Chrome on Android) the
  polyfill keeps it and never loads the wasm.
- Licences: zxing-wasm is MIT (`LICENSE`); the wasm contains ZXing-C++,
  Apache-2.0 (`LICENSE.zxing-cpp`).
MD
printf '%s\t%s\t%s\t%s\t%s\n' "zxing-wasm" "$(fetch zxing-wasm@3.1.3)" "doc" "README.md" "(written by scripts/vendor-npm.sh)" >>"$records"

node - "$records" "$out/manifest.json" "$out" <<'JS'
const fs = require("fs"), path = require("path"), crypto = require("crypto");
const [records, dest, out] = process.argv.slice(2);
const pkgs = new Map();
for (const line of fs.readFileSync(records, "utf8").split("\n")) {
  if (!line) continue;
  const [dir, src, role, name, source] = line.split("\t");
  const meta = JSON.parse(fs.readFileSync(path.join(src, "package", "package.json"), "utf8"));
  const integrity = fs.readFileSync(path.join(src, ".integrity"), "utf8").trim();
  const key = role === "served" ? dir : dir; // one entry per vendor dir
  if (!pkgs.has(key)) pkgs.set(key, { dir: "vendor/" + dir, files: [], licenceFiles: [], docs: [] });
  const entry = pkgs.get(key);
  const buf = fs.readFileSync(path.join(out, dir, name));
  const file = { file: `vendor/${dir}/${name}`, source, bytes: buf.length,
                 sha256: crypto.createHash("sha256").update(buf).digest("hex") };
  if (role === "served") {
    entry.package = meta.name; entry.version = meta.version;
    entry.licence = meta.license; entry.integrity = integrity;
    entry.files.push(file);
  } else if (role === "licence") {
    if (!source.includes(":")) { entry.package ??= meta.name; }
    else file.from = `${meta.name}@${meta.version}`;
    entry.licenceFiles.push(file);
  } else {
    entry.docs.push(file);
  }
}
const notes = {
  "vendor/htm": "standalone.module.js bundles Preact 10.x (MIT, LICENSE.preact) with hooks and htm",
  "vendor/zxing-wasm": "reader wasm for barcode-detector 3.2.2; the wasm contains ZXing-C++ (Apache-2.0, LICENSE.zxing-cpp); point the polyfill at it with prepareZXingModule({overrides:{locateFile}})",
  "vendor/htmx.org": "set htmx.config.allowEval=false",
  "vendor/leaflet": "leaflet.css references images/*.png for markers and the layers control; those are not vendored (use circleMarker)",
};
const list = [...pkgs.values()].map(p => {
  const o = { package: p.package, version: p.version, licence: p.licence, integrity: p.integrity,
              dir: p.dir, files: p.files, licenceFiles: p.licenceFiles };
  if (p.docs.length) o.docs = p.docs;
  if (notes[p.dir]) o.note = notes[p.dir];
  return o;
}).sort((a, b) => a.dir.localeCompare(b.dir));
fs.writeFileSync(dest, JSON.stringify({
  comment: "Written by scripts/vendor-npm.sh from npm pack tarballs; paths are relative to internal/web/assets/static.",
  packages: list }, null, 2) + "\n");
JS

if [[ $mode == check ]]; then
  if diff -r "$out" "$vendor" >/dev/null; then
    echo "vendor-npm: $vendor matches the pinned packages"
  else
    diff -r "$out" "$vendor" | head -40 >&2
    echo "vendor-npm: $vendor differs from what the pins produce" >&2
    exit 1
  fi
else
  rm -rf "$vendor"
  mkdir -p "$(dirname "$vendor")"
  cp -R "$out" "$vendor"
  echo "vendor-npm: wrote $vendor"
fi
