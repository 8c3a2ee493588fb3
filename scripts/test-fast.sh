#!/usr/bin/env bash
# `make test-fast`: the unit tests (pure, no services, nothing beyond .venv), in under a
# minute. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/pytest ] || bash scripts/setup-env.sh
exec .venv/bin/python -m pytest -q tests/unit "$@"
