// Compiled with `tsc --noEmit` against index.d.ts: the declared types must fit real use.
import { Formation, HerokuClient, dynoSize, dynoSizes, errorKinds, type ApiDynoSize, type CostReport, type DynoSize } from '../index.js'
import { Ingest, ingest, synthLogs, type LineCounts, type Profiles, type SynthReport, type TimeSpan, type UnparsedExample } from '../index.js'

const formation: Formation = Formation.fromJson('{"web": {"size": "standard-2x", "quantity": 2}}')
const report: CostReport = formation.monthlyCost({ 'standard-2x': 45 })
const total: number = report.totalMonthlyUsd
const first: string = report.lines[0].processType
const note: string | null = report.lines[0].note
const noPrices: CostReport = formation.monthlyCost()
const size: DynoSize = dynoSize('eco')
const memory: number = size.memoryMb
const r15: number | null = size.r15Factor
const kinds: string[] = errorKinds()
const all: DynoSize[] = dynoSizes()
const json: string = formation.toJson() + noPrices.toJson()

const client = new HerokuClient({ token: 'hk-example', baseUrl: 'http://127.0.0.1:9', timeoutSeconds: 5 })
const pending: Promise<Formation> = client.formation('my-app')
const sizes: Promise<ApiDynoSize[]> = new HerokuClient().dynoSizes()

const synth: SynthReport = synthLogs(formation, '/tmp/app.log', '{"duration_s": 3600}')
const synthLines: number = synth.lines + synth.bytes
const bulk: Promise<Profiles> = ingest(['/tmp/app.log', '/tmp/drain.log.gz'])
const inc = new Ingest()
inc.beginInput('app.log')
inc.feed(Buffer.from('2026-11-02T00:00:00+00:00 heroku[router]: at=info\n'))
inc.endInput()
inc.merge(new Ingest())
const profiles: Profiles = inc.finish()
const counts: LineCounts = profiles.lines
const unparsed: number = counts.unparsed + counts.records + counts.bytes
const types: string[] = profiles.processTypes
const span: TimeSpan | null = profiles.span
const examples: UnparsedExample[] = profiles.unparsedExamples
const exampleInput: string | null = examples[0].input
const issueBytes: number = profiles.inputIssues[0].bytesRead
const profilesJson: string = profiles.toJson()

export { synthLines, bulk, unparsed, types, span, exampleInput, issueBytes, profilesJson }
export { pending, sizes, total, first, note, memory, r15, kinds, all, json }

// cutover
import { CutoverPlan, MemoryZone, Route53, Cutover, preflight, dryRun, readJournal, type CutoverOutcome, type PreflightReport, type DryRunReport } from '../index.js'
import { Fleet, type FleetReport } from '../index.js'

const cutPlan: CutoverPlan = CutoverPlan.fromJson('{"hostnames": ["www.example.com"], "zone": "example.com", "heroku_target": "a.herokudns.com", "aws_target": "lb.elb.amazonaws.com"}')
const stages: number[] = cutPlan.stages
const zone = new MemoryZone(cutPlan, { virtualTime: true, insyncDelaySeconds: 0 })
const r53 = new Route53({ endpointUrl: 'http://127.0.0.1:5000', region: 'us-east-1', accessKeyId: 'a', secretAccessKey: 'b' })
const endpoint: string | null = r53.endpointUrl
const checked: Promise<PreflightReport> = preflight(cutPlan, r53)
const dry: DryRunReport = dryRun(cutPlan)
const firstStep: number = dry.steps[0].awsPercent
const cut = new Cutover(cutPlan, zone, '/tmp/journal.json', {
  onEvent: (event) => { const t: string = event.type; void t },
  force: false,
  takeOverStaleLock: false,
  gates: [
    (ctx) => ({ status: ctx.percent < 50 ? 'pass' : 'inconclusive', reason: `tick ${ctx.tick}` }),
    async () => ({ status: 'fail' }),
  ],
})
const bare = new Cutover(cutPlan, r53, '/tmp/journal.json')
const ran: Promise<CutoverOutcome> = cut.run()
const rolled: Promise<CutoverOutcome> = bare.rollback('graduated')
const promoted: Promise<CutoverOutcome> = cut.promote()
const resumed: Promise<CutoverOutcome> = cut.resume()
cut.pause(); cut.unpause(); cut.approve(); cut.abort(); cut.promoteNow(); cut.rollbackNow('full')
const running: boolean = cut.running
const errorsSeen: number = cut.callbackErrors
const journalText: string = readJournal('/tmp/journal.json')
const status: Promise<string> = ran.then((o) => o.status + (o.reason ?? '') + o.toJson())


const fleet = new Fleet({ budget: 5, burst: 1 })
fleet.add('shop', cutPlan, zone, '/tmp/shop.journal.json')
fleet.add('blog', cutPlan, r53, 's3://bucket/blog.journal.json')
const apps: number = fleet.length
const fleetRan: Promise<FleetReport> = new Fleet().run(true)
const fleetTable: Promise<string[]> = fleet.run().then((r) => (r.allPromoted ? r.table() : [r.toJson()]))

export { stages, endpoint, checked, firstStep, rolled, promoted, resumed, running, errorsSeen, journalText, status }
export { apps, fleetRan, fleetTable }

import type { AppPlans } from '../index.js'
const found: Promise<AppPlans> = CutoverPlan.fromHerokuApp(client, 'my-app', zone, { aws_target: 'lb.elb.amazonaws.com', stages: [10, 100], gates: false })
const foundPlans: Promise<CutoverPlan[]> = found.then((r) => r.plans)
const foundLines: Promise<string> = found.then((r) => r.summary.join('\n') + r.toJson())
export { foundPlans, foundLines }

import { recommendLines, recommendSizing, backtest, backtestLines, manifests, parseManifests, SizingReport } from '../index.js'
import type { ProcessSizing, Explained, Explanation, HpaSizing, BacktestReport, BacktestRow, StrategySummary } from '../index.js'
const sized: SizingReport = recommendLines(formation, ['line'], { strategy: 'vpa' })
const sizedStrategy: string = sized.strategy
const sizedFromFiles: ProcessSizing[] = recommendSizing(formation, ['app.log']).processes
const oneProcess: ProcessSizing | null = sized.process('web')
const memoryNumber: Explained = sizedFromFiles[0].memoryRequestMib
const memoryMib: number = memoryNumber.value
const why: Explanation = memoryNumber.explanation
const whyParts: [string, string, number | null, number, string | null, 'low' | 'medium' | 'high', string[]] = [why.rule, why.statistic, why.value, why.samples, why.window, why.confidence, why.warnings]
const cpuLimit: Explained | null = sizedFromFiles[0].cpuLimitMillicores
const hpa: HpaSizing | null = sizedFromFiles[0].hpa
const hpaTarget: number | undefined = hpa?.targetCpuUtilizationPercent.value
const policyUsed: Record<string, unknown> = sized.policy
const sizedWindow: TimeSpan | null = sized.window
const reloaded: SizingReport = SizingReport.fromJson(sized.toJson())
const tested: Promise<BacktestReport> = backtest(formation, ['app.log'], { memory_margin: 0.1 }, ['dynoshift', 'krr'], 0.5)
const testedLines: BacktestReport = backtestLines(formation, ['line'])
const row: BacktestRow = testedLines.rows[0]
const rowFigures: number = row.memoryExceedances + row.memorySlack + row.cpuMinutesAboveRequest + row.memoryLimitMib
const summary: StrategySummary = testedLines.summary[0]
const met: boolean = summary.meetsTarget
const fitWindow: TimeSpan | null = testedLines.fitWindow
const table: string = testedLines.table() + testedLines.toJson()
const yaml: string = manifests(sized, { image: 'registry.example.com/shop:v42', namespace: 'shop', app: 'shop', port: 8080 })
const objects: Array<Record<string, any>> = parseManifests(yaml)
export { oneProcess, memoryMib, whyParts, cpuLimit, hpaTarget, policyUsed, sizedWindow, reloaded, tested, rowFigures, met, fitWindow, table, objects }
export { sizedStrategy, sizedFromFiles }
// node planning and gates as data
import { kubeReserved, maxPods, allocatable, planNodes, compareBill, karpenterConfig, validateGates } from '../index.js'

const reserved: number | null = kubeReserved({ max_pods: 110, vcpu: 2 }).memory_mib
const podsPerNode: number = maxPods({ max_enis: 3, ipv4_per_eni: 10 }).max_pods
const nodePlan = planNodes({
  pods: [{ process_type: 'web', replicas: 4, cpu_millis: 500, memory_mib: 1024 }],
  options: { solver: 'exact', time_budget_ms: 1500 },
})
const nodeCost: number = nodePlan.monthly_usd
const ffdCost: number = nodePlan.ffd_monthly_usd
const gap: number | null = nodePlan.gap_percent
const proven: boolean = nodePlan.proven_optimal
const node: Record<string, any> = allocatable({ instance_type: 'm7i.large' })
const bill: Record<string, any> = compareBill({ formation: { web: { size: 'basic', quantity: 1 } }, plan: { pods: [] } })
const karpenter: Record<string, any> = karpenterConfig({ plan: { pods: [] } })
const gateNames: string[] = validateGates('[]')
const dataGated = new Cutover(cutPlan, zone, '/tmp/journal.json', { gatesJson: '[]', gates: [() => ({ status: 'pass' })] })

export { reserved, podsPerNode, nodeCost, ffdCost, gap, proven, node, bill, karpenter, gateNames, dataGated }
