// Log ingestion through Node: the bulk Promise, incremental feeding, parity with the Rust CLI,
// bad input, and the JS thread staying free while a bulk ingest runs.
//
// Parity: the JSON must equal, byte for byte, what `dynoshift ingest FILES --json` prints for the
// same files. `make test` builds that CLI and passes its path in DYNOSHIFT_CLI; run by hand, the
// test looks for target/<host-triple>/debug/dynoshift and fails if neither is there.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { dynoshift, REPO, startMotoServer } from './helpers.mjs'

const FORMATION = '{"web": {"size": "standard-2x", "quantity": 2}, "worker": {"size": "standard-1x", "quantity": 1}}'
const TEXT_OPTIONS = '{"duration_s": 86400, "seed": 7, "web_rps": 0.5, "leak_mb_per_hour": 10, "leak_types": ["worker"], "r14_episodes": 2}'
const DRAIN_OPTIONS = '{"duration_s": 21600, "seed": 8, "web_rps": 0.5, "framing": "drain", "start_unix_s": 1793664000}'

function cli() {
  if (process.env.DYNOSHIFT_CLI) return process.env.DYNOSHIFT_CLI
  const target = join(REPO, 'target')
  for (const triple of existsSync(target) ? readdirSync(target).sort() : []) {
    const p = join(target, triple, 'debug', 'dynoshift')
    if (existsSync(p)) return p
  }
  throw new Error('the Rust CLI is not built: run `make test-node` (or set DYNOSHIFT_CLI)')
}
const cliJson = (...paths) => execFileSync(cli(), ['ingest', '--json', ...paths], { encoding: 'utf8', maxBuffer: 1 << 28 }).trim()

// A small deterministic PRNG so chunk sizes are reproducible.
function rng(seed) {
  let s = seed >>> 0
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s % n
  }
}

function feedInRandomChunks(ingest, path, next) {
  const data = readFileSync(path)
  ingest.beginInput(path)
  for (let i = 0; i < data.length;) {
    const n = [1, 7, 100, 4096, 65536, 1 + next(300000)][next(6)]
    ingest.feed(data.subarray(i, i + n))
    i += n
  }
  ingest.endInput()
}

let dir, text, drain
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dynoshift-ingest-'))
  text = join(dir, 'text.log')
  drain = join(dir, 'drain.log')
  const formation = dynoshift.Formation.fromJson(FORMATION)
  const report = dynoshift.synthLogs(formation, text, TEXT_OPTIONS)
  assert.equal(report.bytes, statSync(text).size)
  assert.deepEqual(report.processTypes, ['web', 'worker'])
  assert.equal(JSON.parse(report.toJson()).options.seed, 7)
  dynoshift.synthLogs(formation, drain, DRAIN_OPTIONS)
})
after(() => rmSync(dir, { recursive: true, force: true }))

test('ingest returns a Promise whose JSON equals the Rust CLI', async () => {
  const pending = dynoshift.ingest([text])
  assert.ok(pending instanceof Promise)
  assert.equal((await pending).toJson(), cliJson(text))
  assert.equal((await dynoshift.ingest([text, drain])).toJson(), cliJson(text, drain))
})

test('threads change nothing, but must be 1 to 256', async () => {
  const want = cliJson(text, drain)
  for (const threads of [1, 2, 3]) {
    assert.equal((await dynoshift.ingest([text, drain], null, threads)).toJson(), want)
  }
  for (const bad of [0, -1, 257]) {
    await assert.rejects(dynoshift.ingest([text], null, bad), (err) => err.code === 'invalid_input' && err.message.includes(`got ${bad}`))
  }
})

test('typed getters', async () => {
  const p = await dynoshift.ingest([text])
  const doc = JSON.parse(p.toJson())
  assert.deepEqual(p.processTypes, ['web', 'worker'])
  assert.equal(p.relativeError, doc.relative_error)
  const lines = p.lines
  assert.equal(lines.bytes, statSync(text).size)
  assert.equal(lines.records, doc.lines.records)
  assert.ok(lines.records > 1000 && lines.telemetry > 0)
  assert.equal(lines.unparsed, 0)
  assert.deepEqual([lines.other, lines.blank], [doc.lines.other, doc.lines.blank])
  assert.deepEqual([p.unparsedExamples, p.inputIssues], [[], []])
  const span = p.span
  assert.ok(span.start.startsWith('2026-11-02T00:00'))
  assert.ok(span.seconds > 86000 && span.seconds <= 86400)
  assert.equal(span.endMs - span.startMs, Math.round(span.seconds * 1000))
})

test('incremental feeding in random chunks equals the bulk call', async () => {
  const next = rng(3)
  const one = new dynoshift.Ingest()
  feedInRandomChunks(one, text, next)
  const bulkText = (await dynoshift.ingest([text])).toJson()
  assert.equal(one.finish().toJson(), bulkText)
  assert.equal(one.finish().toJson(), bulkText) // finish() is a snapshot
  const other = new dynoshift.Ingest()
  feedInRandomChunks(other, drain, next)
  const total = new dynoshift.Ingest()
  total.merge(one)
  total.merge(other)
  assert.equal(total.finish().toJson(), (await dynoshift.ingest([text, drain])).toJson())
  assert.equal(other.finish().toJson(), (await dynoshift.ingest([drain])).toJson()) // merge leaves its argument alone
})

test('gzip is detected for paths', async () => {
  const gz = join(dir, 'drain.log.gz')
  writeFileSync(gz, gzipSync(readFileSync(drain)))
  const a = JSON.parse((await dynoshift.ingest([gz])).toJson())
  const b = JSON.parse((await dynoshift.ingest([drain])).toJson())
  assert.deepEqual(a.lines, b.lines)
  assert.deepEqual(Object.keys(a.process_types), Object.keys(b.process_types))
})

test('a missing file rejects with code not_found naming the path', async () => {
  const missing = join(dir, 'no-such.log')
  await assert.rejects(dynoshift.ingest([missing]), (err) => err instanceof Error && err.code === 'not_found' && err.message.includes(missing))
})

test('an unreadable input rejects with code invalid_input naming the path', async () => {
  await assert.rejects(dynoshift.ingest([dir]), (err) => err instanceof Error && err.code === 'invalid_input' && err.message.includes(dir))
  await assert.rejects(dynoshift.ingest([]), (err) => err.code === 'invalid_input')
})

test('binary garbage is counted unparsed, not an error', async () => {
  const next = rng(11)
  const garbage = Buffer.alloc(20000)
  for (let i = 0; i < garbage.length; i++) garbage[i] = next(256)
  garbage[0] = 0
  const path = join(dir, 'garbage.bin')
  writeFileSync(path, garbage)
  const p = await dynoshift.ingest([path])
  assert.ok(p.lines.unparsed > 0)
  assert.equal(p.lines.telemetry, 0)
  const ex = p.unparsedExamples[0]
  assert.equal(ex.input, path)
  assert.ok(ex.record >= 1 && ex.reason.length > 0)
  assert.equal(p.toJson(), cliJson(path))
  const fed = new dynoshift.Ingest()
  fed.beginInput(path)
  fed.feed(garbage)
  assert.equal(fed.finish().toJson(), p.toJson())
})

test('synthLogs errors carry their code', () => {
  const formation = dynoshift.Formation.fromJson(FORMATION)
  assert.throws(() => dynoshift.synthLogs(formation, join(dir, 'x.log'), '{"no_such_option": 1}'), (err) => err.code === 'invalid_input')
  assert.throws(
    () => dynoshift.synthLogs(formation, join(dir, 'missing-dir', 'x.log'), '{"duration_s": 60}'),
    (err) => err.code === 'invalid_input' && err.message.includes('missing-dir'),
  )
})

test('the JS thread stays free while a bulk ingest runs', async () => {
  let ticks = 0
  let done = false
  const pending = dynoshift.ingest(Array(6).fill(text)).finally(() => { done = true })
  const t0 = performance.now()
  while (!done) {
    await new Promise((resolve) => setImmediate(resolve))
    ticks++
  }
  const elapsed = performance.now() - t0
  const p = await pending
  assert.equal(p.lines.bytes, 6 * statSync(text).size)
  assert.ok(elapsed > 50, `the ingest was too quick (${elapsed} ms) to show anything`)
  assert.ok(ticks > 10, `the event loop turned only ${ticks} times in ${elapsed} ms`)
})

test('ingest reads an s3:// prefix like the same files on disk (moto_server S3)', async () => {
  const moto = await startMotoServer()
  const saved = { ...process.env }
  try {
    // Unsigned requests reach moto's S3: create the bucket and upload the two logs.
    const put = async (path, body) => {
      const res = await fetch(moto.url + path, { method: 'PUT', body })
      assert.ok(res.ok, `moto ${res.status}: ${await res.text()}`)
    }
    await put('/app-logs')
    await put('/app-logs/archive/drain.log', readFileSync(drain))
    await put('/app-logs/archive/text.log.gz', gzipSync(readFileSync(text)))
    Object.assign(process.env, { AWS_ENDPOINT_URL: moto.url, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' })
    const fromS3 = JSON.parse((await dynoshift.ingest(['s3://app-logs/archive/'])).toJson())
    const local = JSON.parse((await dynoshift.ingest([drain, text])).toJson())
    assert.deepEqual(fromS3.process_types, local.process_types)
    assert.equal(fromS3.lines.records, local.lines.records)
    await assert.rejects(dynoshift.ingest(['s3://no-such-bucket/x']), (err) => err.code === 'not_found' && err.message.includes('NoSuchBucket'))
  } finally {
    for (const k of ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) {
      if (saved[k] === undefined) delete process.env[k]
      else process.env[k] = saved[k]
    }
    moto.close()
  }
})
