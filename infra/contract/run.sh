#!/usr/bin/env bash
# `make contract`: checks the running service against openapi.yaml with schemathesis.
#
# Starts the local stack (emulator included) on free loopback ports, waits until it answers,
# seeds the reference data, mints an admin's and a reviewer's tokens, runs schemathesis against
# the partner API, the review API and the customer pages, and stops everything it started on
# exit, success or failure.
#
# Environment: CONTRACT_EXAMPLES (examples per operation and phase, default 40),
# CONTRACT_SEED (the generation seed, default fixed so that runs repeat), CONTRACT_ARGS (more
# schemathesis options).
set -euo pipefail
cd "$(dirname "$0")/../.."

SCHEMATHESIS=.venv/bin/schemathesis
STACK=./target/debug/cpor-local
LOG_DIR=.run/contract
mkdir -p "$LOG_DIR"
# Hypothesis (under schemathesis) keeps its own files; they belong with the run's, not in the tree.
export HYPOTHESIS_STORAGE_DIRECTORY="$LOG_DIR/hypothesis"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

GATEWAY_PORT=$(free_port)
EMULATOR_PORT=$(free_port)
while [ "$EMULATOR_PORT" = "$GATEWAY_PORT" ]; do EMULATOR_PORT=$(free_port); done
BASE="http://127.0.0.1:$GATEWAY_PORT"

stack_pid=""
stop_stack() {
    if [ -n "$stack_pid" ] && kill -0 "$stack_pid" 2>/dev/null; then
        echo "==> stopping the local stack (pid $stack_pid)"
        # SIGINT is the stack's Ctrl-C: it stops the gateway and its emulator, then exits.
        kill -INT "$stack_pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$stack_pid" 2>/dev/null || break
            sleep 0.1
        done
        # Still there: end it; the emulator stops with it (it is tied to its parent's life).
        if kill -0 "$stack_pid" 2>/dev/null; then
            kill -TERM "$stack_pid" 2>/dev/null || true
        fi
        wait "$stack_pid" 2>/dev/null || true
    fi
}
trap stop_stack EXIT
trap 'exit 130' INT TERM

# schemathesis drives the API much faster than a partner's tool: no per-partner budget here.
echo "==> starting the local stack on $BASE (emulator on 127.0.0.1:$EMULATOR_PORT; log $LOG_DIR/stack.log)"
CPOR_LOCAL_ADDR="127.0.0.1:$GATEWAY_PORT" \
CPOR_EMULATOR_PORT="$EMULATOR_PORT" \
CPOR_LOCAL_FINALIZE_EVERY=0 \
CPOR_PARTNER_REQUESTS_PER_SECOND=100000 \
RUST_LOG="${RUST_LOG:-warn}" \
    "$STACK" run >"$LOG_DIR/stack.log" 2>&1 &
stack_pid=$!

for i in $(seq 1 240); do
    if curl -fsS -o /dev/null "$BASE/_local/outbox" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$stack_pid" 2>/dev/null; then
        echo "the local stack stopped while starting; its log:" >&2
        cat "$LOG_DIR/stack.log" >&2
        exit 1
    fi
    if [ "$i" = 240 ]; then
        echo "the local stack did not answer on $BASE within 120 s; log: $LOG_DIR/stack.log" >&2
        exit 1
    fi
    sleep 0.5
done

echo "==> seeding the reference data"
curl -fsS -X POST "$BASE/_local/seed" -H 'content-type: application/json' \
    --data-binary @infra/local/examples/seed.json

TOKEN=$("$STACK" token 1234567 incentives_admin)
# The review routes are the reviewers' (the hooks send this token on those).
CONTRACT_REVIEWER_TOKEN=$("$STACK" token contract-reviewer cpor_reviewer)

# Data a schema cannot invent: three claims in review (the stack runs the manual review
# policy), one of them approved so that its customer is e-mailed an opt-out link, and the
# cursors of a next page of the partner's claims and of the review queue (the hooks hand them
# to the generated requests).
echo "==> submitting three claims and approving one, for cursors and an opt-out link"
signed_on=$(date -u -d '30 days ago' +%F)
claim_ids=()
for workload in teams exchange intune; do
    claim_ids+=("$(sed -e "s/\"teams\"/\"$workload\"/" -e "s/\"signed_on\": \"[0-9-]*\"/\"signed_on\": \"$signed_on\"/" \
        infra/local/examples/claim.json |
        curl -fsS -X POST "$BASE/v1/claims" -H "authorization: Bearer $TOKEN" \
            -H 'content-type: application/json' --data-binary @- |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["claim_id"])')")
done
curl -fsS -o /dev/null -X POST "$BASE/v1/review/claims/${claim_ids[0]}/approve" \
    -H "authorization: Bearer $CONTRACT_REVIEWER_TOKEN" -H 'content-type: application/json' \
    --data-binary '{}'
CONTRACT_CURSOR=$(curl -fsS "$BASE/v1/claims?limit=1" -H "authorization: Bearer $TOKEN" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["next_cursor"] or "")')
CONTRACT_REVIEW_CURSOR=$(curl -fsS "$BASE/v1/review/claims?limit=1" \
    -H "authorization: Bearer $CONTRACT_REVIEWER_TOKEN" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["next_cursor"] or "")')
CONTRACT_OPT_OUT_TOKEN=""
for _ in $(seq 1 100); do
    CONTRACT_OPT_OUT_TOKEN=$(curl -fsS "$BASE/_local/outbox" | python3 -c '
import json, re, sys
for m in json.load(sys.stdin)["messages"]:
    found = re.search(r"/opt-out/([A-Za-z0-9._-]+)", m["body"])
    if found:
        print(found.group(1))
        break')
    [ -n "$CONTRACT_OPT_OUT_TOKEN" ] && break
    sleep 0.2
done
if [ -z "$CONTRACT_CURSOR" ] || [ -z "$CONTRACT_REVIEW_CURSOR" ] || [ -z "$CONTRACT_OPT_OUT_TOKEN" ]; then
    echo "could not get the cursors and an opt-out link from the stack; log: $LOG_DIR/stack.log" >&2
    exit 1
fi
# The bearer tokens reach schemathesis through schemathesis.toml's [auth.openapi.*], each for the
# routes whose security scheme names it (bearerAuth: the partner admin's; reviewerAuth: the reviewer's).
CONTRACT_PARTNER_TOKEN=$TOKEN
export CONTRACT_CURSOR CONTRACT_REVIEW_CURSOR CONTRACT_OPT_OUT_TOKEN CONTRACT_REVIEWER_TOKEN CONTRACT_PARTNER_TOKEN

echo "==> schemathesis $("$SCHEMATHESIS" --version | awk '{print $NF}') against $BASE"
# shellcheck disable=SC2086
set +e
"$SCHEMATHESIS" --no-color --config-file infra/contract/schemathesis.toml run openapi.yaml \
    --url "$BASE" \
    --exclude-tag local \
    --max-examples "${CONTRACT_EXAMPLES:-40}" \
    --seed "${CONTRACT_SEED:-4711}" \
    --workers "${CONTRACT_WORKERS:-1}" \
    --report junit --report-dir "$LOG_DIR" \
    ${CONTRACT_ARGS:-} | tee "$LOG_DIR/schemathesis.log"
status=${PIPESTATUS[0]}
set -e
stop_stack

# One closing line in the plain form CI reads: test cases passed and failed.
python3 - "$LOG_DIR/schemathesis.log" "$status" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
cases = re.search(r"(\d+) generated, (?:(\d+) passed|(\d+) found)", text)
generated = int(cases.group(1)) if cases else 0
failed = int(cases.group(3)) if cases and cases.group(3) else 0
if sys.argv[2] != "0" and failed == 0:
    failed = 1  # the run failed before counting (an error, not a finding)
print(f"contract: {generated - failed} passed, {failed} failed")
PY
exit "$status"
