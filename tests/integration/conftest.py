"""The services the integration tests run for real: a MediaWiki (Debian's package on
SQLite, served by php -S on 127.0.0.1, built once per session) and an SMTP server
(aiosmtpd on 127.0.0.1); an EventStreams server, a webhook receiver and a json:// endpoint
for the alerts (push_fixtures.py)."""

from mediawiki_fixtures import (  # noqa: F401
    mediawiki,
    mediawiki_golden,
    mediawiki_many,
    mediawiki_many_golden,
)
from push_fixtures import event_stream, json_catcher, webhook  # noqa: F401
from smtp_fixtures import smtp_server  # noqa: F401
