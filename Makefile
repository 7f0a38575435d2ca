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

# Notebooks run at once by `make reports` and `make verify` (each uses one core).
JOBS ?= 2
# Profiles `make verify` reruns (real ones only where their data is present), and of which
# notebooks (names or numbers, comma-separated; empty: all).
VERIFY_PROFILES ?= demo
VERIFY_NOTEBOOKS ?=

.PHONY: help setup constraints reports verify test real bench bench-reproduce site handouts lab clean clean-cache distclean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: $(SETUP_STAMP)  ## create .venv with everything (idempotent)

$(SETUP_STAMP): pyproject.toml constraints.txt
	@$(PYTHON_BOOT) -c 'import sys; assert sys.version_info >= (3, 10), "MER Study needs Python 3.10 or newer, found " + sys.version.split()[0]'
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet "$(TORCH_SPEC)"
	$(PIP) install --quiet -c constraints.txt -e ".[dev,site]"
	$(PIP) install --quiet --no-deps -c constraints.txt $(NODEPS_PACKAGES)
	$(PY) -m ipykernel install --sys-prefix --name mer-study --display-name "MER Study (.venv)" > /dev/null
	$(PY) -m mer_lib.assets
	touch $@

constraints: $(SETUP_STAMP)  ## rewrite constraints.txt from .venv (after changing pyproject.toml)
	{ sed -n '1,3p' constraints.txt; $(PIP) freeze --exclude-editable | grep -v '^torch=='; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

# Staleness is decided by content, not file times: each report records the digest of the
# notebook, its profile, the mer_lib modules it and the runner import, and the package
# versions that made it (inputs_digest).
reports: $(SETUP_STAMP)  ## run every stale demo profile into reports/ (FORCE=1: all of them)
	$(PY) -m mer_lib.runner --all demo --jobs $(JOBS) $(if $(FORCE),--force)

verify: $(SETUP_STAMP)  ## rerun every demo report (and VERIFY_PROFILES=...) from a cold cache; compare
	$(PY) -m mer_lib.verify --profiles $(VERIFY_PROFILES) --jobs $(JOBS) $(if $(VERIFY_NOTEBOOKS),--notebooks $(VERIFY_NOTEBOOKS))

test: $(SETUP_STAMP)  ## run the test suite (unit tests + smoke run of every notebook)
	$(PY) -m pytest

real: $(SETUP_STAMP)  ## run every real-data profile whose data is under MER_DATA_HOME
	@echo "MER_DATA_HOME=$(MER_DATA_HOME)"
	$(PY) -m mer_lib.runner --real

bench: $(SETUP_STAMP)  ## feature extraction, bucketed vs padded batches, the benchmark grid on 1 and 2 Dask workers (reports/bench/)
	$(PY) -m benchmarks.features
	$(PY) -m benchmarks.training
	$(PY) -m benchmarks.grid_workers

bench-reproduce: $(SETUP_STAMP)  ## time a cold `make reports` (2 at a time and serially) and `make verify`
	$(PY) -m benchmarks.reproduce

# The course site: the executed reports rendered by Sphinx + MyST-NB, never re-run.
SITE_HTML := site/_build/html
site: $(SETUP_STAMP)  ## build the course site from reports/ into site/_build/html (execution off)
	$(PY) site/build.py pages
	rm -rf $(SITE_HTML)
	$(VENV)/bin/sphinx-build -b html -q -d site/_build/doctrees site $(SITE_HTML)
	@echo "site: $(SITE_HTML)/index.html (copy $(SITE_HTML) to any static host)"

handouts: $(SETUP_STAMP)  ## student copies of the notebooks in handouts/: no outputs, no solutions
	$(PY) site/build.py handouts

lab: $(SETUP_STAMP)  ## open JupyterLab on the notebooks
	$(VENV)/bin/jupyter lab notebooks/

clean-cache:  ## delete cached features (the synthetic corpus stays)
	rm -rf .cache/features

clean:  ## delete caches (generated corpus, features, pytest, bytecode) and the built site/handouts
	rm -rf .cache .pytest_cache site/_build site/_generated handouts
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean  ## also delete the virtual environment
	rm -rf $(VENV)
