use super::*;

fn json(line: &str) -> serde_json::Value {
    serde_json::to_value(parse_line(line)).unwrap()
}

#[test]
fn load_line_bare() {
    let v = json(
        "source=web.1 dyno=heroku.2808254.d97d0ea7-cf3d-411b-b453-d2943a50b456 sample#load_avg_1m=2.46 sample#load_avg_5m=1.06 sample#load_avg_15m=0.99",
    );
    assert_eq!(v["kind"], "runtime_metrics");
    assert_eq!(v["framing"], "bare");
    assert_eq!(v["source"], "web.1");
    assert_eq!(v["load_avg_1m"], 2.46);
    assert_eq!(v["load_avg_5m"], 1.06);
    assert_eq!(v["load_avg_15m"], 0.99);
    assert!(v["memory_total_mb"].is_null());
}

#[test]
fn memory_line_with_text_prefix() {
    let v = json(
        "2018-08-10T08:20:12.324796+00:00 heroku[web.1]: source=web.1 dyno=heroku.2808254.d97d0ea7-cf3d-411b-b453-d2943a50b456 sample#memory_total=21.00MB sample#memory_rss=21.22MB sample#memory_cache=0.00MB sample#memory_swap=0.00MB sample#memory_pgpgin=348836pages sample#memory_pgpgout=343403pages sample#memory_quota=512.00MB",
    );
    assert_eq!(v["framing"], "text");
    assert_eq!(v["timestamp_ms"], 1_533_889_212_324i64);
    assert_eq!(v["process"], "web.1");
    assert_eq!(v["memory_total_mb"], 21.0);
    assert_eq!(v["memory_rss_mb"], 21.22);
    assert_eq!(v["memory_cache_mb"], 0.0);
    assert_eq!(v["memory_swap_mb"], 0.0);
    assert_eq!(v["memory_pgpgin_pages"], 348836.0);
    assert_eq!(v["memory_pgpgout_pages"], 343403.0);
    assert_eq!(v["memory_quota_mb"], 512.0);
}

#[test]
fn old_measure_form() {
    let v = json("source=web.1 measure=load_avg_1m val=2.46");
    assert_eq!(v["load_avg_1m"], 2.46);
    let v = json("measure=memory_total val=21.00 units=MB");
    assert_eq!(v["memory_total_mb"], 21.0);
    assert!(parse_line("measure=memory_total").is_unparsed());
}

#[test]
fn router_info_and_errors() {
    let v = json(
        r#"2012-10-11T03:47:20+00:00 heroku[router]: at=info method=GET path="/" host=myapp.herokuapp.com request_id=76fe0891-38cd-4293-a082-ac075d744197 fwd="204.204.204.204" dyno=web.1 connect=1ms service=18ms status=200 bytes=13 protocol=https"#,
    );
    assert_eq!(v["kind"], "router");
    assert_eq!(v["error"], false);
    assert_eq!(v["path"], "/");
    assert_eq!(v["dyno"], "web.1");
    assert_eq!(v["connect_ms"], 1.0);
    assert_eq!(v["service_ms"], 18.0);
    assert_eq!(v["status"], 200);
    assert_eq!(v["bytes"], 13);
    assert_eq!(v["protocol"], "https");

    let v = json(
        r#"2010-10-06T21:51:12-07:00 heroku[router]: at=error code=H10 desc="App crashed" method=GET path="/" host=myapp.herokuapp.com fwd=17.17.17.17 dyno= connect= service= status=503 bytes="#,
    );
    assert_eq!(v["error"], true);
    assert_eq!(v["code"], "H10");
    assert_eq!(v["desc"], "App crashed");
    assert!(v["dyno"].is_null());
    assert!(v["service_ms"].is_null());
    assert!(v["bytes"].is_null());
    assert_eq!(v["status"], 503);
    assert_eq!(v["timestamp_ms"], 1_286_427_072_000i64);

    let v = json(
        r#"2012-10-11T03:47:20+00:00 heroku[router]: at=error code=H12 desc="Request timeout" method=GET path=/ host=myapp.herokuapp.com fwd="204.204.204.204" dyno=web.1 connect= service=30000ms status=503 bytes=0"#,
    );
    assert_eq!(v["code"], "H12");
    assert_eq!(v["service_ms"], 30000.0);
    assert_eq!(v["bytes"], 0);
}

#[test]
fn process_memory_and_r14_r15() {
    let v = json("2011-05-03T17:40:10+00:00 heroku[worker.1]: Process running mem=1028MB(103.3%)");
    assert_eq!(v["kind"], "process_memory");
    assert_eq!(v["memory_mb"], 1028.0);
    assert_eq!(v["quota_percent"], 103.3);
    assert_eq!(v["process"], "worker.1");
    let v = json("2011-05-03T17:40:11+00:00 heroku[worker.1]: Error R14 (Memory quota exceeded)");
    assert_eq!(v["kind"], "r14");
    let v = json("Error R15 (Memory quota vastly exceeded)");
    assert_eq!(v["kind"], "r15");
}

#[test]
fn logplex_frames() {
    let v = json(
        "120 <40>1 2012-11-30T06:45:29+00:00 heroku web.3 d.73ea7440-270a-435a-a0ea-adf50b4e5f5a - State changed from starting to up",
    );
    // The reference's example: the count includes the newline, the drain token sits in PROCID.
    assert_eq!(v["kind"], "other", "{v}");
    assert_eq!(v["process"], "web.3");
    assert_eq!(v["timestamp_ms"], 1_354_257_929_000i64);
    let v = json(
        "150 <40>1 2012-11-30T06:45:29+00:00 heroku web.3 d.73ea7440-270a-435a-a0ea-adf50b4e5f5a - State changed from starting to up",
    );
    assert_eq!(
        v["kind"], "unparsed",
        "the count 150 is wrong for this frame: {v}"
    );
    let msg = "<40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up";
    let v = json(&format!("{} {msg}", msg.len()));
    assert_eq!(v["kind"], "other");
    assert_eq!(v["framing"], "syslog");
    assert_eq!(v["process"], "web.3");
    let msg = "<158>1 2012-10-11T03:47:20+00:00 d.abc heroku router - at=info method=GET path=/ dyno=web.2 connect=0ms service=5ms status=204 bytes=0";
    let v = json(&format!("{} {msg}", msg.len()));
    assert_eq!(v["kind"], "router");
    assert_eq!(v["status"], 204);
    // The count may include the newline.
    let v = json(&format!("{} {msg}\n", msg.len() + 1));
    assert_eq!(v["kind"], "router");
}

#[test]
fn several_frames_on_one_line_are_split() {
    let a = "<40>1 2012-11-30T06:45:29+00:00 host heroku web.1 - Error R14 (Memory quota exceeded)";
    let b = "<40>1 2012-11-30T06:45:30+00:00 host heroku web.1 - Error R15 (Memory quota vastly exceeded)";
    let line = format!("{} {a}{} {b}", a.len(), b.len());
    let mut got = vec![];
    for_each_record(line.as_bytes(), |r| got.push(r.map(<[u8]>::to_vec)));
    assert_eq!(
        got,
        vec![Ok(a.as_bytes().to_vec()), Ok(b.as_bytes().to_vec())]
    );
    let broken = format!("{} {a}{} {b}", a.len() - 3, b.len());
    let mut got = vec![];
    for_each_record(broken.as_bytes(), |r| got.push(r.is_ok()));
    assert_eq!(got, vec![false]);
}

#[test]
fn bad_values_are_unparsed() {
    for bad in [
        "source=web.1 sample#memory_total=NaNMB",
        "source=web.1 sample#load_avg_1m=inf",
        "source=web.1 sample#memory_total=12XB",
        "at=info dyno=web.1 service=fastms status=200",
        "at=info status=20x",
        "at=maybe status=200",
        "Process running mem=lots",
        "hello world",
        "",
        "2012-10-11T03:47:20+00:00 no-bracket: x",
        "2012-99-11T03:47:20+00:00 heroku[web.1]: x",
        "\u{0}\u{1}binary",
        "<40>1 garbage",
    ] {
        assert!(
            parse_line(bad).is_unparsed(),
            "{bad:?} -> {:?}",
            parse_line(bad)
        );
    }
    let long = format!("at=info status=200 path={}", "a".repeat(1 << 20));
    assert!(parse_line(&long).is_unparsed());
}

#[test]
fn app_output_with_prefix_is_other() {
    let v = json("2012-10-11T03:47:20+00:00 app[web.1]: Started GET \"/\" for 1.2.3.4");
    assert_eq!(v["kind"], "other");
    let v = json(
        "2012-10-11T03:47:20+00:00 app[heroku-postgres]: source=DATABASE sample#current_transaction=1 sample#db_size=4MB",
    );
    assert_eq!(v["kind"], "other");
}
