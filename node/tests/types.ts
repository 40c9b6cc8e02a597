// Compiled with `tsc --noEmit` against index.d.ts: the declared types must fit real use.
import { Formation, HerokuClient, dynoSize, dynoSizes, errorKinds, type ApiDynoSize, type CostReport, type DynoSize } from '../index.js'

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

export { pending, sizes, total, first, note, memory, r15, kinds, all, json }
