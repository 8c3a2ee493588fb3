"""The services the integration tests run for real: a MediaWiki (Debian's package on
SQLite, served by php -S on 127.0.0.1, built once per session) and an SMTP server
(aiosmtpd on 127.0.0.1)."""

from mediawiki_fixtures import mediawiki, mediawiki_golden  # noqa: F401
from smtp_fixtures import smtp_server  # noqa: F401
