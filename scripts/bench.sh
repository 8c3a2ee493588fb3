#!/usr/bin/env bash
# Benchmarks (bench/): timings are measured here, never asserted in tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh
.venv/bin/python bench/import_big.py "$@"
.venv/bin/python bench/analysis_big.py
.venv/bin/python bench/report_big.py
.venv/bin/python bench/cube_big.py
