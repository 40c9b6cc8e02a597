"""The README's gates-as-data example; the runner supplies plan.json (its zone in moto_server,
reached through AWS_ENDPOINT_URL). The region between the markers is the README's."""

import asyncio

import dynoshift


async def main() -> None:
    cutover_plan = dynoshift.CutoverPlan.from_json(open("plan.json").read())
    dns = dynoshift.Route53()
    # readme:begin
    gates = '[{"type": "http", "name": "aws-health", "probe": {"url": "http://lb.example/healthz", "host": "www.example.com"}, "max_p95_ms": 500}]'
    print(dynoshift.validate_gates(gates))      # ["aws-health"]
    cut = dynoshift.Cutover(cutover_plan, dns, "cutover.journal.json", gates_json=gates)  # a CutoverPlan and DNS target as above
    # readme:end
    print(type(cut).__name__)


asyncio.run(main())
