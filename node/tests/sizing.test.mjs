// Sizing from Node: plain objects with explanations, typed errors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
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
  assert.ok(report instanceof dynoshift.SizingReport)
  const web = report.process('web')
  assert.ok(web instanceof dynoshift.ProcessSizing)
  assert.ok(web.memoryRequestMib.value >= 499, web.memoryRequestMib.toJson())
  assert.equal(web.memoryRequestMib.unit, 'MiB')
  const why = web.memoryRequestMib.explanation
  assert.ok(why instanceof dynoshift.Explanation)
  assert.ok(why.rule.length > 0 && why.samples > 0)
  assert.equal(why.statistic, 'memory_total max')
  assert.equal(why.confidence, 'low')
  assert.equal(report.process('clock'), null)
})

test('every number is typed and explained', () => {
  const report = dynoshift.recommendLines(formation, lines)
  assert.deepEqual(report.processes.map((p) => p.processType), ['web', 'worker'])
  assert.ok(report.window.seconds > 0)
  for (const p of report.processes) {
    const numbers = [p.cpuRequestMillicores, p.memoryRequestMib, p.memoryLimitMib, p.replicas]
    if (p.hpa) numbers.push(p.hpa.minReplicas, p.hpa.maxReplicas, p.hpa.targetCpuUtilizationPercent)
    for (const n of numbers) {
      assert.ok(n instanceof dynoshift.Explained)
      assert.ok(Number.isInteger(n.value) && n.unit.length > 0)
      assert.ok(n.explanation.rule.length > 0 && n.explanation.statistic.length > 0)
      assert.ok(['low', 'medium', 'high'].includes(n.explanation.confidence))
    }
    assert.equal(p.cpuLimitMillicores, null)
  }
  const web = report.processes[0]
  assert.ok(web.hpa instanceof dynoshift.HpaSizing && web.hpa.maxReplicas.value >= web.hpa.minReplicas.value)
  assert.equal(report.policy.strategy, 'dynoshift')
})

test('the typed report round-trips through the core\'s JSON', () => {
  const report = dynoshift.recommendLines(formation, lines)
  const plain = JSON.parse(report.toJson())
  assert.equal(plain.processes[0].memory_request_mib.value, report.processes[0].memoryRequestMib.value)
  assert.deepEqual(plain.processes[0].memory_request_mib.explanation, JSON.parse(report.processes[0].memoryRequestMib.explanation.toJson()))
  assert.equal(dynoshift.SizingReport.fromJson(report.toJson()).toJson(), report.toJson())
  assert.throws(() => dynoshift.SizingReport.fromJson('{"strategy": "dynoshift"}'), (e) => e.code === 'invalid_input')
})

test('files give the same report as lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dynoshift-sizing-'))
  const log = join(dir, 'app.log')
  writeFileSync(log, lines.join('\n') + '\n')
  assert.equal(dynoshift.recommendSizing(formation, [log]).toJson(), dynoshift.recommendLines(formation, lines).toJson())
})

test('a truncated gzip is a typed input issue of the report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dynoshift-sizing-'))
  const log = join(dir, 'app.log.gz')
  const data = gzipSync(lines.join('\n') + '\n', { level: 1 })
  writeFileSync(log, data.subarray(0, data.length >> 1))
  const report = dynoshift.recommendSizing(formation, [log])
  assert.equal(report.inputIssues.length, 1)
  const [issue] = report.inputIssues
  assert.ok(issue instanceof dynoshift.InputIssue)
  assert.equal(issue.input, log)
  assert.ok(issue.bytesRead > 0 && issue.message.length > 0)
  assert.deepEqual(dynoshift.recommendLines(formation, lines).inputIssues, [])
})

test('strategies and typed errors', () => {
  assert.equal(dynoshift.recommendLines(formation, lines, { strategy: 'krr' }).strategy, 'krr')
  assert.throws(() => dynoshift.recommendLines(formation, lines, { memory_margin: -1 }), (e) => e.code === 'invalid_input')
  assert.throws(() => dynoshift.recommendSizing(formation, ['/nonexistent/app.log']), (e) => e.code === 'not_found')
})

// 12 hours of worker samples every 20 minutes: 300 MB throughout, one 420 MB spike at 09:00.
const workerLines = []
for (let t = 0; t < 12 * 3600; t += 1200) {
  const ts = `2026-11-01T${String(Math.floor(t / 3600)).padStart(2, '0')}:${String(Math.floor(t / 60) % 60).padStart(2, '0')}:00+00:00`
  const mb = t === 9 * 3600 ? 420 : 300
  workerLines.push(`${ts} heroku[worker.1]: source=worker.1 dyno=heroku.1.x sample#load_avg_1m=0.20`)
  workerLines.push(`${ts} heroku[worker.1]: source=worker.1 dyno=heroku.1.x sample#memory_total=${mb}.00MB sample#memory_rss=${mb}.00MB sample#memory_cache=0.00MB sample#memory_swap=0.00MB`)
}

test('backtest: lines synchronously, files as a Promise off the JS thread', async () => {
  const report = dynoshift.backtestLines(formation, workerLines, null, ['dynoshift', 'krr'])
  assert.ok(report instanceof dynoshift.BacktestReport)
  assert.deepEqual(report.summary.map((s) => s.strategy), ['dynoshift', 'krr'])
  assert.ok(report.summary.every((s) => s instanceof dynoshift.StrategySummary))
  const rows = Object.fromEntries(report.rows.map((r) => [r.strategy, r]))
  assert.ok(rows.dynoshift instanceof dynoshift.BacktestRow)
  // Fitted on 300 MB for under a day: 300 x 1.2 rounded up to 16 = 368 MiB; the spike exceeds it.
  assert.equal(rows.dynoshift.memoryLimitMib, 368)
  assert.equal(rows.dynoshift.memoryExceedances, 1)
  assert.equal(rows.krr.memoryLimitMib, 345)
  assert.ok(report.fitWindow.end < report.evalWindow.start)
  assert.match(report.table(), /dynoshift/)
  const dir = mkdtempSync(join(tmpdir(), 'dynoshift-backtest-'))
  const log = join(dir, 'worker.log')
  writeFileSync(log, workerLines.join('\n') + '\n')
  const pending = dynoshift.backtest(formation, [log], null, ['dynoshift', 'krr'], 0.5)
  assert.ok(pending instanceof Promise)
  assert.equal((await pending).toJson(), report.toJson())
  assert.equal(dynoshift.backtestLines(formation, workerLines).summary.length, 3)
})

test('backtest errors carry the kind', async () => {
  assert.throws(() => dynoshift.backtestLines(formation, workerLines, { cpu_percentile: 0 }), (e) => e.code === 'invalid_input')
  assert.throws(() => dynoshift.backtestLines(formation, workerLines, null, null, 1), (e) => e.code === 'invalid_input')
  assert.throws(() => dynoshift.backtestLines(formation, workerLines, null, ['p99']), (e) => e.code === 'invalid_input')
  await assert.rejects(dynoshift.backtest(formation, workerLines.slice(0, 1), { cpu_percentile: 0 }), (e) => e.code === 'invalid_input')
  await assert.rejects(dynoshift.backtest(formation, ['/nonexistent/app.log']), (e) => e.code === 'not_found')
})

test('manifests render as YAML and parse back', () => {
  const f = dynoshift.Formation.fromJson('{"web": {"size": "standard-2x", "quantity": 2, "command": "bundle exec puma"}, "worker": {"size": "standard-1x", "quantity": 1}}')
  const report = dynoshift.recommendLines(f, lines)
  const yaml = dynoshift.manifests(report, { image: 'registry.example.com/shop:v42', namespace: 'shop', app: 'shop' })
  assert.ok(yaml.startsWith('# dynoshift: warning: ') && yaml.includes('kind: Deployment')) // no certificate, no domains
  const objects = dynoshift.parseManifests(yaml)
  const names = objects.map((o) => `${o.kind}/${o.metadata.name}`)
  assert.ok(names.includes('Deployment/shop-web') && names.includes('PodDisruptionBudget/shop-worker'), names.join())
  const web = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'shop-web')
  const sizing = report.processes[0]
  const container = web.spec.template.spec.containers[0]
  assert.equal(container.resources.requests.memory, `${sizing.memoryRequestMib.value}Mi`)
  assert.equal(container.resources.requests.cpu, `${sizing.cpuRequestMillicores.value}m`)
  assert.deepEqual(container.command, ['/bin/sh', '-c', 'bundle exec puma'])
  assert.equal(web.metadata.annotations['dynoshift.dev/memory'], sizing.memoryLimitMib.explanation.rule)
  // the app around the sizes: the domains as Ingress rules, config var names without values
  const app = dynoshift.parseManifests(dynoshift.manifests(report, {
    image: 'shop:1', app: 'shop', domains: ['www.shop.com'], config_vars: { SECRET_KEY_BASE: 'js-secret-value' }
  }))
  assert.deepEqual(app.find((o) => o.kind === 'Ingress').spec.rules.map((r) => r.host), ['www.shop.com'])
  assert.equal(app.find((o) => o.kind === 'Secret'), undefined) // no values asked for: the team creates it
  assert.throws(() => dynoshift.manifests(report, { namespace: 'shop' }), (e) => e.code === 'invalid_input')
  assert.throws(() => dynoshift.manifests(report, { image: 'shop:1', replicas: 3 }), (e) => e.code === 'invalid_input')
  assert.throws(() => dynoshift.manifests(report, { image: 'shop:1', certificate_arn: 'x' }), (e) => e.code === 'invalid_input' && e.message.includes('certificate_arn'))
  assert.throws(() => dynoshift.parseManifests('kind: Service\nmetadata: {name: x}\n'), (e) => e.code === 'invalid_input')
})

test('the sizing feeds node planning without renaming keys', () => {
  const report = dynoshift.recommendLines(formation, lines)
  const web = report.process('web')
  const pods = report.pods
  assert.deepEqual(pods.find((p) => p.process_type === 'web'), {
    process_type: 'web',
    replicas: web.replicas.value,
    cpu_millis: web.cpuRequestMillicores.value,
    memory_mib: web.memoryRequestMib.value,
  })
  const plan = dynoshift.planNodes({ pods })
  const placed = plan.nodes.reduce((n, node) => n + node.pods.filter((p) => !p.endsWith('-surge')).length, 0)
  assert.equal(placed, pods.reduce((n, p) => n + p.replicas, 0))
  assert.ok(placed > 0)
})
