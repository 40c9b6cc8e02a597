"""Type stubs for the compiled extension module (kept in step by mypy.stubtest in make test)."""

import os
from os import PathLike
from typing import Any, Awaitable, Callable, Mapping, Optional, Sequence, Union, final

from typing_extensions import disjoint_base

__all__ = [
    "__version__",
    "ApiDynoSize",
    "AppPlans",
    "BacktestReport",
    "BacktestRow",
    "CostLine",
    "CostReport",
    "Cutover",
    "CutoverOutcome",
    "CutoverPlan",
    "DrainReport",
    "DrainServer",
    "DryRunReport",
    "DryRunStep",
    "DynoSize",
    "Explained",
    "Explanation",
    "Finding",
    "Fleet",
    "FleetReport",
    "Formation",
    "HerokuClient",
    "HpaSizing",
    "Ingest",
    "InputIssue",
    "LineCounts",
    "MemoryZone",
    "PreflightReport",
    "Process",
    "ProcessSizing",
    "Profiles",
    "Route53",
    "SizingReport",
    "StrategySummary",
    "SynthReport",
    "TimeSpan",
    "UnparsedExample",
    "allocatable",
    "backtest",
    "backtest_lines",
    "compare_bill",
    "drained",
    "dry_run",
    "dyno_size",
    "dyno_sizes",
    "error_kinds",
    "ingest",
    "karpenter_config",
    "kube_reserved",
    "manifests",
    "max_pods",
    "parse_line",
    "parse_manifests",
    "plan_nodes",
    "preflight",
    "read_journal",
    "recommend_lines",
    "recommend_sizing",
    "serve_drain",
    "set_logger",
    "synth_logs",
    "validate_gates",
    "_plans_from_heroku_app",
]

__version__: str

@final
class DynoSize:
    # generated: the fields of DynoSize (core/src/results.rs; make generate)
    @property
    def name(self) -> str:
        """Canonical name, e.g. `Standard-2X`."""
    @property
    def generation(self) -> str:
        """`cedar` or `fir`."""
    @property
    def memory_mb(self) -> float:
        """Memory quota in MiB."""
    @property
    def cpu_kind(self) -> str:
        """`shared` or `dedicated`."""
    @property
    def cpu(self) -> float:
        """Shared multiplier (1, 2) or dedicated vCPUs."""
    @property
    def r15_factor(self) -> Optional[float]:
        """R15 hard-kill factor, if known."""
    @property
    def list_monthly_usd(self) -> Optional[float]:
        """List price per dyno per month (none: pool or contract pricing)."""
    @property
    def pricing(self) -> str:
        """`per_dyno`, `pool` or `contract`."""
    @property
    def note(self) -> Optional[str]:
        """Caveat or legacy-name note."""
    # end generated
    def to_json(self) -> str: ...

@final
class Process:
    # generated: the fields of Process (core/src/results.rs; make generate)
    @property
    def process_type(self) -> str:
        """Process type, e.g. `web`."""
    @property
    def size(self) -> DynoSize:
        """Resolved dyno size."""
    @property
    def requested_size(self) -> str:
        """Size as written in the input."""
    @property
    def quantity(self) -> int:
        """Number of dynos."""
    @property
    def command(self) -> Optional[str]:
        """Command, if given."""
    # end generated

@final
class CostLine:
    # generated: the fields of CostLine (core/src/results.rs; make generate)
    @property
    def process_type(self) -> str:
        """Process type."""
    @property
    def size(self) -> str:
        """Canonical dyno size."""
    @property
    def quantity(self) -> int:
        """Dynos."""
    @property
    def unit_monthly_usd(self) -> float:
        """USD per dyno per month."""
    @property
    def monthly_usd(self) -> float:
        """USD per month."""
    @property
    def price_source(self) -> str:
        """`list`, `override` or `pool`."""
    @property
    def note(self) -> Optional[str]:
        """How the number was reached."""
    # end generated

@final
class CostReport:
    # generated: the fields of CostReport (core/src/results.rs; make generate)
    @property
    def total_monthly_usd(self) -> float:
        """USD per month."""
    @property
    def currency(self) -> str:
        """`USD`."""
    @property
    def hours_per_month(self) -> float:
        """Hours in a billing month (720)."""
    @property
    def notes(self) -> list[str]:
        """Caveats for the whole report."""
    @property
    def lines(self) -> list[CostLine]:
        """One line per process type."""
    # end generated
    def to_json(self) -> str: ...

@final
class Formation:
    # generated: the fields of Formation (core/src/results.rs; make generate)
    @property
    def processes(self) -> list[Process]:
        """The process types, `web` first."""
    # end generated
    @staticmethod
    def from_json(text: str) -> Formation: ...
    def monthly_cost(self, prices: Optional[Mapping[str, float]] = None) -> CostReport: ...
    def to_json(self) -> str: ...

def dyno_size(name: str) -> DynoSize: ...
def dyno_sizes() -> list[DynoSize]: ...
def error_kinds() -> list[str]: ...
def parse_line(line: str) -> str: ...
def recommend_sizing(
    formation: Formation,
    log_paths: Sequence[Union[str, PathLike[str]]],
    policy: Optional[Mapping[str, Any]] = None,
) -> SizingReport: ...
def recommend_lines(
    formation: Formation, lines: Sequence[str], policy: Optional[Mapping[str, Any]] = None
) -> SizingReport: ...
def backtest(
    formation: Formation,
    log_paths: Sequence[Union[str, PathLike[str]]],
    policy: Optional[Mapping[str, Any]] = None,
    strategies: Optional[Sequence[str]] = None,
    fit_fraction: float | None = None,
) -> BacktestReport: ...
def backtest_lines(
    formation: Formation,
    lines: Sequence[str],
    policy: Optional[Mapping[str, Any]] = None,
    strategies: Optional[Sequence[str]] = None,
    fit_fraction: float | None = None,
) -> BacktestReport: ...
def manifests(report: SizingReport, options: Mapping[str, Any]) -> str: ...
def parse_manifests(yaml: str) -> list[dict[str, Any]]: ...

@final
class Explanation:
    # generated: the fields of Explanation (core/src/results.rs; make generate)
    @property
    def rule(self) -> str:
        """The rule, with the arithmetic that was done."""
    @property
    def statistic(self) -> str:
        """The input statistic the rule started from (`memory_total max`, `load_avg_1m p90`)."""
    @property
    def value(self) -> Optional[float]:
        """The statistic's value in its own unit (none: no data, a fallback)."""
    @property
    def samples(self) -> int:
        """Samples behind the statistic."""
    @property
    def window(self) -> Optional[str]:
        """The time window the samples cover, when known."""
    @property
    def confidence(self) -> str:
        """`low`, `medium` or `high`."""
    @property
    def warnings(self) -> list[str]:
        """What the user should know (short data, R14, swap, ...)."""
    # end generated
    def to_json(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Explained:
    # generated: the fields of Explained (core/src/results.rs; make generate)
    @property
    def value(self) -> int:
        """The number."""
    @property
    def unit(self) -> str:
        """Its unit (`millicores`, `MiB`, `pods`, `percent`)."""
    @property
    def explanation(self) -> Explanation:
        """How it was obtained."""
    # end generated
    def to_json(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class HpaSizing:
    # generated: the fields of HpaSizing (core/src/results.rs; make generate)
    @property
    def min_replicas(self) -> Explained:
        """`minReplicas`."""
    @property
    def max_replicas(self) -> Explained:
        """`maxReplicas`."""
    @property
    def target_cpu_utilization_percent(self) -> Explained:
        """CPU `averageUtilization` target, percent of the request."""
    # end generated
    def to_json(self) -> str: ...

@final
class ProcessSizing:
    # generated: the fields of ProcessSizing (core/src/results.rs; make generate)
    @property
    def process_type(self) -> str:
        """Process type (`web`, `worker`)."""
    @property
    def dyno_size(self) -> str:
        """The dyno size it ran on."""
    @property
    def quantity(self) -> int:
        """Dynos in the formation."""
    @property
    def command(self) -> Optional[str]:
        """The dyno's command, when the formation had one."""
    @property
    def cpu_request_millicores(self) -> Explained:
        """CPU request, millicores."""
    @property
    def cpu_limit_millicores(self) -> Optional[Explained]:
        """CPU limit, millicores (none: no limit)."""
    @property
    def memory_request_mib(self) -> Explained:
        """Memory request, MiB."""
    @property
    def memory_limit_mib(self) -> Explained:
        """Memory limit, MiB."""
    @property
    def replicas(self) -> Explained:
        """Deployment replicas."""
    @property
    def hpa(self) -> Optional[HpaSizing]:
        """Autoscaling (none: a fixed replica count)."""
    # end generated
    def to_json(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class SizingReport:
    # generated: the fields of SizingReport (core/src/results.rs; make generate)
    @property
    def strategy(self) -> str:
        """The strategy used (`dynoshift`, `vpa`, `krr`)."""
    @property
    def window(self) -> Optional[TimeSpan]:
        """The time the profiles cover."""
    @property
    def processes(self) -> list[ProcessSizing]:
        """One entry per process type, `web` first."""
    @property
    def warnings(self) -> list[str]:
        """Report-level notes."""
    @property
    def input_issues(self) -> list[InputIssue]:
        """Inputs that were truncated or corrupt (a broken gzip): the numbers come from what could be read before the break."""
    # end generated
    @staticmethod
    def from_json(text: str) -> SizingReport: ...
    @property
    def policy(self) -> dict[str, Any]: ...
    @property
    def pods(self) -> list[dict[str, Any]]: ...
    def process(self, process_type: str) -> Optional[ProcessSizing]: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class BacktestRow:
    # generated: the fields of BacktestRow (core/src/results.rs; make generate)
    @property
    def strategy(self) -> str:
        """Strategy."""
    @property
    def process_type(self) -> str:
        """Process type."""
    @property
    def cpu_request_millicores(self) -> int:
        """Recommended CPU request, millicores."""
    @property
    def memory_request_mib(self) -> int:
        """Recommended memory request, MiB."""
    @property
    def memory_limit_mib(self) -> int:
        """Recommended memory limit, MiB."""
    @property
    def memory_samples(self) -> int:
        """Evaluation memory samples."""
    @property
    def memory_max_mib(self) -> float:
        """Highest evaluation `memory_total`, MiB."""
    @property
    def memory_exceedances(self) -> int:
        """Samples above the memory limit (OOM kills on Kubernetes)."""
    @property
    def memory_slack(self) -> float:
        """1 − mean usage / request."""
    @property
    def cpu_samples(self) -> int:
        """Evaluation load samples."""
    @property
    def cpu_minutes_above_request(self) -> int:
        """Dyno-minutes with a sample above the CPU request."""
    @property
    def cpu_slack(self) -> float:
        """Mean unused share of the CPU request."""
    # end generated

@final
class StrategySummary:
    # generated: the fields of StrategySummary (core/src/results.rs; make generate)
    @property
    def strategy(self) -> str:
        """Strategy."""
    @property
    def memory_exceedances(self) -> int:
        """Memory exceedances, all process types."""
    @property
    def mean_memory_slack(self) -> float:
        """Mean memory slack over the process types with samples."""
    @property
    def mean_cpu_slack(self) -> float:
        """Mean CPU slack over the process types with samples."""
    @property
    def cpu_minutes_above_request(self) -> int:
        """CPU minutes above request, all process types."""
    @property
    def meets_target(self) -> bool:
        """No memory exceedance and mean memory slack ≤ 25%."""
    # end generated

@final
class BacktestReport:
    # generated: the fields of BacktestReport (core/src/results.rs; make generate)
    @property
    def fit_window(self) -> Optional[TimeSpan]:
        """The time the recommendation was fitted on."""
    @property
    def eval_window(self) -> Optional[TimeSpan]:
        """The time it was evaluated on."""
    @property
    def rows(self) -> list[BacktestRow]:
        """Per strategy and process type."""
    @property
    def summary(self) -> list[StrategySummary]:
        """Per strategy."""
    # end generated
    def table(self) -> str: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class ApiDynoSize:
    # generated: the fields of ApiDynoSize (core/src/results.rs; make generate)
    @property
    def name(self) -> str:
        """Name, e.g. `Standard-2X`."""
    @property
    def memory_gb(self) -> float:
        """Memory in GB."""
    @property
    def compute(self) -> int:
        """Compute units."""
    @property
    def dedicated(self) -> bool:
        """Dedicated CPU."""
    @property
    def cost_cents(self) -> Optional[int]:
        """Price in cents per `cost_unit`, when Heroku lists one."""
    @property
    def cost_unit(self) -> Optional[str]:
        """Unit of the price, e.g. `month`."""
    @property
    def generation(self) -> Optional[str]:
        """Generation name, e.g. `cedar`."""
    # end generated
    def to_json(self) -> str: ...

# Subclassed by dynoshift.HerokuClient (dynoshift/_aio.py), whose methods are coroutines; these
# native ones return asyncio futures (awaitable inside a running loop only).
@disjoint_base
class HerokuClient:
    def __new__(
        cls,
        token: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout_seconds: Optional[float] = None,
    ) -> HerokuClient: ...
    @property
    def base_url(self) -> str: ...
    def formation(self, app: str) -> Awaitable[Formation]: ...
    def dyno_sizes(self) -> Awaitable[list[ApiDynoSize]]: ...

@final
class CutoverPlan:
    # generated: the fields of CutoverPlan (core/src/results.rs; make generate)
    @property
    def hostnames(self) -> list[str]:
        """Hostnames moved together (normalised)."""
    @property
    def zone(self) -> str:
        """Hosted zone name or id."""
    @property
    def heroku_target(self) -> str:
        """Heroku's DNS target."""
    @property
    def aws_target(self) -> str:
        """The AWS load balancer's DNS name."""
    @property
    def stages(self) -> list[int]:
        """Percent to AWS at each stage."""
    @property
    def soak_seconds(self) -> int:
        """Soak per stage, seconds."""
    @property
    def ttl(self) -> int:
        """TTL of the weighted records, seconds."""
    @property
    def rollback(self) -> str:
        """`full` or `graduated`."""
    @property
    def require_approval(self) -> bool:
        """Wait for `approve` before every stage after the first."""
    @property
    def digest(self) -> str:
        """SHA-256 of the plan's canonical JSON (as stored in the journal)."""
    # end generated
    @staticmethod
    def from_json(text: str) -> CutoverPlan: ...
    def to_json(self) -> str: ...
    # A coroutine that dynoshift/_aio.py attaches to this class (the native awaitable is
    # _plans_from_heroku_app), so `asyncio.run(CutoverPlan.from_heroku_app(...))` works.
    @staticmethod
    async def from_heroku_app(
        client: HerokuClient,
        app: str,
        dns: Union[Route53, MemoryZone],
        options: Mapping[str, Any],
    ) -> AppPlans: ...

@final
class AppPlans:
    # generated: the fields of AppPlans (core/src/results.rs; make generate)
    @property
    def plans(self) -> list[CutoverPlan]:
        """One plan per hosted zone, by zone name."""
    @property
    def summary(self) -> list[str]:
        """The result in plain lines for people (plans, skipped domains, warnings)."""
    # end generated
    def to_json(self) -> str: ...

@final
class Route53:
    def __new__(
        cls,
        endpoint_url: Optional[str] = None,
        region: Optional[str] = None,
        access_key_id: Optional[str] = None,
        secret_access_key: Optional[str] = None,
    ) -> Route53: ...
    @property
    def endpoint_url(self) -> Optional[str]: ...

@final
class MemoryZone:
    def __new__(
        cls, plan: CutoverPlan, insync_delay_seconds: float = 0.0, virtual_time: bool = True
    ) -> MemoryZone: ...
    def records_json(self) -> str: ...

@final
class Finding:
    # generated: the fields of Finding (core/src/results.rs; make generate)
    @property
    def severity(self) -> str:
        """`error` or `warning`."""
    @property
    def code(self) -> str:
        """Stable code, e.g. `apex`, `aaaa_conflict`, `lock_held`."""
    @property
    def hostname(self) -> Optional[str]:
        """The hostname concerned, if any."""
    @property
    def message(self) -> str:
        """What and what to do."""
    @property
    def kind(self) -> str:
        """The error kind a run reports for it."""
    # end generated

@final
class PreflightReport:
    # generated: the fields of PreflightReport (core/src/results.rs; make generate)
    @property
    def ok(self) -> bool:
        """True when nothing blocks a run."""
    @property
    def zone_id(self) -> Optional[str]:
        """The zone's id, if found."""
    @property
    def zone_name(self) -> Optional[str]:
        """The zone's name, if found."""
    @property
    def findings(self) -> list[Finding]:
        """Errors and warnings."""
    @property
    def summary(self) -> list[str]:
        """The verdict, the findings and which live checks ran (or why not), in plain lines."""
    # end generated
    def to_json(self) -> str: ...

@final
class DryRunStep:
    # generated: the fields of DryRunStep (core/src/results.rs; make generate)
    @property
    def step(self) -> str:
        """`convert`, `stage 1`, ..."""
    @property
    def aws_percent(self) -> int:
        """Percent to AWS after the step."""
    @property
    def heroku_percent(self) -> int:
        """Percent to Heroku after the step."""
    @property
    def batches(self) -> int:
        """Atomic change batches written."""
    @property
    def changes(self) -> int:
        """Record changes in all batches."""
    @property
    def ttl_wait_seconds(self) -> int:
        """Cache wait after INSYNC, seconds."""
    @property
    def soak_seconds(self) -> int:
        """Soak, seconds."""
    # end generated

@final
class DryRunReport:
    # generated: the fields of DryRunReport (core/src/results.rs; make generate)
    @property
    def steps(self) -> list[DryRunStep]:
        """Forward steps, in order."""
    @property
    def api_calls(self) -> int:
        """Route53 calls of the whole run (no retries)."""
    @property
    def minimum_seconds(self) -> int:
        """The least wall time the run takes: TTL waits plus soaks, seconds."""
    @property
    def notes(self) -> list[str]:
        """Remarks."""
    @property
    def summary(self) -> list[str]:
        """One line per step, for people."""
    # end generated
    def to_json(self) -> str: ...

@final
class DrainReport:
    # generated: the fields of DrainReport (core/src/results.rs; make generate)
    @property
    def drained(self) -> bool:
        """True only when every hostname stayed at or under `max_rpm` for the whole window and the input covers it."""
    @property
    def reason(self) -> str:
        """Why (not), in one sentence."""
    @property
    def covered(self) -> bool:
        """Whether the input covers the whole window."""
    # end generated
    def tail(self, n: int = 12) -> list[str]: ...
    def to_json(self) -> str: ...

@final
class CutoverOutcome:
    # generated: the fields of CutoverOutcome (core/src/results.rs; make generate)
    @property
    def status(self) -> str:
        """`promoted`, `rolled_back` or `paused`."""
    @property
    def reason(self) -> Optional[str]:
        """Why it rolled back or paused (none when promoted)."""
    # end generated
    def to_json(self) -> str: ...

@final
class Fleet:
    # Apps whose cutovers run together under one Route53 request budget (requests per second,
    # burst at once), each with its own journal, lock, gates and outcome.
    def __new__(cls, budget: float = 5.0, burst: int = 1) -> Fleet: ...
    def add(
        self,
        name: str,
        plan: CutoverPlan,
        dns: Union[Route53, MemoryZone],
        journal_path: Union[str, PathLike[str]],
    ) -> None: ...
    def run(self, no_wait: bool = False) -> Awaitable[FleetReport]: ...
    def __len__(self) -> int: ...

@final
class FleetReport:
    # generated: the fields of FleetReport (core/src/results.rs; make generate)
    @property
    def all_promoted(self) -> bool:
        """Whether every app promoted."""
    # end generated
    def table(self) -> list[str]: ...
    def to_json(self) -> str: ...

#: A gate: called every tick of every soak with a context dict; returns (or resolves to) a
#: verdict dict ``{"status": "pass"|"fail"|"inconclusive"|"error", "reason": str}``.
_Gate = Callable[[dict[str, Any]], Any]

@final
class Cutover:
    # journal_path: a file, or "s3://bucket/key" (reached with a Route53 target's endpoint and
    # keys, else the standard AWS chain) that any runner can resume from.
    def __new__(
        cls,
        plan: CutoverPlan,
        dns: Union[Route53, MemoryZone],
        journal_path: Union[str, PathLike[str]],
        on_event: Optional[Callable[[dict[str, Any]], object]] = None,
        gates: Optional[Sequence[_Gate]] = None,
        force: bool = False,
        take_over_stale_lock: bool = False,
        gates_json: Optional[str] = None,
        no_wait: bool = False,
    ) -> Cutover: ...
    # asyncio futures, not coroutines: `await` them or wrap them in asyncio.ensure_future().
    def run(self) -> Awaitable[CutoverOutcome]: ...
    def resume(self) -> Awaitable[CutoverOutcome]: ...
    def rollback(self, mode: Optional[str] = None) -> Awaitable[CutoverOutcome]: ...
    def promote(self) -> Awaitable[CutoverOutcome]: ...
    def pause(self) -> None: ...
    def unpause(self) -> None: ...
    def approve(self) -> None: ...
    def abort(self) -> None: ...
    def promote_now(self) -> None: ...
    def rollback_now(self, mode: Optional[str] = None) -> None: ...
    @property
    def running(self) -> bool: ...
    @property
    def callback_errors(self) -> int: ...
    @property
    def journal_path(self) -> str: ...

# An asyncio future; dynoshift.preflight (dynoshift/_aio.py) is the coroutine around it.
def preflight(plan: CutoverPlan, dns: Union[Route53, MemoryZone]) -> Awaitable[PreflightReport]: ...
# An asyncio future; CutoverPlan.from_heroku_app (dynoshift/_aio.py) is the coroutine around it.
def _plans_from_heroku_app(
    client: HerokuClient,
    app: str,
    dns: Union[Route53, MemoryZone],
    options: Mapping[str, Any],
) -> Awaitable[AppPlans]: ...
def dry_run(plan: CutoverPlan) -> DryRunReport: ...
def drained(
    plan: CutoverPlan,
    lines: Optional[list[str]] = None,
    profiles_json: Optional[str] = None,
    now: Optional[str] = None,
) -> DrainReport: ...
def read_journal(path: Union[str, PathLike[str]]) -> str: ...
@final
class LineCounts:
    # generated: the fields of LineCounts (core/src/results.rs; make generate)
    @property
    def bytes(self) -> int:
        """Bytes read (after gzip decompression)."""
    @property
    def records(self) -> int:
        """Records: lines, or octet-counted frames."""
    @property
    def telemetry(self) -> int:
        """Records used as telemetry."""
    @property
    def other(self) -> int:
        """Well-framed records without telemetry (app output, state changes)."""
    @property
    def unparsed(self) -> int:
        """Records that could not be parsed (see `unparsed_examples`)."""
    @property
    def blank(self) -> int:
        """Empty lines (not counted as records)."""
    # end generated

@final
class UnparsedExample:
    # generated: the fields of UnparsedExample (core/src/results.rs; make generate)
    @property
    def input(self) -> Optional[str]:
        """The input it came from, if known."""
    @property
    def record(self) -> int:
        """Its record number in that input (1-based)."""
    @property
    def reason(self) -> str:
        """Why it was not parsed."""
    @property
    def text(self) -> str:
        """The first 200 bytes (invalid UTF-8 replaced)."""
    # end generated

@final
class InputIssue:
    # generated: the fields of InputIssue (core/src/results.rs; make generate)
    @property
    def input(self) -> Optional[str]:
        """The input, if known."""
    @property
    def bytes_read(self) -> int:
        """Decompressed bytes read before the problem."""
    @property
    def message(self) -> str:
        """What went wrong."""
    # end generated

@final
class TimeSpan:
    # generated: the fields of TimeSpan (core/src/results.rs; make generate)
    @property
    def start_ms(self) -> int:
        """First timestamp, unix ms."""
    @property
    def end_ms(self) -> int:
        """Last timestamp, unix ms."""
    @property
    def start(self) -> str:
        """First timestamp, RFC 3339 UTC."""
    @property
    def end(self) -> str:
        """Last timestamp, RFC 3339 UTC."""
    @property
    def seconds(self) -> float:
        """`end - start` in seconds."""
    # end generated

@final
class Profiles:
    # generated: the fields of Profiles (core/src/results.rs; make generate)
    @property
    def process_types(self) -> list[str]:
        """Process type names seen (e.g. `clock`, `web`, `worker`), sorted."""
    @property
    def relative_error(self) -> float:
        """Relative error of every quantile in the result (0.01 = 1%)."""
    @property
    def lines(self) -> LineCounts:
        """Record counts."""
    @property
    def unparsed_examples(self) -> list[UnparsedExample]:
        """The first few unparsed records."""
    @property
    def input_issues(self) -> list[InputIssue]:
        """Truncated or corrupt inputs."""
    @property
    def span(self) -> Optional[TimeSpan]:
        """First and last timestamp of any parsed record (none when nothing was parsed)."""
    # end generated
    def to_json(self) -> str: ...

@final
class Ingest:
    def __new__(cls) -> Ingest: ...
    def begin_input(self, name: str) -> None: ...
    def feed(self, data: bytes) -> None: ...
    def end_input(self) -> None: ...
    def merge(self, other: Ingest) -> None: ...
    def finish(self) -> Profiles: ...
    def dumps(self) -> bytes: ...
    @staticmethod
    def loads(data: bytes) -> Ingest: ...

@final
class DrainServer:
    @property
    def addr(self) -> str: ...
    @property
    def url(self) -> str: ...
    def profiles(self) -> dict[str, Profiles]: ...
    def stop(self) -> Awaitable[None]: ...

def serve_drain(
    listen: str,
    state_dir: Union[str, os.PathLike[str]],
    auth: Optional[str] = None,
    tls_cert: Optional[Union[str, os.PathLike[str]]] = None,
    tls_key: Optional[Union[str, os.PathLike[str]]] = None,
    max_body: Optional[int] = None,
    checkpoint_every: Optional[int] = None,
) -> Awaitable[DrainServer]: ...

def ingest(
    paths: Sequence[Union[str, os.PathLike[str]]],
    progress: Optional[Callable[[int, int, int], object]] = None,
    threads: Optional[int] = None,
) -> Profiles: ...

@final
class SynthReport:
    # generated: the fields of SynthReport (core/src/results.rs; make generate)
    @property
    def lines(self) -> int:
        """Lines written."""
    @property
    def bytes(self) -> int:
        """Bytes written (before gzip)."""
    @property
    def process_types(self) -> list[str]:
        """Process types written, sorted."""
    # end generated
    def to_json(self) -> str: ...

def synth_logs(
    formation: Formation,
    path: Union[str, os.PathLike[str]],
    options_json: Optional[str] = None,
) -> SynthReport: ...

# EC2 node planning: each takes the op's request and returns its response (the core's JSON shape).
def kube_reserved(request: Mapping[str, Any]) -> dict[str, Any]: ...
def max_pods(request: Mapping[str, Any]) -> dict[str, Any]: ...
def allocatable(request: Mapping[str, Any]) -> dict[str, Any]: ...
def plan_nodes(request: Mapping[str, Any]) -> dict[str, Any]: ...
def compare_bill(request: Mapping[str, Any]) -> dict[str, Any]: ...
def karpenter_config(request: Mapping[str, Any]) -> dict[str, Any]: ...

# Health gates described as data.
def validate_gates(json_text: str) -> list[str]: ...

# Log events of the core: to `logging` (logger "dynoshift") by default, or to a callable.
def set_logger(
    callback: Optional[Callable[[str, str, str], object]] = None,
    level: Optional[str] = None,
) -> None: ...
