# The project's two entry points: `make run` and `make test`. `make install` is their common step.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck pytest bench clean

install: $(STAMP)

$(STAMP): backend/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q --upgrade pip
	$(BIN)/pip install --disable-pip-version-check -q -e 'backend[dev]'
	touch $(STAMP)

lint: install
	$(BIN)/ruff check --config backend/pyproject.toml backend tests benchmarks
	$(BIN)/ruff format --config backend/pyproject.toml --check backend tests benchmarks

typecheck: install
	$(BIN)/mypy --config-file backend/pyproject.toml backend/mtecg

pytest: install
	$(BIN)/pytest

test: lint typecheck pytest

bench: install
	$(BIN)/python benchmarks/preprocess.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
