# Two set-up commands (see README): `make demo` and `make test`.
.PHONY: demo test lint bench
demo:
	bash scripts/demo.sh
test:
	bash scripts/test.sh
lint:
	.venv/bin/ruff check .
bench:
	bash scripts/bench.sh
