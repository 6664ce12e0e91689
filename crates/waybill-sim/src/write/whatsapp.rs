//! WhatsApp for Android: `databases/msgstore.db` (the current schema, as the
//! app's own DDL creates it since the 2022 migration) and
//! `shared_prefs/com.whatsapp_preferences_light.xml` with the auto-download
//! masks. Times in the database are Unix milliseconds on the phone's clock;
//! `file_hash` is the base64 SHA-256 of the media file.

use std::path::Path;

use base64::Engine as _;
use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};

use crate::world::{Micros, Phone};

const SCHEMA: &str = "
CREATE TABLE jid (_id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, server TEXT NOT NULL, agent INTEGER, device INTEGER, type INTEGER, raw_string TEXT);
CREATE UNIQUE INDEX jid_raw_string_index ON jid (raw_string);
CREATE TABLE chat (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid_row_id INTEGER UNIQUE, hidden INTEGER, subject TEXT, created_timestamp INTEGER, display_message_row_id INTEGER, last_message_row_id INTEGER, last_read_message_row_id INTEGER, archived INTEGER, sort_timestamp INTEGER, unseen_message_count INTEGER);
CREATE TABLE message (_id INTEGER PRIMARY KEY AUTOINCREMENT, chat_row_id INTEGER NOT NULL, from_me INTEGER NOT NULL, key_id TEXT NOT NULL, sender_jid_row_id INTEGER, status INTEGER, broadcast INTEGER, recipient_count INTEGER, participant_hash TEXT, origination_flags INTEGER, origin INTEGER, timestamp INTEGER, received_timestamp INTEGER, receipt_server_timestamp INTEGER, message_type INTEGER, text_data TEXT, starred INTEGER, lookup_tables INTEGER, message_add_on_flags INTEGER, sort_id INTEGER NOT NULL DEFAULT 0);
CREATE TABLE message_media (message_row_id INTEGER PRIMARY KEY, chat_row_id INTEGER, autotransfer_retry_enabled INTEGER, multicast_id TEXT, media_job_uuid TEXT, transferred INTEGER, transcoded INTEGER, file_path TEXT, file_size INTEGER, suspicious_content INTEGER, trim_from INTEGER, trim_to INTEGER, face_x INTEGER, face_y INTEGER, media_key BLOB, media_key_timestamp INTEGER, width INTEGER, height INTEGER, has_streaming_sidecar INTEGER, gif_attribution INTEGER, thumbnail_height_width_ratio REAL, direct_path TEXT, first_scan_sidecar BLOB, first_scan_length INTEGER, message_url TEXT, mime_type TEXT, file_length INTEGER, media_name TEXT, file_hash TEXT, media_duration INTEGER, page_count INTEGER, enc_file_hash TEXT, partial_media_hash TEXT, partial_media_enc_hash TEXT, is_animated_sticker INTEGER, original_file_hash TEXT, mute_video INTEGER DEFAULT 0, media_caption TEXT);
CREATE TABLE message_thumbnail (message_row_id INTEGER PRIMARY KEY, thumbnail BLOB);
INSERT INTO message (_id, chat_row_id, from_me, key_id, status, timestamp, received_timestamp, message_type, sort_id) VALUES (1, -1, 0, '-1', -1, 0, 0, 0, 0);
";

/// Writes `msgstore.db`.
pub fn write_msgstore(path: &Path, phone: &Phone) -> rusqlite::Result<()> {
    let mut db = Connection::open(path)?;
    db.execute_batch(SCHEMA)?;
    let tx = db.transaction()?;
    let ms = |t: i64| phone.clock(t).div_euclid(1_000);
    let mut jids: Vec<String> = Vec::new();
    let mut jid_row = |tx: &rusqlite::Transaction<'_>, jid: &str| -> rusqlite::Result<i64> {
        if let Some(i) = jids.iter().position(|j| j == jid) {
            return Ok(i as i64 + 1);
        }
        let (user, server) = jid.split_once('@').unwrap_or((jid, "s.whatsapp.net"));
        let kind = if server == "g.us" { 1 } else { 0 };
        tx.execute(
            "INSERT INTO jid (user, server, agent, device, type, raw_string) VALUES (?1, ?2, 0, 0, ?3, ?4)",
            params![user, server, kind, jid],
        )?;
        jids.push(jid.to_owned());
        Ok(jids.len() as i64)
    };
    let mut chats: Vec<String> = Vec::new();
    for (i, m) in phone.messages.iter().enumerate() {
        let chat_jid = jid_row(&tx, &m.chat_jid)?;
        let chat = match chats.iter().position(|c| *c == m.chat_jid) {
            Some(c) => c as i64 + 1,
            None => {
                tx.execute(
                    "INSERT INTO chat (jid_row_id, hidden, subject, created_timestamp, archived, sort_timestamp) VALUES (?1, 0, ?2, ?3, 0, ?3)",
                    params![chat_jid, m.subject, ms(m.sent) - 86_400_000],
                )?;
                chats.push(m.chat_jid.clone());
                chats.len() as i64
            }
        };
        let sender = if m.chat_jid.ends_with("@g.us") { Some(jid_row(&tx, &m.sender_jid)?) } else { None };
        let id = i as i64 + 2;
        let text = if m.media.is_none() { Some("(synthetic text)") } else { None };
        tx.execute(
            "INSERT INTO message (_id, chat_row_id, from_me, key_id, sender_jid_row_id, status, broadcast, recipient_count, origination_flags, origin, timestamp, received_timestamp, receipt_server_timestamp, message_type, text_data, starred, lookup_tables, message_add_on_flags, sort_id)
             VALUES (?1, ?2, 0, ?3, ?4, 0, 0, 0, 0, 0, ?5, ?6, ?5, ?7, ?8, 0, 0, 0, ?1)",
            params![id, chat, m.key_id, sender, ms(m.sent), ms(m.received), m.message_type, text],
        )?;
        if let Some((path, mime, body, fetched)) = &m.media {
            let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body.as_slice()));
            tx.execute(
                "INSERT INTO message_media (message_row_id, chat_row_id, autotransfer_retry_enabled, transferred, transcoded, file_path, file_size, mime_type, file_length, file_hash, direct_path, media_name)
                 VALUES (?1, ?2, 1, ?3, 0, ?4, ?5, ?6, ?5, ?7, ?8, NULL)",
                params![
                    id,
                    chat,
                    i64::from(*fetched),
                    fetched.then_some(path.as_str()),
                    body.len() as i64,
                    mime,
                    hash,
                    format!("/v/t62.7118-24/{}", &m.key_id)
                ],
            )?;
        }
    }
    // Each chat's last-read mark: its newest message the subject had open (the
    // rows are written in time order within a chat); none when none was.
    for (c, jid) in chats.iter().enumerate() {
        let ids = phone.messages.iter().enumerate().filter(|(_, m)| m.chat_jid == *jid);
        let last = ids.clone().map(|(i, _)| i as i64 + 2).max();
        let read = ids.filter(|(_, m)| m.read).map(|(i, _)| i as i64 + 2).max();
        // "Mark as unread" sets the count to -1 and leaves the mark alone.
        let unseen = if phone.marked_unread.contains(jid) { -1 } else { 0 };
        tx.execute(
            "UPDATE chat SET last_message_row_id = ?1, last_read_message_row_id = ?2, unseen_message_count = ?3 WHERE _id = ?4",
            params![last, read, unseen, c as i64 + 1],
        )?;
    }
    tx.commit()
}

/// Writes the preferences file with the masks and sets its modification time
/// (the phone's clock) to when it was last written.
pub fn write_prefs(path: &Path, phone: &Phone) -> std::io::Result<()> {
    let [wifi, cell, roam] = phone.masks;
    // A phone that never changed the settings may hold no mask keys at all
    // (the app then uses its defaults, Wi-Fi 15, cellular 1, roaming 0).
    let masks = if phone.keys_missing {
        String::new()
    } else {
        format!(
            "    <int name=\"autodownload_wifi_mask\" value=\"{wifi}\" />\n    <int name=\"autodownload_cellular_mask\" value=\"{cell}\" />\n    <int name=\"autodownload_roaming_mask\" value=\"{roam}\" />\n"
        )
    };
    let xml = format!(
        "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n    <boolean name=\"settings_verification_success\" value=\"true\" />\n{masks}    <string name=\"interface_gdrive_backup_network_setting\">0</string>\n</map>\n"
    );
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, xml)?;
    let us = phone.clock(phone.prefs_written).max(0);
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_micros(us as u64);
    std::fs::File::options().write(true).open(path)?.set_modified(t)
}

/// Writes WhatsApp's own log into `dir` (`files/Logs`): the older half of
/// the lines as a gzip rotation `whatsapp-YYYY-MM-DD.1.log.gz`, the rest as
/// `whatsapp.log`, each file starting with the header WhatsApp writes when
/// it opens a log (`==== logfile level=3 tz=+HHMM ====`). Lines are
/// `YYYY-MM-DD HH:MM:SS.mmm LL_I <W|M|D> [tid:thread] message` in the
/// phone's local time (its clock plus the zone offset), as decompiled
/// WhatsApp 2.24.6.77 writes them; download decisions are
/// `MediaDownloadManager/queueDownload auto download Key[id=…, from_me=false,
/// remote_jid=…], message.mediaHash=<Base64 SHA-256>` or `…/start manual
/// download …`, with a person's JID printed as its last four digits.
/// `chatter` adds the app's other lines (times, true).
pub fn write_log(dir: &Path, phone: &Phone, chatter: &[Micros]) -> std::io::Result<()> {
    let log = &phone.log;
    let mut lines: Vec<(Micros, String)> = Vec::new();
    for d in log.downloads.iter().filter(|d| log.holds(d.ts)) {
        let jid = match d.chat_jid.split_once('@') {
            Some((user, "s.whatsapp.net")) => format!("{}@s.whatsapp.net", &user[user.len().saturating_sub(4)..]),
            _ => d.chat_jid.clone(),
        };
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(d.body.as_slice()));
        let what = if d.auto { "queueDownload auto download" } else { "start manual download" };
        lines.push((
            d.ts,
            format!(
                "LL_I {} [{}:MediaDownload] MediaDownloadManager/{what} Key[id={}, from_me=false, remote_jid={jid}], message.mediaHash={hash}",
                d.network,
                4000 + lines.len(),
                d.key_id
            ),
        ));
    }
    const OTHER: &[&str] = &[
        "LL_I W [12:main] app/foreground",
        "LL_I W [31:xmpp] xmpp/reader/read/message",
        "LL_I D [12:main] app/background",
        "LL_W M [57:Worker] conversation/refresh slow query",
    ];
    for (i, &t) in chatter.iter().enumerate().filter(|(_, t)| log.holds(**t)) {
        lines.push((t, OTHER[i % OTHER.len()].to_owned()));
    }
    lines.sort();
    let local = |t: Micros| phone.clock(t) + i64::from(log.tz_s) * 1_000_000;
    let stamp = |t: Micros| {
        let s = crate::write::rfc3339(local(t));
        format!("{} {}", &s[..10], &s[11..23])
    };
    let sign = if log.tz_s < 0 { '-' } else { '+' };
    let a = log.tz_s.unsigned_abs();
    let header = format!("==== logfile level=3 tz={sign}{:02}{:02} ====\n", a / 3600, (a / 60) % 60);
    let text = |part: &[(Micros, String)]| {
        let mut out = header.clone();
        out.push_str("==== logfile version=2.24.6.77 level=3====\n");
        for (t, l) in part {
            out.push_str(&stamp(*t));
            out.push(' ');
            out.push_str(l);
            out.push('\n');
        }
        out
    };
    std::fs::create_dir_all(dir)?;
    let half = lines.len() / 2;
    let (old, new) = lines.split_at(half);
    if let Some((first, _)) = old.first() {
        let day = &crate::write::rfc3339(local(*first))[..10];
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, text(old).as_bytes())?;
        std::fs::write(dir.join(format!("whatsapp-{day}.1.log.gz")), gz.finish()?)?;
    }
    std::fs::write(dir.join("whatsapp.log"), text(new))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::world::WaMessage;

    fn message(chat: &str, t: i64, read: bool, media: bool) -> WaMessage {
        WaMessage {
            sent: t,
            received: t + 1_000_000,
            chat_jid: chat.to_owned(),
            subject: Some("Photo club".into()),
            sender_jid: "15550002222@s.whatsapp.net".into(),
            key_id: format!("3A{t:018X}"),
            message_type: if media { 1 } else { 0 },
            media: media.then(|| ("Media/WhatsApp Images/x.jpg".to_owned(), "image/jpeg", Arc::new(vec![1u8]), true)),
            read,
        }
    }

    /// Each chat's last-read mark is its newest message the subject had open:
    /// the image after it reads as unread; a chat never opened has no mark.
    #[test]
    fn the_last_read_mark_is_the_newest_read_message_of_each_chat() {
        let t = tempfile::tempdir().expect("temp");
        let phone = Phone {
            name: "PHONE-1".into(),
            clock_offset: 0,
            masks: [15, 1, 1],
            earlier: None,
            keys_missing: false,
            roaming_known_no: false,
            prefs_in_bundle: true,
            prefs_written: 0,
            messages: vec![
                message("120363000000000001@g.us", 1_000_000_000, true, false),
                message("120363000000000002@g.us", 2_000_000_000, false, true),
                message("120363000000000001@g.us", 3_000_000_000, true, false),
                message("120363000000000001@g.us", 4_000_000_000, false, true),
            ],
            files: Vec::new(),
            marked_unread: Vec::new(),
            log: crate::world::WaLog::default(),
        };
        let db = t.path().join("msgstore.db");
        write_msgstore(&db, &phone).expect("write");
        let conn = Connection::open(&db).expect("open");
        let marks: Vec<(i64, Option<i64>, Option<i64>)> = conn
            .prepare("SELECT _id, last_message_row_id, last_read_message_row_id FROM chat ORDER BY _id")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        // Rows 2..=5 (1 is the placeholder): chat 1 holds 2, 4, 5; chat 2 holds 3.
        assert_eq!(marks, [(1, Some(5), Some(4)), (2, Some(3), None)]);
    }
}
