//! Everything Heroku: the dyno catalog, formations and their cost, log parsers and a synthetic
//! log generator.

pub mod api;
pub mod cost;
pub mod dynos;
pub mod formation;
pub mod logs;
pub mod synth;
