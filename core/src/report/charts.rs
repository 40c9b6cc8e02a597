//! The report's charts, each one `<svg>` built from the report input with the primitives of
//! [`super::svg`]. Every chart carries its key figures as `data-*` attributes and as text.

use crate::cutover::{CutoverEvent, Outcome, VerdictStatus};
use crate::heroku::dynos::Cpu;
use crate::heroku::formation::Process;
use crate::heroku::logs::time::format_rfc3339_ms;
use crate::nodes::bill::Bill;
use crate::nodes::pack::Plan;
use crate::sizing::{ProcessSizing, SizingPolicy, human_duration};
use crate::telemetry::{Distribution, ProcessProfile};

use super::CutoverRun;
use super::svg::{
    Frame, Scale, Svg, count, esc, fixed, nice_ticks, num, spread_labels, tick_decimals, usd,
};

/// A chart and the sentence that explains it (rendered as the figure's caption).
#[derive(Debug)]
pub struct Chart {
    /// The `<svg>` markup.
    pub svg: String,
    /// What the chart shows and where its numbers come from.
    pub caption: String,
    /// Draw it across the whole row.
    pub wide: bool,
}

/// `web` → `web`; anything outside `[A-Za-z0-9_-]` becomes `-` (ids must be XML names).
pub fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Shortest round-trip text of a float, for `data-*` attributes a test reads back exactly.
fn raw(v: f64) -> String {
    format!("{v}")
}

/// Vertical bars for labelled values, with value labels on top, reference lines labelled on
/// the right, and a y axis.
struct BarSpec<'a> {
    bars: Vec<(String, f64)>,
    /// (value, css class, label)
    refs: Vec<(f64, &'a str, String)>,
    y_title: &'a str,
    x_title: &'a str,
    unit_fmt: fn(f64) -> String,
}

fn bar_chart(mut svg: Svg, spec: BarSpec<'_>) -> String {
    let f = svg.frame;
    let top_value = spec
        .bars
        .iter()
        .map(|b| b.1)
        .chain(spec.refs.iter().map(|r| r.0))
        .fold(0.0_f64, f64::max);
    let ticks = nice_ticks(0.0, top_value * 1.08, 5);
    let y = Scale::new(0.0, *ticks.last().unwrap_or(&1.0), f.bottom, f.top);
    let dec = tick_decimals(&ticks);
    svg.y_axis(&y, &ticks, |t| fixed(t, dec), spec.y_title);
    let n = spec.bars.len().max(1) as f64;
    let slot = (f.right - f.left) / n;
    let bw = (slot * 0.62).min(46.0);
    let mut ticks_x = Vec::new();
    for (i, (label, v)) in spec.bars.iter().enumerate() {
        let cx = f.left + slot * (i as f64 + 0.5);
        let top = y.at(*v);
        svg.rect(
            cx - bw / 2.0,
            top,
            bw,
            f.bottom - top,
            "bar",
            &format!("{label}: {}", (spec.unit_fmt)(*v)),
        );
        svg.text(cx, top - 4.0, "middle", "value", &(spec.unit_fmt)(*v));
        ticks_x.push((i as f64 + 0.5, label.clone()));
    }
    let xs = Scale::new(0.0, n, f.left, f.right);
    svg.x_axis(&xs, &ticks_x, spec.x_title);
    let ys: Vec<f64> = spec.refs.iter().map(|r| y.at(r.0)).collect();
    let label_ys = spread_labels(
        &ys.iter().map(|v| v + 4.0).collect::<Vec<_>>(),
        13.0,
        f.top,
        f.bottom + 4.0,
    );
    for (i, (_, class, label)) in spec.refs.iter().enumerate() {
        svg.hline(ys[i], label_ys[i], class, label);
    }
    svg.finish()
}

fn mib(v: f64) -> String {
    num(v)
}

/// Memory of one process type: quantiles of `memory_total` against the Heroku quota and the
/// recommended request and limit.
pub fn memory_chart(
    pt: &str,
    dist: &Distribution,
    quota_mb: Option<f64>,
    sizing: &ProcessSizing,
    window_s: f64,
) -> Chart {
    let id = format!("memory-{}", slug(pt));
    let req = f64::from(sizing.memory_request_mib.value);
    let lim = f64::from(sizing.memory_limit_mib.value);
    let mut data = vec![
        ("samples", dist.count.to_string()),
        ("p50-mib", raw(dist.quantile(0.5))),
        ("p95-mib", raw(dist.quantile(0.95))),
        ("p99-mib", raw(dist.quantile(0.99))),
        ("max-mib", raw(dist.max)),
        ("request-mib", sizing.memory_request_mib.value.to_string()),
        ("limit-mib", sizing.memory_limit_mib.value.to_string()),
    ];
    if let Some(q) = quota_mb {
        data.push(("quota-mib", raw(q)));
    }
    let title = format!("{pt}: memory used (memory_total) vs quota and recommendation, MiB");
    let desc = format!(
        "Quantiles of memory_total over {} samples; recommended request {} MiB, limit {} MiB{}",
        count(dist.count),
        num(req),
        num(lim),
        quota_mb
            .map(|q| format!(", Heroku quota {} MiB", num(q)))
            .unwrap_or_default()
    );
    let svg = Svg::new(
        &id,
        &title,
        &desc,
        Frame::new(600.0, 300.0, (64.0, 170.0, 24.0, 44.0)),
        &data,
    );
    let mut bars = vec![("min".to_owned(), dist.min)];
    for (label, q) in [
        ("p50", 0.5),
        ("p90", 0.9),
        ("p95", 0.95),
        ("p99", 0.99),
        ("p99.9", 0.999),
    ] {
        bars.push((label.to_owned(), dist.quantile(q)));
    }
    bars.push(("max".to_owned(), dist.max));
    let mut refs = Vec::new();
    if let Some(q) = quota_mb {
        refs.push((q, "ref-quota", format!("Heroku quota {} MiB", num(q))));
    }
    if req == lim {
        refs.push((
            lim,
            "ref-limit",
            format!("request = limit {} MiB", num(lim)),
        ));
    } else {
        refs.push((lim, "ref-limit", format!("limit {} MiB", num(lim))));
        refs.push((req, "ref-request", format!("request {} MiB", num(req))));
    }
    let svg = bar_chart(
        svg,
        BarSpec {
            bars,
            refs,
            y_title: "MiB (memory_total = RSS + swap)",
            x_title: &format!(
                "quantile of {} samples over {} (±{}%)",
                count(dist.count),
                human_duration(window_s),
                num(dist.relative_error * 100.0)
            ),
            unit_fmt: mib,
        },
    );
    let caption = format!(
        "Memory of {pt}: p95 {} MiB and max {} MiB of {} memory_total samples (quantiles from \
         the ingest's sketch, within ±{}%). Recommended request {} MiB and limit {} MiB \
         ({}){}.",
        num(dist.quantile(0.95)),
        num(dist.max),
        count(dist.count),
        num(dist.relative_error * 100.0),
        num(req),
        num(lim),
        sizing.memory_limit_mib.explanation.rule,
        quota_mb
            .map(|q| format!("; the dyno's quota was {} MiB", num(q)))
            .unwrap_or_default()
    );
    Chart {
        svg,
        caption,
        wide: false,
    }
}

fn cores(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v < 1.0 {
        format!("{v:.2}")
    } else {
        num(v)
    }
}

/// The dyno's CPU in cores as the sizing counts it (shared dynos at the policy's share).
pub fn dyno_cores(process: &Process, policy: &SizingPolicy) -> (f64, String) {
    match process.size.cpu {
        Cpu::Shared(n) => {
            let c = f64::from(n) * policy.shared_cores_per_unit;
            (c, format!("dyno ≈ {} core (shared)", num(c)))
        }
        Cpu::Dedicated(v) => (v, format!("dyno {} vCPU", num(v))),
    }
}

/// CPU of one process type: quantiles of `load_avg_1m` against the recommended CPU request.
pub fn cpu_chart(
    pt: &str,
    load: &Distribution,
    sizing: &ProcessSizing,
    dyno: Option<(f64, String)>,
) -> Chart {
    let id = format!("cpu-{}", slug(pt));
    let req_m = sizing.cpu_request_millicores.value;
    let req = f64::from(req_m) / 1000.0;
    let mut data = vec![
        ("samples", load.count.to_string()),
        ("p90-load", raw(load.quantile(0.9))),
        ("p95-load", raw(load.quantile(0.95))),
        ("max-load", raw(load.max)),
        ("request-millicores", req_m.to_string()),
    ];
    let limit = sizing.cpu_limit_millicores.as_ref().map(|l| l.value);
    if let Some(l) = limit {
        data.push(("limit-millicores", l.to_string()));
    }
    let title = format!("{pt}: load (load_avg_1m) vs recommended CPU request, cores");
    let desc = format!(
        "Quantiles of load_avg_1m over {} samples; recommended CPU request {} millicores",
        count(load.count),
        req_m
    );
    let svg = Svg::new(
        &id,
        &title,
        &desc,
        Frame::new(600.0, 300.0, (64.0, 170.0, 24.0, 44.0)),
        &data,
    );
    let mut bars = Vec::new();
    for (label, q) in [("p50", 0.5), ("p90", 0.9), ("p95", 0.95), ("p99", 0.99)] {
        bars.push((label.to_owned(), load.quantile(q)));
    }
    bars.push(("max".to_owned(), load.max));
    let mut refs = vec![(
        req,
        "ref-request",
        format!("request {} m", count(u64::from(req_m))),
    )];
    if let Some(l) = limit {
        refs.push((
            f64::from(l) / 1000.0,
            "ref-limit",
            format!("limit {} m", count(u64::from(l))),
        ));
    }
    if let Some((c, label)) = &dyno {
        refs.push((*c, "ref-quota", label.clone()));
    }
    let svg = bar_chart(
        svg,
        BarSpec {
            bars,
            refs,
            y_title: "cores (load_avg_1m, run-queue length)",
            x_title: &format!("quantile of {} load samples", count(load.count)),
            unit_fmt: cores,
        },
    );
    let caption = format!(
        "Load of {pt}: p90 {} and max {} (load_avg_1m, {} samples; a run-queue length, read \
         as busy cores — an estimate). Recommended CPU request {req_m} millicores ({}){}.",
        cores(load.quantile(0.9)),
        cores(load.max),
        count(load.count),
        sizing.cpu_request_millicores.explanation.rule,
        limit
            .map(|l| format!(", limit {l} millicores"))
            .unwrap_or_else(|| ", no CPU limit".into())
    );
    Chart {
        svg,
        caption,
        wide: false,
    }
}

/// `11-02` and `15:00` of a UTC timestamp.
fn day_and_time(ms: i64) -> (String, String) {
    let s = format_rfc3339_ms(ms);
    (
        s.get(5..10).unwrap_or_default().to_owned(),
        s.get(11..16).unwrap_or_default().to_owned(),
    )
}

/// Ticks on UTC boundaries, at most about 8, for a time range in ms.
fn time_ticks(t0: i64, t1: i64) -> Vec<(f64, String)> {
    const H: i64 = 3_600_000;
    let span = (t1 - t0).max(1);
    let step = [1, 2, 3, 6, 12, 24, 48, 168]
        .iter()
        .map(|h| h * H)
        .find(|s| span / s <= 8)
        .unwrap_or(336 * H);
    let mut t = t0.div_euclid(step) * step;
    if t < t0 {
        t += step;
    }
    let mut out = Vec::new();
    while t <= t1 {
        let (day, time) = day_and_time(t);
        let label = if step >= 24 * H || time == "00:00" {
            day
        } else {
            time
        };
        out.push((t as f64, label));
        t += step;
    }
    out
}

/// Requests per minute of a routed process type, hour by hour over the whole window.
pub fn rpm_chart(pt: &str, prof: &ProcessProfile) -> Option<Chart> {
    let router = prof.router.as_ref()?;
    let hours: Vec<_> = prof.hourly.iter().collect();
    if hours.is_empty() || router.requests == 0 {
        return None;
    }
    let id = format!("rpm-{}", slug(pt));
    let hour_ms = 3_600_000_i64;
    let points: Vec<(i64, f64)> = hours
        .iter()
        .map(|h| (h.start_ms, h.requests as f64 / 60.0))
        .collect();
    let peak = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let peak_at = points
        .iter()
        .find(|p| p.1 == peak)
        .map(|p| p.0)
        .unwrap_or(0);
    let busiest_minute = router.requests_per_minute.as_ref().map(|d| d.max);
    let total: u64 = hours.iter().map(|h| h.requests).sum();
    let mut data = vec![
        ("hours", hours.len().to_string()),
        ("requests", total.to_string()),
        ("peak-hourly-rpm", raw(peak)),
        ("mean-rps", raw(router.mean_rps)),
    ];
    if let Some(b) = busiest_minute {
        data.push(("busiest-minute-rpm", raw(b)));
    }
    let title = format!("{pt}: requests per minute, hour by hour (router logs)");
    let desc = format!(
        "{} router requests over {} hours; busiest hour {} requests/min on average",
        count(total),
        hours.len(),
        num(peak)
    );
    let mut svg = Svg::new(
        &id,
        &title,
        &desc,
        Frame::new(1100.0, 280.0, (64.0, 190.0, 24.0, 44.0)),
        &data,
    );
    let f = svg.frame;
    let t0 = points.first().map(|p| p.0).unwrap_or(0);
    let t1 = points.last().map(|p| p.0 + hour_ms).unwrap_or(t0 + hour_ms);
    let x = Scale::new(t0 as f64, t1 as f64, f.left, f.right);
    let top = peak.max(busiest_minute.unwrap_or(0.0));
    let ticks = nice_ticks(0.0, top * 1.08, 5);
    let y = Scale::new(0.0, *ticks.last().unwrap_or(&1.0), f.bottom, f.top);
    let dec = tick_decimals(&ticks);
    svg.y_axis(&y, &ticks, |t| fixed(t, dec), "requests / minute");
    // Each hour's mean rate is drawn at the middle of its hour.
    let line: Vec<(f64, f64)> = points
        .iter()
        .map(|(t, v)| (x.at((*t + hour_ms / 2) as f64), y.at(*v)))
        .collect();
    let mut area = line.clone();
    if let (Some(first), Some(last)) = (line.first(), line.last()) {
        area.push((last.0, f.bottom));
        area.push((first.0, f.bottom));
    }
    svg.polygon(&area, "area");
    svg.polyline(&line, "series");
    let (day, time) = day_and_time(peak_at);
    let px = x.at((peak_at + hour_ms / 2) as f64);
    svg.circle(
        px,
        y.at(peak),
        3.5,
        "peak",
        &format!("busiest hour {day} {time} UTC"),
    );
    let mut refs = vec![(
        peak,
        "ref-request",
        format!("busiest hour {} /min", num(peak)),
    )];
    if let Some(b) = busiest_minute {
        refs.push((b, "ref-quota", format!("busiest minute {} /min", num(b))));
    }
    let ys: Vec<f64> = refs.iter().map(|r| y.at(r.0)).collect();
    let lys = spread_labels(
        &ys.iter().map(|v| v + 4.0).collect::<Vec<_>>(),
        13.0,
        f.top,
        f.bottom,
    );
    for (i, (_, class, label)) in refs.iter().enumerate() {
        svg.hline(ys[i], lys[i], class, label);
    }
    svg.x_axis(&x, &time_ticks(t0, t1), "time (UTC), one point per hour");
    let caption = format!(
        "Requests per minute of {pt}: each point is one hour's router requests ÷ 60 ({} \
         hours, {} requests, mean {} requests/s). Busiest hour {} requests/min at {day} {time} \
         UTC{}.",
        count(hours.len() as u64),
        count(total),
        num(router.mean_rps),
        num(peak),
        busiest_minute
            .map(|b| format!("; busiest single minute {} requests", num(b)))
            .unwrap_or_default()
    );
    Some(Chart {
        svg: svg.finish(),
        caption,
        wide: true,
    })
}

/// Utilisation of every planned node: the pods' CPU and memory requests against what the node
/// offers pods.
pub fn nodes_chart(plan: &Plan) -> Chart {
    const MAX_ROWS: usize = 30;
    let shown = plan.nodes.len().min(MAX_ROWS);
    let row = 34.0;
    let height = 70.0 + row * shown.max(1) as f64 + 30.0;
    let types: Vec<String> = plan
        .types
        .iter()
        .map(|t| format!("{}×{}", t.count, t.instance_type))
        .collect();
    let data = vec![
        ("node-count", plan.node_count.to_string()),
        ("pod-count", plan.pod_count.to_string()),
        ("monthly-usd", raw(plan.monthly_usd)),
        ("types", types.join(",")),
    ];
    let desc = format!(
        "{} nodes ({}) hold {} pods for {}/month",
        plan.node_count,
        types.join(", "),
        plan.pod_count,
        usd(plan.monthly_usd)
    );
    let mut svg = Svg::new(
        "nodes",
        "Node plan: requested CPU and memory as a share of what each node offers pods",
        &desc,
        Frame::new(900.0, height, (220.0, 220.0, 40.0, 40.0)),
        &data,
    );
    let f = svg.frame;
    let x = Scale::new(0.0, 100.0, f.left, f.right);
    let ticks = nice_ticks(0.0, 100.0, 5);
    for t in &ticks {
        svg.line(x.at(*t), f.top, x.at(*t), f.bottom, "grid");
    }
    svg.legend(
        f.left,
        18.0,
        &[
            ("bar-cpu", "CPU requested / allocatable"),
            ("bar-mem", "memory requested / allocatable"),
        ],
    );
    for (i, n) in plan.nodes.iter().take(MAX_ROWS).enumerate() {
        let y0 = f.top + 8.0 + row * i as f64;
        let pct = |used: u64, avail: u64| {
            if avail == 0 {
                0.0
            } else {
                used as f64 / avail as f64 * 100.0
            }
        };
        let cpu = pct(n.cpu_used_millis, n.cpu_available_millis);
        let mem = pct(n.memory_used_mib, n.memory_available_mib);
        let app_pods = n.pods.iter().filter(|p| !p.ends_with("-surge")).count();
        let pods = match (app_pods, n.pods.len() > app_pods) {
            (0, true) => "surge room".to_owned(),
            (k, true) => format!("{k} pods + surge"),
            (k, false) => format!("{k} pods"),
        };
        svg.text(
            f.left - 8.0,
            y0 + 13.0,
            "end",
            "tick",
            &format!("#{} {} · {pods}", i + 1, n.instance_type),
        );
        let tip_cpu = format!(
            "CPU {} of {} millicores ({}%)",
            count(n.cpu_used_millis),
            count(n.cpu_available_millis),
            num(cpu)
        );
        let tip_mem = format!(
            "memory {} of {} MiB ({}%)",
            count(n.memory_used_mib),
            count(n.memory_available_mib),
            num(mem)
        );
        svg.rect(
            f.left,
            y0,
            x.at(cpu.min(100.0)) - f.left,
            11.0,
            "bar-cpu",
            &tip_cpu,
        );
        svg.rect(
            f.left,
            y0 + 12.0,
            x.at(mem.min(100.0)) - f.left,
            11.0,
            "bar-mem",
            &tip_mem,
        );
        svg.text(
            f.right + 8.0,
            y0 + 10.0,
            "start",
            "value-left",
            &format!("CPU {}% ({} m)", num(cpu), count(n.cpu_used_millis)),
        );
        svg.text(
            f.right + 8.0,
            y0 + 22.0,
            "start",
            "value-left",
            &format!("mem {}% ({} MiB)", num(mem), count(n.memory_used_mib)),
        );
    }
    if plan.nodes.len() > MAX_ROWS {
        svg.text(
            f.left,
            f.bottom - 4.0,
            "start",
            "note",
            &format!("first {MAX_ROWS} of {} nodes shown", plan.nodes.len()),
        );
    }
    let xt: Vec<(f64, String)> = ticks
        .iter()
        .map(|t| (*t, format!("{}%", num(*t))))
        .collect();
    svg.x_axis(
        &x,
        &xt,
        "share of the node's allocatable (after kubelet, system and DaemonSet reservations)",
    );
    let caption = format!(
        "{} node(s) — {} — hold {} app pods requesting {} millicores and {} MiB; {}/month \
         on-demand ({}){}.",
        plan.node_count,
        types.join(", "),
        count(plan.pod_count),
        count(plan.cpu_requested_millis),
        count(plan.memory_requested_mib),
        usd(plan.monthly_usd),
        match (plan.proven_optimal, plan.gap_percent) {
            (true, _) => "proven cheapest".to_owned(),
            (false, Some(g)) => format!("within {}% of the proven lower bound", num(g)),
            (false, None) => "no optimality bound (first-fit-decreasing)".to_owned(),
        },
        plan.surge_process_type
            .as_ref()
            .map(|s| format!("; room kept for one surge pod of {s}"))
            .unwrap_or_default()
    );
    Chart {
        svg: svg.finish(),
        caption,
        wide: true,
    }
}

/// Node lines first (oranges), then the fixed costs in other hues.
const AWS_SHADES: [&str; 6] = [
    "#e07b00", "#f2b134", "#4f7cac", "#5fa8a0", "#9c8f80", "#c86b85",
];

/// Heroku's monthly bill against AWS's, the AWS side split by line.
pub fn bill_chart(bill: &Bill) -> Chart {
    let legend_rows = bill.aws_lines.len().div_ceil(2);
    let height = 150.0 + 18.0 * legend_rows as f64;
    let data = vec![
        ("heroku-usd", raw(bill.heroku_monthly_usd)),
        ("aws-usd", raw(bill.aws_monthly_usd)),
        ("saving-usd", raw(bill.saving_monthly_usd)),
        ("saving-percent", raw(bill.saving_percent)),
    ];
    let desc = format!(
        "Heroku {}/month, AWS {}/month, saving {} ({}%)",
        usd(bill.heroku_monthly_usd),
        usd(bill.aws_monthly_usd),
        usd(bill.saving_monthly_usd),
        num(bill.saving_percent)
    );
    let mut svg = Svg::new(
        "bill",
        "Monthly bill: Heroku vs AWS, USD per month",
        &desc,
        Frame::new(
            900.0,
            height,
            (90.0, 130.0, 16.0, 40.0 + 18.0 * legend_rows as f64),
        ),
        &data,
    );
    let f = svg.frame;
    let top = bill.heroku_monthly_usd.max(bill.aws_monthly_usd);
    let ticks = nice_ticks(0.0, top * 1.02, 6);
    let x = Scale::new(0.0, *ticks.last().unwrap_or(&1.0), f.left, f.right);
    for t in &ticks {
        svg.line(x.at(*t), f.top, x.at(*t), f.bottom, "grid");
    }
    let bar_h = 26.0;
    let y_h = f.top + 10.0;
    let y_a = y_h + bar_h + 14.0;
    svg.text(f.left - 8.0, y_h + 17.0, "end", "tick", "Heroku");
    svg.rect(
        f.left,
        y_h,
        x.at(bill.heroku_monthly_usd) - f.left,
        bar_h,
        "bar-heroku",
        &format!("Heroku {}/month", usd(bill.heroku_monthly_usd)),
    );
    svg.text(
        x.at(bill.heroku_monthly_usd) + 6.0,
        y_h + 17.0,
        "start",
        "value-left",
        &format!("{}/mo", usd(bill.heroku_monthly_usd)),
    );
    svg.text(f.left - 8.0, y_a + 17.0, "end", "tick", "AWS");
    let mut acc = 0.0;
    for (i, l) in bill.aws_lines.iter().enumerate() {
        let x0 = x.at(acc);
        acc += l.monthly_usd;
        svg.rect_fill(
            x0,
            y_a,
            x.at(acc) - x0,
            bar_h,
            AWS_SHADES[i % AWS_SHADES.len()],
            &format!("{}: {}/month ({})", l.item, usd(l.monthly_usd), l.rule),
        );
    }
    svg.text(
        x.at(bill.aws_monthly_usd) + 6.0,
        y_a + 17.0,
        "start",
        "value-left",
        &format!("{}/mo", usd(bill.aws_monthly_usd)),
    );
    let xt: Vec<(f64, String)> = ticks
        .iter()
        .map(|t| (*t, format!("${}", fixed(*t, 0))))
        .collect();
    // The axis sits under the bars; the legend under the axis.
    let axis_y = y_a + bar_h + 10.0;
    svg.line(f.left, axis_y, f.right, axis_y, "axis");
    for (t, label) in &xt {
        svg.text(x.at(*t), axis_y + 14.0, "middle", "tick", label);
    }
    for (i, l) in bill.aws_lines.iter().enumerate() {
        let lx = f.left + (i % 2) as f64 * 340.0;
        let ly = axis_y + 38.0 + 18.0 * (i / 2) as f64;
        svg.rect_fill(
            lx,
            ly - 9.0,
            12.0,
            10.0,
            AWS_SHADES[i % AWS_SHADES.len()],
            &l.item,
        );
        svg.text(
            lx + 16.0,
            ly,
            "start",
            "legend",
            &format!("{} {}", l.item, usd(l.monthly_usd)),
        );
    }
    let saving = if bill.saving_monthly_usd >= 0.0 {
        format!(
            "saves {}/month ({}% of the Heroku bill)",
            usd(bill.saving_monthly_usd),
            num(bill.saving_percent)
        )
    } else {
        format!(
            "costs {}/month more ({}% above the Heroku bill)",
            usd(-bill.saving_monthly_usd),
            num(-bill.saving_percent)
        )
    };
    let caption = format!(
        "Heroku {}/month (the formation's dynos at their prices) against AWS {}/month (the \
         sum of the {} lines below: nodes, EKS, load balancer, volumes): the move {saving}.",
        usd(bill.heroku_monthly_usd),
        usd(bill.aws_monthly_usd),
        bill.aws_lines.len()
    );
    Chart {
        svg: svg.finish(),
        caption,
        wide: true,
    }
}

/// The name of a verdict status (`pass`, `fail`, `inconclusive`, `error`).
pub fn status_name(s: VerdictStatus) -> &'static str {
    match s {
        VerdictStatus::Pass => "pass",
        VerdictStatus::Fail => "fail",
        VerdictStatus::Inconclusive => "inconclusive",
        VerdictStatus::Error => "error",
    }
}

/// What a run's events say: the AWS weight over time, the verdicts and the rollback.
#[derive(Debug, Default)]
pub struct Timeline {
    /// (ms, percent to AWS from then on).
    pub weights: Vec<(u64, u8)>,
    /// (ms, stage index, status, gate, reason, percent to AWS when it was given).
    pub verdicts: Vec<(u64, usize, VerdictStatus, String, String, u8)>,
    /// When a rollback started, and why.
    pub rollback: Option<(u64, String)>,
    /// First and last event times.
    pub start_ms: u64,
    /// Last event time.
    pub end_ms: u64,
}

impl Timeline {
    /// Reads the timeline from a run's events.
    pub fn of(run: &CutoverRun) -> Timeline {
        let mut t = Timeline {
            start_ms: run.events.first().map_or(0, |e| e.at_ms),
            end_ms: run.events.last().map_or(0, |e| e.at_ms),
            ..Timeline::default()
        };
        t.weights.push((t.start_ms, 0));
        // Events at one instant keep their order: a verdict given just before a write at the
        // same millisecond was given at the old weight.
        let mut current = 0;
        for e in &run.events {
            match &e.event {
                // A restore of the original records sends nothing to AWS.
                CutoverEvent::Writing { percent, .. } => {
                    current = percent.unwrap_or(0);
                    t.weights.push((e.at_ms, current))
                }
                CutoverEvent::GateVerdict { stage, verdict } => t.verdicts.push((
                    e.at_ms,
                    *stage,
                    verdict.status,
                    verdict.gate.clone(),
                    verdict.reason.clone(),
                    current,
                )),
                CutoverEvent::RollbackStarted { reason, .. } if t.rollback.is_none() => {
                    t.rollback = Some((e.at_ms, reason.clone()))
                }
                _ => {}
            }
        }
        t
    }

    /// The weight at the end of the run.
    pub fn final_weight(&self) -> u8 {
        self.weights.last().map_or(0, |w| w.1)
    }

    /// Verdicts with a status.
    pub fn verdicts_with(&self, s: VerdictStatus) -> usize {
        self.verdicts.iter().filter(|v| v.2 == s).count()
    }
}

/// `+12:30` (minutes:seconds) or `+1:02:03`.
pub fn since(ms: u64, t0: u64) -> String {
    let s = ms.saturating_sub(t0) / 1000;
    if s >= 3600 {
        format!("+{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("+{:02}:{:02}", s / 60, s % 60)
    }
}

fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// One cutover run: AWS weight over time as a step line, each verdict as a coloured marker,
/// the rollback marked.
pub fn cutover_chart(index: usize, run: &CutoverRun) -> Chart {
    let tl = Timeline::of(run);
    let id = format!("cutover-{}", index + 1);
    let outcome = run.outcome.status();
    let duration_s = (tl.end_ms.saturating_sub(tl.start_ms)) as f64 / 1000.0;
    let data = vec![
        ("run", run.name.clone()),
        ("outcome", outcome.to_owned()),
        ("expected", run.expected.clone()),
        ("final-weight", tl.final_weight().to_string()),
        ("verdicts", tl.verdicts.len().to_string()),
        ("pass", tl.verdicts_with(VerdictStatus::Pass).to_string()),
        ("fail", tl.verdicts_with(VerdictStatus::Fail).to_string()),
        (
            "inconclusive",
            tl.verdicts_with(VerdictStatus::Inconclusive).to_string(),
        ),
        ("error", tl.verdicts_with(VerdictStatus::Error).to_string()),
        ("rollback", tl.rollback.is_some().to_string()),
        ("duration-s", raw(duration_s)),
    ];
    let title = format!(
        "Cutover run {} “{}”: AWS weight over time with gate verdicts",
        index + 1,
        run.name
    );
    let desc = format!(
        "{outcome} (expected {}); ends at {}% AWS after {}; {} gate verdicts",
        run.expected,
        tl.final_weight(),
        human_duration(duration_s),
        tl.verdicts.len()
    );
    let mut svg = Svg::new(
        &id,
        &title,
        &desc,
        Frame::new(1100.0, 300.0, (64.0, 170.0, 44.0, 44.0)),
        &data,
    );
    let f = svg.frame;
    let minutes = duration_s / 60.0;
    let (unit, div) = if minutes < 3.0 {
        ("s", 1000.0)
    } else {
        ("min", 60_000.0)
    };
    let span = (tl.end_ms.saturating_sub(tl.start_ms)) as f64 / div;
    let xt_vals = nice_ticks(0.0, span.max(1.0), 8);
    let x_max = *xt_vals.last().unwrap_or(&1.0);
    let x = Scale::new(0.0, x_max, f.left, f.right);
    let xr = |ms: u64| x.at(ms.saturating_sub(tl.start_ms) as f64 / div);
    let y = Scale::new(0.0, 100.0, f.bottom, f.top);
    svg.y_axis(
        &y,
        &[0.0, 25.0, 50.0, 75.0, 100.0],
        |t| format!("{}%", num(t)),
        "share of traffic to AWS",
    );
    svg.legend(
        f.left,
        16.0,
        &[
            ("sw-weight", "AWS weight"),
            ("v-pass", "gate pass"),
            ("v-fail", "gate fail"),
            ("v-inconclusive", "inconclusive"),
            ("v-error", "error"),
            ("sw-rollback", "rollback"),
        ],
    );
    // Step line: hold each weight until the next write.
    let mut pts = Vec::new();
    for (i, (t, w)) in tl.weights.iter().enumerate() {
        let py = y.at(f64::from(*w));
        if i > 0 {
            let prev = pts.last().map_or(py, |p: &(f64, f64)| p.1);
            pts.push((xr(*t), prev));
        }
        pts.push((xr(*t), py));
    }
    pts.push((xr(tl.end_ms), y.at(f64::from(tl.final_weight()))));
    svg.polyline(&pts, "step");
    // Stage labels where a new weight starts.
    let mut last_w = 0;
    let mut last_label_x = f64::MIN;
    for (t, w) in tl.weights.iter().skip(1) {
        if *w != last_w {
            let px = xr(*t);
            if *w > 0 && px - last_label_x > 26.0 {
                svg.text(
                    px + 3.0,
                    y.at(f64::from(*w)) - 5.0,
                    "start",
                    "stage",
                    &format!("{w}%"),
                );
                last_label_x = px;
            }
            last_w = *w;
        }
    }
    if let Some((t, reason)) = &tl.rollback {
        let px = xr(*t);
        svg.line(px, f.top, px, f.bottom, "rollback");
        let anchor = if px > (f.left + f.right) / 2.0 {
            "end"
        } else {
            "start"
        };
        let dx = if anchor == "end" { -4.0 } else { 4.0 };
        svg.text(
            px + dx,
            f.top + 12.0,
            anchor,
            "rollback-label",
            &format!(
                "rollback at {}: {}",
                since(*t, tl.start_ms),
                short(reason, 70)
            ),
        );
    }
    // Verdict markers on the line; several at one instant stack upwards.
    let mut prev_t = None;
    let mut stack = 0.0;
    for (t, stage, status, gate, reason, weight) in &tl.verdicts {
        stack = if prev_t == Some(*t) { stack + 9.0 } else { 0.0 };
        prev_t = Some(*t);
        let name = status_name(*status);
        svg.circle(
            xr(*t),
            y.at(f64::from(*weight)) - stack,
            if *status == VerdictStatus::Pass {
                3.5
            } else {
                5.5
            },
            &format!("v-{name}"),
            &format!(
                "{} stage {} ({}% AWS): gate {gate} {name} — {reason}",
                since(*t, tl.start_ms),
                stage + 1,
                weight
            ),
        );
    }
    let end_label = match &run.outcome {
        Outcome::Promoted => format!("promoted ({}%)", tl.final_weight()),
        Outcome::RolledBack { .. } => "rolled back (0%)".to_owned(),
        Outcome::Paused { .. } => format!("paused ({}%)", tl.final_weight()),
    };
    let py = y.at(f64::from(tl.final_weight()));
    svg.text(f.right + 8.0, py + 4.0, "start", "end-label", &end_label);
    let xt: Vec<(f64, String)> = xt_vals
        .iter()
        .map(|t| (*t, format!("+{}", num(*t))))
        .collect();
    svg.x_axis(&x, &xt, &format!("time since the run started ({unit})"));
    let matched = if outcome == run.expected {
        "as expected"
    } else {
        "NOT as expected"
    };
    let caption = format!(
        "Run “{}”: {outcome} ({matched}; expected {}), ending at {}% AWS after {} (event \
         times). {} gate verdicts: {} pass, {} fail, {} inconclusive, {} error{}.",
        run.name,
        run.expected,
        tl.final_weight(),
        human_duration(duration_s),
        tl.verdicts.len(),
        tl.verdicts_with(VerdictStatus::Pass),
        tl.verdicts_with(VerdictStatus::Fail),
        tl.verdicts_with(VerdictStatus::Inconclusive),
        tl.verdicts_with(VerdictStatus::Error),
        tl.rollback
            .as_ref()
            .map(|(t, r)| format!("; rollback started at {}: {}", since(*t, tl.start_ms), r))
            .unwrap_or_default()
    );
    Chart {
        svg: svg.finish(),
        caption,
        wide: true,
    }
}

/// A `<figure>` around a chart, with its caption.
pub fn figure(chart: &Chart) -> String {
    format!(
        "<figure class=\"{}\">{}<figcaption>{}</figcaption></figure>",
        if chart.wide { "fig wide" } else { "fig" },
        chart.svg,
        esc(&chart.caption)
    )
}

/// Heroku's residual traffic after promotion (`cutover drained`): requests per minute per
/// hostname, bucket by bucket over the window, against the plan's `max_rpm`.
pub fn drain_chart(d: &crate::cutover::DrainReport) -> Option<Chart> {
    let points: Vec<(i64, f64)> = d
        .hosts
        .iter()
        .flat_map(|h| h.series.iter().map(|p| (p.start_ms, p.rpm)))
        .collect();
    if points.is_empty() {
        return None;
    }
    let bucket_ms = (d.bucket_seconds as i64).max(60) * 1000;
    let t0 = points.iter().map(|p| p.0).min().unwrap_or(0);
    let t1 = points.iter().map(|p| p.0).max().unwrap_or(t0) + bucket_ms;
    let peak = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let data = vec![
        ("drained", d.drained.to_string()),
        ("max-rpm", raw(d.max_rpm)),
        ("peak-rpm", raw(peak)),
        ("hosts", d.hosts.len().to_string()),
    ];
    let title = "Requests per minute still reaching Heroku, per hostname";
    let desc = format!(
        "{} hostname(s), {} bucket(s) of {} s; peak {} requests/min; threshold {} requests/min",
        d.hosts.len(),
        points.len(),
        d.bucket_seconds,
        num(peak),
        num(d.max_rpm)
    );
    let mut svg = Svg::new(
        "drain",
        title,
        &desc,
        Frame::new(1100.0, 280.0, (64.0, 190.0, 24.0, 44.0)),
        &data,
    );
    let f = svg.frame;
    let x = Scale::new(t0 as f64, t1 as f64, f.left, f.right);
    let ticks = nice_ticks(0.0, peak.max(d.max_rpm).max(1.0) * 1.08, 5);
    let y = Scale::new(0.0, *ticks.last().unwrap_or(&1.0), f.bottom, f.top);
    let dec = tick_decimals(&ticks);
    svg.y_axis(&y, &ticks, |t| fixed(t, dec), "requests / minute");
    for h in &d.hosts {
        let line: Vec<(f64, f64)> = h
            .series
            .iter()
            .map(|p| (x.at((p.start_ms + bucket_ms / 2) as f64), y.at(p.rpm)))
            .collect();
        svg.polyline(&line, "series");
        if let Some(last) = line.last() {
            svg.circle(
                last.0,
                last.1,
                3.0,
                "peak",
                &format!(
                    "{}: {} requests/min in the last bucket",
                    h.hostname,
                    num(h.series.last().map_or(0.0, |p| p.rpm))
                ),
            );
        }
    }
    let ty = y.at(d.max_rpm);
    svg.hline(
        ty,
        ty + 4.0,
        "ref-limit",
        &format!("drained at ≤ {} /min", num(d.max_rpm)),
    );
    svg.x_axis(
        &x,
        &time_ticks(t0, t1),
        &format!("time (UTC), one point per {} s", d.bucket_seconds),
    );
    let caption = format!(
        "Requests per minute still reaching Heroku after promotion ({}), one line per hostname, \
         each point one {} s bucket; Heroku counts as drained when every hostname stayed at or \
         under {} requests/min for the whole {} window. Verdict: {}.",
        d.source,
        d.bucket_seconds,
        num(d.max_rpm),
        crate::sizing::human_duration(d.window_seconds as f64),
        d.reason
    );
    Some(Chart {
        svg: svg.finish(),
        caption,
        wide: true,
    })
}
