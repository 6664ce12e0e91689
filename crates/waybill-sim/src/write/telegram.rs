//! Telegram for Android: `files/cache4.db` and `files/file_to_path.db` with
//! the DDL of `MessagesStorage.createTables` and `FilePathDatabase` (version
//! 7) in `DrKLO/Telegram`, and `shared_prefs/mainconfig.xml` with the
//! auto-download presets. Times in `messages_v2` are Unix seconds and in
//! `downloading_documents` Unix milliseconds, on the phone's clock. Written
//! from the app's schema, not from waybill's reader.

use std::path::Path;

use rusqlite::{Connection, params};

use crate::world::TgPhone;

const CACHE4: &str = "
CREATE TABLE messages_v2(mid INTEGER, uid INTEGER, read_state INTEGER, send_state INTEGER, date INTEGER, data BLOB, out INTEGER, ttl INTEGER, media INTEGER, replydata BLOB, imp INTEGER, mention INTEGER, forwards INTEGER, replies_data BLOB, thread_reply_id INTEGER, is_channel INTEGER, reply_to_message_id INTEGER, custom_params BLOB, group_id INTEGER, reply_to_story_id INTEGER, PRIMARY KEY(mid, uid));
CREATE TABLE download_queue(uid INTEGER, type INTEGER, date INTEGER, data BLOB, parent TEXT, PRIMARY KEY (uid, type));
CREATE INDEX IF NOT EXISTS type_date_idx_download_queue ON download_queue(type, date);
CREATE TABLE downloading_documents(data BLOB, hash INTEGER, id INTEGER, state INTEGER, date INTEGER, PRIMARY KEY(hash, id));
";

const FILE_TO_PATH: &str = "
CREATE TABLE paths(document_id INTEGER, dc_id INTEGER, type INTEGER, path TEXT, flags INTEGER, PRIMARY KEY(document_id, dc_id, type));
CREATE INDEX path_in_paths ON paths(path);
CREATE TABLE paths_by_dialog_id(path TEXT PRIMARY KEY, dialog_id INTEGER, message_id INTEGER, message_type INTEGER);
PRAGMA user_version = 7;
";

/// Writes `cache4.db` and `file_to_path.db` into `dir`.
pub fn write_databases(dir: &Path, p: &TgPhone) -> rusqlite::Result<()> {
    let s = |t: i64| p.clock(t).div_euclid(1_000_000);
    let mut db = Connection::open(dir.join("cache4.db"))?;
    db.execute_batch(CACHE4)?;
    let tx = db.transaction()?;
    for m in &p.messages {
        // `data` is a serialized TL message; a placeholder of its size class
        // (the reader does not parse it).
        tx.execute(
            "INSERT INTO messages_v2 (mid, uid, read_state, send_state, date, data, out, ttl, media, imp, mention, forwards, thread_reply_id, is_channel, reply_to_message_id, group_id, reply_to_story_id)
             VALUES (?1, ?2, 3, 0, ?3, ?4, ?5, 0, ?6, 0, 0, 0, 0, ?7, 0, NULL, 0)",
            params![m.mid, m.uid, s(m.date), vec![0u8; 64], i64::from(m.out), m.media, m.is_channel],
        )?;
    }
    for (done, doc, dc) in &p.tapped {
        tx.execute(
            "INSERT INTO downloading_documents (data, hash, id, state, date) VALUES (?1, ?2, ?3, 1, ?4)",
            params![vec![0u8; 64], dc, doc, p.clock(*done).div_euclid(1_000)],
        )?;
    }
    tx.commit()?;
    let mut db = Connection::open(dir.join("file_to_path.db"))?;
    db.execute_batch(FILE_TO_PATH)?;
    let tx = db.transaction()?;
    for (doc, dc, t, path) in &p.paths {
        tx.execute(
            "INSERT INTO paths (document_id, dc_id, type, path, flags) VALUES (?1, ?2, ?3, ?4, 0)",
            params![doc, dc, t, path],
        )?;
    }
    for (path, dialog, mid, t) in &p.by_dialog {
        tx.execute(
            "INSERT INTO paths_by_dialog_id (path, dialog_id, message_id, message_type) VALUES (?1, ?2, ?3, ?4)",
            params![path, dialog, mid, t],
        )?;
    }
    tx.commit()
}

/// Writes `mainconfig.xml` as Android's `XmlUtils` does, with the preset
/// keys the phone holds (none for a phone on the app's defaults).
pub fn write_prefs(path: &Path, p: &TgPhone) -> std::io::Result<()> {
    let mut s = String::from("<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n");
    s.push_str("    <boolean name=\"newConfig\" value=\"true\" />\n");
    for ((key, current), preset) in [
        ("wifiPreset", "currentWifiPreset"),
        ("mobilePreset", "currentMobilePreset"),
        ("roamingPreset", "currentRoamingPreset"),
    ]
    .iter()
    .zip(&p.presets)
    {
        if let Some(v) = preset {
            s.push_str(&format!(
                "    <string name=\"{key}\">{v}</string>\n    <int name=\"{current}\" value=\"3\" />\n"
            ));
        }
    }
    s.push_str("    <int name=\"lastKeepMediaCheckTime\" value=\"1700000000\" />\n</map>\n");
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(path, s)?;
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_micros(p.clock(p.prefs_written).max(0) as u64);
    std::fs::File::options().write(true).open(path)?.set_modified(t)
}
