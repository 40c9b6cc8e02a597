// `drained` on the decaying residual tail of tests/fixtures/drained (see core/tests/drained.rs):
// not drained 6 h after promotion, drained at 8 h; the same from the drain receiver's profiles.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { dynoshift } from './helpers.mjs'

const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'tests', 'fixtures', 'drained')
const plan = () => dynoshift.CutoverPlan.fromJson(readFileSync(join(FIXTURES, 'plan.json'), 'utf8'))
const lines = () => readFileSync(join(FIXTURES, 'residual-tail.log'), 'utf8').split('\n').filter(Boolean)

test('a decaying tail gives both answers', () => {
  const early = dynoshift.drained(plan(), { lines: lines(), now: '2026-12-01T06:00:00Z' })
  assert.equal(early.drained, false)
  assert.equal(early.covered, true)
  assert.match(early.reason, /drained at the earliest 2026-12-01T06:50/)
  assert.ok(early.tail(3).some((l) => l.includes('www.example.test')))
  const late = dynoshift.drained(plan(), { lines: lines(), now: '2026-12-01T08:00:00Z' })
  assert.equal(late.drained, true, late.reason)
  assert.equal(JSON.parse(late.toJson()).hosts.length, 2)
})

test('profiles and bad input', async () => {
  const profiles = (await dynoshift.ingest([join(FIXTURES, 'residual-tail.log')])).toJson()
  const report = dynoshift.drained(plan(), { profilesJson: profiles, now: '2026-12-01T08:00:00Z' })
  assert.equal(report.drained, true, report.reason)
  assert.throws(() => dynoshift.drained(plan(), { now: '2026-12-01T08:00:00Z' }), { code: 'invalid_input' })
  assert.throws(() => dynoshift.drained(plan(), { lines: lines(), now: 'yesterday' }), { code: 'invalid_input' })
})
