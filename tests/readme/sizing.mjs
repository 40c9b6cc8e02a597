// The README's sizing example on three days of synthetic logs (written by the runner into
// logs/); the region between the markers is the README's.
import { readFileSync, writeFileSync } from 'node:fs'
import dynoshift from 'dynoshift'
const { Formation, recommendSizing, manifests, backtest } = dynoshift
const formation = Formation.fromJson(readFileSync('formation.json', 'utf8'))
// readme:begin
const report = recommendSizing(formation, ['logs/app-2026-11.log.gz'], { strategy: 'vpa' })
const web = report.process('web')              // web.memoryRequestMib.value, .explanation.rule
const yaml = manifests(report, { image: 'registry.example.com/shop:v42', namespace: 'shop' })
const check = await backtest(formation, ['logs/app-2026-11.log.gz'])   // a Promise, off the JS thread
// readme:end
console.log(web.memoryRequestMib.value, check.table())
writeFileSync('manifests.yaml', yaml)
