//! Google Workspace Drive audit activity (Admin SDK Reports API,
//! `applicationName=drive`).
//!
//! # What it reads
//! Activity resources (`admin#reports#activity`) as `activities.list` returns
//! them: a response page `{"kind": "admin#reports#activities", "items": [...],
//! "nextPageToken": ...}` (pretty-printed or on one line), a JSON array of
//! activities, or JSON Lines of activities (one per line, as SIEM exporters and
//! `jq -c '.items[]'` write them); see [`crate::jsonrec`]. Record = one
//! activity: `items[3]` (the fourth activity of the input, counted across pages
//! in file order) or, for JSON Lines, the line. An activity carries one or more
//! `events`; each is emitted separately with its position in `attrs.event_index`.
//! Activities of other applications (`id.applicationName` not `drive`) and
//! events of other names are accepted without events. A page without `items`
//! (an empty result) is not a record.
//!
//! # Versions seen
//! Reports API v1 activity resources as documented (events as an array;
//! parameter values as `value`, `boolValue`, `intValue`, `multiValue`,
//! `multiIntValue`), and the variants seen in exporters' test data: `events` as
//! a single object, `uniqueQualifier`/`profileId` as numbers, `value` as an array.
//!
//! **Time**: `id.time`, RFC 3339 UTC, milliseconds when written with a
//! fraction (`2026-01-03T02:14:07.123Z`).
//!
//! # Events emitted
//! Per activity event: `cloud.download` (`download`), `cloud.sync_download`
//! (`sync_item_content`), `cloud.preview` (`view`, `preview`), `cloud.upload`
//! (`upload`, `create`), `cloud.share` (`change_user_access`,
//! `change_acl_editors`, `change_document_access_scope`,
//! `change_document_visibility`, `shared_drive_membership_change`,
//! `change_owner`, and their `*_hierarchy_reconciled` forms; an ACL change whose
//! `new_value` is only `none` removes access and emits nothing).
//!
//! Columns: `actor` (`actor.email`, else `actor.key`), `client_ip`
//! (`ipAddress`), `path` (`doc_title`: Drive has no paths; the title is the file
//! name a sync client gives the local copy), `auto` (`true` for
//! `*_hierarchy_reconciled` events — an inherited change made by Drive after a
//! change of a parent folder — and for Google system callers, `actor.callerType
//! = KEY` with `actor.key = SYSTEM`). `attrs`: `operation` (the event name),
//! `event_type` (`access`, `acl_change`), `event_index`, `doc_id`, `doc_type`,
//! `owner` (the document's owner: compare with `actor` to tell a share or an
//! upload by someone else), `owner_is_shared_drive`, `visibility`,
//! `old_visibility`, `visibility_change`, `target_user`, `target_domain`,
//! `old_value`, `new_value`, `originating_app_id` (the Google Cloud project of
//! the application that acted), `actor_is_collaborator_account`,
//! `primary_event` (false for side effects of another action), `api_method`,
//! `destination_folder_title`, `source_folder_title`, `membership_change_type`,
//! `added_role`, `removed_role`, `shared_drive_id`, `unique_qualifier`,
//! `caller_type`, `actor_application_name`, `actor_oauth_client_id`,
//! `impersonation`, `owner_domain`.
//!
//! # What it cannot tell us
//! No user agent, device, size or content hash. Google does not document which
//! `originating_app_id` values mean Drive for desktop, nor exactly when
//! `sync_item_content` is logged (treated here as a sync client fetching the
//! item's content: **an assumption**). `access_item_content` (an API read that
//! can be of comments or metadata), edits, moves, copies, renames and deletions
//! emit nothing. Drive logs events only for files owned by users with a
//! supported edition, and keeps them about six months.
//!
//! # References
//! developers.google.com/admin-sdk/reports/v1/appendix/activity/drive ("Drive
//! Audit Activity Events": event names and parameters, `primary_event`,
//! `originating_app_id`); developers.google.com/workspace/admin/reports/v1/guides/manage-audit-drive;
//! the `admin.reports_v1` discovery document (Activity resource); elastic/integrations
//! `packages/google_workspace/data_stream/drive/_dev/test/pipeline/test-drive.log`
//! (exported activity shapes).

use std::borrow::Cow;

use waybill_model::{Event, EventKind, EventSink, RecordRef, RejectReason, Timestamp};

use crate::input::Input;
use crate::json::Json;
use crate::jsonrec::{self, JsonRecords, iso_precision, str_at};
use crate::source::{ClockHint, LineParser, ParseContext, Probe, Sniff, Source, SourceError};

/// Google Drive audit activity (Reports API).
pub struct GdriveAudit;

impl JsonRecords for GdriveAudit {
    fn list(&self) -> Option<&'static str> {
        Some("items")
    }

    fn is_page(&self, v: &Json<'_>) -> bool {
        v.get("items").is_some_and(Json::is_array)
            || v.get("kind").and_then(Json::as_str) == Some("admin#reports#activities")
    }

    fn record(&self, rec: RecordRef, v: &Json<'_>) -> Result<Vec<Event<'static>>, RejectReason> {
        activity(rec, v)
    }
}

impl Source for GdriveAudit {
    fn id(&self) -> &'static str {
        "gdrive.audit"
    }

    fn description(&self) -> &'static str {
        "Google Workspace Drive audit activity (Admin SDK Reports API, applicationName=drive), JSON or JSON Lines"
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
        if has(b"\"applicationName\":\"drive\"") && has(b"\"events\":") {
            Sniff::Yes
        } else if has(b"\"kind\":\"admin#reports#activities\"") {
            Sniff::Maybe
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

/// The value of one event parameter.
fn param_value(p: &Json<'_>) -> Option<waybill_model::Value<'static>> {
    use waybill_model::Value as V;
    let strings = |a: &Vec<Json<'_>>| V::List(a.iter().filter_map(|x| x.scalar()).map(Cow::Owned).collect());
    if let Some(b) = p.get("boolValue").and_then(Json::as_bool) {
        return Some(V::Bool(b));
    }
    if let Some(i) = p.get("intValue") {
        return match i {
            Json::Number(n) => n.as_i64().map(V::Int),
            Json::String(s) => s.parse().ok().map(V::Int),
            _ => None,
        };
    }
    match p.get("value").or_else(|| p.get("multiValue")).or_else(|| p.get("multiIntValue")) {
        Some(Json::Array(a)) => Some(strings(a)),
        Some(x @ (Json::String(_) | Json::Number(_))) => x.scalar().map(|s| V::Str(Cow::Owned(s))),
        _ => p.get("messageValue").map(|m| V::Str(Cow::Owned(m.to_string()))),
    }
}

/// Parameters kept in `attrs` (parameter name = attribute name).
const KEPT: &[&str] = &[
    "doc_id",
    "doc_type",
    "owner",
    "owner_is_shared_drive",
    "visibility",
    "old_visibility",
    "visibility_change",
    "target_user",
    "target_domain",
    "old_value",
    "new_value",
    "originating_app_id",
    "actor_is_collaborator_account",
    "primary_event",
    "api_method",
    "destination_folder_title",
    "source_folder_title",
    "membership_change_type",
    "added_role",
    "removed_role",
    "shared_drive_id",
];

const SHARES: &[&str] = &[
    "change_user_access",
    "change_acl_editors",
    "change_document_access_scope",
    "change_document_visibility",
    "shared_drive_membership_change",
    "change_owner",
];

/// The event kind of an event name, and whether Drive made the change itself.
fn kind_of(name: &str) -> Option<(EventKind, bool)> {
    let (base, inherited) = match name.strip_suffix("_hierarchy_reconciled") {
        Some(b) => (b, true),
        None => (name, false),
    };
    let kind = match base {
        "download" => EventKind::CloudDownload,
        "sync_item_content" => EventKind::CloudSyncDownload,
        "view" | "preview" => EventKind::CloudPreview,
        "upload" | "create" => EventKind::CloudUpload,
        b if SHARES.contains(&b) => EventKind::CloudShare,
        _ => return None,
    };
    Some((kind, inherited))
}

/// The events of one activity.
fn activity(rec: RecordRef, act: &Json<'_>) -> Result<Vec<Event<'static>>, RejectReason> {
    if !act.is_object() {
        return Err(RejectReason::Malformed("the activity is not a JSON object".into()));
    }
    let time = str_at(act, &["id", "time"]).ok_or_else(|| RejectReason::Timestamp("no id.time".into()))?;
    let ts = Timestamp::parse_rfc3339(time)?;
    let precision = iso_precision(time);
    if str_at(act, &["id", "applicationName"]).is_some_and(|a| a != "drive") {
        return Ok(Vec::new());
    }
    let events: Vec<&Json<'_>> = match act.get("events") {
        Some(Json::Array(a)) => a.iter().collect(),
        Some(o @ Json::Object(_)) => vec![o],
        _ => return Err(RejectReason::Malformed("the activity has no events".into())),
    };
    let actor = act.get("actor");
    let email = actor.and_then(|a| str_at(a, &["email"]));
    let key = actor.and_then(|a| str_at(a, &["key"]));
    let caller_type = actor.and_then(|a| str_at(a, &["callerType"]));
    let system = caller_type == Some("KEY") && key == Some("SYSTEM");
    let app = actor.and_then(|a| a.get("applicationInfo"));

    let mut out = Vec::new();
    for (i, ev) in events.iter().enumerate() {
        let Some(name) = str_at(ev, &["name"]) else { continue };
        let Some((kind, inherited)) = kind_of(name) else { continue };
        let params: Vec<(&str, &Json<'_>)> = ev
            .get("parameters")
            .and_then(Json::as_array)
            .map(|ps| ps.iter().filter_map(|p| Some((p.get("name")?.as_str()?, p))).collect())
            .unwrap_or_default();
        let param = |n: &str| params.iter().find(|(k, _)| *k == n).and_then(|(_, p)| param_value(p));
        if kind == EventKind::CloudShare
            && let Some(waybill_model::Value::List(new)) = param("new_value")
            && !new.is_empty()
            && new.iter().all(|v| v == "none")
        {
            continue;
        }
        let mut e = Event::new(kind, ts, precision, rec);
        e.actor = email.or(key).map(|s| Cow::Owned(s.to_owned()));
        e.client_ip = str_at(act, &["ipAddress"]).map(|s| Cow::Owned(s.to_owned()));
        e.path = match param("doc_title") {
            Some(waybill_model::Value::Str(t)) => Some(t),
            _ => None,
        };
        if inherited || system {
            e.auto = Some(true);
        }
        let a = &mut e.attrs;
        a.push("operation", name.to_owned());
        a.push_opt("event_type", str_at(ev, &["type"]).map(str::to_owned));
        a.push("event_index", i64::try_from(i).unwrap_or(i64::MAX));
        for &k in KEPT {
            a.push_opt(k, param(k));
        }
        a.push_opt("unique_qualifier", act.get("id").and_then(|id| id.get("uniqueQualifier")).and_then(Json::scalar));
        a.push_opt("caller_type", caller_type.map(str::to_owned));
        if email.is_some() {
            a.push_opt("actor_key", key.map(str::to_owned));
        }
        if let Some(app) = app {
            a.push_opt("actor_application_name", str_at(app, &["applicationName"]).map(str::to_owned));
            a.push_opt("actor_oauth_client_id", str_at(app, &["oauthClientId"]).map(str::to_owned));
            a.push_opt("impersonation", app.get("impersonation").and_then(Json::as_bool));
        }
        a.push_opt("owner_domain", str_at(act, &["ownerDomain"]).map(str::to_owned));
        out.push(e);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_emitted_per_activity_event_and_revocations_skipped() {
        let act: Json<'_> = serde_json::from_str(
            r#"{"id":{"time":"2026-01-03T02:14:07.123Z","applicationName":"drive","uniqueQualifier":"-42"},
                "actor":{"email":"bob@example.com","callerType":"USER"},"ipAddress":"203.0.113.9",
                "events":[{"type":"acl_change","name":"change_user_access","parameters":[
                   {"name":"doc_title","value":"plan.pdf"},{"name":"target_user","value":"alice@example.com"},
                   {"name":"new_value","multiValue":["can_view"]}]},
                  {"type":"acl_change","name":"change_user_access","parameters":[
                   {"name":"new_value","multiValue":["none"]}]},
                  {"type":"access","name":"edit","parameters":[]}]}"#,
        )
        .unwrap();
        let evs = activity(RecordRef::Whole, &act).unwrap();
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].kind, EventKind::CloudShare);
        assert_eq!(evs[0].path.as_deref(), Some("plan.pdf"));
        assert_eq!(evs[0].ts.to_string(), "2026-01-03T02:14:07.123000Z");
        let mut json = String::new();
        evs[0].attrs.write_json(&mut json);
        assert!(json.contains(r#""new_value":["can_view"]"#), "{json}");
        assert!(json.contains(r#""unique_qualifier":"-42""#), "{json}");
    }
}
