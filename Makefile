# The two set-up commands of the README, and what CI runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
STUDENTS ?= 1000
# Every installed distribution, with hashes: the product's, the test extra's and the build
# backend's (pyproject's build-system.requires, so the editable install needs no download).
LOCK := requirements.lock
BUILD_REQUIRES := setuptools>=69\nwheel\n
LOCK_VENV := .venv-lock
UV_VERSION := 0.13.9

.PHONY: run test check lint typecheck install lock bench clean

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

## make lock: after changing dependencies in pyproject.toml, resolve them again into the lock
## file (newest versions that fit, with hashes; uv in a venv of its own), then commit both
lock:
	test -x $(LOCK_VENV)/bin/uv || { $(PYTHON) -m venv $(LOCK_VENV) && \
	  $(LOCK_VENV)/bin/python -m pip install --quiet 'uv==$(UV_VERSION)'; }
	printf '$(BUILD_REQUIRES)' | $(LOCK_VENV)/bin/uv pip compile --quiet pyproject.toml - \
	  --extra test --universal --generate-hashes --custom-compile-command 'make lock' -o $(LOCK)

## make run [PORT=8000] [STUDENTS=1000]: install, build the demo board on the default SQLite
## database only when it has none (an existing one and its ledger are kept), serve on PORT
run: $(STAMP)
	$(BIN)/koppelvlak demo --students $(STUDENTS) --keep-existing
	@echo "admin pages: $${KOPPELVLAK_PUBLIC_URL:-http://127.0.0.1:$(PORT)}/login (log in with the web login above)"
	KOPPELVLAK_PUBLIC_URL=$${KOPPELVLAK_PUBLIC_URL:-http://127.0.0.1:$(PORT)} \
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
	rm -rf $(VENV) $(LOCK_VENV) .pytest_cache .mypy_cache .ruff_cache
