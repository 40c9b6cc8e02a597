// The README's ingest example; the runner writes app.log.gz and app.log.
import { readFileSync } from 'node:fs'
import dynoshift from 'dynoshift'
const { ingest, Ingest } = dynoshift
const buffer = readFileSync('app.log')
// readme:begin
const p = await ingest(['app.log.gz'])   // rejects with err.code 'not_found' / 'invalid_input'
const inc = new Ingest(); inc.feed(buffer); const profiles = inc.finish()
// readme:end
console.log(p.lines.records, profiles.lines.records)
