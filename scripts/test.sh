#!/usr/bin/env bash
# The README's test command: installs what the tests need (Debian packages when run as root,
# the Python packages into .venv), runs `make lint`, then the whole suite (tests/unit and
# tests/integration). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
DEBS="mediawiki php-sqlite3 php-cli php-mbstring php-xml php-intl"
missing=""
for p in $DEBS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
# the browser tests drive the system Chromium (Playwright downloads nothing)
[ -x /usr/bin/chromium ] || missing="$missing chromium"
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "installing Debian packages:$missing"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi
bash scripts/setup-env.sh
bash scripts/lint.sh
# the unit tests on every CPU (they share nothing), then the integration tests one at a
# time (they share the local MediaWiki); exit status 5 is "no test selected" (e.g. -k)
status=0
.venv/bin/python -m pytest -ra -n auto tests/unit "$@" || status=$?
[ "$status" = 5 ] && status=0
istatus=0
.venv/bin/python -m pytest -ra tests/integration "$@" || istatus=$?
[ "$istatus" = 5 ] && istatus=0
[ "$status" = 0 ] && [ "$istatus" = 0 ]
