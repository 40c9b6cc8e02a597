// HerokuClient and CutoverPlan.fromHerokuApp: Promises against a loopback server with recorded
// Platform API responses.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { dynoshift, startRecordedApi, GOOD_TOKEN as GOOD } from './helpers.mjs'

const WRONG = 'hk-wrong-token-do-not-print'
const ALB = 'shop-alb-1234.us-east-1.elb.amazonaws.com'
let api
let url
let seen

before(async () => {
  api = await startRecordedApi()
  url = api.url
  seen = api.seen
})
after(() => api.close())

test('formation() resolves to a Formation', async () => {
  const client = new dynoshift.HerokuClient({ token: GOOD, baseUrl: url })
  const formation = await client.formation('shop-production')
  assert.ok(formation instanceof dynoshift.Formation)
  assert.equal(formation.processes[0].processType, 'web')
  assert.ok(formation.monthlyCost().totalMonthlyUsd > 0)
  assert.equal(seen.at(-1).path, '/apps/shop-production/formation')
  assert.equal(seen.at(-1).headers.accept, 'application/vnd.heroku+json; version=3')
})

test('dynoSizes() resolves to typed sizes', async () => {
  const sizes = await new dynoshift.HerokuClient({ token: GOOD, baseUrl: url }).dynoSizes()
  const std2x = sizes.find((s) => s.name === 'Standard-2X')
  assert.equal(std2x.costCents, 5000)
  assert.equal(std2x.dedicated, false)
})

test('rejections carry the kind as code and never the token', async () => {
  const client = new dynoshift.HerokuClient({ token: WRONG, baseUrl: url })
  const unauthorized = await client.formation('shop-production').then(() => null, (e) => e)
  assert.ok(unauthorized instanceof Error)
  assert.equal(unauthorized.code, 'unauthorized')
  const missing = await new dynoshift.HerokuClient({ token: GOOD, baseUrl: url }).formation('no-such-app').then(() => null, (e) => e)
  assert.equal(missing.code, 'not_found')
  assert.ok(missing.message.includes('no-such-app'))
  for (const text of [unauthorized.message, inspect(unauthorized), inspect(client), missing.message, inspect(missing)]) {
    assert.ok(!text.includes(WRONG) && !text.includes(GOOD), text)
  }
})

test('a bad timeout throws invalid_input synchronously', () => {
  assert.throws(() => new dynoshift.HerokuClient({ token: GOOD, timeoutSeconds: -1 }), (e) => e.code === 'invalid_input' && e.message.includes('timeoutSeconds'))
})

/** An in-memory hosted zone `zone` holding `host` as a CNAME to its Heroku target. */
const zoneFor = (zone, host, herokuTarget) =>
  new dynoshift.MemoryZone(dynoshift.CutoverPlan.fromJson(JSON.stringify({ zone, hostnames: [host], heroku_target: herokuTarget, aws_target: ALB })))

test('CutoverPlan.fromHerokuApp() resolves to the plans of every custom domain', async () => {
  const client = new dynoshift.HerokuClient({ token: GOOD, baseUrl: url })
  const dns = zoneFor('shop.example.test', 'www.shop.example.test', 'sushi-1a2b.herokudns.com')
  const before = seen.length
  const pending = dynoshift.CutoverPlan.fromHerokuApp(client, 'shop-production', dns, { aws_target: ALB, stages: [10, 50, 100] })
  assert.ok(pending instanceof Promise)
  const result = await pending
  assert.ok(result instanceof dynoshift.AppPlans)
  // the domains come in two pages (206 + Next-Range)
  assert.deepEqual(seen.slice(before).map((r) => [r.path, r.headers.range ?? null]), [
    ['/apps/shop-production/domains', null],
    ['/apps/shop-production/domains', 'id ]6f4b2a10-3c5d-4e8f-9a01-b2c3d4e5f607..; max=2'],
  ])
  assert.equal(result.plans.length, 1)
  const [plan] = result.plans
  assert.ok(plan instanceof dynoshift.CutoverPlan)
  assert.equal(plan.zone, 'shop.example.test')
  assert.deepEqual(plan.hostnames, ['api.shop.example.test', 'www.shop.example.test'])
  assert.deepEqual([plan.awsTarget, plan.stages], [ALB, [10, 50, 100]])
  assert.deepEqual(Object.fromEntries(JSON.parse(plan.toJson()).hostnames.map((h) => [h.name, h.heroku_target])), {
    'api.shop.example.test': 'tokyo-9z8y.herokudns.com',
    'www.shop.example.test': 'sushi-1a2b.herokudns.com',
  })
  const report = JSON.parse(result.toJson())
  assert.deepEqual(report.skipped.map((s) => [s.hostname, s.code]), [
    ['shop-production.herokuapp.com', 'heroku_domain'],
    ['shop.example.test', 'apex'],
  ])
  assert.ok(report.skipped[1].reason.includes('CNAME'))
  assert.deepEqual(report.warnings.map((w) => w.code), ['acm_renewal'])
  assert.ok(result.summary[0].startsWith('zone shop.example.test'))
  assert.ok(result.summary.some((line) => line.startsWith('skipped shop.example.test [apex]')))
  assert.equal(dynoshift.dryRun(plan).steps.at(-1).awsPercent, 100)
})

test('CutoverPlan.fromHerokuApp() lists what it leaves out, with reasons', async () => {
  const client = new dynoshift.HerokuClient({ token: GOOD, baseUrl: url })
  const dns = zoneFor('noodle.example.test', 'www.noodle.example.test', 'ramen-3c4d.herokudns.com')
  const result = await dynoshift.CutoverPlan.fromHerokuApp(client, 'noodle-bar', dns, { aws_target: ALB, gates: false })
  assert.deepEqual(result.plans.map((p) => p.hostnames), [['www.noodle.example.test']])
  const skipped = Object.fromEntries(JSON.parse(result.toJson()).skipped.map((s) => [s.hostname, s]))
  assert.deepEqual(Object.fromEntries(Object.entries(skipped).map(([h, s]) => [h, s.code])), {
    'noodle-bar.herokuapp.com': 'heroku_domain',
    'order.noodle-eu.example.test': 'no_zone',
    'legacy.noodle.example.test': 'certificate_failed',
    '*.noodle.example.test': 'wildcard',
  })
  assert.ok(skipped['legacy.noodle.example.test'].reason.includes("Let's Encrypt could not validate the domain"))
})

test('CutoverPlan.fromHerokuApp() rejects bad options with invalid_input before any request', async () => {
  const client = new dynoshift.HerokuClient({ token: GOOD, baseUrl: url })
  const dns = zoneFor('shop.example.test', 'www.shop.example.test', 'sushi-1a2b.herokudns.com')
  const before = seen.length
  await assert.rejects(
    dynoshift.CutoverPlan.fromHerokuApp(client, 'shop-production', dns, { aws_target: ALB, healthPath: '/healthz' }),
    (err) => err instanceof Error && err.code === 'invalid_input' && err.message.includes('healthPath') && err.message.includes('health_path'),
  )
  await assert.rejects(
    dynoshift.CutoverPlan.fromHerokuApp(client, 'shop-production', dns, { aws_target: ALB, ttl: NaN }),
    (err) => err.code === 'invalid_input' && err.message.includes('options.ttl'),
  )
  assert.equal(seen.length, before, 'bad options are refused before any request')
  await assert.rejects(
    dynoshift.CutoverPlan.fromHerokuApp(client, 'shop-production', dns, {}),
    (err) => err.code === 'invalid_input' && err.message.includes('aws_target'),
  )
  await assert.rejects(
    dynoshift.CutoverPlan.fromHerokuApp(client, 'no-such-app', dns, { aws_target: ALB }),
    (err) => err.code === 'not_found' && err.message.includes('no-such-app'),
  )
})
