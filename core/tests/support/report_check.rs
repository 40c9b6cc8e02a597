//! Checks shared by the report tests and the rehearsal test: which charts a report input calls
//! for (derived from the data, not from the renderer) and parsing the page as XML.

use std::collections::BTreeSet;

use dynoshift::report::ReportInput;

/// The chart ids the input calls for, derived from the data (not from the renderer).
pub fn expected_charts(input: &ReportInput) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for s in &input.sizing.processes {
        let Some(p) = input.profiles.process_types.get(&s.process_type) else {
            continue;
        };
        if p.memory.total_mb.is_some() {
            ids.insert(format!("memory-{}", s.process_type));
        }
        if p.load_avg_1m.is_some() {
            ids.insert(format!("cpu-{}", s.process_type));
        }
        if p.router.as_ref().is_some_and(|r| r.requests > 0) && !p.hourly.is_empty() {
            ids.insert(format!("rpm-{}", s.process_type));
        }
    }
    ids.insert("nodes".into());
    ids.insert("bill".into());
    for i in 0..input.cutovers.len() {
        ids.insert(format!("cutover-{}", i + 1));
    }
    if input
        .drained
        .as_ref()
        .is_some_and(|d| d.hosts.iter().any(|h| !h.series.is_empty()))
    {
        ids.insert("drain".into());
    }
    ids
}

/// Parses the page as XML; the HTML5 doctype is the only DTD and declares nothing.
pub fn parse(text: &str) -> Result<roxmltree::Document<'_>, roxmltree::Error> {
    roxmltree::Document::parse_with_options(
        text,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..roxmltree::ParsingOptions::default()
        },
    )
}

/// The `data-chart` names of the page's `<svg>` elements, failing on a duplicate.
#[allow(dead_code)] // used by the rehearsal test only
pub fn chart_names(doc: &roxmltree::Document<'_>) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for svg in doc.descendants().filter(|n| n.has_tag_name("svg")) {
        let name = svg.attribute("data-chart").expect("every chart is named");
        assert!(names.insert(name.to_owned()), "two charts named {name}");
    }
    names
}
