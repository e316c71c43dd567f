"""The IAM role and wsdeploy's inline policy on it."""

from __future__ import annotations

from ..app_policy import APP_POLICY_NAME
from ..desired import ROLE_POLICY_NAME, document_hash, role_policy, trust_policy
from ..errors import AlreadyExists, AwsCallError
from ..ownership import require_tags
from ..run import Run
from ..steps import Action, Step


def _role_record(arn: str) -> dict:
    return {"name": arn.rsplit("/", 1)[-1], "arn": arn, "trust_sha256": document_hash(trust_policy())}


def create_role(run: Run, step: Step) -> None:
    try:
        role = run.aws.create_role(run.d.name, trust_policy(), run.d.tags)
    except AlreadyExists:
        role = run.aws.get_role(run.d.name)
        if role is None:
            raise
        require_tags("role", run.d.name, role.tags, run.d)
        if document_hash(role.trust) != document_hash(trust_policy()):
            run.aws.update_trust(run.d.name, trust_policy())
    run.learn_identity(role.arn)
    run.put("role", _role_record(role.arn))


def update_role(run: Run, step: Step) -> None:
    run.aws.update_trust(run.d.name, trust_policy())
    run.put("role", _role_record(run.role_arn))


def adopt_role(run: Run, step: Step) -> None:
    seen = run.observed.role
    run.learn_identity(seen.arn)
    run.put("role", {"name": run.d.name, "arn": seen.arn, "trust_sha256": seen.trust_sha256})


def put_role_policy(run: Run, step: Step) -> None:
    document = role_policy(run.d, run.partition, run.account, run.api_id)
    run.aws.put_role_policy(run.d.name, ROLE_POLICY_NAME, document)
    run.put("role_policy", {"name": ROLE_POLICY_NAME, "sha256": document_hash(document)})


def adopt_role_policy(run: Run, step: Step) -> None:
    run.put("role_policy", {"name": ROLE_POLICY_NAME, "sha256": run.observed.role_policy.sha256})


def delete_role(run: Run, step: Step) -> None:
    try:
        run.aws.delete_role(run.d.name)
    except AwsCallError as error:
        if error.code != "DeleteConflict":
            raise
        try:   # the app's own inline policy, when no record named it (a lost state file)
            run.aws.delete_role_policy(run.d.name, APP_POLICY_NAME)
            run.aws.delete_role(run.d.name)
            return
        except AwsCallError as again:
            if again.code != "DeleteConflict":
                raise
            error = again
        raise AwsCallError(error.operation, error.code,
                           f"{error.message} (policies were attached to the role by hand: "
                           "detach them in the IAM console, then run `wsdeploy down` again)") from None


def delete_role_policy(run: Run, step: Step) -> None:
    run.aws.delete_role_policy(run.d.name, ROLE_POLICY_NAME)


ROLE = {Action.CREATE: create_role, Action.UPDATE: update_role, Action.ADOPT: adopt_role,
        Action.DELETE: delete_role}
ROLE_POLICY = {Action.CREATE: put_role_policy, Action.UPDATE: put_role_policy,
               Action.ADOPT: adopt_role_policy, Action.DELETE: delete_role_policy}
