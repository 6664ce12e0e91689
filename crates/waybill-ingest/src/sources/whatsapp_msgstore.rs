//! WhatsApp for Android `msgstore.db` (the decrypted message database).
//!
//! # What it reads
//! One record per message row:
//! - **current schema** (2022 and later): table `message`, joined to `chat` and
//!   `jid` (the chat's JID and group subject; `sender_jid_row_id` → the group
//!   participant who sent it), `message_media` (local file, hashes, transfer
//!   state), and where present `message_thumbnail` (a thumbnail is stored) and
//!   `message_view_once_media` (view-once state);
//! - **legacy schema**: the single table `messages` (`key_remote_jid`,
//!   `key_from_me`, `remote_resource` = the group participant, `media_*`
//!   columns), with the group subject from `chat_list` or `chat`/`jid`. The local
//!   file and its transfer state are not columns there: they live in
//!   `thumb_image`, a Java-serialized `com.whatsapp.MediaData` object whose
//!   fields `transferred`, `fileSize` and `file` (a `java.io.File`) are decoded
//!   by a small bounded reader of the Java serialization format (no code runs).
//!
//! A database that has both tables (the 2021–2022 migration kept `messages`
//! beside `message`, with the same `_id`s and a trigger deleting from one with
//! the other) is read from `message`; only `messages` rows whose `_id` is not in
//! `message` are read as legacy records.
//!
//! # Versions seen
//! DDL of `message`, `message_media`, `jid`, `chat`, `chat_list`, `messages`,
//! `message_thumbnail` and `message_view_once_media` as created by decompiled
//! WhatsApp builds (2.2x; `message_media` gained `original_file_hash`,
//! `mute_video`, `media_caption`, later `first_viewed_timestamp`); optional
//! columns are read when present. The fixtures are synthetic databases built
//! from that DDL: no public msgstore.db with peer assertions exists.
//!
//! # Events emitted
//! Per message, at `timestamp` (Unix **milliseconds**, the message's own time as
//! carried by the protocol), precision ms:
//! - `msg.received` (`from_me` = 0) or `msg.sent` (`from_me` = 1), text or media.
//!   `actor` = the sender of a received message: the group participant
//!   (`sender_jid_row_id` / `remote_resource`) in a group, the chat's JID in a
//!   one-to-one chat; none for sent messages (the database does not name its
//!   owner).
//! - `msg.media_fetched` in addition, for a **received** message whose media is
//!   on the device: `transferred` = 1 (current schema; when the column is absent
//!   or NULL, a `file_path`) or `MediaData.transferred` = true (legacy). Its time
//!   is `received_timestamp` (ms, when this device received the message) — the
//!   database keeps **no time of the download itself**, which happens at or
//!   after that moment (auto-download starts at once, a tap may come days
//!   later); `attrs.ts_from` says which column was used (`timestamp` when
//!   `received_timestamp` is missing) and `attrs.ts_is_lower_bound` = true;
//!   `attrs.ts_is_receipt` says whether the time is this device's receipt.
//!   `attrs.media_mtime` = `download_completion`: WhatsApp sets the media
//!   file's modification time when its download finishes (decompiled
//!   2.24.6.77; `../shared/knowledge/artifacts.md` section 7.9).
//!
//! Common columns where the row has them: `path` = `file_path` (relative to the
//! WhatsApp media folder in the current schema, absolute in legacy `MediaData`),
//! `size` = local `file_size` (else the announced `file_length`/`media_size`),
//! `url` = `message_url`/`media_url` (the encrypted blob on the media server),
//! `status` = `status`, `provider_hash` = `file_hash`/`media_hash` as stored
//! (Base64 SHA-256 of the plaintext, `provider_hash_kind` = `whatsapp`, the
//! same form as waybill's `whatsapp_hash`), `sha256` = the same hash in hex when
//! it decodes to 32 bytes. `auto` is never set here: whether a fetch was
//! automatic depends on the auto-download settings (`whatsapp.prefs`).
//!
//! `attrs`: `message_id` (`_id`), `key_id`, `table`, `chat_jid`, `chat_type`
//! (`group`, `person`, `status`, `broadcast`, or the JID server), `is_group`,
//! `chat_subject`, `sender_jid`, `message_type` (number) and `media_type`
//! (`text`, `image`, `audio`, `video`, `contact`, `location`, `document`, `gif`,
//! `live_location`, `sticker`, `view_once_image`, `view_once_video`, `other`),
//! `autodownload_class` (`image`/`audio`/`video`/`document`: the auto-download
//! setting that governs this type; absent for types no setting is known to
//! govern), `mime_type`, `media_name`, `transferred`, `transcoded`, `file_size`,
//! `file_length`, `direct_path`, `enc_file_hash`, `has_media_key`,
//! `media_duration`, `width`, `height`, `page_count`, `has_thumbnail`,
//! `view_once_state`, `first_viewed_timestamp` (raw; meaning unverified),
//! `voice_note` (the file lies under `WhatsApp Voice Notes/`), `file_hash_valid`
//! (false when the stored hash is not Base64 of 32 bytes), `received_timestamp`,
//! `receipt_server_timestamp`, `read_device_timestamp`,
//! `played_device_timestamp` (legacy receipts), `has_text`, `starred`, and for
//! legacy rows `media_data` (`decoded`, `unreadable`, `absent`).
//!
//! **Read state** (`chat_read`, `chat_last_read_message_id`), for a received
//! message in a group or one-to-one chat whose chat row keeps a last-read mark
//! (`chat.last_read_message_row_id`, and `last_read_message_sort_id` against
//! the message's `sort_id` where both are non-zero; legacy
//! `chat_list.last_read_message_table_id`): `chat_read` = true when the
//! message is at or before the mark, false when after it — the chat was not
//! opened (nor marked read) between the message's arrival and the copy of the
//! database. Opening a chat moves the mark to its newest message, and fetching
//! media that auto-download left behind is a tap on the message inside the
//! opened chat, so a fetched file whose message is still unread was not
//! fetched by such a tap. Where both marks are kept, both orders must agree (a
//! linked device's history sync inserts old messages with new `_id`s), else
//! the state is left out; it is left out too for the legacy rows of a database
//! that has both message tables (which chat table still held the current mark
//! is not known). The mark is the state when the database was copied.
//! WhatsApp's "mark as unread" does **not** move the mark back: it sets the
//! chat's `unseen_message_count` to -1 (decompiled `setchatunseen` path), so a
//! chat opened, a file tapped and the chat then marked unread still reads as
//! read here; such a chat's received messages carry `chat_marked_unread` =
//! true (current schema, where the column exists).
//!
//! Rows that are records but no event: the placeholder row WhatsApp inserts
//! first (`key_id` / `key_remote_jid` = `-1`) and system messages
//! (`message_type` 7; legacy `media_wa_type` 0 with `status` 6, as WhatsApp's
//! own `message_view` maps them) are accepted with no event. A row without a
//! usable `timestamp` (NULL or 0), or with `from_me` other than 0/1, is rejected.
//!
//! # What it cannot tell us
//! When media were downloaded (only a lower bound) and over which network; who
//! tapped (a tap and an auto-download leave the same row); whether the file was
//! ever opened — no column records that (the chat's last-read mark, `status`
//! 13 and read receipts say the chat was read, not that the file was viewed;
//! an auto-downloaded image can be opened from the phone's gallery without the
//! chat; `first_viewed_timestamp` and `message_view_once_media.state` are
//! unverified proxies). The message text is not copied into events (only
//! `has_text`). System messages (joins, subject changes) are not decoded. Rows
//! deleted by the user are gone unless SQLite free pages are carved elsewhere.
//!
//! # References
//! WhatsApp DDL in decompiled builds (code search: `CREATE TABLE message_media
//! (message_row_id INTEGER PRIMARY KEY, chat_row_id INTEGER,
//! autotransfer_retry_enabled …`, `CREATE TABLE messages (_id INTEGER PRIMARY
//! KEY AUTOINCREMENT, key_remote_jid …`, `CREATE TABLE chat_list (… last_read_message_table_id
//! …`, the `chat_view` view over `chat` with `last_read_message_row_id`,
//! `last_read_message_sort_id` and `unseen_message_count`, the `message_view` view and the
//! placeholder `INSERT … VALUES (1, '-1', …)`); `sepinf-inc/IPED`
//! `iped-parsers/…/whatsapp/ExtractorAndroidNew.java` (joins, `message_type`
//! codes 0/1/2/3/4/5/9/13/16/20); `LongRangeBehaviorModificationSpecialist/SQL_Queries`
//! `Android/android_WhatsApp_Group_Messages.sql` (after thebinaryhick.blog,
//! 2022-06-09: type codes, ms timestamps); `Kethen/WhatsAppIphoneToAndroid`
//! `MessageItem.java` (`thumb_image` = serialized `com.whatsapp.MediaData`,
//! `media_wa_type` codes) and `com/whatsapp/MediaData.java` (its fields);
//! Meta, WhatsApp Business Platform, "Audio messages"
//! (developers.facebook.com/documentation/business-messaging/whatsapp/messages/audio-messages:
//! voice messages download automatically, up to 512 KB); shared/knowledge/artifacts.md §7.1, §4.5.

use std::borrow::Cow;

use base64::Engine as _;
use rusqlite::Row;
use waybill_model::{Event, EventKind, EventSink, Precision, RecordRef, RejectReason, Timestamp, Value};

use crate::input::{Input, hex};
use crate::source::{InputKind, Probe, Sniff, Source, SourceError, SqliteSchema};
use crate::sqlite::{blob, each_row, int, text};

/// WhatsApp Android message store.
pub struct WhatsappMsgstore;

/// `message` columns read (current schema).
const MESSAGE_COLS: &[&str] = &[
    "chat_row_id",
    "from_me",
    "key_id",
    "status",
    "timestamp",
    "received_timestamp",
    "receipt_server_timestamp",
    "message_type",
    "text_data",
    "starred",
    "sort_id",
];

/// `message_media` columns read (current schema), selected as `mm_<name>`.
const MEDIA_COLS: &[&str] = &[
    "transferred",
    "transcoded",
    "file_path",
    "file_size",
    "file_length",
    "media_key",
    "width",
    "height",
    "direct_path",
    "message_url",
    "mime_type",
    "media_name",
    "file_hash",
    "enc_file_hash",
    "media_duration",
    "page_count",
    "first_viewed_timestamp",
];

/// `messages` columns read (legacy schema).
const LEGACY_COLS: &[&str] = &[
    "key_remote_jid",
    "key_from_me",
    "key_id",
    "status",
    "data",
    "timestamp",
    "media_url",
    "media_mime_type",
    "media_wa_type",
    "media_size",
    "media_name",
    "media_hash",
    "media_enc_hash",
    "media_duration",
    "thumb_image",
    "remote_resource",
    "received_timestamp",
    "receipt_server_timestamp",
    "read_device_timestamp",
    "played_device_timestamp",
    "starred",
];

/// `alias."col" AS "<prefix>col"` for each column the table has, `NULL AS …`
/// for the others (and for all when the table itself is missing).
fn select_as(schema: &SqliteSchema, table: &str, alias: &str, prefix: &str, cols: &[&str]) -> String {
    cols.iter()
        .map(|c| {
            if schema.has_column(table, c) {
                format!("{alias}.\"{c}\" AS \"{prefix}{c}\"")
            } else {
                format!("NULL AS \"{prefix}{c}\"")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The media type name of a `message_type` / `media_wa_type` code
/// (community-documented codes; see the module references).
pub fn media_type_name(code: i64) -> &'static str {
    match code {
        0 => "text",
        1 => "image",
        2 => "audio",
        3 => "video",
        4 => "contact",
        5 => "location",
        7 => "system",
        9 => "document",
        13 => "gif",
        16 => "live_location",
        20 => "sticker",
        42 => "view_once_image",
        43 => "view_once_video",
        _ => "other",
    }
}

/// The auto-download setting (`whatsapp.prefs` mask bit) that governs a media
/// type. Only the four types the settings screen names; GIFs, stickers and
/// view-once media are not known to follow the masks.
pub fn autodownload_class(code: i64) -> Option<&'static str> {
    match code {
        1 => Some("image"),
        2 => Some("audio"),
        3 => Some("video"),
        9 => Some("document"),
        _ => None,
    }
}

/// What kind of chat a JID's server part names.
fn chat_type(jid: &str) -> &str {
    if jid == "status@broadcast" {
        return "status";
    }
    match jid.rsplit_once('@').map(|(_, s)| s) {
        Some("g.us") => "group",
        Some("s.whatsapp.net" | "c.us" | "lid") => "person",
        Some("broadcast") => "broadcast",
        Some(other) => other,
        None => "unknown",
    }
}

/// The decoded `file_hash`: hex SHA-256 when the Base64 holds 32 bytes.
pub(crate) fn hash_hex(b64: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok()?;
    (bytes.len() == 32).then(|| hex(&bytes))
}

/// An integer flag column as a boolean (`None` when NULL).
fn flag(v: Option<i64>) -> Option<bool> {
    v.map(|n| n != 0)
}

/// A positive ms time column as an instant (0 and -1 mean "none" in msgstore).
fn ms_time(v: Option<i64>) -> Option<Timestamp> {
    v.filter(|&n| n > 0).and_then(|n| Timestamp::from_unix_millis(n).ok())
}

/// One message row, read from either schema.
#[derive(Debug, Default)]
struct Msg {
    table: &'static str,
    message_id: i64,
    placeholder: bool,
    system: bool,
    chat_jid: Option<String>,
    chat_subject: Option<String>,
    sender_jid: Option<String>,
    from_me: Option<i64>,
    key_id: Option<String>,
    status: Option<i64>,
    timestamp: Option<i64>,
    received_timestamp: Option<i64>,
    receipt_server_timestamp: Option<i64>,
    read_device_timestamp: Option<i64>,
    played_device_timestamp: Option<i64>,
    message_type: Option<i64>,
    has_text: bool,
    starred: Option<bool>,
    media: Media,
    /// Legacy only: what became of `thumb_image`.
    media_data: Option<&'static str>,
    /// The message's `sort_id` (current schema).
    sort_id: Option<i64>,
    /// The chat's last-read mark: `last_read_message_row_id` (legacy
    /// `chat_list.last_read_message_table_id`) and, where kept,
    /// `last_read_message_sort_id`.
    last_read: Option<i64>,
    last_read_sort: Option<i64>,
    /// The chat's `unseen_message_count`: -1 when the person marked the chat
    /// unread (WhatsApp's "mark as unread" sets it and leaves the last-read
    /// mark where it was).
    unseen: Option<i64>,
}

impl Msg {
    /// Whether the message lies at or before its chat's last-read mark: read
    /// (`true`), still unread when the database was copied (`false`), or not
    /// known (`None`: no mark, or the row id and the sort id disagree, as they
    /// may for messages a linked device's history sync inserted late). A sort
    /// id of 0 is the column's default: not a position.
    fn chat_read(&self) -> Option<bool> {
        let by_id = self.last_read.map(|mark| self.message_id <= mark);
        let by_sort = match (self.sort_id, self.last_read_sort) {
            (Some(sort), Some(mark)) if sort > 0 && mark > 0 => Some(sort <= mark),
            _ => None,
        };
        match (by_id, by_sort) {
            (Some(a), Some(b)) if a != b => None,
            (Some(a), _) | (None, Some(a)) => Some(a),
            (None, None) => None,
        }
    }
}

/// The media part of a message.
#[derive(Debug, Default)]
struct Media {
    transferred: Option<bool>,
    transcoded: Option<bool>,
    file_path: Option<String>,
    file_size: Option<i64>,
    file_length: Option<i64>,
    has_media_key: Option<bool>,
    width: Option<i64>,
    height: Option<i64>,
    direct_path: Option<String>,
    url: Option<String>,
    mime_type: Option<String>,
    media_name: Option<String>,
    file_hash: Option<String>,
    enc_file_hash: Option<String>,
    duration: Option<i64>,
    page_count: Option<i64>,
    first_viewed_timestamp: Option<i64>,
    has_thumbnail: Option<bool>,
    view_once_state: Option<i64>,
}

impl Media {
    /// Is the media file on the device (downloaded, for a received message)?
    fn fetched(&self) -> bool {
        match self.transferred {
            Some(t) => t,
            None => self.file_path.is_some(),
        }
    }
}

/// Reads a current-schema row.
fn current_row(row: &Row<'_>) -> Result<Msg, RejectReason> {
    let chat_row_id = int(row, "chat_row_id")?;
    let key_id = text(row, "key_id");
    let message_type = int(row, "message_type")?;
    let media = Media {
        transferred: flag(int(row, "mm_transferred")?),
        transcoded: flag(int(row, "mm_transcoded")?),
        file_path: text(row, "mm_file_path"),
        file_size: int(row, "mm_file_size")?,
        file_length: int(row, "mm_file_length")?,
        has_media_key: row_has(row, "mm_media_key"),
        width: int(row, "mm_width")?,
        height: int(row, "mm_height")?,
        direct_path: text(row, "mm_direct_path"),
        url: text(row, "mm_message_url"),
        mime_type: text(row, "mm_mime_type"),
        media_name: text(row, "mm_media_name"),
        file_hash: text(row, "mm_file_hash"),
        enc_file_hash: text(row, "mm_enc_file_hash"),
        duration: int(row, "mm_media_duration")?,
        page_count: int(row, "mm_page_count")?,
        first_viewed_timestamp: int(row, "mm_first_viewed_timestamp")?,
        has_thumbnail: flag(int(row, "has_thumbnail")?),
        view_once_state: int(row, "view_once_state")?,
    };
    Ok(Msg {
        table: "message",
        message_id: int(row, "_rowid")?.unwrap_or_default(),
        placeholder: chat_row_id == Some(-1) || key_id.as_deref() == Some("-1"),
        system: message_type == Some(7),
        chat_jid: text(row, "chat_jid"),
        chat_subject: text(row, "chat_subject"),
        sender_jid: text(row, "sender_jid"),
        from_me: int(row, "from_me")?,
        key_id,
        status: int(row, "status")?,
        timestamp: int(row, "timestamp")?,
        received_timestamp: int(row, "received_timestamp")?,
        receipt_server_timestamp: int(row, "receipt_server_timestamp")?,
        read_device_timestamp: None,
        played_device_timestamp: None,
        message_type,
        has_text: text(row, "text_data").is_some(),
        starred: flag(int(row, "starred")?),
        media,
        media_data: None,
        sort_id: int(row, "sort_id")?,
        last_read: int(row, "chat_last_read")?,
        last_read_sort: int(row, "chat_last_read_sort")?,
        unseen: int(row, "chat_unseen")?,
    })
}

/// Does a column hold a non-empty value (a key we do not copy)?
fn row_has(row: &Row<'_>, name: &str) -> Option<bool> {
    match row.get_ref(name) {
        Ok(rusqlite::types::ValueRef::Null) | Err(_) => None,
        Ok(_) => Some(blob(row, name).is_some()),
    }
}

/// Reads a legacy-schema row.
fn legacy_row(row: &Row<'_>) -> Result<Msg, RejectReason> {
    let chat_jid = text(row, "key_remote_jid");
    let status = int(row, "status")?;
    let message_type = int(row, "media_wa_type")?;
    let mut media = Media {
        file_length: int(row, "media_size")?,
        url: text(row, "media_url"),
        mime_type: text(row, "media_mime_type"),
        media_name: text(row, "media_name"),
        file_hash: text(row, "media_hash"),
        enc_file_hash: text(row, "media_enc_hash"),
        duration: int(row, "media_duration")?,
        ..Media::default()
    };
    let media_data = match blob(row, "thumb_image") {
        None => "absent",
        Some(bytes) => match javaser::media_data(&bytes) {
            Some(md) => {
                media.transferred = md.transferred;
                media.file_path = md.file_path;
                media.file_size = md.file_size;
                "decoded"
            }
            None => "unreadable",
        },
    };
    Ok(Msg {
        table: "messages",
        message_id: int(row, "_rowid")?.unwrap_or_default(),
        placeholder: chat_jid.as_deref() == Some("-1"),
        system: message_type == Some(7) || (message_type == Some(0) && status == Some(6)),
        chat_jid,
        chat_subject: text(row, "chat_subject"),
        sender_jid: text(row, "remote_resource"),
        from_me: int(row, "key_from_me")?,
        key_id: text(row, "key_id"),
        status,
        timestamp: int(row, "timestamp")?,
        received_timestamp: int(row, "received_timestamp")?,
        receipt_server_timestamp: int(row, "receipt_server_timestamp")?,
        read_device_timestamp: int(row, "read_device_timestamp")?,
        played_device_timestamp: int(row, "played_device_timestamp")?,
        message_type,
        has_text: text(row, "data").is_some(),
        starred: flag(int(row, "starred")?),
        media,
        media_data: Some(media_data),
        sort_id: None,
        last_read: int(row, "chat_last_read")?,
        last_read_sort: None,
        unseen: None,
    })
}

/// Turns a message into its events (none for placeholder and system rows).
fn events(m: Msg, record: RecordRef) -> Result<Vec<Event<'static>>, RejectReason> {
    if m.placeholder || m.system {
        return Ok(Vec::new());
    }
    let kind = match m.from_me {
        Some(0) => EventKind::MsgReceived,
        Some(1) => EventKind::MsgSent,
        other => {
            return Err(RejectReason::Value {
                field: "from_me".into(),
                detail: format!("{other:?} is neither 0 (received) nor 1 (sent)"),
            });
        }
    };
    let ts = match m.timestamp {
        None => return Err(RejectReason::Timestamp("timestamp is NULL".into())),
        Some(n) if n <= 0 => return Err(RejectReason::Timestamp(format!("timestamp is {n}"))),
        Some(n) => Timestamp::from_unix_millis(n)?,
    };
    let received = kind == EventKind::MsgReceived;
    let is_group = m.chat_jid.as_deref().is_some_and(|j| chat_type(j) == "group");
    let actor = if !received {
        None
    } else if is_group {
        m.sender_jid.clone()
    } else {
        m.chat_jid.clone()
    };
    let sha256 = m.media.file_hash.as_deref().and_then(hash_hex);
    let size = m.media.file_size.filter(|&n| n > 0).or(m.media.file_length.filter(|&n| n > 0));
    let voice_note = m.media.file_path.as_deref().is_some_and(|p| p.contains("WhatsApp Voice Notes/"));
    // Read state only of received messages in a group or one-to-one chat (a
    // status update or a broadcast list is not read in a chat).
    let chat_read = m
        .chat_read()
        .filter(|_| received && m.chat_jid.as_deref().is_some_and(|j| matches!(chat_type(j), "group" | "person")));

    let base = |kind: EventKind, ts: Timestamp| {
        let mut e = Event::new(kind, ts, Precision::Millisecond, record);
        e.actor = actor.clone().map(Cow::Owned);
        e.path = m.media.file_path.clone().map(Cow::Owned);
        e.size = size;
        e.url = m.media.url.clone().map(Cow::Owned);
        e.status = m.status.and_then(|s| i32::try_from(s).ok());
        e.sha256 = sha256.clone().map(Cow::Owned);
        if let Some(h) = &m.media.file_hash {
            e.provider_hash = Some(Cow::Owned(h.clone()));
            e.provider_hash_kind = Some("whatsapp");
        }
        let a = &mut e.attrs;
        a.push("message_id", m.message_id);
        a.push_opt("key_id", m.key_id.clone());
        a.push("table", m.table);
        if let Some(j) = &m.chat_jid {
            a.push("chat_jid", j.clone());
            a.push("chat_type", chat_type(j).to_owned());
        }
        a.push("is_group", is_group);
        a.push_opt("chat_subject", m.chat_subject.clone());
        a.push_opt("sender_jid", m.sender_jid.clone());
        if let Some(t) = m.message_type {
            a.push("message_type", t);
            a.push("media_type", media_type_name(t));
            a.push_opt("autodownload_class", autodownload_class(t));
        }
        let md = &m.media;
        a.push_opt("mime_type", md.mime_type.clone());
        a.push_opt("media_name", md.media_name.clone());
        a.push_opt("transferred", md.transferred);
        a.push_opt("transcoded", md.transcoded);
        a.push_opt("file_size", md.file_size);
        a.push_opt("file_length", md.file_length);
        a.push_opt("direct_path", md.direct_path.clone());
        a.push_opt("enc_file_hash", md.enc_file_hash.clone());
        a.push_opt("has_media_key", md.has_media_key);
        a.push_opt("media_duration", md.duration);
        a.push_opt("width", md.width);
        a.push_opt("height", md.height);
        a.push_opt("page_count", md.page_count);
        a.push_opt("has_thumbnail", md.has_thumbnail);
        a.push_opt("view_once_state", md.view_once_state);
        a.push_opt("first_viewed_timestamp", md.first_viewed_timestamp);
        if voice_note {
            a.push("voice_note", true);
        }
        if md.file_hash.is_some() && sha256.is_none() {
            a.push("file_hash_valid", false);
        }
        a.push_opt("received_timestamp", ms_time(m.received_timestamp).map(Value::Time));
        a.push_opt("receipt_server_timestamp", ms_time(m.receipt_server_timestamp).map(Value::Time));
        a.push_opt("read_device_timestamp", ms_time(m.read_device_timestamp).map(Value::Time));
        a.push_opt("played_device_timestamp", ms_time(m.played_device_timestamp).map(Value::Time));
        a.push("has_text", m.has_text);
        a.push_opt("starred", m.starred);
        if let Some(read) = chat_read {
            a.push("chat_read", read);
            a.push_opt("chat_last_read_message_id", m.last_read);
        }
        if received && m.unseen == Some(-1) {
            a.push("chat_marked_unread", true);
        }
        a.push_opt("media_data", m.media_data);
        e
    };

    let mut out = vec![base(kind, ts)];
    if received && m.media.fetched() {
        let (fts, from) = match ms_time(m.received_timestamp) {
            Some(t) => (t, "received_timestamp"),
            None => (ts, "timestamp"),
        };
        let mut e = base(EventKind::MsgMediaFetched, fts);
        e.attrs.push("ts_from", from);
        e.attrs.push("ts_is_lower_bound", true);
        e.attrs.push("ts_is_receipt", from == "received_timestamp");
        e.attrs.push("media_mtime", "download_completion");
        out.push(e);
    }
    Ok(out)
}

impl Source for WhatsappMsgstore {
    fn id(&self) -> &'static str {
        "whatsapp.msgstore"
    }

    fn description(&self) -> &'static str {
        "WhatsApp Android msgstore.db (SQLite, current and legacy schema): messages and media fetches"
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
        let current = s.has_columns("message", &["chat_row_id", "from_me", "key_id", "message_type"])
            && s.has_column("jid", "raw_string");
        let legacy = s.has_columns("messages", &["key_remote_jid", "key_from_me", "key_id", "media_wa_type"]);
        if current || legacy { Sniff::Yes } else { Sniff::No }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let db = input.sqlite()?;
        let s = &db.schema;
        let current = s.has_column("message", "from_me");
        let legacy = s.has_column("messages", "key_from_me");
        if !current && !legacy {
            return Err(SourceError::NotThisFormat {
                format: self.id(),
                reason: "neither a message table (current schema) nor a messages table (legacy schema)".into(),
            });
        }
        if current {
            each_row(&db.conn, "message", &current_sql(s), out, |row, record| events(current_row(row)?, record))?;
        }
        if legacy {
            each_row(&db.conn, "messages", &legacy_sql(s, current), out, |row, record| {
                events(legacy_row(row)?, record)
            })?;
        }
        Ok(())
    }
}

/// The query over `message` and its joined tables.
fn current_sql(s: &SqliteSchema) -> String {
    let mcols = select_as(s, "message", "m", "", MESSAGE_COLS);
    let chat = s.has_column("chat", "jid_row_id") && s.has_column("jid", "raw_string");
    let sender = s.has_column("message", "sender_jid_row_id") && s.has_column("jid", "raw_string");
    let media = s.has_column("message_media", "message_row_id");
    let thumb = s.has_column("message_thumbnail", "message_row_id");
    let view_once = s.has_column("message_view_once_media", "state");
    let mut sql = format!("SELECT m._id AS _rowid, {mcols}");
    sql.push_str(if chat {
        ", cj.raw_string AS chat_jid, c.subject AS chat_subject"
    } else {
        ", NULL AS chat_jid, NULL AS chat_subject"
    });
    for (col, alias) in [
        ("last_read_message_row_id", "chat_last_read"),
        ("last_read_message_sort_id", "chat_last_read_sort"),
        ("unseen_message_count", "chat_unseen"),
    ] {
        sql.push_str(&if chat && s.has_column("chat", col) {
            format!(", c.\"{col}\" AS {alias}")
        } else {
            format!(", NULL AS {alias}")
        });
    }
    sql.push_str(if sender { ", sj.raw_string AS sender_jid" } else { ", NULL AS sender_jid" });
    sql.push_str(", ");
    sql.push_str(&if media {
        select_as(s, "message_media", "mm", "mm_", MEDIA_COLS)
    } else {
        select_as(&SqliteSchema::default(), "", "", "mm_", MEDIA_COLS)
    });
    sql.push_str(if thumb {
        ", EXISTS (SELECT 1 FROM message_thumbnail t WHERE t.message_row_id = m._id) AS has_thumbnail"
    } else {
        ", NULL AS has_thumbnail"
    });
    sql.push_str(if view_once { ", vo.state AS view_once_state" } else { ", NULL AS view_once_state" });
    sql.push_str(" FROM message m");
    if chat {
        sql.push_str(" LEFT JOIN chat c ON c._id = m.chat_row_id LEFT JOIN jid cj ON cj._id = c.jid_row_id");
    }
    if sender {
        sql.push_str(" LEFT JOIN jid sj ON sj._id = m.sender_jid_row_id");
    }
    if media {
        sql.push_str(" LEFT JOIN message_media mm ON mm.message_row_id = m._id");
    }
    if view_once {
        sql.push_str(" LEFT JOIN message_view_once_media vo ON vo.message_row_id = m._id");
    }
    sql.push_str(" ORDER BY m._id");
    sql
}

/// The query over the legacy `messages` table (only rows not also in `message`
/// when both exist).
fn legacy_sql(s: &SqliteSchema, current: bool) -> String {
    let cols = select_as(s, "messages", "m", "", LEGACY_COLS);
    // The chat's last-read mark counts `_id`s of `messages` in `chat_list`;
    // in `chat` (the migration kept the same `_id`s in both tables) it counts
    // those of `message`. In a database that has both message tables, which of
    // `chat_list` and `chat` the app still kept up to date is not known, and
    // a stale mark would make read messages look unread: no read state then.
    let mark = |table: &str, alias: &str, col: &str| {
        if s.has_column(table, col) && !current { format!("{alias}.\"{col}\"") } else { "NULL".to_owned() }
    };
    let (subject, last_read, join) =
        if s.has_column("chat_list", "subject") && s.has_column("chat_list", "key_remote_jid") {
            (
                "cl.subject".to_owned(),
                mark("chat_list", "cl", "last_read_message_table_id"),
                " LEFT JOIN chat_list cl ON cl.key_remote_jid = m.key_remote_jid",
            )
        } else if s.has_column("chat", "subject") && s.has_column("jid", "raw_string") {
            (
                "c.subject".to_owned(),
                mark("chat", "c", "last_read_message_row_id"),
                " LEFT JOIN jid cj ON cj.raw_string = m.key_remote_jid LEFT JOIN chat c ON c.jid_row_id = cj._id",
            )
        } else {
            ("NULL".to_owned(), "NULL".to_owned(), "")
        };
    let only_legacy = if current { " WHERE m._id NOT IN (SELECT _id FROM message)" } else { "" };
    format!(
        "SELECT m._id AS _rowid, {cols}, {subject} AS chat_subject, {last_read} AS chat_last_read \
         FROM messages m{join}{only_legacy} ORDER BY m._id"
    )
}

/// A bounded reader of the Java Object Serialization Stream Protocol, enough to
/// read the fields of a serialized `com.whatsapp.MediaData` (legacy
/// `messages.thumb_image`). Nothing is instantiated: the stream is only walked.
/// Any structure it does not understand, or a stream that runs past its limits,
/// gives `None`.
mod javaser {
    const MAGIC: [u8; 4] = [0xAC, 0xED, 0x00, 0x05];
    const BASE_HANDLE: i64 = 0x7E_0000;
    const MAX_DEPTH: usize = 12;
    const MAX_STEPS: usize = 20_000;
    const MAX_HANDLES: usize = 4_096;

    const TC_NULL: u8 = 0x70;
    const TC_REFERENCE: u8 = 0x71;
    const TC_CLASSDESC: u8 = 0x72;
    const TC_OBJECT: u8 = 0x73;
    const TC_STRING: u8 = 0x74;
    const TC_ARRAY: u8 = 0x75;
    const TC_CLASS: u8 = 0x76;
    const TC_BLOCKDATA: u8 = 0x77;
    const TC_ENDBLOCKDATA: u8 = 0x78;
    const TC_LONGSTRING: u8 = 0x7C;
    const TC_BLOCKDATALONG: u8 = 0x7A;
    const TC_ENUM: u8 = 0x7E;

    const SC_WRITE_METHOD: u8 = 0x01;
    const SC_SERIALIZABLE: u8 = 0x02;

    /// What is read from a serialized `MediaData`.
    #[derive(Debug, Default, PartialEq, Eq)]
    pub struct MediaData {
        /// `transferred`: the media file is complete on the device.
        pub transferred: Option<bool>,
        /// `fileSize`.
        pub file_size: Option<i64>,
        /// `file.path` (a `java.io.File`).
        pub file_path: Option<String>,
    }

    #[derive(Debug)]
    enum V {
        Null,
        Bool(bool),
        Int(i64),
        Str(String),
        Obj(Vec<(String, V)>),
        Other,
    }

    #[derive(Debug, Clone)]
    struct Desc {
        name: String,
        flags: u8,
        fields: Vec<(u8, String)>,
        parent: Option<usize>,
    }

    #[derive(Debug)]
    enum Handle {
        Desc(usize),
        Str(String),
        Other,
    }

    struct Reader<'a> {
        b: &'a [u8],
        pos: usize,
        descs: Vec<Desc>,
        handles: Vec<Handle>,
        steps: usize,
    }

    impl<'a> Reader<'a> {
        fn take(&mut self, n: usize) -> Option<&'a [u8]> {
            let end = self.pos.checked_add(n)?;
            let s = self.b.get(self.pos..end)?;
            self.pos = end;
            Some(s)
        }

        fn u8(&mut self) -> Option<u8> {
            self.take(1)?.first().copied()
        }

        fn peek(&self) -> Option<u8> {
            self.b.get(self.pos).copied()
        }

        fn be<const N: usize>(&mut self) -> Option<[u8; N]> {
            self.take(N)?.try_into().ok()
        }

        fn utf(&mut self, len: usize) -> Option<String> {
            Some(String::from_utf8_lossy(self.take(len)?).into_owned())
        }

        fn short_utf(&mut self) -> Option<String> {
            let n = u16::from_be_bytes(self.be()?);
            self.utf(usize::from(n))
        }

        fn new_handle(&mut self, h: Handle) -> Option<usize> {
            if self.handles.len() >= MAX_HANDLES {
                return None;
            }
            self.handles.push(h);
            Some(self.handles.len() - 1)
        }

        fn set_handle(&mut self, i: usize, h: Handle) {
            if let Some(slot) = self.handles.get_mut(i) {
                *slot = h;
            }
        }

        fn reference(&mut self) -> Option<&Handle> {
            let raw = i64::from(i32::from_be_bytes(self.be()?));
            let i = usize::try_from(raw - BASE_HANDLE).ok()?;
            self.handles.get(i)
        }

        fn tick(&mut self, depth: usize) -> Option<()> {
            self.steps += 1;
            (depth <= MAX_DEPTH && self.steps <= MAX_STEPS).then_some(())
        }

        /// A class descriptor: `TC_CLASSDESC …`, `TC_NULL` or `TC_REFERENCE`.
        fn class_desc(&mut self, depth: usize) -> Option<Option<usize>> {
            self.tick(depth)?;
            match self.u8()? {
                TC_NULL => Some(None),
                TC_REFERENCE => match self.reference()? {
                    Handle::Desc(i) => Some(Some(*i)),
                    _ => None,
                },
                TC_CLASSDESC => {
                    let name = self.short_utf()?;
                    let _suid: [u8; 8] = self.be()?;
                    let handle = self.new_handle(Handle::Other)?;
                    let flags = self.u8()?;
                    let count = u16::from_be_bytes(self.be()?);
                    let mut fields = Vec::with_capacity(usize::from(count).min(256));
                    for _ in 0..count {
                        let code = self.u8()?;
                        let name = self.short_utf()?;
                        if code == b'L' || code == b'[' {
                            self.string(depth + 1)?;
                        } else if !b"BCDFIJSZ".contains(&code) {
                            return None;
                        }
                        fields.push((code, name));
                    }
                    self.annotation(depth + 1)?;
                    let parent = self.class_desc(depth + 1)?;
                    self.descs.push(Desc { name, flags, fields, parent });
                    let idx = self.descs.len() - 1;
                    self.set_handle(handle, Handle::Desc(idx));
                    Some(Some(idx))
                }
                _ => None,
            }
        }

        /// A string object (field type names): `TC_STRING`, `TC_LONGSTRING` or a reference.
        fn string(&mut self, depth: usize) -> Option<String> {
            match self.content(depth)? {
                V::Str(s) => Some(s),
                _ => None,
            }
        }

        /// Contents up to and including `TC_ENDBLOCKDATA`.
        fn annotation(&mut self, depth: usize) -> Option<()> {
            loop {
                self.tick(depth)?;
                if self.peek()? == TC_ENDBLOCKDATA {
                    self.pos += 1;
                    return Some(());
                }
                self.content(depth + 1)?;
            }
        }

        fn value(&mut self, code: u8, depth: usize) -> Option<V> {
            Some(match code {
                b'Z' => V::Bool(self.u8()? != 0),
                b'B' => V::Int(i64::from(i8::from_be_bytes(self.be()?))),
                b'C' => V::Int(i64::from(u16::from_be_bytes(self.be()?))),
                b'S' => V::Int(i64::from(i16::from_be_bytes(self.be()?))),
                b'I' => V::Int(i64::from(i32::from_be_bytes(self.be()?))),
                b'J' => V::Int(i64::from_be_bytes(self.be()?)),
                b'F' => {
                    self.take(4)?;
                    V::Other
                }
                b'D' => {
                    self.take(8)?;
                    V::Other
                }
                b'L' | b'[' => self.content(depth + 1)?,
                _ => return None,
            })
        }

        /// Any content element.
        fn content(&mut self, depth: usize) -> Option<V> {
            self.tick(depth)?;
            match self.u8()? {
                TC_NULL => Some(V::Null),
                TC_REFERENCE => Some(match self.reference()? {
                    Handle::Str(s) => V::Str(s.clone()),
                    _ => V::Other,
                }),
                TC_STRING => {
                    let s = self.short_utf()?;
                    self.new_handle(Handle::Str(s.clone()))?;
                    Some(V::Str(s))
                }
                TC_LONGSTRING => {
                    let n = usize::try_from(i64::from_be_bytes(self.be()?)).ok()?;
                    let s = self.utf(n)?;
                    self.new_handle(Handle::Str(s.clone()))?;
                    Some(V::Str(s))
                }
                TC_OBJECT => {
                    let desc = self.class_desc(depth + 1)??;
                    self.new_handle(Handle::Other)?;
                    let mut chain = Vec::new();
                    let mut cur = Some(desc);
                    while let Some(i) = cur {
                        if chain.len() > MAX_DEPTH {
                            return None;
                        }
                        let d = self.descs.get(i)?.clone();
                        cur = d.parent;
                        chain.push(d);
                    }
                    let mut fields = Vec::new();
                    for d in chain.iter().rev() {
                        if d.flags & SC_SERIALIZABLE == 0 {
                            return None;
                        }
                        for (code, name) in &d.fields {
                            let v = self.value(*code, depth + 1)?;
                            fields.push((name.clone(), v));
                        }
                        if d.flags & SC_WRITE_METHOD != 0 {
                            self.annotation(depth + 1)?;
                        }
                    }
                    Some(V::Obj(fields))
                }
                TC_ARRAY => {
                    let desc = self.class_desc(depth + 1)??;
                    self.new_handle(Handle::Other)?;
                    let n = usize::try_from(i32::from_be_bytes(self.be()?)).ok()?;
                    let elem = self.array_element(desc)?;
                    match elem {
                        b'Z' | b'B' => self.take(n)?,
                        b'C' | b'S' => self.take(n.checked_mul(2)?)?,
                        b'I' | b'F' => self.take(n.checked_mul(4)?)?,
                        b'J' | b'D' => self.take(n.checked_mul(8)?)?,
                        _ => {
                            for _ in 0..n {
                                self.content(depth + 1)?;
                            }
                            &[]
                        }
                    };
                    Some(V::Other)
                }
                TC_BLOCKDATA => {
                    let n = self.u8()?;
                    self.take(usize::from(n))?;
                    Some(V::Other)
                }
                TC_BLOCKDATALONG => {
                    let n = usize::try_from(i32::from_be_bytes(self.be()?)).ok()?;
                    self.take(n)?;
                    Some(V::Other)
                }
                TC_CLASS => {
                    self.class_desc(depth + 1)?;
                    self.new_handle(Handle::Other)?;
                    Some(V::Other)
                }
                TC_ENUM => {
                    self.class_desc(depth + 1)?;
                    self.new_handle(Handle::Other)?;
                    self.string(depth + 1)?;
                    Some(V::Other)
                }
                _ => None,
            }
        }

        /// The element type code of an array class (`[B` → `B`).
        fn array_element(&self, desc: usize) -> Option<u8> {
            let name = self.descs.get(desc)?.name.as_bytes();
            (name.first() == Some(&b'[')).then(|| name.get(1).copied()).flatten()
        }
    }

    /// Reads the fields of a serialized `MediaData` (any class with these field
    /// names is read the same way).
    pub fn media_data(bytes: &[u8]) -> Option<MediaData> {
        let rest = bytes.strip_prefix(&MAGIC)?;
        let mut r = Reader { b: rest, pos: 0, descs: Vec::new(), handles: Vec::new(), steps: 0 };
        let V::Obj(fields) = r.content(0)? else {
            return None;
        };
        let mut md = MediaData::default();
        for (name, v) in fields {
            match (name.as_str(), v) {
                ("transferred", V::Bool(b)) => md.transferred = Some(b),
                ("fileSize", V::Int(n)) => md.file_size = Some(n),
                ("file", V::Obj(file)) => {
                    md.file_path = file.into_iter().find_map(|(n, v)| match (n.as_str(), v) {
                        ("path", V::Str(p)) if !p.is_empty() => Some(p),
                        _ => None,
                    });
                }
                _ => {}
            }
        }
        Some(md)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `com.whatsapp.MediaData` written by a JVM's `ObjectOutputStream` (the
    /// fixture's sent video: transferred, a `java.io.File`, fileSize 1048576).
    const SENT_VIDEO: &[&str] = &[
        "ACED000573720016636F6D2E77686174736170702E4D6564696144617461FFF496EDE1A2300602001B5A00186175746F646F",
        "776E6C6F61645265747279456E61626C65644A0015636163686564446F776E6C6F6164656442797465734900056661636558",
        "490005666163655949000D6661696C4572726F72436F64654A000866696C6553697A6549000E676966417474726962757469",
        "6F6E5A001368617353747265616D696E67536964656361724900066865696768744A000870726F67726573735A001373686F",
        "77446F776E6C6F616465644279746573490011737573706963696F7573436F6E74656E744600197468756D626E61696C4865",
        "696768745769647468526174696F5A000A7472616E73636F6465645A000B7472616E736665727265644A00087472696D4672",
        "6F6D4A00067472696D546F5A000B75706C6F6164526574727949000577696474685B00096369706865724B65797400025B42",
        "4C0008646F6F646C6549647400124C6A6176612F6C616E672F537472696E673B4C000466696C6574000E4C6A6176612F696F",
        "2F46696C653B5B0007686D61634B657971007E00015B0002697671007E00015B00086D656469614B657971007E00015B0006",
        "7265664B657971007E00014C000975706C6F616455726C71007E00027870000000000000000000FFFFFFFFFFFFFFFF000000",
        "0000000000001000000000000000000001680000000000000000000000000000000000000100000000000000000000000000",
        "000000000000028070707372000C6A6176612E696F2E46696C65042DA4450E0DE4FF0300014C00047061746871007E000278",
        "7074004E2F73746F726167652F656D756C617465642F302F57686174734170702F4D656469612F5768617473417070205669",
        "64656F2F53656E742F5649442D32303231303130332D5741303030332E6D70347702002F787070757200025B42ACF317F806",
        "0854E0020000787000000020000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F7070",
    ];

    fn blob() -> Vec<u8> {
        let hex: String = SENT_VIDEO.concat();
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")).collect()
    }

    #[test]
    fn media_data_from_a_real_object_stream() {
        let md = javaser::media_data(&blob()).expect("decodes");
        assert_eq!(md.transferred, Some(true));
        assert_eq!(md.file_size, Some(1_048_576));
        assert_eq!(
            md.file_path.as_deref(),
            Some("/storage/emulated/0/WhatsApp/Media/WhatsApp Video/Sent/VID-20210103-WA0003.mp4")
        );
    }

    #[test]
    fn media_data_survives_damage() {
        let b = blob();
        for cut in 0..b.len() {
            assert!(javaser::media_data(&b[..cut]).is_none(), "a stream cut at {cut} is not an object");
        }
        for i in 4..b.len() {
            for v in [0x00, 0x70, 0x71, 0x72, 0x75, 0x7C, 0xFF] {
                let mut d = b.clone();
                d[i] = v;
                let _ = javaser::media_data(&d);
            }
        }
        assert!(javaser::media_data(b"\xFF\xD8\xFF\xE0").is_none());
        // A long-string length far beyond the input.
        assert!(
            javaser::media_data(&[0xAC, 0xED, 0x00, 0x05, 0x7C, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
                .is_none()
        );
    }

    #[test]
    fn the_read_state_needs_a_mark_and_agreeing_orders() {
        let m = |id: i64, sort: Option<i64>, mark: Option<i64>, mark_sort: Option<i64>| {
            Msg { message_id: id, sort_id: sort, last_read: mark, last_read_sort: mark_sort, ..Msg::default() }
                .chat_read()
        };
        // Row ids alone.
        assert_eq!(m(3, None, Some(3), None), Some(true));
        assert_eq!(m(4, None, Some(3), None), Some(false));
        assert_eq!(m(4, None, None, None), None);
        // Both orders agree, or disagree (a history-synced message).
        assert_eq!(m(4, Some(4), Some(3), Some(3)), Some(false));
        assert_eq!(m(2, Some(2), Some(3), Some(3)), Some(true));
        assert_eq!(m(6, Some(1), Some(3), Some(3)), None);
        // A sort id of 0 is no position: the row ids decide.
        assert_eq!(m(4, Some(0), Some(3), Some(3)), Some(false));
        assert_eq!(m(2, Some(2), Some(3), Some(0)), Some(true));
        // The sort mark alone.
        assert_eq!(m(9, Some(9), None, Some(8)), Some(false));
        assert_eq!(m(9, Some(7), None, Some(8)), Some(true));
        assert_eq!(m(9, Some(7), None, Some(0)), None);
    }

    #[test]
    fn codes_and_jids() {
        assert_eq!(media_type_name(9), "document");
        assert_eq!(media_type_name(13), "gif");
        assert_eq!(autodownload_class(13), None);
        assert_eq!(autodownload_class(1), Some("image"));
        assert_eq!(chat_type("120363000000000000@g.us"), "group");
        assert_eq!(chat_type("15550001111@s.whatsapp.net"), "person");
        assert_eq!(chat_type("status@broadcast"), "status");
        assert_eq!(chat_type("-1"), "unknown");
        assert_eq!(
            hash_hex("uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=").as_deref(),
            Some("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9")
        );
        assert_eq!(hash_hex("not base64!"), None);
        assert_eq!(hash_hex("AAAA"), None);
    }
}
