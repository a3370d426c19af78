#!/usr/bin/env bash
# Installs Civic into .venv (Python package with test extras when asked) and fetches the pinned htmx.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
if [ -n "$extras" ]; then
  .venv/bin/python -m pip install --quiet -e ".[$extras]"
else
  .venv/bin/python -m pip install --quiet -e .
fi
# The local copy of htmx (offline use and tests) comes from npm at the pinned version, never from git.
version=$(.venv/bin/python -c "from civic.settings import HTMX_VERSION; print(HTMX_VERSION)")
sri=$(.venv/bin/python -c "from civic.settings import HTMX_SRI; print(HTMX_SRI)")
if [ ! -f static/vendor/htmx.min.js ] || ! grep -q "$version" static/vendor/.htmx-version 2>/dev/null; then
  if command -v npm >/dev/null 2>&1; then
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "htmx.org@$version" >/dev/null 2>&1 && tar -xzf htmx.org-*.tgz)
    mkdir -p static/vendor
    cp "$tmp/package/dist/htmx.min.js" static/vendor/htmx.min.js
    echo "$version" > static/vendor/.htmx-version
    rm -rf "$tmp"
  else
    echo "npm not found: pages will load htmx from the CDN; tests need npm" >&2
  fi
fi
if [ -f static/vendor/htmx.min.js ]; then
  got="sha384-$(openssl dgst -sha384 -binary static/vendor/htmx.min.js | openssl base64 -A)"
  [ "$got" = "$sri" ] || { echo "static/vendor/htmx.min.js does not match the pinned SRI hash" >&2; exit 1; }
fi
