//! Heroku capacity on the way back: before a rollback writes weight back to Heroku, the app's
//! formation is read through the Platform API (`GET /apps/{app}/formation`). If the process
//! type serving the traffic (normally `web`) runs fewer dynos than the share returning to
//! Heroku needs, the event says so, and when the plan allows it (`scale_up: true`) dynoshift
//! scales Heroku up first (`PATCH /apps/{app}/formation`).
//!
//! The dynos a share needs: `ceil(dynos_at_100 × heroku% / 100)`, where `dynos_at_100` is
//! the plan's `heroku.dynos_at_100` when given, otherwise the dynos the process type ran when
//! the run started (read once and journaled: they served all the traffic then). Every event
//! names which of the two the number came from.
//!
//! A rollback is never held up by Heroku: a formation that cannot be read or a scale-up Heroku
//! refuses is a warning event, and the records go back anyway (traffic on an under-scaled
//! Heroku is still better than traffic on a failing AWS target). The API token never appears
//! in an event, the journal or an error (the client scrubs it).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::heroku::api::{HerokuApiOptions, HerokuClient};
use crate::{Error, Result};

fn default_process_type() -> String {
    "web".into()
}

/// The plan's `heroku` section.
///
/// JSON: `{"app": "shop-production"}` (check only), `{"app": "shop-production", "scale_up":
/// true, "max_dynos": 20}` (scale up first, never beyond 20), `{"app": ..., "dynos_at_100": 8}`
/// (the dynos the whole traffic needs, instead of what ran when the run started).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HerokuScaling {
    /// The Heroku app (name or id).
    pub app: String,
    /// The process type serving the hostnames (default `web`).
    #[serde(default = "default_process_type")]
    pub process_type: String,
    /// Dynos the whole traffic needs on Heroku. Absent: the dynos the process type ran when
    /// the run started (read from the formation then, and journaled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynos_at_100: Option<u32>,
    /// Scale the process type up (`PATCH /apps/{app}/formation`) before a rollback writes
    /// weight back to an under-scaled Heroku. Off: the rollback event only says so.
    #[serde(default)]
    pub scale_up: bool,
    /// Never scale beyond this many dynos (a guard against a mistyped `dynos_at_100`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_dynos: Option<u32>,
    /// Another Platform API base URL (a proxy; tests use a loopback server). The token comes
    /// from `HEROKU_API_KEY`, never from the plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
}

impl HerokuScaling {
    /// Checks the section (`invalid_input` naming the field, relative to `heroku`).
    pub fn validate(&self) -> Result<()> {
        if self.app.trim().is_empty() {
            return Err(Error::invalid_input("name the Heroku app (name or id)").at("heroku.app"));
        }
        if self.process_type.trim().is_empty() {
            return Err(
                Error::invalid_input("name the process type serving the hostnames (web)")
                    .at("heroku.process_type"),
            );
        }
        if self.dynos_at_100 == Some(0) {
            return Err(Error::invalid_input(
                "dynos_at_100 must be at least 1 (leave it out to use what ran when the run \
                 started)",
            )
            .at("heroku.dynos_at_100"));
        }
        if self.max_dynos == Some(0) {
            return Err(Error::invalid_input("max_dynos must be at least 1").at("heroku.max_dynos"));
        }
        Ok(())
    }

    /// A client for this section: `api_url` (or the public API), the token from
    /// `HEROKU_API_KEY`.
    pub fn client(&self) -> Result<HerokuClient> {
        HerokuClient::new(HerokuApiOptions {
            base_url: self.api_url.clone(),
            timeout: Some(Duration::from_secs(30)),
            ..HerokuApiOptions::default()
        })
    }
}

/// Dynos a share of the traffic needs: `ceil(at_100 × percent / 100)`, at least 1 for a share
/// above 0, 0 for none.
pub fn dynos_needed(at_100: u32, heroku_percent: u8) -> u32 {
    if heroku_percent == 0 {
        return 0;
    }
    crate::health::capacity::replicas_needed(at_100, heroku_percent.min(100))
}

/// What the check found, and did: the fields of a `heroku_formation` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HerokuCheck {
    /// The app.
    pub app: String,
    /// The process type.
    pub process_type: String,
    /// Percent of the traffic Heroku gets once the rollback step is written.
    pub heroku_percent: u8,
    /// Dynos the process type ran when read.
    pub dynos: u32,
    /// Dynos that share needs.
    pub needed: u32,
    /// Where `dynos_at_100` came from, in words.
    pub basis: String,
    /// The quantity Heroku confirmed after a scale-up (None: no scale-up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaled_to: Option<u32>,
    /// Why no scale-up happened although too few dynos run (scale_up off, max_dynos, an API
    /// error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_scaled: Option<String>,
}

impl HerokuCheck {
    /// One sentence for people.
    pub fn describe(&self) -> String {
        let head = format!(
            "Heroku app {}: {} runs {} dyno(s); the {}% of traffic going back to Heroku needs {} \
             ({})",
            self.app, self.process_type, self.dynos, self.heroku_percent, self.needed, self.basis
        );
        match (&self.scaled_to, &self.not_scaled) {
            (Some(q), _) => format!("{head}: scaled up to {q} before writing the rollback"),
            (None, Some(why)) => format!("{head}: NOT scaled up ({why}); rolling back anyway"),
            (None, None) => format!("{head}: enough"),
        }
    }
}

/// Where `dynos_at_100` comes from: the plan's number, or what ran at the start of the run.
pub(crate) fn basis(config: &HerokuScaling, at_start: Option<u32>) -> Option<(u32, String)> {
    match (config.dynos_at_100, at_start) {
        (Some(n), _) => Some((
            n,
            format!("heroku.dynos_at_100 = {n} in the plan for 100% of traffic"),
        )),
        (None, Some(n)) if n > 0 => Some((
            n,
            format!(
                "{n} {} dyno(s) served 100% of traffic when the run started",
                config.process_type
            ),
        )),
        _ => None,
    }
}

/// Reads the formation and, if too few dynos run for `heroku_percent`, scales up when the
/// plan allows. `Err` only when the formation cannot be read (the caller warns and goes on).
pub(crate) async fn check_and_scale(
    client: &HerokuClient,
    config: &HerokuScaling,
    at_start: Option<u32>,
    heroku_percent: u8,
) -> Result<HerokuCheck> {
    let formation = client.formation(&config.app).await?;
    let dynos = formation
        .process(&config.process_type)
        .map_or(0, |p| p.quantity);
    let (at_100, basis_text) = basis(config, at_start).unwrap_or((
        dynos.max(1),
        "no number for 100% of traffic (the run's start was not read): the current formation \
         is taken as enough"
            .into(),
    ));
    let needed = dynos_needed(at_100, heroku_percent);
    let mut check = HerokuCheck {
        app: config.app.clone(),
        process_type: config.process_type.clone(),
        heroku_percent,
        dynos,
        needed,
        basis: basis_text,
        scaled_to: None,
        not_scaled: None,
    };
    if dynos >= needed {
        return Ok(check);
    }
    if !config.scale_up {
        check.not_scaled = Some(format!(
            "the plan does not allow it: set heroku.scale_up, or run `heroku ps:scale {}={} -a \
             {}`",
            config.process_type, needed, config.app
        ));
        return Ok(check);
    }
    let target = match config.max_dynos {
        Some(max) if max < needed => {
            if max <= dynos {
                check.not_scaled = Some(format!("heroku.max_dynos is {max}"));
                return Ok(check);
            }
            max
        }
        _ => needed,
    };
    match client
        .scale_formation(&config.app, &config.process_type, target)
        .await
    {
        Ok(q) => {
            check.scaled_to = Some(q);
            if target < needed {
                check.not_scaled = Some(format!(
                    "capped at heroku.max_dynos = {target}, {needed} needed"
                ));
            }
        }
        Err(e) => check.not_scaled = Some(format!("Heroku refused the scale-up: {e}")),
    }
    Ok(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynos_follow_the_share_and_the_basis_says_why() {
        assert_eq!(dynos_needed(8, 100), 8);
        assert_eq!(dynos_needed(8, 75), 6);
        assert_eq!(dynos_needed(3, 10), 1);
        assert_eq!(dynos_needed(3, 0), 0);
        let mut c: HerokuScaling = serde_json::from_str(r#"{"app": "shop"}"#).unwrap();
        assert_eq!(c.process_type, "web");
        assert!(
            basis(&c, Some(4))
                .unwrap()
                .1
                .contains("when the run started")
        );
        assert_eq!(basis(&c, None), None);
        c.dynos_at_100 = Some(6);
        assert!(basis(&c, Some(4)).unwrap().1.contains("in the plan"));
        assert_eq!(basis(&c, Some(4)).unwrap().0, 6);
        c.dynos_at_100 = Some(0);
        assert_eq!(
            c.validate().unwrap_err().context(),
            Some("heroku.dynos_at_100")
        );
        assert!(serde_json::from_str::<HerokuScaling>(r#"{"app": "a", "token": "x"}"#).is_err());
    }
}
