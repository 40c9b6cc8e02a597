//! Everything Heroku: the dyno catalog, formations and their cost.

pub mod api;
pub mod cost;
pub mod dynos;
pub mod formation;
