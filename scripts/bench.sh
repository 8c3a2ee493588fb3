#!/usr/bin/env bash
# Benchmarks (bench/): timings are measured here, never asserted in tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[bench]"
.venv/bin/python bench/import_big.py "$@"
.venv/bin/python bench/analysis_big.py
.venv/bin/python bench/report_big.py
.venv/bin/python bench/silent_misses.py
.venv/bin/python bench/hostile_wikitext.py
.venv/bin/python bench/report_scale.py
.venv/bin/python bench/add_many.py
.venv/bin/python bench/startup.py
.venv/bin/python bench/alert_latency.py
.venv/bin/python bench/recentchanges_requests.py
.venv/bin/python bench/cube_big.py
