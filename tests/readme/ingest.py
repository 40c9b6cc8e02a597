"""The README's ingest example: the runner writes logs/2026-11-01.log.gz and drain.log, puts
the same gzip log under s3://my-logs/papertrail/logs/54321/ in moto_server (AWS_ENDPOINT_URL),
and pipes a log into stdin; the region between the markers is the README's."""

import json
import sys

import dynoshift

formation = dynoshift.Formation.from_json(open("formation.json").read())
# readme:begin
p = dynoshift.ingest(["logs/2026-11-01.log.gz", "drain.log"])   # NotFoundError / InvalidInputError name the path
p = dynoshift.ingest(["s3://my-logs/papertrail/logs/54321/"])   # every object under the prefix (AWS chain)
print(p.process_types, p.lines.records, p.lines.unparsed, p.span and p.span.seconds)
web = json.loads(p.to_json())["process_types"]["web"]            # distributions, router, R14/R15, per dyno

inc = dynoshift.Ingest()          # incremental: uncompressed bytes in chunks of any size
inc.begin_input("stdin")
for chunk in iter(lambda: sys.stdin.buffer.read(1 << 20), b""):
    inc.feed(chunk)
profiles = inc.finish()           # a snapshot; merge(other) adds another Ingest
dynoshift.synth_logs(formation, "app.log", '{"duration_s": 86400, "seed": 7}')  # a synthetic log
# readme:end
print("stdin records", profiles.lines.records)
