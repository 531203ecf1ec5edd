# junheng — the two commands a new machine needs: `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_PERIOD ?= 2026-10
DEMO_DIR ?= data/demo

.PHONY: setup demo test lint unit clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $(STAMP)

demo: setup
	rm -rf $(DEMO_DIR)/inbox
	$(BIN)/junheng demo-data $(DEMO_DIR)/inbox --schools 24 --period $(DEMO_PERIOD) --broken
	$(BIN)/junheng run --period $(DEMO_PERIOD) --inbox $(DEMO_DIR)/inbox --data-dir $(DEMO_DIR)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

test: setup lint
	PREFECT_HOME=$(CURDIR)/.pytest-prefect $(BIN)/python -m pytest

clean:
	rm -rf data .pytest-prefect .pytest_cache .mypy_cache .ruff_cache
