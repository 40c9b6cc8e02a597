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
    """Malformed or out-of-range input: fix it and call again."""

    kind = "invalid_input"


class NotFoundError(DynoshiftError, LookupError):
    """A named zone, record, app or file does not exist."""

    kind = "not_found"


class ConflictError(DynoshiftError):
    """The world is not in the expected state (record exists, lock held, drift)."""

    kind = "conflict"


class ThrottledError(DynoshiftError):
    """A remote API rate-limited the call and retries ran out."""

    kind = "throttled"


class TimeoutError(DynoshiftError, builtins.TimeoutError):
    """Something did not answer in time."""

    kind = "timeout"


class UnavailableError(DynoshiftError, ConnectionError):
    """A remote service could not be reached or failed."""

    kind = "unavailable"


class UnauthorizedError(DynoshiftError, PermissionError):
    """Credentials are missing, wrong, or lack a permission."""

    kind = "unauthorized"


class InfeasibleError(DynoshiftError):
    """Well-formed input that cannot be satisfied."""

    kind = "infeasible"


class UnhealthyError(DynoshiftError):
    """A health gate judged the new side unhealthy."""

    kind = "unhealthy"


class InternalError(DynoshiftError):
    """A bug in dynoshift: please report it with the message."""

    kind = "internal"
