// The cutover glue: plan, DNS targets, preflight, dry run, runs with events, controls, error
// codes and secrets — on the in-memory zone and once against moto_server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { dynoshift, startMotoServer } from './helpers.mjs'

const { CutoverPlan, MemoryZone, Route53, Cutover, preflight, dryRun, readJournal } = dynoshift

const HEROKU = 'shop-1234.herokudns.com'
const AWS = 'lb-1.elb.amazonaws.com'
const SECRET = 'moto-secret-key-do-not-print-42'

const plan = (overrides = {}) => CutoverPlan.fromJson(JSON.stringify({
  hostnames: ['www.example.com'],
  zone: 'example.com',
  heroku_target: HEROKU,
  aws_target: AWS,
  stages: [10, 50, 100],
  soak_seconds: 0,
  ttl: 1,
  tick_seconds: 1,
  poll_seconds: 1,
  ...overrides,
}))

const tmp = () => mkdtempSync(join(tmpdir(), 'dynoshift-cutover-'))

test('a plan is typed and round-trips', () => {
  const p = plan()
  assert.deepEqual(p.hostnames, ['www.example.com'])
  assert.deepEqual(p.stages, [10, 50, 100])
  assert.deepEqual([p.zone, p.herokuTarget, p.awsTarget, p.soakSeconds, p.ttl, p.rollback, p.requireApproval], ['example.com', HEROKU, AWS, 0, 1, 'full', false])
  assert.equal(CutoverPlan.fromJson(p.toJson()).digest, p.digest)
})

test('a bad plan throws code invalid_input', () => {
  assert.throws(() => plan({ stages: [10, 50] }), (err) => err instanceof Error && err.code === 'invalid_input' && err.message.includes('stages'))
  assert.throws(() => CutoverPlan.fromJson('{not json'), (err) => err.code === 'invalid_input')
})

test('dry run is sync and typed', () => {
  const report = dryRun(plan())
  assert.deepEqual(report.steps.slice(-3).map((s) => s.awsPercent), [10, 50, 100])
  assert.ok(report.steps.every((s) => s.batches >= 1 && s.changes >= 1))
  assert.ok(report.apiCalls > 0)
  assert.equal(JSON.parse(report.toJson()).steps[0].step, report.steps[0].step)
  // one line per step, for people
  assert.ok(report.summary.length > report.steps.length)
  const line = report.summary[report.steps.length - 3]
  assert.ok(line.includes(' 10% AWS /  90% Heroku'), line)
})

test('preflight on the memory zone resolves to a typed report', async () => {
  const p = plan()
  const report = await preflight(p, new MemoryZone(p))
  assert.equal(report.ok, true)
  assert.equal(report.zoneName, 'example.com')
  assert.deepEqual(report.findings.filter((f) => f.severity === 'error'), [])
  const missing = await preflight(plan({ zone: 'other.org', hostnames: ['www.other.org'] }), new MemoryZone(p))
  assert.equal(missing.ok, false)
  assert.equal(missing.findings[0].code, 'zone_not_found')
  assert.equal(missing.findings[0].kind, 'not_found')
})

test("the plan's live checks run in preflight and say what ran", async () => {
  // both targets pinned to a closed loopback port: the TLS check cannot connect
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)) })
  })
  const der = readFileSync(new URL('../../tests/fixtures/heroku-api/tls/cert.der', import.meta.url))
  const ca = join(mkdtempSync(join(tmpdir(), 'dynoshift-ca-')), 'ca.pem')
  writeFileSync(ca, `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`)
  const p = plan({ checks: { tls: { ca_bundle: ca }, connect_to: { [AWS]: `127.0.0.1:${port}`, [HEROKU]: `127.0.0.1:${port}` } } })
  const report = await preflight(p, new MemoryZone(p))
  assert.equal(report.ok, false)
  assert.deepEqual(report.findings.filter((f) => f.code.startsWith('tls_')).map((f) => f.code), ['tls_unreachable', 'tls_unreachable'])
  assert.deepEqual(JSON.parse(report.toJson()).checks.map((c) => [c.check, c.ran]), [['tls', true], ['parity', false]])
  assert.ok(report.summary.some((l) => l.startsWith('check parity skipped')), report.summary.join('\n'))
  assert.throws(() => plan({ checks: { connect_to: { [AWS]: 'nowhere' } } }), (e) => e.code === 'invalid_input')
})

test('a full cutover on the memory zone: promoted, events in order, journal written', async () => {
  const p = plan()
  const zone = new MemoryZone(p)
  const events = []
  const journal = join(tmp(), 'cutover.journal.json')
  const cut = new Cutover(p, zone, journal, { onEvent: (e) => events.push(e) })
  assert.equal(cut.running, false)
  const outcome = await cut.run()
  assert.equal(outcome.status, 'promoted')
  assert.equal(outcome.reason, null)
  assert.deepEqual(JSON.parse(outcome.toJson()), { outcome: 'promoted' })
  const types = events.map((e) => e.type)
  assert.equal(types[0], 'run_started')
  assert.deepEqual(events[0].stages, [10, 50, 100])
  assert.ok(events.every((e) => e.run_id === events[0].run_id && typeof e.at_ms === 'number'))
  for (const t of ['lock_acquired', 'snapshot', 'writing', 'change_submitted', 'in_sync', 'ttl_wait', 'promoted']) assert.ok(types.includes(t), t)
  assert.deepEqual(events.filter((e) => e.type === 'stage_passed').map((e) => e.percent), [10, 50, 100])
  assert.ok(types.indexOf('writing') < types.indexOf('change_submitted') && types.indexOf('change_submitted') < types.indexOf('in_sync'))
  assert.ok(types.indexOf('stage_passed') < types.indexOf('promoted'))
  assert.ok(existsSync(journal))
  assert.deepEqual(JSON.parse(readJournal(journal)).outcome, { outcome: 'promoted' })
  const weights = Object.fromEntries(JSON.parse(zone.recordsJson()).filter((r) => r.type === 'CNAME').map((r) => [r.set_identifier, r.weight]))
  assert.deepEqual(weights, { heroku: 0, aws: 100 })
  assert.equal((await cut.resume()).status, 'promoted')
  await assert.rejects(cut.promote(), (err) => err.code === 'conflict')
  const back = await cut.rollback()
  assert.equal(back.status, 'rolled_back')
  assert.deepEqual(JSON.parse(zone.recordsJson()).filter((r) => r.name === 'www.example.com').map((r) => [r.type, r.values]), [['CNAME', [HEROKU]]])
})

test('misspelled option keys are invalid_input naming the key and the known ones', () => {
  const p = plan()
  const zone = new MemoryZone(p)
  const refused = (f, key, hint) => assert.throws(f, (err) => {
    assert.equal(err.code, 'invalid_input', err.message)
    assert.match(err.message, new RegExp(`unknown option "${key}"`))
    if (hint) assert.match(err.message, new RegExp(`did you mean ${hint}\\?`))
    return true
  })
  // a typo must never fall back to the real AWS endpoint and the default credential chain
  refused(() => new Route53({ endpointURL: 'http://127.0.0.1:5000' }), 'endpointURL', 'endpointUrl')
  refused(() => new Route53({ endpoint_url: 'http://127.0.0.1:5000' }), 'endpoint_url', 'endpointUrl')
  // a gate under the wrong name must never run the cutover ungated
  refused(() => new Cutover(p, zone, join(tmp(), 'k.json'), { gate: [() => ({ status: 'pass' })] }), 'gate', 'gates')
  refused(() => new MemoryZone(p, { virtual_time: false }), 'virtual_time', 'virtualTime')
  refused(() => new dynoshift.HerokuClient({ apiKey: 'x' }), 'apiKey')
  // the right keys still work, and a value of the wrong type names its key
  assert.equal(new Route53({ endpointUrl: 'http://127.0.0.1:5000' }).endpointUrl, 'http://127.0.0.1:5000')
  assert.throws(() => new Cutover(p, zone, join(tmp(), 'k.json'), { force: 'yes' }), (err) => err.code === 'invalid_input' && /force/.test(err.message))
})

test('a pause that waits for evidence settles the Promise as paused', async () => {
  const p = plan({ soak_seconds: 3, max_consecutive_errors: 2 })
  const zone = new MemoryZone(p)
  const journal = join(tmp(), 'e.json')
  const cut = new Cutover(p, zone, journal, { gates: [() => { throw new Error('probe crashed') }] })
  const outcome = await cut.run()
  assert.equal(outcome.status, 'paused')
  assert.match(outcome.reason, /2 consecutive errors of gate/)
  assert.deepEqual(JSON.parse(readJournal(journal)).steps.at(-1).target, { kind: 'weighted', percent: 10 })
  assert.equal((await cut.rollback()).status, 'rolled_back')
})

test('a throwing onEvent is counted and does not stop the run', async () => {
  const p = plan()
  const cut = new Cutover(p, new MemoryZone(p), join(tmp(), 'j.json'), { onEvent: () => { throw new Error('observer bug') } })
  assert.equal((await cut.run()).status, 'promoted')
  assert.ok(cut.callbackErrors > 5)
})

test('gates: sync, async, throwing', async () => {
  const p = plan({ soak_seconds: 3 })
  const asked = new Set()
  const steady = (ctx) => { asked.add(ctx.percent); return { status: 'pass', reason: 'fine' } }
  assert.equal((await new Cutover(p, new MemoryZone(p), join(tmp(), 'a.json'), { gates: [steady] }).run()).status, 'promoted')
  assert.deepEqual([...asked].sort((a, b) => a - b), [10, 50, 100])

  const events = []
  const canary = async (ctx) => (ctx.percent >= 50 ? { status: 'fail', reason: '5xx rate 7%' } : { status: 'pass', reason: 'ok' })
  const outcome = await new Cutover(p, new MemoryZone(p), join(tmp(), 'b.json'), { onEvent: (e) => events.push(e), gates: [canary] }).run()
  assert.equal(outcome.status, 'rolled_back')
  assert.match(outcome.reason, /5xx rate 7%/)
  const verdicts = events.filter((e) => e.type === 'gate_verdict').map((e) => e.verdict)
  assert.equal(verdicts.at(-1).status, 'fail')
  assert.equal(verdicts.at(-1).gate, 'canary')

  const seen = []
  const broken = () => { throw new Error('probe crashed') }
  const cut = new Cutover(plan({ soak_seconds: 3, max_consecutive_errors: 2 }), new MemoryZone(p), join(tmp(), 'c.json'), {
    onEvent: (e) => seen.push(e),
    gates: [broken],
  })
  // a pause that waits for evidence settles (issue 24 #5: it used to wait forever although
  // this object holds the controls), as in the Python and Ruby tests
  const paused = await cut.run()
  assert.equal(paused.status, 'paused')
  assert.match(paused.reason, /2 consecutive errors of gate broken/)
  assert.ok(seen.some((e) => e.type === 'paused'))
  assert.ok(seen.some((e) => e.type === 'gate_verdict' && e.verdict.status === 'error' && e.verdict.reason.includes('probe crashed')))
  assert.equal(cut.running, false)
  assert.equal((await cut.rollback()).status, 'rolled_back')
})

test('missing journal rejects with not_found', () => {
  assert.throws(() => readJournal(join(tmp(), 'none.json')), (err) => err.code === 'not_found')
})

test('lock conflict between two runs, and controls', async () => {
  const p = plan({ require_approval: true })
  const zone = new MemoryZone(p)
  const dir = tmp()
  let waiting
  const awaiting = new Promise((resolve) => { waiting = resolve })
  const first = new Cutover(p, zone, join(dir, 'first.json'), { onEvent: (e) => { if (e.type === 'awaiting_approval') waiting() } })
  assert.throws(() => first.approve(), (err) => err.code === 'conflict')
  const run = first.run()
  await awaiting
  assert.equal(first.running, true)
  await assert.rejects(first.run(), (err) => err.code === 'conflict') // one call at a time per Cutover object
  const second = new Cutover(p, zone, join(dir, 'second.json'))
  await assert.rejects(second.run(), (err) => err instanceof Error && err.code === 'conflict')
  assert.throws(() => first.rollbackNow('sideways'), (err) => err.code === 'invalid_input')
  await assert.rejects(first.rollback('sideways'), (err) => err.code === 'invalid_input')
  first.abort()
  const outcome = await run
  assert.equal(outcome.status, 'rolled_back')
  assert.match(outcome.reason, /aborted/)
  assert.equal(first.running, false)
})

test('Route53 needs both keys and never shows the secret', () => {
  assert.throws(() => new Route53({ accessKeyId: 'AKIAEXAMPLE' }), (err) => err.code === 'invalid_input')
  const r = new Route53({ endpointUrl: 'http://127.0.0.1:9', accessKeyId: 'testing', secretAccessKey: SECRET })
  assert.equal(r.endpointUrl, 'http://127.0.0.1:9')
  assert.ok(!inspect(r, { showHidden: true, depth: 5 }).includes(SECRET))
  assert.ok(!JSON.stringify(r).includes(SECRET))
})

// ---- moto_server -------------------------------------------------------------------------------

const NS = 'https://route53.amazonaws.com/doc/2013-04-01/'
// moto picks the service from the credential scope; it does not check signatures.
const FAKE_AUTH = 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/route53/aws4_request, SignedHeaders=host, Signature=0'
const S3_AUTH = FAKE_AUTH.replace('/route53/', '/s3/')

async function startMoto () {
  const { url, close } = await startMotoServer()
  const post = async (path, body) => {
    const res = await fetch(url + path, { method: 'POST', body, headers: { Authorization: FAKE_AUTH, 'Content-Type': 'text/xml' } })
    const text = await res.text()
    if (!res.ok) throw new Error(`moto ${res.status}: ${text}`)
    return text
  }
  return {
    url,
    async createZone (name) {
      const xml = await post('/2013-04-01/hostedzone', `<CreateHostedZoneRequest xmlns="${NS}"><Name>${name}</Name><CallerReference>${Date.now()}-${Math.random()}</CallerReference></CreateHostedZoneRequest>`)
      const id = /<HostedZone>\s*<Id>([^<]+)<\/Id>/.exec(xml)?.[1]
      assert.ok(id, `no zone id in ${xml}`)
      return id.split('/').pop()
    },
    async createCname (zoneId, name, target, ttl) {
      await post(`/2013-04-01/hostedzone/${zoneId}/rrset`, `<ChangeResourceRecordSetsRequest xmlns="${NS}"><ChangeBatch><Changes><Change><Action>CREATE</Action><ResourceRecordSet><Name>${name}</Name><Type>CNAME</Type><TTL>${ttl}</TTL><ResourceRecords><ResourceRecord><Value>${target}</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`)
    },
    async createBucket (name) {
      const res = await fetch(`${url}/${name}`, { method: 'PUT', headers: { Authorization: S3_AUTH } })
      if (!res.ok) throw new Error(`moto ${res.status}: ${await res.text()}`)
      return name
    },
    async getObject (bucket, key) {
      const res = await fetch(`${url}/${bucket}/${key}`, { headers: { Authorization: S3_AUTH } })
      if (!res.ok) throw new Error(`moto ${res.status}: ${await res.text()}`)
      return res.text()
    },
    close,
  }
}

test('a short cutover against moto_server', async () => {
  const moto = await startMoto()
  try {
    const zoneId = await moto.createZone('example.com')
    await moto.createCname(zoneId, 'www.example.com', HEROKU, 1)
    const dns = new Route53({ endpointUrl: moto.url, region: 'us-east-1', accessKeyId: 'testing', secretAccessKey: SECRET })
    const p = plan({ stages: [50, 100] })
    const report = await preflight(p, dns)
    assert.equal(report.ok, true, report.toJson())
    assert.ok(report.zoneId.includes(zoneId))
    const events = []
    const journal = join(tmp(), 'moto.journal.json')
    const outcome = await new Cutover(p, dns, journal, { onEvent: (e) => events.push(e) }).run()
    assert.equal(outcome.status, 'promoted')
    assert.deepEqual(events.filter((e) => e.type === 'stage_passed').map((e) => e.percent), [50, 100])
    assert.ok(!readFileSync(journal, 'utf8').includes(SECRET))
    const missing = plan({ zone: 'missing.example', hostnames: ['www.missing.example'] })
    await assert.rejects(new Cutover(missing, dns, join(tmp(), 'missing.json')).run(), (err) => {
      assert.equal(err.code, 'not_found')
      assert.ok(!err.message.includes(SECRET) && !inspect(err).includes(SECRET))
      return true
    })
  } finally {
    moto.close()
  }
})

test('an s3:// journal on moto_server', async () => {
  const moto = await startMoto()
  try {
    const zoneId = await moto.createZone('example.com')
    await moto.createCname(zoneId, 'www.example.com', HEROKU, 1)
    const bucket = await moto.createBucket('cutovers')
    const dns = new Route53({ endpointUrl: moto.url, region: 'us-east-1', accessKeyId: 'testing', secretAccessKey: SECRET })
    const url = `s3://${bucket}/shop/www.journal.json`
    const cut = new Cutover(plan({ stages: [50, 100] }), dns, url)
    assert.equal(cut.journalPath, url)
    const outcome = await cut.run()
    assert.equal(outcome.status, 'promoted')
    const text = await moto.getObject(bucket, 'shop/www.journal.json')
    assert.equal(JSON.parse(text).outcome.outcome, 'promoted')
    assert.ok(!text.includes(SECRET))
    // the finished run, read back from S3, cannot be promoted again
    await assert.rejects(new Cutover(plan({ stages: [50, 100] }), dns, url).promote(), (err) => err.code === 'conflict')
    await assert.rejects(new Cutover(plan(), dns, 's3://no-such-bucket/j.json').run(), (err) => {
      assert.equal(err.code, 'not_found')
      assert.ok(err.message.includes('no-such-bucket') && !err.message.includes(SECRET))
      return true
    })
  } finally {
    moto.close()
  }
})

test('a fleet of two apps on moto_server under one budget', async () => {
  const moto = await startMoto()
  try {
    const dns = new Route53({ endpointUrl: moto.url, region: 'us-east-1', accessKeyId: 'testing', secretAccessKey: SECRET })
    const fleet = new dynoshift.Fleet({ budget: 5, burst: 1 })
    const dir = tmp()
    for (const app of ['shop', 'blog']) {
      const zone = `${app}.example.com`
      await moto.createCname(await moto.createZone(zone), `www.${zone}`, HEROKU, 1)
      fleet.add(app, plan({ zone, hostnames: [`www.${zone}`], stages: [50, 100] }), dns, join(dir, `${app}.json`))
    }
    assert.equal(fleet.length, 2)
    const report = await fleet.run()
    assert.equal(report.allPromoted, true, report.table().join('\n'))
    const doc = JSON.parse(report.toJson())
    assert.deepEqual(doc.apps.map((a) => a.app), ['shop', 'blog'])
    assert.ok(doc.apps.every((a) => a.outcome === 'promoted' && a.route53.calls > 0))
    assert.equal(doc.total.calls, doc.apps.reduce((n, a) => n + a.route53.calls, 0))
    assert.ok(existsSync(join(dir, 'shop.json')) && existsSync(join(dir, 'blog.json')))
    // one hostname in two apps: rejected before anything runs
    const twice = new dynoshift.Fleet()
    const p = plan()
    twice.add('a', p, new MemoryZone(p), join(dir, 'a.json'))
    twice.add('b', p, new MemoryZone(p), join(dir, 'b.json'))
    await assert.rejects(twice.run(), (err) => err.code === 'invalid_input')
    assert.throws(() => new dynoshift.Fleet({ budget: 0 }), (err) => err.code === 'invalid_input')
  } finally {
    moto.close()
  }
})
