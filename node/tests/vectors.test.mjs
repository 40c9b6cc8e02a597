// Runs every shared vector through the Node API. Unknown ops fail; nothing is skipped.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dynoshift, loadVectors, assertSubset } from './helpers.mjs'

const formation = (i) => dynoshift.Formation.fromJson('formation_text' in i ? i.formation_text : JSON.stringify(i.formation))

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
}

const cases = loadVectors()

test('the vectors are there', () => {
  assert.ok(cases.length >= 30, `found ${cases.length}`)
})

for (const c of cases) {
  test(`${c.file} ${c.id}`, () => {
    const op = OPS[c.op]
    assert.ok(op, `op ${c.op} is not run by the Node runner`)
    if (c.error) {
      assert.throws(() => op(c.input), (err) => {
        assert.equal(err.code, c.error.kind, err.message)
        for (const part of [c.error.message_contains ?? []].flat()) assert.ok(err.message.includes(part), err.message)
        return true
      })
    } else {
      assertSubset(c.expect, JSON.parse(op(c.input)))
    }
  })
}
