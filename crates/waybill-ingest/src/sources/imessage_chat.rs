//! Apple Messages database (`chat.db` on macOS, `sms.db` on iOS).
//!
//! # What it reads
//! Every row of `message` (with its `handle` and its `chat` through
//! `chat_message_join`) and every row of `attachment` (with the message it is
//! joined to through `message_attachment_join`). Message text is never copied:
//! only its length (`text_len`) is read, and `attributedBody` is not read at all.
//!
//! # Versions seen
//! plaso's sample (`_ClientVersion` 9005, macOS 10.11 era): dates in whole Cocoa
//! seconds. Since macOS 10.13 / iOS 11 the same columns hold Cocoa
//! **nanoseconds**; the unit is decided per value (above 10^11 = nanoseconds,
//! which no date in seconds reaches before the year 5000, while any nanosecond
//! value after 2001-01-01T00:01:40Z is above it). Newer columns are read when
//! present, by name.
//!
//! # Events emitted
//! - per `message` row: `msg.received` (`is_from_me` = 0) or `msg.sent` (1) at
//!   `date`: `actor` = the handle (phone number or e-mail of the other party) for
//!   received messages, the local account (`account` without its `e:`/`p:`
//!   prefix) for sent ones. `attrs`: `message_guid`, `service` (`iMessage`,
//!   `SMS`), `account`, `handle`, `handle_service`, `chat_id`,
//!   `chat_identifier`, `chat_style` (`group` for style 43, `direct` for 45),
//!   `chat_name` (group display name), `room_name`, `is_read`, `date_read`,
//!   `is_delivered`, `date_delivered`, `is_sent`, `is_finished`,
//!   `is_audio_message`, `is_played`, `date_played`, `item_type` (non-zero =
//!   a group event, not a message), `error`, `attachments` (count), `text_len`.
//! - per `attachment` row: `msg.media_fetched` for an incoming attachment
//!   (`is_outgoing` = 0), `msg.sent` for an outgoing one, at `created_date`
//!   (else `start_date`, else the message's `date`; `attrs.time_source` says
//!   which when it is not `created_date`): `path` = `filename` (as stored, `~` =
//!   the user's home), `size` = `total_bytes` (when non-zero), `actor` as for
//!   the message. `attrs`: `attachment_guid`, `mime_type`, `uti`,
//!   `transfer_name` (the sender's file name), `transfer_state` (raw; not
//!   documented by Apple), `is_sticker`, `message_rowid`, `message_missing`
//!   (the joined message row is gone: deleted), `handle`, `service`, `chat_*`,
//!   and for an incoming attachment `chat_read` = the message's `is_read`
//!   (false: the conversation was not shown, nor marked read, between the
//!   message's arrival and the copy of the database).
//!
//! # What it cannot tell us
//! Messages downloads incoming attachments on its own (there is no per-file
//! user act to record), so an incoming attachment is a delivery, not a
//! retrieval; `auto` is left unset because the database does not say so
//! either way. Deleted messages leave only their GUID in `deleted_messages` and
//! orphaned rows in the join tables; an attachment can outlive its message.
//!
//! # References
//! plaso `sqlite_plugins/imessage.py` and its test; mac_apt `plugins/imessage.py`
//! and `helpers/common.py` (`ReadMacAbsoluteTime`: values above 2^32 are
//! nanoseconds); public DFIR queries on `sms.db` (chat style 43 group / 45
//! one-to-one, `attachment.is_outgoing`, ns vs s by digit count).

use std::borrow::Cow;
use std::collections::HashMap;

use waybill_model::time::COCOA_EPOCH_OFFSET_S;
use waybill_model::{Event, EventKind, EventSink, Precision, RejectReason, Timestamp};

use crate::input::Input;
use crate::source::{InputKind, Probe, Sniff, Source, SourceError, SqliteSchema};
use crate::sqlite::{each_row, int, select_list, text};

/// Apple Messages `chat.db` / `sms.db`.
pub struct ImessageChat;

/// Cocoa values above this are nanoseconds, below seconds.
const NANOS_THRESHOLD: i64 = 100_000_000_000;

/// A Cocoa date in seconds or nanoseconds (decided by size); `None` for 0 (unset).
fn cocoa_date(v: i64, what: &str) -> Result<Option<(Timestamp, Precision)>, RejectReason> {
    if v == 0 {
        return Ok(None);
    }
    if v < 0 {
        return Err(RejectReason::Timestamp(format!("{what} {v} is before 2001")));
    }
    if v > NANOS_THRESHOLD {
        let ns = i128::from(v) + i128::from(COCOA_EPOCH_OFFSET_S) * 1_000_000_000;
        Ok(Some((Timestamp::from_unix_nanos(ns)?, Precision::Nanosecond)))
    } else {
        let s = v
            .checked_add(COCOA_EPOCH_OFFSET_S)
            .ok_or_else(|| RejectReason::Timestamp(format!("{what} {v} out of range")))?;
        Ok(Some((Timestamp::from_unix_seconds(s)?, Precision::Second)))
    }
}

/// A message's required date: NULL or 0 is a reject.
fn required_date(v: Option<i64>, what: &str) -> Result<(Timestamp, Precision), RejectReason> {
    let v = v.ok_or_else(|| RejectReason::Timestamp(format!("{what} is NULL")))?;
    cocoa_date(v, what)?.ok_or_else(|| RejectReason::Timestamp(format!("{what} is 0 (unset)")))
}

/// `e:alice@example.com` → `alice@example.com`.
fn account_id(account: &str) -> &str {
    let b = account.as_bytes();
    match (b.first(), b.get(1), account.get(2..)) {
        (Some(b'e' | b'E' | b'p' | b'P'), Some(b':'), Some(rest)) if !rest.is_empty() => rest,
        _ => account,
    }
}

#[derive(Clone, Default)]
struct Chat {
    id: i64,
    identifier: Option<String>,
    style: Option<i64>,
    name: Option<String>,
    room: Option<String>,
}

/// What an attachment needs of its message.
struct MsgInfo {
    date: Option<i64>,
    is_from_me: Option<i64>,
    handle: Option<i64>,
    account: Option<String>,
    service: Option<String>,
    is_read: Option<i64>,
}

/// A lookup table into a map by its key (the first row for a key wins), read
/// with [`crate::sqlite::lookup_rows`]: `sql`'s first column is the rowid, `f`
/// gives the key and value, `Ok(None)` for a row without a key.
fn query_map<T>(
    conn: &crate::input::Db,
    table: &'static str,
    sql: &str,
    out: &mut dyn EventSink,
    mut f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<Option<(i64, T)>>,
) -> HashMap<i64, T> {
    let mut map = HashMap::new();
    crate::sqlite::lookup_rows(conn, table, sql, out, |r| {
        if let Some((k, v)) = f(r)? {
            map.entry(k).or_insert(v);
        }
        Ok(())
    });
    map
}

fn handles(
    conn: &crate::input::Db,
    schema: &SqliteSchema,
    out: &mut dyn EventSink,
) -> HashMap<i64, (String, Option<String>)> {
    if !schema.has_column("handle", "id") {
        return HashMap::new();
    }
    let service = if schema.has_column("handle", "service") { "service" } else { "NULL" };
    query_map(conn, "handle", &format!("SELECT rowid, rowid, id, {service} FROM handle"), out, |r| {
        let Some(id) = r.get::<_, Option<String>>(2)? else { return Ok(None) };
        Ok(Some((r.get(1)?, (id, r.get(3)?))))
    })
}

fn chats(conn: &crate::input::Db, schema: &SqliteSchema, out: &mut dyn EventSink) -> HashMap<i64, Chat> {
    if !(schema.has_table("chat") && schema.has_column("chat_message_join", "message_id")) {
        return HashMap::new();
    }
    let col = |c: &str| if schema.has_column("chat", c) { format!("c.\"{c}\"") } else { "NULL".to_owned() };
    let sql = format!(
        "SELECT j.rowid, j.message_id, c.rowid, {}, {}, {}, {} FROM chat_message_join j JOIN chat c ON c.rowid = j.chat_id \
         ORDER BY j.message_id, c.rowid",
        col("chat_identifier"),
        col("style"),
        col("display_name"),
        col("room_name"),
    );
    query_map(conn, "chat_message_join", &sql, out, |r| {
        let non_empty = |s: Option<String>| s.filter(|s| !s.is_empty());
        let Some(message) = r.get::<_, Option<i64>>(1)? else { return Ok(None) };
        Ok(Some((
            message,
            Chat {
                id: r.get(2)?,
                identifier: non_empty(r.get(3)?),
                style: r.get(4)?,
                name: non_empty(r.get(5)?),
                room: non_empty(r.get(6)?),
            },
        )))
    })
}

fn push_chat(e: &mut Event<'static>, chat: Option<&Chat>) {
    let Some(c) = chat else { return };
    e.attrs.push("chat_id", c.id);
    e.attrs.push_opt("chat_identifier", c.identifier.clone());
    match c.style {
        Some(43) => e.attrs.push("chat_style", "group"),
        Some(45) => e.attrs.push("chat_style", "direct"),
        Some(s) => e.attrs.push("chat_style", s),
        None => {}
    }
    e.attrs.push_opt("chat_name", c.name.clone());
    e.attrs.push_opt("room_name", c.room.clone());
}

impl Source for ImessageChat {
    fn id(&self) -> &'static str {
        "imessage.chat"
    }

    fn description(&self) -> &'static str {
        "Apple Messages chat.db / sms.db (SQLite): messages and attachments (message text is not read)"
    }

    fn optional_tables(&self) -> &'static [(&'static str, &'static str)] {
        &[("attachment", "no attachments are read"), ("chat", "messages are not tied to their chats")]
    }

    fn version(&self) -> u32 {
        3
    }

    fn input_kind(&self) -> InputKind {
        InputKind::Sqlite
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        let Some(s) = probe.sqlite else {
            return Sniff::No;
        };
        let message = s.has_columns("message", &["guid", "date", "is_from_me", "handle_id"]);
        let attachment = s.has_columns("attachment", &["filename", "transfer_name"]);
        if message && attachment && s.has_column("handle", "id") { Sniff::Yes } else { Sniff::No }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let db = input.sqlite()?;
        let (conn, schema) = (&db.conn, &db.schema);
        if !schema.has_column("message", "date") {
            return Err(SourceError::NotThisFormat { format: self.id(), reason: "no message.date".into() });
        }
        let handles = handles(conn, schema, out);
        let chats = chats(conn, schema, out);
        parse_messages(conn, schema, &handles, &chats, out)?;
        if schema.has_table("attachment") {
            parse_attachments(conn, schema, &handles, &chats, out)?;
        }
        Ok(())
    }
}

fn parse_messages(
    conn: &crate::input::Db,
    schema: &SqliteSchema,
    handles: &HashMap<i64, (String, Option<String>)>,
    chats: &HashMap<i64, Chat>,
    out: &mut dyn EventSink,
) -> Result<(), SourceError> {
    let attachment_counts: HashMap<i64, i64> = if schema.has_column("message_attachment_join", "message_id") {
        query_map(
            conn,
            "message_attachment_join",
            "SELECT MIN(rowid), message_id, COUNT(*) FROM message_attachment_join GROUP BY message_id",
            out,
            |r| {
                Ok(r.get::<_, Option<i64>>(1)?.map(|m| (m, 0)).map(|(m, _)| (m, 0_i64))).and_then(|k| match k {
                    Some((m, _)) => Ok(Some((m, r.get(2)?))),
                    None => Ok(None),
                })
            },
        )
    } else {
        HashMap::new()
    };
    let cols = select_list(
        schema,
        "message",
        "m",
        &[
            "guid",
            "handle_id",
            "service",
            "account",
            "date",
            "date_read",
            "date_delivered",
            "date_played",
            "is_delivered",
            "is_finished",
            "is_from_me",
            "is_read",
            "is_sent",
            "is_audio_message",
            "is_played",
            "item_type",
            "error",
        ],
    );
    let text_len = if schema.has_column("message", "text") { "length(m.text) AS text_len" } else { "NULL AS text_len" };
    let sql = format!("SELECT m.rowid AS _rowid, {cols}, {text_len} FROM message m ORDER BY m.rowid");
    each_row(conn, "message", &sql, out, |row, record| {
        let (ts, precision) = required_date(int(row, "date")?, "date")?;
        let from_me = int(row, "is_from_me")?
            .ok_or_else(|| RejectReason::Value { field: "is_from_me".into(), detail: "NULL".into() })?;
        let kind = if from_me == 0 { EventKind::MsgReceived } else { EventKind::MsgSent };
        let mut e = Event::new(kind, ts, precision, record);
        let handle = int(row, "handle_id")?.and_then(|h| handles.get(&h));
        let account = text(row, "account");
        e.actor = if from_me == 0 {
            handle.map(|h| Cow::Owned(h.0.clone()))
        } else {
            account.as_deref().map(|a| Cow::Owned(account_id(a).to_owned()))
        };
        e.attrs.push_opt("message_guid", text(row, "guid"));
        e.attrs.push_opt("service", text(row, "service"));
        e.attrs.push_opt("account", account);
        if let Some((id, service)) = handle {
            e.attrs.push("handle", id.clone());
            e.attrs.push_opt("handle_service", service.clone());
        }
        let rowid = match record {
            waybill_model::RecordRef::Row { rowid, .. } => rowid,
            _ => 0,
        };
        push_chat(&mut e, chats.get(&rowid));
        for key in ["is_read", "is_delivered", "is_sent", "is_finished", "is_audio_message", "is_played"] {
            if let Some(v) = int(row, key)? {
                e.attrs.push(key, v != 0);
            }
        }
        for key in ["date_read", "date_delivered", "date_played"] {
            if let Some(v) = int(row, key)?
                && let Some((t, _)) = cocoa_date(v, key)?
            {
                e.attrs.push(key, t);
            }
        }
        e.attrs.push_opt("item_type", int(row, "item_type")?.filter(|v| *v != 0));
        e.attrs.push_opt("error", int(row, "error")?.filter(|v| *v != 0));
        e.attrs.push_opt("attachments", attachment_counts.get(&rowid).copied());
        e.attrs.push_opt("text_len", int(row, "text_len")?);
        Ok(vec![e])
    })
}

fn parse_attachments(
    conn: &crate::input::Db,
    schema: &SqliteSchema,
    handles: &HashMap<i64, (String, Option<String>)>,
    chats: &HashMap<i64, Chat>,
    out: &mut dyn EventSink,
) -> Result<(), SourceError> {
    // Cast, so that a REAL or numeric-text value still reads as the number it is.
    let mcol = |c: &str, t: &str| {
        if schema.has_column("message", c) { format!("CAST(\"{c}\" AS {t})") } else { "NULL".to_owned() }
    };
    let messages: HashMap<i64, MsgInfo> = query_map(
        conn,
        "message",
        &format!(
            "SELECT rowid, rowid, {}, {}, {}, {}, {}, {} FROM message",
            mcol("date", "INTEGER"),
            mcol("is_from_me", "INTEGER"),
            mcol("handle_id", "INTEGER"),
            mcol("account", "TEXT"),
            mcol("service", "TEXT"),
            mcol("is_read", "INTEGER")
        ),
        out,
        |r| {
            Ok(Some((
                r.get(1)?,
                MsgInfo {
                    date: r.get(2)?,
                    is_from_me: r.get(3)?,
                    handle: r.get(4)?,
                    account: r.get(5)?,
                    service: r.get(6)?,
                    is_read: r.get(7)?,
                },
            )))
        },
    );
    let cols = select_list(
        schema,
        "attachment",
        "a",
        &[
            "guid",
            "created_date",
            "start_date",
            "filename",
            "uti",
            "mime_type",
            "transfer_state",
            "is_outgoing",
            "transfer_name",
            "total_bytes",
            "is_sticker",
        ],
    );
    let join = if schema.has_column("message_attachment_join", "attachment_id") {
        "(SELECT j.message_id FROM message_attachment_join j WHERE j.attachment_id = a.rowid \
         ORDER BY j.message_id LIMIT 1) AS message_id"
    } else {
        "NULL AS message_id"
    };
    let sql = format!("SELECT a.rowid AS _rowid, {cols}, {join} FROM attachment a ORDER BY a.rowid");
    each_row(conn, "attachment", &sql, out, |row, record| {
        let message_id = int(row, "message_id")?;
        let msg = message_id.and_then(|m| messages.get(&m));
        let mut time_source = None;
        let mut when = None;
        for (col, source) in [("created_date", None), ("start_date", Some("start_date"))] {
            if let Some(v) = int(row, col)?
                && let Some(t) = cocoa_date(v, col)?
            {
                when = Some(t);
                time_source = source;
                break;
            }
        }
        if when.is_none()
            && let Some(v) = msg.and_then(|m| m.date)
            && let Some(t) = cocoa_date(v, "message.date")?
        {
            when = Some(t);
            time_source = Some("message_date");
        }
        let (ts, precision) = when.ok_or_else(|| {
            RejectReason::Timestamp("created_date and start_date are 0 or NULL and no dated message".into())
        })?;
        let outgoing = match int(row, "is_outgoing")? {
            Some(v) => v != 0,
            None => msg.and_then(|m| m.is_from_me).is_some_and(|v| v != 0),
        };
        let kind = if outgoing { EventKind::MsgSent } else { EventKind::MsgMediaFetched };
        let mut e = Event::new(kind, ts, precision, record);
        let handle = msg.and_then(|m| m.handle).and_then(|h| handles.get(&h));
        e.actor = if outgoing {
            msg.and_then(|m| m.account.as_deref()).map(|a| Cow::Owned(account_id(a).to_owned()))
        } else {
            handle.map(|h| Cow::Owned(h.0.clone()))
        };
        e.path = text(row, "filename").map(Cow::Owned);
        e.size = int(row, "total_bytes")?.filter(|b| *b > 0);
        e.attrs.push_opt("time_source", time_source);
        e.attrs.push_opt("attachment_guid", text(row, "guid"));
        e.attrs.push_opt("mime_type", text(row, "mime_type"));
        e.attrs.push_opt("uti", text(row, "uti"));
        e.attrs.push_opt("transfer_name", text(row, "transfer_name"));
        e.attrs.push_opt("transfer_state", int(row, "transfer_state")?);
        if let Some(v) = int(row, "is_sticker")? {
            e.attrs.push("is_sticker", v != 0);
        }
        if let Some(m) = message_id {
            e.attrs.push("message_rowid", m);
            if msg.is_none() {
                e.attrs.push("message_missing", true);
            }
        }
        if let Some((id, _)) = handle {
            e.attrs.push("handle", id.clone());
        }
        e.attrs.push_opt("service", msg.and_then(|m| m.service.clone()));
        // Whether the message that brought an incoming attachment was read
        // (its conversation shown) by the time the database was copied.
        if !outgoing && let Some(read) = msg.and_then(|m| m.is_read) {
            e.attrs.push("chat_read", read != 0);
        }
        push_chat(&mut e, message_id.and_then(|m| chats.get(&m)));
        Ok(vec![e])
    })
}

#[cfg(test)]
mod tests {
    use super::{account_id, cocoa_date};

    #[test]
    fn seconds_and_nanoseconds() {
        let (s, _) = cocoa_date(469_908_586, "date").unwrap().unwrap();
        assert_eq!(s.to_string(), "2015-11-22T18:09:46.000000Z");
        let (ns, _) = cocoa_date(469_908_586_123_456_789, "date").unwrap().unwrap();
        assert_eq!(ns.to_string(), "2015-11-22T18:09:46.123456Z");
        assert!(cocoa_date(0, "date").unwrap().is_none());
        assert!(cocoa_date(-5, "date").is_err());
        assert_eq!(account_id("e:ken@example.com"), "ken@example.com");
        assert_eq!(account_id("P:+15555550100"), "+15555550100");
        assert_eq!(account_id("alice"), "alice");
    }
}
