"""The README's `CutoverPlan.from_heroku_app` example, run against a loopback Platform API and
moto_server (their URLs come from the test runner; the region between the markers is the README's)."""

import asyncio
import os

import dynoshift


async def main() -> None:
    heroku = dynoshift.HerokuClient(base_url=os.environ["README_HEROKU_API_URL"])
    dns = dynoshift.Route53()  # AWS_ENDPOINT_URL points the standard chain at moto_server
    # readme:begin
    found = await dynoshift.CutoverPlan.from_heroku_app(heroku, "shop-production", dns,
                                                         {"aws_target": "my-alb-123.us-east-1.elb.amazonaws.com"})
    print("\n".join(found.summary))          # what was planned, and what was left out and why
    for plan in found.plans:                  # one plan per hosted zone
        open(f"plan.{plan.zone}.json", "w").write(plan.to_json())
    # readme:end


asyncio.run(main())
