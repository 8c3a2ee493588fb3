# Two set-up commands (see README): `make demo` and `make test`.
.PHONY: demo test test-fast lint bench
demo:
	bash scripts/demo.sh
test:
	bash scripts/test.sh
test-fast:
	bash scripts/test-fast.sh
lint:
	bash scripts/lint.sh
bench:
	bash scripts/bench.sh
