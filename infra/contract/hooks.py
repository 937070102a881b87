"""schemathesis hooks for `make contract`: keep schema-valid requests valid where validity
depends on things a schema cannot say (today's date, a cursor the service issued, a link it
signed). Negative cases are left as generated."""

import datetime
import os

import schemathesis
from schemathesis.generation import GenerationMode

# Cursors and an opt-out token the service issued to this run, and a reviewer's bearer token
# (infra/contract/run.sh).
CURSOR = os.environ.get("CONTRACT_CURSOR", "")
REVIEW_CURSOR = os.environ.get("CONTRACT_REVIEW_CURSOR", "")
TOKEN = os.environ.get("CONTRACT_OPT_OUT_TOKEN", "")
REVIEWER_TOKEN = os.environ.get("CONTRACT_REVIEWER_TOKEN", "")


def _positive(case) -> bool:
    meta = case.meta
    return meta is not None and meta.generation.mode == GenerationMode.POSITIVE


def _is_review(path: str) -> bool:
    return path == "/v1/review/claims" or path.startswith("/v1/review/claims/")


@schemathesis.hook
def before_call(context, case, kwargs):
    path = case.operation.path
    # The review routes take a reviewer's token in place of the partner admin's (run.sh sends
    # that one on every request); a case that leaves the header out, or names its own, keeps it.
    headers = kwargs.get("headers")
    if _is_review(path) and REVIEWER_TOKEN and isinstance(headers, dict):
        for name in list(headers):
            if name.lower() == "authorization" and headers[name].startswith("Bearer "):
                headers[name] = f"Bearer {REVIEWER_TOKEN}"
    if not _positive(case):
        return
    if path == "/v1/claims" and case.method.upper() == "POST" and isinstance(case.body, dict):
        # `signed_on` must lie within the last 12 months, judged on the day of the run.
        proof = case.body.get("proof_of_execution")
        if isinstance(proof, dict) and isinstance(proof.get("signed_on"), str):
            try:
                datetime.date.fromisoformat(proof["signed_on"])
            except ValueError:
                return
            today = datetime.datetime.now(datetime.timezone.utc).date()
            proof["signed_on"] = (today - datetime.timedelta(days=30)).isoformat()
    elif path == "/v1/claims" and case.method.upper() == "GET" and CURSOR:
        # A cursor is opaque: only the `next_cursor` of an earlier page is one.
        if isinstance(case.query, dict) and "cursor" in case.query:
            case.query["cursor"] = CURSOR
    elif path == "/v1/review/claims" and case.method.upper() == "GET" and REVIEW_CURSOR:
        if isinstance(case.query, dict) and "cursor" in case.query:
            case.query["cursor"] = REVIEW_CURSOR
    elif path == "/opt-out/{token}" and TOKEN and isinstance(case.path_parameters, dict):
        # About half of the valid cases (by the token's length, so runs repeat) open the real
        # link, so that the page itself is checked too.
        if len(str(case.path_parameters.get("token"))) % 2 == 0:
            case.path_parameters["token"] = TOKEN
