//! The read-only result types every binding exposes, declared once: each type's documentation and
//! its fields (name, type, documentation, and how the value is read from the core type).
//!
//! Each binding expands a declaration its own way (`dynoshift::result_type!(DynoSize =>
//! py_result { ...binding-only methods... })`: a pyo3 class, a napi class, a uniffi object, each
//! holding the core value as `inner`, with one getter per field and a `From<&CoreType>`), and the
//! Python `.pyi`, Node `index.d.ts` and Ruby `.rbs` text of the fields is generated from
//! [`declarations`] and drift-checked by `core/tests/generated.rs` (`make generate` rewrites it).
//! Adding a field to a result type is one line here plus `make generate`.
//!
//! Field types are the ones every binding carries as they are: `String`, `f64`, `u32`, `bool`,
//! and `Option`/`Vec` of them. Fields of another result type (a report's lines) stay in each
//! binding for now.

/// Expands the declaration of one result type into `$expand! { ... }` (the binding's own macro),
/// with `{ $extra }` (the binding's own methods) passed through. The shape is
/// `#[doc = "..."] Name: CoreType { extra }  #[doc = "..."] field: Type = |value| expression;`.
/// The docs are `#[doc = "..."]` rather than `///`: a `///` comment reaches the bindings' macros
/// as a raw string token, which napi would copy into `index.d.ts` as `r" ..."`.
#[macro_export]
macro_rules! result_type {
    (DynoSize => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "A Heroku dyno size."]
            DynoSize: $crate::DynoSize { $($extra)* }
            #[doc = "Canonical name, e.g. `Standard-2X`."]
            name: String = |s| s.name.clone();
            #[doc = "`cedar` or `fir`."]
            generation: String = |s| $crate::units::wire_name(&s.generation);
            #[doc = "Memory quota in MiB."]
            memory_mb: f64 = |s| s.memory_mb;
            #[doc = "`shared` or `dedicated`."]
            cpu_kind: String = |s| s.cpu_kind().to_owned();
            #[doc = "Shared multiplier (1, 2) or dedicated vCPUs."]
            cpu: f64 = |s| s.cpu_count();
            #[doc = "R15 hard-kill factor, if known."]
            r15_factor: Option<f64> = |s| s.r15_factor;
            #[doc = "List price per dyno per month (none: pool or contract pricing)."]
            list_monthly_usd: Option<f64> = |s| s.list_monthly_usd();
            #[doc = "`per_dyno`, `pool` or `contract`."]
            pricing: String = |s| $crate::units::wire_name(&s.pricing);
            #[doc = "Caveat or legacy-name note."]
            note: Option<String> = |s| s.note.clone();
        }
    };
    (CostLine => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "The cost of one process type."]
            CostLine: $crate::CostLine { $($extra)* }
            #[doc = "Process type."]
            process_type: String = |l| l.process_type.clone();
            #[doc = "Canonical dyno size."]
            size: String = |l| l.size.clone();
            #[doc = "Dynos."]
            quantity: u32 = |l| l.quantity;
            #[doc = "USD per dyno per month."]
            unit_monthly_usd: f64 = |l| l.unit_monthly_usd;
            #[doc = "USD per month."]
            monthly_usd: f64 = |l| l.monthly_usd;
            #[doc = "`list`, `override` or `pool`."]
            price_source: String = |l| $crate::units::wire_name(&l.price_source);
            #[doc = "How the number was reached."]
            note: Option<String> = |l| l.note.clone();
        }
    };
    (CostReport => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "A formation's monthly Heroku bill (`lines`: one per process type)."]
            CostReport: $crate::CostReport { $($extra)* }
            #[doc = "USD per month."]
            total_monthly_usd: f64 = |r| r.total_monthly_usd;
            #[doc = "`USD`."]
            currency: String = |r| r.currency.clone();
            #[doc = "Hours in a billing month (720)."]
            hours_per_month: f64 = |r| r.hours_per_month;
            #[doc = "Caveats for the whole report."]
            notes: Vec<String> = |r| r.notes.clone();
        }
    };
    (CutoverOutcome => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "How a run ended."]
            CutoverOutcome: $crate::Outcome { $($extra)* }
            #[doc = "`promoted`, `rolled_back` or `paused`."]
            status: String = |o| o.status().to_owned();
            #[doc = "Why it rolled back or paused (none when promoted)."]
            reason: Option<String> = |o| o.reason().map(str::to_owned);
        }
    };
    (PreflightReport => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "The read-only preflight report (`findings`: its errors and warnings)."]
            PreflightReport: $crate::PreflightReport { $($extra)* }
            #[doc = "True when nothing blocks a run."]
            ok: bool = |r| r.ok;
            #[doc = "The zone's id, if found."]
            zone_id: Option<String> = |r| r.zone.as_ref().map(|z| z.id.clone());
            #[doc = "The zone's name, if found."]
            zone_name: Option<String> = |r| r.zone.as_ref().map(|z| z.name.clone());
        }
    };
    (DrainReport => $expand:ident { $($extra:tt)* }) => {
        $expand! {
            #[doc = "The drain verdict: requests per minute still reaching Heroku per hostname over the plan's window, and whether they stayed at or under its threshold."]
            DrainReport: $crate::cutover::DrainReport { $($extra)* }
            #[doc = "True only when every hostname stayed at or under `max_rpm` for the whole window and the input covers it."]
            drained: bool = |r| r.drained;
            #[doc = "Why (not), in one sentence."]
            reason: String = |r| r.reason.clone();
            #[doc = "Whether the input covers the whole window."]
            covered: bool = |r| r.covered;
        }
    };
}

/// The class every binding makes of a declaration: the core value as `inner`, one getter per
/// field (`$getter_attr`: `#[getter]`, `#[napi(getter)]` or nothing), the binding's own methods,
/// and a `From<&CoreType>`. A binding's expander forwards the declaration here with its own
/// attributes: `[struct attributes] [impl attributes] [getter attributes] declaration...`.
#[macro_export]
macro_rules! result_class {
    (
        [$($struct_attr:tt)*] [$($impl_attr:tt)*] [$($getter_attr:tt)*]
        $(#[doc = $doc:tt])* $name:ident : $core:ty { $($extra:tt)* }
        $($fields:tt)*
    ) => {
        $crate::result_class! {
            @getters [$($getter_attr)*] []
            [$(#[doc = $doc])* $($struct_attr)* pub struct $name] [$($impl_attr)* impl $name]
            [$name] [$core] [$($extra)*]
            $($fields)*
        }
    };
    // One field at a time into the accumulated getters (the getter attributes, given once, are
    // repeated per field here: a macro cannot repeat them inside the fields' repetition).
    (
        @getters [$($g:tt)*] [$($done:tt)*] [$($st:tt)*] [$($im:tt)*] [$name:ident] [$core:ty]
        [$($extra:tt)*]
        $(#[doc = $fdoc:tt])* $field:ident : $ty:ty = |$v:ident| $get:expr;
        $($rest:tt)*
    ) => {
        $crate::result_class! {
            @getters [$($g)*]
            [
                $($done)*
                $(#[doc = $fdoc])*
                $($g)*
                pub fn $field(&self) -> $ty {
                    let $v = &self.inner;
                    $get
                }
            ]
            [$($st)*] [$($im)*] [$name] [$core] [$($extra)*]
            $($rest)*
        }
    };
    (
        @getters [$($g:tt)*] [$($done:tt)*] [$($st:tt)*] [$($im:tt)*] [$name:ident] [$core:ty]
        [$($extra:tt)*]
    ) => {
        $($st)* {
            pub(crate) inner: $core,
        }

        $($im)* {
            $($done)*
            $($extra)*
        }

        impl From<&$core> for $name {
            fn from(inner: &$core) -> Self {
                $name {
                    inner: inner.clone(),
                }
            }
        }
    };
}

/// Calls `$each!(Name)` for every declared result type.
#[macro_export]
macro_rules! all_result_types {
    ($each:ident) => {
        $each!(DynoSize);
        $each!(CostLine);
        $each!(CostReport);
        $each!(CutoverOutcome);
        $each!(PreflightReport);
        $each!(DrainReport);
    };
}

/// One declared result type, as data (for the generated stubs and docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultDecl {
    /// The class name in every language.
    pub name: &'static str,
    /// Its documentation.
    pub doc: String,
    /// Its fields, in order.
    pub fields: Vec<FieldDecl>,
}

/// One field of a [`ResultDecl`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDecl {
    /// The snake_case name (Node shows it in camelCase).
    pub name: &'static str,
    /// The Rust type as written in the declaration (`Option<f64>`).
    pub rust_type: String,
    /// Its documentation.
    pub doc: String,
}

/// The documentation lines of a declaration joined into one text (each `///` line, trimmed).
fn doc_text(lines: &[&str]) -> String {
    lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ")
}

macro_rules! describe {
    (
        $(#[doc = $doc:tt])* $name:ident : $core:ty { $($extra:tt)* }
        $( $(#[doc = $fdoc:tt])* $field:ident : $ty:ty = |$v:ident| $get:expr; )*
    ) => {
        ResultDecl {
            name: stringify!($name),
            doc: doc_text(&[$($doc),*]),
            fields: vec![$(FieldDecl {
                name: stringify!($field),
                rust_type: stringify!($ty).replace(' ', ""),
                doc: doc_text(&[$($fdoc),*]),
            }),*],
        }
    };
}

/// Every declared result type, in declaration order.
pub fn declarations() -> Vec<ResultDecl> {
    let mut out = Vec::new();
    macro_rules! push {
        ($name:ident) => {
            out.push(result_type!($name => describe {}));
        };
    }
    all_result_types!(push);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_are_documented_and_typed() {
        let decls = declarations();
        assert_eq!(
            decls.iter().map(|d| d.name).collect::<Vec<_>>(),
            [
                "DynoSize",
                "CostLine",
                "CostReport",
                "CutoverOutcome",
                "PreflightReport",
                "DrainReport"
            ]
        );
        for d in &decls {
            assert!(d.doc.ends_with('.'), "{}", d.name);
            for f in &d.fields {
                assert!(
                    f.doc.ends_with('.') || f.doc.ends_with(')'),
                    "{}.{}",
                    d.name,
                    f.name
                );
                assert!(!f.rust_type.contains(' '), "{}", f.rust_type);
            }
        }
        let size = &decls[0].fields[5];
        assert_eq!(
            (size.name, size.rust_type.as_str()),
            ("r15_factor", "Option<f64>")
        );
    }

    /// The accessors compile against the core types (the bindings compile them again).
    #[test]
    fn accessors_read_the_core_values() {
        macro_rules! check {
            (
                $(#[doc = $doc:tt])* $name:ident : $core:ty { $($extra:tt)* }
                $( $(#[doc = $fdoc:tt])* $field:ident : $ty:ty = |$v:ident| $get:expr; )*
            ) => {
                fn read(value: &$core) -> Vec<String> {
                    vec![$({
                        let $v = value;
                        let got: $ty = $get;
                        format!("{}={:?}", stringify!($field), got)
                    }),*]
                }
            };
        }
        result_type!(DynoSize => check {});
        let fields = read(&crate::DynoSize::lookup("standard-2x").unwrap());
        assert!(
            fields.contains(&"cpu_kind=\"shared\"".to_owned()),
            "{fields:?}"
        );
        assert!(
            fields.contains(&"list_monthly_usd=Some(50.0)".to_owned()),
            "{fields:?}"
        );
    }
}
