//! Files generated from the core's declarations, checked against the committed copies: a
//! declaration changed without regenerating fails here. `make generate` (this file's tests with
//! `DYNOSHIFT_BLESS=1`) rewrites them.
//!
//! - `python/dynoshift/exceptions.py`: one class per [`ErrorKind`], named and documented by the
//!   core's table (`core/src/error.rs`).
//! - `tests/api-surface.json`'s `error_kinds`: the contract, checked against the same table.
//! - The fields of the result types declared in `core/src/results.rs`: the marked region of each
//!   class in `python/dynoshift/_dynoshift.pyi`, `bindings/ruby/sig/results.rbs` (whole), and
//!   the getters napi writes into `node/index.d.ts` from the same declaration (checked, since
//!   `make build-node` writes that file).

use std::path::{Path, PathBuf};

use dynoshift::ErrorKind;
use dynoshift::results::{ResultDecl, declarations};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Compares `generated` with the committed file at `relative` (or writes it when blessing).
pub(crate) fn check_generated(relative: &str, generated: &str) {
    let path = repo().join(relative);
    if std::env::var_os("DYNOSHIFT_BLESS").is_some() {
        // Through a rename: another test may be reading the same file meanwhile (`make generate`
        // runs one test at a time, as two of them rewrite parts of the same file).
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let fresh = path.with_extension(format!("generated-tmp-{n}"));
        std::fs::write(&fresh, generated).unwrap();
        std::fs::rename(&fresh, &path).unwrap();
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

/// How a language writes the declared field types: `String`, `f64`, integers and `bool`, then
/// `Option<T>` and `Vec<T>` around the rendered `T` (`{}` marks where it goes).
type Syntax = ([&'static str; 4], &'static str, &'static str);

const PYTHON: Syntax = (["str", "float", "int", "bool"], "Optional[{}]", "list[{}]");
const TYPESCRIPT: Syntax = (
    ["string", "number", "number", "boolean"],
    "{} | null",
    "Array<{}>",
);
const RBS: Syntax = (["String", "Float", "Integer", "bool"], "{}?", "Array[{}]");

/// A declared Rust field type (`Option<Vec<String>>`) in the language of `syntax`; another
/// declared result type is written by its name.
fn lang_type(rust: &str, syntax: Syntax) -> String {
    let ([string, float, int, boolean], option, list) = syntax;
    if let Some(inner) = rust
        .strip_prefix("Option<")
        .and_then(|r| r.strip_suffix('>'))
    {
        option.replace("{}", &lang_type(inner, syntax))
    } else if let Some(inner) = rust.strip_prefix("Vec<").and_then(|r| r.strip_suffix('>')) {
        list.replace("{}", &lang_type(inner, syntax))
    } else {
        match rust {
            "String" => string,
            "f64" => float,
            "u32" | "u64" | "i64" | "usize" => int,
            "bool" => boolean,
            other if declarations().iter().any(|d| d.name == other) => other,
            other => panic!("core/src/results.rs: no mapping for the field type {other}"),
        }
        .to_owned()
    }
}

fn camel(snake: &str) -> String {
    let mut parts = snake.split('_');
    let first = parts.next().unwrap_or_default().to_owned();
    parts.fold(first, |acc, p| acc + &p[..1].to_uppercase() + &p[1..])
}

/// The generated region of `decl`'s class in the `.pyi`.
fn pyi_fields(decl: &ResultDecl) -> String {
    let mut out = format!(
        "    # generated: the fields of {} (core/src/results.rs; make generate)\n",
        decl.name
    );
    for f in &decl.fields {
        out += &format!(
            "    @property\n    def {}(self) -> {}:\n        \"\"\"{}\"\"\"\n",
            f.name,
            lang_type(&f.rust_type, PYTHON),
            f.doc
        );
    }
    out + "    # end generated\n"
}

/// `text` with the marked region of each declared class replaced by what the declaration gives.
fn with_pyi_regions(text: &str, decls: &[ResultDecl]) -> String {
    let mut out = text.to_owned();
    for decl in decls {
        let head = format!("class {}:\n", decl.name);
        let start = out
            .find(&head)
            .unwrap_or_else(|| panic!("_dynoshift.pyi has no `class {}:`", decl.name))
            + head.len();
        let end_marker = "    # end generated\n";
        let end = out[start..]
            .find(end_marker)
            .filter(|&i| out[start..start + i].starts_with("    # generated: "))
            .unwrap_or_else(|| {
                panic!(
                    "_dynoshift.pyi: class {} must open with the `# generated: ...` / `# end \
                     generated` lines",
                    decl.name
                )
            })
            + start
            + end_marker.len();
        out.replace_range(start..end, &pyi_fields(decl));
    }
    out
}

#[test]
fn python_stubs_carry_the_declared_result_fields() {
    let path = "python/dynoshift/_dynoshift.pyi";
    let committed = std::fs::read_to_string(repo().join(path)).unwrap();
    check_generated(path, &with_pyi_regions(&committed, &declarations()));
}

fn ruby_signatures(decls: &[ResultDecl]) -> String {
    let mut out = String::from(
        "# Generated from core/src/results.rs by core/tests/generated.rs; do not edit: change the\n\
         # declaration and run `make generate`. The readers of the declared result types (the\n\
         # binding's own methods, such as #to_json, are not listed).\nmodule Dynoshift\n",
    );
    for decl in decls {
        out += &format!("  # {}\n  class {}\n", decl.doc, decl.name);
        for f in &decl.fields {
            out += &format!(
                "    # {}\n    def {}: () -> {}\n",
                f.doc,
                f.name,
                lang_type(&f.rust_type, RBS)
            );
        }
        out += "  end\n";
    }
    out + "end\n"
}

#[test]
fn ruby_signatures_are_generated_from_the_declared_result_fields() {
    check_generated(
        "bindings/ruby/sig/results.rbs",
        &ruby_signatures(&declarations()),
    );
}

/// napi writes `index.d.ts` from the binding's expansion of the same declarations: each declared
/// class opens with the declared getters, documented as declared; a declared record (a plain
/// object, `#[napi(object)]`) is an interface with the same fields (optional ones as `name?:`).
#[test]
fn node_declarations_carry_the_declared_result_fields() {
    let dts = std::fs::read_to_string(repo().join("node/index.d.ts")).unwrap();
    for decl in declarations() {
        let record = dts.contains(&format!("export interface {} {{", decl.name));
        let mut expected = if record {
            format!("/** {} */\nexport interface {} {{\n", decl.doc, decl.name)
        } else {
            format!(
                "/** {} */\nexport declare class {} {{\n",
                decl.doc, decl.name
            )
        };
        for f in &decl.fields {
            let ts = f.typescript.map(str::to_owned);
            let optional = f
                .rust_type
                .strip_prefix("Option<")
                .and_then(|t| t.strip_suffix('>'));
            expected += &match (record, optional) {
                (true, Some(inner)) => format!(
                    "  /** {} */\n  {}?: {}\n",
                    f.doc,
                    camel(f.name),
                    ts.unwrap_or_else(|| lang_type(inner, TYPESCRIPT))
                ),
                (true, None) => format!(
                    "  /** {} */\n  {}: {}\n",
                    f.doc,
                    camel(f.name),
                    ts.unwrap_or_else(|| lang_type(&f.rust_type, TYPESCRIPT))
                ),
                (false, _) => format!(
                    "  /** {} */\n  get {}(): {}\n",
                    f.doc,
                    camel(f.name),
                    ts.unwrap_or_else(|| lang_type(&f.rust_type, TYPESCRIPT))
                ),
            };
        }
        assert!(
            dts.contains(&expected),
            "node/index.d.ts does not declare {} as core/src/results.rs does; run `make \
             build-node` and commit node/index.d.ts. Expected:\n{expected}",
            decl.name
        );
    }
}

/// The names Python's `dynoshift/_aio.py` wraps (coroutines over the native calls): imported
/// from there rather than from the native module.
const PYTHON_AIO: [&str; 2] = ["HerokuClient", "preflight"];
/// Native helpers the stubs declare (pyo3 lists them in the module's `__all__`) but the package
/// does not export.
const PYTHON_NATIVE_PRIVATE: [&str; 1] = ["_plans_from_heroku_app"];

/// Python's public names, sorted: the api surface's functions and classes, and the declared
/// result types (records such as `Finding` are plain classes in Python).
fn python_public_names() -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("tests/api-surface.json")).unwrap();
    let surface: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut names: Vec<String> = surface["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .chain(surface["classes"].as_object().unwrap().keys().cloned())
        .chain(declarations().iter().map(|d| d.name.to_owned()))
        .collect();
    names.sort();
    names.dedup();
    names
}

fn quoted_list(names: &[String], indent: &str) -> String {
    names
        .iter()
        .map(|n| format!("{indent}\"{n}\",\n"))
        .collect()
}

/// `python/dynoshift/__init__.py`: its docstring as committed, then the imports and `__all__`.
fn python_init(committed: &str) -> String {
    let doc_end = committed
        .find("\n# Generated")
        .or_else(|| committed.find("\nfrom ."))
        .expect("__init__.py opens with its docstring")
        + 1;
    let public = python_public_names();
    let native: Vec<&String> = public
        .iter()
        .filter(|n| !PYTHON_AIO.contains(&n.as_str()))
        .collect();
    let errors: Vec<String> = std::iter::once("DynoshiftError")
        .chain(ErrorKind::ALL.iter().map(|k| k.class_name()))
        .map(str::to_owned)
        .collect();
    let mut out = committed[..doc_end].to_owned();
    out += "# Generated from tests/api-surface.json, the declared result types (core/src/results.rs)\n\
            # and the error kinds (core/src/error.rs) by core/tests/generated.rs; do not edit below:\n\
            # change those and run `make generate`.\n\nfrom ._dynoshift import (\n    __version__,\n";
    out += &native
        .iter()
        .map(|n| format!("    {n},\n"))
        .collect::<String>();
    out += &format!(
        ")\nfrom ._aio import {}\nfrom .exceptions import (\n",
        PYTHON_AIO.join(", ")
    );
    out += &errors
        .iter()
        .map(|n| format!("    {n},\n"))
        .collect::<String>();
    out += ")\n\n__all__ = [\n    \"__version__\",\n";
    out += &quoted_list(&public, "    ");
    out += &quoted_list(&errors, "    ");
    out + "]\n"
}

#[test]
fn python_exports_are_generated_from_the_api_surface() {
    let path = "python/dynoshift/__init__.py";
    let committed = std::fs::read_to_string(repo().join(path)).unwrap();
    check_generated(path, &python_init(&committed));
}

/// The stubs' `__all__`: what the native module exports (pyo3 writes the module's `__all__`
/// from what `bindings/python/src/lib.rs` registers; mypy's stubtest, in `make test-python`,
/// compares the two).
#[test]
fn python_stub_exports_are_generated_from_the_api_surface() {
    let path = "python/dynoshift/_dynoshift.pyi";
    let committed = std::fs::read_to_string(repo().join(path)).unwrap();
    // The list sits just before `__version__: str` (written there when missing).
    let (start, end) = match committed.find("__all__ = [\n") {
        Some(all) => (all, all + committed[all..].find("]\n\n").unwrap() + 3),
        None => {
            let at = committed
                .find("\n__version__: str\n")
                .expect("the stubs declare __version__")
                + 1;
            (at, at)
        }
    };
    let mut names = python_public_names();
    names.extend(PYTHON_NATIVE_PRIVATE.iter().map(|n| (*n).to_owned()));
    let list = format!(
        "__all__ = [\n    \"__version__\",\n{}]\n\n",
        quoted_list(&names, "    ")
    );
    let mut generated = committed.clone();
    generated.replace_range(start..end, &list);
    check_generated(path, &generated);
}

/// `tests/api-surface.json` with each declared class's `properties` opening with its declared
/// fields, in order (the binding's own properties, such as `policy`, follow as listed).
fn surface_with_declared_properties(text: &str) -> String {
    let mut out = text.to_owned();
    for decl in declarations() {
        let Some(class) = out.find(&format!("\n    \"{}\": {{\n", decl.name)) else {
            continue; // a record (`Finding`): a plain object in Node, not in the surface
        };
        let class_end = class + out[class..].find("\n    }").unwrap();
        let Some(start) = out[class..class_end].find("\"properties\": [") else {
            panic!("tests/api-surface.json: {} has no properties", decl.name);
        };
        let start = class + start + "\"properties\": [".len();
        let end = start + out[start..].find(']').unwrap();
        let listed: Vec<String> = out[start..end]
            .split(',')
            .map(|p| p.trim().trim_matches('"').to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        let declared = decl.fields.iter().map(|f| f.name.to_owned());
        let own = listed
            .into_iter()
            .filter(|p| !decl.fields.iter().any(|f| f.name == p));
        let names: Vec<String> = declared.chain(own).map(|p| format!("\"{p}\"")).collect();
        out.replace_range(
            start..end,
            &format!("\n        {}\n      ", names.join(",\n        ")),
        );
    }
    out
}

#[test]
fn the_api_surface_lists_the_declared_fields() {
    let path = "tests/api-surface.json";
    let committed = std::fs::read_to_string(repo().join(path)).unwrap();
    check_generated(path, &surface_with_declared_properties(&committed));
}
