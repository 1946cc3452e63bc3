#![forbid(unsafe_code)]
#![doc = include_str!("../README.md")]

mod admin;
mod admin_api;
mod connection;
mod error;
mod fault;
mod jwt;
mod omni;
mod onekyc;
mod reply;
mod routes;
mod seller;
mod server;
mod state;

pub mod demo;

pub use admin::Admin;
pub use error::Error;
pub use fault::Fault;
pub use server::{Sandbox, SandboxConfig};
