// cutover.mjs (an ES module: top-level await)
import { readFileSync } from 'node:fs'
import dynoshift from 'dynoshift'
const { CutoverPlan, Route53, Cutover, preflight, dryRun } = dynoshift
const plan = CutoverPlan.fromJson(readFileSync('plan.json', 'utf8'))
const dns = new Route53() // the standard AWS chain; or { endpointUrl: 'http://127.0.0.1:5000', accessKeyId, secretAccessKey }
console.log((await preflight(plan, dns)).ok, dryRun(plan).apiCalls)
const cut = new Cutover(plan, dns, 'cutover.journal.json', { onEvent: (e) => console.log(e.type) })
const outcome = await cut.run() // resume() / rollback(mode?) / promote()
console.log(outcome.status)     // 'promoted' | 'rolled_back' | 'paused'
