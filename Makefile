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

dev: $(STAMP)
	@echo "Dagster UI on http://127.0.0.1:3000 (DAGSTER_HOME=$(DAGSTER_HOME))"
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
