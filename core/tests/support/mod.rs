//! Shared harness pieces for the integration tests.
#![allow(dead_code)]

pub mod moto;
pub mod throttle;
