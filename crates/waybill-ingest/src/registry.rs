//! The ordered list of every evidence source.
//!
//! Order matters only when several sources sniff `Yes` on the same input: the
//! first wins. So a source that only says `Yes` when the examiner asked for it
//! (nginx with `--log-format nginx:…`) comes before the general one that would
//! also accept the same lines (`apache.access`), and specific SQLite schemas come
//! before general ones. The registry tests check that every fixture sniffs `Yes`
//! for its own source only, so ties are rare by construction.

use crate::source::Source;
use crate::sources::{apache_access::ApacheAccess, nginx_access::NginxAccess};

/// Every source, in sniffing priority order.
pub static SOURCES: &[&dyn Source] = &[&NginxAccess, &ApacheAccess];

/// The source with this id.
pub fn find(id: &str) -> Option<&'static dyn Source> {
    SOURCES.iter().copied().find(|s| s.id() == id)
}
