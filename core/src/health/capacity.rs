//! The `capacity` gate: before the next weight is written, the AWS side must already run the
//! replicas that weight needs (weight moving faster than replicas is the most-cited outage of
//! progressive delivery). Each tick it asks Prometheus how many replicas are available
//! (kube-state-metrics' `kube_deployment_status_replicas_available`, summed) and compares them
//! with what the next stage's share needs: `ceil(replicas_at_100 × next% / 100)`, where
//! `replicas_at_100` is what the sizing says the whole traffic needs. Too few → inconclusive,
//! so the stage waits (its soak extends, up to the policy's limit) and then pauses with the
//! reason; enough → pass. In the last stage it checks the current share.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::probe::{http_client, parse_http_url, shown_url};
use super::prometheus::{Answer, query, query_endpoint};
use crate::cutover::{Gate, GateContext, GatePolicy, Verdict};
use crate::dns::BoxFuture;
use crate::{Error, Result};

fn d_timeout_ms() -> u64 {
    5000
}

/// Configuration of a [`CapacityGate`].
///
/// JSON: `{"type": "capacity", "url": "http://127.0.0.1:9090", "query":
/// "sum(kube_deployment_status_replicas_available{namespace=\"shop\",deployment=\"shop-web\"})",
/// "replicas_at_100": 8}`; add `"policy": {"max_soak_extension_seconds": 600}` to bound the
/// wait before the run pauses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacityGateConfig {
    /// Gate name (default `capacity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Prometheus base URL.
    pub url: String,
    /// Instant query for the replicas available on AWS (summed over the series).
    pub query: String,
    /// Replicas the whole traffic needs (the sizing's replicas, or its HPA maximum).
    pub replicas_at_100: u32,
    /// Query timeout, ms (default 5000).
    #[serde(default = "d_timeout_ms")]
    pub timeout_ms: u64,
    /// Verdict policy (its `max_soak_extension_seconds` bounds the wait for replicas).
    #[serde(default)]
    pub policy: GatePolicy,
}

#[derive(Debug)]
struct Inner {
    name: String,
    config: CapacityGateConfig,
    endpoint: Url,
    client: reqwest::Client,
}

/// Checks that the AWS side runs the replicas the next stage needs.
#[derive(Debug, Clone)]
pub struct CapacityGate {
    inner: Arc<Inner>,
}

/// Replicas a share of the traffic needs: `ceil(at_100 × percent / 100)`, at least 1.
pub fn replicas_needed(at_100: u32, percent: u8) -> u32 {
    (u64::from(at_100) * u64::from(percent))
        .div_ceil(100)
        .max(1)
        .try_into()
        .unwrap_or(u32::MAX)
}

impl CapacityGate {
    /// Validates the config (`invalid_input` naming the field) and builds the client.
    pub fn new(config: CapacityGateConfig) -> Result<Self> {
        let base = parse_http_url(&config.url, "the Prometheus URL").map_err(|e| e.at("url"))?;
        if config.query.trim().is_empty() {
            return Err(Error::invalid_input(
                "give a PromQL query for the available replicas, e.g. \
                 sum(kube_deployment_status_replicas_available{deployment=\"shop-web\"})",
            )
            .at("query"));
        }
        if config.replicas_at_100 == 0 {
            return Err(Error::invalid_input(
                "replicas_at_100 must be at least 1: the replicas the whole traffic needs",
            )
            .at("replicas_at_100"));
        }
        if config.timeout_ms == 0 {
            return Err(Error::invalid_input("the timeout must be at least 1 ms").at("timeout_ms"));
        }
        let endpoint = query_endpoint(base);
        let client = http_client(Duration::from_millis(config.timeout_ms), None, 2, false)?;
        let name = config.name.clone().unwrap_or_else(|| "capacity".to_owned());
        Ok(CapacityGate {
            inner: Arc::new(Inner {
                name,
                config,
                endpoint,
                client,
            }),
        })
    }
}

impl Gate for CapacityGate {
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
            let (share, which) = match ctx.next_percent {
                Some(next) => (next, "the next stage"),
                None => (ctx.percent, "this last stage"),
            };
            let needed = replicas_needed(c.replicas_at_100, share);
            let m = |available: Option<f64>| {
                json!({"query": c.query, "replicas_at_100": c.replicas_at_100,
                       "share_percent": share, "needed": needed, "available": available})
            };
            let available: f64 = match query(&inner.client, &inner.endpoint, &c.query).await {
                Answer::Failed(why) => {
                    return Verdict::error(format!("Prometheus at {}: {why}", shown_url(&c.url)))
                        .with_measurements(m(None));
                }
                Answer::Values(v) if v.is_empty() => {
                    return Verdict::inconclusive(format!(
                        "no replicas reported by {} (empty result): waiting for the AWS side",
                        c.query
                    ))
                    .with_measurements(m(None));
                }
                Answer::Values(v) => v.iter().map(|(_, x)| *x).filter(|x| x.is_finite()).sum(),
            };
            let rule = format!(
                "{which} sends {share}% to AWS: ceil({} replicas at 100% × {share}%) = {needed} needed",
                c.replicas_at_100
            );
            if available + 1e-9 < f64::from(needed) {
                return Verdict::inconclusive(format!(
                    "{available} replica(s) available on AWS, {needed} needed: {rule}; waiting \
                     for the AWS side to scale before the weight moves"
                ))
                .with_measurements(m(Some(available)));
            }
            Verdict::pass(format!(
                "{available} replica(s) available ≥ {needed}: {rule}"
            ))
            .with_measurements(m(Some(available)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_needed_rounds_up_and_keeps_one() {
        assert_eq!(replicas_needed(8, 10), 1);
        assert_eq!(replicas_needed(8, 25), 2);
        assert_eq!(replicas_needed(8, 50), 4);
        assert_eq!(replicas_needed(9, 50), 5);
        assert_eq!(replicas_needed(8, 100), 8);
        assert_eq!(replicas_needed(3, 0), 1);
    }

    #[test]
    fn the_config_is_checked() {
        let good = CapacityGateConfig {
            name: None,
            url: "http://127.0.0.1:9090".into(),
            query: "sum(up)".into(),
            replicas_at_100: 4,
            timeout_ms: 5000,
            policy: GatePolicy::default(),
        };
        assert!(CapacityGate::new(good.clone()).is_ok());
        let zero = CapacityGateConfig {
            replicas_at_100: 0,
            ..good.clone()
        };
        assert_eq!(
            CapacityGate::new(zero).unwrap_err().context(),
            Some("replicas_at_100")
        );
        let no_query = CapacityGateConfig {
            query: " ".into(),
            ..good
        };
        assert_eq!(
            CapacityGate::new(no_query).unwrap_err().context(),
            Some("query")
        );
    }
}
