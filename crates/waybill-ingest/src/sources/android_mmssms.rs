//! Android telephony provider `mmssms.db` (SMS and MMS).
//!
//! # What it reads
//! `/data/data/com.android.providers.telephony/databases/mmssms.db` (on newer
//! devices under `/data/user_de/0/…`): every row of `sms`, every row of `pdu`
//! (MMS headers, with its `addr` rows) and every row of `part` (MMS body parts;
//! media parts point to their file in `_data`). Message text is never copied:
//! only its length is read (`body_len`, `text_len`), so a rejected row's excerpt
//! holds no text either.
//!
//! # Versions seen
//! plaso's sample (`user_version` 57, the Android 4.x emulator, 2013): 9 SMS, no
//! MMS. The MMS tables are read from the same schema (AOSP `MmsSmsDatabaseHelper`),
//! exercised by the synthetic fixture. Columns are read by name.
//!
//! # Events emitted
//! - per `sms` row: `msg.received` (`type` 1, inbox) or `msg.sent` (2 sent,
//!   4 outbox, 5 failed, 6 queued) at `date` (Java ms; when the phone stored the
//!   message). `actor` = `address` for received messages (the sender); for sent
//!   ones the address is the recipient and stays in `attrs`. Drafts (`type` 3)
//!   are accepted with no event. `attrs`: `message_type` = `sms`, `box`,
//!   `address`, `thread_id`, `person`, `date_sent` (for received SMS: the
//!   service-centre time stamp of the sender's network), `read`, `seen`,
//!   `delivery_status` (TP-Status; absent when −1), `protocol`,
//!   `service_center`, `error_code`, `locked`, `body_len` (characters).
//! - per `pdu` row: `msg.received` (`msg_box` 1) or `msg.sent` (2, 4, 5) at
//!   `date` (Unix **seconds**): `actor` = the FROM address of a received MMS,
//!   `url` = `ct_l` (the MMSC location the message is, or was, fetched from),
//!   `size` = `m_size`. `attrs`: `message_type` = `mms`, `pdu_type`
//!   (`retrieve_conf` = downloaded, `notification_ind` = only the notification
//!   arrived and the content was **not** downloaded, `send_req` = sent, …),
//!   `m_type`, `box`, `retrieved` (true for `retrieve_conf`, false for
//!   `notification_ind`), `from`, `to` (list), `thread_id`, `date_sent`, `read`,
//!   `seen`, `mms_message_id` (`m_id`), `transaction_id`, `content_type`,
//!   `message_class`, `expiry`, `retrieve_status`, `response_status`, `mms_status`,
//!   `locked`, `text_only`, `media_parts` (count of non-text parts). Delivery and
//!   read reports (`m_type` 134, 136) and drafts are accepted with no event.
//! - per media `part` row (any content type but `text/plain` and
//!   `application/smil`): `msg.media_fetched` for a received MMS, `msg.sent` for
//!   a sent one, at the message's `date`: `path` = `_data` (the stored media
//!   file), `actor` = FROM of a received MMS. `attrs`: `content_type`, `name`,
//!   `file_name` (`fn`), `content_location` (`cl`), `content_id` (`cid`),
//!   `charset`, `part_seq`, `mms_id` (the `pdu` row), `pdu_type`, `box`, and
//!   for a received MMS `chat_read` = the message's `read` (false: its
//!   conversation was not shown, nor the message marked read, between its
//!   arrival and the copy of the database).
//!   Text and SMIL parts are accepted with no event (`text_len` only would say
//!   nothing about delivery).
//!
//! # What it cannot tell us
//! Whether MMS media was fetched automatically: Android's messaging apps
//! retrieve MMS content on arrival unless "auto-retrieve" is turned off (it is
//! on by default in AOSP Messaging), and that setting lives in the messaging
//! app's preferences, not here — so `auto` is left unset. A `notification_ind`
//! row in the inbox is the trace of content that was *not* fetched (auto-retrieve
//! off, roaming, or a failed download). Deleted messages leave no row.
//!
//! # References
//! AOSP `frameworks/opt/telephony` `Telephony.java` (`TextBasedSmsColumns.MESSAGE_TYPE_*`,
//! `BaseMmsColumns.MESSAGE_BOX_*`, `Mms.Addr`), `PduHeaders.java` (`MESSAGE_TYPE_*`
//! 128…, address types 129 BCC, 130 CC, 137 FROM, 151 TO), AOSP Mms
//! `SendTransaction.java` (`date = System.currentTimeMillis() / 1000L`); plaso
//! `sqlite_plugins/android_sms.py` and its test (SMS only).

use std::borrow::Cow;
use std::collections::HashMap;

use waybill_model::{Event, EventKind, EventSink, Precision, RejectReason, Timestamp, Value};

use crate::input::Input;
use crate::source::{InputKind, Probe, Sniff, Source, SourceError, SqliteSchema};
use crate::sqlite::{each_row, int, select_list, text};

/// Android `mmssms.db`.
pub struct AndroidMmsSms;

/// Android's SMS `type` (`TextBasedSmsColumns.MESSAGE_TYPE_*`) and MMS
/// `msg_box` (`BaseMmsColumns.MESSAGE_BOX_*`) share numbers and names.
fn box_name(v: i64) -> Option<&'static str> {
    Some(match v {
        1 => "inbox",
        2 => "sent",
        3 => "draft",
        4 => "outbox",
        5 => "failed",
        6 => "queued",
        _ => return None,
    })
}

/// `PduHeaders.MESSAGE_TYPE_*`.
fn pdu_type_name(v: i64) -> Option<&'static str> {
    Some(match v {
        128 => "send_req",
        129 => "send_conf",
        130 => "notification_ind",
        131 => "notifyresp_ind",
        132 => "retrieve_conf",
        133 => "acknowledge_ind",
        134 => "delivery_ind",
        135 => "read_rec_ind",
        136 => "read_orig_ind",
        137 => "forward_req",
        138 => "forward_conf",
        _ => return None,
    })
}

/// What a box says happened: `Some(kind)`, or `None` for drafts.
fn box_kind(b: i64, field: &str) -> Result<Option<EventKind>, RejectReason> {
    match b {
        1 => Ok(Some(EventKind::MsgReceived)),
        2 | 4..=6 => Ok(Some(EventKind::MsgSent)),
        3 => Ok(None),
        other => Err(RejectReason::Value { field: field.into(), detail: format!("{other} is not a message box") }),
    }
}

fn positive(v: Option<i64>, what: &str) -> Result<i64, RejectReason> {
    match v {
        None => Err(RejectReason::Timestamp(format!("{what} is NULL"))),
        Some(v) if v <= 0 => Err(RejectReason::Timestamp(format!("{what} {v} is not a time"))),
        Some(v) => Ok(v),
    }
}

fn is_media(content_type: Option<&str>) -> bool {
    !content_type.is_some_and(|ct| {
        let ct = ct.trim();
        ct.eq_ignore_ascii_case("text/plain") || ct.eq_ignore_ascii_case("application/smil")
    })
}

/// MMS addresses of one message: FROM, and the TO/CC/BCC list.
#[derive(Default)]
struct Addrs {
    from: Option<String>,
    to: Vec<String>,
}

fn mms_addrs(conn: &crate::input::Db, schema: &SqliteSchema, out: &mut dyn EventSink) -> HashMap<i64, Addrs> {
    let mut map: HashMap<i64, Addrs> = HashMap::new();
    if !schema.has_columns("addr", &["msg_id", "address", "type"]) {
        return map;
    }
    crate::sqlite::lookup_rows(
        conn,
        "addr",
        "SELECT rowid, msg_id, address, type FROM addr ORDER BY rowid",
        out,
        |r| {
            let (Some(id), Some(address), t) =
                (r.get::<_, Option<i64>>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, Option<i64>>(3)?)
            else {
                return Ok(());
            };
            let a = map.entry(id).or_default();
            match t {
                Some(137) => a.from = Some(address),
                Some(129 | 130 | 151) => a.to.push(address),
                _ => {}
            }
            Ok(())
        },
    );
    map
}

fn media_part_counts(conn: &crate::input::Db, schema: &SqliteSchema, out: &mut dyn EventSink) -> HashMap<i64, i64> {
    let mut map = HashMap::new();
    if !(schema.has_column("part", "mid") && schema.has_column("part", "ct")) {
        return map;
    }
    crate::sqlite::lookup_rows(conn, "part", "SELECT rowid, mid, ct FROM part", out, |r| {
        if let (Some(mid), ct) = (r.get::<_, Option<i64>>(1)?, r.get::<_, Option<String>>(2)?)
            && is_media(ct.as_deref())
        {
            *map.entry(mid).or_insert(0) += 1;
        }
        Ok(())
    });
    map
}

impl Source for AndroidMmsSms {
    fn id(&self) -> &'static str {
        "android.mmssms"
    }

    fn description(&self) -> &'static str {
        "Android mmssms.db (SQLite): SMS and MMS with MMS media parts (message text is not read)"
    }

    fn optional_tables(&self) -> &'static [(&'static str, &'static str)] {
        &[("pdu", "no MMS are read"), ("part", "no MMS media parts are read")]
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
        let sms = s.has_columns("sms", &["address", "date", "type", "body", "thread_id"]);
        if sms { Sniff::Yes } else { Sniff::No }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let db = input.sqlite()?;
        let (conn, schema) = (&db.conn, &db.schema);
        if !schema.has_table("sms") {
            return Err(SourceError::NotThisFormat { format: self.id(), reason: "no sms table".into() });
        }
        parse_sms(conn, schema, out)?;
        if schema.has_table("pdu") {
            let addrs = mms_addrs(conn, schema, out);
            parse_pdu(conn, schema, &addrs, out)?;
            if schema.has_table("part") {
                parse_parts(conn, schema, &addrs, out)?;
            }
        }
        Ok(())
    }
}

fn parse_sms(conn: &crate::input::Db, schema: &SqliteSchema, out: &mut dyn EventSink) -> Result<(), SourceError> {
    let cols = select_list(
        schema,
        "sms",
        "s",
        &[
            "thread_id",
            "address",
            "person",
            "date",
            "date_sent",
            "protocol",
            "read",
            "status",
            "type",
            "service_center",
            "locked",
            "error_code",
            "seen",
        ],
    );
    let body = if schema.has_column("sms", "body") { "length(s.body) AS body_len" } else { "NULL AS body_len" };
    let sql = format!("SELECT s.rowid AS _rowid, {cols}, {body} FROM sms s ORDER BY s.rowid");
    each_row(conn, "sms", &sql, out, |row, record| {
        let ms = positive(int(row, "date")?, "date")?;
        let ts = Timestamp::from_unix_millis(ms)?;
        let t = int(row, "type")?.ok_or_else(|| RejectReason::Value { field: "type".into(), detail: "NULL".into() })?;
        let Some(kind) = box_kind(t, "type")? else {
            return Ok(Vec::new());
        };
        let mut e = Event::new(kind, ts, Precision::Millisecond, record);
        let address = text(row, "address");
        if kind == EventKind::MsgReceived {
            e.actor = address.clone().map(Cow::Owned);
        }
        e.attrs.push("message_type", "sms");
        e.attrs.push_opt("box", box_name(t));
        e.attrs.push_opt("address", address);
        e.attrs.push_opt("thread_id", int(row, "thread_id")?);
        e.attrs.push_opt("person", int(row, "person")?);
        if let Some(sent) = int(row, "date_sent")?.filter(|v| *v > 0) {
            e.attrs.push("date_sent", Timestamp::from_unix_millis(sent)?);
        }
        for key in ["read", "seen", "locked"] {
            if let Some(v) = int(row, key)? {
                e.attrs.push(key, v != 0);
            }
        }
        e.attrs.push_opt("delivery_status", int(row, "status")?.filter(|s| *s != -1));
        e.attrs.push_opt("protocol", int(row, "protocol")?);
        e.attrs.push_opt("service_center", text(row, "service_center"));
        e.attrs.push_opt("error_code", int(row, "error_code")?.filter(|c| *c != 0));
        e.attrs.push_opt("body_len", int(row, "body_len")?);
        Ok(vec![e])
    })
}

fn parse_pdu(
    conn: &crate::input::Db,
    schema: &SqliteSchema,
    addrs: &HashMap<i64, Addrs>,
    out: &mut dyn EventSink,
) -> Result<(), SourceError> {
    let media = media_part_counts(conn, schema, out);
    let cols = select_list(
        schema,
        "pdu",
        "p",
        &[
            "_id",
            "thread_id",
            "date",
            "date_sent",
            "msg_box",
            "read",
            "seen",
            "m_id",
            "ct_t",
            "ct_l",
            "exp",
            "m_cls",
            "m_type",
            "m_size",
            "tr_id",
            "retr_st",
            "resp_st",
            "st",
            "locked",
            "text_only",
        ],
    );
    let sql = format!("SELECT p.rowid AS _rowid, {cols} FROM pdu p ORDER BY p.rowid");
    each_row(conn, "pdu", &sql, out, |row, record| {
        let secs = positive(int(row, "date")?, "date")?;
        let ts = Timestamp::from_unix_seconds(secs)?;
        let m_type = int(row, "m_type")?;
        if matches!(m_type, Some(134 | 136)) {
            // Delivery and read reports about sent messages: no message of their own.
            return Ok(Vec::new());
        }
        let b = int(row, "msg_box")?
            .ok_or_else(|| RejectReason::Value { field: "msg_box".into(), detail: "NULL".into() })?;
        let Some(kind) = box_kind(b, "msg_box")? else {
            return Ok(Vec::new());
        };
        let mut e = Event::new(kind, ts, Precision::Second, record);
        let id = int(row, "_id")?;
        let a = id.and_then(|i| addrs.get(&i));
        if kind == EventKind::MsgReceived {
            e.actor = a.and_then(|a| a.from.clone()).map(Cow::Owned);
        }
        e.url = text(row, "ct_l").map(Cow::Owned);
        e.size = int(row, "m_size")?.filter(|s| *s >= 0);
        e.attrs.push("message_type", "mms");
        if let Some(t) = m_type {
            e.attrs.push_opt("pdu_type", pdu_type_name(t));
            e.attrs.push("m_type", t);
            match t {
                132 => e.attrs.push("retrieved", true),
                130 => e.attrs.push("retrieved", false),
                _ => {}
            }
        }
        e.attrs.push_opt("box", box_name(b));
        if let Some(a) = a {
            e.attrs.push_opt("from", a.from.clone());
            if !a.to.is_empty() {
                e.attrs.push("to", Value::List(a.to.iter().cloned().map(Cow::Owned).collect()));
            }
        }
        e.attrs.push_opt("thread_id", int(row, "thread_id")?);
        if let Some(sent) = int(row, "date_sent")?.filter(|v| *v > 0) {
            e.attrs.push("date_sent", Timestamp::from_unix_seconds(sent)?);
        }
        for key in ["read", "seen", "locked", "text_only"] {
            if let Some(v) = int(row, key)? {
                e.attrs.push(key, v != 0);
            }
        }
        e.attrs.push_opt("mms_message_id", text(row, "m_id"));
        e.attrs.push_opt("transaction_id", text(row, "tr_id"));
        e.attrs.push_opt("content_type", text(row, "ct_t"));
        e.attrs.push_opt("message_class", text(row, "m_cls"));
        e.attrs.push_opt("expiry", int(row, "exp")?);
        e.attrs.push_opt("retrieve_status", int(row, "retr_st")?);
        e.attrs.push_opt("response_status", int(row, "resp_st")?);
        e.attrs.push_opt("mms_status", int(row, "st")?);
        e.attrs.push("media_parts", id.and_then(|i| media.get(&i).copied()).unwrap_or(0));
        Ok(vec![e])
    })
}

fn parse_parts(
    conn: &crate::input::Db,
    schema: &SqliteSchema,
    addrs: &HashMap<i64, Addrs>,
    out: &mut dyn EventSink,
) -> Result<(), SourceError> {
    let cols = select_list(schema, "part", "pt", &["mid", "seq", "ct", "name", "chset", "fn", "cid", "cl", "_data"]);
    let pcol = |c: &str, alias: &str| {
        if schema.has_column("pdu", c) { format!("p.\"{c}\" AS {alias}") } else { format!("NULL AS {alias}") }
    };
    let sql = format!(
        "SELECT pt.rowid AS _rowid, {cols}, p.rowid AS pdu_rowid, {}, {}, {}, {} FROM part pt \
         LEFT JOIN pdu p ON p._id = pt.mid ORDER BY pt.rowid",
        pcol("date", "pdu_date"),
        pcol("msg_box", "pdu_box"),
        pcol("m_type", "pdu_m_type"),
        pcol("read", "pdu_read"),
    );
    each_row(conn, "part", &sql, out, |row, record| {
        let ct = text(row, "ct");
        if !is_media(ct.as_deref()) {
            return Ok(Vec::new());
        }
        let mid = int(row, "mid")?;
        if int(row, "pdu_rowid")?.is_none() {
            return Err(RejectReason::Timestamp(match mid {
                Some(m) => format!("media part of MMS {m}, which is not in pdu: no time"),
                None => "media part without mid: no time".into(),
            }));
        }
        let secs = positive(int(row, "pdu_date")?, "pdu.date")?;
        let ts = Timestamp::from_unix_seconds(secs)?;
        let b = int(row, "pdu_box")?
            .ok_or_else(|| RejectReason::Value { field: "msg_box".into(), detail: "NULL".into() })?;
        let kind = match box_kind(b, "msg_box")? {
            Some(EventKind::MsgReceived) => EventKind::MsgMediaFetched,
            Some(k) => k,
            None => return Ok(Vec::new()),
        };
        let mut e = Event::new(kind, ts, Precision::Second, record);
        e.path = text(row, "_data").map(Cow::Owned);
        if kind == EventKind::MsgMediaFetched {
            e.actor = mid.and_then(|m| addrs.get(&m)).and_then(|a| a.from.clone()).map(Cow::Owned);
            // Whether the MMS was read (its conversation shown, or marked read)
            // by the time the database was copied.
            if let Some(read) = int(row, "pdu_read")? {
                e.attrs.push("chat_read", read != 0);
            }
        }
        e.attrs.push_opt("content_type", ct);
        e.attrs.push_opt("name", text(row, "name"));
        e.attrs.push_opt("file_name", text(row, "fn"));
        e.attrs.push_opt("content_location", text(row, "cl"));
        e.attrs.push_opt("content_id", text(row, "cid"));
        e.attrs.push_opt("charset", int(row, "chset")?);
        e.attrs.push_opt("part_seq", int(row, "seq")?);
        e.attrs.push_opt("mms_id", mid);
        if let Some(t) = int(row, "pdu_m_type")? {
            e.attrs.push_opt("pdu_type", pdu_type_name(t));
        }
        e.attrs.push_opt("box", box_name(b));
        Ok(vec![e])
    })
}

#[cfg(test)]
mod tests {
    use super::{box_kind, is_media};
    use waybill_model::EventKind;

    #[test]
    fn boxes_and_media() {
        assert_eq!(box_kind(1, "type"), Ok(Some(EventKind::MsgReceived)));
        assert_eq!(box_kind(5, "type"), Ok(Some(EventKind::MsgSent)));
        assert_eq!(box_kind(3, "type"), Ok(None));
        assert!(box_kind(9, "msg_box").is_err());
        assert!(is_media(Some("image/jpeg")));
        assert!(!is_media(Some("application/smil")));
        assert!(!is_media(Some("Text/Plain")));
        assert!(is_media(None));
    }
}
