//! Files generated from the core's declarations, checked against the committed copies: a
//! declaration changed without regenerating fails here. `make generate` (this file's tests with
//! `DYNOSHIFT_BLESS=1`) rewrites them.
//!
//! - `python/dynoshift/exceptions.py`: one class per [`ErrorKind`], named and documented by the
//!   core's table (`core/src/error.rs`).
//! - `tests/api-surface.json`'s `error_kinds`: the contract, checked against the same table.

use std::path::{Path, PathBuf};

use dynoshift::ErrorKind;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Compares `generated` with the committed file at `relative` (or writes it when blessing).
pub(crate) fn check_generated(relative: &str, generated: &str) {
    let path = repo().join(relative);
    if std::env::var_os("DYNOSHIFT_BLESS").is_some() {
        std::fs::write(&path, generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "{relative} is not what the core's declarations generate (first difference at line {}); \
             run `make generate` and commit the result",
            line + 1
        );
    }
}

/// Python-only base classes beside `DynoshiftError`, so that callers may catch the built-in
/// category (`except ValueError`). Only the kinds with one are listed.
fn python_extra_base(kind: ErrorKind) -> Option<&'static str> {
    match kind {
        ErrorKind::InvalidInput => Some("ValueError"),
        ErrorKind::NotFound => Some("LookupError"),
        ErrorKind::Timeout => Some("builtins.TimeoutError"),
        ErrorKind::Unavailable => Some("ConnectionError"),
        ErrorKind::Unauthorized => Some("PermissionError"),
        _ => None,
    }
}

fn python_exceptions() -> String {
    let mut out = String::from(
        r#"# Generated from the core's ErrorKind table (core/src/error.rs) by core/tests/generated.rs;
# do not edit: change the table and run `make generate`.
"""The exceptions dynoshift raises: one class per stable error kind.

Branch on the class (or on ``.kind``, the same snake_case string in every language); the message
is for people and says what to do.
"""

from __future__ import annotations

import builtins
from typing import Optional

__all__ = [
    "DynoshiftError",
"#,
    );
    for kind in ErrorKind::ALL {
        out += &format!("    \"{}\",\n", kind.class_name());
    }
    out += r#"]


class DynoshiftError(Exception):
    """Base class of every dynoshift error."""

    kind: str = "internal"
    #: Where in the input the problem is (for example ``web.quantity``), when known.
    context: Optional[str] = None
"#;
    for kind in ErrorKind::ALL {
        let bases = match python_extra_base(kind) {
            Some(extra) => format!("DynoshiftError, {extra}"),
            None => "DynoshiftError".to_owned(),
        };
        out += &format!(
            "\n\nclass {}({bases}):\n    \"\"\"{}\"\"\"\n\n    kind = \"{}\"\n",
            kind.class_name(),
            kind.doc(),
            kind.as_str()
        );
    }
    out
}

#[test]
fn python_exceptions_are_generated_from_the_error_kinds() {
    check_generated("python/dynoshift/exceptions.py", &python_exceptions());
}

#[test]
fn the_api_surface_lists_the_core_error_kinds_in_order() {
    // In file order (serde_json's map would sort the keys).
    let text = std::fs::read_to_string(repo().join("tests/api-surface.json")).unwrap();
    let start = text
        .find("\"error_kinds\": {")
        .expect("error_kinds in the surface");
    let block = &text[start..];
    let block = &block[block.find('{').unwrap() + 1..block.find('}').unwrap()];
    let listed: Vec<(String, String)> = block
        .split(',')
        .map(|pair| {
            let (k, v) = pair.split_once(':').unwrap();
            let unquote = |s: &str| s.trim().trim_matches('"').to_owned();
            (unquote(k), unquote(v))
        })
        .collect();
    let core: Vec<(String, String)> = ErrorKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), k.class_name().to_owned()))
        .collect();
    assert_eq!(listed, core);
}
