"""S3: the objects of remote state (`remote_state.S3State`): the stage's record and its lock.

Every call names the bucket's expected owner, so a bucket of another account with the same
name is refused (403) rather than used; every write asks for server-side encryption and is
conditional (`If-Match` on an ETag, or `If-None-Match: *`), which S3 enforces (412).
"""

from __future__ import annotations

import botocore.exceptions as bx

from ...remote_state import StoredObject
from ..errors import AwsCallError
from ..permissions import STATE_BUCKET, STATE_OBJECTS, Need, declare
from .core import AwsCore

# What each call needs from IAM (permissions.py). Without s3:ListBucket S3 answers 403 for a
# record not written yet, where it means 404; a delete conditional on an ETag also needs
# s3:GetObject.
declare("s3", {
    "get_object": (Need(STATE_OBJECTS, "s3:GetObject"), Need(STATE_BUCKET, "s3:ListBucket")),
    "put_object": Need(STATE_OBJECTS, "s3:PutObject"),
    "delete_object": (Need(STATE_OBJECTS, "s3:DeleteObject", "s3:GetObject"),
                      Need(STATE_BUCKET, "s3:ListBucket")),
})
ENCRYPTION = "AES256"      # SSE-S3, asked for on every write rather than left to the bucket
NO_SUCH_KEY = frozenset({"NoSuchKey", "404"})


class S3Calls(AwsCore):
    def get_object(self, bucket: str, key: str, owner: str) -> StoredObject | None:
        try:
            found = self._call("s3", "get_object", Bucket=bucket, Key=key, ExpectedBucketOwner=owner)
        except AwsCallError as error:
            if error.code in NO_SUCH_KEY:
                return None
            raise
        try:
            body = found["Body"].read()
        except (bx.BotoCoreError, OSError) as error:   # the answer broke off: nothing changed
            raise AwsCallError("GetObject", "ConnectionError", str(error)) from None
        return StoredObject(body, found["ETag"])

    def put_object(self, bucket: str, key: str, body: bytes, owner: str, *,
                   if_match: str | None = None, if_none_match: bool = False) -> str:
        """The new ETag; AwsCallError PreconditionFailed when the condition does not hold."""
        condition = {"IfMatch": if_match} if if_match else {"IfNoneMatch": "*"} if if_none_match else {}
        made = self._call("s3", "put_object", Bucket=bucket, Key=key, Body=body,
                          ExpectedBucketOwner=owner, ServerSideEncryption=ENCRYPTION,
                          ContentType="application/json", **condition)
        return made["ETag"]

    def delete_object(self, bucket: str, key: str, owner: str, *, if_match: str | None = None) -> bool:
        """False when there was nothing to delete; PreconditionFailed when it changed."""
        try:
            self._call("s3", "delete_object", Bucket=bucket, Key=key, ExpectedBucketOwner=owner,
                       **({"IfMatch": if_match} if if_match else {}))
        except AwsCallError as error:
            if error.code in NO_SUCH_KEY:
                return False
            raise
        return True
