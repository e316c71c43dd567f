"""`wsdeploy policy`: the least-privilege IAM policy of the credentials that deploy a stage."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..provision.permissions import PolicyContext, policy_document
from ..remote_state import parse_location
from . import app
from .options import (CONFIG_OPTION, DEBUG_OPTION, PROFILE_OPTION, REGION_OPTION, STAGE_ARGUMENT,
                      examples)
from .render import print_result
from .stage import open_stage

POLICY_HELP = (
    "Print the IAM policy (JSON) that the credentials running `wsdeploy up`, `status`, `logs` "
    "and `down` for this stage need, and nothing more: its role, function, log group and, "
    "with connections on, its table, each by name; the region's WebSocket APIs (their ids are "
    "made by AWS; wsdeploy touches only those tagged as this stage's); the state bucket's "
    "objects of this stage when state is in S3. Attach it to the role your CI assumes.\n\n"
    "The account comes from the credentials, or --account.\n\n"
    + examples(("wsdeploy policy prod > deployer-policy.json", "the policy CI needs to deploy prod"),
               ("wsdeploy policy prod --account 123456789012", "for an account other than yours"))
)
PARTITIONS = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"))


@app.command("policy", help=POLICY_HELP,
             short_help="Print the least-privilege IAM policy that deploying a stage needs.")
def policy_command(
    stage: str = STAGE_ARGUMENT,
    config: Path = CONFIG_OPTION,
    profile: str = PROFILE_OPTION,
    region: str = REGION_OPTION,
    debug: bool = DEBUG_OPTION,
    account: str = typer.Option(None, "--account", metavar="ID",
                                help="The account the stage is deployed to (default: the credentials')."),
) -> None:
    opened = open_stage(config, stage, profile, region)
    region = opened.aws.region
    if account:
        partition = next((p for prefix, p in PARTITIONS if region.startswith(prefix)), "aws")
    else:
        identity = opened.aws.identity()
        account, partition = identity.account, identity.partition
    context = PolicyContext(opened.names, partition, account, opened.cfg.connections.enabled,
                            parse_location(opened.cfg.state), opened.cfg)
    print_result(json.dumps(policy_document(context), indent=2))
