# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run demo test lint typecheck bench clean chromium

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

# Cohort against the local Discord stand-in, with a demo community: http://127.0.0.1:8080/g/demo
demo: $(VENV)/.dev
	$(PY) -m tests.demo

lint: $(VENV)/.dev
	$(PY) -m ruff check bot cogs tests bench

typecheck: $(VENV)/.dev
	$(PY) -m mypy bot cogs

# The web companion's browser tests drive Debian's Chromium (never `playwright install`).
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "Chromium is missing, so the browser tests will be skipped. Install it with:"; \
		echo "    sudo apt-get update && sudo apt-get install -y chromium"; \
	fi

test: lint typecheck chromium
	$(PY) -m pytest -rs

bench: $(VENV)/.dev
	for b in bench/*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV)
