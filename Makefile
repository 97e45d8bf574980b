# Bexton correspondence pipeline. `make` alone lists what you can do.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CASES  ?= data/cases
OUT    ?= output
# CASE=BPS-2026-014 or CASE=path/to/case.yaml
CASE_FILE = $(if $(wildcard $(CASE)),$(CASE),$(CASES)/$(CASE).yaml)

.PHONY: help due check plan letters pdf sent register verify bundle new-case test fuzz bench \
        bench-pdf docs-images lint \
        system-deps clean-venv

help: ## Show this list of commands
	@echo "Bexton letters: what you can run (type 'make NAME'):"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-zA-Z_-]+):.*## (.*)/\1|\2/' \
	  | awk -F'|' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

due: $(STAMP) ## What to do today, across every case: actions, letters to draft, send, chase
	$(BIN)/letters due $(CASES) --out $(OUT)

check: $(STAMP) ## Check every case file in data/cases/ and every letter template
	$(BIN)/letters check $(CASES)
	$(BIN)/letters templates check

plan: $(STAMP) ## Show what the policy calls for in one case: make plan CASE=BPS-2026-014
	@test -n "$(CASE)" || { echo "Say which case: make plan CASE=BPS-2026-014"; exit 2; }
	$(BIN)/letters plan $(CASE_FILE)

letters: $(STAMP) ## Draft the letters for every case in data/cases/ into output/
	$(BIN)/letters draft $(CASES) --out $(OUT)

pdf: $(STAMP) system-deps ## Draft every case as 'letters' does, with PDF copies too
	$(BIN)/letters draft $(CASES) --out $(OUT) --pdf

sent: $(STAMP) ## Record a letter as sent: make sent REF=BPS-2026-014/03 [BY=email] [ON=2026-12-02]
	@test -n "$(REF)" || { echo "Say which letter: make sent REF=BPS-2026-014/03 (its reference)"; exit 2; }
	$(BIN)/letters sent "$(REF)" --out $(OUT) $(if $(BY),--by $(BY)) $(if $(ON),--on $(ON)) \
	  $(if $(SIGNED),--signed "$(SIGNED)")

register: $(STAMP) ## List every letter drafted and whether it is recorded as sent (+ register.csv)
	$(BIN)/letters register $(OUT) --csv $(OUT)/register.csv

verify: $(STAMP) ## Check the archive against its journal (nothing missing, added or altered); print the seal
	$(BIN)/letters verify $(OUT)

bundle: $(STAMP) ## Make the legal advisers' zip for one case: make bundle CASE=BPS-2026-014
	@test -n "$(CASE)" || { echo "Say which case: make bundle CASE=BPS-2026-014"; exit 2; }
	$(BIN)/letters bundle $(CASE_FILE) --archive $(OUT)

new-case: $(STAMP) ## Start a new case file to fill in: make new-case ID=BPS-2026-030
	@test -n "$(ID)" || { echo "Say the case id: make new-case ID=BPS-2026-030"; exit 2; }
	$(BIN)/letters new-case $(ID)

test: $(STAMP) system-deps ## Run all the tests (installs what they need first)
	$(BIN)/python -m pytest -q -n auto

fuzz: $(STAMP) ## Run the property tests on 5000 random cases each (takes minutes)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q tests/test_properties.py

bench: $(STAMP) system-deps ## Measure speed and memory (output/bench.json) and a 20,000-post case
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/posts.py

bench-pdf: $(STAMP) system-deps ## Time one 'letters draft --pdf' of 1,000 letters (minutes)
	$(BIN)/python bench/pdf_batch.py

docs-images: $(STAMP) system-deps ## Redraw the README's pictures of the letters (docs/letters/)
	./scripts/docs-images.sh

lint: $(STAMP) ## Check the code style (ruff)
	$(BIN)/ruff check pipeline tests bench

system-deps: ## Install LibreOffice and poppler-utils if missing (needs root or sudo)
	@./scripts/install-system-deps.sh

clean-venv: ## Remove the virtual environment (the next command rebuilds it)
	rm -rf $(VENV)
