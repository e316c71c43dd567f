"""What runs inside Lambda. Standard library only; boto3/botocore load lazily if ever needed.

The function's handler setting is `wsdeploy.runtime.lambda_handler`.
"""

from .entry import lambda_handler

__all__ = ["lambda_handler"]
