"""dynoshift: move a live Heroku app onto Kubernetes on EC2 without dropping requests.

Pure computation (formations, costs, sizing, planning) is synchronous; network work (Route53,
Heroku's API, health gates) is asynchronous. Errors are :class:`DynoshiftError` subclasses whose
``kind`` is shared with the Node and Ruby packages.
"""

from ._dynoshift import (
    ApiDynoSize,
    HerokuClient,
    CostLine,
    CostReport,
    DynoSize,
    Formation,
    Process,
    __version__,
    dyno_size,
    dyno_sizes,
    error_kinds,
    parse_line,
)
from .exceptions import (
    ConflictError,
    DynoshiftError,
    InfeasibleError,
    InternalError,
    InvalidInputError,
    NotFoundError,
    ThrottledError,
    TimeoutError,
    UnauthorizedError,
    UnavailableError,
    UnhealthyError,
)

__all__ = [
    "ApiDynoSize",
    "HerokuClient",
    "CostLine",
    "CostReport",
    "DynoSize",
    "Formation",
    "Process",
    "__version__",
    "dyno_size",
    "dyno_sizes",
    "error_kinds",
    "parse_line",
    "ConflictError",
    "DynoshiftError",
    "InfeasibleError",
    "InternalError",
    "InvalidInputError",
    "NotFoundError",
    "ThrottledError",
    "TimeoutError",
    "UnauthorizedError",
    "UnavailableError",
    "UnhealthyError",
]
