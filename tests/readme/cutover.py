import asyncio, dynoshift

async def main() -> None:
    plan = dynoshift.CutoverPlan.from_json(open("plan.json").read())
    dns = dynoshift.Route53()            # the standard AWS chain; or Route53(endpoint_url=...), MemoryZone(plan)
    report = await dynoshift.preflight(plan, dns)                # read-only; report.ok, .findings
    print(dynoshift.dry_run(plan).to_json())                     # sync: every batch, timers, calls

    async def canary(ctx: dict) -> dict:                         # optional gate, sync or async
        return {"status": "pass", "reason": "p99 fine"}

    cut = dynoshift.Cutover(plan, dns, "cutover.journal.json",
                            on_event=print, gates=[canary])
    outcome = await cut.run()            # or resume() / rollback(mode=None) / promote()
    print(outcome.status, outcome.reason)  # "promoted" | "rolled_back" | "paused"

asyncio.run(main())
