// Saved ingest state through Node: dumps/loads round trips, merges of loaded parts equal one
// ingest, foreign or corrupt bytes throw with code invalid_input.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dynoshift } from './helpers.mjs'

const LINES = [
  '2024-03-01T10:00:00+00:00 heroku[web.1]: source=web.1 sample#memory_total=300MB sample#load_avg_1m=0.5\n',
  '2024-03-01T10:00:01+00:00 heroku[router]: at=info dyno=web.1 connect=1ms service=20ms status=200 bytes=1\n',
  '2024-03-01T11:00:00+00:00 heroku[worker.1]: Error R14 (Memory quota exceeded)\n',
  'not a log line\n',
]

test('loaded parts merge to the profiles of one ingest', () => {
  const one = new dynoshift.Ingest()
  const merged = new dynoshift.Ingest()
  LINES.forEach((line, k) => {
    one.beginInput(`part-${k}`)
    one.feed(Buffer.from(line))
    const part = new dynoshift.Ingest()
    part.beginInput(`part-${k}`)
    part.feed(Buffer.from(line))
    const state = part.dumps()
    assert.ok(Buffer.isBuffer(state))
    merged.merge(dynoshift.Ingest.loads(state))
  })
  assert.equal(merged.finish().toJson(), one.finish().toJson())
})

test('a half line is kept across dumps and loads', () => {
  const ingest = new dynoshift.Ingest()
  ingest.feed(Buffer.from(LINES[0].slice(0, 30)))
  const resumed = dynoshift.Ingest.loads(ingest.dumps())
  resumed.feed(Buffer.from(LINES[0].slice(30)))
  assert.equal(resumed.finish().lines.telemetry, 1)
})

test('foreign and corrupt bytes throw with code invalid_input', () => {
  for (const data of [Buffer.alloc(0), Buffer.from('{}')]) {
    assert.throws(() => dynoshift.Ingest.loads(data), (err) => err.code === 'invalid_input')
  }
  const ingest = new dynoshift.Ingest()
  ingest.feed(Buffer.from(LINES.join('')))
  const state = ingest.dumps()
  state[state.length - 1] ^= 1
  assert.throws(() => dynoshift.Ingest.loads(state), (err) => err.code === 'invalid_input' && err.message.includes('checksum'))
})
