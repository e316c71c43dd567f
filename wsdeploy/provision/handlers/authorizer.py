"""$connect's Lambda REQUEST authorizer (the app's @on_authorize) and the statement of the
function's resource policy that lets API Gateway invoke the function as that authorizer."""

from __future__ import annotations

from .. import record as rec
from ..desired import AUTHORIZER_PERMISSION_ID, authorizer_name, authorizer_source_arn
from ..run import Run
from ..steps import Action, Step
from .permission import add_statement, replace_statement


def _record(run: Run, authorizer_id: str, identity: tuple[str, ...]) -> None:
    # the identity sources as one text (their names cannot hold a comma)
    run.put("authorizer", {"id": authorizer_id, "name": authorizer_name(run.d.name),
                           "identity": ",".join(identity)})


def create_authorizer(run: Run, step: Step) -> None:
    identity = run.d.authorizer.identity
    made = run.aws.create_authorizer(run.api_id, authorizer_name(run.d.name), run.integration_uri,
                                     identity)
    _record(run, made.id, identity)


def update_authorizer(run: Run, step: Step) -> None:
    authorizer_id = rec.get(run.record, "authorizer")["id"]
    identity = run.d.authorizer.identity
    run.aws.update_authorizer(run.api_id, authorizer_id, run.integration_uri, identity)
    _record(run, authorizer_id, identity)


def adopt_authorizer(run: Run, step: Step) -> None:
    seen = run.observed.authorizer
    _record(run, seen.id, seen.identity)


def delete_authorizer(run: Run, step: Step) -> None:
    """After $connect is set back to NONE: API Gateway refuses to delete one a route uses."""
    run.aws.delete_authorizer(run.api_id, run.observed.authorizer.id)


def _source(run: Run) -> str:
    return authorizer_source_arn(run.d, run.partition, run.account, run.api_id,
                                 rec.get(run.record, "authorizer")["id"])


def create_authorizer_permission(run: Run, step: Step) -> None:
    add_statement(run, "authorizer_permission", AUTHORIZER_PERMISSION_ID, _source(run))


def replace_authorizer_permission(run: Run, step: Step) -> None:
    """For the authorizer's new id (one made again)."""
    replace_statement(run, "authorizer_permission", AUTHORIZER_PERMISSION_ID, _source(run))


def adopt_authorizer_permission(run: Run, step: Step) -> None:
    run.put("authorizer_permission", {"statement_id": AUTHORIZER_PERMISSION_ID,
                                      "source_arn": run.observed.authorizer_permission.source_arn})


def delete_authorizer_permission(run: Run, step: Step) -> None:
    run.function_ready()
    run.aws.remove_permission(run.d.name, AUTHORIZER_PERMISSION_ID)


AUTHORIZER = {Action.CREATE: create_authorizer, Action.UPDATE: update_authorizer,
              Action.ADOPT: adopt_authorizer, Action.DELETE: delete_authorizer}
AUTHORIZER_PERMISSION = {Action.CREATE: create_authorizer_permission,
                         Action.UPDATE: replace_authorizer_permission,
                         Action.ADOPT: adopt_authorizer_permission,
                         Action.DELETE: delete_authorizer_permission}
