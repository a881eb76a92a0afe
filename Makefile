# The two commands a new machine needs: `make run` and `make test` (see README.md).
.PHONY: run test bench lint clean

run:
	@scripts/setup.sh
	.venv/bin/maps serve --demo

test:
	@scripts/setup.sh --test
	scripts/test.sh

bench:
	@scripts/setup.sh --test
	scripts/with-postgres.sh .venv/bin/python -m bench

lint:
	.venv/bin/ruff check app tests migrations bench

clean:
	rm -rf .venv data .pytest_cache
