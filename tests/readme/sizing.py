"""The README's sizing example on three days of synthetic logs (written by the runner into
logs/); the region between the markers is the README's."""

import dynoshift

formation = dynoshift.Formation.from_json(open("formation.json").read())
# readme:begin
report = dynoshift.recommend_sizing(formation, ["logs/app-2026-11.log.gz"], {"strategy": "dynoshift"})
for p in report.processes:                     # typed: SizingReport -> ProcessSizing -> Explained
    print(p.process_type, p.memory_request_mib.value, p.memory_request_mib.explanation.rule)
yaml = dynoshift.manifests(report, {"image": "registry.example.com/shop:v42", "namespace": "shop"})
check = dynoshift.backtest(formation, ["logs/app-2026-11.log.gz"], strategies=["dynoshift", "vpa"])
print(check.table())                           # OOMs and slack of each strategy on the later half
# readme:end
open("manifests.yaml", "w").write(yaml)
