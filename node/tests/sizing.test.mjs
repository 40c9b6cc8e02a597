// Sizing from Node: plain objects with explanations, typed errors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { dynoshift } from './helpers.mjs'

const formation = dynoshift.Formation.fromJson('{"web": {"size": "standard-2x", "quantity": 2}, "worker": {"size": "standard-1x", "quantity": 1}}')

const lines = []
for (let t = 0; t < 3 * 3600; t += 20) {
  const ts = `2026-11-01T${String(Math.floor(t / 3600)).padStart(2, '0')}:${String(Math.floor(t / 60) % 60).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}+00:00`
  for (const [source, mb, load] of [['web.1', 400 + (t % 100), 0.3], ['web.2', 380, 0.2], ['worker.1', 300, 0.8]]) {
    lines.push(`${ts} heroku[${source}]: source=${source} dyno=heroku.1.x sample#load_avg_1m=${load.toFixed(2)}`)
    lines.push(`${ts} heroku[${source}]: source=${source} dyno=heroku.1.x sample#memory_total=${mb.toFixed(2)}MB sample#memory_rss=${mb.toFixed(2)}MB sample#memory_cache=0.00MB sample#memory_swap=0.00MB`)
  }
}

test('memory is never below the observed peak, and numbers explain themselves', () => {
  const report = dynoshift.recommendLines(formation, lines)
  const web = report.processes.find((p) => p.process_type === 'web')
  assert.ok(web.memory_request_mib.value >= 499, JSON.stringify(web.memory_request_mib))
  assert.ok(web.memory_request_mib.explanation.rule.length > 0)
  assert.ok(web.memory_request_mib.explanation.samples > 0)
})

test('files give the same report as lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dynoshift-sizing-'))
  const log = join(dir, 'app.log')
  writeFileSync(log, lines.join('\n') + '\n')
  assert.deepEqual(dynoshift.recommendSizing(formation, [log]), dynoshift.recommendLines(formation, lines))
})

test('strategies and typed errors', () => {
  assert.equal(dynoshift.recommendLines(formation, lines, { strategy: 'krr' }).strategy, 'krr')
  assert.throws(() => dynoshift.recommendLines(formation, lines, { memory_margin: -1 }), (e) => e.code === 'invalid_input')
  assert.throws(() => dynoshift.recommendSizing(formation, ['/nonexistent/app.log']), (e) => e.code === 'not_found')
})
