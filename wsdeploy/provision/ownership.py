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


def require_domain_ours(name: str, tags: Mapping[str, str], d: StageNames) -> None:
    """A custom domain name is what clients connect to: one made by another stage, another
    app or by hand is never taken over, whatever its name says."""
    if is_ours(tags, d):
        return
    owner = (f"belongs to stage {tags[TAG_STAGE]} of app {tags[TAG_APP]} (by its wsdeploy tags)"
             if TAG_APP in tags and TAG_STAGE in tags else "has no wsdeploy tags: it was not made by wsdeploy")
    raise UserError(
        f"the custom domain name {name} exists in API Gateway but {owner}, so wsdeploy will not "
        f"take it over for stage {d.stage} of app {d.app}. Use another name, or free this one "
        "first (remove the domain from that stage and run `wsdeploy up` there, or delete it)")
