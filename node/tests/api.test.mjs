// The glue: exported names, typed results, error codes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dynoshift, apiSurface, camel } from './helpers.mjs'

test('exports match tests/api-surface.json', () => {
  const surface = apiSurface()
  const missing = []
  for (const f of surface.functions) if (typeof dynoshift[camel(f)] !== 'function') missing.push(camel(f))
  for (const [cls, spec] of Object.entries(surface.classes)) {
    const C = dynoshift[cls]
    if (typeof C !== 'function') { missing.push(cls); continue }
    for (const s of spec.static ?? []) if (typeof C[camel(s)] !== 'function') missing.push(`${cls}.${camel(s)}`)
    for (const m of spec.methods) if (typeof C.prototype[camel(m)] !== 'function') missing.push(`${cls}#${camel(m)}`)
    for (const p of spec.properties) if (!Object.getOwnPropertyDescriptor(C.prototype, camel(p))?.get) missing.push(`${cls}#${camel(p)}`)
  }
  assert.deepEqual(missing, [])
  assert.deepEqual(dynoshift.errorKinds(), Object.keys(surface.error_kinds))
})

test('an unknown dyno size throws an Error with code invalid_input', () => {
  assert.throws(
    () => dynoshift.Formation.fromJson('{"web": {"size": "standard-3x", "quantity": 1}}'),
    (err) => err instanceof Error && err.code === 'invalid_input' && err.message.startsWith('web.size:') && err.message.includes('Standard-2X'),
  )
})

test('typed results', () => {
  const f = dynoshift.Formation.fromJson('{"worker": {"size": "1x", "quantity": 2}, "web": {"size": "standard-2x", "quantity": 4}}')
  assert.deepEqual(f.processes.map((p) => p.processType), ['web', 'worker'])
  const worker = f.processes[1]
  assert.equal(worker.requestedSize, '1x')
  assert.equal(worker.size.name, 'Standard-1X')
  assert.equal(worker.size.cpuKind, 'shared')
  const report = f.monthlyCost({ 'standard-1x': 20 })
  assert.equal(report.totalMonthlyUsd, 240)
  assert.deepEqual(report.lines.map((l) => [l.processType, l.priceSource]), [['web', 'list'], ['worker', 'override']])
  const size = dynoshift.dynoSize('performance-m')
  assert.deepEqual([size.cpuKind, size.cpu, size.listMonthlyUsd], ['dedicated', 2, 250])
  assert.ok(dynoshift.dynoSizes().length >= 21)
})
