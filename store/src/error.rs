//! The store's error type: real faults only. Expected outcomes of appends and
//! reads are values ([`crate::PutStatus`], [`crate::GetMessageStatus`]).

use std::path::PathBuf;

/// A fault of the storage engine (I/O, corruption, misuse).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An I/O operation on `path` failed.
    #[error("i/o error on {path}: {source}")]
    Io {
        /// File or directory involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A config key has a value that does not parse.
    #[error("bad value for config key {key}: {value:?}")]
    Config {
        /// Java key name.
        key: String,
        /// Rejected value.
        value: String,
    },
    /// Another process holds the store's lock file.
    #[error("store directory {0} is locked by another process (Lock failed, MQ already started)")]
    Locked(PathBuf),
    /// A store file is malformed beyond what recovery repairs (e.g. a
    /// CommitLog file of the wrong size).
    #[error("corrupt store file {path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl StoreError {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }
}
