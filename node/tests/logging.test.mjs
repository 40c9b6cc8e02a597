// The core's log events in Node: setLogger receives (level, target, message) from a real
// ingest, at the chosen level, and stops with null; a bulk ingest reports its progress.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dynoshift } from './helpers.mjs'

const dir = mkdtempSync(join(tmpdir(), 'dynoshift-logging-'))
const log = join(dir, 'app.log')
dynoshift.synthLogs(dynoshift.Formation.fromJson('{"web": {"size": "standard-1x", "quantity": 1}}'), log, '{"duration_s": 3600, "seed": 3}')
after(() => {
  dynoshift.setLogger(null)
  rmSync(dir, { recursive: true, force: true })
})

// calls arrive on the JS thread after the event: give them a moment
const settle = () => new Promise((resolve) => setTimeout(resolve, 50))

test('ingest events reach the callback with level, target and message', async () => {
  const seen = []
  dynoshift.setLogger((level, target, message) => seen.push({ level, target, message }), 'info')
  const profiles = await dynoshift.ingest([log])
  await settle()
  const finished = seen.find((r) => r.message.startsWith('ingest: finished'))
  assert.ok(finished, JSON.stringify(seen))
  assert.equal(finished.level, 'info')
  assert.equal(finished.target, 'dynoshift::telemetry')
  assert.ok(finished.message.includes(`records=${profiles.lines.records}`), finished.message)
})

test('levels filter, null stops, a bad level is invalid_input', async () => {
  const seen = []
  dynoshift.setLogger((level) => seen.push(level), 'warn')
  await dynoshift.ingest([log])
  dynoshift.setLogger(null)
  await dynoshift.ingest([log])
  await settle()
  assert.deepEqual(seen, [])
  assert.throws(() => dynoshift.setLogger(null, 'loud'), (e) => e.code === 'invalid_input')
})

test('a throwing callback does not break the call', async () => {
  dynoshift.setLogger(() => { throw new Error('boom') }, 'info')
  const profiles = await dynoshift.ingest([log])
  await settle()
  assert.ok(profiles.lines.records > 0)
  dynoshift.setLogger(null)
})

test('a bulk ingest reports its progress in bytes', async () => {
  const calls = []
  const profiles = await dynoshift.ingest([log, log], (p) => calls.push(p))
  await settle()
  assert.ok(calls.length > 0)
  assert.deepEqual(calls.at(-1), { bytes: profiles.lines.bytes, filesDone: 2, files: 2 })
  const bytes = calls.map((c) => c.bytes)
  assert.deepEqual(bytes, [...bytes].sort((a, b) => a - b), 'never goes backwards')
})
