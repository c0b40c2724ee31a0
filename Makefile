# LevelUp: every target creates .venv and installs the project if needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: demo test test-faults lint bench dev install clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m levelup_pipeline.cli.demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-faults: $(STAMP)
	$(BIN)/python -m pytest -q -m faults

lint: $(STAMP)
	$(BIN)/ruff check levelup_pipeline levelup_pipeline_tests benchmarks
	$(BIN)/ruff format --check levelup_pipeline levelup_pipeline_tests benchmarks

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

# dg dev (UI + daemon); with no Halo account it serves the embedded simulator (first line says).
dev: $(STAMP)
	@$(BIN)/python -m levelup_pipeline.cli.dev --host 127.0.0.1 --port 3000

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
