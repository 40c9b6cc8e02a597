//! Core errors → JS errors whose `code` is the shared kind (`invalid_input`, ...).

use dynoshift::Error;

/// The kind name, used by napi as the thrown error's `code`.
#[derive(Debug, Clone, Copy)]
pub struct Code(&'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// Result type of every exported function.
pub type Result<T> = std::result::Result<T, napi::Error<Code>>;

/// Converts a core error; the message keeps the location prefix (`web.quantity: ...`).
pub fn to_js(err: Error) -> napi::Error<Code> {
    napi::Error::new(Code(err.kind().as_str()), err.to_string())
}

/// `core::Result` → `Result`.
pub trait IntoJs<T> {
    fn js_err(self) -> Result<T>;
}

impl<T> IntoJs<T> for std::result::Result<T, Error> {
    fn js_err(self) -> Result<T> {
        self.map_err(to_js)
    }
}
