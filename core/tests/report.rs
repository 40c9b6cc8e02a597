//! The HTML report, rendered from a report input built by real core calls: synthetic Heroku
//! logs → ingest → sizing → node plan and bill → two cutovers on the in-memory Route53 zone
//! (virtual time), the second with a gate that fails at 25%. The page must parse as XML, draw
//! one chart per expected figure, fetch nothing, and show the input's numbers.

use crate::cli;
use crate::report_check;
#[path = "support/report_input.rs"]
mod report_input;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::OnceLock;

use cli::dynoshift;
use dynoshift::cutover::{CutoverEvent, Outcome, VerdictStatus};
use dynoshift::report::{ReportInput, render_html};
use report_check::{expected_charts, parse};

fn input() -> &'static ReportInput {
    static INPUT: OnceLock<ReportInput> = OnceLock::new();
    INPUT.get_or_init(report_input::build)
}

static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn temp_path(name: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    std::env::temp_dir().join(format!(
        "dynoshift-report-{}-{n}-{name}",
        std::process::id()
    ))
}

fn html() -> &'static str {
    static HTML: OnceLock<String> = OnceLock::new();
    HTML.get_or_init(|| render_html(input()))
}

fn svg<'a>(doc: &'a roxmltree::Document<'a>, id: &str) -> roxmltree::Node<'a, 'a> {
    doc.descendants()
        .find(|n| n.has_tag_name("svg") && n.attribute("data-chart") == Some(id))
        .unwrap_or_else(|| panic!("no chart {id}"))
}

fn attr_f64(node: roxmltree::Node, name: &str) -> f64 {
    node.attribute(name)
        .unwrap_or_else(|| panic!("no {name}"))
        .parse()
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn text_of(node: roxmltree::Node) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `1264` → `1,264`, written independently of the renderer's formatter.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `$1,234.50`.
fn dollars(v: f64) -> String {
    let cents = (v * 100.0).round() as u64;
    format!("${}.{:02}", grouped(cents / 100), cents % 100)
}

#[test]
fn the_report_parses_as_xml_and_has_one_chart_per_figure() {
    let input = input();
    let doc = parse(html()).expect("the page is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "html");
    let charts: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("svg"))
        .collect();
    let ids: Vec<String> = charts
        .iter()
        .map(|n| {
            n.attribute("data-chart")
                .expect("every chart is named")
                .to_owned()
        })
        .collect();
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique.len(), ids.len(), "one <svg> per chart: {ids:?}");
    let want = expected_charts(input);
    assert_eq!(unique, want);
    // The realistic input draws every kind: web is routed (3 charts), the worker is not (2).
    assert!(
        want.contains("rpm-web") && !want.contains("rpm-worker"),
        "{want:?}"
    );
    assert_eq!(want.len(), 3 + 2 + 2 + input.cutovers.len());
    for c in &charts {
        let title = c
            .children()
            .find(|n| n.has_tag_name("title"))
            .and_then(|t| t.text())
            .unwrap_or_default();
        assert!(
            !title.trim().is_empty(),
            "chart {:?} has no title",
            c.attribute("id")
        );
        assert_eq!(c.attribute("id"), c.attribute("data-chart"));
    }
    // The title's markup characters were escaped, not interpreted.
    let title = doc
        .descendants()
        .find(|n| n.has_tag_name("title") && n.parent().is_some_and(|p| p.has_tag_name("head")))
        .and_then(|n| n.text())
        .unwrap();
    assert_eq!(title, input.title);
}

#[test]
fn the_report_fetches_nothing() {
    let html = html();
    let doc = parse(html).unwrap();
    for n in doc.descendants().filter(|n| n.is_element()) {
        let tag = n.tag_name().name();
        assert!(
            ![
                "script", "link", "img", "iframe", "object", "embed", "image", "use", "audio",
                "video", "source"
            ]
            .contains(&tag),
            "<{tag}> would load something"
        );
        for a in n.attributes() {
            let name = a.name();
            assert!(
                !["src", "href", "srcset", "action", "poster"].contains(&name),
                "<{tag} {name}=...> points somewhere"
            );
            let v = a.value().trim_start().to_ascii_lowercase();
            assert!(
                !(v.starts_with("http:") || v.starts_with("https:") || v.starts_with("//")),
                "<{tag} {name}={v}>"
            );
        }
    }
    for needle in ["http://", "https://", "url(", "@import", "<script"] {
        assert!(!html.contains(needle), "the page contains {needle:?}");
    }
}

#[test]
fn the_numbers_shown_are_the_inputs() {
    let input = input();
    let doc = parse(html()).unwrap();

    // Bill: the chart's figures, and the totals as text.
    let bill = svg(&doc, "bill");
    assert_eq!(
        attr_f64(bill, "data-heroku-usd"),
        input.bill.heroku_monthly_usd
    );
    assert_eq!(attr_f64(bill, "data-aws-usd"), input.bill.aws_monthly_usd);
    assert_eq!(
        attr_f64(bill, "data-saving-usd"),
        input.bill.saving_monthly_usd
    );
    let bill_text = text_of(bill);
    assert!(
        bill_text.contains(&dollars(input.bill.aws_monthly_usd)),
        "{bill_text}"
    );
    assert!(
        bill_text.contains(&dollars(input.bill.heroku_monthly_usd)),
        "{bill_text}"
    );
    for key in ["aws-total", "heroku-total"] {
        let cell = doc
            .descendants()
            .find(|n| n.attribute("data-key") == Some(key))
            .unwrap();
        let want = if key == "aws-total" {
            input.bill.aws_monthly_usd
        } else {
            input.bill.heroku_monthly_usd
        };
        assert_eq!(cell.text(), Some(dollars(want).as_str()));
    }

    // Sizing: memory and CPU recommendations, and the samples behind them.
    for s in &input.sizing.processes {
        let prof = &input.profiles.process_types[&s.process_type];
        let mem = svg(&doc, &format!("memory-{}", s.process_type));
        assert_eq!(
            attr_f64(mem, "data-request-mib"),
            f64::from(s.memory_request_mib.value)
        );
        assert_eq!(
            attr_f64(mem, "data-limit-mib"),
            f64::from(s.memory_limit_mib.value)
        );
        let total = prof.memory.total_mb.as_ref().unwrap();
        assert_eq!(attr_f64(mem, "data-samples"), total.count as f64);
        assert_eq!(attr_f64(mem, "data-p95-mib"), total.quantile(0.95));
        assert_eq!(attr_f64(mem, "data-max-mib"), total.max);
        let mem_text = text_of(mem);
        assert!(
            mem_text.contains(&format!(
                "{} MiB",
                grouped(u64::from(s.memory_limit_mib.value))
            )),
            "{mem_text}"
        );
        let cpu = svg(&doc, &format!("cpu-{}", s.process_type));
        assert_eq!(
            attr_f64(cpu, "data-request-millicores"),
            f64::from(s.cpu_request_millicores.value)
        );
        assert!(text_of(cpu).contains(&format!(
            "request {} m",
            grouped(u64::from(s.cpu_request_millicores.value))
        )));
    }
    let web = &input.profiles.process_types["web"];
    let rpm = svg(&doc, "rpm-web");
    let hourly: u64 = web.hourly.iter().map(|h| h.requests).sum();
    assert_eq!(attr_f64(rpm, "data-requests"), hourly as f64);
    assert_eq!(attr_f64(rpm, "data-hours"), web.hourly.len() as f64);

    // Node plan.
    let nodes = svg(&doc, "nodes");
    assert_eq!(
        attr_f64(nodes, "data-node-count"),
        f64::from(input.node_plan.node_count)
    );
    assert_eq!(
        attr_f64(nodes, "data-pod-count"),
        input.node_plan.pod_count as f64
    );
    assert_eq!(
        attr_f64(nodes, "data-monthly-usd"),
        input.node_plan.monthly_usd
    );

    // Cutover runs: the final weight and the verdicts, counted from the events here.
    for (i, run) in input.cutovers.iter().enumerate() {
        let chart = svg(&doc, &format!("cutover-{}", i + 1));
        let final_weight = run
            .events
            .iter()
            .filter_map(|e| match &e.event {
                CutoverEvent::Writing { percent, .. } => Some(percent.unwrap_or(0)),
                _ => None,
            })
            .next_back()
            .unwrap_or(0);
        let verdicts: Vec<VerdictStatus> = run
            .events
            .iter()
            .filter_map(|e| match &e.event {
                CutoverEvent::GateVerdict { verdict, .. } => Some(verdict.status),
                _ => None,
            })
            .collect();
        assert_eq!(
            attr_f64(chart, "data-final-weight"),
            f64::from(final_weight)
        );
        assert_eq!(attr_f64(chart, "data-verdicts"), verdicts.len() as f64);
        let fails = verdicts
            .iter()
            .filter(|v| **v == VerdictStatus::Fail)
            .count();
        assert_eq!(attr_f64(chart, "data-fail"), fails as f64);
        let markers = chart
            .descendants()
            .filter(|n| n.has_tag_name("circle"))
            .filter(|n| n.attribute("class").is_some_and(|c| c.starts_with("v-")))
            .count();
        assert_eq!(markers, verdicts.len(), "one marker per verdict");
        let fail_markers = chart
            .descendants()
            .filter(|n| n.attribute("class") == Some("v-fail") && n.has_tag_name("circle"))
            .count();
        assert_eq!(fail_markers, fails);
        let outcome = match run.outcome {
            Outcome::Promoted => "promoted",
            Outcome::RolledBack { .. } => "rolled_back",
            Outcome::Paused { .. } => "paused",
        };
        assert_eq!(chart.attribute("data-outcome"), Some(outcome));
        assert!(text_of(chart).contains(&format!("{final_weight}%")));
    }
    // The scenario itself: the healthy run promotes to 100%, the faulty one rolls back to 0.
    let healthy = svg(&doc, "cutover-1");
    assert_eq!(healthy.attribute("data-final-weight"), Some("100"));
    assert_eq!(healthy.attribute("data-rollback"), Some("false"));
    let faulty = svg(&doc, "cutover-2");
    assert_eq!(faulty.attribute("data-final-weight"), Some("0"));
    assert_eq!(faulty.attribute("data-rollback"), Some("true"));
    assert!(attr_f64(faulty, "data-fail") >= 1.0);
    // The failing verdict is drawn where it was given, at 25%, not at the rollback's 0%.
    let fail_tip = faulty
        .descendants()
        .find(|n| n.has_tag_name("circle") && n.attribute("class") == Some("v-fail"))
        .map(text_of)
        .unwrap();
    assert!(fail_tip.contains("(25% AWS)"), "{fail_tip}");
    let rows: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("tr") && n.attribute("data-run").is_some())
        .collect();
    assert_eq!(rows.len(), input.cutovers.len());
    for (row, run) in rows.iter().zip(&input.cutovers) {
        assert_eq!(row.attribute("data-run"), Some(run.name.as_str()));
        assert_eq!(row.attribute("data-expected"), Some(run.expected.as_str()));
        assert!(text_of(*row).contains("as expected"));
    }
}

#[test]
fn text_from_the_input_is_escaped_everywhere() {
    let mut input = input().clone();
    input.cutovers[1].name = "<script>alert('x')</script> & \"co\"".into();
    input.title = "a </title><script>x</script>".into();
    let html = render_html(&input);
    let doc = parse(&html).expect("still well-formed");
    assert!(!doc.descendants().any(|n| n.has_tag_name("script")));
    let chart = svg(&doc, "cutover-2");
    assert_eq!(
        chart.attribute("data-run"),
        Some(input.cutovers[1].name.as_str())
    );
}

#[test]
fn an_input_without_telemetry_or_runs_still_renders_and_says_why() {
    let mut input = input().clone();
    input.profiles.process_types.clear();
    input.profiles.span = None;
    input.cutovers.clear();
    let html = render_html(&input);
    let doc = parse(&html).expect("well-formed");
    let charts: BTreeSet<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("svg"))
        .filter_map(|n| n.attribute("data-chart"))
        .collect();
    assert_eq!(charts, BTreeSet::from(["nodes", "bill"]));
    assert_eq!(expected_charts(&input).len(), 2);
    assert!(
        html.contains("no memory samples for web"),
        "missing charts are explained"
    );
    assert!(html.contains("No cutover runs"));
}

#[test]
fn cli_renders_the_json_and_rejects_what_is_not_a_report_input() {
    let json = temp_path("rehearsal.json");
    let html_path = temp_path("report.html");
    std::fs::write(&json, input().to_json()).unwrap();
    let (code, out, err) = dynoshift(&[
        "report",
        "--input",
        json.to_str().unwrap(),
        "-o",
        html_path.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("wrote"), "{out}");
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert_eq!(
        html,
        render_html(input()),
        "the CLI renders the JSON round trip identically"
    );
    // `-o -` writes the page to stdout.
    let (code, out, _) = dynoshift(&["report", "--input", json.to_str().unwrap(), "-o", "-"]);
    assert_eq!(code, 0);
    assert!(parse(&out).is_ok());
    let _ = std::fs::remove_file(&html_path);

    // Wrong JSON: invalid_input, exit 2, saying what to pass.
    std::fs::write(&json, r#"{"title": "not a rehearsal"}"#).unwrap();
    let (code, _, err) = dynoshift(&["report", "--input", json.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("invalid_input") && err.contains("rehearsal.json"),
        "{err}"
    );
    let _ = std::fs::remove_file(&json);
    // A directory is unreadable as a file: invalid_input too.
    let dir = std::env::temp_dir();
    let (code, _, err) = dynoshift(&["report", "--input", dir.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("invalid_input") && err.contains("--input"),
        "{err}"
    );
    // A missing file is not_found (exit 3), as for every other file argument.
    let (code, _, err) = dynoshift(&["report", "--input", "/nonexistent/rehearsal.json"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("not_found") && err.contains("--input"),
        "{err}"
    );
}

/// A preflight whose TLS check ran and found a certificate for the wrong name, and whose
/// parity check was skipped.
fn live_preflight() -> dynoshift::cutover::PreflightReport {
    use dynoshift::cutover::{CheckRun, Finding, PreflightReport, Severity};
    PreflightReport {
        zone: None,
        ok: false,
        hosts: Vec::new(),
        findings: vec![Finding {
            severity: Severity::Error,
            code: "tls_invalid".into(),
            hostname: Some("www.shop.test".into()),
            message: "TLS to the AWS target k8s.elb.test with SNI www.shop.test failed: the \
                      certificate names other.test"
                .into(),
            kind: dynoshift::ErrorKind::Unhealthy,
        }],
        checks: vec![
            CheckRun {
                check: "tls".into(),
                ran: true,
                detail: "1 hostname(s), both targets, certificates valid for at least 14 days"
                    .into(),
            },
            CheckRun {
                check: "parity".into(),
                ran: false,
                detail: "the plan has no checks.parity".into(),
            },
        ],
    }
}

fn baseline() -> dynoshift::cutover::WarmupBaseline {
    use dynoshift::cutover::{RouteBaseline, WarmupBaseline};
    let route = |path: &str, p50: f64, p95: f64, max: f64| RouteBaseline {
        hostname: "www.shop.test".into(),
        method: "GET".into(),
        path: path.into(),
        seen_in_logs: Some(1200),
        heroku_classes: [("2xx".to_owned(), 1200)].into(),
        requests: 3,
        status_classes: [("2xx".to_owned(), 3)].into(),
        not_served: 0,
        errors: 0,
        p50_ms: Some(p50),
        p95_ms: Some(p95),
        max_ms: Some(max),
        last_error: None,
    };
    WarmupBaseline {
        source: "the 2 most requested GET/HEAD path(s) per hostname of 1 router log file(s)".into(),
        rate_per_second: 5,
        requests: 6,
        routes: vec![
            route("/", 12.5, 30.1, 31.0),
            route("/products", 48.2, 95.7, 101.4),
        ],
        unreachable: Vec::new(),
        failure: None,
    }
}

/// `cutover drained` on router lines with a tail that decays to nothing in the last hours.
fn drain_report() -> dynoshift::cutover::DrainReport {
    let plan = dynoshift::CutoverPlan::from_json(
        r#"{"hostnames": ["www.shop.test"], "zone": "shop.test",
            "heroku_target": "a.herokudns.com", "aws_target": "lb.elb.amazonaws.com",
            "drained": {"max_rpm": 1, "window_seconds": 7200, "bucket_seconds": 600}}"#,
    )
    .unwrap();
    let t0 = 1_796_000_000_000_i64; // a whole hour
    let mut lines = Vec::new();
    // 4 hours: 50, 25, 12, 6, 3, ... requests per 10 minutes; in the last two hours (the
    // window) one per 10 minutes for 40 minutes (0.1 rpm, under `max_rpm`), then none
    let mut n = 50u32;
    for bucket in 0..24 {
        let count = if bucket >= 16 { 0 } else { n };
        for i in 0..count {
            let ms = t0 + bucket * 600_000 + i64::from(i) * 1000;
            lines.push(format!(
                "{} heroku[router]: at=info method=GET path=\"/\" host=www.shop.test \
                 request_id=1 fwd=\"1.2.3.4\" dyno=web.1 connect=0ms service=5ms status=200 \
                 bytes=10 protocol=https",
                dynoshift::heroku::logs::time::format_rfc3339_ms(ms)
            ));
        }
        n = (n / 2).max(1);
    }
    // the receiver was recording until the end (an app line)
    lines.push(format!(
        "{} app[web.1]: still here",
        dynoshift::heroku::logs::time::format_rfc3339_ms(t0 + 24 * 600_000 - 1000)
    ));
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    dynoshift::cutover::drained(
        &plan,
        dynoshift::cutover::DrainInput::Lines(&refs),
        t0 + 24 * 600_000,
    )
    .unwrap()
}

#[test]
fn safety_sections_show_the_preflight_warm_up_and_drain_curve() {
    let mut input = input().clone();
    input.preflight = Some(live_preflight());
    input.warmups = vec![baseline()];
    let drain = drain_report();
    assert!(drain.drained, "{}", drain.reason);
    input.drained = Some(drain.clone());
    let html = render_html(&input);
    let doc = parse(&html).expect("well-formed");
    let charts: BTreeSet<String> = report_check::chart_names(&doc);
    assert_eq!(charts, expected_charts(&input));
    assert!(charts.contains("drain"));

    let node = |attr: &str, value: &str| {
        doc.descendants()
            .find(|n| n.attribute(attr) == Some(value))
            .unwrap_or_else(|| panic!("no element with {attr}={value}"))
    };
    // preflight: which checks ran, which were skipped and why, and the finding
    assert_eq!(node("data-preflight", "errors").tag_name().name(), "p");
    let tls = node("data-check", "tls");
    assert_eq!(tls.attribute("data-ran"), Some("true"));
    let parity = node("data-check", "parity");
    assert_eq!(parity.attribute("data-ran"), Some("false"));
    assert!(text_of(parity).contains("the plan has no checks.parity"));
    let finding = node("data-code", "tls_invalid");
    assert!(text_of(finding).contains("www.shop.test"));
    assert!(text_of(finding).contains("other.test"));

    // warm-up: one row per route with its numbers
    let row = node("data-route", "GET www.shop.test/products");
    assert_eq!(row.attribute("data-requests"), Some("3"));
    assert_eq!(row.attribute("data-p50"), Some("48.2"));
    assert_eq!(row.attribute("data-p95"), Some("95.7"));
    assert_eq!(row.attribute("data-max"), Some("101.4"));
    let cells = text_of(row);
    assert!(
        cells.contains("2xx: 3 (on Heroku: 2xx: 1,200)") && cells.contains("1,200"),
        "{cells}"
    );

    // drain: the verdict, the curve's numbers and one row per hostname
    assert_eq!(node("data-drained", "true").tag_name().name(), "p");
    let chart = svg(&doc, "drain");
    assert_eq!(chart.attribute("data-drained"), Some("true"));
    // the window holds 4 requests, one per 10-minute bucket: a peak of 0.1 rpm
    let peak = drain.hosts[0].peak_rpm;
    assert!((peak - 0.1).abs() < 1e-9, "{peak}");
    assert_eq!(drain.hosts[0].requests_in_window, 4);
    assert_eq!(attr_f64(chart, "data-peak-rpm"), peak);
    assert_eq!(
        chart
            .descendants()
            .filter(|n| n.has_tag_name("polyline"))
            .count(),
        1
    );
    let host = node("data-host", "www.shop.test");
    assert_eq!(attr_f64(host, "data-peak-rpm"), peak);
    assert_eq!(
        host.attribute("data-requests"),
        Some(drain.hosts[0].requests_in_window.to_string().as_str())
    );
    assert!(html.contains(&drain.reason.replace('&', "&amp;")));
}

#[test]
fn safety_sections_say_not_run_without_data() {
    let html = html();
    let doc = parse(html).unwrap();
    for attr in ["data-preflight", "data-warmup", "data-drained"] {
        let n = doc
            .descendants()
            .find(|n| n.attribute(attr) == Some("not-run"))
            .unwrap_or_else(|| panic!("{attr} does not say not run"));
        assert!(text_of(n).starts_with("Not run"), "{}", text_of(n));
    }
    assert!(!report_check::chart_names(&doc).contains("drain"));
    // a run's warm-up event is shown as well
    let mut input = input().clone();
    let at_ms = input.cutovers[0].events[0].at_ms;
    input.cutovers[0]
        .events
        .push(dynoshift::cutover::EventRecord {
            run_id: "r1".into(),
            at_ms,
            event: CutoverEvent::WarmupBaseline(baseline()),
        });
    let html = render_html(&input);
    let doc = parse(&html).unwrap();
    assert!(
        doc.descendants()
            .any(|n| n.attribute("data-route") == Some("GET www.shop.test/"))
    );
    assert!(
        !doc.descendants()
            .any(|n| n.attribute("data-warmup") == Some("not-run"))
    );
}

#[test]
fn cli_adds_the_preflight_drain_and_journal_warm_up_to_the_report() {
    let json = temp_path("rehearsal.json");
    let pre = temp_path("preflight.json");
    let dr = temp_path("drained.json");
    let out_path = temp_path("report.html");
    std::fs::write(&json, input().to_json()).unwrap();
    std::fs::write(&pre, serde_json::to_string(&live_preflight()).unwrap()).unwrap();
    std::fs::write(&dr, drain_report().to_json()).unwrap();
    let (code, _, err) = dynoshift(&[
        "report",
        "--input",
        json.to_str().unwrap(),
        "--preflight",
        pre.to_str().unwrap(),
        "--drained",
        dr.to_str().unwrap(),
        "-o",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(&out_path).unwrap();
    let mut expected = input().clone();
    expected.preflight = Some(live_preflight());
    expected.drained = Some(drain_report());
    assert_eq!(html, render_html(&expected));
    // a run's journal adds its warm-up baseline
    let journal = temp_path("cutover.journal.json");
    let plan = dynoshift::CutoverPlan::new(
        vec!["www.shop.test".into()],
        "shop.test",
        "a.herokudns.com",
        "lb.elb.amazonaws.com",
    );
    let doc = serde_json::json!({
        "version": 1, "run_id": "r1", "plan_digest": plan.digest(), "plan": plan,
        "zone_id": "Z1", "zone_name": "shop.test", "started_at_ms": 0, "updated_at_ms": 0,
        "original": [], "mode": {"mode": "forward"}, "steps": [], "warmup": baseline(),
    });
    std::fs::write(&journal, doc.to_string()).unwrap();
    let (code, _, err) = dynoshift(&[
        "report",
        "--input",
        json.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
        "-o",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(&out_path).unwrap();
    let mut expected = input().clone();
    expected.warmups = vec![baseline()];
    assert_eq!(html, render_html(&expected));
    assert!(html.contains("data-route=\"GET www.shop.test/products\""));
    let _ = std::fs::remove_file(&journal);
    // a file that is not what the flag wants says which command writes it
    let (code, _, err) = dynoshift(&[
        "report",
        "--input",
        json.to_str().unwrap(),
        "--drained",
        pre.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cutover drained"), "{err}");
    for p in [json, pre, dr, out_path] {
        let _ = std::fs::remove_file(p);
    }
}
