//! One module per evidence format. Each has the same doc headings: What it
//! reads / Versions seen / Events emitted / What it cannot tell us / References.

pub mod apache_access;
pub mod aws_elb;
pub mod bodyfile;
pub mod caddy_access;
pub mod chrome_cache;
pub mod chrome_history;
pub mod firefox_downloads;
pub mod firefox_downloads_json;
pub mod firefox_places;
pub mod macos_quarantine;
pub mod nginx_access;
pub mod safari_history;
pub mod w3c_extended;
pub mod zone_identifier;
