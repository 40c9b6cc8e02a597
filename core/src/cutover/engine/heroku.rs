//! The Heroku side of a run: the formation read at the start and scaled back up before a
//! rollback.

use crate::cutover::events::CutoverEvent;
use crate::cutover::journal::{Journal, Target};
use crate::{Error, Result};

use super::Engine;

impl Engine {
    pub(super) fn heroku_client(&self) -> Result<crate::heroku::api::HerokuClient> {
        match (&self.run.heroku, &self.run.plan.heroku) {
            (Some(c), _) => Ok(c.clone()),
            (None, Some(h)) => h.client(),
            (None, None) => Err(Error::internal("the plan has no heroku section")),
        }
    }

    /// Dynos of the plan's Heroku process type now (at the start of a fresh run), when the
    /// plan names an app without `dynos_at_100`: what 100% of traffic needs on the way back.
    pub(super) async fn heroku_dynos_at_start(&self) -> Result<Option<u32>> {
        let Some(h) = self
            .run
            .plan
            .heroku
            .as_ref()
            .filter(|h| h.dynos_at_100.is_none())
        else {
            return Ok(None);
        };
        let formation = match self.heroku_client() {
            Ok(c) => c.formation(&h.app).await,
            Err(e) => Err(e),
        };
        match formation {
            Ok(f) => Ok(Some(f.process(&h.process_type).map_or(0, |p| p.quantity))),
            Err(e) => Err(Error::new(
                e.kind(),
                format!(
                    "cannot read the formation of Heroku app {} (what 100% of the traffic needs                      if a rollback sends it back): {}; fix that, or set heroku.dynos_at_100 in                      the plan (nothing was written)",
                    h.app,
                    e.message()
                ),
            )),
        }
    }

    /// Before a rollback step gives traffic back to Heroku: reads the formation and scales it
    /// up when the plan allows (see [`crate::cutover::heroku_scale`]). Never fails the rollback.
    pub(super) async fn heroku_before_rollback(&self, j: &Journal, target: Target) {
        let Some(config) = j.plan.heroku.clone() else {
            return;
        };
        let Some(aws_now) = j.current_percent() else {
            return; // nothing moved: Heroku still has what it had
        };
        let aws_after = match target {
            Target::Weighted { percent } => percent,
            Target::Original => self.original_aws_percent(j),
        };
        if aws_after >= aws_now {
            return;
        }
        let heroku_percent = 100 - aws_after.min(100);
        let checked = match self.heroku_client() {
            Ok(c) => {
                crate::cutover::heroku_scale::check_and_scale(
                    &c,
                    &config,
                    j.heroku_dynos_at_start,
                    heroku_percent,
                )
                .await
            }
            Err(e) => Err(e),
        };
        match checked {
            Ok(check) => self.emit(CutoverEvent::HerokuFormation(check)),
            Err(e) => self.emit(CutoverEvent::Warning {
                message: format!(
                    "could not read the formation of Heroku app {} before giving it {heroku_percent}%                      of the traffic back ({e}); rolling back anyway: check `heroku ps -a {}`",
                    config.app, config.app
                ),
            }),
        }
    }
}
