//! One module per evidence format. Each has the same doc headings: What it
//! reads / Versions seen / Events emitted / What it cannot tell us / References.

pub mod apache_access;
pub mod nginx_access;
