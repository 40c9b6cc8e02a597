//! Shared harness pieces for the integration tests.
#![allow(dead_code)]

pub mod aws_cli;
pub mod heroku_api;
pub mod hook_server;
pub mod moto;
pub mod throttle;
pub mod vectors;
pub mod zone;
