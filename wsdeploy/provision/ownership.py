"""Whether a resource found by name is this stage's: wsdeploy takes over only what it tagged."""

from __future__ import annotations

from typing import Mapping

from ..errors import UserError
from .desired import TAG_APP, TAG_STAGE, StageNames


def is_ours(tags: Mapping[str, str], d: StageNames) -> bool:
    return tags.get(TAG_APP) == d.app and tags.get(TAG_STAGE) == d.stage


def require_tags(kind: str, name: str, tags: Mapping[str, str], d: StageNames) -> None:
    """Refuses to take over a resource of our name that wsdeploy did not make."""
    if not is_ours(tags, d):
        raise UserError(
            f"a {kind} named {name} exists but is not tagged {TAG_APP}={d.app}, "
            f"{TAG_STAGE}={d.stage}, so wsdeploy did not create it and will not take it over. "
            "Delete or rename it, or tag it so if it does belong to this stage")
