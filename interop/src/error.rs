//! The one error type of the interop binary.

use rocketmq_client_rust::ClientError;

/// Why a scenario could not run or did not verify.
#[derive(Debug, thiserror::Error)]
pub enum InteropError {
    /// Bad command line.
    #[error("{0}")]
    Usage(String),
    /// The client runtime could not be set up.
    #[error("client runtime: {0}")]
    Runtime(String),
    /// A client call failed; the message adds the client's diagnostic fields (broker response
    /// code, broker address, operation) and the cause chain.
    #[error("{step}: {source}{}", diagnostics(source))]
    Client {
        /// What the scenario was doing.
        step: String,
        /// The client's error.
        #[source]
        source: ClientError,
    },
    /// The calls succeeded but the outcome was wrong.
    #[error("verification failed: {0}")]
    Verify(String),
}

/// Attaches the scenario step to a client error.
pub trait StepContext<T> {
    /// Names the step that failed.
    fn step(self, step: impl Into<String>) -> Result<T, InteropError>;
}

impl<T> StepContext<T> for Result<T, ClientError> {
    fn step(self, step: impl Into<String>) -> Result<T, InteropError> {
        self.map_err(|source| InteropError::Client {
            step: step.into(),
            source,
        })
    }
}

/// ` [name=value ...] caused by: ...` for a client error: the fields its diagnostic view exposes
/// (the broker's remark is redacted by the client; only its presence is shown) and its sources.
fn diagnostics(error: &ClientError) -> String {
    use rocketmq_error::ViewValueRef;
    let mut out = String::new();
    if let Ok(view) = error.shared_error().diagnostic_view() {
        let fields: Vec<String> = view
            .fields()
            .map(|f| {
                let value = match f.value() {
                    ViewValueRef::Text(t) => t.to_owned(),
                    ViewValueRef::I64(v) => v.to_string(),
                    ViewValueRef::U64(v) => v.to_string(),
                    ViewValueRef::Bool(v) => v.to_string(),
                    _ => "<redacted>".to_owned(),
                };
                format!("{}={value}", f.name())
            })
            .collect();
        if !fields.is_empty() {
            out.push_str(&format!(" [{}]", fields.join(" ")));
        }
    }
    let mut cause = std::error::Error::source(error.shared_error().as_ref());
    while let Some(c) = cause {
        out.push_str(&format!(" caused by: {c}"));
        cause = c.source();
    }
    out
}
