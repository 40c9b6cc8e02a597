//! Core errors → one uniffi error enum, one variant per `ErrorKind`. The Ruby wrapper
//! (`lib/dynoshift.rb`) turns each variant into `Dynoshift::<Kind>Error` with `#kind`.

use dynoshift::{Error, ErrorKind};

/// A dynoshift error: the variant is the kind; `message` says what to do; `context` says where
/// in the input the problem is.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum FfiError {
    /// invalid_input
    #[error("{message}")]
    InvalidInput {
        message: String,
        context: Option<String>,
    },
    /// not_found
    #[error("{message}")]
    NotFound {
        message: String,
        context: Option<String>,
    },
    /// conflict
    #[error("{message}")]
    Conflict {
        message: String,
        context: Option<String>,
    },
    /// throttled
    #[error("{message}")]
    Throttled {
        message: String,
        context: Option<String>,
    },
    /// timeout
    #[error("{message}")]
    Timeout {
        message: String,
        context: Option<String>,
    },
    /// unavailable
    #[error("{message}")]
    Unavailable {
        message: String,
        context: Option<String>,
    },
    /// unauthorized
    #[error("{message}")]
    Unauthorized {
        message: String,
        context: Option<String>,
    },
    /// infeasible
    #[error("{message}")]
    Infeasible {
        message: String,
        context: Option<String>,
    },
    /// unhealthy
    #[error("{message}")]
    Unhealthy {
        message: String,
        context: Option<String>,
    },
    /// internal
    #[error("{message}")]
    Internal {
        message: String,
        context: Option<String>,
    },
}

impl From<Error> for FfiError {
    fn from(err: Error) -> Self {
        // The message as people read it elsewhere (`context: message`), plus the context alone.
        let message = err.to_string();
        let context = err.context().map(str::to_owned);
        match err.kind() {
            ErrorKind::InvalidInput => FfiError::InvalidInput { message, context },
            ErrorKind::NotFound => FfiError::NotFound { message, context },
            ErrorKind::Conflict => FfiError::Conflict { message, context },
            ErrorKind::Throttled => FfiError::Throttled { message, context },
            ErrorKind::Timeout => FfiError::Timeout { message, context },
            ErrorKind::Unavailable => FfiError::Unavailable { message, context },
            ErrorKind::Unauthorized => FfiError::Unauthorized { message, context },
            ErrorKind::Infeasible => FfiError::Infeasible { message, context },
            ErrorKind::Unhealthy => FfiError::Unhealthy { message, context },
            ErrorKind::Internal => FfiError::Internal { message, context },
        }
    }
}

/// An exception raised by a Ruby callback (the event listener) that is not a dynoshift error.
impl From<uniffi::UnexpectedUniFFICallbackError> for FfiError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        FfiError::Internal {
            message: format!("callback raised {}", e.reason),
            context: None,
        }
    }
}

/// `Result` of every exported call.
pub type Result<T> = std::result::Result<T, FfiError>;
