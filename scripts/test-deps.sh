#!/usr/bin/env bash
# Installs what `make test` needs on a fresh machine, or stops with the exact
# command to run: the programs the tests call (Debian packages, installed
# with apt-get when run as root) and the browser test packages (npm ci from
# e2e/package-lock.json). The tests never skip for a missing tool: they fail,
# so this runs first.
set -euo pipefail
cd "$(dirname "$0")/.."

# program → Debian package
declare -A pkg=(
  [chromium]=chromium
  [qpdf]=qpdf
  [pdftotext]=poppler-utils
  [pdftoppm]=poppler-utils
  [pdfinfo]=poppler-utils
  [pdffonts]=poppler-utils
  [zbarimg]=zbar-tools
  [psql]=postgresql-client
  [pg_dump]=postgresql-client
  [pg_restore]=postgresql-client
  [python3]=python3
  [node]=nodejs
  [npm]=npm
  [nginx]=nginx-light
  [pgbouncer]=pgbouncer
)
need=()
for prog in "${!pkg[@]}"; do
  if ! command -v "$prog" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$prog" ]; then
    p=${pkg[$prog]}
    [[ " ${need[*]-} " == *" $p "* ]] || need+=("$p")
  fi
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test-deps: installing ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "test-deps: missing programs. Run, then make test again:" >&2
    echo "  sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "test-deps: node $(node --version) is too old for the browser tests; install node 20 or newer" >&2
  exit 1
fi

# The browser test packages, exactly as locked; reinstalled when the lock
# file changed since the last install.
stamp=e2e/node_modules/.lock-sha256
want=$(sha256sum e2e/package-lock.json | cut -d' ' -f1)
if [ ! -d e2e/node_modules/playwright-core ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "test-deps: npm ci --prefix e2e" >&2
  npm ci --prefix e2e --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
