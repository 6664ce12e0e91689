//! Dropbox team event log (Dropbox Business / Teams `team_log/get_events`).
//!
//! # What it reads
//! `TeamEvent` objects as the API returns them: a `get_events` response
//! `{"events": [...], "cursor": ..., "has_more": ...}` (pretty-printed or on
//! one line), a JSON array of events, or JSON Lines of events (one per line, as
//! `jq -c '.events[]'` and SIEM exporters write them); see [`crate::jsonrec`].
//! Record = one event: `events[3]` (the fourth event of the input, counted
//! across pages in file order) or, for JSON Lines, the line. Unions are read in
//! the API's JSON form (`{".tag": "file_download", "description": ...}`;
//! `{".tag": "end_user", "end_user": {".tag": "desktop", "session_id": ...}}`).
//! The admin console's CSV activity report is **not** read: its columns are not
//! documented.
//!
//! # Versions seen
//! The `team_log` namespace of dropbox/dropbox-api-spec (`TeamEvent`,
//! `ActorLogInfo`, `OriginLogInfo`, `AccessMethodLogInfo`, `AssetLogInfo`,
//! `EventType` with descriptions), API v2.
//!
//! **Time**: `timestamp`, a Dropbox timestamp (`2026-01-03T02:14:07Z`, UTC,
//! whole seconds).
//!
//! # Events emitted
//! One event per file or folder asset of the event (one event without `path`
//! when the event names no asset):
//! - `cloud.download`: `file_download`, `shared_content_download`,
//!   `shared_link_download`, `showcase_file_download`,
//!   `file_transfers_transfer_download`, `replay_file_downloaded`,
//!   `media_hub_file_downloaded`; but a `file_download` whose origin is the
//!   desktop client (`access_method` `end_user` / `desktop`) is
//!   `cloud.sync_download` — **an assumption**: the desktop application has no
//!   per-file download command; it fetches content to sync it (including when
//!   an online-only file is opened), so such a record is read as the sync client
//!   delivering the file, not as a browser-style download;
//! - `cloud.preview`: `file_preview`, `shared_content_view`, `shared_link_view`,
//!   `showcase_file_view`, `file_transfers_transfer_view`;
//! - `cloud.upload`: `file_add`, `file_edit`, `file_add_from_automation`
//!   (`auto = true`), `file_request_receive_file` (a file sent by someone else
//!   through a file request), `email_ingest_receive_file` (a file e-mailed into
//!   the Dropbox), `file_transfers_file_add`;
//! - `cloud.share`: grants of access — `shared_content_add_member`,
//!   `shared_content_add_invitees`, `shared_content_claim_invitation`,
//!   `shared_content_restore_member`, `shared_content_change_member_role`,
//!   `shared_folder_create`, `shared_folder_mount`, `shared_folder_nest`,
//!   `shared_folder_transfer_ownership`, `shared_folder_change_link_policy`,
//!   `shared_folder_change_members_policy`, `shared_link_create`,
//!   `shared_link_share`, `shared_link_change_visibility`,
//!   `shared_link_settings_change_audience`, `collection_share`,
//!   `file_transfers_transfer_send`, and the legacy `sf_add_group`,
//!   `sf_invite_group`, `sf_team_invite`, `sf_team_grant_access`, `sf_team_join`,
//!   `sf_team_join_from_oob_link`, `sf_fb_invite`. Removals, unmounts and
//!   declines emit nothing.
//!
//! Columns: `actor` (the acting user's or admin's `email`, an app's
//! `display_name`, a reseller's `reseller_email`), `client_ip`
//! (`origin.geo_location.ip_address`), `url` (`details.shared_content_link`),
//! `path` (the asset's `path.contextual`, else its namespace-relative path),
//! `size` (`file_size`), `auto` (`true` when the actor is `dropbox` and for
//! `file_add_from_automation`). `attrs`: `operation` (the event type tag),
//! `event_category`, `description`, `asset_index`, `asset_type`, `file_id`,
//! `display_name`, `ns_id`, `is_shared_namespace`, `access_method`
//! (`end_user`, `api`, `admin_console`, `sign_in_as`, …), `session_type`
//! (`desktop`, `mobile`, `web`), `session_id`, `request_id`, `actor_type`
//! (`user`, `admin`, `app`, `dropbox`, `anonymous`, `reseller`),
//! `actor_display_name`, `actor_account_id`, `context_email` (on whose behalf),
//! `participants` (e-mails or group names affected), `involve_non_team_member`,
//! `shared_content_owner`, `access_level`, `geo_location` (`city, region,
//! country`).
//!
//! # What it cannot tell us
//! Dropbox does not document which desktop-client transfers are logged as
//! `file_download`, nor whether routine sync downloads are logged at all: the
//! absence of `file_download` records is not evidence that a sync client did
//! not fetch a file. File operations are only logged on some plans. No content
//! hash is logged (the desktop client's own databases hold `content_hash`).
//! Edits of metadata, moves, copies, renames and deletions emit nothing.
//!
//! # References
//! dropbox/dropbox-api-spec `team_log.stone` (`get_events`, `TeamEvent`,
//! `OriginLogInfo`, `AccessMethodLogInfo`, `ActorLogInfo`, `FileLogInfo`,
//! `PathLogInfo`, `GeoLocationLogInfo`, the `EventType` list) and
//! `team_log_generated.stone`; help.dropbox.com/account-access/view-activity
//! (activity log and report; file operations only on some plans).

use std::borrow::Cow;

use waybill_model::{Event, EventKind, EventSink, RecordRef, RejectReason, Timestamp};

use crate::input::Input;
use crate::json::Json;
use crate::jsonrec::{self, JsonRecords, iso_precision, str_at};
use crate::source::{ClockHint, LineParser, ParseContext, Probe, Sniff, Source, SourceError};

/// Dropbox team event log.
pub struct DropboxEvents;

impl JsonRecords for DropboxEvents {
    fn list(&self) -> Option<&'static str> {
        Some("events")
    }

    fn is_page(&self, v: &Json<'_>) -> bool {
        v.get("events").is_some_and(Json::is_array) || (v.get("cursor").is_some() && v.get("has_more").is_some())
    }

    fn record(&self, rec: RecordRef, v: &Json<'_>) -> Result<Vec<Event<'static>>, RejectReason> {
        team_event(rec, v)
    }
}

impl Source for DropboxEvents {
    fn id(&self) -> &'static str {
        "dropbox.events"
    }

    fn description(&self) -> &'static str {
        "Dropbox team event log (team_log/get_events), JSON or JSON Lines"
    }

    fn version(&self) -> u32 {
        // 2: JSON Lines are read in parallel; a page on a line numbers its
        // elements within the line.
        2
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        let Some(head) = jsonrec::compact_head(probe.head) else {
            return Sniff::No;
        };
        let has = |k: &[u8]| memchr::memmem::find(&head, k).is_some();
        if has(b"\"event_type\":{\".tag\":\"") && has(b"\"event_category\":{\".tag\":\"") && has(b"\"timestamp\":\"") {
            Sniff::Yes
        } else {
            Sniff::No
        }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        jsonrec::parse(self, input, out)
    }

    fn line_parser_for<'a>(
        &'a self,
        _ctx: &'a ParseContext,
        head: &[u8],
    ) -> Result<Option<Box<dyn LineParser + 'a>>, SourceError> {
        Ok(crate::jsonrec::lines_parser(self, head))
    }

    fn clock(&self) -> ClockHint {
        ClockHint::Host
    }
}

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_owned)
}

const DOWNLOADS: &[&str] = &[
    "file_download",
    "shared_content_download",
    "shared_link_download",
    "showcase_file_download",
    "file_transfers_transfer_download",
    "replay_file_downloaded",
    "media_hub_file_downloaded",
];
const PREVIEWS: &[&str] =
    &["file_preview", "shared_content_view", "shared_link_view", "showcase_file_view", "file_transfers_transfer_view"];
const UPLOADS: &[&str] = &[
    "file_add",
    "file_edit",
    "file_add_from_automation",
    "file_request_receive_file",
    "email_ingest_receive_file",
    "file_transfers_file_add",
];
const SHARES: &[&str] = &[
    "shared_content_add_member",
    "shared_content_add_invitees",
    "shared_content_claim_invitation",
    "shared_content_restore_member",
    "shared_content_change_member_role",
    "shared_folder_create",
    "shared_folder_mount",
    "shared_folder_nest",
    "shared_folder_transfer_ownership",
    "shared_folder_change_link_policy",
    "shared_folder_change_members_policy",
    "shared_link_create",
    "shared_link_share",
    "shared_link_change_visibility",
    "shared_link_settings_change_audience",
    "collection_share",
    "file_transfers_transfer_send",
    "sf_add_group",
    "sf_invite_group",
    "sf_team_invite",
    "sf_team_grant_access",
    "sf_team_join",
    "sf_team_join_from_oob_link",
    "sf_fb_invite",
];

fn kind_of(tag: &str) -> Option<EventKind> {
    Some(if DOWNLOADS.contains(&tag) {
        EventKind::CloudDownload
    } else if PREVIEWS.contains(&tag) {
        EventKind::CloudPreview
    } else if UPLOADS.contains(&tag) {
        EventKind::CloudUpload
    } else if SHARES.contains(&tag) {
        EventKind::CloudShare
    } else {
        return None;
    })
}

/// The e-mail (or name) of a `UserLogInfo`, `GroupLogInfo` or participant.
fn who(v: &Json<'_>) -> Option<String> {
    owned(str_at(v, &["email"]).or_else(|| str_at(v, &["display_name"])))
}

/// The events of one team event.
fn team_event(rec: RecordRef, ev: &Json<'_>) -> Result<Vec<Event<'static>>, RejectReason> {
    if !ev.is_object() {
        return Err(RejectReason::Malformed("the team event is not a JSON object".into()));
    }
    let time = str_at(ev, &["timestamp"]).ok_or_else(|| RejectReason::Timestamp("no timestamp".into()))?;
    let ts = Timestamp::parse_rfc3339(time)?;
    let precision = iso_precision(time);
    let tag = str_at(ev, &["event_type", ".tag"])
        .ok_or_else(|| RejectReason::Value { field: "event_type".into(), detail: "no .tag".into() })?;
    let Some(mut kind) = kind_of(tag) else { return Ok(Vec::new()) };

    // Who acted.
    let actor_type = str_at(ev, &["actor", ".tag"]);
    let actor_info = actor_type.and_then(|t| ev.get("actor")?.get(t));
    let (actor, actor_display, actor_account) = match (actor_type, actor_info) {
        (Some("reseller"), Some(r)) => {
            (owned(str_at(r, &["reseller_email"])), owned(str_at(r, &["reseller_name"])), None)
        }
        (Some(_), Some(u)) => (who(u), owned(str_at(u, &["display_name"])), owned(str_at(u, &["account_id"]))),
        _ => (None, None, None),
    };
    // Where from.
    let origin = ev.get("origin");
    let ip = origin.and_then(|o| str_at(o, &["geo_location", "ip_address"]));
    let geo = origin
        .and_then(|o| o.get("geo_location"))
        .map(|g| ["city", "region", "country"].iter().filter_map(|k| str_at(g, &[k])).collect::<Vec<_>>().join(", "));
    let method = origin.and_then(|o| o.get("access_method"));
    let method_tag = method.and_then(|m| str_at(m, &[".tag"]));
    let session = method_tag.and_then(|t| method?.get(t)).filter(|s| s.is_object()).or(method);
    let session_type = if method_tag == Some("end_user") { session.and_then(|s| str_at(s, &[".tag"])) } else { None };
    if tag == "file_download" && session_type == Some("desktop") {
        kind = EventKind::CloudSyncDownload;
    }
    let auto = actor_type == Some("dropbox") || tag == "file_add_from_automation";
    let details = ev.get("details");
    let link = details.and_then(|d| str_at(d, &["shared_content_link"]));
    let shared_owner =
        details.and_then(|d| d.get("shared_content_owner").or_else(|| d.get("shared_link_owner"))).and_then(who);
    let access_level = details.and_then(|d| {
        str_at(d, &["shared_content_access_level", ".tag"]).or_else(|| str_at(d, &["shared_link_access_level", ".tag"]))
    });
    let participants: Vec<Cow<'static, str>> = ev
        .get("participants")
        .and_then(Json::as_array)
        .map(|ps| ps.iter().filter_map(|p| p.get(str_at(p, &[".tag"])?).and_then(who)).map(Cow::Owned).collect())
        .unwrap_or_default();

    let assets: Vec<&Json<'_>> =
        ev.get("assets").and_then(Json::as_array).map(|a| a.iter().collect()).unwrap_or_default();
    let n = assets.len().max(1);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let asset = assets.get(i).copied();
        let mut e = Event::new(kind, ts, precision, rec);
        e.actor = actor.clone().map(Cow::Owned);
        e.client_ip = owned(ip).map(Cow::Owned);
        e.url = owned(link).map(Cow::Owned);
        if let Some(asset) = asset {
            e.path = owned(
                str_at(asset, &["path", "contextual"])
                    .or_else(|| str_at(asset, &["path", "namespace_relative", "relative_path"])),
            )
            .map(Cow::Owned);
            e.size = asset.get("file_size").and_then(Json::as_i64);
        }
        if auto {
            e.auto = Some(true);
        }
        let a = &mut e.attrs;
        a.push("operation", tag.to_owned());
        a.push_opt("event_category", owned(str_at(ev, &["event_category", ".tag"])));
        a.push_opt("description", owned(str_at(ev, &["event_type", "description"])));
        if let Some(asset) = asset {
            if assets.len() > 1 {
                a.push("asset_index", i64::try_from(i).unwrap_or(i64::MAX));
            }
            a.push_opt("asset_type", owned(str_at(asset, &[".tag"])));
            a.push_opt("file_id", owned(str_at(asset, &["file_id"])));
            a.push_opt("display_name", owned(str_at(asset, &["display_name"])));
            a.push_opt("ns_id", owned(str_at(asset, &["path", "namespace_relative", "ns_id"])));
            a.push_opt(
                "is_shared_namespace",
                asset.get("path").and_then(|p| p.get("namespace_relative")?.get("is_shared_namespace")?.as_bool()),
            );
        }
        a.push_opt("access_method", owned(method_tag));
        a.push_opt("session_type", owned(session_type));
        a.push_opt("session_id", owned(session.and_then(|s| str_at(s, &["session_id"]))));
        a.push_opt("request_id", owned(session.and_then(|s| str_at(s, &["request_id"]))));
        a.push_opt("actor_type", owned(actor_type));
        a.push_opt("actor_display_name", actor_display.clone());
        a.push_opt("actor_account_id", actor_account.clone());
        a.push_opt("context_email", owned(ev.get("context").and_then(|c| str_at(c, &["email"]))));
        if !participants.is_empty() {
            a.push("participants", waybill_model::Value::List(participants.clone()));
        }
        a.push_opt("involve_non_team_member", ev.get("involve_non_team_member").and_then(Json::as_bool));
        a.push_opt("shared_content_owner", shared_owner.clone());
        a.push_opt("access_level", owned(access_level));
        a.push_opt("geo_location", geo.clone().filter(|g| !g.is_empty()));
        out.push(e);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desktop_download_is_a_sync_download() {
        let ev: Json<'_> = serde_json::from_str(
            r#"{"timestamp":"2026-01-03T02:14:07Z","event_category":{".tag":"file_operations"},
                "event_type":{".tag":"file_download","description":"Downloaded files and/or folders"},
                "actor":{".tag":"user","user":{".tag":"team_member","email":"alice@example.com","display_name":"Alice"}},
                "origin":{"geo_location":{"ip_address":"203.0.113.7","country":"US"},
                          "access_method":{".tag":"end_user","end_user":{".tag":"desktop","session_id":"dbwsid:1"}}},
                "assets":[{".tag":"file","path":{"contextual":"/Team/plan.pdf"},"file_size":42}],
                "details":{".tag":"file_download_details"}}"#,
        )
        .unwrap();
        let evs = team_event(RecordRef::Whole, &ev).unwrap();
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].kind, EventKind::CloudSyncDownload);
        assert_eq!(evs[0].actor.as_deref(), Some("alice@example.com"));
        assert_eq!(evs[0].path.as_deref(), Some("/Team/plan.pdf"));
        assert_eq!(evs[0].size, Some(42));
        assert_eq!(evs[0].client_ip.as_deref(), Some("203.0.113.7"));
    }
}
