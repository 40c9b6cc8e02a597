// Stage 0 through the plan JSON: pre_soak_seconds, checks.deadline_seconds and the warm-up
// round-trip and are validated (invalid_input naming the field); a real run on the memory zone
// replays the warm-up's GETs against a loopback server standing for AWS and journals the
// baseline.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dynoshift } from './helpers.mjs'

const { CutoverPlan, MemoryZone, Cutover, readJournal } = dynoshift

const HEROKU = 'shop-1234.herokudns.com'
const AWS = 'lb-1.elb.amazonaws.com'

const plan = (overrides = {}) => CutoverPlan.fromJson(JSON.stringify({
  hostnames: ['www.example.com'],
  zone: 'example.com',
  heroku_target: HEROKU,
  aws_target: AWS,
  stages: [10, 100],
  soak_seconds: 0,
  ttl: 1,
  tick_seconds: 1,
  poll_seconds: 1,
  ...overrides,
}))

test('stage 0 fields round-trip through the plan JSON', () => {
  const p = plan({
    pre_soak_seconds: 120,
    checks: { deadline_seconds: 30 },
    warmup: { paths: ['/', '/products'], requests_per_path: 2, rate_per_second: 4, method: 'HEAD' },
  })
  const doc = JSON.parse(p.toJson())
  assert.equal(doc.pre_soak_seconds, 120)
  assert.equal(doc.checks.deadline_seconds, 30)
  assert.deepEqual(doc.warmup.paths, ['/', '/products'])
  assert.equal(doc.warmup.method, 'HEAD')
  assert.equal(doc.warmup.top, 20)
  assert.equal(CutoverPlan.fromJson(p.toJson()).digest, p.digest)
})

test('bad stage 0 values throw invalid_input naming the field', () => {
  const cases = [
    [{ pre_soak_seconds: 999999 }, 'pre_soak_seconds'],
    [{ pre_soak_seconds: -1 }, 'pre_soak_seconds'],
    [{ checks: { deadline_seconds: 0 } }, 'checks.deadline_seconds'],
    [{ warmup: { method: 'POST' } }, 'warmup.method'],
    [{ warmup: { paths: ['/a?token=1'] } }, 'warmup.paths[0]'],
    [{ warmup: { rate_per_second: 0 } }, 'warmup.rate_per_second'],
  ]
  for (const [overrides, field] of cases) {
    assert.throws(() => plan(overrides), (err) => err.code === 'invalid_input' && err.message.includes(field), field)
  }
})

test('a warm-up replays GETs against AWS before the first weight and journals the baseline', async () => {
  const seen = []
  const server = createServer((req, res) => {
    seen.push([req.method, req.url, req.headers.host])
    res.end('ok')
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = server.address().port
  try {
    const p = plan({
      checks: { connect_to: { [AWS]: `127.0.0.1:${port}` } },
      warmup: { paths: ['/', '/products'], requests_per_path: 2, rate_per_second: 50, scheme: 'http', port },
    })
    const events = []
    const journal = join(mkdtempSync(join(tmpdir(), 'dynoshift-stage0-')), 'cutover.journal.json')
    const outcome = await new Cutover(p, new MemoryZone(p), journal, { onEvent: (e) => events.push(e) }).run()
    assert.equal(outcome.status, 'promoted', outcome.reason)
    assert.deepEqual(seen.map((s) => s.join(' ')).sort(), [
      'GET / www.example.com', 'GET / www.example.com',
      'GET /products www.example.com', 'GET /products www.example.com',
    ])
    const warm = events.filter((e) => e.type === 'warmup_baseline')
    assert.equal(warm.length, 1)
    assert.equal(warm[0].requests, 4)
    assert.deepEqual(warm[0].routes.map((r) => [r.path, r.status_classes]), [['/', { '2xx': 2 }], ['/products', { '2xx': 2 }]])
    const firstStage = events.findIndex((e) => e.type === 'writing' && e.percent === 10)
    assert.ok(events.indexOf(warm[0]) < firstStage)
    assert.equal(JSON.parse(readJournal(journal)).warmup.requests, 4)
  } finally {
    server.close()
  }
})
