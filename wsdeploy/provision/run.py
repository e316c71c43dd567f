"""What the step handlers of one run share: the AWS calls, the stage, what was observed, and
the record, which is the run's only memory.

Everything a later step needs (the account, the API's id, the role's ARN) is read from the
record, which each step updates before the executor saves it, so a run killed between two
steps leaves a record that is true.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from . import record as rec
from .desired import StageNames, function_settings, integration_uri
from .live import arn_partition_account
from .seen import Observed

if TYPE_CHECKING:   # the handlers only call its methods: importing them needs no boto3
    from .aws import Aws


@dataclass
class Run:
    aws: "Aws"
    d: StageNames                      # `up`: a Desired; `down`: the names alone
    record: dict
    save: Callable[[dict], None]
    observed: Observed | None = None   # `up` only: what the plan was made from
    function_busy: bool = False
    table_busy: bool = False
    notice: Callable[[str], None] = lambda _: None   # tells the user something worth knowing

    # facts recorded by earlier steps
    @property
    def partition(self) -> str:
        return self.record["partition"]

    @property
    def account(self) -> str:
        return self.record["account"]

    @property
    def api_id(self) -> str:
        return rec.get(self.record, "api")["id"]

    @property
    def role_arn(self) -> str:
        return rec.get(self.record, "role")["arn"]

    @property
    def function_arn(self) -> str:
        return rec.get(self.record, "function")["arn"]

    def put(self, key: str, value: dict | None) -> None:
        """Records (or, with None, forgets) one resource under `key`."""
        if value is None:
            rec.resources(self.record).pop(key, None)
        else:
            rec.resources(self.record)[key] = value

    def learn_identity(self, arn: str) -> None:
        identity = arn_partition_account(arn)
        self.record["partition"], self.record["account"] = identity.partition, identity.account

    def function_ready(self) -> None:
        """Lambda refuses changes while the function is being created or updated."""
        if self.function_busy:
            self.aws.wait_function_ready(self.d.name)
            self.function_busy = False

    def table_ready(self) -> None:
        """DynamoDB refuses TTL and other changes until the table is ACTIVE, and the function
        should not be pointed at a table that is not."""
        if self.table_busy and getattr(self.d, "connections", None) is not None:
            self.aws.wait_table(self.d.connections_table)
            self.table_busy = False

    def settings(self) -> dict[str, Any]:
        return function_settings(self.d, self.partition, self.role_arn, self.api_id)

    @property
    def integration_uri(self) -> str:
        return integration_uri(self.d, self.function_arn)
