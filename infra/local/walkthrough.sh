#!/usr/bin/env bash
# Drives the whole contract of openapi.yaml against a running local stack (`make run`,
# review policy manual) with curl, printing each request's status and the interesting part of
# its answer: the partner API, the vendor's review (approve, request information and respond,
# reject and dispute, the nightly rejection of an unanswered request), the customer's page, a
# bounce and a corrected contact, an association ended by the customer.
# Usage: infra/local/walkthrough.sh [BASE_URL]   (default http://127.0.0.1:3000)
set -euo pipefail
BASE=${1:-http://127.0.0.1:3000}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CLI=${CPOR_LOCAL_BIN:-$ROOT/target/debug/cpor-local}
TODAY=$(date -u +%F)
SIGNED=$(date -u -d '30 days ago' +%F)
NEWER=$(date -u -d '2 days ago' +%F)

command -v curl >/dev/null || { echo "curl is needed" >&2; exit 2; }
curl -s -o /dev/null "$BASE/_local/outbox" || { echo "nothing answers at $BASE: start it with make run" >&2; exit 2; }

FABRIKAM=$("$CLI" token 1234567 incentives_admin)
NORTHWIND=$("$CLI" token 7654321 incentives_admin)
VIEWER=$("$CLI" token 1234567 incentives_user)
FORGED=$(CPOR_LOCAL_JWT_SECRET=not-the-secret "$CLI" token 1234567)
# Two of the vendor's reviewers (their tokens carry role cpor_reviewer and sub, no partner_id).
ALICE=$(make -s -C "$ROOT" token ROLE=cpor_reviewer REVIEWER=alice)
BOB=$(make -s -C "$ROOT" token ROLE=cpor_reviewer REVIEWER=bob)
TENANT=0f8fad5b-d9cb-469f-a165-70867728950e
# Fresh workloads each run, so the walk-through can be repeated on the same stack: it ends
# holding only the first (the concurrent claims' winner); it frees the others.
WORKLOADS=(exchange sharepoint onedrive teams intune entra-id defender m365-apps windows purview)
HOLDING='("submitted", "information_requested", "approved", "awaiting_customer", "associated")'

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
body() { # body WORKLOAD [TENANT] -> a claim body
  python3 - "$HERE/examples/claim.json" "$1" "${2:-$TENANT}" "$SIGNED" <<'PY'
import json, sys
b = json.load(open(sys.argv[1])); b["workload"] = sys.argv[2]; b["tenant_id"] = sys.argv[3]
b["proof_of_execution"]["signed_on"] = sys.argv[4]
print(json.dumps(b))
PY
}
step() { printf '\n== %s\n' "$*"; }
submit() { # submit TOKEN WORKLOAD -> the new claim's id
  curl -s -X POST "$BASE/v1/claims" -H "authorization: Bearer $1" -H 'content-type: application/json' \
    --data-binary "$(body "$2")" | json 'd["claim_id"]'
}
act() { # act METHOD PATH TOKEN [BODY] -> "STATUS" and the claim's status and review, or the problem
  local args=(-s -o /tmp/cpor-walk.body -w '%{http_code}' -X "$1" "$BASE$2" -H "authorization: Bearer $3")
  [ -n "${4:-}" ] && args+=(-H 'content-type: application/json' --data-binary "$4")
  local status; status=$(curl "${args[@]}")
  printf '%s %s\n' "$status" "$(python3 - <<'PY'
import json
d = json.load(open("/tmp/cpor-walk.body"))
if "code" in d and "detail" in d:
    print(d["code"], "| status:", d.get("status"), "|", d["detail"])
else:
    review = {k: v for k, v in d["review"].items() if v is not None}
    print("status:", d["status"], "| review:", review, "| e-mail:", d["customer_notification"]["status"])
PY
)"
}
history() { # history PATH TOKEN -> one line per history entry (reviewer ids only for reviewers)
  curl -s "$BASE$1" -H "authorization: Bearer $2" | python3 -c '
import json, sys
for e in json.load(sys.stdin)["history"]:
    print("   %d %-8s %-21s %s -> %s  code=%s  reviewer=%s" % (e["sequence"], e["actor"], e["event"],
          e["from"], e["to"], e["code"], e.get("reviewer", "(not shown)")))'
}
queue_row() { # queue_row CLAIM_ID -> the claim's place in the review queue's first page
  curl -s "$BASE/v1/review/claims?limit=100" -H "authorization: Bearer $ALICE" | python3 -c '
import json, sys
d = json.load(sys.stdin)
mine = [(i["status"], "review_due", i["review_due"], "overdue", i["overdue"]) for i in d["items"] if i["claim_id"] == sys.argv[1]]
print(len(d["items"]), "waiting on the first page, oldest first; this claim:", mine or "not on it")' "$1"
}
awaiting() { # awaiting CLAIM_ID TOKEN: waits (10 s at most) for the customer's e-mail to go out
  for _ in $(seq 1 50); do
    s=$(curl -s "$BASE/v1/claims/$1" -H "authorization: Bearer $2" | json 'd["status"]'); [ "$s" = awaiting_customer ] && break; sleep 0.2
  done
}
after() { # after INSTANT -> one second later
  python3 -c "import sys; from datetime import datetime, timedelta; print((datetime.fromisoformat(sys.argv[1].replace('Z', '+00:00')) + timedelta(seconds=1)).isoformat())" "$1"
}
call() { # call METHOD PATH TOKEN [BODY] [extra curl args...] -> prints "STATUS body"
  local method=$1 path=$2 token=$3 data=${4:-}; shift 4 || shift $#
  local args=(-s -o /tmp/cpor-walk.body -w '%{http_code}' -X "$method" "$BASE$path")
  [ -n "$token" ] && args+=(-H "authorization: Bearer $token")
  [ -n "$data" ] && args+=(-H 'content-type: application/json' --data-binary "$data")
  local status; status=$(curl "${args[@]}" "$@")
  printf '%s %s\n' "$status" "$(head -c 400 /tmp/cpor-walk.body)"
}

step "seed the reference data (twice: harmless)"
call POST /_local/seed "" "$(cat "$HERE/examples/seed.json")"
call POST /_local/seed "" "$(cat "$HERE/examples/seed.json")"

free=()
for w in "${WORKLOADS[@]}"; do
  count=$(curl -s "$BASE/v1/claims?workload=$w&tenant_id=$TENANT" -H "authorization: Bearer $FABRIKAM" | json "len([c for c in d['items'] if c['status'] in $HOLDING])")
  count2=$(curl -s "$BASE/v1/claims?workload=$w&tenant_id=$TENANT" -H "authorization: Bearer $NORTHWIND" | json "len([c for c in d['items'] if c['status'] in $HOLDING])")
  if [ "$count" = 0 ] && [ "$count2" = 0 ]; then free+=("$w"); [ ${#free[@]} = 5 ] && break; fi
done
[ ${#free[@]} = 5 ] || { echo "fewer than five workloads of the demo tenant are free; restart make run for a fresh stack" >&2; exit 1; }
W=${free[0]} W2=${free[1]} W3=${free[2]} W4=${free[3]} W5=${free[4]}
KEY="walk-$(date +%s%N)"

step "POST /v1/claims for $W: 201 with Location (Idempotency-Key $KEY)"
curl -s -D /tmp/cpor-walk.headers -o /tmp/cpor-walk.created -X POST "$BASE/v1/claims" \
  -H "authorization: Bearer $FABRIKAM" -H 'content-type: application/json' -H "idempotency-key: $KEY" --data-binary "$(body "$W")"
grep -iE '^(HTTP|location)' /tmp/cpor-walk.headers
ID=$(json 'd["claim_id"]' < /tmp/cpor-walk.created)
json 'd["status"], d["partner_name"]' < /tmp/cpor-walk.created
[ "$(json 'd["status"]' < /tmp/cpor-walk.created)" = submitted ] || {
  echo "the claim was not left for a reviewer: the walk-through needs the review policy manual (the default; CPOR_REVIEW_POLICY)" >&2; exit 2; }

step "the same key and body again: the first answer, nothing created"
call POST /v1/claims "$FABRIKAM" "$(body "$W")" -H "idempotency-key: $KEY"
step "the same key, another body: 422 idempotency_key_reused"
call POST /v1/claims "$FABRIKAM" "$(body exchange "$TENANT" | sed 's/Giulia/Giorgia/')" -H "idempotency-key: $KEY"

step "409 for another partner (names nobody), 409 with existing_claim_id for the holder"
call POST /v1/claims "$NORTHWIND" "$(body "$W")"
call POST /v1/claims "$FABRIKAM" "$(body "$W")"

step "refusals: 400 malformed_json, 400 validation_failed (every field), 401, 403, 413, 415, 422s"
call POST /v1/claims "$FABRIKAM" '{"oops'
call POST /v1/claims "$FABRIKAM" '{"tenant_id":"x","program":"osx","customer_contact":{"email":"nope"},"partner_id":"1"}'
call POST /v1/claims "" "$(body "$W")"
call POST /v1/claims "$FORGED" "$(body "$W")"
call POST /v1/claims "$VIEWER" "$(body "$W")"
python3 -c "import json; print(json.dumps({'pad': 'x'*70000}))" > /tmp/cpor-walk.big
call POST /v1/claims "$FABRIKAM" "$(cat /tmp/cpor-walk.big)"
call POST /v1/claims "$FABRIKAM" "" -H 'content-type: text/plain' --data-binary 'hello'
call POST /v1/claims "$NORTHWIND" "$(body power-bi | sed 's/osu-m365/osu-bizapps/; s/"subscription_id": null/"subscription_id": "11111111-2222-3333-4444-555555555555"/')"
call POST /v1/claims "$FABRIKAM" "$(body "$W" aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee)"
call POST /v1/claims "$FABRIKAM" "$(body "$W" 6b1e2f3a-4c5d-4e6f-8a9b-0c1d2e3f4a5b)"
call POST /v1/claims "$FABRIKAM" "$(body dynamics-finance | sed 's/osu-m365/osu-bizapps/; s/"subscription_id": null/"subscription_id": "11111111-2222-3333-4444-555555555555"/')"
echo "-- the customer contact at the partner's own domain: 422 contact_domain_mismatch"
call POST /v1/claims "$FABRIKAM" "$(body "$W" | sed 's/giulia@contoso.com/ops@fabrikam.com/')"

step "the claim waits for a reviewer (review policy manual); the review routes are the reviewers' only"
queue_row "$ID"
call GET "/v1/review/claims?status=approved&limit=0" "$ALICE"
call GET /v1/review/claims ""
call GET "/v1/review/claims/$ID" "$FABRIKAM"
call GET "/v1/claims/$ID" "$ALICE"
call GET /v1/review/claims/01JDX3Z8Q6V6W4S0Y1B2C3D4E5 "$ALICE"

step "alice approves it; bob, deciding a moment later, is told it has moved on"
act POST "/v1/review/claims/$ID/approve" "$ALICE" '{"comment": "proof of execution checked"}'
act POST "/v1/review/claims/$ID/approve" "$BOB" '{}'

step "the notification goes out within seconds"
awaiting "$ID" "$FABRIKAM"
curl -s "$BASE/v1/claims/$ID" -H "authorization: Bearer $FABRIKAM" | json 'd["status"], d["notified_at"], d["opt_out_deadline"]'
curl -s "$BASE/_local/outbox" > /tmp/cpor-walk.outbox
LINK=$(python3 -c "
import json,re,sys
ms=[m for m in json.load(open('/tmp/cpor-walk.outbox'))['messages'] if '/opt-out/$ID' in m['body']]
print(re.search(r'href=\"([^\"]+)\"', ms[-1]['body']).group(1))")
python3 -c "
import json; ms=[m for m in json.load(open('/tmp/cpor-walk.outbox'))['messages'] if '/opt-out/$ID' in m['body']]
print(len(ms), 'e-mail to', ms[-1]['to'], '|', ms[-1]['subject'])"
echo "link: $LINK"

step "GET /v1/claims (list, filters, pages), GET /v1/claims/{id} (history), 404s"
call GET "/v1/claims?limit=1" "$VIEWER"
call GET "/v1/claims?status=awaiting_customer&program=osu-m365&workload=$W&tenant_id=$TENANT" "$VIEWER"
call GET "/v1/claims?limit=500&status=nope" "$VIEWER"
history "/v1/claims/$ID" "$VIEWER"
call GET "/v1/claims/$ID" "$NORTHWIND"
call GET "/v1/claims/01JDX3Z8Q6V6W4S0Y1B2C3D4E5" "$FABRIKAM"

step "the customer's page: GET never decides (twice), then the decline"
curl -s "$LINK" -o /dev/null -w '%{http_code}\n'; curl -s "$LINK" | grep -oE 'data-state="[a-z_]+"|<form method="post"' | head -2
curl -s -o /dev/null -w 'unconfirmed: %{http_code} (nothing recorded)\n' -X POST "$LINK" -d action=decline
curl -s "$LINK" | grep -oE 'data-state="[a-z_]+"|<form method="post"' | head -2
curl -s -o /dev/null -w '%{http_code} -> %{redirect_url}\n' -X POST "$LINK" -d action=decline -d confirm=yes
curl -s "$LINK" | grep -oE 'data-state="[a-z_]+"'
curl -s -o /dev/null -w 'again: %{http_code}\n' -X POST "$LINK" -d action=decline -d confirm=yes
curl -s "$BASE/v1/claims/$ID" -H "authorization: Bearer $FABRIKAM" | json 'd["status"], len(d["history"])'
curl -s -o /dev/null -w 'forged link: %{http_code}\n' "${LINK%?}x"

step "review: information requested on a second claim ($W2); the partner responds with a newer proof; approved"
B=$(submit "$FABRIKAM" "$W2")
act POST "/v1/review/claims/$B/request-information" "$ALICE" '{"codes": ["nope"], "message": " "}'
act POST "/v1/review/claims/$B/request-information" "$ALICE" \
  '{"codes": ["missing_customer_signature"], "message": "Please send the statement of work countersigned by the customer."}'
act GET "/v1/claims/$B" "$FABRIKAM"
act POST "/v1/claims/$B/respond" "$FABRIKAM" \
  "{\"message\": \"Countersigned copy attached.\", \"proof_of_execution\": {\"reference\": \"SOW-4711-countersigned\", \"signed_on\": \"$NEWER\"}}"
act POST "/v1/claims/$B/respond" "$FABRIKAM" '{"message": "once more"}'
act POST "/v1/review/claims/$B/approve" "$BOB" '{}'
history "/v1/claims/$B" "$FABRIKAM"

step "review: a third claim ($W3) rejected; disputed within 30 days; the dispute approved once the unit is free"
C=$(submit "$FABRIKAM" "$W3")
act POST "/v1/review/claims/$C/reject" "$ALICE" '{"code": "no_response", "message": "a system code"}'
act POST "/v1/review/claims/$C/reject" "$ALICE" \
  '{"code": "insufficient_proof_of_execution", "message": "The statement of work does not name the workload."}'
act POST "/v1/review/claims/$C/approve" "$BOB" '{}'
act POST "/v1/claims/$C/withdraw" "$FABRIKAM" '{"reason": "not needed"}'
act POST "/v1/claims/$C/dispute" "$FABRIKAM" \
  "{\"justification\": \"Section 2 of the SOW names it.\", \"proof_of_execution\": {\"reference\": \"SOW-4711\", \"signed_on\": \"$SIGNED\"}}"
act POST "/v1/claims/$C/dispute" "$FABRIKAM" '{"justification": "Section 2 of the statement of work names the workload; page 3 attached."}'
act POST "/v1/claims/$C/dispute" "$FABRIKAM" '{"justification": "twice"}'
queue_row "$C"
echo "-- meanwhile Northwind claims the tenant+workload the rejection freed: approving the dispute changes nothing"
N3=$(submit "$NORTHWIND" "$W3")
act POST "/v1/review/claims/$C/approve" "$ALICE" '{}'
act GET "/v1/claims/$C" "$FABRIKAM"
act POST "/v1/claims/$N3/withdraw" "$NORTHWIND" '{"reason": "claimed by mistake"}'
act POST "/v1/review/claims/$C/approve" "$ALICE" '{"comment": "dispute upheld: the statement of work names the workload"}'
echo "-- the partner's history (no reviewer's identity), then the reviewers' (with it)"
history "/v1/claims/$C" "$FABRIKAM"
history "/v1/review/claims/$C" "$ALICE"

step "a second claim on $W, approved, finalized after its deadline; then disassociated"
ID2=$(submit "$NORTHWIND" "$W")
act POST "/v1/review/claims/$ID2/approve" "$BOB" '{}'
awaiting "$ID2" "$NORTHWIND"
DEADLINE=$(curl -s "$BASE/v1/claims/$ID2" -H "authorization: Bearer $NORTHWIND" | json 'd["opt_out_deadline"]')
AFTER=$(after "$DEADLINE")
call POST /_local/finalize "" "{\"now\": \"$AFTER\"}"
call POST /_local/finalize "" "{\"now\": \"$AFTER\"}"
curl -s "$BASE/v1/claims/$ID2" -H "authorization: Bearer $NORTHWIND" | json 'd["status"], d["decided_at"]'
call POST "/v1/claims/$ID2/withdraw" "$NORTHWIND" '{"reason": ""}'
call POST "/v1/claims/$ID2/withdraw" "$NORTHWIND" '{"reason": "the customer moved to another partner"}'
call POST "/v1/claims/$ID2/withdraw" "$NORTHWIND" '{"reason": "again"}'

step "an information request ($W4) left unanswered: the nightly run after response_due rejects it (no_response)"
D=$(submit "$FABRIKAM" "$W4")
act POST "/v1/review/claims/$D/request-information" "$BOB" \
  '{"codes": ["missing_proof_of_execution", "proof_of_execution_dates"], "message": "Please send a dated statement of work."}'
DUE=$(curl -s "$BASE/v1/claims/$D" -H "authorization: Bearer $FABRIKAM" | json 'd["review"]["response_due"]')
call POST /_local/finalize "" "{\"now\": \"$(after "$DUE")\"}"
act GET "/v1/claims/$D" "$FABRIKAM"
act POST "/v1/claims/$D/respond" "$FABRIKAM" '{"message": "too late"}'
history "/v1/claims/$D" "$FABRIKAM"

step "the customer's e-mail for $W5 bounces for good (SES's notification through SNS and SQS): silence is no consent"
# (a customer of its own: an earlier claim's "it is official" e-mail to the demo customer must not
# be the last e-mail to the address that bounces)
E=$(curl -s -X POST "$BASE/v1/claims" -H "authorization: Bearer $FABRIKAM" -H 'content-type: application/json' \
  --data-binary "$(body "$W5" | python3 -c 'import json,sys; b=json.load(sys.stdin); b["customer_contact"]["email"]="luca@contoso.com"; print(json.dumps(b))')" \
  | json 'd["claim_id"]')
act POST "/v1/review/claims/$E/approve" "$ALICE" '{}'
awaiting "$E" "$FABRIKAM"
OLD_LINK=$(curl -s "$BASE/_local/outbox" | python3 -c "
import json,re,sys
ms=[m for m in json.load(sys.stdin)['messages'] if '/opt-out/$E' in m['body']]
print(re.search(r'href=\"([^\"]+)\"', ms[-1]['body']).group(1))")
call POST /_local/ses-feedback "" '{"type": "bounce", "recipient": "luca@contoso.com"}'
call POST /_local/ses-feedback "" '{"type": "bounce", "recipient": "nobody@contoso.com"}'
for _ in $(seq 1 50); do
  s=$(curl -s "$BASE/v1/claims/$E" -H "authorization: Bearer $FABRIKAM" | json 'd["status"]'); [ "$s" = customer_unreachable ] && break; sleep 0.2
done
curl -s "$BASE/v1/claims/$E" -H "authorization: Bearer $FABRIKAM" | json 'd["status"], d["customer_notification"]'
DEADLINE=$(curl -s "$BASE/v1/claims/$E" -H "authorization: Bearer $FABRIKAM" | json 'd["opt_out_deadline"]')
echo "-- the nightly run after the window's deadline: it is not associated"
call POST /_local/finalize "" "{\"now\": \"$(after "$DEADLINE")\"}"
curl -s "$BASE/v1/claims/$E" -H "authorization: Bearer $FABRIKAM" | json 'd["status"]'

step "the partner corrects the contact: approved, e-mailed again with a new link; the old link is the 404 page"
act PUT "/v1/claims/$E/customer-contact" "$FABRIKAM" '{"name": "Marco Bianchi", "email": "marco@contoso.com", "locale": "it", "time_zone": "Europe/Rome"}'
act PUT "/v1/claims/$E/customer-contact" "$VIEWER" '{"name": "Marco Bianchi", "email": "marco@contoso.com"}'
act PUT "/v1/claims/$E/customer-contact" "$FABRIKAM" '{"name": "", "email": "not an address"}'
act PUT "/v1/claims/$E/customer-contact" "$FABRIKAM" '{"name": "Ops", "email": "ops@fabrikam.com"}'
awaiting "$E" "$FABRIKAM"
NEW_LINK=$(curl -s "$BASE/_local/outbox" | python3 -c "
import json,re,sys
ms=[m for m in json.load(sys.stdin)['messages'] if '/opt-out/$E' in m['body'] and m['to'] == ['marco@contoso.com']]
print(re.search(r'href=\"([^\"]+)\"', ms[-1]['body']).group(1))")
curl -s -o /dev/null -w 'old link: %{http_code}\n' "$OLD_LINK"
curl -s -o /dev/null -w 'new link: %{http_code}\n' "$NEW_LINK"
history "/v1/claims/$E" "$FABRIKAM"

step "official after the new window; the customer ends it from the same page"
DEADLINE=$(curl -s "$BASE/v1/claims/$E" -H "authorization: Bearer $FABRIKAM" | json 'd["opt_out_deadline"]')
call POST /_local/finalize "" "{\"now\": \"$(after "$DEADLINE")\"}"
curl -s "$NEW_LINK" | grep -oE 'data-state="[a-z_]+"|id="since"|<form method="post" class="decline" id="[a-z-]+"' | head -3
curl -s -o /dev/null -w 'unconfirmed: %{http_code} (nothing recorded)\n' -X POST "$NEW_LINK" -d action=end
curl -s "$BASE/v1/claims/$E" -H "authorization: Bearer $FABRIKAM" | json 'd["status"]'
curl -s -o /dev/null -w '%{http_code} -> %{redirect_url}\n' -X POST "$NEW_LINK" -d action=end -d confirm=yes
curl -s "$NEW_LINK" | grep -oE 'data-state="[a-z_]+"'
curl -s "$BASE/v1/claims/$E" -H "authorization: Bearer $FABRIKAM" | json 'd["status"], d["decided_at"], [e["event"] for e in d["history"]]'

step "the second and third claims disassociated, so that the walk-through can run again"
act POST "/v1/claims/$B/withdraw" "$FABRIKAM" '{"reason": "walk-through done"}'
act POST "/v1/claims/$C/withdraw" "$FABRIKAM" '{"reason": "walk-through done"}'

step "a contest: Fabrikam holds $W2; Northwind's plain claim is refused, its contest goes to arbitration"
D=$(submit "$FABRIKAM" "$W2")
act POST "/v1/review/claims/$D/approve" "$ALICE" '{}'
awaiting "$D" "$FABRIKAM"
CONTEST=$(body "$W2" | python3 -c '
import json, sys
b = json.load(sys.stdin); b["proof_of_execution"]["signed_on"] = sys.argv[1]
b["partner_contact"] = {"name": "Ana Diaz", "email": "ana@northwind.example"}
b["contest"] = {"justification": "We took over the Teams roll-out last month; newer statement of work."}
print(json.dumps(b))' "$NEWER")
call POST /v1/claims "$NORTHWIND" "$(echo "$CONTEST" | python3 -c 'import json,sys; b=json.load(sys.stdin); del b["contest"]; print(json.dumps(b))')"
E=$(curl -s -X POST "$BASE/v1/claims" -H "authorization: Bearer $NORTHWIND" -H 'content-type: application/json' \
  --data-binary "$CONTEST" | json 'd["claim_id"]')
act GET "/v1/claims/$E" "$NORTHWIND"
call POST /v1/claims "$NORTHWIND" "$CONTEST"

step "the holder was told of the contest (contest_received), naming no one"
history "/v1/claims/$D" "$FABRIKAM"

step "the reviewer sees the holder beside the contest, both proofs, and approves what they compared: the holder is superseded"
CASE=$(curl -s "$BASE/v1/review/claims/$E" -H "authorization: Bearer $ALICE")
echo "$CASE" | python3 -c '
import json, sys
d = json.load(sys.stdin); h = d["holder"]
print("contest:", d["status"], d["partner_name"], d["proof_of_execution"]["signed_on"])
print("holder: ", h["status"], h["partner_name"], h["proof_of_execution"]["signed_on"], "| contester_proof_is_newer:", h["contester_proof_is_newer"])
print("compared:", d["compared"])'
COMPARED=$(echo "$CASE" | json 'd["compared"]')
call POST "/v1/review/claims/$E/approve" "$ALICE" '{"comment": "no compared: refused"}'
act POST "/v1/review/claims/$E/approve" "$ALICE" "{\"comment\": \"newer signed SOW\", \"compared\": \"$COMPARED\"}"
act GET "/v1/claims/$D" "$FABRIKAM"
history "/v1/claims/$D" "$FABRIKAM"
awaiting "$E" "$NORTHWIND"
curl -s "$BASE/_local/outbox" | python3 -c "
import json, sys
m = [m for m in json.load(sys.stdin)['messages'] if '/opt-out/$E' in m['body']][-1]
print('the customer is e-mailed about the new partner:', m['to'], '|', m['subject'], '| names Northwind:', 'Northwind' in m['body'])"
act POST "/v1/claims/$E/withdraw" "$NORTHWIND" '{"reason": "walk-through done"}'

step "32 concurrent claims for one tenant+workload from two partners"
N=$(python3 - "$HERE/examples/claim.json" "$W" "$SIGNED" "$BASE" "$FABRIKAM" "$NORTHWIND" <<'PY'
import json, sys, urllib.request, concurrent.futures
b = json.load(open(sys.argv[1])); b["workload"] = sys.argv[2]; b["proof_of_execution"]["signed_on"] = sys.argv[3]
def post(i):
    req = urllib.request.Request(sys.argv[4] + "/v1/claims", data=json.dumps(b).encode(), method="POST",
        headers={"content-type": "application/json", "authorization": "Bearer " + sys.argv[5 + i % 2]})
    try:
        return urllib.request.urlopen(req).status
    except urllib.error.HTTPError as e:
        return e.code
with concurrent.futures.ThreadPoolExecutor(32) as pool:
    codes = list(pool.map(post, range(32)))
print({c: codes.count(c) for c in sorted(set(codes))})
PY
)
echo "status counts: $N"

step "pages: Fabrikam's claims one at a time, following next_cursor"
path="/v1/claims?limit=1"
while :; do
  page=$(curl -s "$BASE$path" -H "authorization: Bearer $VIEWER")
  echo "$page" | json '[(c["claim_id"], c["workload"], c["status"]) for c in d["items"]], "next_cursor:", d["next_cursor"]'
  cursor=$(echo "$page" | json 'd["next_cursor"] or ""')
  [ -n "$cursor" ] || break
  path="/v1/claims?limit=1&cursor=$cursor"
done

# ---------------------------------------------------------------- documents

step "documents: declare a PDF on one of Fabrikam's open claims, upload it with curl, wait until it counts"
DOC_CLAIM=$(curl -s "$BASE/v1/claims?limit=100" -H "authorization: Bearer $FABRIKAM" \
  | json 'next((c["claim_id"] for c in d["items"] if c["status"] not in ("declined", "withdrawn", "revoked", "superseded")), "")')
PDF=$(mktemp --suffix=.pdf)
printf '%%PDF-1.7\n%% cpor walk-through: a signed statement of work\n%%%%EOF\n' > "$PDF"
SIZE=$(stat -c %s "$PDF")
DECLARED=$(curl -s -X POST "$BASE/v1/claims/$DOC_CLAIM/documents" -H "authorization: Bearer $FABRIKAM" \
  -H 'content-type: application/json' \
  -d "{\"file_name\": \"SOW 4711.pdf\", \"content_type\": \"application/pdf\", \"size\": $SIZE}")
echo "$DECLARED" | json '{"document_id": d["document_id"], "method": d["upload"]["method"], "headers": d["upload"]["headers"], "expires_at": d["upload"]["expires_at"]}'
DOC=$(echo "$DECLARED" | json 'd["document_id"]')
URL=$(echo "$DECLARED" | json 'd["upload"]["url"]')
mapfile -t HEADERS < <(echo "$DECLARED" | json '"\n".join(f"-H\n{k}: {v}" for k, v in d["upload"]["headers"].items() if k.lower() != "content-length")')
curl -s -o /dev/null -w 'upload: %{http_code}\n' -T "$PDF" "${HEADERS[@]}" "$URL"
for _ in $(seq 1 50); do
  status=$(curl -s "$BASE/v1/claims/$DOC_CLAIM" -H "authorization: Bearer $FABRIKAM" \
    | json "next((x['status'] for x in d['documents'] if x['document_id'] == '$DOC'), '')")
  [ "$status" = uploaded ] && break
  sleep 0.2
done
curl -s "$BASE/v1/claims/$DOC_CLAIM" -H "authorization: Bearer $FABRIKAM" \
  | json "[(x['file_name'], x['status'], x['size']) for x in d['documents']], [e['event'] for e in d['history']][-1]"

step "documents: the download link (303), and the bytes back"
LOCATION=$(curl -s -o /dev/null -w '%{redirect_url}' "$BASE/v1/claims/$DOC_CLAIM/documents/$DOC" -H "authorization: Bearer $FABRIKAM")
curl -s "$LOCATION" -o "$PDF.back"
cmp -s "$PDF" "$PDF.back" && echo "downloaded $SIZE bytes: identical" || echo "downloaded bytes DIFFER"
rm -f "$PDF" "$PDF.back"

step "documents: a declared document never uploaded is removed (204); a counted one is not (409)"
PENDING=$(curl -s -X POST "$BASE/v1/claims/$DOC_CLAIM/documents" -H "authorization: Bearer $FABRIKAM" \
  -H 'content-type: application/json' \
  --data-binary '{"file_name": "draft.pdf", "content_type": "application/pdf", "size": 1024}' | json 'd["document_id"]')
call DELETE "/v1/claims/$DOC_CLAIM/documents/$PENDING" "$FABRIKAM"
call DELETE "/v1/claims/$DOC_CLAIM/documents/$DOC" "$FABRIKAM"

step "events: what the bus delivered for the document's claim (one per history entry, oldest first)"
ENTRIES=$(curl -s "$BASE/v1/claims/$DOC_CLAIM" -H "authorization: Bearer $FABRIKAM" | json 'len(d["history"])')
for _ in $(seq 1 50); do
  published=$(curl -s "$BASE/_local/events" \
    | json "sum(1 for e in d['events'] if e['detail']['claim_id'] == '$DOC_CLAIM')")
  [ "$published" -ge "$ENTRIES" ] && break
  sleep 0.2
done
curl -s "$BASE/_local/events" \
  | json "[(e['detail-type'], e['detail']['event_id']) for e in d['events'] if e['detail']['claim_id'] == '$DOC_CLAIM']"
