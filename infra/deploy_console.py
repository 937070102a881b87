"""`make deploy`'s last step: puts the built console (console/dist) in the stack's console
bucket, writes its config.json from the stack's outputs, and invalidates the console's
distribution's cache.

usage: deploy_console.py [STACK_NAME]   (default: infra/samconfig.toml's stack_name)

Run with the SAM CLI's Python (its boto3), with the AWS credentials and region of the
environment, after `sam deploy`. It never runs in CI (it refuses when `CI` is set).

A stack deployed without `ConsoleOrigin` allows no browser origin: the first time, the script
sets the parameter to the console's distribution's own domain (https://<domain>) in a stack
update that keeps every other parameter and the template as they are, and waits for it. A custom
domain is given as the parameter instead (docs/deploying.md, "The console").

The files go under console/ (the console is served at /console/), each with its type; the
hashed assets may be cached for a year, everything else is revalidated (index.html, config.json).
Files of an earlier build that this one lacks are removed.
"""

import json
import mimetypes
import os
import pathlib
import sys
import time
import tomllib

import boto3

ROOT = pathlib.Path(__file__).resolve().parent.parent
DIST = ROOT / "console" / "dist"
PREFIX = "console/"
# Vite (and most bundlers) put content-hashed files under assets/: their names change with
# their bytes, so a browser may keep them.
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def default_stack():
    """The stack `sam deploy` deploys unless told otherwise."""
    with open(ROOT / "infra" / "samconfig.toml", "rb") as samconfig:
        return tomllib.load(samconfig)["default"]["global"]["parameters"]["stack_name"]


def outputs(cloudformation, stack):
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o.get("OutputValue", "") for o in described.get("Outputs", [])}


def allow_console_origin(cloudformation, stack, origin):
    """Updates the stack with ConsoleOrigin = origin, everything else as it is."""
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    parameters = [
        {"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
        for p in described.get("Parameters", [])
        if p["ParameterKey"] != "ConsoleOrigin"
    ]
    parameters.append({"ParameterKey": "ConsoleOrigin", "ParameterValue": origin})
    print(f"==> allowing the console's origin {origin} (a stack update)")
    cloudformation.update_stack(
        StackName=stack,
        UsePreviousTemplate=True,
        Parameters=parameters,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    cloudformation.get_waiter("stack_update_complete").wait(
        StackName=stack, WaiterConfig={"Delay": 15, "MaxAttempts": 120}
    )


def config(out):
    """What the console reads at start-up: where the API is, and each identity provider."""
    return {
        "api_base_url": out["ApiUrl"],
        "partner": {"issuer": out["PartnerIssuer"], "client_id": out["PartnerConsoleClientId"]},
        "reviewer": {"issuer": out["ReviewerIssuer"], "client_id": out["ReviewerConsoleClientId"]},
    }


def upload(s3, bucket, out):
    files = sorted(p for p in DIST.rglob("*") if p.is_file())
    keys = set()
    for path in files:
        relative = path.relative_to(DIST).as_posix()
        if relative == "config.json":
            continue  # written below, from the stack
        key = PREFIX + relative
        keys.add(key)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        cache = IMMUTABLE if relative.startswith("assets/") else REVALIDATE
        s3.upload_file(
            str(path), bucket, key, ExtraArgs={"ContentType": content_type, "CacheControl": cache}
        )
    key = PREFIX + "config.json"
    keys.add(key)
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(config(out), indent=2).encode(),
        ContentType="application/json",
        CacheControl=REVALIDATE,
    )
    stale = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=PREFIX):
        stale += [{"Key": o["Key"]} for o in page.get("Contents", []) if o["Key"] not in keys]
    for start in range(0, len(stale), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": stale[start : start + 1000]})
    print(f"==> {len(keys)} files in s3://{bucket}/{PREFIX} ({len(stale)} stale removed)")


def invalidate(cloudfront, distribution):
    cloudfront.create_invalidation(
        DistributionId=distribution,
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/console/*"]},
            "CallerReference": f"deploy-{time.time_ns()}",
        },
    )
    print(f"==> invalidated /console/* on distribution {distribution}")


def main(argv):
    if os.environ.get("CI"):
        print("deploy_console.py deploys to AWS: never in CI", file=sys.stderr)
        return 2
    stack = argv[1] if len(argv) > 1 and argv[1] else default_stack()
    if not (DIST / "index.html").is_file():
        print(f"no built console in {DIST}: build it first (console/)", file=sys.stderr)
        return 1
    cloudformation = boto3.client("cloudformation")
    out = outputs(cloudformation, stack)
    if not out.get("ConsoleOrigin"):
        allow_console_origin(
            cloudformation, stack, "https://" + out["ConsoleDistributionDomainName"]
        )
        out = outputs(cloudformation, stack)
    upload(boto3.client("s3"), out["ConsoleBucketName"], out)
    invalidate(boto3.client("cloudfront"), out["ConsoleDistributionId"])
    print(f"==> the console: {out['ConsoleUrl']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
