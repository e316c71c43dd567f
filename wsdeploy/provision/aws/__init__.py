"""The one place that calls boto3 for deploys: `Aws`, a narrow typed wrapper over iam,
lambda, apigatewayv2, logs, dynamodb, acm, route53, s3 (remote state) and sts, one module per
service over a shared core
(`core.py`: clients made on first use, error translation, retries, redaction).

Importing this package imports boto3; nothing else in `wsdeploy.provision` does.
"""

from __future__ import annotations

from .acm import AcmCalls
from .apigatewayv2 import ApiGatewayCalls
from .awslambda import ConcurrencyCalls, LambdaCalls
from .core import ACCESS_DENIED, CREATE_CALLS, make_session
from .dynamodb import DynamoDbCalls
from .http_api import HttpApiCalls
from .iam import IamCalls, ManagedPolicyCalls
from .logs import LogsCalls
from .route53 import Route53Calls
from .s3 import S3Calls
from .secrets import SecretsCalls
from .ec2 import Ec2Calls


class Aws(IamCalls, LogsCalls, ApiGatewayCalls, LambdaCalls, DynamoDbCalls, AcmCalls, Route53Calls,
          S3Calls, HttpApiCalls, ManagedPolicyCalls, SecretsCalls, ConcurrencyCalls, Ec2Calls):
    """Typed calls for one region, over every service a deploy touches."""


__all__ = ["ACCESS_DENIED", "CREATE_CALLS", "Aws", "make_session"]
