# payclaims: two commands do everything.
#   make run    install, create the database, load demo data, serve on http://127.0.0.1:5000
#   make test   install with test tools, then lint, types and every test
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app payclaims
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: help run test install install-dev assets db demo lint clean

help:
	@echo "make run    install, create the database, load demo data and serve on http://$(HOST):$(PORT)"
	@echo "make test   install with test tools and run lint, types, and every test"

$(BIN)/python:
	scripts/check_system.sh run
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	scripts/check_system.sh run
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	scripts/check_system.sh test
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/vendor/nhsuk-frontend/nhsuk-frontend.min.css: node_modules/.installed scripts/install_assets.py | $(BIN)/python
	$(BIN)/python scripts/install_assets.py

install: $(VENV)/.installed assets
install-dev: $(VENV)/.installed-dev assets
assets: static/vendor/nhsuk-frontend/nhsuk-frontend.min.css

db: install
	@$(BIN)/python scripts/prepare_instance.py > /dev/null
	$(FLASK) db upgrade

demo: db
	@password="$$($(BIN)/python scripts/prepare_instance.py)"; \
	$(FLASK) seed-demo --password "$$password" && \
	echo "  Demo password (all of them): $$password"

run: demo
	@echo "Serving payclaims on http://$(HOST):$(PORT) (Ctrl+C to stop)"
	$(FLASK) run --debug --host $(HOST) --port $(PORT)

test: install-dev
	scripts/test.sh

lint: install-dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache .mypy_cache .ruff_cache
