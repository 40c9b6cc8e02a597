# Generated from the core's ErrorKind table (core/src/error.rs) by core/tests/generated.rs;
# do not edit: change the table and run `make generate`.
"""The exceptions dynoshift raises: one class per stable error kind.

Branch on the class (or on ``.kind``, the same snake_case string in every language); the message
is for people and says what to do.
"""

from __future__ import annotations

import builtins
from typing import Optional

__all__ = [
    "DynoshiftError",
    "InvalidInputError",
    "NotFoundError",
    "ConflictError",
    "ThrottledError",
    "TimeoutError",
    "UnavailableError",
    "UnauthorizedError",
    "InfeasibleError",
    "UnhealthyError",
    "InternalError",
]


class DynoshiftError(Exception):
    """Base class of every dynoshift error."""

    kind: str = "internal"
    #: Where in the input the problem is (for example ``web.quantity``), when known.
    context: Optional[str] = None


class InvalidInputError(DynoshiftError, ValueError):
    """The caller passed something malformed or out of range. Fix the input and call again."""

    kind = "invalid_input"


class NotFoundError(DynoshiftError, LookupError):
    """A named thing (zone, record, app, file) does not exist."""

    kind = "not_found"


class ConflictError(DynoshiftError):
    """The world is not in the state the operation expected (record exists, lock held, drift)."""

    kind = "conflict"


class ThrottledError(DynoshiftError):
    """A remote API rate-limited us and retries were exhausted. Wait and try again."""

    kind = "throttled"


class TimeoutError(DynoshiftError, builtins.TimeoutError):
    """Something did not answer in time."""

    kind = "timeout"


class UnavailableError(DynoshiftError, ConnectionError):
    """A remote service could not be reached or answered with a server error."""

    kind = "unavailable"


class UnauthorizedError(DynoshiftError, PermissionError):
    """Credentials are missing, wrong or lack a permission."""

    kind = "unauthorized"


class InfeasibleError(DynoshiftError):
    """The request is well formed but cannot be satisfied (e.g. a pod larger than every node)."""

    kind = "infeasible"


class UnhealthyError(DynoshiftError):
    """A health gate judged the new side unhealthy."""

    kind = "unhealthy"


class InternalError(DynoshiftError):
    """A bug in dynoshift. Please report it with the message."""

    kind = "internal"
