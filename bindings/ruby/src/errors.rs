//! Core errors → one uniffi error carrying the kind. The Ruby wrapper (`lib/dynoshift.rb`) turns
//! it into `Dynoshift::<Kind>Error` (the class named by the core's `ErrorKind::class_name`), so
//! no list of kinds lives here.

use dynoshift::{Error, ErrorKind};

/// A dynoshift error: `kind` is the shared snake_case kind; `message` says what to do;
/// `context` says where in the input the problem is.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum FfiError {
    /// Any dynoshift error.
    #[error("{message}")]
    Failed {
        kind: String,
        message: String,
        context: Option<String>,
    },
}

impl From<Error> for FfiError {
    fn from(err: Error) -> Self {
        // The message as people read it elsewhere (`context: message`), plus the context alone.
        FfiError::Failed {
            kind: err.kind().as_str().to_owned(),
            message: err.to_string(),
            context: err.context().map(str::to_owned),
        }
    }
}

/// An exception raised by a Ruby callback (the event listener) that is not a dynoshift error.
impl From<uniffi::UnexpectedUniFFICallbackError> for FfiError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        FfiError::from(Error::new(
            ErrorKind::Internal,
            format!("callback raised {}", e.reason),
        ))
    }
}

/// `Result` of every exported call.
pub type Result<T> = std::result::Result<T, FfiError>;
