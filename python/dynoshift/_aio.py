"""The package's network calls as real coroutines.

The native calls (``dynoshift._dynoshift``) return ``asyncio.Future`` objects, which must be
created inside a running event loop and which ``asyncio.run()`` and ``asyncio.create_task()``
refuse. These thin ``async def`` wrappers only await them, so ``await x``, ``asyncio.run(x)`` and
``asyncio.create_task(x)`` all work, and the native future is created once the loop runs.
"""

from __future__ import annotations

from typing import Any, Mapping, Union

from . import _dynoshift as _native
from ._dynoshift import (
    ApiDynoSize,
    AppPlans,
    CutoverPlan,
    Formation,
    MemoryZone,
    PreflightReport,
    Route53,
)

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


async def _from_heroku_app(
    client: _native.HerokuClient,
    app: str,
    dns: Union[Route53, MemoryZone],
    options: Mapping[str, Any],
) -> AppPlans:
    """Cutover plans written from a Heroku app's custom domains (``dynoshift cutover init``).

    Reads ``GET /apps/{app}/domains`` with ``client`` and finds each hostname's hosted zone in
    ``dns`` (read-only on both sides): one :class:`CutoverPlan` per zone, every hostname with its
    own Heroku DNS target. ``options`` maps ``InitOptions`` fields: ``aws_target`` (required
    unless ``aws_targets`` names one per hostname), ``aws_targets``, ``zone``, ``stages``,
    ``ttl``, ``soak_seconds``, ``health_path``, ``gates``, ``allow_failed_certificates``; an
    unknown key is an :class:`InvalidInputError` naming it. Domains that cannot move are in
    ``to_json()["skipped"]`` with the reason.
    """
    return await _native._plans_from_heroku_app(client, app, dns, options)


_from_heroku_app.__name__ = "from_heroku_app"
_from_heroku_app.__qualname__ = "CutoverPlan.from_heroku_app"
# CutoverPlan is the native class itself (native code makes its instances, e.g. AppPlans.plans,
# so a Python subclass would not be what they are): the coroutine is attached to it.
setattr(CutoverPlan, "from_heroku_app", staticmethod(_from_heroku_app))
