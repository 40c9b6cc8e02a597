// The node-planning and data-gate glue: plans with their gap, error codes, and a cutover gated
// by an `http` gate built from JSON.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dynoshift } from './helpers.mjs'

const { CutoverPlan, MemoryZone, Cutover, planNodes, kubeReserved, maxPods, allocatable, compareBill, karpenterConfig, validateGates } = dynoshift

const PODS = [
  { process_type: 'web', replicas: 4, cpu_millis: 500, memory_mib: 1024 },
  { process_type: 'worker', replicas: 2, cpu_millis: 250, memory_mib: 512 },
]

test('a plan: exact against FFD, with its gap', () => {
  const exact = planNodes({ pods: PODS, options: { solver: 'exact' } })
  const ffd = planNodes({ pods: PODS, options: { solver: 'ffd' } })
  assert.equal(exact.solver, 'exact')
  assert.equal(ffd.solver, 'ffd')
  assert.ok(exact.monthly_usd <= exact.ffd_monthly_usd + 1e-9, `${exact.monthly_usd} > ${exact.ffd_monthly_usd}`)
  assert.ok(Math.abs(exact.ffd_monthly_usd - ffd.monthly_usd) < 1e-6)
  assert.equal(typeof exact.gap_percent, 'number')
  assert.ok(exact.gap_percent >= 0 && exact.gap_percent <= 100)
  assert.ok(exact.lower_bound_monthly_usd <= exact.monthly_usd + 1e-9)
  assert.equal(ffd.gap_percent, null)
  const placed = exact.nodes.flatMap((n) => n.pods).filter((p) => !p.endsWith('-surge'))
  assert.equal(placed.length, 6)
  assert.equal(exact.types.reduce((s, t) => s + t.count, 0), exact.node_count)
})

test('an infeasible pod throws with code infeasible, naming the pod', () => {
  const giant = { process_type: 'ml', replicas: 1, cpu_millis: 100, memory_mib: 64 * 1024 * 1024 }
  assert.throws(() => planNodes({ pods: [...PODS, giant] }), (err) => {
    assert.ok(err instanceof Error)
    assert.equal(err.code, 'infeasible', err.message)
    assert.ok(err.message.includes('ml'), err.message)
    return true
  })
})

test('the small ops, the bill, Karpenter and bad requests', () => {
  assert.deepEqual(kubeReserved({ max_pods: 110 }), { memory_mib: 1465, cpu_millis: null })
  assert.equal(maxPods({ max_enis: 3, ipv4_per_eni: 10 }).max_pods, 29)
  assert.equal(typeof allocatable({ instance_type: 'm7i.large' }), 'object')
  assert.throws(() => allocatable({ instance_type: 'm7i.nonesuch' }), (err) => err.code === 'not_found')
  assert.throws(() => planNodes({ pods: PODS, nope: 1 }), (err) => err.code === 'invalid_input')
  const bill = compareBill({ formation: { web: { size: 'standard-2x', quantity: 4 } }, plan: { pods: PODS } })
  assert.ok(Math.abs(bill.heroku_monthly_usd - 200) < 1e-9)
  assert.equal(karpenterConfig({ plan: { pods: PODS }, options: { cluster_name: 'shop' } }).node_pool.kind, 'NodePool')
})

const cutoverPlan = () => CutoverPlan.fromJson(JSON.stringify({
  hostnames: ['www.example.com'],
  zone: 'example.com',
  heroku_target: 'shop-1234.herokudns.com',
  aws_target: 'lb-1.elb.amazonaws.com',
  stages: [10, 50, 100],
  soak_seconds: 3,
  ttl: 1,
  tick_seconds: 1,
  poll_seconds: 1,
}))

const httpGates = (url) => JSON.stringify({ gates: [{ type: 'http', name: 'aws-health', probe: { url }, min_samples: 5 }] })

test('validateGates names the gates; a bad config is invalid_input', () => {
  assert.deepEqual(validateGates(httpGates('http://127.0.0.1:1/healthz')), ['aws-health'])
  assert.throws(() => validateGates('[{"type": "http", "probe": {"url": "nope"}}]'), (err) => err.code === 'invalid_input' && err.message.includes('gates[0].probe.url'))
  const p = cutoverPlan()
  for (const bad of ['{', '[{"type": "smoke"}]']) {
    assert.throws(() => new Cutover(p, new MemoryZone(p), join(mkdtempSync(join(tmpdir(), 'dynoshift-nodes-')), 'j.json'), { gatesJson: bad }), (err) => err.code === 'invalid_input')
  }
})

test('an http gate from gatesJson rolls the cutover back when the app breaks', async () => {
  let broken = false
  let hits = 0
  const server = createServer((req, res) => {
    hits += 1
    res.writeHead(broken ? 500 : 200, { 'content-type': 'text/plain' })
    res.end(broken ? 'down' : 'ok')
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const url = `http://127.0.0.1:${server.address().port}/healthz`
    const p = cutoverPlan()
    const events = []
    const onEvent = (e) => {
      events.push(e)
      if (e.type === 'stage_passed' && e.percent === 10) broken = true
    }
    const cut = new Cutover(p, new MemoryZone(p), join(mkdtempSync(join(tmpdir(), 'dynoshift-nodes-')), 'gated.json'), { onEvent, gatesJson: httpGates(url) })
    const outcome = await cut.run()
    assert.equal(outcome.status, 'rolled_back', outcome.reason ?? '')
    assert.ok((outcome.reason ?? '').includes('aws-health'), outcome.reason ?? '')
    assert.deepEqual(events.filter((e) => e.type === 'stage_passed').map((e) => e.percent), [10])
    const verdicts = events.filter((e) => e.type === 'gate_verdict').map((e) => e.verdict)
    assert.equal(verdicts.at(-1).gate, 'aws-health')
    assert.equal(verdicts.at(-1).status, 'fail')
    assert.ok(hits > 0)
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})
