"""schemathesis hooks for `make contract`: keep schema-valid requests valid where validity
depends on things a schema cannot say (today's date, a cursor the service issued, a link it
signed). Bearer tokens come from schemathesis.toml. Negative cases are left as generated."""

import datetime
import os
import uuid

import schemathesis
from schemathesis.generation import GenerationMode

# Cursors and an opt-out token the service issued to this run (infra/contract/run.sh).
CURSOR = os.environ.get("CONTRACT_CURSOR", "")
REVIEW_CURSOR = os.environ.get("CONTRACT_REVIEW_CURSOR", "")
TOKEN = os.environ.get("CONTRACT_OPT_OUT_TOKEN", "")


def _positive(case) -> bool:
    meta = case.meta
    return meta is not None and meta.generation.mode == GenerationMode.POSITIVE


def _recent_proof(proof) -> None:
    """`signed_on` must lie within the last 12 months, judged on the day of the run."""
    if isinstance(proof, dict) and isinstance(proof.get("signed_on"), str):
        try:
            datetime.date.fromisoformat(proof["signed_on"])
        except ValueError:
            return
        today = datetime.datetime.now(datetime.timezone.utc).date()
        proof["signed_on"] = (today - datetime.timedelta(days=30)).isoformat()


def _ledger_month(body) -> None:
    """A ledger's `month` must lie from 2026-01 (the service's first) to the month of the run."""
    month = body.get("month") if isinstance(body, dict) else None
    if not isinstance(month, str) or len(month) != 7:
        return
    current = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m")
    if not "2026-01" <= month <= current:
        body["month"] = current


# The partner's moves that carry a proof of execution: in the body's `proof_of_execution`, or as
# the body itself (`/proof`).
PROOF_IN_BODY = {
    "/v1/claims": "proof_of_execution",
    "/v1/claims/{claim_id}/respond": "proof_of_execution",
    "/v1/claims/{claim_id}/dispute": "proof_of_execution",
    "/v1/claims/{claim_id}/proof": None,
}


@schemathesis.hook
def before_call(context, case, kwargs):
    if not _positive(case):
        return
    path = case.operation.path
    method = case.method.upper()
    if method == "POST" and path in PROOF_IN_BODY and isinstance(case.body, dict):
        member = PROOF_IN_BODY[path]
        _recent_proof(case.body.get(member) if member else case.body)
    elif method == "POST" and path == "/v1/review/exports":
        _ledger_month(case.body)
    elif path == "/v1/claim-batches" and method == "POST":
        # A key opens one batch: the same key with another body is 422, as documented, so a
        # valid request is a new key. The rows' proofs are dated as a submission's.
        case.headers = dict(case.headers or {})
        case.headers["Idempotency-Key"] = f"contract-{uuid.uuid4().hex}"
        if isinstance(case.body, dict) and isinstance(case.body.get("claims"), list):
            for claim in case.body["claims"]:
                if isinstance(claim, dict):
                    _recent_proof(claim.get("proof_of_execution"))
    elif path == "/v1/claims" and method == "GET" and CURSOR:
        # A cursor is opaque: only the `next_cursor` of an earlier page is one.
        if isinstance(case.query, dict) and "cursor" in case.query:
            case.query["cursor"] = CURSOR
    elif path == "/v1/review/claims" and method == "GET" and REVIEW_CURSOR:
        if isinstance(case.query, dict) and "cursor" in case.query:
            case.query["cursor"] = REVIEW_CURSOR
    elif path == "/opt-out/{token}" and TOKEN and isinstance(case.path_parameters, dict):
        # About half of the valid cases (by the token's length, so runs repeat) open the real
        # link, so that the page itself is checked too.
        if len(str(case.path_parameters.get("token"))) % 2 == 0:
            case.path_parameters["token"] = TOKEN
