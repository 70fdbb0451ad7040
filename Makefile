# Plantão: `make run` to try it, `make test` to check it (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PATH := $(abspath $(BIN)):$(PATH)
export PORT

.PHONY: install run test bench lint migrate demo

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit("Plantão needs Python 3.11 or newer; set PYTHON=python3.11") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --no-input

demo: migrate
	$(BIN)/python manage.py demo

run: demo
	@echo ""
	@echo "  Plantão is starting on http://127.0.0.1:$(PORT)/"
	@echo "  Log in as admin / plantao-demo (or any demo person, e.g. ines / plantao-demo)."
	@echo "  Ctrl-C stops the web server, the worker and the scheduler."
	@echo ""
	$(BIN)/honcho start --procfile Procfile --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done
