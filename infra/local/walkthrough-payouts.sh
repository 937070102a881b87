#!/usr/bin/env bash
# Associations as incentives use them, against a running local stack (`make run`, review
# policy manual), with curl: a Dynamics 365 association made official and then ended by its
# subscription (expired, the unit free, the partner's e-mail), the partner of record asked at
# three instants, a batch of 5 rows with 2 refused, a partner's export and the vendor's payout
# ledger, downloaded and printed. Each run uses a fresh tenant, so it can be repeated.
# Usage: infra/local/walkthrough-payouts.sh [BASE_URL]   (default http://127.0.0.1:3000)
set -euo pipefail
BASE=${1:-http://127.0.0.1:3000}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CLI=${CPOR_LOCAL_BIN:-$ROOT/target/debug/cpor-local}
SIGNED=$(date -u -d '30 days ago' +%F)

command -v curl >/dev/null || { echo "curl is needed" >&2; exit 2; }
curl -s -o /dev/null "$BASE/_local/outbox" || { echo "nothing answers at $BASE: start it with make run" >&2; exit 2; }

FABRIKAM=$("$CLI" token 1234567 incentives_admin)
ALICE=$("$CLI" token alice cpor_reviewer)
TENANT=$(python3 -c 'import uuid; print(uuid.uuid4())')
SUBSCRIPTION=$(python3 -c 'import uuid; print(uuid.uuid4())')
DOMAIN="walk-${TENANT:0:8}.example"

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
step() { printf '\n== %s\n' "$*"; }
get() { curl -s "$BASE$1" -H "authorization: Bearer $2"; }
post() { curl -s -X POST "$BASE$1" -H "authorization: Bearer $2" -H 'content-type: application/json' --data-binary "$3"; }
seed() { # seed STATE [ENDED_AT]: the walk's tenant, its Dynamics 365 Sales subscription in STATE
  local ended=""; [ -n "${2:-}" ] && ended=", \"ended_at\": \"$2\""
  curl -s -o /dev/null -w 'seed: %{http_code}\n' -X POST "$BASE/_local/seed" -H 'content-type: application/json' --data-binary \
    "{\"tenants\": [{\"tenant_id\": \"$TENANT\", \"domains\": [\"$DOMAIN\"], \"subscriptions\": [{\"subscription_id\": \"$SUBSCRIPTION\", \"workload\": \"dynamics-sales\", \"state\": \"$1\"$ended}]}]}"
}
finalize() { # finalize AT: the nightly run as of AT; prints its summary
  curl -s -X POST "$BASE/_local/finalize" -H 'content-type: application/json' --data-binary "{\"now\": \"$1\"}" \
    | json '{k: d[k] for k in ("finalized", "subscription_ends") if k in d}'
}
wait_for() { # wait_for CLAIM STATUS (10 s at most)
  for _ in $(seq 1 50); do
    [ "$(get "/v1/claims/$1" "$FABRIKAM" | json 'd["status"]')" = "$2" ] && return; sleep 0.2
  done
  echo "claim $1 did not reach $2" >&2; exit 1
}
owner_at() { # owner_at AT: the partner of record of the walk's subscription at AT
  printf '   at %s: ' "$1"
  curl -s "$BASE/v1/review/partner-of-record?tenant_id=$TENANT&subscription_id=$SUBSCRIPTION&at=$1" \
    -H "authorization: Bearer $ALICE" | json 'd.get("code") or (d["partner_name"], d["claim_id"], d["effective_from"], d["effective_until"])'
}
exported() { # exported PATH TOKEN BODY: asks for an export, waits until ready, prints its file
  local id; id=$(post "$1" "$2" "$3" | json 'd["export_id"]')
  local export
  for _ in $(seq 1 100); do
    export=$(get "$1/$id" "$2"); [ "$(echo "$export" | json 'd["status"]')" != running ] && break; sleep 0.2
  done
  echo "$export" | json '{k: d.get(k) for k in ("export_id", "kind", "status", "rows", "expires_at")}' >&2
  curl -s "$(echo "$export" | json 'd["download_url"]')"
}

step "the directory: a tenant with an active Dynamics 365 Sales subscription"
seed active

step "a Dynamics 365 claim, approved by a reviewer, made official by the nightly run"
CLAIM=$(post /v1/claims "$FABRIKAM" "$(python3 - "$TENANT" "$DOMAIN" "$SUBSCRIPTION" "$SIGNED" <<'PY'
import json, sys
tenant, domain, subscription, signed = sys.argv[1:]
print(json.dumps({
    "tenant_id": tenant, "customer_domain": domain, "program": "osu-bizapps",
    "workload": "dynamics-sales", "subscription_id": subscription,
    "customer_contact": {"name": "Dana Walk", "email": "dana@" + domain},
    "partner_contact": {"name": "Sam Lee", "email": "sam@fabrikam.com"},
    "proof_of_execution": {"reference": "SOW-WALK", "signed_on": signed}}))
PY
)" | json 'd["claim_id"]')
post "/v1/review/claims/$CLAIM/approve" "$ALICE" '{}' | json 'd["status"]'
wait_for "$CLAIM" awaiting_customer
DEADLINE=$(get "/v1/claims/$CLAIM" "$FABRIKAM" | json 'd["opt_out_deadline"]')
OFFICIAL=$(date -u -d "$DEADLINE + 1 hour" +%FT%T.000Z)
finalize "$OFFICIAL"
get "/v1/claims/$CLAIM" "$FABRIKAM" | json '(d["status"], d["association"])'
FROM=$(get "/v1/claims/$CLAIM" "$FABRIKAM" | json 'd["association"]["effective_from"]')

step "the directory says the subscription ended; the next night ends the association"
ENDED=$(date -u -d "$OFFICIAL + 1 hour" +%FT%T.000Z)
NIGHT=$(date -u -d "$OFFICIAL + 1 day" +%FT%T.000Z)
seed ended "$ENDED"
finalize "$NIGHT"
get "/v1/claims/$CLAIM" "$FABRIKAM" | json '(d["status"], d["history"][-1]["event"], d["history"][-1]["code"], d["association"])'
echo "the unit is free (no lock), and an ended subscription may not be claimed again:"
post /v1/claims "$FABRIKAM" "$(get "/v1/claims/$CLAIM" "$FABRIKAM" | python3 -c '
import json, sys
c = json.load(sys.stdin)
print(json.dumps({k: c[k] for k in ("tenant_id", "customer_domain", "program", "workload", "subscription_id")}
      | {"customer_contact": {"name": "Dana Walk", "email": c["customer_contact"]["email"]},
         "partner_contact": {"name": "Sam Lee", "email": "sam@fabrikam.com"},
         "proof_of_execution": c["proof_of_execution"]}))')" | json '(d["status"], d["code"])'
echo "the partner's e-mail:"
for _ in $(seq 1 50); do
  told=$(curl -s "$BASE/_local/outbox" | json "[m['subject'] for m in d['messages'] if m['to'][0] == 'sam@fabrikam.com' and 'has ended' in m['subject'] and '$DOMAIN' in m['subject']]")
  [ "$told" != "[]" ] && break; sleep 0.2
done
echo "   $told"

step "the partner of record of that subscription at three instants"
owner_at "$(date -u -d "$FROM - 1 second" +%FT%T.000Z)"
owner_at "$OFFICIAL"
owner_at "$NIGHT"

step "a batch of 5 rows (CSV), 2 refused: processed in the background, each row as POST /v1/claims"
CSV=$(python3 - "$TENANT" "$DOMAIN" "$SIGNED" <<'PY'
import sys
tenant, domain, signed = sys.argv[1:]
head = "tenant_id,customer_domain,program,workload,customer_contact.name,customer_contact.email,partner_contact.name,partner_contact.email,proof_of_execution.reference,proof_of_execution.signed_on"
row = lambda workload, email, t=tenant: f"{t},{domain},osu-m365,{workload},Dana Walk,{email},Sam Lee,sam@fabrikam.com,SOW-B,{signed}"
rows = [row("teams", "dana@" + domain), row("exchange", "dana@" + domain), row("intune", "dana@" + domain),
        row("sharepoint", "dana@elsewhere.example"),           # not the tenant's address: 422
        row("onedrive", "dana@" + domain, "not-a-tenant-id")]  # not a GUID: 400
print("\r\n".join([head] + rows))
PY
)
BATCH=$(curl -s -X POST "$BASE/v1/claim-batches" -H "authorization: Bearer $FABRIKAM" -H 'content-type: text/csv' \
  -H "idempotency-key: walk-$TENANT" --data-binary "$CSV" | json 'd["batch_id"]')
for _ in $(seq 1 100); do
  [ "$(get "/v1/claim-batches/$BATCH" "$FABRIKAM" | json 'd["status"]')" = done ] && break; sleep 0.2
done
get "/v1/claim-batches/$BATCH" "$FABRIKAM" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("  ", d["status"], "rows", d["rows"], "accepted", d["accepted"], "refused", d["refused"])
for r in d["results"]:
    print("   row", r["row"], r.get("status") or (r["problem"]["status"], r["problem"]["code"], [e["field"] for e in r["problem"].get("errors", [])]))'

step "a partner's export of its claims (CSV), downloaded"
exported /v1/exports "$FABRIKAM" '{"kind": "claims", "program": "osu-bizapps", "format": "csv"}' \
  | cut -d, -f1,7-9 | head -5

step "the vendor's payout ledger of the association's month (CSV), downloaded"
MONTH=${FROM:0:7}
exported /v1/review/exports "$ALICE" "{\"kind\": \"associations\", \"month\": \"$MONTH\", \"program\": \"osu-bizapps\", \"format\": \"csv\"}" \
  | awk -v claim="$CLAIM" 'NR == 1 || index($0, claim)'
