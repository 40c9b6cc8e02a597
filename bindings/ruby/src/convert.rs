//! Core values → uniffi objects and records. Result objects keep the core value and offer
//! `to_json` (the core's own JSON) next to typed readers.

use std::sync::Arc;

use dynoshift as core;

/// A uniffi object from a result type declared in the core (`dynoshift::result_type!`): the
/// core value as `inner`, one reader per declared field, the binding's own methods, and a
/// `From<&CoreType>`.
macro_rules! rb_result {
    ($($declaration:tt)*) => {
        dynoshift::result_class! {
            class [#[derive(Debug, uniffi::Object)]] [#[uniffi::export]] [] [u64] [held] []
            $($declaration)*
        }
    };
}

/// A uniffi record (plain data, a Ruby object with readers) from a declared result type: one
/// public field per declared field, filled by a `From<&CoreType>`.
macro_rules! rb_record {
    ($($declaration:tt)*) => {
        dynoshift::result_class! {
            record [#[derive(Debug, Clone, uniffi::Record)]] [] [] [u64] [held] []
            $($declaration)*
        }
    };
}

dynoshift::result_type!(DynoSize => rb_result {
    /// The core's JSON for this size.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.inner).unwrap_or_default()
    }
});

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

dynoshift::result_type!(CostLine => rb_result {});

dynoshift::result_type!(CostReport => rb_result {
    /// The core's JSON for this report.
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

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
