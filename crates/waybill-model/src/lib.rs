//! The vocabulary of waybill.
//!
//! Every other crate speaks in these types: an [`Event`] is one observed action
//! with a [`Timestamp`] in UTC, its [`Precision`], an [`EventKind`] from a closed
//! vocabulary, and a [`RecordRef`] pointing back to the exact record it came
//! from. A record that cannot be read becomes a [`Reject`], which is data, not an
//! error. [`schema::event_schema`] is the Arrow schema of the event table, and
//! [`schema::EventBatchBuilder`] turns events into record batches.
//!
//! [`StoredEvent`] is a row of the event table read back from the case, and
//! [`evidence::CaseEvidence`] is what the candidate selection hands the
//! reasoning. [`url`] holds the URL and path comparisons both use.
//!
//! This crate does no I/O.
//!
//! # The event table
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `ts` | timestamp µs UTC | when it happened |
//! | `ts_precision` | text | `d`, `s`, `ms`, `us`, `100ns`, `ns`: how finely the source recorded it |
//! | `tz_assumed` | text | zone applied to a local time written without offset; null when the source gave UTC or an offset |
//! | `clock` | text | the clock that produced `ts` (for skew correction) |
//! | `format` | text | source format id |
//! | `source` | text | manifest id of the input (`I0001`) |
//! | `record` | text | where in the input: `offset N line L`, `TABLE rowid N`, `LIST[i]` |
//! | `seq` | u64 | parse order within the input; `(source, seq)` is unique |
//! | `kind` | text | what happened ([`EventKind`]) |
//! | `actor`, `device`, `client_ip`, `user_agent`, `url`, `referrer`, `path` | text | who, where, what |
//! | `size` | i64 | bytes |
//! | `status` | i32 | HTTP status or the source's state code |
//! | `sha256`, `md5`, `sha1`, `provider_hash`, `provider_hash_kind` | text | content identity |
//! | `fetch_site`, `fetch_mode`, `fetch_dest`, `fetch_user`, `purpose`, `transition` | text | initiation signals |
//! | `auto` | bool | the source itself says automatic (`true`) or user-driven (`false`) |
//! | `attrs` | text (JSON object) | format-specific extras |

pub mod app_defaults;
mod event;
pub mod evidence;
mod kind;
mod record;
mod reject;
pub mod schema;
pub mod sink;
mod stored;
mod subject;
pub mod time;
pub mod url;

pub use event::{Attrs, Event, EventSink, Value, close_record, write_json_str};
pub use kind::EventKind;
pub use record::RecordRef;
pub use reject::{EXCERPT_LIMIT, Excerpt, Reject, RejectReason};
pub use stored::StoredEvent;
pub use subject::{Subject, SubjectError, SubjectKind};
pub use time::{NaiveDateTime, Precision, TimeError, Timestamp};
