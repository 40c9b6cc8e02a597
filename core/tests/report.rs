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
