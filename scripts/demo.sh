#!/usr/bin/env bash
# The README's first command: install, then run wikimon on its embedded defaults (no
# config.yaml, SQLite in demo/wikimon.db) on the bundled sample history.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh
wikimon="$PWD/.venv/bin/wikimon"
mkdir -p demo
cd demo  # no config.yaml here: the built-in defaults apply
rm -rf wikimon.db wikimon.db-wal wikimon.db-shm outbox report
"$wikimon" import ../samples/history.xml.xz
"$wikimon" status
echo
echo "What changed in casualties2 (wikimon changes … --field casualties2):"
"$wikimon" changes '2024 Syrian opposition offensives' --field casualties2
echo
echo "The digest of 4 December 2024 (wikimon digest --dry-run --since 2024-12-04 --until 2024-12-05):"
"$wikimon" digest --dry-run --since 2024-12-04 --until 2024-12-05
echo
"$wikimon" digest --since 2024-12-04 --until 2024-12-05  # no smtp: configured: the outbox
echo
"$wikimon" report --out report
echo
echo "The database is demo/wikimon.db. Try:"
echo "  xdg-open demo/report/index.html     # the history report, works offline"
echo "  cd demo && ../.venv/bin/wikimon serve  # the same pages, live, on http://127.0.0.1:8080/"
echo "  cd demo && ../.venv/bin/wikimon revisions '2024 Syrian opposition offensives' | tail"
