"""What AWS Lambda's Python runtime gives a function besides its own package, named once.

The package builder drops these from installed requirements (Lambda has them), and discovery
imports the handlers beside exactly these, so a module missing from the zip fails the build.
"""

from __future__ import annotations

# The AWS SDK: importable in every Python function; dropped from the package unless the
# requirements file names them.
SDK = ("boto3", "botocore", "s3transfer")
# Everything importable besides the package: the SDK and what it depends on.
PROVIDED = SDK + ("jmespath", "dateutil", "urllib3", "six")


def provided_text() -> str:
    """For messages: "boto3, botocore, s3transfer, ... and six"."""
    return ", ".join(PROVIDED[:-1]) + f" and {PROVIDED[-1]}"
