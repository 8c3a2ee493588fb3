#!/usr/bin/env bash
# Build a throwaway MediaWiki 1.39 (Debian package, SQLite) into a directory, WITHOUT serving it.
#
#   WIKI=/path/to/dir [MW_USERS="Alice Bob_Example"] [MW_PORT=8089] bash build-wiki.sh [dump.xml[.gz] ...]
#
# * MW_USERS: accounts created before the import (space separated, use _ for spaces in a name) so
#   that imported <username>s are kept verbatim instead of becoming "imported>Name".
#   Their password is UserPass-12345; the sysop is Admin / AdminPass-12345.
# * The directory is relocatable (LocalSettings uses __DIR__) and the port is read from the
#   MW_PORT environment variable at request time. Serve a copy with
#     MW_CONFIG_FILE=$WIKI/LocalSettings.php MW_PORT=8089 php -S 127.0.0.1:8089 -t /usr/share/mediawiki
#   (start it in its own session and kill the process group: PHP_CLI_SERVER_WORKERS orphans survive
#   a plain SIGTERM). Run maintenance scripts with the same MW_CONFIG_FILE.
# * `echo 7 > $WIKI/fake_lag` makes API requests with maxlag=N<7 fail with a maxlag error.
# * api.php requests are logged to $WIKI/api_requests.log (JSON lines: method, uri, ua, post_action);
#   `echo 200 > $WIKI/slow_api` delays each api.php request by 200 ms.
# Installs nothing: scripts/test.sh (make test) installs the Debian packages.
set -euo pipefail
MW=/usr/share/mediawiki
WIKI=${WIKI:?set WIKI to the directory to build the wiki in}
PORT=${MW_PORT:-8089}
ADMIN_PASS=${ADMIN_PASS:-AdminPass-12345}   # sysop passwords need >= 10 characters
USER_PASS=${USER_PASS:-UserPass-12345}

if [ ! -f "$MW/api.php" ]; then
  echo "build-wiki.sh: MediaWiki is not installed ($MW/api.php is missing)." >&2
  echo "Run 'make test' (scripts/test.sh), which installs the Debian packages:" >&2
  echo "  mediawiki php-sqlite3 php-cli php-mbstring php-xml php-intl" >&2
  exit 1
fi
for f in "$@"; do
  [ -r "$f" ] || { echo "build-wiki.sh: cannot read dump $f" >&2; exit 1; }
done

# Only ever wipe an empty directory or a previous build.
if [ -e "$WIKI" ] && [ -n "$(ls -A "$WIKI")" ] && [ ! -f "$WIKI/LocalSettings.php" ]; then
  echo "build-wiki.sh: $WIKI is not empty and is not a wiki built by this script; refusing" >&2
  exit 1
fi
rm -rf "$WIKI"
mkdir -p "$WIKI/data" "$WIKI/cache"
WIKI=$(cd "$WIKI" && pwd)

# 1) install (LocalSettings.php + SQLite files); /usr/share/mediawiki stays untouched
php "$MW/maintenance/install.php" --dbtype sqlite --dbpath "$WIKI/data" --dbname mwtest \
  --confpath "$WIKI" --server "http://127.0.0.1:$PORT" --scriptpath "" --lang en \
  --pass "$ADMIN_PASS" --skins Vector 'Test Wiki' Admin >"$WIKI/install.log" 2>&1 \
  || { echo "build-wiki.sh: install.php failed:" >&2; tail -20 "$WIKI/install.log" >&2; exit 1; }

# Relocatable + port from MW_PORT. Edit in place: $wgObjectCaches / $wgJobTypeConf have already
# captured $wgSQLiteDataDir by the time appended lines would run.
sed -i -e "s|^\$wgSQLiteDataDir = .*|\$wgSQLiteDataDir = __DIR__ . '/data';|" \
       -e "s|^\$wgServer = .*|\$wgServer = 'http://127.0.0.1:' . ( getenv( 'MW_PORT' ) ?: '$PORT' );|" \
       "$WIKI/LocalSettings.php"
grep -q "^\$wgSQLiteDataDir = __DIR__" "$WIKI/LocalSettings.php" \
  && grep -q "getenv( 'MW_PORT' )" "$WIKI/LocalSettings.php" \
  || { echo "build-wiki.sh: could not rewrite \$wgSQLiteDataDir/\$wgServer in LocalSettings.php" >&2; exit 1; }

cat >>"$WIKI/LocalSettings.php" <<'EOF'

# ---- throwaway test-wiki overrides (tests/mediawiki/build-wiki.sh) ----
$wgShowExceptionDetails = true;
$wgEnableEmail = false;
$wgUseImageMagick = false;
$wgCacheDirectory = __DIR__ . '/cache';
$wgJobRunRate = 0;                       # no jobs inside web requests; use runJobs.php
$wgGroupPermissions['*']['noratelimit'] = true;   # default edit limit for anons/newbies is 8/min
$wgRCMaxAge = 20 * 365 * 86400;          # imported revisions keep old timestamps; default 90 d hides them
# revision deletion is not granted to sysop by default in 1.39 (Wikipedia grants it)
$wgGroupPermissions['sysop']['deleterevision'] = true;
$wgGroupPermissions['sysop']['deletelogentry'] = true;
$wgGroupPermissions['sysop']['suppressrevision'] = true;
$wgGroupPermissions['sysop']['viewsuppressed'] = true;
# maxlag testing: a single SQLite server reports lag -1, so maxlag never fires.
# `echo 7 > $WIKI/fake_lag` fakes 7 s of replica lag.
$wgHooks['ApiMaxLagInfo'][] = static function ( &$lagInfo ) {
	$f = __DIR__ . '/fake_lag';
	if ( is_file( $f ) ) {
		$lagInfo = [ 'host' => 'fake-replica', 'lag' => (int)file_get_contents( $f ), 'type' => 'db' ];
	}
};
# Every api.php request is appended to $WIKI/api_requests.log as one JSON line (method, URI with
# the query string, User-Agent, POSTed action), before maxlag is checked: the tests count
# requests and check their parameters and headers (php -S logs neither headers nor POST data).
# `echo 200 > $WIKI/slow_api` delays every api.php request by 200 ms (kill -9 mid-run tests).
$wgHooks['ApiBeforeMain'][] = static function ( &$main ) {
	$line = json_encode( [
		'method' => $_SERVER['REQUEST_METHOD'] ?? '',
		'uri' => $_SERVER['REQUEST_URI'] ?? '',
		'ua' => $_SERVER['HTTP_USER_AGENT'] ?? '',
		'post_action' => $_POST['action'] ?? null,
	], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
	file_put_contents( __DIR__ . '/api_requests.log', $line . "\n", FILE_APPEND | LOCK_EX );
	$f = __DIR__ . '/slow_api';
	if ( is_file( $f ) ) {
		usleep( 1000 * (int)file_get_contents( $f ) );
	}
};
# Every recent change is appended to $WIKI/recentchanges.jsonl in MediaWiki's own JSON feed
# format (JSONRCFeedFormatter: what Wikimedia's EventStreams `recentchange` events carry,
# less their `meta`): the tests' EventStreams server streams these lines.
class WikimonTestsRCFeed extends FormattedRCFeed {
	public function send( array $feed, $line ) {
		file_put_contents( __DIR__ . '/recentchanges.jsonl', $line . "\n", FILE_APPEND | LOCK_EX );
		return true;
	}
}
$wgRCFeeds['wikimon-tests'] = [ 'class' => 'WikimonTestsRCFeed', 'formatter' => 'JSONRCFeedFormatter' ];
EOF
export MW_CONFIG_FILE="$WIKI/LocalSettings.php" MW_PORT="$PORT"

# 2) local accounts, so imported user names stay verbatim
read -r -a users <<<"${MW_USERS:-}"
for u in "${users[@]}"; do
  php "$MW/maintenance/createAndPromote.php" "$u" "$USER_PASS" >/dev/null
done

# 3) import (timestamps, users, comments, minor flags and text are kept; page/rev ids are not)
for f in "$@"; do
  php "$MW/maintenance/importDump.php" --quiet "$f"
done
if [ $# -gt 0 ]; then
  php "$MW/maintenance/rebuildrecentchanges.php" >/dev/null
  php "$MW/maintenance/initSiteStats.php" --update >/dev/null
  php "$MW/maintenance/runJobs.php" --quiet >/dev/null
fi
echo "built $WIKI (not serving)"
