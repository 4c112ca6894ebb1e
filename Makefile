# The two commands of a fresh machine: `make run` and `make test`. Each installs what it needs.
VENV ?= .venv
SHARED ?= ../shared
PYTHON ?= python3
BIN = $(VENV)/bin

.PHONY: install run test lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

## Start the web application on its embedded defaults (SQLite in .jalon/, the bundled demo référentiel).
run: install
	$(BIN)/jalon serve

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

## The whole test suite: lint, types, unit and property tests, and every official scenario.
test: lint
	JALON_SHARED=$(SHARED) $(BIN)/pytest
	$(BIN)/jalon check $(SHARED)/fixtures --referentiels $(SHARED)/referentiels

bench: install
	$(BIN)/python bench/bench_engine.py --referentiels $(SHARED)/referentiels

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
