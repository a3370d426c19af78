#!/usr/bin/env bash
# Install Civic and start it on the embedded SQLite database with the demo district loaded.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export CIVIC_DATA_DIR="${CIVIC_DATA_DIR:-$PWD/data}"
.venv/bin/civic demo
exec .venv/bin/civic serve "$@"
