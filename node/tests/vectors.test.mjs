// Runs every shared vector through the Node API. Unknown ops fail; nothing is skipped.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dynoshift, loadVectors, assertSubset, startRecordedApi, GOOD_TOKEN } from './helpers.mjs'

// The vectors write non-finite numbers as {"$float": "NaN"}; here they become JS numbers.
const NON_FINITE = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity }
const native = (v) => {
  if (Array.isArray(v)) return v.map(native)
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v)
    if (keys.length === 1 && keys[0] === '$float') return NON_FINITE[v.$float]
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, native(x)]))
  }
  return v
}
// JSON text as a careless writer makes it: non-finite numbers as bare NaN / Infinity tokens
// (JSON.stringify would silently write null), which the core must refuse.
const jsonText = (v) => {
  const mark = '\u0001nonfinite:'
  const text = JSON.stringify(v, (_, x) => (typeof x === 'number' && !Number.isFinite(x) ? mark + String(x) : x))
  return text.replace(/"\\u0001nonfinite:(NaN|-?Infinity)"/g, '$1')
}
const text = (i, key) => (`${key}_text` in i ? i[`${key}_text`] : jsonText(i[key]))
const formation = (i) => dynoshift.Formation.fromJson(text(i, 'formation'))
const plan = (i, key = 'plan') => dynoshift.CutoverPlan.fromJson(text(i, key))
const scratch = mkdtempSync(join(tmpdir(), 'dynoshift-vectors-'))
const readJournal = (i) => {
  if ('path' in i) return dynoshift.readJournal(i.path)
  const path = join(scratch, 'cutover.journal.json')
  writeFileSync(path, text(i, 'journal'))
  return dynoshift.readJournal(path)
}

// The app's domains from the recorded Platform API, on loopback for the one call.
const fromHerokuApp = async (i) => {
  const api = await startRecordedApi()
  try {
    const client = new dynoshift.HerokuClient({ token: GOOD_TOKEN, baseUrl: api.url })
    return (await dynoshift.CutoverPlan.fromHerokuApp(client, i.app, new dynoshift.MemoryZone(plan(i, 'memory_plan')), i.options)).toJson()
  } finally {
    await api.close()
  }
}

const OPS = {
  dyno_size: (i) => dynoshift.dynoSize(i.name).toJson(),
  'formation.parse': (i) => formation(i).toJson(),
  'logs.parse_line': (i) => dynoshift.parseLine(i.line),
  'sizing.recommend': (i) => dynoshift.recommendLines(formation(i), i.logs, i.policy ?? null).toJson(),
  'sizing.manifests': (i) => JSON.stringify(dynoshift.parseManifests(dynoshift.manifests(dynoshift.SizingReport.fromJson(JSON.stringify(i.report)), i.options))),
  'sizing.backtest': (i) => dynoshift.backtestLines(formation(i), i.logs, i.policy ?? null, i.strategies ?? null, i.fit_fraction ?? null).toJson(),
  'formation.monthly_cost': (i) => formation(i).monthlyCost(i.prices ?? null).toJson(),
  'nodes.kube_reserved': (i) => JSON.stringify(dynoshift.kubeReserved(i)),
  'nodes.max_pods': (i) => JSON.stringify(dynoshift.maxPods(i)),
  'nodes.allocatable': (i) => JSON.stringify(dynoshift.allocatable(i)),
  'nodes.plan': (i) => JSON.stringify(dynoshift.planNodes(i)),
  'nodes.bill': (i) => JSON.stringify(dynoshift.compareBill(i)),
  'nodes.karpenter': (i) => JSON.stringify(dynoshift.karpenterConfig(i)),
  'sizing.recommend_files': (i) => JSON.stringify(dynoshift.recommendSizing(formation(i), i.log_paths, i.policy ?? null)),
  ingest: async (i) => (await dynoshift.ingest(i.paths)).toJson(),
  'cutover.plan': (i) => plan(i).toJson(),
  'cutover.dry_run': (i) => dynoshift.dryRun(plan(i)).toJson(),
  'cutover.preflight': async (i) => (await dynoshift.preflight(plan(i), new dynoshift.MemoryZone(plan(i, 'memory_plan')))).toJson(),
  'cutover.from_heroku_app': fromHerokuApp,
  'cutover.read_journal': readJournal,
  'cutover.drained': (i) =>
    dynoshift
      .drained(plan(i), {
        lines: i.lines,
        profilesJson: i.profiles === undefined ? undefined : JSON.stringify(i.profiles),
        now: i.now,
      })
      .toJson(),
  'gates.validate': (i) => JSON.stringify(dynoshift.validateGates(text(i, 'gates'))),
}

const cases = loadVectors()

test('the vectors are there', () => {
  assert.ok(cases.length >= 30, `found ${cases.length}`)
})

for (const c of cases) {
  test(`${c.file} ${c.id}`, async () => {
    const op = OPS[c.op]
    assert.ok(op, `op ${c.op} is not run by the Node runner`)
    const input = native(c.input)
    if (c.error) {
      await assert.rejects(async () => op(input), (err) => {
        assert.equal(err.code, c.error.kind, err.message)
        for (const part of [c.error.message_contains ?? []].flat()) assert.ok(err.message.includes(part), err.message)
        return true
      })
    } else {
      assertSubset(c.expect, JSON.parse(await op(input)))
    }
  })
}
