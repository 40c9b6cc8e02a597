//! Core values → uniffi objects and records. Result objects keep the core value and offer
//! `to_json` (the core's own JSON) next to typed readers.

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

dynoshift::result_type!(Process => rb_record {});

dynoshift::result_type!(CostLine => rb_result {});

dynoshift::result_type!(CostReport => rb_result {
    /// The core's JSON for this report.
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
});

dynoshift::result_type!(ApiDynoSize => rb_result {
    /// The core's JSON for this entry.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.inner).unwrap_or_default()
    }
});
