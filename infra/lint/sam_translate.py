"""Translates infra/template.yaml with the SAM transform, offline, as CloudFormation would on
deploy, so that cfn-lint can check the resources SAM generates (routes, authorizer, event
source mapping, schedule rule, permissions), not only the SAM resources themselves.

usage: sam_translate.py TEMPLATE OUTPUT.json

CodeUri points at local source until `sam build`/`sam deploy` upload it; here it is replaced by
a placeholder S3 location, which is all the transform needs. No AWS account or network is used.
"""

import json
import os
import sys

from cfnlint.decode import decode
from samtranslator.translator.transform import transform


class NoManagedPolicies:
    """The template names no managed policy, so nothing needs looking up."""

    def load(self):
        return {}


def main(source: str, output: str) -> int:
    template, problems = decode(source)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://placeholder-bucket/placeholder-key"
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    parameters = {
        "JwtIssuer": "https://issuer.example.com",
        "JwtAudience": "cpor",
        "SenderEmail": "cpor@example.com",
    }
    translated = transform(template, parameters, NoManagedPolicies())
    with open(output, "w", encoding="utf-8") as out:
        json.dump(translated, out, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
