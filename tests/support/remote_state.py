"""Remote state in tests: the team's bucket in moto, and S3 stores of a stage on it, one per
"machine" (each with its own project folder, so nothing local is shared)."""

from __future__ import annotations

from pathlib import Path

import boto3

from tests.support.aws_fixtures import REGION
from wsdeploy.remote_state import Caller, S3State, parse_location
from wsdeploy.state import StateFile

BUCKET = "team-wsdeploy-state"
STATE = f"s3://{BUCKET}/chat"
OTHER_ACCOUNT = "111111111111"


def make_bucket(session: boto3.Session, name: str = BUCKET, account: str | None = None) -> None:
    """The bucket, owned by this account or, through an assumed role, by `account`."""
    client = session.client("s3")
    if account:
        role = session.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/owner",
                                                 RoleSessionName="owner")["Credentials"]
        client = boto3.client("s3", region_name=REGION, aws_access_key_id=role["AccessKeyId"],
                              aws_secret_access_key=role["SecretAccessKey"],
                              aws_session_token=role["SessionToken"],
                              endpoint_url=session.client("s3").meta.endpoint_url)
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})


def s3_store(aws, project: Path, stage: str = "dev", state: str = STATE) -> S3State:
    """The stage's store as a machine whose project folder is `project` opens it."""
    return S3State(aws, parse_location(state), stage,
                   lambda: Caller.of(aws.caller_arn()),
                   StateFile(project / ".wsdeploy", stage))
