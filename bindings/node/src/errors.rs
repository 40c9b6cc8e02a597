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

/// Builds the JS `Error` for `err` on the JS thread (used where napi's async machinery only
/// carries `napi::Error<Status>`): the object's `code` is set to the kind, and napi rejects the
/// promise with that very object.
pub fn js_error_object(env: &napi::Env, err: Error) -> napi::Error {
    use napi::bindgen_prelude::{JsObjectValue, JsValue};
    let build = || -> napi::Result<napi::Error> {
        let mut object = env.create_error(napi::Error::new(
            napi::Status::GenericFailure,
            err.to_string(),
        ))?;
        object.set_named_property("code", err.kind().as_str())?;
        Ok(napi::Error::from(object.to_unknown()))
    };
    build().unwrap_or_else(|e| e)
}

/// Runs a core future on napi's tokio runtime and settles a Promise on the JS thread, rejecting
/// with an `Error` whose `code` is the kind.
pub fn promise<'env, T, V, F>(
    env: &'env napi::Env,
    future: F,
    convert: impl FnOnce(T) -> V + 'static,
) -> napi::Result<napi::bindgen_prelude::PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: napi::bindgen_prelude::ToNapiValue,
    F: std::future::Future<Output = std::result::Result<T, Error>> + Send + 'static,
{
    env.spawn_future_with_callback(
        async move { Ok(future.await) },
        move |env, result| match result {
            Ok(value) => Ok(convert(value)),
            Err(err) => Err(js_error_object(env, err)),
        },
    )
}
