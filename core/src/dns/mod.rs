//! DNS providers. This first slice holds the Route53 connection; the weighted-record provider
//! trait and the in-memory zone arrive with the cutover engine.

pub mod route53;
