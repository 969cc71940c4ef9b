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
    /// A client call failed (the client's message names the request and response).
    #[error("{step}: {source} ({source:?})")]
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
