"""Who may connect, decided once for `up`, `status` and `dev`: open, a Lambda authorizer, or IAM.

API Gateway guards `$connect` with one authorization type: NONE, CUSTOM (the app's
@on_authorize) or AWS_IAM (`auth = "iam"` in wsdeploy.toml). Both at once is the user's
mistake, said before any AWS call.
"""

from __future__ import annotations

from typing import Any

from .config import display_path
from .errors import UserError

NONE, CUSTOM, AWS_IAM = "NONE", "CUSTOM", "AWS_IAM"


def connect_authorization(cfg: Any, handler: Any) -> str:
    """$connect's AuthorizationType for this stage and app; UserError when both ask."""
    authorizer = getattr(handler, "authorizer", None)
    iam = getattr(cfg, "auth", "none") == "iam"
    if iam and authorizer is not None:
        raise UserError(
            f"{display_path(cfg.config_path)}: stage {cfg.stage} sets auth = \"iam\", but the app "
            f"registers an authorizer ({authorizer.handler or '@on_authorize'}); API Gateway guards "
            "$connect with one of them: remove auth = \"iam\" or the @on_authorize function")
    return CUSTOM if authorizer is not None else AWS_IAM if iam else NONE
