//! Core values → uniffi objects and records. Result objects keep the core value and offer
//! `to_json` (the core's own JSON) next to typed readers.

use std::sync::Arc;

use dynoshift as core;

/// A Heroku dyno size.
#[derive(Debug, uniffi::Object)]
pub struct DynoSize {
    inner: core::DynoSize,
}

impl From<&core::DynoSize> for DynoSize {
    fn from(s: &core::DynoSize) -> Self {
        DynoSize { inner: s.clone() }
    }
}

#[uniffi::export]
impl DynoSize {
    /// Canonical name.
    pub fn name(&self) -> String {
        self.inner.name.clone()
    }
    /// "cedar" or "fir".
    pub fn generation(&self) -> String {
        dynoshift::units::wire_name(&self.inner.generation)
    }
    /// Memory quota in MiB.
    pub fn memory_mb(&self) -> f64 {
        self.inner.memory_mb
    }
    /// "shared" or "dedicated".
    pub fn cpu_kind(&self) -> String {
        match self.inner.cpu {
            core::Cpu::Shared(_) => "shared".into(),
            core::Cpu::Dedicated(_) => "dedicated".into(),
        }
    }
    /// Shared multiplier (1, 2) or dedicated vCPUs.
    pub fn cpu(&self) -> f64 {
        match self.inner.cpu {
            core::Cpu::Shared(n) => f64::from(n),
            core::Cpu::Dedicated(v) => v,
        }
    }
    /// R15 hard-kill factor, if known.
    pub fn r15_factor(&self) -> Option<f64> {
        self.inner.r15_factor
    }
    /// List price per dyno per month (nil: pool or contract pricing).
    pub fn list_monthly_usd(&self) -> Option<f64> {
        match self.inner.pricing {
            core::Pricing::PerDyno(usd) => Some(usd),
            _ => None,
        }
    }
    /// "per_dyno", "pool" or "contract".
    pub fn pricing(&self) -> String {
        dynoshift::units::wire_name(&self.inner.pricing)
    }
    /// Caveat or legacy-name note.
    pub fn note(&self) -> Option<String> {
        self.inner.note.clone()
    }
    /// The core's JSON for this size.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.inner).unwrap_or_default()
    }
}

/// One process type of a formation.
#[derive(Debug, uniffi::Record)]
pub struct Process {
    /// Process type, e.g. "web".
    pub process_type: String,
    /// Resolved dyno size.
    pub size: Arc<DynoSize>,
    /// Size as written in the input.
    pub requested_size: String,
    /// Number of dynos.
    pub quantity: u32,
    /// Command, if given.
    pub command: Option<String>,
}

impl From<&core::Process> for Process {
    fn from(p: &core::Process) -> Self {
        Process {
            process_type: p.process_type.clone(),
            size: Arc::new((&p.size).into()),
            requested_size: p.requested_size.clone(),
            quantity: p.quantity,
            command: p.command.clone(),
        }
    }
}

/// The cost of one process type.
#[derive(Debug, uniffi::Record)]
pub struct CostLine {
    /// Process type.
    pub process_type: String,
    /// Canonical dyno size.
    pub size: String,
    /// Dynos.
    pub quantity: u32,
    /// USD per dyno per month.
    pub unit_monthly_usd: f64,
    /// USD per month.
    pub monthly_usd: f64,
    /// "list", "override" or "pool".
    pub price_source: String,
    /// How the number was reached.
    pub note: Option<String>,
}

/// A formation's monthly Heroku bill.
#[derive(Debug, uniffi::Object)]
pub struct CostReport {
    inner: core::CostReport,
}

impl From<core::CostReport> for CostReport {
    fn from(inner: core::CostReport) -> Self {
        CostReport { inner }
    }
}

#[uniffi::export]
impl CostReport {
    /// One line per process type.
    pub fn lines(&self) -> Vec<CostLine> {
        self.inner
            .lines
            .iter()
            .map(|l| CostLine {
                process_type: l.process_type.clone(),
                size: l.size.clone(),
                quantity: l.quantity,
                unit_monthly_usd: l.unit_monthly_usd,
                monthly_usd: l.monthly_usd,
                price_source: dynoshift::units::wire_name(&l.price_source),
                note: l.note.clone(),
            })
            .collect()
    }
    /// USD per month.
    pub fn total_monthly_usd(&self) -> f64 {
        self.inner.total_monthly_usd
    }
    /// "USD".
    pub fn currency(&self) -> String {
        self.inner.currency.clone()
    }
    /// 720.
    pub fn hours_per_month(&self) -> f64 {
        self.inner.hours_per_month
    }
    /// Caveats.
    pub fn notes(&self) -> Vec<String> {
        self.inner.notes.clone()
    }
    /// The core's JSON for this report.
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

/// A dyno size as the Platform API lists it (`GET /dyno-sizes`).
#[derive(Debug, uniffi::Object)]
pub struct ApiDynoSize {
    inner: core::ApiDynoSize,
}

impl From<&core::ApiDynoSize> for ApiDynoSize {
    fn from(s: &core::ApiDynoSize) -> Self {
        ApiDynoSize { inner: s.clone() }
    }
}

#[uniffi::export]
impl ApiDynoSize {
    /// Name, e.g. "Standard-2X".
    pub fn name(&self) -> String {
        self.inner.name.clone()
    }
    /// Memory in GB.
    pub fn memory_gb(&self) -> f64 {
        self.inner.memory_gb
    }
    /// Compute units.
    pub fn compute(&self) -> u32 {
        self.inner.compute
    }
    /// Dedicated CPU.
    pub fn dedicated(&self) -> bool {
        self.inner.dedicated
    }
    /// Price in cents per `cost_unit`, when Heroku lists one.
    pub fn cost_cents(&self) -> Option<u64> {
        self.inner.cost.as_ref().map(|c| c.cents)
    }
    /// Unit of the price, e.g. "month".
    pub fn cost_unit(&self) -> Option<String> {
        self.inner.cost.as_ref().map(|c| c.unit.clone())
    }
    /// Generation name, e.g. "cedar".
    pub fn generation(&self) -> Option<String> {
        self.inner.generation.clone()
    }
    /// The core's JSON for this entry.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.inner).unwrap_or_default()
    }
}
