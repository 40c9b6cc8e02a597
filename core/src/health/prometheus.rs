//! The Prometheus gate: an instant PromQL query (`GET /api/v1/query`) compared with a
//! threshold. Empty results and NaN are inconclusive; an unreachable server or an HTTP/API
//! error is an error verdict (counted against the consecutive-error limit), never a pass.
//! Optionally a request-rate query makes the gate weight-aware: until the AWS side has served
//! `min_samples` requests during the soak, a pass is only inconclusive, with the soak length
//! the evidence needs.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::http::check_number;
use super::probe::{http_client, parse_http_url, shown_url};
use super::stats::{RateScope, evidence};
use crate::cutover::{Gate, GateContext, GatePolicy, Verdict};
use crate::dns::BoxFuture;
use crate::heroku::api::describe;
use crate::{Error, Result};

/// A threshold comparison: the query's value must satisfy `value <op> threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Comparator {
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
}

impl Comparator {
    /// Whether `value <op> threshold` holds.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparator::Lt => value < threshold,
            Comparator::Le => value <= threshold,
            Comparator::Gt => value > threshold,
            Comparator::Ge => value >= threshold,
        }
    }
    /// The operator's text.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
        }
    }
}

impl fmt::Display for Comparator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// The weight-aware evidence guard of a Prometheus gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrafficConfig {
    /// PromQL giving requests per second, e.g. `sum(rate(http_requests_total[1m]))`.
    pub rate_query: String,
    /// Whether that rate is the AWS side's (default) or the whole hostname's.
    #[serde(default)]
    pub scope: RateScope,
    /// Requests the AWS side must serve during the soak before a pass counts.
    pub min_samples: u64,
}

fn d_timeout_ms() -> u64 {
    5000
}

/// Configuration of a [`PrometheusGate`].
///
/// JSON: `{"type": "prometheus", "url": "http://127.0.0.1:9090", "query":
/// "sum(rate(errors_total[1m])) / sum(rate(requests_total[1m]))", "comparator": "<",
/// "threshold": 0.01}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusGateConfig {
    /// Gate name (default `prometheus <query>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Prometheus base URL (`http://host:9090`, a path prefix is kept).
    pub url: String,
    /// Instant query; every series it returns must satisfy the condition.
    pub query: String,
    /// `<`, `<=`, `>` or `>=`.
    pub comparator: Comparator,
    /// The threshold.
    pub threshold: f64,
    /// Query timeout, ms (default 5000).
    #[serde(default = "d_timeout_ms")]
    pub timeout_ms: u64,
    /// Weight-aware minimum samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic: Option<TrafficConfig>,
    /// Verdict policy.
    #[serde(default)]
    pub policy: GatePolicy,
}

impl PrometheusGateConfig {
    /// A gate on `query <comparator> threshold` against the server at `url`.
    pub fn new(
        url: impl Into<String>,
        query: impl Into<String>,
        comparator: Comparator,
        threshold: f64,
    ) -> Self {
        PrometheusGateConfig {
            name: None,
            url: url.into(),
            query: query.into(),
            comparator,
            threshold,
            timeout_ms: d_timeout_ms(),
            traffic: None,
            policy: GatePolicy::default(),
        }
    }
}

#[derive(Debug)]
struct Inner {
    name: String,
    config: PrometheusGateConfig,
    endpoint: Url,
    client: reqwest::Client,
}

/// Judges a PromQL threshold every tick.
#[derive(Debug, Clone)]
pub struct PrometheusGate {
    inner: Arc<Inner>,
}

/// One query's answer.
pub(crate) enum Answer {
    /// (labels, value) per series.
    Values(Vec<(String, f64)>),
    /// Could not ask or read the answer.
    Failed(String),
}

impl PrometheusGate {
    /// Validates the config (`invalid_input`) and builds the client.
    pub fn new(config: PrometheusGateConfig) -> Result<Self> {
        let base = parse_http_url(&config.url, "the Prometheus URL").map_err(|e| e.at("url"))?;
        if config.query.trim().is_empty() {
            return Err(Error::invalid_input("give a PromQL query").at("query"));
        }
        check_number(config.threshold, "threshold", f64::MIN, f64::MAX)?;
        if config.timeout_ms == 0 {
            return Err(Error::invalid_input("the timeout must be at least 1 ms").at("timeout_ms"));
        }
        if let Some(t) = &config.traffic
            && t.rate_query.trim().is_empty()
        {
            return Err(Error::invalid_input("give a PromQL rate query").at("traffic.rate_query"));
        }
        let endpoint = query_endpoint(base);
        let client = http_client(Duration::from_millis(config.timeout_ms), None, 2, false)?;
        let name = config
            .name
            .clone()
            .unwrap_or_else(|| format!("prometheus {}", config.query));
        Ok(PrometheusGate {
            inner: Arc::new(Inner {
                name,
                config,
                endpoint,
                client,
            }),
        })
    }
}

/// The instant-query API under a Prometheus base URL (a path prefix is kept).
pub(crate) fn query_endpoint(mut base: Url) -> Url {
    let path = format!("{}/api/v1/query", base.path().trim_end_matches('/'));
    base.set_path(&path);
    base.set_query(None);
    base
}

/// Asks Prometheus's instant-query API at `endpoint` (`.../api/v1/query`).
pub(crate) async fn query(client: &reqwest::Client, endpoint: &Url, promql: &str) -> Answer {
    let mut url = endpoint.clone();
    url.query_pairs_mut().append_pair("query", promql);
    let resp = match client.get(url).send().await {
        Ok(r) => r,
        Err(e) => {
            let e = e.without_url();
            let what = if e.is_timeout() {
                "no answer in time"
            } else {
                "cannot reach it"
            };
            return Answer::Failed(format!("{what}: {}", describe(&e)));
        }
    };
    let status = resp.status();
    let body = match resp.bytes().await {
        Ok(b) => b,
        Err(e) => {
            return Answer::Failed(format!("answer not read: {}", describe(&e.without_url())));
        }
    };
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return Answer::Failed(format!("HTTP {status} with a body that is not JSON")),
    };
    if !status.is_success() || v.get("status").and_then(Value::as_str) != Some("success") {
        let msg = v
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("no message");
        return Answer::Failed(format!(
            "HTTP {status}: {}",
            msg.chars().take(200).collect::<String>()
        ));
    }
    let data = &v["data"];
    let parse = |pair: &Value| -> Option<f64> {
        let s = pair.get(1)?.as_str()?;
        // Prometheus writes NaN, +Inf and -Inf as such
        s.parse::<f64>().ok()
    };
    match data.get("resultType").and_then(Value::as_str) {
        Some("vector") => {
            let mut out = Vec::new();
            for series in data["result"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                let labels = series
                    .get("metric")
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| "{}".into());
                match series.get("value").and_then(parse) {
                    Some(x) => out.push((labels, x)),
                    None => return Answer::Failed("a series without a numeric value".into()),
                }
            }
            Answer::Values(out)
        }
        Some("scalar") => match parse(&data["result"]) {
            Some(x) => Answer::Values(vec![("scalar".into(), x)]),
            None => Answer::Failed("a scalar without a numeric value".into()),
        },
        other => Answer::Failed(format!(
            "result type {} is not supported (use an instant vector or scalar query)",
            other.unwrap_or("missing")
        )),
    }
}

impl Gate for PrometheusGate {
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    fn policy(&self) -> GatePolicy {
        self.inner.config.policy
    }

    fn check(&self, ctx: GateContext) -> BoxFuture<'static, Verdict> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let c = &inner.config;
            let cond = format!("{} {}", c.comparator, c.threshold);
            let values = match query(&inner.client, &inner.endpoint, &c.query).await {
                Answer::Failed(why) => {
                    return Verdict::error(format!("Prometheus at {}: {why}", shown_url(&c.url)))
                        .with_measurements(json!({"query": c.query}));
                }
                Answer::Values(v) => v,
            };
            let series: Vec<Value> = values
                .iter()
                .map(|(l, x)| json!({"labels": l, "value": x.to_string()}))
                .collect();
            let mut m = json!({"query": c.query, "condition": cond, "series": series});
            if values.is_empty() {
                return Verdict::inconclusive(format!(
                    "no data for {} (empty result): nothing to judge yet",
                    c.query
                ))
                .with_measurements(m);
            }
            if values.iter().any(|(_, x)| x.is_nan()) {
                return Verdict::inconclusive(format!(
                    "{} is NaN (no requests in the window?)",
                    c.query
                ))
                .with_measurements(m);
            }
            let bad: Vec<&(String, f64)> = values
                .iter()
                .filter(|(_, x)| !c.comparator.holds(*x, c.threshold))
                .collect();
            if let Some((labels, x)) = bad.first() {
                return Verdict::fail(format!(
                    "{} = {x} {} is false ({} of {} series; {labels})",
                    c.query,
                    cond,
                    bad.len(),
                    values.len()
                ))
                .with_measurements(m);
            }
            let shown = values[0].1;
            if let Some(t) = &c.traffic {
                let rate = match query(&inner.client, &inner.endpoint, &t.rate_query).await {
                    Answer::Failed(why) => {
                        return Verdict::error(format!(
                            "Prometheus at {} (rate query): {why}",
                            shown_url(&c.url)
                        ))
                        .with_measurements(m);
                    }
                    Answer::Values(v) => v.iter().map(|(_, x)| *x).filter(|x| x.is_finite()).sum(),
                };
                let e = evidence(
                    ctx.percent,
                    rate,
                    t.scope,
                    ctx.elapsed_seconds,
                    t.min_samples,
                );
                m["samples"] = json!(e.samples);
                m["evidence"] = serde_json::to_value(&e).unwrap_or(Value::Null);
                if !e.sufficient {
                    let left = e
                        .seconds_remaining
                        .map(|s| format!("; ~{s} s more"))
                        .unwrap_or_default();
                    return Verdict::inconclusive(format!(
                        "{} holds ({shown}) but the evidence is thin: {}{left}",
                        cond,
                        e.describe()
                    ))
                    .with_measurements(m);
                }
            }
            Verdict::pass(format!("{} = {shown} {cond} holds", c.query)).with_measurements(m)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn comparators_parse_and_hold() {
        let c: Comparator = serde_json::from_str("\"<=\"").unwrap();
        assert_eq!(c, Comparator::Le);
        assert!(c.holds(1.0, 1.0));
        assert!(!Comparator::Lt.holds(1.0, 1.0));
        assert!(Comparator::Gt.holds(2.0, 1.0));
        assert!(Comparator::Ge.holds(1.0, 1.0));
        assert!(!Comparator::Ge.holds(f64::NAN, 1.0));
        assert!(serde_json::from_str::<Comparator>("\"==\"").is_err());
    }

    #[test]
    fn bad_configs_are_invalid_input() {
        let ok = PrometheusGateConfig::new("http://127.0.0.1:9090", "up", Comparator::Ge, 1.0);
        assert!(PrometheusGate::new(ok.clone()).is_ok());
        let mut nan = ok.clone();
        nan.threshold = f64::NAN;
        let mut url = ok.clone();
        url.url = "127.0.0.1:9090".into();
        let mut q = ok.clone();
        q.query = " ".into();
        for (c, at) in [(nan, "threshold"), (url, "url"), (q, "query")] {
            let err = PrometheusGate::new(c).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert_eq!(err.context(), Some(at), "{err}");
        }
    }
}
