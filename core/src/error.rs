//! One error type for the whole library, and the small stable vocabulary of kinds that every
//! language binding exposes.
//!
//! Callers branch on [`ErrorKind`] only. The message is for people: it says what was wrong and
//! what to do about it, and it never contains a secret (tokens and keys are redacted before an
//! error is built).

use std::fmt;

/// The one list of error kinds: variant, shared snake_case name, exception class name (Python,
/// Ruby) and the documentation every language shows. The enum, [`ErrorKind::ALL`],
/// [`ErrorKind::as_str`], [`ErrorKind::class_name`] and [`ErrorKind::doc`] are expanded from it;
/// the bindings and the generated `python/dynoshift/exceptions.py` read those, never a list of
/// their own (`core/tests/generated.rs` checks the generated file and `tests/api-surface.json`).
macro_rules! error_kinds {
    ($($(#[doc = $doc:literal])+ $variant:ident = $name:literal, $class:literal;)+) => {
        /// The stable, language-neutral category of an [`Error`].
        ///
        /// The snake_case names (`invalid_input`, ...) are part of the public contract: Python
        /// exposes them as `DynoshiftError.kind`, Node as `err.code`, Ruby as `#kind`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorKind {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl ErrorKind {
            /// Every kind, in a stable order (used by the bindings and their API-surface tests).
            pub const ALL: [ErrorKind; [$($name),+].len()] = [$(ErrorKind::$variant),+];

            /// The snake_case name shared by every language.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorKind::$variant => $name,)+
                }
            }

            /// The exception class of this kind in Python and Ruby (`InvalidInputError`, ...).
            pub fn class_name(self) -> &'static str {
                match self {
                    $(ErrorKind::$variant => $class,)+
                }
            }

            /// What the kind means and what to do, in one or more sentences (the class's doc).
            pub fn doc(self) -> &'static str {
                match self {
                    $(ErrorKind::$variant => concat!($($doc),+).trim_ascii(),)+
                }
            }
        }
    };
}

error_kinds! {
    /// The caller passed something malformed or out of range. Fix the input and call again.
    InvalidInput = "invalid_input", "InvalidInputError";
    /// A named thing (zone, record, app, file) does not exist.
    NotFound = "not_found", "NotFoundError";
    /// The world is not in the state the operation expected (record exists, lock held, drift).
    Conflict = "conflict", "ConflictError";
    /// A remote API rate-limited us and retries were exhausted. Wait and try again.
    Throttled = "throttled", "ThrottledError";
    /// Something did not answer in time.
    Timeout = "timeout", "TimeoutError";
    /// A remote service could not be reached or answered with a server error.
    Unavailable = "unavailable", "UnavailableError";
    /// Credentials are missing, wrong or lack a permission.
    Unauthorized = "unauthorized", "UnauthorizedError";
    /// The request is well formed but cannot be satisfied (e.g. a pod larger than every node).
    Infeasible = "infeasible", "InfeasibleError";
    /// A health gate judged the new side unhealthy.
    Unhealthy = "unhealthy", "UnhealthyError";
    /// A bug in dynoshift. Please report it with the message.
    Internal = "internal", "InternalError";
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A dynoshift error: a kind, a human message, and an optional context path (for example
/// `formation.web.quantity`) that says where in the input the problem is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    context: Option<String>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.context {
            Some(at) => write!(f, "{at}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl Error {
    /// Builds an error of `kind` with a message that should say what to do.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            context: None,
        }
    }

    /// Shorthand for [`ErrorKind::InvalidInput`].
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, message)
    }

    /// Shorthand for [`ErrorKind::Internal`].
    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Internal, message)
    }

    /// Prefixes the location in the input (`a.b` then `c` gives `a.b.c` if called inner-first).
    pub fn at(mut self, location: impl AsRef<str>) -> Self {
        let location = location.as_ref();
        self.context = Some(match self.context.take() {
            Some(inner) => format!("{location}.{inner}"),
            None => location.to_owned(),
        });
        self
    }

    /// The stable category to branch on.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human message, without the location prefix.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where in the input the problem is, if known.
    pub fn context(&self) -> Option<&str> {
        self.context.as_deref()
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialise_to_their_shared_names() {
        for kind in ErrorKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            let back: ErrorKind = serde_json::from_str(&json).unwrap();
            assert_eq!(back, kind);
        }
    }

    #[test]
    fn context_nests_outer_first() {
        let err = Error::invalid_input("must be >= 0")
            .at("quantity")
            .at("web");
        assert_eq!(err.context(), Some("web.quantity"));
        assert_eq!(err.to_string(), "web.quantity: must be >= 0");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn class_names_are_the_camel_case_kind_and_docs_are_sentences() {
        // Ruby derives the class from the kind this way; the table must agree with it.
        for kind in ErrorKind::ALL {
            let camel: String = kind
                .as_str()
                .split('_')
                .map(|w| w[..1].to_uppercase() + &w[1..])
                .collect();
            assert_eq!(kind.class_name(), format!("{camel}Error"));
            assert!(
                kind.doc().ends_with('.') && !kind.doc().starts_with(' '),
                "{kind}"
            );
        }
        assert_eq!(ErrorKind::ALL.len(), 10);
        assert_eq!(
            ErrorKind::Timeout.doc(),
            "Something did not answer in time."
        );
    }
}
