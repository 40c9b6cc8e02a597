// HerokuClient: Promises against a loopback server with recorded Platform API responses.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { readFileSync, existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { inspect } from 'node:util'
import { dynoshift, REPO } from './helpers.mjs'

const FIXTURES = join(REPO, 'tests', 'fixtures', 'heroku-api')
const GOOD = 'hk-test-0123456789abcdef'
const WRONG = 'hk-wrong-token-do-not-print'
let server
let url
const seen = []

before(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url, headers: req.headers })
    const send = (status, body) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(body) }
    if (req.headers.authorization !== `Bearer ${GOOD}`) return send(401, '{"id":"unauthorized","message":"Invalid credentials provided."}')
    const file = resolve(FIXTURES, `.${req.url}.json`)
    if (file.startsWith(FIXTURES) && existsSync(file)) return send(200, readFileSync(file))
    send(404, '{"id":"not_found","message":"Couldn\'t find that app."}')
  })
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok))
  url = `http://127.0.0.1:${server.address().port}`
})
after(() => server.close())

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
