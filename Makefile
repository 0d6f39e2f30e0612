# The two set-up commands of the README, and what CI runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
STUDENTS ?= 1000

.PHONY: run test check lint typecheck install bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## make run [PORT=8000] [STUDENTS=1000]: install, build the demo board on the default SQLite
## database only when it has none (an existing one and its ledger are kept), serve on PORT
run: $(STAMP)
	$(BIN)/koppelvlak demo --students $(STUDENTS) --keep-existing
	$(BIN)/koppelvlak serve --host 127.0.0.1 --port $(PORT)

## make test: install, then everything CI checks (lint, types, import rules, tests)
test: $(STAMP) check

check: lint typecheck
	$(BIN)/pytest -n 2 -q

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck:
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
