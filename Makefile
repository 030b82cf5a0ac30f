# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint typecheck bench clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Cohort needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	$(PY) -m bot

lint: $(VENV)/.dev
	$(PY) -m ruff check bot cogs tests bench

typecheck: $(VENV)/.dev
	$(PY) -m mypy bot cogs

test: lint typecheck
	$(PY) -m pytest

bench: $(VENV)/.dev
	for b in bench/*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV)
