"""Imports every command module so that each registers itself on the Typer app."""

# One line per command module; keep sorted.
from . import dev_cmd  # noqa: F401
from . import down_cmd  # noqa: F401
from . import init_cmd  # noqa: F401
from . import logs_cmd  # noqa: F401
from . import package_cmd  # noqa: F401
from . import policy_cmd  # noqa: F401
from . import state_cmd  # noqa: F401
from . import status_cmd  # noqa: F401
from . import unlock_cmd  # noqa: F401
from . import up_cmd  # noqa: F401
