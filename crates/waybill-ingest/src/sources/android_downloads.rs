//! Android DownloadManager database (`downloads.db`).
//!
//! # What it reads
//! Every row of `downloads` in
//! `/data/data/com.android.providers.downloads/databases/downloads.db`: the
//! system download service that any app (browser, messenger, the phone app
//! itself) asks to fetch a URL to a file. The names of the extra HTTP headers an
//! app asked for (`request_headers`) are read too — never their values, which
//! hold bearer tokens and cookies.
//!
//! # Versions seen
//! `user_version` 114 (plaso's sample, an Android 12/13 phone of 2022, with
//! `mediastore_uri`, `allow_write` and `flags`). Columns are read by name, so
//! older layouts without those columns read with the same query.
//!
//! # Events emitted
//! `browser.download` (the closest kind: an HTTP download to a file recorded on
//! the device; the requesting app need not be a browser) at `lastmod` (Java
//! milliseconds; Android: "the date at which some interesting status changed",
//! so it is the time of the last state change — completion, failure, retry —
//! not the start): `url` (`uri`, when it is a URL), `path` (`_data`, else the
//! `hint` file URI), `size` (`total_bytes`, when known), `status` (the raw
//! DownloadManager status: HTTP-family codes, 200 success, 190–196 not finished,
//! 400–599 failed), `referrer` (`referer`), `user_agent` (`useragent`).
//! `attrs`: `download_id`, `notification_package` (the app that asked for the
//! download — a browser, a messaging app or a system component; this is the
//! main discriminator), `notification_class`, `uid` / `other_uid` (Linux uids of
//! the owning and the allowed app), `title`, `description`, `mime_type`,
//! `state` (`complete` / `in_progress` / `failed`, from Android's status
//! families), `phase` = `end` for a complete download (its `lastmod` is then
//! the completion, so the row can be a file's arrival), `status_name` (Android's `STATUS_*` name), `destination`
//! (`external`, `cache_partition`, `cache_partition_purgeable`,
//! `cache_partition_noroaming`, `file_uri`, `systemcache_partition`,
//! `non_downloadmanager_download` = the app fetched the bytes itself and only
//! registered the finished file), `visibility` (`visible`,
//! `visible_notify_completed`, `hidden`, `visible_notify_only_completion`),
//! `is_visible_in_downloads_ui`, `current_bytes`, `failed_connections`,
//! `control` (`run` / `paused`), `etag`, `error_message`, `deleted`,
//! `media_provider_uri`, `mediastore_uri`, `is_public_api`, `allow_write`,
//! `allow_metered`, `allow_roaming`, `allowed_network_types`, `flags`,
//! `scanned`, `request_headers` (header names), `has_cookie_data` (the app
//! passed cookies; their value is not read), `uri` (the raw `uri` when it is not
//! a URL, e.g. the placeholder of app-completed downloads).
//!
//! # What it cannot tell us
//! Whether a person tapped anything: an app may ask DownloadManager to fetch
//! media on its own (`visibility` = `hidden` and `is_visible_in_downloads_ui` =
//! false are strong hints of that, a visible notification of the opposite), so
//! `auto` is left unset. Rows are deleted when the user clears the list or the
//! file; only the last state change time survives.
//!
//! # References
//! AOSP `core/java/android/provider/Downloads.java` (column meanings, `STATUS_*`,
//! `DESTINATION_*`, `CONTROL_*`) and `core/java/android/app/DownloadManager.java`
//! (`VISIBILITY_*`); plaso `sqlite_plugins/android_native_downloads.py` and its test.

use std::borrow::Cow;
use std::collections::HashMap;

use waybill_model::{Event, EventKind, EventSink, Precision, RejectReason, Timestamp, Value};

use crate::input::Input;
use crate::source::{InputKind, Probe, Sniff, Source, SourceError, SqliteSchema};
use crate::sqlite::{each_row, file_uri_to_path, int, select_list, text};

/// Android DownloadManager `downloads.db`.
pub struct AndroidDownloads;

/// Android's name of a `STATUS_*` value (`Downloads.Impl`), lower-case.
fn status_name(code: i64) -> Option<&'static str> {
    Some(match code {
        190 => "pending",
        192 => "running",
        193 => "paused_by_app",
        194 => "waiting_to_retry",
        195 => "waiting_for_network",
        196 => "queued_for_wifi",
        198 => "insufficient_space_error",
        199 => "device_not_found_error",
        200 => "success",
        400 => "bad_request",
        406 => "not_acceptable",
        411 => "length_required",
        412 => "precondition_failed",
        488 => "file_already_exists_error",
        489 => "cannot_resume",
        490 => "canceled",
        491 => "unknown_error",
        492 => "file_error",
        493 => "unhandled_redirect",
        494 => "unhandled_http_code",
        495 => "http_data_error",
        496 => "http_exception",
        497 => "too_many_redirects",
        498 => "blocked",
        _ => return None,
    })
}

/// The status family, as `Downloads.Impl.isStatus*` defines them.
fn state_name(code: i64) -> &'static str {
    match code {
        100..=199 => "in_progress",
        200..=299 => "complete",
        400..=599 => "failed",
        _ => "unknown",
    }
}

fn destination_name(v: i64) -> Option<&'static str> {
    Some(match v {
        0 => "external",
        1 => "cache_partition",
        2 => "cache_partition_purgeable",
        3 => "cache_partition_noroaming",
        4 => "file_uri",
        5 => "systemcache_partition",
        6 => "non_downloadmanager_download",
        _ => return None,
    })
}

fn visibility_name(v: i64) -> Option<&'static str> {
    Some(match v {
        0 => "visible",
        1 => "visible_notify_completed",
        2 => "hidden",
        3 => "visible_notify_only_completion",
        _ => return None,
    })
}

/// A number with a name when it has one, else the number itself.
fn named(name: Option<&'static str>, v: i64) -> Value<'static> {
    match name {
        Some(n) => Value::from(n),
        None => Value::Int(v),
    }
}

/// Does `uri` have a URL scheme (`https://…`)?
fn is_url(uri: &str) -> bool {
    uri.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
    })
}

/// Header names per download id (values are never read).
fn header_names(conn: &crate::input::Db, schema: &SqliteSchema) -> HashMap<i64, Vec<String>> {
    let mut names: HashMap<i64, Vec<String>> = HashMap::new();
    if !(schema.has_column("request_headers", "download_id") && schema.has_column("request_headers", "header")) {
        return names;
    }
    let Ok(mut stmt) = conn.prepare("SELECT download_id, header FROM request_headers ORDER BY rowid") else {
        return names;
    };
    let Ok(mut rows) = stmt.query([]) else {
        return names;
    };
    while let Ok(Some(r)) = rows.next() {
        if let (Ok(id), Ok(Some(h))) = (r.get::<_, i64>(0), r.get::<_, Option<String>>(1)) {
            let list = names.entry(id).or_default();
            if !list.contains(&h) {
                list.push(h);
            }
        }
    }
    names
}

impl Source for AndroidDownloads {
    fn id(&self) -> &'static str {
        "android.downloads"
    }

    fn description(&self) -> &'static str {
        "Android DownloadManager downloads.db (SQLite): app-requested downloads with the requesting package"
    }

    fn version(&self) -> u32 {
        2
    }

    fn input_kind(&self) -> InputKind {
        InputKind::Sqlite
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        let Some(s) = probe.sqlite else {
            return Sniff::No;
        };
        if s.has_columns("downloads", &["uri", "lastmod", "notificationpackage", "destination", "visibility", "status"])
        {
            Sniff::Yes
        } else {
            Sniff::No
        }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let db = input.sqlite()?;
        let (conn, schema) = (&db.conn, &db.schema);
        if !schema.has_column("downloads", "lastmod") {
            return Err(SourceError::NotThisFormat { format: self.id(), reason: "no downloads.lastmod".into() });
        }
        let headers = header_names(conn, schema);
        let cols = select_list(
            schema,
            "downloads",
            "d",
            &[
                "_id",
                "uri",
                "hint",
                "_data",
                "mimetype",
                "destination",
                "visibility",
                "control",
                "status",
                "numfailed",
                "lastmod",
                "notificationpackage",
                "notificationclass",
                "useragent",
                "referer",
                "total_bytes",
                "current_bytes",
                "etag",
                "uid",
                "otheruid",
                "title",
                "description",
                "scanned",
                "is_public_api",
                "allow_roaming",
                "allowed_network_types",
                "is_visible_in_downloads_ui",
                "mediaprovider_uri",
                "deleted",
                "errorMsg",
                "allow_metered",
                "allow_write",
                "flags",
                "mediastore_uri",
            ],
        );
        // Cookie values are credentials: only whether there were any is read.
        let cookie = if schema.has_column("downloads", "cookiedata") {
            "(d.cookiedata IS NOT NULL AND d.cookiedata != '') AS has_cookie_data"
        } else {
            "NULL AS has_cookie_data"
        };
        let sql = format!("SELECT d.rowid AS _rowid, {cols}, {cookie} FROM downloads d ORDER BY d.rowid");
        each_row(conn, "downloads", &sql, out, |row, record| {
            let ms = int(row, "lastmod")?.ok_or_else(|| RejectReason::Timestamp("lastmod is NULL".into()))?;
            if ms <= 0 {
                return Err(RejectReason::Timestamp(format!("lastmod {ms} is not a time")));
            }
            let mut e = Event::new(
                EventKind::BrowserDownload,
                Timestamp::from_unix_millis(ms)?,
                Precision::Millisecond,
                record,
            );
            let uri = text(row, "uri");
            let path = text(row, "_data")
                .or_else(|| text(row, "hint").filter(|h| h.starts_with("file://")).map(|h| file_uri_to_path(&h)));
            let status = int(row, "status")?;
            e.path = path.map(Cow::Owned);
            e.size = int(row, "total_bytes")?.filter(|t| *t >= 0);
            e.status = status.and_then(|s| i32::try_from(s).ok());
            e.referrer = text(row, "referer").map(Cow::Owned);
            e.user_agent = text(row, "useragent").map(Cow::Owned);
            let id = int(row, "_id")?;
            e.attrs.push_opt("download_id", id);
            e.attrs.push_opt("notification_package", text(row, "notificationpackage"));
            e.attrs.push_opt("notification_class", text(row, "notificationclass"));
            e.attrs.push_opt("uid", int(row, "uid")?);
            e.attrs.push_opt("other_uid", int(row, "otheruid")?);
            e.attrs.push_opt("title", text(row, "title"));
            e.attrs.push_opt("description", text(row, "description"));
            e.attrs.push_opt("mime_type", text(row, "mimetype"));
            if let Some(s) = status {
                e.attrs.push("state", state_name(s));
                e.attrs.push_opt("status_name", status_name(s));
                // A finished download's last state change is its completion.
                if state_name(s) == "complete" {
                    e.attrs.push("phase", "end");
                }
            }
            if let Some(d) = int(row, "destination")? {
                e.attrs.push("destination", named(destination_name(d), d));
            }
            if let Some(v) = int(row, "visibility")? {
                e.attrs.push("visibility", named(visibility_name(v), v));
            }
            if let Some(v) = int(row, "is_visible_in_downloads_ui")? {
                e.attrs.push("is_visible_in_downloads_ui", v != 0);
            }
            e.attrs.push_opt("current_bytes", int(row, "current_bytes")?);
            e.attrs.push_opt("failed_connections", int(row, "numfailed")?.filter(|n| *n != 0));
            match int(row, "control")? {
                Some(0) => e.attrs.push("control", "run"),
                Some(1) => e.attrs.push("control", "paused"),
                Some(c) => e.attrs.push("control", c),
                None => {}
            }
            e.attrs.push_opt("etag", text(row, "etag"));
            e.attrs.push_opt("error_message", text(row, "errorMsg"));
            for (key, col) in [
                ("deleted", "deleted"),
                ("is_public_api", "is_public_api"),
                ("allow_write", "allow_write"),
                ("allow_metered", "allow_metered"),
                ("allow_roaming", "allow_roaming"),
            ] {
                if let Some(v) = int(row, col)? {
                    e.attrs.push(key, v != 0);
                }
            }
            e.attrs.push_opt("allowed_network_types", int(row, "allowed_network_types")?);
            e.attrs.push_opt("flags", int(row, "flags")?.filter(|f| *f != 0));
            e.attrs.push_opt("scanned", int(row, "scanned")?);
            e.attrs.push_opt("media_provider_uri", text(row, "mediaprovider_uri"));
            e.attrs.push_opt("mediastore_uri", text(row, "mediastore_uri"));
            if let Some(names) = id.and_then(|i| headers.get(&i)) {
                e.attrs.push("request_headers", Value::List(names.iter().cloned().map(Cow::Owned).collect()));
            }
            if int(row, "has_cookie_data")? == Some(1) {
                e.attrs.push("has_cookie_data", true);
            }
            match uri {
                Some(u) if is_url(&u) => e.url = Some(Cow::Owned(u)),
                Some(u) => e.attrs.push("uri", u),
                None => {}
            }
            Ok(vec![e])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{is_url, state_name, status_name};

    #[test]
    fn statuses_and_urls() {
        assert_eq!(status_name(495), Some("http_data_error"));
        assert_eq!(state_name(194), "in_progress");
        assert_eq!(state_name(200), "complete");
        assert_eq!(state_name(495), "failed");
        assert!(is_url("https://cdn.example.net/a.jpg"));
        assert!(!is_url("non-dwnldmngr-download-dont-retry2download"));
        assert!(!is_url("://x"));
    }
}
