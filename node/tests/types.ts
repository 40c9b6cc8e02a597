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
