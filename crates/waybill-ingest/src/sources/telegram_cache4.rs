//! Telegram for Android `cache4.db`, with the `file_to_path.db` beside it.
//!
//! # What it reads
//! Three tables of `files/cache4.db` (the app's message cache, written by
//! `MessagesStorage.java` of `DrKLO/Telegram`), one record per row:
//! - `messages_v2` (`mid`, `uid` = the dialog id, `date` in Unix **seconds**,
//!   `out`, `read_state`, `media`, `is_channel`); the message itself is a
//!   serialized TL object in `data` and is not read;
//! - `downloading_documents` (`hash` = the document's `dc_id`, `id` = the
//!   **document id**, `state` 0 while downloading and 1 once complete, `date` =
//!   the completion time in Unix **milliseconds**, NULL until then). Rows are
//!   written only when a message's `putInDownloadsStore` is set, which the tap
//!   handlers of document, audio and shared-media cells set: it is the list of
//!   documents the person asked for (the app's Downloads screen), never photos
//!   and never what auto-download fetched. The app keeps at most 100 completed
//!   rows (past that it deletes them), and the person can clear the list;
//! - `download_queue` (`uid` = the photo's or document's id, `type` = the
//!   auto-download type bit, `date` = the message's date in seconds, `parent` =
//!   `sent_<channel>_<message id>_<dialog id>_<message type>_<size>`): media that
//!   auto-download queued and had not finished (rows are removed when a
//!   download finishes or fails).
//!
//! When `file_to_path.db` lies beside the database (Telegram keeps both in
//! `files/`), it is attached read-only ([`crate::input::SqliteInput::attach`],
//! hashed into the manifest as a companion) and joined:
//! `paths_by_dialog_id` (`path`, `dialog_id`, `message_id`, `message_type`:
//! written for every finished download) names the file a message's media was
//! saved as, and `paths` (`document_id`, `dc_id`, `type`, `path`) the document
//! a saved path holds.
//!
//! # Versions seen
//! DDL of `MessagesStorage.createTables` and `FilePathDatabase` (version 7) in
//! `DrKLO/Telegram`; `messages_v2` gained `reply_to_message_id`,
//! `custom_params`, `group_id` and `reply_to_story_id` in later migrations,
//! `download_queue.parent` at database version 30, `paths.flags` and
//! `paths_by_dialog_id.message_id`/`message_type` in `file_to_path.db` 4 and 7.
//! Only the columns named here are read; absent optional ones are left out.
//!
//! # Events emitted
//! - `msg.received` (`out` = 0) or `msg.sent` per message, at `date`
//!   (precision s). `attrs`: `app` = `telegram`, `dialog_id`, `message_id`,
//!   `chat_type` (`user`, `secret` for an encrypted chat, `group` for a basic
//!   group, `channel_or_supergroup` when `is_channel` is set — the row does not
//!   say which), `read_state`, `media`.
//! - `msg.media_fetched` for a received message with a `paths_by_dialog_id`
//!   row, at the message's `date` (a lower bound: the download's own time is
//!   not kept; `ts_is_lower_bound` = true; `ts_is_receipt` = false: `date` is
//!   the server's time of the message, and a phone that was offline receives
//!   it later), `path` = the saved file; `media_mtime` =
//!   `not_before_download` (the file is written as its download completes,
//!   or later when moved into `Telegram/Telegram …`).
//!   `attrs` as the message's plus `message_type` (Telegram's
//!   `MessageObject.type`), `media_type`, `autodownload_class` (`image`,
//!   `audio`, `video`, `document`: the preset bit that governs it),
//!   `autodownload_chats` (the preset chat classes the dialog may be:
//!   `contacts` and `private` for a user — the contact list is not read —,
//!   `groups`, or `groups` and `channels`), and `key_id` = the document id when
//!   `paths` names one for the file.
//! - `msg.media_download` per completed `downloading_documents` row, at its
//!   `date` (ms), `auto` = false: the app's record that the person asked for
//!   the document. `key_id` = the document id, `path` = the saved file when
//!   `paths` names it, `attrs.list` = `downloading_documents`.
//! - `msg.media_download` per `download_queue` row, at the message's `date`,
//!   `auto` = true, `attrs.phase` = `queued`, `queue_id`, `autodownload_class`,
//!   and `message_id`, `dialog_id`, `size` from `parent`.
//!
//! Rows that are records but no event: a `downloading_documents` row still
//! downloading (`state` 0, no time). A message row without a usable `date`,
//! or with `out` other than 0/1, is rejected; so is a completed download row
//! without a `date`.
//!
//! # What it cannot tell us
//! A document missing from `downloading_documents` may have been tapped all
//! the same: the list holds at most 100 and can be cleared, so its absence is
//! never evidence. Which of contact or non-contact a user dialog is, and which
//! of group or channel a `channel_or_supergroup` dialog is. When a file was
//! saved other than by the download's completion time (photos have no such
//! row). Message text and captions (in the TL blobs) are not read.
//!
//! # References
//! `DrKLO/Telegram` `TMessagesProj/src/main/java/org/telegram/messenger/`:
//! `MessagesStorage.java` (`createTables`, `putMessagesInternal` writing
//! `download_queue`), `DownloadController.java` (`startDownloadFile`:
//! `REPLACE INTO downloading_documents`; `onDownloadComplete`: `UPDATE
//! downloading_documents SET state = 1, date = …`; the 100-row limit),
//! `FilePathDatabase.java`, `DialogObject.java` (dialog id encoding),
//! `MessageObject.java` (`TYPE_*`); shared/knowledge/artifacts.md §7.2, §7.9.

use std::borrow::Cow;
use std::collections::BTreeMap;

use waybill_model::{Event, EventKind, EventSink, Precision, RecordRef, RejectReason, Timestamp, Value};

use crate::input::{Db, Input};
use crate::source::{InputKind, Probe, Sniff, Source, SourceError, SqliteSchema};
use crate::sqlite::{each_row, int, text};

/// Telegram Android `cache4.db` (+ `file_to_path.db`).
pub struct TelegramCache4;

/// The schema name `file_to_path.db` is attached as.
const PATHS_DB: &str = "telegram_paths";

/// Encrypted (secret) chats' dialog ids carry this bit (`DialogObject`).
const SECRET_CHAT_BIT: i64 = 0x4000_0000_0000_0000;
/// Folder dialog ids carry this bit.
const FOLDER_BIT: i64 = 0x2000_0000_0000_0000;

/// The auto-download class of Telegram's `MessageObject.type`, and a name.
pub fn message_type(t: i64) -> (Option<&'static str>, &'static str) {
    match t {
        1 => (Some("image"), "photo"),
        2 => (Some("audio"), "voice"),
        3 => (Some("video"), "video"),
        5 => (Some("video"), "round_video"),
        8 => (Some("video"), "gif"),
        9 => (Some("document"), "document"),
        13 | 15 => (None, "sticker"),
        14 => (Some("audio"), "music"),
        23 => (None, "story"),
        _ => (None, "other"),
    }
}

/// The class of a `download_queue.type` bit.
fn queue_class(t: i64) -> Option<&'static str> {
    match t {
        1 => Some("image"),
        2 => Some("audio"),
        4 => Some("video"),
        8 => Some("document"),
        _ => None,
    }
}

/// A dialog's type and the preset chat classes it may be.
fn dialog_type(uid: i64, is_channel: bool) -> (&'static str, &'static [&'static str]) {
    if uid > 0 && uid & SECRET_CHAT_BIT != 0 {
        ("secret", &["contacts", "private"])
    } else if uid > 0 && uid & FOLDER_BIT != 0 {
        ("folder", &[])
    } else if uid > 0 {
        ("user", &["contacts", "private"])
    } else if is_channel {
        ("channel_or_supergroup", &["groups", "channels"])
    } else {
        ("group", &["groups"])
    }
}

/// `sent_<channel>_<message id>_<dialog id>_<message type>_<size>`.
fn parse_parent(p: &str) -> Option<(i64, i64, i64, i64)> {
    let rest = p.strip_prefix("sent_")?;
    let mut it = rest.split('_');
    let _channel: i64 = it.next()?.parse().ok()?;
    let mid = it.next()?.parse().ok()?;
    let dialog = it.next()?.parse().ok()?;
    let mtype = it.next()?.parse().ok()?;
    let size = it.next()?.parse().ok()?;
    it.next().is_none().then_some((mid, dialog, mtype, size))
}

/// A saved file: its path and Telegram's message type.
type Saved = (String, Option<i64>);

/// The saved files, from `file_to_path.db`: per (dialog, message) its paths
/// with their message type; per path its document id.
#[derive(Default)]
struct Paths {
    by_message: BTreeMap<(i64, i64), Vec<Saved>>,
    document_of: BTreeMap<String, i64>,
    path_of: BTreeMap<i64, String>,
}

fn read_paths(conn: &Db) -> Result<Paths, SourceError> {
    let mut out = Paths::default();
    let table = "paths_by_dialog_id";
    let cols: Vec<String> = {
        let mut st =
            conn.prepare(&format!("PRAGMA {PATHS_DB}.table_info({table})")).map_err(SourceError::sqlite(table))?;
        let rows = st.query_map([], |r| r.get::<_, String>(1)).map_err(SourceError::sqlite(table))?;
        rows.filter_map(Result::ok).collect()
    };
    if cols.iter().any(|c| c == "message_id") {
        let mtype = if cols.iter().any(|c| c == "message_type") { "message_type" } else { "NULL" };
        let sql = format!(
            "SELECT path, dialog_id, message_id, {mtype} FROM {PATHS_DB}.{table} WHERE path IS NOT NULL ORDER BY rowid"
        );
        let mut st = conn.prepare(&sql).map_err(SourceError::sqlite(table))?;
        let mut rows = st.query([]).map_err(SourceError::sqlite(table))?;
        while let Some(r) = rows.next().map_err(SourceError::sqlite(table))? {
            let (Ok(Some(path)), Ok(Some(dialog)), Ok(Some(mid))) =
                (r.get::<_, Option<String>>(0), r.get::<_, Option<i64>>(1), r.get::<_, Option<i64>>(2))
            else {
                continue;
            };
            // Telegram also names its `.temp` and parts files here.
            if path.ends_with(".temp") || path.ends_with(".pt") {
                continue;
            }
            let t = r.get::<_, Option<i64>>(3).ok().flatten();
            out.by_message.entry((dialog, mid)).or_default().push((path, t));
        }
    }
    let table = "paths";
    if let Ok(mut st) = conn.prepare(&format!(
        "SELECT document_id, path FROM {PATHS_DB}.{table} WHERE path IS NOT NULL ORDER BY document_id, dc_id, type"
    )) {
        let mut rows = st.query([]).map_err(SourceError::sqlite(table))?;
        while let Some(r) = rows.next().map_err(SourceError::sqlite(table))? {
            if let (Ok(Some(doc)), Ok(Some(path))) = (r.get::<_, Option<i64>>(0), r.get::<_, Option<String>>(1)) {
                out.document_of.entry(path.clone()).or_insert(doc);
                out.path_of.entry(doc).or_insert(path);
            }
        }
    }
    Ok(out)
}

fn class_of_path(path: &str) -> Option<(&'static str, &'static str)> {
    let p = path.replace('\\', "/");
    let folder = p.rsplit('/').nth(1)?;
    Some(match folder {
        "Telegram Images" => ("image", "photo"),
        "Telegram Video" => ("video", "video"),
        "Telegram Audio" => ("audio", "audio"),
        "Telegram Documents" | "Telegram Files" => ("document", "document"),
        _ => return None,
    })
}

impl Source for TelegramCache4 {
    fn id(&self) -> &'static str {
        "telegram.cache4"
    }

    fn description(&self) -> &'static str {
        "Telegram Android cache4.db (+ file_to_path.db beside it): messages, the tapped-downloads list, the auto-download queue, saved media paths"
    }

    fn version(&self) -> u32 {
        1
    }

    fn input_kind(&self) -> InputKind {
        InputKind::Sqlite
    }

    fn optional_tables(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("downloading_documents", "which documents the person asked for"),
            ("download_queue", "which media auto-download had queued"),
        ]
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        let Some(s) = probe.sqlite else { return Sniff::No };
        if s.has_columns("messages_v2", &["mid", "uid", "date", "out", "data"]) { Sniff::Yes } else { Sniff::No }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let db = input.sqlite()?;
        let (conn, schema) = (&db.conn, &db.schema);
        if !schema.has_columns("messages_v2", &["mid", "uid", "date", "out"]) {
            return Err(SourceError::NotThisFormat { format: self.id(), reason: "no messages_v2 table".into() });
        }
        let paths = if db.attach("file_to_path.db", PATHS_DB)? { read_paths(conn)? } else { Paths::default() };
        messages(schema, conn, &paths, out)?;
        if schema.has_columns("downloading_documents", &["hash", "id", "state", "date"]) {
            tapped(conn, &paths, out)?;
        }
        if schema.has_columns("download_queue", &["uid", "type", "date"]) {
            queued(schema, conn, out)?;
        }
        Ok(())
    }
}

fn col(schema: &SqliteSchema, table: &str, c: &str) -> String {
    if schema.has_column(table, c) { format!("m.{c}") } else { format!("NULL AS {c}") }
}

fn messages(schema: &SqliteSchema, conn: &Db, paths: &Paths, out: &mut dyn EventSink) -> Result<(), SourceError> {
    let opt = ["read_state", "media", "is_channel"].map(|c| col(schema, "messages_v2", c)).join(", ");
    let sql =
        format!("SELECT m.rowid AS _rowid, m.mid, m.uid, m.date, m.out, {opt} FROM messages_v2 m ORDER BY m.rowid");
    each_row(conn, "messages_v2", &sql, out, |row, record| {
        let date = int(row, "date")?.ok_or_else(|| RejectReason::Timestamp("date is NULL".into()))?;
        if date <= 0 {
            return Err(RejectReason::Timestamp(format!("date {date} is not a time")));
        }
        let ts = Timestamp::from_unix_micros(date.saturating_mul(1_000_000))?;
        let kind = match int(row, "out")? {
            Some(0) => EventKind::MsgReceived,
            Some(1) => EventKind::MsgSent,
            other => {
                return Err(RejectReason::Value { field: "out".into(), detail: format!("{other:?} is not 0 or 1") });
            }
        };
        let mid = int(row, "mid")?.ok_or_else(|| RejectReason::Malformed("mid is NULL".into()))?;
        let uid = int(row, "uid")?.ok_or_else(|| RejectReason::Malformed("uid is NULL".into()))?;
        let is_channel = int(row, "is_channel")?.is_some_and(|c| c != 0);
        let (chat_type, chats) = dialog_type(uid, is_channel);
        let base = |kind: EventKind, record: RecordRef| {
            let mut e = Event::new(kind, ts, Precision::Second, record);
            e.attrs.push("app", "telegram");
            e.attrs.push("dialog_id", uid);
            e.attrs.push("message_id", mid);
            e.attrs.push("chat_type", chat_type);
            e
        };
        let mut m = base(kind, record);
        m.attrs.push_opt("read_state", int(row, "read_state")?);
        m.attrs.push_opt("media", int(row, "media")?);
        let mut events = vec![m];
        if kind == EventKind::MsgReceived {
            for (path, mtype) in paths.by_message.get(&(uid, mid)).into_iter().flatten() {
                let (class, name) = match mtype.map(message_type) {
                    Some((Some(c), n)) => (Some(c), n),
                    Some((None, n)) => (None, n),
                    None => class_of_path(path).map_or((None, "other"), |(c, n)| (Some(c), n)),
                };
                let mut f = base(EventKind::MsgMediaFetched, record);
                f.path = Some(Cow::Owned(path.clone()));
                f.attrs.push("ts_from", "messages_v2.date (the message's date; the download's own time is not kept)");
                f.attrs.push("ts_is_lower_bound", true);
                f.attrs.push("ts_is_receipt", false);
                f.attrs.push("media_mtime", "not_before_download");
                f.attrs.push_opt("message_type", *mtype);
                f.attrs.push("media_type", name);
                f.attrs.push_opt("autodownload_class", class);
                if !chats.is_empty() {
                    f.attrs.push("autodownload_chats", Value::List(chats.iter().map(|c| Cow::Borrowed(*c)).collect()));
                }
                if let Some(doc) = paths.document_of.get(path) {
                    f.attrs.push("key_id", doc.to_string());
                    f.attrs.push("document_id", *doc);
                }
                events.push(f);
            }
        }
        Ok(events)
    })
}

fn tapped(conn: &Db, paths: &Paths, out: &mut dyn EventSink) -> Result<(), SourceError> {
    let sql = "SELECT rowid AS _rowid, hash, id, state, date FROM downloading_documents ORDER BY rowid";
    each_row(conn, "downloading_documents", sql, out, |row, record| {
        let state = int(row, "state")?;
        let Some(ms) = int(row, "date")?.filter(|d| *d > 0) else {
            return match state {
                Some(0) => Ok(Vec::new()),
                _ => Err(RejectReason::Timestamp(format!("a completed download (state {state:?}) without a date"))),
            };
        };
        let doc = int(row, "id")?.ok_or_else(|| RejectReason::Malformed("id is NULL".into()))?;
        let mut e =
            Event::new(EventKind::MsgMediaDownload, Timestamp::from_unix_millis(ms)?, Precision::Millisecond, record);
        e.auto = Some(false);
        e.path = paths.path_of.get(&doc).cloned().map(Cow::Owned);
        let a = &mut e.attrs;
        a.push("app", "telegram");
        a.push("list", "downloading_documents");
        a.push("key_id", doc.to_string());
        a.push("document_id", doc);
        a.push_opt("dc_id", int(row, "hash")?);
        a.push_opt("state", state);
        a.push("ts_from", "downloading_documents.date (the download's completion)");
        Ok(vec![e])
    })
}

fn queued(schema: &SqliteSchema, conn: &Db, out: &mut dyn EventSink) -> Result<(), SourceError> {
    let parent = if schema.has_column("download_queue", "parent") { "parent" } else { "NULL AS parent" };
    let sql = format!("SELECT rowid AS _rowid, uid, type, date, {parent} FROM download_queue ORDER BY rowid");
    each_row(conn, "download_queue", &sql, out, |row, record| {
        let date = int(row, "date")?.ok_or_else(|| RejectReason::Timestamp("date is NULL".into()))?;
        if date <= 0 {
            return Err(RejectReason::Timestamp(format!("date {date} is not a time")));
        }
        let mut e = Event::new(
            EventKind::MsgMediaDownload,
            Timestamp::from_unix_micros(date.saturating_mul(1_000_000))?,
            Precision::Second,
            record,
        );
        e.auto = Some(true);
        let a = &mut e.attrs;
        a.push("app", "telegram");
        a.push("phase", "queued");
        a.push("list", "download_queue");
        a.push("ts_from", "download_queue.date (the message's date)");
        a.push_opt("queue_id", int(row, "uid")?);
        let t = int(row, "type")?;
        a.push_opt("type", t);
        a.push_opt("autodownload_class", t.and_then(queue_class));
        if let Some((mid, dialog, _, size)) = text(row, "parent").as_deref().and_then(parse_parent) {
            a.push("message_id", mid);
            a.push("dialog_id", dialog);
            e.size = Some(size);
        }
        Ok(vec![e])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialog_ids_and_parents() {
        assert_eq!(dialog_type(777_000, false).0, "user");
        assert_eq!(dialog_type(-4_000_123, false), ("group", &["groups"][..]));
        assert_eq!(dialog_type(-1_001_234_567_890, true).0, "channel_or_supergroup");
        assert_eq!(dialog_type(SECRET_CHAT_BIT | 42, false).0, "secret");
        assert_eq!(parse_parent("sent_0_15_-4000123_1_204800"), Some((15, -4_000_123, 1, 204_800)));
        assert_eq!(parse_parent("sent_0_15"), None);
        assert_eq!(message_type(9), (Some("document"), "document"));
        assert_eq!(message_type(1), (Some("image"), "photo"));
        assert_eq!(class_of_path("/storage/emulated/0/Telegram/Telegram Images/a.jpg"), Some(("image", "photo")));
    }
}
