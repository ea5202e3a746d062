# The README's two commands: `make run` and `make test`. Everything else is a step they depend on.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENDOR := src/praca/static/vendor
export PRACA_DATA_DIR ?= var

.PHONY: run test setup assets lint bench demo clean

run: setup
	$(BIN)/praca migrate
	$(BIN)/praca demo
	$(BIN)/praca serve --host 127.0.0.1 --port 8000

test: setup
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/pytest -q

setup: $(VENV)/.installed assets

$(VENV)/.installed: pyproject.toml $(wildcard src/praca/*/*.c)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,spark]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Leaflet, its clustering plugin, htmx and axe-core come from the npm registry; nothing is committed.
assets: node_modules/.installed
	mkdir -p $(VENDOR)/leaflet/images $(VENDOR)/markercluster $(VENDOR)/htmx
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css $(VENDOR)/leaflet/
	cp node_modules/leaflet/dist/images/*.png $(VENDOR)/leaflet/images/
	cp node_modules/leaflet.markercluster/dist/leaflet.markercluster.js \
	   node_modules/leaflet.markercluster/dist/MarkerCluster.css \
	   node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css $(VENDOR)/markercluster/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/

lint: setup
	$(BIN)/ruff check src tests bench migrations

bench: setup
	$(BIN)/python bench/registry_near.py --workers 2
	$(BIN)/python bench/dpo_inbox.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
