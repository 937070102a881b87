# cpor: the Claiming Partner of Record association service.
# `make run` serves the local stack on 127.0.0.1:3000; `make test` runs every test.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
MOTO_SERVER := $(VENV)/bin/moto_server
MOTO_PIN    := moto[server]==5.2.5

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

# The browser test drives Debian's Chromium through chromedriver; installed here when missing
# (CI runs as root; elsewhere through sudo). Without them the test is skipped, except in CI.
.PHONY: browser
browser: ## install headless Chromium and chromedriver (Debian packages) when missing
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; \
		else echo "warning: chromium is missing and cannot be installed (not root, no sudo): the browser test will be skipped"; exit 0; fi; \
		echo "==> installing chromium and chromium-driver (apt)"; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-ipafont-gothic; \
	elif ! fc-list :lang=ja | grep -q . && [ "$$(id -u)" = 0 ]; then \
		echo "==> installing a Japanese font for the browser's screenshots (apt)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-ipafont-gothic; \
	fi

.PHONY: test
test: $(MOTO_SERVER) browser ## every test: unit, property and integration (against a fresh emulator)
	CPOR_MOTO_SERVER=$(abspath $(MOTO_SERVER)) cargo test --workspace --all-targets

.PHONY: lint
lint: ## formatting and clippy, as CI runs them
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

.PHONY: clean
clean: ## remove build output and the emulator's virtual environment
	cargo clean
	rm -rf $(VENV)
