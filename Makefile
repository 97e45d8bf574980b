# Bexton correspondence pipeline. `make` alone lists what you can do.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CASES  ?= data/cases
OUT    ?= output

.PHONY: help letters check test system-deps clean-venv

help: ## Show this list of commands
	@echo "Bexton letters: what you can run (type 'make NAME'):"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-zA-Z_-]+):.*## (.*)/  \1|\2/' \
	  | awk -F'|' '{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

letters: $(STAMP) ## Draft the letters for every case in data/cases/ into output/
	$(BIN)/letters draft $(CASES) --out $(OUT)

check: $(STAMP) ## Check every case file in data/cases/ (and the letter templates)
	$(BIN)/letters check $(CASES)

system-deps: ## Install LibreOffice and poppler-utils if missing (needs root or sudo)
	@./scripts/install-system-deps.sh

test: $(STAMP) system-deps ## Run all the tests (installs what they need first)
	$(BIN)/python -m pytest -q

clean-venv: ## Remove the virtual environment (the next command rebuilds it)
	rm -rf $(VENV)
