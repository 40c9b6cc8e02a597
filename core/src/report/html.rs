//! The page: one self-contained HTML5 document (inline CSS and SVG, no scripts, nothing to
//! fetch) that is also well-formed XML.

use std::fmt::Write as _;

use crate::sizing::{Explained, ProcessSizing, human_duration};
use crate::telemetry::ProcessProfile;

use super::ReportInput;
use super::charts::{
    Chart, Timeline, bill_chart, cpu_chart, cutover_chart, drain_chart, dyno_cores, figure,
    memory_chart, nodes_chart, rpm_chart, since, slug, status_name,
};
use super::svg::{count, esc, num, usd};

const CSS: &str = r#"
:root { --ink: #1d2330; --muted: #5b6473; --line: #d9dde4; --heroku: #6b4fa0; --aws: #e07b00;
  --pass: #2e7d32; --fail: #c62828; --inconclusive: #b7860b; --error: #6d4c41; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; color: var(--ink); background: #fff;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; padding-top: 12px; border-top: 2px solid var(--line); }
h3 { font-size: 16px; margin: 22px 0 6px; }
p.meta, .muted { color: var(--muted); }
table { border-collapse: collapse; margin: 8px 0 12px; }
th, td { text-align: left; padding: 4px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; background: #f4f6f9; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.rule { color: var(--muted); font-size: 12.5px; max-width: 640px; }
.ok { color: var(--pass); font-weight: 600; }
.bad { color: var(--fail); font-weight: 600; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; flex: 1 1 200px; }
.card .big { font-size: 22px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .label { color: var(--muted); font-size: 12.5px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
figure.fig { margin: 8px 0; flex: 1 1 560px; max-width: 620px; }
figure.wide { flex-basis: 100%; max-width: 100%; }
figcaption { color: var(--muted); font-size: 12.5px; margin-top: 4px; max-width: 1100px; }
svg.chart { display: block; max-width: 100%; height: auto; background: #fff; }
svg text { font-family: inherit; fill: var(--ink); }
svg .tick { font-size: 11px; fill: var(--muted); }
svg .axis-title { font-size: 11.5px; fill: var(--muted); }
svg .value { font-size: 10.5px; fill: var(--ink); }
svg .value-left, svg .legend { font-size: 11px; }
svg .note, svg .stage { font-size: 11px; fill: var(--muted); }
svg .grid { stroke: #eceef2; stroke-width: 1; }
svg .axis { stroke: #8a93a3; stroke-width: 1; }
svg .leader { stroke: #b0b6c0; stroke-width: 1; }
svg .bar { fill: #8fa8c8; }
svg .bar-cpu { fill: #4f7cac; }
svg .bar-mem { fill: #8fb996; }
svg .bar-heroku { fill: var(--heroku); }
svg .area { fill: #e07b00; fill-opacity: 0.12; stroke: none; }
svg .series { fill: none; stroke: var(--aws); stroke-width: 1.8; }
svg .peak { fill: var(--aws); }
svg .step { fill: none; stroke: var(--aws); stroke-width: 2.4; }
svg .sw-weight { fill: var(--aws); }
svg .ref-quota { stroke: var(--heroku); stroke-width: 1.6; stroke-dasharray: 6 4; }
svg .ref-limit { stroke: #b3261e; stroke-width: 1.8; }
svg .ref-request { stroke: var(--aws); stroke-width: 1.8; stroke-dasharray: 2 3; }
svg .ref-quota-label { font-size: 11px; fill: var(--heroku); }
svg .ref-limit-label { font-size: 11px; fill: #b3261e; }
svg .ref-request-label { font-size: 11px; fill: #a35a00; }
svg .v-pass { fill: var(--pass); }
svg .v-fail { fill: var(--fail); stroke: #fff; stroke-width: 1; }
svg .v-inconclusive { fill: var(--inconclusive); }
svg .v-error { fill: var(--error); }
svg .rollback { stroke: var(--fail); stroke-width: 1.5; stroke-dasharray: 5 3; }
svg .sw-rollback { fill: var(--fail); }
svg .rollback-label { font-size: 11.5px; fill: var(--fail); font-weight: 600; }
svg .end-label { font-size: 11.5px; font-weight: 600; }
details { margin: 6px 0 14px; }
summary { cursor: pointer; color: var(--muted); }
ul.notes { color: var(--muted); font-size: 13px; margin: 4px 0 8px; padding-left: 20px; }
"#;

/// Renders the report: one self-contained HTML5 page with inline CSS and SVG charts. It fetches
/// nothing (no scripts, fonts, images or links), reads offline, and is well-formed XML.
pub fn render_html(input: &ReportInput) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
         <meta name=\"generator\" content=\"dynoshift {}\"/>\
         <title>{}</title><style>{}</style></head><body><main>",
        env!("CARGO_PKG_VERSION"),
        esc(&input.title),
        CSS
    );
    let _ = write!(
        out,
        "<h1>{}</h1><p class=\"meta\">Data produced {} · rendered by dynoshift {} · every \
         figure below comes from the rehearsal input (rehearsal.json) and says where it came \
         from.</p>",
        esc(&input.title),
        esc(&input.generated_at),
        env!("CARGO_PKG_VERSION")
    );
    summary(&mut out, input);
    processes(&mut out, input);
    node_plan(&mut out, input);
    bill(&mut out, input);
    live_preflight(&mut out, input);
    warmups(&mut out, input);
    cutovers(&mut out, input);
    drain(&mut out, input);
    out.push_str("</main></body></html>\n");
    out
}

fn card(out: &mut String, key: &str, value: &str, big: &str, label: &str) {
    let _ = write!(
        out,
        "<div class=\"card\" data-key=\"{}\" data-value=\"{}\"><div class=\"big\">{}</div>\
         <div class=\"label\">{}</div></div>",
        esc(key),
        esc(value),
        esc(big),
        esc(label)
    );
}

fn summary(out: &mut String, input: &ReportInput) {
    let b = &input.bill;
    out.push_str("<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">");
    card(
        out,
        "heroku-monthly-usd",
        &format!("{}", b.heroku_monthly_usd),
        &usd(b.heroku_monthly_usd),
        "Heroku per month (the formation's dynos)",
    );
    card(
        out,
        "aws-monthly-usd",
        &format!("{}", b.aws_monthly_usd),
        &usd(b.aws_monthly_usd),
        "AWS per month (nodes, EKS, load balancer, volumes)",
    );
    let (big, label) = if b.saving_monthly_usd >= 0.0 {
        (
            usd(b.saving_monthly_usd),
            format!(
                "saved per month ({}% of the Heroku bill)",
                num(b.saving_percent)
            ),
        )
    } else {
        (
            format!("+{}", usd(-b.saving_monthly_usd)),
            format!(
                "extra per month on AWS ({}% more than Heroku)",
                num(-b.saving_percent)
            ),
        )
    };
    card(
        out,
        "saving-monthly-usd",
        &format!("{}", b.saving_monthly_usd),
        &big,
        &label,
    );
    let pods: u64 = input.node_plan.pod_count;
    card(
        out,
        "node-count",
        &input.node_plan.node_count.to_string(),
        &format!("{} nodes", input.node_plan.node_count),
        &format!("EC2 workers holding {} pods", count(pods)),
    );
    out.push_str("</div>");
    let _ = write!(out, "<p>{}</p>", esc(&b.verdict));

    // Formation.
    out.push_str(
        "<h3>Formation on Heroku</h3><table id=\"formation\"><thead><tr><th>process type</th>\
         <th>dyno size</th><th class=\"n\">dynos</th><th class=\"n\">memory quota</th>\
         <th class=\"n\">Heroku $/month</th></tr></thead><tbody>",
    );
    for p in &input.formation.processes {
        let cost = input
            .heroku_cost
            .lines
            .iter()
            .find(|l| l.process_type == p.process_type)
            .map(|l| usd(l.monthly_usd))
            .unwrap_or_else(|| "—".into());
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{} MiB</td>\
             <td class=\"n\">{}</td></tr>",
            esc(&p.process_type),
            esc(&p.size.name),
            p.quantity,
            num(p.size.memory_mb),
            esc(&cost)
        );
    }
    let _ = write!(
        out,
        "<tr><th>total</th><th></th><th class=\"n\">{}</th><th></th><th class=\"n\">{}</th></tr>\
         </tbody></table>",
        input
            .formation
            .processes
            .iter()
            .map(|p| u64::from(p.quantity))
            .sum::<u64>(),
        usd(input.heroku_cost.total_monthly_usd)
    );

    // Data behind the sizing.
    let pr = &input.profiles;
    let window = pr
        .span
        .as_ref()
        .map(|s| format!("{} to {} ({})", s.start, s.end, human_duration(s.seconds)))
        .unwrap_or_else(|| "no timestamps".into());
    let _ = write!(
        out,
        "<p>Logs read: {} records ({} bytes), {} used as telemetry, {} other, {} unparsed; \
         window {}.</p>",
        count(pr.lines.records),
        count(pr.lines.bytes),
        count(pr.lines.telemetry),
        count(pr.lines.other),
        count(pr.lines.unparsed),
        esc(&window)
    );

    // Cutover outcomes.
    if !input.cutovers.is_empty() {
        out.push_str(
            "<h3>Cutover runs</h3><table id=\"runs\"><thead><tr><th>run</th><th>expected</th>\
             <th>outcome</th><th></th><th class=\"n\">final AWS weight</th>\
             <th class=\"n\">gate verdicts</th><th>reason</th></tr></thead><tbody>",
        );
        for run in &input.cutovers {
            let tl = Timeline::of(run);
            let outcome = run.outcome.status();
            let ok = outcome == run.expected;
            let reason = run.outcome.reason().unwrap_or_default();
            let _ = write!(
                out,
                "<tr data-run=\"{}\" data-outcome=\"{outcome}\" data-expected=\"{}\">\
                 <td>{}</td><td>{}</td><td>{outcome}</td><td class=\"{}\">{}</td>\
                 <td class=\"n\">{}%</td><td class=\"n\">{}</td><td>{}</td></tr>",
                esc(&run.name),
                esc(&run.expected),
                esc(&run.name),
                esc(&run.expected),
                if ok { "ok" } else { "bad" },
                if ok {
                    "✓ as expected"
                } else {
                    "✗ not as expected"
                },
                tl.final_weight(),
                tl.verdicts.len(),
                esc(reason)
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</section>");
}

fn explained_row<T: Copy + Into<u64>>(out: &mut String, what: &str, e: &Explained<T>) {
    let x = &e.explanation;
    let confidence = format!("{:?}", x.confidence).to_lowercase();
    let basis = format!("{} (confidence: {confidence})", x.rule);
    let samples = if x.samples > 0 {
        format!("{} of {} samples", x.statistic, count(x.samples))
    } else {
        x.statistic.clone()
    };
    let _ = write!(
        out,
        "<tr><td>{}</td><td class=\"n\">{} {}</td><td>{}</td><td class=\"rule\">{}{}</td></tr>",
        esc(what),
        count(e.value.into()),
        esc(&e.unit),
        esc(&samples),
        esc(&basis),
        if x.warnings.is_empty() {
            String::new()
        } else {
            format!(" — {}", esc(&x.warnings.join("; ")))
        }
    );
}

fn sizing_table(out: &mut String, s: &ProcessSizing) {
    let _ = write!(
        out,
        "<table class=\"sizing\" data-process-type=\"{}\"><thead><tr><th>recommendation</th>\
         <th class=\"n\">value</th><th>from</th><th>rule</th></tr></thead><tbody>",
        esc(&s.process_type)
    );
    explained_row(out, "replicas", &s.replicas);
    explained_row(out, "CPU request", &s.cpu_request_millicores);
    if let Some(l) = &s.cpu_limit_millicores {
        explained_row(out, "CPU limit", l);
    }
    explained_row(out, "memory request", &s.memory_request_mib);
    explained_row(out, "memory limit", &s.memory_limit_mib);
    if let Some(h) = &s.hpa {
        explained_row(out, "HPA min replicas", &h.min_replicas);
        explained_row(out, "HPA max replicas", &h.max_replicas);
        explained_row(out, "HPA CPU target", &h.target_cpu_utilization_percent);
    }
    out.push_str("</tbody></table>");
}

/// The charts drawn for one process type, in order (memory, CPU, requests per minute); types
/// without the data for a chart skip it and say why.
fn process_charts(
    input: &ReportInput,
    s: &ProcessSizing,
    prof: Option<&ProcessProfile>,
) -> (Vec<Chart>, Vec<String>) {
    let pt = &s.process_type;
    let mut charts = Vec::new();
    let mut missing = Vec::new();
    let process = input.formation.process(pt);
    let window_s = prof
        .and_then(|p| p.span.as_ref())
        .map_or(0.0, |s| s.seconds);
    match prof.and_then(|p| p.memory.total_mb.as_ref()) {
        Some(d) => {
            let quota = prof
                .and_then(|p| p.memory.quota_mb)
                .or(process.map(|p| p.size.memory_mb));
            charts.push(memory_chart(pt, d, quota, s, window_s));
        }
        None => missing.push(format!(
            "no memory samples for {pt}: the memory recommendation is a fallback ({})",
            s.memory_limit_mib.explanation.rule
        )),
    }
    match prof.and_then(|p| p.load_avg_1m.as_ref()) {
        Some(d) => {
            let dyno = process.map(|p| dyno_cores(p, &input.sizing.policy));
            charts.push(cpu_chart(pt, d, s, dyno));
        }
        None => missing.push(format!(
            "no load samples for {pt}: the CPU request is a fallback ({})",
            s.cpu_request_millicores.explanation.rule
        )),
    }
    match prof.and_then(|p| rpm_chart(pt, p)) {
        Some(c) => charts.push(c),
        None => missing.push(format!(
            "no router requests for {pt} (it does not receive HTTP traffic): no request-rate chart"
        )),
    }
    (charts, missing)
}

fn processes(out: &mut String, input: &ReportInput) {
    out.push_str(
        "<section id=\"processes\"><h2>Sizing per process type</h2><p class=\"muted\">Memory \
         is sized from memory_total (RSS + swap: Kubernetes has no swap), CPU from load_avg_1m \
         (an estimate), replicas from the router's traffic. Quantiles come from the ingest's \
         mergeable sketch.</p>",
    );
    for s in &input.sizing.processes {
        let prof = input.profiles.process_types.get(&s.process_type);
        let _ = write!(
            out,
            "<section class=\"process\" id=\"process-{}\"><h3>{} — {} × {} → {} pod(s)</h3>",
            slug(&s.process_type),
            esc(&s.process_type),
            s.quantity,
            esc(&s.dyno_size),
            s.replicas.value
        );
        if let Some(p) = prof {
            let errors = &p.memory_errors;
            let _ = write!(
                out,
                "<p class=\"muted\">{} memory samples, {} load samples, {} dyno(s) seen, R14 \
                 (memory quota exceeded) {}, R15 (killed) {}{}.</p>",
                count(p.memory.samples),
                count(p.load_samples),
                p.dynos.len(),
                count(errors.r14),
                count(errors.r15),
                p.router
                    .as_ref()
                    .map(|r| format!(
                        ", {} router requests ({} error lines)",
                        count(r.requests),
                        count(r.error_lines)
                    ))
                    .unwrap_or_default()
            );
        }
        let (charts, missing) = process_charts(input, s, prof);
        out.push_str("<div class=\"charts\">");
        for c in &charts {
            out.push_str(&figure(c));
        }
        out.push_str("</div>");
        notes(out, &missing);
        sizing_table(out, s);
        out.push_str("</section>");
    }
    notes(out, &input.sizing.warnings);
    out.push_str("</section>");
}

/// A `<ul class="notes">` of `items`, or nothing when there are none.
fn notes(out: &mut String, items: &[impl AsRef<str>]) {
    if items.is_empty() {
        return;
    }
    out.push_str("<ul class=\"notes\">");
    for item in items {
        let _ = write!(out, "<li>{}</li>", esc(item.as_ref()));
    }
    out.push_str("</ul>");
}

fn node_plan(out: &mut String, input: &ReportInput) {
    let plan = &input.node_plan;
    out.push_str("<section id=\"nodes\"><h2>Node plan</h2>");
    out.push_str(
        "<table id=\"node-types\"><thead><tr><th>instance type</th><th class=\"n\">nodes</th>\
         <th class=\"n\">$/hour each</th><th class=\"n\">$/month</th></tr></thead><tbody>",
    );
    for t in &plan.types {
        let _ = write!(
            out,
            "<tr data-instance-type=\"{}\" data-count=\"{}\"><td>{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">${:.4}</td><td class=\"n\">{}</td></tr>",
            esc(&t.instance_type),
            t.count,
            esc(&t.instance_type),
            t.count,
            t.usd_per_hour,
            usd(t.monthly_usd)
        );
    }
    let _ = write!(
        out,
        "<tr><th>total ({} region, on-demand, × 730 h)</th><th class=\"n\">{}</th><th></th>\
         <th class=\"n\">{}</th></tr></tbody></table>",
        esc(&plan.region),
        plan.node_count,
        usd(plan.monthly_usd)
    );
    let optimality = match (
        plan.proven_optimal,
        plan.gap_percent,
        plan.lower_bound_monthly_usd,
    ) {
        (true, _, _) => "proven to be the cheapest plan".to_owned(),
        (false, Some(g), Some(lb)) => format!(
            "within {}% of the proven lower bound of {}/month",
            num(g),
            usd(lb)
        ),
        _ => "no bound (first-fit-decreasing)".to_owned(),
    };
    let _ = write!(
        out,
        "<p>Solver: {:?}, {} ({} ms); first-fit-decreasing would cost {}/month.</p>",
        plan.solver,
        esc(&optimality),
        num(plan.elapsed_ms),
        usd(plan.ffd_monthly_usd)
    );
    out.push_str(&figure(&nodes_chart(plan)));
    out.push_str(
        "<details><summary>Pods placed on each node</summary><table id=\"placement\"><thead><tr>\
         <th>node</th><th>type</th><th>pods</th><th class=\"n\">CPU m used / allocatable</th>\
         <th class=\"n\">MiB used / allocatable</th></tr></thead><tbody>",
    );
    for (i, n) in plan.nodes.iter().enumerate() {
        let _ = write!(
            out,
            "<tr><td>#{}</td><td>{}</td><td>{}</td><td class=\"n\">{} / {}</td>\
             <td class=\"n\">{} / {}</td></tr>",
            i + 1,
            esc(&n.instance_type),
            esc(&n.pods.join(", ")),
            count(n.cpu_used_millis),
            count(n.cpu_available_millis),
            count(n.memory_used_mib),
            count(n.memory_available_mib)
        );
    }
    out.push_str("</tbody></table></details>");
    notes(out, &plan.explanation);
    out.push_str("</section>");
}

fn bill(out: &mut String, input: &ReportInput) {
    let b = &input.bill;
    out.push_str("<section id=\"bill\"><h2>Bill: Heroku vs AWS</h2>");
    out.push_str(&figure(&bill_chart(b)));
    out.push_str(
        "<table id=\"bill-lines\"><thead><tr><th>AWS line</th><th class=\"n\">$/month</th>\
         <th>rule</th></tr></thead><tbody>",
    );
    for l in &b.aws_lines {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"rule\">{}</td></tr>",
            esc(&l.item),
            usd(l.monthly_usd),
            esc(&l.rule)
        );
    }
    let _ = write!(
        out,
        "<tr><th>AWS total</th><th class=\"n\" data-key=\"aws-total\">{}</th><th></th></tr>\
         <tr><th>Heroku total</th><th class=\"n\" data-key=\"heroku-total\">{}</th><th></th></tr>\
         <tr><th>saving (Heroku − AWS)</th><th class=\"n\" data-key=\"saving\">{}</th>\
         <th>{}% of the Heroku bill</th></tr></tbody></table>",
        usd(b.aws_monthly_usd),
        usd(b.heroku_monthly_usd),
        usd(b.saving_monthly_usd),
        num(b.saving_percent)
    );
    let c = &b.capacity;
    let _ = write!(
        out,
        "<p>Capacity for the money: Heroku's dynos give {} MiB and {} vCPU; the nodes offer pods \
         {} MiB and {} vCPU; the pods request {} MiB and {} vCPU. Per dollar, AWS buys {}× the \
         memory and {}× the CPU.</p>",
        num(c.heroku_memory_mib),
        num(c.heroku_vcpu),
        num(c.aws_memory_mib),
        num(c.aws_vcpu),
        num(c.pods_memory_mib),
        num(c.pods_vcpu),
        num(c.memory_per_dollar_ratio),
        num(c.cpu_per_dollar_ratio)
    );
    let all: Vec<&String> = b.notes.iter().chain(&input.heroku_cost.notes).collect();
    notes(out, &all);
    out.push_str("</section>");
}

fn cutovers(out: &mut String, input: &ReportInput) {
    out.push_str(
        "<section id=\"cutover\"><h2>Cutover timeline</h2><p class=\"muted\">Each run moves \
         the weighted Route53 records in stages; a stage is judged only after its change is \
         in sync and resolver caches (TTL) have turned over. Markers are gate verdicts; a \
         failing verdict rolls back.</p>",
    );
    if input.cutovers.is_empty() {
        out.push_str("<p>No cutover runs in this input.</p>");
    }
    for (i, run) in input.cutovers.iter().enumerate() {
        let _ = write!(out, "<h3>Run {}: {}</h3>", i + 1, esc(&run.name));
        out.push_str(&figure(&cutover_chart(i, run)));
        let t0 = run.events.first().map_or(0, |e| e.at_ms);
        let _ = write!(
            out,
            "<details><summary>All {} events of run {}</summary><table class=\"events\">\
             <thead><tr><th class=\"n\">time</th><th>event</th></tr></thead><tbody>",
            run.events.len(),
            i + 1
        );
        for e in &run.events {
            let class = match &e.event {
                crate::cutover::CutoverEvent::GateVerdict { verdict, .. } => {
                    format!(" class=\"v-{}\"", status_name(verdict.status))
                }
                _ => String::new(),
            };
            let _ = write!(
                out,
                "<tr{class}><td class=\"n\">{}</td><td>{}</td></tr>",
                since(e.at_ms, t0),
                esc(&e.event.describe())
            );
        }
        out.push_str("</tbody></table></details>");
    }
    out.push_str("</section>");
}

/// The live preflight of both targets: which TLS / parity checks ran (or why not) and what
/// they found.
fn live_preflight(out: &mut String, input: &ReportInput) {
    out.push_str(
        "<section id=\"preflight\"><h2>Live preflight: TLS and HTTP parity</h2><p \
         class=\"muted\">Before anything is locked or written, the AWS and Heroku targets of \
         every hostname are checked: TLS with the hostname as server name (chain, names, days \
         left) and the same paths fetched from both (status class, redirect host, \
         headers).</p>",
    );
    let Some(p) = &input.preflight else {
        out.push_str(
            "<p data-preflight=\"not-run\">Not run: this input has no live preflight. Pass \
             <code>--preflight</code> with the output of <code>dynoshift cutover preflight \
             --json</code> for a plan with <code>checks</code>.</p></section>",
        );
        return;
    };
    let _ = write!(
        out,
        "<p data-preflight=\"{}\">{}</p><table class=\"checks\"><thead><tr><th>check</th>\
         <th>ran</th><th>what it covered, or why it was skipped</th></tr></thead><tbody>",
        if p.ok { "ok" } else { "errors" },
        if p.ok {
            "<span class=\"ok\">No error finding.</span>"
        } else {
            "<span class=\"bad\">Error findings: the run would be refused.</span>"
        }
    );
    if p.checks.is_empty() {
        out.push_str(
            "<tr><td colspan=\"3\">No live check is recorded in this preflight (written by \
             a dynoshift without them).</td></tr>",
        );
    }
    for c in &p.checks {
        let _ = write!(
            out,
            "<tr data-check=\"{}\" data-ran=\"{}\"><td>{}</td><td class=\"{}\">{}</td>\
             <td>{}</td></tr>",
            esc(&c.check),
            c.ran,
            esc(&c.check),
            if c.ran { "ok" } else { "muted" },
            if c.ran { "ran" } else { "skipped" },
            esc(&c.detail)
        );
    }
    out.push_str("</tbody></table>");
    let live: Vec<_> = p
        .findings
        .iter()
        .filter(|f| {
            ["tls_", "parity_", "live_check"]
                .iter()
                .any(|k| f.code.starts_with(k))
        })
        .collect();
    if live.is_empty() {
        out.push_str("<p>The live checks found nothing.</p>");
    } else {
        out.push_str(
            "<table class=\"findings\"><thead><tr><th>severity</th><th>code</th>\
             <th>hostname</th><th>finding</th></tr></thead><tbody>",
        );
        for f in live {
            let _ = write!(
                out,
                "<tr data-code=\"{}\"><td class=\"{}\">{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td></tr>",
                esc(&f.code),
                if f.severity.as_str() == "error" {
                    "bad"
                } else {
                    "muted"
                },
                esc(f.severity.as_str()),
                esc(&f.code),
                esc(f.hostname.as_deref().unwrap_or("")),
                esc(&f.message)
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</section>");
}

/// Every warm-up baseline: the input's own (from journals) and each run's event.
fn warmups(out: &mut String, input: &ReportInput) {
    out.push_str(
        "<section id=\"warmup\"><h2>Stage 0: warm-up baseline</h2><p class=\"muted\">Before \
         the first weight, GET/HEAD requests are replayed against the AWS target at a bounded \
         rate; their latencies are the AWS side's baseline before any user reaches it.</p>",
    );
    let mut all: Vec<(String, &crate::cutover::WarmupBaseline)> = input
        .warmups
        .iter()
        .enumerate()
        .map(|(i, b)| (format!("journal {}", i + 1), b))
        .collect();
    for (i, run) in input.cutovers.iter().enumerate() {
        for e in &run.events {
            if let crate::cutover::CutoverEvent::WarmupBaseline(b) = &e.event {
                all.push((format!("run {}: {}", i + 1, run.name), b));
            }
        }
    }
    if all.is_empty() {
        out.push_str(
            "<p data-warmup=\"not-run\">Not run: no run in this input had a \
             <code>warmup</code> section in its plan.</p></section>",
        );
        return;
    }
    let ms = |v: Option<f64>| v.map(num).unwrap_or_else(|| "—".into());
    for (name, b) in all {
        let _ = write!(
            out,
            "<h3>{}</h3><p>{} request(s) at up to {}/s; paths: {}.</p>",
            esc(&name),
            count(b.requests),
            b.rate_per_second,
            esc(&b.source)
        );
        if let Some(f) = &b.failure {
            let _ = write!(out, "<p class=\"bad\">{}</p>", esc(f));
        }
        out.push_str(
            "<table class=\"warmup\"><thead><tr><th>route</th><th class=\"n\">in logs</th>\
             <th class=\"n\">requests</th><th>status classes</th><th class=\"n\">errors</th>\
             <th class=\"n\">p50 ms</th><th class=\"n\">p95 ms</th><th class=\"n\">max ms</th>\
             </tr></thead><tbody>",
        );
        for r in &b.routes {
            let mut classes = r
                .status_classes
                .iter()
                .map(|(c, n)| format!("{c}: {n}"))
                .collect::<Vec<_>>()
                .join(", ");
            if !r.heroku_classes.is_empty() {
                // what Heroku answered the same request, as its router logs say
                let heroku = r
                    .heroku_classes
                    .iter()
                    .map(|(c, n)| format!("{c}: {}", count(*n)))
                    .collect::<Vec<_>>()
                    .join(", ");
                classes = format!("{classes} (on Heroku: {heroku})");
            }
            let _ = write!(
                out,
                "<tr data-route=\"{} {}{}\" data-requests=\"{}\" data-errors=\"{}\" \
                 data-p50=\"{}\" data-p95=\"{}\" data-max=\"{}\"><td>{} {}{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td></tr>",
                esc(&r.method),
                esc(&r.hostname),
                esc(&r.path),
                r.requests,
                r.errors,
                r.p50_ms.map(|v| v.to_string()).unwrap_or_default(),
                r.p95_ms.map(|v| v.to_string()).unwrap_or_default(),
                r.max_ms.map(|v| v.to_string()).unwrap_or_default(),
                esc(&r.method),
                esc(&r.hostname),
                esc(&r.path),
                r.seen_in_logs.map(count).unwrap_or_else(|| "—".into()),
                r.requests,
                esc(if classes.is_empty() {
                    "no answer"
                } else {
                    &classes
                }),
                r.errors,
                ms(r.p50_ms),
                ms(r.p95_ms),
                ms(r.max_ms)
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</section>");
}

/// Heroku's residual traffic after promotion, and the verdict of `cutover drained`.
fn drain(out: &mut String, input: &ReportInput) {
    out.push_str(
        "<section id=\"drained\"><h2>After the move: is Heroku drained?</h2><p \
         class=\"muted\">Clients that ignore DNS TTLs still reach Heroku after promotion; \
         Heroku can be scaled to 0 once the rate stayed under the plan's threshold for the \
         whole window.</p>",
    );
    let Some(d) = &input.drained else {
        out.push_str(
            "<p data-drained=\"not-run\">Not run: this input has no drain check. Pass \
             <code>--drained</code> with the output of <code>dynoshift cutover drained \
             --json</code>.</p></section>",
        );
        return;
    };
    let _ = write!(
        out,
        "<p data-drained=\"{}\"><span class=\"{}\">{}</span> {}</p>",
        d.drained,
        if d.drained { "ok" } else { "bad" },
        if d.drained {
            "Drained."
        } else {
            "Not drained yet."
        },
        esc(&d.reason)
    );
    if let Some(chart) = drain_chart(d) {
        out.push_str(&figure(&chart));
    }
    out.push_str(
        "<table class=\"drain\"><thead><tr><th>hostname</th><th>verdict</th>\
         <th class=\"n\">requests in window</th><th class=\"n\">peak /min</th>\
         <th class=\"n\">last bucket /min</th><th>drained at the earliest</th></tr></thead>\
         <tbody>",
    );
    for h in &d.hosts {
        let last = h.series.last().map(|p| p.rpm);
        let _ = write!(
            out,
            "<tr data-host=\"{}\" data-drained=\"{}\" data-peak-rpm=\"{}\" \
             data-requests=\"{}\"><td>{}</td><td class=\"{}\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&h.hostname),
            h.drained,
            h.peak_rpm,
            h.requests_in_window,
            esc(&h.hostname),
            if h.drained { "ok" } else { "bad" },
            if h.drained { "drained" } else { "not drained" },
            count(h.requests_in_window),
            num(h.peak_rpm),
            last.map(num).unwrap_or_else(|| "—".into()),
            esc(h
                .drained_at_earliest
                .as_deref()
                .unwrap_or(if h.drained { "now" } else { "—" }))
        );
    }
    out.push_str("</tbody></table>");
    // the tail: the last buckets of every hostname, as numbers
    let _ = write!(
        out,
        "<details><summary>The tail: every bucket of the window ({} to {})</summary>\
         <table class=\"tail\"><thead><tr><th>hostname</th><th>bucket start</th>\
         <th class=\"n\">requests</th><th class=\"n\">per minute</th></tr></thead><tbody>",
        esc(&d.window_start),
        esc(&d.now)
    );
    for h in &d.hosts {
        for p in &h.series {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&h.hostname),
                esc(&p.start),
                count(p.requests),
                num(p.rpm)
            );
        }
    }
    out.push_str("</tbody></table></details></section>");
}
