# MER Study — `make reports` and `make test` are the two commands; `make help` lists all.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_BOOT ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
PIP         := $(PY) -m pip
SETUP_STAMP := $(VENV)/.setup-stamp
# The local CPU wheel on these machines; an unpinned torch would pull GBs of CUDA.
TORCH_SPEC  ?= torch==2.13.0
# Installed without their dependencies (tinysoundfont's pyaudio does not build).
NODEPS_PACKAGES := tinysoundfont==0.3.7

# Real data: $MER_DATA_HOME, else ../shared/data when present, else data/.
MER_DATA_HOME ?= $(if $(wildcard ../shared/data),$(abspath ../shared/data),$(CURDIR)/data)
export MER_DATA_HOME
# Idle OpenMP threads sleep instead of spinning: on a busy 2-core machine spinning threads
# slowed PyTorch training steps by an order of magnitude. Speed only; results are unchanged.
export OMP_WAIT_POLICY ?= PASSIVE

NOTEBOOKS    := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
NAMES        := $(basename $(notdir $(NOTEBOOKS)))
DEMO_RESULTS := $(patsubst %,reports/%/demo/results.json,$(NAMES))
LIB_SOURCES  := $(shell find mer_lib -name '*.py' 2>/dev/null)

.PHONY: help setup reports test real bench lab clean clean-cache distclean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: $(SETUP_STAMP)  ## create .venv with everything (idempotent)

$(SETUP_STAMP): pyproject.toml
	@$(PYTHON_BOOT) -c 'import sys; assert sys.version_info >= (3, 10), "MER Study needs Python 3.10 or newer, found " + sys.version.split()[0]'
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet "$(TORCH_SPEC)"
	$(PIP) install --quiet -e ".[dev]"
	$(PIP) install --quiet --no-deps $(NODEPS_PACKAGES)
	$(PY) -m ipykernel install --sys-prefix --name mer-study --display-name "MER Study (.venv)" > /dev/null
	$(PY) -m mer_lib.assets
	touch $@

reports: $(DEMO_RESULTS)  ## run every notebook's demo profile into reports/
	$(PY) -m mer_lib.report_index

# One rule per notebook: rerun only when the notebook, its profile or the library changed.
reports/%/demo/results.json: notebooks/%.ipynb notebooks/params/%/demo.yaml $(LIB_SOURCES) | $(SETUP_STAMP)
	$(PY) -m mer_lib.runner $* demo

test: $(SETUP_STAMP)  ## run the test suite (unit tests + smoke run of every notebook)
	$(PY) -m pytest

real: $(SETUP_STAMP)  ## run every real-data profile whose data is under MER_DATA_HOME
	@echo "MER_DATA_HOME=$(MER_DATA_HOME)"
	$(PY) -m mer_lib.runner --real

bench: $(SETUP_STAMP)  ## measure the speed targets (writes reports/bench/)
	$(PY) -m benchmarks.features

lab: $(SETUP_STAMP)  ## open JupyterLab on the notebooks
	$(VENV)/bin/jupyter lab notebooks/

clean-cache:  ## delete cached features (the synthetic corpus stays)
	rm -rf .cache/features

clean:  ## delete caches (generated corpus, features, pytest, bytecode)
	rm -rf .cache .pytest_cache
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean  ## also delete the virtual environment
	rm -rf $(VENV)
