#!/usr/bin/env bash
# `make test-fast`: the unit tests (pure, no services, nothing beyond .venv), in under a
# minute. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -c "import xdist" 2>/dev/null || bash scripts/setup-env.sh
# one worker per CPU (pytest-xdist): the unit tests share nothing but read-only data
exec .venv/bin/python -m pytest -q -n auto tests/unit "$@"
