# The two commands of a fresh machine: `make run` and `make test`. Each installs what it needs.
VENV ?= .venv
SHARED ?= ../shared
PYTHON ?= python3
BIN = $(VENV)/bin

.PHONY: install run test lint bench clean

# Quiet: the install's output would bury what `make run` prints last (the address and the admin password).
$(BIN)/.installed: pyproject.toml
	@echo "Installation de Jalon et de ses dépendances dans $(VENV)/ …"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

install: $(BIN)/.installed

## Start the web application on its embedded defaults (SQLite in .jalon/, the bundled demo référentiel).
run: install
	@$(BIN)/jalon serve

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

## The whole test suite (`-m ""`: every marker, slow and browser tests too; a plain `pytest` leaves them
## out): lint, types, unit and property tests, the web suite a second time on
## PostgreSQL (the server on 127.0.0.1:5432, else one installed and started; a throwaway database),
## and every official scenario.
test: lint
	@echo "== the whole suite, web on SQLite =="
	JALON_SHARED=$(SHARED) $(BIN)/pytest -m ""
	@echo "== the web suite again, on PostgreSQL =="
	JALON_SHARED=$(SHARED) $(BIN)/python -m tests.postgres $(BIN)/pytest -m "" tests/web
	$(BIN)/jalon check $(SHARED)/fixtures --referentiels $(SHARED)/referentiels

bench: install
	$(BIN)/python bench/bench_engine.py --referentiels $(SHARED)/referentiels --yardstick $(SHARED)/bench/yardstick.py
	$(BIN)/python bench/bench_labellisation.py --referentiels $(SHARED)/referentiels --criteres $(SHARED)/labellisation/criteres.yml --yardstick $(SHARED)/bench/yardstick.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
