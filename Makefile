# cloudforge: `make help` lists the targets.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml setup.py
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP) ## create .venv with cloudforge (editable) and the dev tools

codegen: $(STAMP) ## regenerate generated/ from schemas/
	$(BIN)/python -m cloudforge.codegen

test: $(STAMP) ## run the test suite (sets up .venv first)
	$(BIN)/python -m pytest -q

lint: $(STAMP) ## ruff over the hand-written code
	$(BIN)/ruff check runtime codegen tests examples

typecheck: $(STAMP) ## mypy --strict over the package as installed (runtime, codegen, generated)
	@# mypy cannot follow the editable install's import hook: check a symlinked package layout.
	rm -rf $(VENV)/typecheck && mkdir -p $(VENV)/typecheck/cloudforge
	for entry in runtime/*; do case $$entry in *__pycache__) ;; *) ln -s "$$PWD/$$entry" $(VENV)/typecheck/cloudforge/ ;; esac; done
	ln -s "$$PWD/codegen" $(VENV)/typecheck/cloudforge/codegen
	ln -s "$$PWD/generated/aws" $(VENV)/typecheck/cloudforge/aws
	cd $(VENV)/typecheck && MYPYPATH=. ../bin/mypy --config-file ../../pyproject.toml --cache-dir ../.mypy_cache -p cloudforge

demo: $(STAMP) ## the main job: the seed's examples via the CLI against the local cloud, every step checked
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

bench: $(STAMP) $(PEERS_STAMP) ## measure speed and memory against baselines; writes bench/results/
	$(BIN)/python -m bench

check-registry: $(STAMP) ## every bundled registry type generated, imported, fidelity-checked (hypothesis) and type-checked (mypy) in a temp dir; SAMPLE=n, EXAMPLES=n
	$(BIN)/python -m cloudforge.codegen.check $(if $(SAMPLE),--sample $(SAMPLE)) $(if $(EXAMPLES),--examples $(EXAMPLES))

check-generated: codegen ## fail when generated/ differs from what make codegen writes
	git diff --exit-code --stat -- generated/
	@test -z "$$(git status --porcelain -- generated/)" || (git status --porcelain -- generated/; echo 'generated/ is stale: run make codegen and commit'; exit 1)

.PHONY: help venv codegen test lint typecheck demo bench check-generated check-registry
