// The README's `CutoverPlan.fromHerokuApp` example, run against a loopback Platform API and
// moto_server (their URLs come from the test runner; the region between the markers is the README's).
import { writeFileSync } from 'node:fs'
import dynoshift from 'dynoshift'
const { CutoverPlan, HerokuClient, Route53 } = dynoshift
const heroku = new HerokuClient({ baseUrl: process.env.README_HEROKU_API_URL })
const dns = new Route53() // AWS_ENDPOINT_URL points the standard chain at moto_server
// readme:begin
const found = await CutoverPlan.fromHerokuApp(heroku, 'shop-production', dns, { aws_target: 'my-alb-123.us-east-1.elb.amazonaws.com' })
console.log(found.summary.join('\n'))
for (const plan of found.plans) writeFileSync(`plan.${plan.zone}.json`, plan.toJson())
// readme:end
