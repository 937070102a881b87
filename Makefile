# cpor: the Claiming Partner of Record association service.
# `make run` serves the local stack on 127.0.0.1:3000; `make test` runs every test.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
MOTO_SERVER := $(VENV)/bin/moto_server
MOTO_PIN    := moto[server]==5.2.5
# The Standard Webhooks specification's Python library, which the webhook flows verify every
# delivery with (a second implementation beside ours); a stamp, as venvs made before it lack it.
STANDARDWEBHOOKS_STAMP := $(VENV)/.standardwebhooks-installed
STANDARDWEBHOOKS_PIN   := standardwebhooks==1.3.0
SCHEMATHESIS     := $(VENV)/bin/schemathesis
SCHEMATHESIS_PIN := schemathesis==4.32.5 openapi-spec-validator==0.9.0

# Deployment tools, from PyPI as binaries and pinned: cfn-lint (with the SAM translator, to lint
# what SAM generates too), cargo-lambda and the zig it cross-compiles with, and the SAM CLI (in
# a venv of its own: it pins its own boto3; installed only by `make deploy`).
CFN_LINT          := $(VENV)/bin/cfn-lint
# moto[server] brings a cfn-lint of its own: a stamp, not the program, says the pins are in.
CFN_LINT_STAMP    := $(VENV)/.cfn-lint-installed
CFN_LINT_PIN      := cfn-lint==1.58.0 aws-sam-translator==1.115.0
CARGO_LAMBDA      := $(VENV)/bin/cargo-lambda
CARGO_LAMBDA_PIN  := cargo-lambda==1.9.2 ziglang==0.17.1
SAM_VENV          := .venv-sam
SAM               := $(SAM_VENV)/bin/sam
SAM_PIN           := aws-sam-cli==1.170.0
FUNCTIONS         := submit-claim manage-claims review-claims notify-customer notify-partner record-opt-out finalize-association record-document record-email-feedback publish-events authorize-caller run-export process-claim-batch deliver-webhooks
# The template deploys arm64; `make build ARCH=x86-64` builds for the other Lambda architecture.
ARCH              ?= arm64

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

# The console (console/, TypeScript; console/README.md): its npm packages from its lock file,
# installed when missing or older than the lock file; built to console/dist when its sources or
# the contract changed (its API client is generated from openapi.yaml).
CONSOLE_INSTALLED := console/node_modules/.installed
CONSOLE_SOURCES   := $(shell find console/src console/public console/scripts -type f ! -name '*.gen.ts' 2>/dev/null) \
                     $(addprefix console/,index.html silent-callback.html vite.config.ts tsconfig.json package.json) \
                     openapi.yaml

$(CONSOLE_INSTALLED): console/package-lock.json
	@echo "==> installing the console's packages (npm ci)"
	cd console && npm ci --no-audit --no-fund
	touch $@

# A failed build leaves no page behind, so the next make builds again.
console/dist/index.html: $(CONSOLE_INSTALLED) $(CONSOLE_SOURCES)
	cd console && npm run --silent build || { rm -f dist/index.html; exit 1; }

.PHONY: console
console: console/dist/index.html ## build the console into console/dist (make run serves it at /console/)

.PHONY: console-test
console-test: $(CONSOLE_INSTALLED) ## the console's lint, type check and unit tests
	cd console && npm run --silent lint && npm run --silent check && npm run --silent test

.PHONY: run
run: $(MOTO_SERVER) console ## serve the API, the customer pages and the console on 127.0.0.1:3000 (Ctrl-C stops)
	cargo build --quiet -p cpor-local
	CPOR_MOTO_SERVER=$(abspath $(MOTO_SERVER)) ./target/debug/cpor-local run

.PHONY: seed
seed: ## load the example reference data (partners, tenants, subscriptions) into a running `make run`
	@curl -sS --fail-with-body -X POST $(or $(BASE),http://127.0.0.1:3000)/_local/seed \
	  -H 'content-type: application/json' -d @infra/local/examples/seed.json && echo

.PHONY: token
token: ## print a local bearer token: make token PARTNER=1234567 ROLE=incentives_admin, or ROLE=cpor_reviewer REVIEWER=reviewer-1
	@cargo run --quiet -p cpor-local -- token $(if $(filter cpor_reviewer,$(ROLE)),$(or $(REVIEWER),reviewer-1),$(or $(PARTNER),1234567)) $(or $(ROLE),incentives_admin)

.PHONY: walkthrough
walkthrough: ## drive the whole API with curl against a running `make run`
	cargo build --quiet -p cpor-local
	infra/local/walkthrough.sh $(or $(BASE),http://127.0.0.1:3000)
	infra/local/walkthrough-payouts.sh $(or $(BASE),http://127.0.0.1:3000)

# Operator commands (cpor-ops, see docs/operator-commands.md). They act on the stack that the
# environment names (CPOR_TABLE_NAME, CPOR_NOTIFICATION_QUEUE_URL, AWS credentials and region);
# LOCAL=1 points them at a running `make run` instead, through the .run/local.env it writes.
OPS       := cargo run --quiet -p cpor-ops --
LOCAL_ENV := .run/local.env
OPS_ENV    = $(if $(LOCAL),test -f $(LOCAL_ENV) || { echo "no $(LOCAL_ENV): start the local stack with 'make run' first" >&2; exit 2; }; set -a && . ./$(LOCAL_ENV) && set +a &&)

.PHONY: redrive
redrive: ## move the notification dead-letter queue's messages back to the queue (LOCAL=1: make run's)
	@$(OPS_ENV) $(OPS) redrive

.PHONY: resend
resend: ## re-queue the notification of a claim stuck in approved: make resend CLAIM=01J... [ARGS=--confirm-unsent]
	@$(OPS_ENV) $(OPS) resend $(CLAIM) $(ARGS)

.PHONY: finalize
finalize: ## run finalization as of a time: make finalize AT=2026-12-03T02:00:00Z (default now)
	@$(OPS_ENV) $(OPS) finalize $(if $(AT),--at $(AT))

.PHONY: import
import: ## import partners and tenants from a JSON file: make import FILE=reference.json
	@$(OPS_ENV) $(OPS) import $(FILE)

.PHONY: keyring
keyring: ## a step of an opt-out secret rotation: make keyring STEP=show|add|promote|prune (docs/runbook.md)
	@$(OPS_ENV) $(OPS) keyring $(or $(STEP),show) $(ARGS)

# The browser test drives Debian's Chromium through chromedriver; installed here when missing
# (CI runs as root; elsewhere through sudo). Without them the test is skipped, except in CI.
# axe-core, the accessibility checker the browser test runs on every page and e-mail (WCAG 2.1
# AA and best practice): its one file, as the pinned PyPI wheel of axe-playwright-python bundles
# it (Python is on every machine here; Node is not).
AXE      := $(VENV)/axe/axe.min.js
AXE_PIN  := axe-playwright-python==0.1.8

$(AXE): $(MOTO_SERVER)
	@echo "==> fetching axe-core ($(AXE_PIN)) into $(VENV)/axe"
	@mkdir -p $(VENV)/axe
	$(VENV)/bin/pip download --quiet --disable-pip-version-check --no-deps --dest $(VENV)/axe '$(AXE_PIN)'
	$(VENV)/bin/python -c 'import glob, zipfile; w = glob.glob("$(VENV)/axe/axe_playwright_python-*.whl")[0]; open("$(AXE)", "wb").write(zipfile.ZipFile(w).read("axe_playwright_python/axe.min.js"))'

.PHONY: browser
browser: $(AXE) ## install headless Chromium and chromedriver (Debian packages) when missing, and axe-core
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

# `--tests --benches` rather than `--all-targets`: the same tests (and the criterion bench, run
# once), without a test binary for the targets whose manifest says they have no tests
# (`test = false`), which `--all-targets` would link all the same. The console is built first for
# its browser tests (which also run `make console` themselves when run alone with cargo).
.PHONY: test
$(STANDARDWEBHOOKS_STAMP): $(MOTO_SERVER)
	@echo "==> installing the webhooks' reference verifier ($(STANDARDWEBHOOKS_PIN)) into $(VENV)"
	$(VENV)/bin/pip install --quiet --disable-pip-version-check '$(STANDARDWEBHOOKS_PIN)'
	@touch $@

test: $(MOTO_SERVER) $(STANDARDWEBHOOKS_STAMP) browser console-test console ## every test: unit, property and integration (against a fresh emulator), and the console's
	CPOR_MOTO_SERVER=$(abspath $(MOTO_SERVER)) cargo test --workspace --tests --benches

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

$(CFN_LINT_STAMP):
	@echo "==> installing $(CFN_LINT_PIN) into $(VENV)"
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(CFN_LINT_PIN)
	touch $@

$(CARGO_LAMBDA):
	@echo "==> installing $(CARGO_LAMBDA_PIN) into $(VENV)"
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(CARGO_LAMBDA_PIN)

$(SAM):
	@echo "==> installing $(SAM_PIN) into $(SAM_VENV)"
	python3 -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check '$(SAM_PIN)'

.PHONY: lint-infra
lint-infra: $(CFN_LINT_STAMP) ## cfn-lint on the SAM template, and on what the SAM transform makes of it
	$(CFN_LINT) infra/template.yaml
	@mkdir -p .run
	$(VENV)/bin/python infra/lint/sam_translate.py infra/template.yaml .run/template.translated.json
	$(CFN_LINT) .run/template.translated.json

.PHONY: build
build: $(CARGO_LAMBDA) ## release builds of the fourteen functions for Lambda: target/lambda/*/bootstrap
	@target=$(if $(filter x86-64,$(ARCH)),x86_64,aarch64)-unknown-linux-gnu; \
	if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$$target"; then \
	  echo "the Rust standard library for $$target is not installed:" \
	       "run 'rustup target add $$target' (or build the other architecture: make build ARCH=x86-64)"; \
	  exit 1; \
	fi
	PATH="$(abspath $(VENV))/bin:$$PATH" cargo lambda build --release --$(ARCH) $(addprefix -p ,$(FUNCTIONS))
	@for f in $(FUNCTIONS); do \
	  printf '  %-22s %9s bytes  %s\n' "$$f" "$$(stat -c %s target/lambda/$$f/bootstrap)" \
	    "$$(file -b target/lambda/$$f/bootstrap 2>/dev/null | cut -d, -f1-2)"; \
	done

# The functions and the hello-world baseline in one release build (one profile, one feature
# set); criterion first, as a bench build may relink the package's binaries with its dev features.
# The release profile with its symbols, in a target directory of its own, for the start-up's
# profile under callgrind (the first build takes some minutes: every dependency is built again).
PROFILE_TARGET := target/profile-start
PROFILE_BUILD := CARGO_PROFILE_RELEASE_STRIP=false CARGO_PROFILE_RELEASE_DEBUG=1 CARGO_TARGET_DIR=$(PROFILE_TARGET)

.PHONY: bench
bench: $(MOTO_SERVER) browser console ## the console's costs, cold starts, sizes, round trips, finalization at scale, handler cost: BENCHMARKS.md
	cargo bench -p submit-claim --bench handler
	cargo build --release $(addprefix -p ,$(FUNCTIONS) cpor-hello)
	$(PROFILE_BUILD) cargo build --release $(addprefix -p ,$(FUNCTIONS) cpor-hello)
	cargo build --profile bench-tool -p cpor-bench
	# The console's costs in a browser: its first screen's weight, each screen's API requests
	rm -f target/test-output/console/costs.json
	CPOR_MOTO_SERVER=$(abspath $(MOTO_SERVER)) cargo test -p cpor-tests --test flows -- --exact \
		console_browser::a_list_or_queue_page_costs_one_api_request_and_the_first_screen_is_light
	CPOR_MOTO_SERVER=$(abspath $(MOTO_SERVER)) ./target/bench-tool/cpor-bench --command "make bench" \
		--profile-bin-dir $(PROFILE_TARGET)/release \
		--console-costs target/test-output/console/costs.json $(BENCH_ARGS)
	# 300 claims approved by reviewers under a fifth of AWS calls failing: each customer
	# e-mailed once, none held (the flow's default is 60)
	CPOR_FAULT_CLAIMS=300 CPOR_MOTO_SERVER=$(abspath $(MOTO_SERVER)) cargo test -p cpor-tests --test flows -- claims_approved_by_reviewers_under_faults --nocapture

.PHONY: profile-start
profile-start: ## the start-up path of FUNCTION (default notify-customer) beside the hello world's, under callgrind
	$(PROFILE_BUILD) cargo build --release -p cpor-hello -p $(or $(FUNCTION),notify-customer)
	cargo build -p cpor-bench
	./target/debug/cpor-bench --bin-dir $(PROFILE_TARGET)/release --profile $(or $(FUNCTION),notify-customer)

.PHONY: deploy
deploy: $(SAM) $(CARGO_LAMBDA) ## sam build + sam deploy to the AWS account of your environment, then the console's files (see docs/deploying.md; never in CI)
	cd infra && PATH="$(abspath $(VENV))/bin:$$PATH" $(abspath $(SAM)) build
	cd infra && $(abspath $(SAM)) deploy $(DEPLOY_ARGS)
	# The console: its built files (console/dist) and config.json to its bucket, its cache
	# invalidated (STACK=<name> when DEPLOY_ARGS names another stack than samconfig.toml's).
	$(SAM_VENV)/bin/python infra/deploy_console.py $(STACK)

.PHONY: clean
clean: ## remove build output and the tools' virtual environments
	cargo clean
	rm -rf $(VENV) $(SAM_VENV) infra/.aws-sam console/node_modules console/dist
