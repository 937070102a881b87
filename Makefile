# cpor: the Claiming Partner of Record association service.
# `make run` serves the local stack on 127.0.0.1:3000; `make test` runs every test.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
MOTO_SERVER := $(VENV)/bin/moto_server
MOTO_PIN    := moto[server]==5.2.5
SCHEMATHESIS     := $(VENV)/bin/schemathesis
SCHEMATHESIS_PIN := schemathesis==4.32.5 openapi-spec-validator==0.9.0

export CARGO_TERM_COLOR ?= auto

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(MOTO_SERVER):
	@echo "==> installing the AWS emulator ($(MOTO_PIN)) into $(VENV)"
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check '$(MOTO_PIN)'

.PHONY: emulator
emulator: $(MOTO_SERVER) ## install the AWS emulator into .venv (once)

.PHONY: run
run: $(MOTO_SERVER) ## serve the partner API and customer pages on 127.0.0.1:3000 (Ctrl-C stops)
	cargo build --quiet -p cpor-local
	CPOR_MOTO_SERVER=$(abspath $(MOTO_SERVER)) ./target/debug/cpor-local run

.PHONY: token
token: ## print a local bearer token: make token PARTNER=1234567 ROLE=incentives_admin
	@cargo run --quiet -p cpor-local -- token $(or $(PARTNER),1234567) $(or $(ROLE),incentives_admin)

.PHONY: walkthrough
walkthrough: ## drive the whole API with curl against a running `make run`
	cargo build --quiet -p cpor-local
	infra/local/walkthrough.sh $(or $(BASE),http://127.0.0.1:3000)

.PHONY: test
test: $(MOTO_SERVER) ## every test: unit, property and integration (against a fresh emulator)
	CPOR_MOTO_SERVER=$(abspath $(MOTO_SERVER)) cargo test --workspace --all-targets

$(SCHEMATHESIS): $(MOTO_SERVER)
	@echo "==> installing the contract checker ($(SCHEMATHESIS_PIN)) into $(VENV)"
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(foreach p,$(SCHEMATHESIS_PIN),'$(p)')

.PHONY: contract
contract: $(MOTO_SERVER) $(SCHEMATHESIS) ## check openapi.yaml, then schemathesis against a fresh local stack
	$(VENV)/bin/openapi-spec-validator openapi.yaml
	cargo build --quiet -p cpor-local
	CPOR_MOTO_SERVER=$(abspath $(MOTO_SERVER)) infra/contract/run.sh

.PHONY: lint
lint: ## formatting and clippy, as CI runs them
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

.PHONY: clean
clean: ## remove build output and the emulator's virtual environment
	cargo clean
	rm -rf $(VENV)
