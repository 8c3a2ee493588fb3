#!/usr/bin/env bash
# `make lint`: style, formatting, types and the layering contract. `make test` runs it first.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/mypy ] || bash scripts/setup-env.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports --no-cache
