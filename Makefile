# cloudforge: `make help` lists the targets.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

# The editable install is setuptools' strict mode: a tree of symlinks under build/__editable__.*
# (on sys.path through a .pth file), so mypy, IDEs and other static tools follow `cloudforge.*`
# as a plain package. Edits show at once; a *new* module needs the tree re-linked, which every
# target below does when the set of package files changed (see LINKED), and `make relink` forces.
EDITABLE := --no-deps --no-build-isolation -e . --config-settings editable_mode=strict
FILES    := $(VENV)/.package-files
LINKED   := $(VENV)/.linked
# setuptools announces every strict install ("Editable installation ... do not remove build/"):
# said once here and in the README instead.
QUIET_EDITABLE := ignore:Editable installation

$(STAMP): pyproject.toml setup.py
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip 'setuptools>=77'
	PYTHONWARNINGS="$(QUIET_EDITABLE)" $(BIN)/pip install --quiet -e '.[dev]' --config-settings editable_mode=strict
	touch $(STAMP)

# The list of files the package is made of; rewritten only when a file appears or goes.
$(FILES): FORCE | $(STAMP)
	@find runtime codegen generated/aws -path '*/__pycache__' -prune -o -type f -print | sort > $@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

$(LINKED): $(STAMP) $(FILES)
	PYTHONWARNINGS="$(QUIET_EDITABLE)" $(BIN)/pip install --quiet $(EDITABLE)
	touch $(LINKED)

venv: $(LINKED) ## create .venv with cloudforge (strict editable install) and the dev tools

relink: $(STAMP) ## re-link the editable install (after adding or removing a module by hand)
	PYTHONWARNINGS="$(QUIET_EDITABLE)" $(BIN)/pip install --quiet $(EDITABLE)
	touch $(LINKED)

codegen: $(LINKED) ## regenerate generated/ from schemas/ (and link any new module)
	$(BIN)/python -m cloudforge.codegen
	@$(MAKE) --no-print-directory $(LINKED)

test: $(LINKED) ## run the test suite, slow suites included (sets up .venv first)
	$(BIN)/python -m pytest -q

test-fast: $(LINKED) ## the test suite without the suites marked slow
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(LINKED) ## ruff over the hand-written code
	$(BIN)/ruff check runtime codegen tests examples

typecheck: $(LINKED) ## mypy --strict over the package as installed (runtime, codegen, generated)
	$(BIN)/mypy --cache-dir $(VENV)/.mypy_cache -p cloudforge

demo: $(LINKED) ## the main job: the seed's examples via the CLI against the local cloud, every step checked
	$(BIN)/python examples/demo.py

# The peers (troposphere, pulumi-aws-native) and matplotlib live in their own venv, installed once
# and reused, so the project venv stays lean.
PEERS       := bench/.venv-peers
PEERS_STAMP := $(PEERS)/.installed

$(PEERS_STAMP): bench/requirements-peers.txt
	$(PY) -m venv $(PEERS)
	$(PEERS)/bin/pip install --quiet --upgrade pip
	$(PEERS)/bin/pip install --quiet -r bench/requirements-peers.txt
	touch $(PEERS_STAMP)

bench: $(LINKED) $(PEERS_STAMP) ## measure speed and memory against baselines; writes bench/results/
	$(BIN)/python -m bench

check-registry: $(LINKED) ## every bundled registry type generated, imported, fidelity-checked (hypothesis) and type-checked (mypy) in a temp dir; SAMPLE=n, EXAMPLES=n
	$(BIN)/python -m cloudforge.codegen.check $(if $(SAMPLE),--sample $(SAMPLE)) $(if $(EXAMPLES),--examples $(EXAMPLES))

check-generated: codegen ## fail when generated/ differs from what make codegen writes
	git diff --exit-code --stat -- generated/
	@test -z "$$(git status --porcelain -- generated/)" || (git status --porcelain -- generated/; echo 'generated/ is stale: run make codegen and commit'; exit 1)

.PHONY: help venv relink codegen test test-fast lint typecheck demo bench check-generated check-registry FORCE
FORCE:
