"""The package's network calls as real coroutines.

The native calls (``dynoshift._dynoshift``) return ``asyncio.Future`` objects, which must be
created inside a running event loop and which ``asyncio.run()`` and ``asyncio.create_task()``
refuse. These thin ``async def`` wrappers only await them, so ``await x``, ``asyncio.run(x)`` and
``asyncio.create_task(x)`` all work, and the native future is created once the loop runs.
"""

from __future__ import annotations

from typing import Union

from . import _dynoshift as _native
from ._dynoshift import ApiDynoSize, CutoverPlan, Formation, MemoryZone, PreflightReport, Route53

__all__ = ["HerokuClient", "preflight"]


async def preflight(plan: CutoverPlan, dns: Union[Route53, MemoryZone]) -> PreflightReport:
    """Read-only checks of the zone and the plan's records: errors and warnings."""
    return await _native.preflight(plan, dns)


class HerokuClient(_native.HerokuClient):
    """A Heroku Platform API client (token from ``token`` or ``HEROKU_API_KEY``, never shown)."""

    __slots__ = ()

    async def formation(self, app: str) -> Formation:
        """The app's formation, from ``GET /apps/{app}/formation``."""
        return await super().formation(app)

    async def dyno_sizes(self) -> list[ApiDynoSize]:
        """The dyno sizes as the API lists them."""
        return await super().dyno_sizes()


HerokuClient.__module__ = "dynoshift"
