//! What a formation costs on Heroku per month, per process type and in total.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::heroku::dynos::{DynoSize, HOURS_PER_MONTH, Pricing};
use crate::heroku::formation::Formation;

/// Monthly price overrides per dyno size (contract prices, Private/Shield Spaces, Fir).
///
/// Keys are dyno size names in any accepted spelling; values are USD per dyno per month.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prices {
    by_size: BTreeMap<String, f64>,
}

impl Prices {
    /// No overrides: list prices only.
    pub fn list() -> Prices {
        Prices::default()
    }

    /// Sets the monthly price of one dyno of `size`. Unknown sizes and prices that are negative
    /// or not finite are `invalid_input`.
    pub fn set(&mut self, size: &str, monthly_usd: f64) -> Result<&mut Prices> {
        let resolved = DynoSize::lookup(size).map_err(|e| e.at(format!("prices.{size}")))?;
        if !monthly_usd.is_finite() || monthly_usd < 0.0 {
            return Err(Error::invalid_input(format!(
                "the price of {size} must be a finite number of dollars per month, 0 or more; got {}",
                crate::jsonerr::show_f64(monthly_usd)
            ))
            .at("prices"));
        }
        self.by_size
            .insert(resolved.name.to_ascii_lowercase(), monthly_usd);
        Ok(self)
    }

    /// Builds overrides from `(size, monthly_usd)` pairs.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, f64)>) -> Result<Prices> {
        let mut prices = Prices::list();
        for (size, usd) in pairs {
            prices.set(size, usd)?;
        }
        Ok(prices)
    }

    /// Parses `{"standard-2x": 45, "private-m": 600}`.
    pub fn from_json(text: &str) -> Result<Prices> {
        let map: BTreeMap<String, serde_json::Value> = serde_json::from_str(text).map_err(|e| {
            Error::invalid_input(format!(
                "prices must be a JSON object of size name to monthly USD, like \
                 {{\"private-m\": 600}} ({})",
                crate::jsonerr::describe(&e, text)
            ))
        })?;
        let mut prices = Prices::list();
        for (size, v) in &map {
            let usd = v.as_f64().ok_or_else(|| {
                Error::invalid_input(format!("the price of {size} must be a number, not {v}"))
                    .at("prices")
            })?;
            prices.set(size, usd)?;
        }
        Ok(prices)
    }

    fn get(&self, size: &DynoSize) -> Option<f64> {
        self.by_size.get(&size.name.to_ascii_lowercase()).copied()
    }
}

/// Where a line's unit price came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceSource {
    /// Heroku's published list price.
    List,
    /// The caller's override.
    Override,
    /// Eco's shared pool of dyno hours.
    Pool,
}

/// The cost of one process type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostLine {
    /// Process type.
    #[serde(rename = "type")]
    pub process_type: String,
    /// Canonical dyno size.
    pub size: String,
    /// Dynos.
    pub quantity: u32,
    /// USD per dyno per month (for Eco: this line's share of the pools, per dyno).
    pub unit_monthly_usd: f64,
    /// USD per month for the line.
    pub monthly_usd: f64,
    /// Where the unit price came from.
    pub price_source: PriceSource,
    /// How the number was reached, when that is not just quantity × list price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A formation's monthly Heroku bill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostReport {
    /// One line per process type, in formation order.
    pub lines: Vec<CostLine>,
    /// Sum of the lines, USD per month.
    pub total_monthly_usd: f64,
    /// Always `USD`.
    pub currency: String,
    /// Hours in a billing month (Heroku's monthly / 720 rule).
    pub hours_per_month: f64,
    /// Caveats that apply to the whole report.
    pub notes: Vec<String>,
}

impl CostReport {
    /// JSON text of the report.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a cost report always serialises")
    }
}

fn cents(usd: f64) -> f64 {
    (usd * 100.0).round() / 100.0
}

impl Formation {
    /// The monthly Heroku cost of this formation with `prices` overriding list prices.
    ///
    /// Sizes without a list price (Private, Shield, Fir) need an override, otherwise the result
    /// is `invalid_input` naming the size. Eco dynos share one pool of 1,000 dyno-hours per $5:
    /// the pools needed for the Eco dynos running all month are counted (an upper bound, since
    /// Eco dynos sleep when idle).
    pub fn monthly_cost(&self, prices: &Prices) -> Result<CostReport> {
        let mut lines = Vec::with_capacity(self.processes.len());
        let mut notes = Vec::new();
        let eco_dynos: u32 = self
            .processes
            .iter()
            .filter(|p| {
                prices.get(&p.size).is_none() && matches!(p.size.pricing, Pricing::Pool { .. })
            })
            .map(|p| p.quantity)
            .sum();
        for p in &self.processes {
            let (unit, source, note) = match (prices.get(&p.size), &p.size.pricing) {
                (Some(usd), _) => (usd, PriceSource::Override, None),
                (None, Pricing::PerDyno(usd)) => (*usd, PriceSource::List, None),
                (None, Pricing::Pool { usd, dyno_hours }) => {
                    let hours = f64::from(eco_dynos) * HOURS_PER_MONTH;
                    let pools = (hours / dyno_hours).ceil();
                    let unit = if eco_dynos == 0 {
                        0.0
                    } else {
                        pools * usd / f64::from(eco_dynos)
                    };
                    let note = format!(
                        "{eco_dynos} Eco dyno(s) awake all month use {hours} of the account's dyno \
                         hours: {pools} pool(s) of {dyno_hours} h at ${usd}, shared across Eco \
                         process types; less if they sleep"
                    );
                    (unit, PriceSource::Pool, Some(note))
                }
                (None, Pricing::Contract) => {
                    return Err(Error::invalid_input(format!(
                        "{} has no list price (Private/Shield Spaces and Fir are priced by \
                         contract); pass a price override such as {{\"{}\": 600}} in USD per dyno \
                         per month",
                        p.size.name,
                        p.size.name.to_ascii_lowercase()
                    ))
                    .at(&p.process_type));
                }
            };
            let note = match (note, &p.size.note) {
                (Some(a), Some(b)) => Some(format!("{b}; {a}")),
                (a, b) => a.or_else(|| b.clone()),
            };
            lines.push(CostLine {
                process_type: p.process_type.clone(),
                size: p.size.name.clone(),
                quantity: p.quantity,
                unit_monthly_usd: cents(unit),
                monthly_usd: cents(unit * f64::from(p.quantity)),
                price_source: source,
                note,
            });
        }
        if lines
            .iter()
            .any(|l| l.price_source == PriceSource::Override)
        {
            notes.push("some unit prices are caller overrides, not Heroku list prices".into());
        }
        notes.push(
            "add-ons, data services and bandwidth are not included; Heroku bills per second, \
             so a month here is 720 dyno hours"
                .into(),
        );
        let total = cents(lines.iter().map(|l| l.monthly_usd).sum());
        Ok(CostReport {
            lines,
            total_monthly_usd: total,
            currency: "USD".into(),
            hours_per_month: HOURS_PER_MONTH,
            notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn cost(formation: &str, prices: &Prices) -> Result<CostReport> {
        Formation::from_json(formation)?.monthly_cost(prices)
    }

    #[test]
    fn list_prices_multiply_by_quantity() {
        let r = cost(
            r#"{"web":{"size":"standard-2x","quantity":4},"worker":{"size":"standard-1x","quantity":2}}"#,
            &Prices::list(),
        )
        .unwrap();
        assert_eq!(r.lines[0].monthly_usd, 200.0);
        assert_eq!(r.lines[1].monthly_usd, 50.0);
        assert_eq!(r.total_monthly_usd, 250.0);
    }

    #[test]
    fn overrides_win_and_contract_sizes_need_one() {
        let f = r#"{"web":{"size":"private-m","quantity":2}}"#;
        let err = cost(f, &Prices::list()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.message().contains("price override"), "{err}");
        let p = Prices::from_json(r#"{"Private-M": 610.5}"#).unwrap();
        let r = cost(f, &p).unwrap();
        assert_eq!(r.total_monthly_usd, 1221.0);
        assert_eq!(r.lines[0].price_source, PriceSource::Override);
    }

    #[test]
    fn eco_pools_are_shared() {
        // Two Eco dynos all month = 1,440 h = two pools of 1,000 h = $10.
        let r = cost(
            r#"{"web":{"size":"eco","quantity":1},"clock":{"size":"eco","quantity":1}}"#,
            &Prices::list(),
        )
        .unwrap();
        assert_eq!(r.total_monthly_usd, 10.0);
        assert!(r.lines.iter().all(|l| l.price_source == PriceSource::Pool));
    }

    #[test]
    fn bad_prices_are_refused() {
        assert!(Prices::from_json(r#"{"standard-2x": -1}"#).is_err());
        assert!(Prices::from_json(r#"{"mega": 1}"#).is_err());
        assert!(Prices::from_json(r#"{"basic": "7"}"#).is_err());
        assert!(Prices::list().set("basic", f64::NAN).is_err());
    }
}
