//! The one error type of omni-sandbox.

use std::net::SocketAddr;

/// What can go wrong while starting or running a sandbox.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The listening socket could not be bound.
    #[error("cannot bind the sandbox to {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why the bind failed.
        #[source]
        source: std::io::Error,
    },
    /// The bound socket's address could not be read.
    #[error("cannot read the sandbox's bound address: {0}")]
    LocalAddr(#[source] std::io::Error),
    /// Waiting for ctrl-c failed.
    #[error("cannot wait for ctrl-c: {0}")]
    Signal(#[source] std::io::Error),
}
