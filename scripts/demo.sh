#!/usr/bin/env bash
# The README's first command: install, then run wikimon on its embedded defaults (no
# config.yaml, SQLite in demo/wikimon.db) on the bundled sample history.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh
wikimon="$PWD/.venv/bin/wikimon"
mkdir -p demo
cd demo  # no config.yaml here: the built-in defaults apply
rm -f wikimon.db wikimon.db-wal wikimon.db-shm
"$wikimon" import ../samples/history.xml.xz
"$wikimon" status
echo
echo "What changed in casualties2 (wikimon changes … --field casualties2):"
"$wikimon" changes '2024 Syrian opposition offensives' --field casualties2
echo
echo "The database is demo/wikimon.db. Try:"
echo "  cd demo && ../.venv/bin/wikimon revisions '2024 Syrian opposition offensives' | tail"
