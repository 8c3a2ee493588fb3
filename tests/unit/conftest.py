"""Unit tests: pure functions on real wikitext, the store and the CLI in-process on files
in a temporary directory. No services, no other processes, no network: `make test-fast`
runs them in well under a minute with nothing beyond .venv."""
