//! Core values → Python objects. Every result class keeps the core value and offers
//! `to_json()` (the core's own JSON) next to typed attributes.

use dynoshift as core;
use pyo3::prelude::*;

/// A Heroku dyno size.
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug, Clone)]
pub struct DynoSize {
    /// Canonical name.
    #[pyo3(get)]
    pub name: String,
    /// "cedar" or "fir".
    #[pyo3(get)]
    pub generation: String,
    /// Memory quota in MiB.
    #[pyo3(get)]
    pub memory_mb: f64,
    /// "shared" or "dedicated".
    #[pyo3(get)]
    pub cpu_kind: String,
    /// Shared multiplier (1, 2) or dedicated vCPUs.
    #[pyo3(get)]
    pub cpu: f64,
    /// R15 hard-kill factor, if known.
    #[pyo3(get)]
    pub r15_factor: Option<f64>,
    /// List price per dyno per month (None: pool or contract pricing).
    #[pyo3(get)]
    pub list_monthly_usd: Option<f64>,
    /// "per_dyno", "pool" or "contract".
    #[pyo3(get)]
    pub pricing: String,
    /// Caveat or legacy-name note.
    #[pyo3(get)]
    pub note: Option<String>,
    json: String,
}

#[pymethods]
impl DynoSize {
    /// The core's JSON for this size.
    fn to_json(&self) -> String {
        self.json.clone()
    }
    fn __repr__(&self) -> String {
        format!(
            "DynoSize(name={:?}, memory_mb={}, cpu_kind={:?}, cpu={})",
            self.name, self.memory_mb, self.cpu_kind, self.cpu
        )
    }
}

impl From<&core::DynoSize> for DynoSize {
    fn from(s: &core::DynoSize) -> Self {
        let (cpu_kind, cpu) = match s.cpu {
            core::Cpu::Shared(n) => ("shared", f64::from(n)),
            core::Cpu::Dedicated(v) => ("dedicated", v),
        };
        DynoSize {
            name: s.name.clone(),
            generation: dynoshift::units::wire_name(&s.generation),
            memory_mb: s.memory_mb,
            cpu_kind: cpu_kind.into(),
            cpu,
            r15_factor: s.r15_factor,
            list_monthly_usd: match s.pricing {
                core::Pricing::PerDyno(usd) => Some(usd),
                _ => None,
            },
            pricing: dynoshift::units::wire_name(&s.pricing),
            note: s.note.clone(),
            json: serde_json::to_string(s).expect("serialisable"),
        }
    }
}

/// One process type of a formation.
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug, Clone)]
pub struct Process {
    /// Process type, e.g. "web".
    #[pyo3(get)]
    pub process_type: String,
    /// Resolved dyno size.
    #[pyo3(get)]
    pub size: DynoSize,
    /// Size as written in the input.
    #[pyo3(get)]
    pub requested_size: String,
    /// Number of dynos.
    #[pyo3(get)]
    pub quantity: u32,
    /// Command, if given.
    #[pyo3(get)]
    pub command: Option<String>,
}

impl From<&core::Process> for Process {
    fn from(p: &core::Process) -> Self {
        Process {
            process_type: p.process_type.clone(),
            size: (&p.size).into(),
            requested_size: p.requested_size.clone(),
            quantity: p.quantity,
            command: p.command.clone(),
        }
    }
}

#[pymethods]
impl Process {
    fn __repr__(&self) -> String {
        format!(
            "Process(process_type={:?}, size={:?}, quantity={})",
            self.process_type, self.size.name, self.quantity
        )
    }
}

/// The cost of one process type.
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug, Clone)]
pub struct CostLine {
    /// Process type.
    #[pyo3(get)]
    pub process_type: String,
    /// Canonical dyno size.
    #[pyo3(get)]
    pub size: String,
    /// Dynos.
    #[pyo3(get)]
    pub quantity: u32,
    /// USD per dyno per month.
    #[pyo3(get)]
    pub unit_monthly_usd: f64,
    /// USD per month.
    #[pyo3(get)]
    pub monthly_usd: f64,
    /// "list", "override" or "pool".
    #[pyo3(get)]
    pub price_source: String,
    /// How the number was reached.
    #[pyo3(get)]
    pub note: Option<String>,
}

#[pymethods]
impl CostLine {
    fn __repr__(&self) -> String {
        format!(
            "CostLine(process_type={:?}, size={:?}, quantity={}, monthly_usd={})",
            self.process_type, self.size, self.quantity, self.monthly_usd
        )
    }
}

/// A formation's monthly Heroku bill.
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug, Clone)]
pub struct CostReport {
    /// One line per process type.
    #[pyo3(get)]
    pub lines: Vec<CostLine>,
    /// USD per month.
    #[pyo3(get)]
    pub total_monthly_usd: f64,
    /// "USD".
    #[pyo3(get)]
    pub currency: String,
    /// 720.
    #[pyo3(get)]
    pub hours_per_month: f64,
    /// Caveats.
    #[pyo3(get)]
    pub notes: Vec<String>,
    json: String,
}

#[pymethods]
impl CostReport {
    /// The core's JSON for this report.
    fn to_json(&self) -> String {
        self.json.clone()
    }
    fn __repr__(&self) -> String {
        format!(
            "CostReport(total_monthly_usd={}, lines={})",
            self.total_monthly_usd,
            self.lines.len()
        )
    }
}

impl From<&core::CostReport> for CostReport {
    fn from(r: &core::CostReport) -> Self {
        CostReport {
            lines: r
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
                .collect(),
            total_monthly_usd: r.total_monthly_usd,
            currency: r.currency.clone(),
            hours_per_month: r.hours_per_month,
            notes: r.notes.clone(),
            json: r.to_json(),
        }
    }
}

/// A dyno size as the Platform API lists it (`GET /dyno-sizes`).
#[pyclass(module = "dynoshift", frozen)]
#[derive(Debug, Clone)]
pub struct ApiDynoSize {
    /// Name, e.g. "Standard-2X".
    #[pyo3(get)]
    pub name: String,
    /// Memory in GB.
    #[pyo3(get)]
    pub memory_gb: f64,
    /// Compute units.
    #[pyo3(get)]
    pub compute: u32,
    /// Dedicated CPU.
    #[pyo3(get)]
    pub dedicated: bool,
    /// Price in cents per `cost_unit`, when Heroku lists one.
    #[pyo3(get)]
    pub cost_cents: Option<u64>,
    /// Unit of the price, e.g. "month".
    #[pyo3(get)]
    pub cost_unit: Option<String>,
    /// Generation name, e.g. "cedar".
    #[pyo3(get)]
    pub generation: Option<String>,
    json: String,
}

#[pymethods]
impl ApiDynoSize {
    /// The core's JSON for this entry.
    fn to_json(&self) -> String {
        self.json.clone()
    }
    fn __repr__(&self) -> String {
        format!(
            "ApiDynoSize(name={:?}, memory_gb={})",
            self.name, self.memory_gb
        )
    }
}

impl From<&core::ApiDynoSize> for ApiDynoSize {
    fn from(s: &core::ApiDynoSize) -> Self {
        ApiDynoSize {
            name: s.name.clone(),
            memory_gb: s.memory_gb,
            compute: s.compute,
            dedicated: s.dedicated,
            cost_cents: s.cost.as_ref().map(|c| c.cents),
            cost_unit: s.cost.as_ref().map(|c| c.unit.clone()),
            generation: s.generation.clone(),
            json: serde_json::to_string(s).expect("serialisable"),
        }
    }
}

/// Plain data in: a Python mapping (or `None`) as JSON text, through Python's own `json`.
pub fn json_text(py: Python<'_>, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => Ok(Some(
            py.import("json")?.call_method1("dumps", (v,))?.extract()?,
        )),
    }
}

/// Plain data out: the core's JSON text as Python dicts and lists.
pub fn from_json_text(py: Python<'_>, text: &str) -> PyResult<Py<PyAny>> {
    Ok(py.import("json")?.call_method1("loads", (text,))?.unbind())
}
