#!/usr/bin/env bash
# The README's first command: install, import the bundled sample history into demo.db, show it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh
export PATH="$PWD/.venv/bin:$PATH"
rm -f demo.db demo.db-wal demo.db-shm
wikimon --db demo.db import samples/history.xml.xz
wikimon --db demo.db status
