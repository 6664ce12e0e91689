//! WhatsApp for iOS `ChatStorage.sqlite` (the Core Data message store).
//!
//! # What it reads
//! One record per `ZWAMESSAGE` row, joined to its chat (`ZWACHATSESSION`:
//! `ZCONTACTJID`, `ZPARTNERNAME`, `ZSESSIONTYPE`), its media item
//! (`ZWAMEDIAITEM` by `ZMEDIAITEM`: `ZMEDIALOCALPATH`, `ZFILESIZE`,
//! `ZMEDIAURL`, `ZVCARDNAME`, `ZTITLE`, `ZMOVIEDURATION`) and, in a group, the
//! member who sent it (`ZWAGROUPMEMBER.ZMEMBERJID` by `ZGROUPMEMBER`). Times
//! are Core Data seconds since 2001-01-01 UTC (`ZMESSAGEDATE`, `ZSENTDATE`).
//!
//! # Versions seen
//! The columns public parsers read: iLEAPP (`scripts/artifacts/whatsApp.py`:
//! `ZMESSAGEDATE`, `ZISFROMME`, `ZFROMJID`, `ZTOJID`, `ZMEDIAITEM`,
//! `ZMESSAGETYPE`, `ZMEDIALOCALPATH`, `ZCONTACTJID`, Core Data epoch) and IPED
//! (`ExtractorIOS.java`: `ZFILESIZE`, `ZVCARDNAME` as the media hash,
//! `ZMEDIAURL`, `ZSTANZAID`, `ZGROUPMEMBER` → `ZMEMBERJID`, and `ZTITLE`,
//! `ZSTANZAID`, `ZMETADATA`, `ZMOVIEDURATION` missing from older stores).
//! Optional columns are read when present. The fixture is a synthetic store
//! built from those columns: no public ChatStorage.sqlite with peer assertions
//! was found.
//!
//! # Events emitted
//! Per message, at `ZMESSAGEDATE` (precision ms: Core Data stores a double):
//! - `msg.received` (`ZISFROMME` = 0) or `msg.sent` (1). `actor` = the sender
//!   of a received message (the group member, else `ZFROMJID`).
//! - `msg.media_fetched` in addition for a received message whose media item
//!   has a local path (`ZMEDIALOCALPATH`, relative to the app's shared
//!   container, e.g. `Media/<chat JID>/a/b/<uuid>.jpg`): at the message's time
//!   (a lower bound, `ts_is_lower_bound`: the store keeps no time of the
//!   download; `ts_is_receipt` = false: the message's own time, not this
//!   phone's receipt; no `media_mtime`: what an iOS media file's
//!   modification time records is not documented), `size` = `ZFILESIZE`, `provider_hash` = `ZVCARDNAME` when it is
//!   Base64 of 32 bytes (WhatsApp's SHA-256 of the plaintext, as IPED reads
//!   it; `sha256` = the same in hex), `url` = `ZMEDIAURL`.
//!
//! `attrs`: `app` = `whatsapp`, `platform` = `ios`, `key_id` = `ZSTANZAID`,
//! `chat_jid`, `chat_type` (`group` by the JID's `@g.us`, else by
//! `ZSESSIONTYPE` 1; `person`, `broadcast`, `status`), `chat_subject`
//! (`ZPARTNERNAME` of a group), `sender_jid`, `message_type` and
//! `media_type` (`ZMESSAGETYPE`: 0 text, 1 image, 2 video, 3 audio, 4
//! contact, 5 location, 6 system, 7 link, 8 document, 11 gif, 15 sticker, as
//! iLEAPP and IPED name them), `autodownload_class` (image, video, audio,
//! document), `status` (`ZMESSAGESTATUS`), `starred`.
//!
//! A row without `ZMESSAGEDATE`, or with `ZISFROMME` other than 0/1, is
//! rejected. System messages (type 6) are accepted with no event.
//!
//! # What it cannot tell us
//! Whether a download was automatic or tapped: no column is documented to say
//! so (`ZMEDIAORIGIN`, `ZCLOUDSTATUS` appear in schema dumps without a known
//! meaning, and are not read), and where WhatsApp for iOS keeps its
//! auto-download settings is not publicly documented. So only the timing of
//! the file against the message (from the file tree) speaks to it. Message
//! text is not copied (only `has_text`).
//!
//! # References
//! `abrignoni/iLEAPP` `scripts/artifacts/whatsApp.py`; `sepinf-inc/IPED`
//! `iped-parsers/…/whatsapp/ExtractorIOS.java`.

use std::borrow::Cow;

use base64::Engine as _;
use waybill_model::{Event, EventKind, EventSink, Precision, RejectReason, Timestamp};

use crate::input::{Input, hex};
use crate::source::{InputKind, Probe, Sniff, Source, SourceError, SqliteSchema};
use crate::sqlite::{each_row, int, text};

/// WhatsApp for iOS `ChatStorage.sqlite`.
pub struct WhatsappIos;

/// Seconds from the Unix epoch to Core Data's (2001-01-01T00:00:00Z).
const CORE_DATA_EPOCH: f64 = 978_307_200.0;

/// The name of a `ZMESSAGETYPE`, and the auto-download class that governs it.
pub fn message_type(t: i64) -> (&'static str, Option<&'static str>) {
    match t {
        0 => ("text", None),
        1 => ("image", Some("image")),
        2 => ("video", Some("video")),
        3 => ("audio", Some("audio")),
        4 => ("contact", None),
        5 => ("location", None),
        6 => ("system", None),
        7 => ("link", None),
        8 => ("document", Some("document")),
        11 => ("gif", None),
        15 => ("sticker", None),
        _ => ("other", None),
    }
}

fn col(schema: &SqliteSchema, table: &str, alias: &str, c: &str, as_name: &str) -> String {
    if schema.has_column(table, c) { format!("{alias}.{c} AS {as_name}") } else { format!("NULL AS {as_name}") }
}

impl Source for WhatsappIos {
    fn id(&self) -> &'static str {
        "whatsapp.ios_chatstorage"
    }

    fn description(&self) -> &'static str {
        "WhatsApp iOS ChatStorage.sqlite (Core Data): messages and media items with local path, size and media hash"
    }

    fn version(&self) -> u32 {
        1
    }

    fn input_kind(&self) -> InputKind {
        InputKind::Sqlite
    }

    fn optional_tables(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("ZWAMEDIAITEM", "the media files of messages"),
            ("ZWACHATSESSION", "which chat each message belongs to"),
            ("ZWAGROUPMEMBER", "who sent a group message"),
        ]
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        let Some(s) = probe.sqlite else { return Sniff::No };
        if s.has_columns("ZWAMESSAGE", &["ZMESSAGEDATE", "ZISFROMME", "ZMESSAGETYPE"]) { Sniff::Yes } else { Sniff::No }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let db = input.sqlite()?;
        let (conn, s) = (&db.conn, &db.schema);
        if !s.has_columns("ZWAMESSAGE", &["ZMESSAGEDATE", "ZISFROMME"]) {
            return Err(SourceError::NotThisFormat { format: self.id(), reason: "no ZWAMESSAGE table".into() });
        }
        let media = s.has_columns("ZWAMEDIAITEM", &["Z_PK"]) && s.has_column("ZWAMESSAGE", "ZMEDIAITEM");
        let chat = s.has_columns("ZWACHATSESSION", &["Z_PK"]) && s.has_column("ZWAMESSAGE", "ZCHATSESSION");
        let member = s.has_columns("ZWAGROUPMEMBER", &["Z_PK"]) && s.has_column("ZWAMESSAGE", "ZGROUPMEMBER");
        let mut cols: Vec<String> = [
            ("ZMESSAGEDATE", "mdate"),
            ("ZISFROMME", "from_me"),
            ("ZMESSAGETYPE", "mtype"),
            ("ZFROMJID", "from_jid"),
            ("ZTOJID", "to_jid"),
            ("ZSTANZAID", "stanza"),
            ("ZMESSAGESTATUS", "status"),
            ("ZSTARRED", "starred"),
            ("ZTEXT", "body"),
        ]
        .iter()
        .map(|(c, a)| col(s, "ZWAMESSAGE", "m", c, a))
        .collect();
        let t = |on: bool, table: &str, alias: &str, pairs: &[(&str, &str)]| -> Vec<String> {
            pairs.iter().map(|(c, a)| if on { col(s, table, alias, c, a) } else { format!("NULL AS {a}") }).collect()
        };
        cols.extend(t(
            chat,
            "ZWACHATSESSION",
            "c",
            &[("ZCONTACTJID", "chat_jid"), ("ZPARTNERNAME", "partner"), ("ZSESSIONTYPE", "session_type")],
        ));
        cols.extend(t(
            media,
            "ZWAMEDIAITEM",
            "i",
            &[
                ("ZMEDIALOCALPATH", "local_path"),
                ("ZFILESIZE", "file_size"),
                ("ZMEDIAURL", "media_url"),
                ("ZVCARDNAME", "media_hash"),
                ("ZTITLE", "title"),
                ("ZMOVIEDURATION", "duration"),
            ],
        ));
        cols.extend(t(member, "ZWAGROUPMEMBER", "g", &[("ZMEMBERJID", "member_jid")]));
        let mut sql = format!("SELECT m.Z_PK AS _rowid, {} FROM ZWAMESSAGE m", cols.join(", "));
        if chat {
            sql.push_str(" LEFT JOIN ZWACHATSESSION c ON c.Z_PK = m.ZCHATSESSION");
        }
        if media {
            sql.push_str(" LEFT JOIN ZWAMEDIAITEM i ON i.Z_PK = m.ZMEDIAITEM");
        }
        if member {
            sql.push_str(" LEFT JOIN ZWAGROUPMEMBER g ON g.Z_PK = m.ZGROUPMEMBER");
        }
        sql.push_str(" ORDER BY m.Z_PK");
        each_row(conn, "ZWAMESSAGE", &sql, out, |row, record| {
            let secs: f64 = match row.get_ref("mdate") {
                Ok(rusqlite::types::ValueRef::Real(f)) => f,
                Ok(rusqlite::types::ValueRef::Integer(i)) => i as f64,
                _ => return Err(RejectReason::Timestamp("ZMESSAGEDATE is NULL or not a number".into())),
            };
            let us = ((secs + CORE_DATA_EPOCH) * 1e6).round();
            if !us.is_finite() || us.abs() > 9e18 {
                return Err(RejectReason::Timestamp(format!("ZMESSAGEDATE {secs} is not a time")));
            }
            let ts = Timestamp::from_unix_micros(us as i64)?;
            let kind = match int(row, "from_me")? {
                Some(0) => EventKind::MsgReceived,
                Some(1) => EventKind::MsgSent,
                other => {
                    return Err(RejectReason::Value {
                        field: "ZISFROMME".into(),
                        detail: format!("{other:?} is not 0 or 1"),
                    });
                }
            };
            let mtype = int(row, "mtype")?.unwrap_or(0);
            let (type_name, class) = message_type(mtype);
            if type_name == "system" {
                return Ok(Vec::new());
            }
            let chat_jid = text(row, "chat_jid")
                .or_else(|| if kind == EventKind::MsgReceived { text(row, "from_jid") } else { text(row, "to_jid") });
            let session = int(row, "session_type")?;
            let chat_type = match (&chat_jid, session) {
                (Some(j), _) if j.ends_with("@g.us") => "group",
                (Some(j), _) if j == "status@broadcast" => "status",
                (_, Some(1)) => "group",
                (_, Some(2)) => "broadcast",
                (_, Some(3)) => "status",
                _ => "person",
            };
            let sender = if kind == EventKind::MsgReceived {
                text(row, "member_jid").or_else(|| text(row, "from_jid"))
            } else {
                None
            };
            let base = |k: EventKind| -> Result<Event<'static>, RejectReason> {
                let mut e = Event::new(k, ts, Precision::Millisecond, record);
                e.actor = sender.clone().map(Cow::Owned);
                let a = &mut e.attrs;
                a.push("app", "whatsapp");
                a.push("platform", "ios");
                a.push_opt("key_id", text(row, "stanza"));
                a.push_opt("chat_jid", chat_jid.clone());
                a.push("chat_type", chat_type);
                if chat_type == "group" {
                    a.push_opt("chat_subject", text(row, "partner"));
                }
                a.push_opt("sender_jid", sender.clone());
                a.push("message_type", mtype);
                a.push("media_type", type_name);
                a.push_opt("autodownload_class", class);
                a.push_opt("status", int(row, "status")?);
                if int(row, "starred")?.is_some_and(|v| v != 0) {
                    a.push("starred", true);
                }
                if text(row, "body").is_some_and(|b| !b.is_empty()) {
                    a.push("has_text", true);
                }
                Ok(e)
            };
            let mut events = vec![base(kind)?];
            let local = text(row, "local_path").filter(|p| !p.is_empty());
            if let (EventKind::MsgReceived, Some(path)) = (kind, local) {
                let mut f = base(EventKind::MsgMediaFetched)?;
                f.path = Some(Cow::Owned(path));
                f.size = int(row, "file_size")?.filter(|s| *s >= 0);
                f.url = text(row, "media_url").filter(|u| u.contains("://")).map(Cow::Owned);
                if let Some(h) = text(row, "media_hash") {
                    let digest =
                        base64::engine::general_purpose::STANDARD.decode(h.trim()).ok().filter(|d| d.len() == 32);
                    if let Some(d) = digest {
                        f.sha256 = Some(Cow::Owned(hex(&d)));
                        f.provider_hash = Some(Cow::Owned(h.trim().to_owned()));
                        f.provider_hash_kind = Some("whatsapp");
                    }
                }
                f.attrs.push_opt("media_title", text(row, "title"));
                f.attrs.push_opt("media_duration", int(row, "duration")?);
                f.attrs.push("ts_from", "ZMESSAGEDATE (the message's time; the download's own is not kept)");
                f.attrs.push("ts_is_lower_bound", true);
                f.attrs.push("ts_is_receipt", false);
                events.push(f);
            }
            Ok(events)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::message_type;

    #[test]
    fn message_types() {
        assert_eq!(message_type(1), ("image", Some("image")));
        assert_eq!(message_type(8), ("document", Some("document")));
        assert_eq!(message_type(6), ("system", None));
        assert_eq!(message_type(99), ("other", None));
    }
}
