# Two commands: `make demo` and `make test`. Everything else is a helper.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test venv kql lint typecheck bench clean
KQL := tests/kql/node_modules/.package-lock.json

$(STAMP): pyproject.toml constraints.txt setup.py $(wildcard src/huntfeed/_native/*.c)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev,scale]'
	touch $(STAMP)

venv: $(STAMP)

# Microsoft's KQL parser (npm), which `huntfeed hunts validate` and the KQL tests use; needs node/npm.
# npm ci writes node_modules/.package-lock.json, so an install that is up to date is not redone.
# Without npm the KQL tests skip (with their reason), so `make test` still runs the rest.
$(KQL): tests/kql/package.json tests/kql/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: KQL validation and its tests are skipped" >&2; exit 0; }; \
	cd tests/kql && { npm ci --no-audit --no-fund --silent && touch node_modules/.package-lock.json; } || \
	  echo "npm ci failed (offline?): KQL validation and its tests are skipped" >&2

kql: $(KQL)

demo: $(STAMP)
	$(BIN)/huntfeed demo --out out

test: $(STAMP) $(KQL)
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/ioc_peers.py
	$(BIN)/python bench/attack_eval.py
	$(BIN)/python bench/throughput.py

clean:
	rm -rf out build dist .pytest_cache .mypy_cache .ruff_cache
