"""`vpc` of wsdeploy.toml: the subnets and security groups the function runs in. Checked here
before any AWS call; that they exist and share one VPC is `up`'s check (provision/vpc_check.py)."""

from __future__ import annotations

import json
import re
from typing import Any

SUBNET_RE = re.compile(r"subnet-[0-9a-f]{8,17}", re.ASCII)
GROUP_RE = re.compile(r"sg-[0-9a-f]{8,17}", re.ASCII)
VPC_KEYS = ("subnet_ids", "security_group_ids")
EXAMPLE = 'vpc = { subnet_ids = ["subnet-0123456789abcdef0"], security_group_ids = ["sg-0123456789abcdef0"] }'


def check_vpc(value: Any) -> list[tuple[str, str]]:
    """(key, problem) pairs; key "" for the whole table."""
    if not isinstance(value, dict):
        return [("", f"must be a table: {EXAMPLE}")]
    found = [(key, f"unknown key; valid keys: {', '.join(VPC_KEYS)}") for key in value if key not in VPC_KEYS]
    for key, pattern, what, most in (("subnet_ids", SUBNET_RE, "subnet id (subnet-...)", 16),
                                     ("security_group_ids", GROUP_RE, "security group id (sg-...)", 5)):
        items = value.get(key)
        if items is None:
            found.append((key, f"missing: {EXAMPLE}"))
        elif not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
            found.append((key, f"must be a non-empty list of strings: {EXAMPLE}"))
        elif bad := [i for i in items if not pattern.fullmatch(i)]:
            found.append((key, f"{json.dumps(bad[0])} is not a {what}"))
        elif len(items) > most or len(set(items)) != len(items):
            found.append((key, f"Lambda takes at most {most}, each once"))
    return found
