//! Windows event logs (`.evtx`): presence — logon, logoff, lock, unlock,
//! screensaver, sleep and wake.
//!
//! # What it reads
//! Every record of an EVTX file (Security, System, or any channel), through the
//! `evtx` crate (BinXML rendered to JSON). Records that say nothing about
//! whether someone was at the device are read, counted as accepted and produce
//! no event, so the counts match the file's record count.
//!
//! # Versions seen
//! EVTX 3.1 and 3.2 (Windows Vista to 11): the omerbenamram/evtx and chainsaw
//! Security samples, plaso's System logs; 4800–4803 built from their documented
//! XML (no public sample has them; see the fixtures).
//!
//! # Events emitted
//! At the record's `TimeCreated` (FILETIME, 100 ns), `device` = `Computer`:
//! - Security 4624 (an account logged on) → `session.logon`; `actor` =
//!   `TargetDomainName\TargetUserName`, `client_ip` = `IpAddress` (when an
//!   address), attrs `logon_type` (number) and `logon_type_name`
//!   (`interactive`, `network`, `batch`, `service`, `unlock`,
//!   `network_cleartext`, `new_credentials`, `remote_interactive`,
//!   `cached_interactive`, `cached_remote_interactive`, `cached_unlock`),
//!   `logon_id`, `workstation`, `logon_process`, `auth_package`, `elevated`;
//!   `auto` = true for logons of the system itself (types 0, 4, 5: system,
//!   batch, service), false for a person at the keyboard or screen (2, 7, 10, 11,
//!   12, 13), unset otherwise (3, network; 8; 9).
//! - Security 4634 (logged off) and 4647 (user-initiated logoff) →
//!   `session.logoff` (attrs `logon_type` for 4634, `user_initiated` = true for 4647).
//! - Security 4800 (workstation locked) → `session.lock`; 4801 (unlocked) →
//!   `session.unlock`; 4802 / 4803 (screen saver invoked / dismissed) →
//!   `session.lock` / `session.unlock` with attrs `screensaver` = true.
//! - System, provider Microsoft-Windows-Kernel-Power: 42 (entering sleep) →
//!   `power.sleep` (attrs `target_state`, `reason`); 107 (resumed from sleep)
//!   → `power.wake`; 506 / 507 (modern standby entered / exited) →
//!   `power.sleep` / `power.wake` with attrs `modern_standby` = true.
//! - System, provider Microsoft-Windows-Power-Troubleshooter 1 (returned from
//!   a low power state) → `power.wake`, attrs `sleep_time`, `wake_time`,
//!   `wake_source` as logged.
//! - System, provider Microsoft-Windows-Kernel-General: 12 (the operating
//!   system started) → `power.wake` with attrs `boot` = true; 13 (the
//!   operating system is shutting down) → `power.sleep` with attrs `shutdown`
//!   = true: a device that is off receives nothing either.
//!
//! attrs always: `event_id`, `provider`, `channel`, `record_id`.
//! `record` = `EventRecordID <n>`.
//!
//! # What it cannot tell us
//! A logon says a session started, not that a person was looking at the screen;
//! a missing lock event is not proof of presence (locking is often not audited:
//! 4800/4801 need "Audit Other Logon/Logoff Events"). Sleep and wake come from
//! the System log, which rotates by size. A record the crate cannot decode is
//! a reject; a damaged chunk loses the records in it, which the crate reports
//! as errors (each one a reject).
//!
//! # References
//! Microsoft, "4624(S): An account was successfully logged on" (logon types),
//! 4634, 4647, 4800–4803; Kernel-Power 42/107, Power-Troubleshooter 1
//! (Microsoft Learn, Windows event IDs); libyal/libevtx documentation of the
//! format; plaso `winevtx` parser (record counts compared in the real-data tests);
//! `../shared/knowledge/artifacts.md` section 8.

use std::borrow::Cow;

use evtx::{EvtxParser, ParserSettings};
use serde_json::Value;
use waybill_model::{Event, EventKind, EventSink, Precision, RecordRef, Reject, RejectReason, Timestamp};

use crate::input::Input;
use crate::source::{ClockHint, InputKind, Probe, Sniff, Source, SourceError};

/// Windows event logs.
pub struct WindowsEvtx;

/// The first bytes of every EVTX file.
const MAGIC: &[u8] = b"ElfFile\0";

fn logon_type_name(t: i64) -> Option<&'static str> {
    Some(match t {
        0 => "system",
        2 => "interactive",
        3 => "network",
        4 => "batch",
        5 => "service",
        7 => "unlock",
        8 => "network_cleartext",
        9 => "new_credentials",
        10 => "remote_interactive",
        11 => "cached_interactive",
        12 => "cached_remote_interactive",
        13 => "cached_unlock",
        _ => return None,
    })
}

/// A value of the rendered JSON as text (numbers and strings; `#text` of an
/// element with attributes).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() && s != "-" => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(o) => o.get("#text").and_then(text),
        _ => None,
    }
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => {
            let s = s.trim();
            s.strip_prefix("0x").map_or_else(|| s.parse().ok(), |h| i64::from_str_radix(h, 16).ok())
        }
        Value::Object(o) => o.get("#text").and_then(int),
        _ => None,
    }
}

/// The named data of a record: `EventData` (or `UserData`'s first child) as a map.
fn data(event: &Value) -> serde_json::Map<String, Value> {
    let from = |v: &Value| -> Option<serde_json::Map<String, Value>> {
        let o = v.as_object()?;
        Some(o.iter().filter(|(k, _)| !k.starts_with('#')).map(|(k, v)| (k.clone(), v.clone())).collect())
    };
    if let Some(m) = event.get("EventData").and_then(from) {
        return m;
    }
    event.get("UserData").and_then(Value::as_object).and_then(|o| o.values().next()).and_then(from).unwrap_or_default()
}

impl Source for WindowsEvtx {
    fn id(&self) -> &'static str {
        "windows.evtx"
    }

    fn description(&self) -> &'static str {
        "Windows event logs (.evtx): logon/logoff, lock/unlock, screensaver, sleep/wake"
    }

    fn version(&self) -> u32 {
        1
    }

    fn input_kind(&self) -> InputKind {
        InputKind::Text
    }

    fn clock(&self) -> ClockHint {
        ClockHint::Device
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        if probe.head.starts_with(MAGIC) { Sniff::Yes } else { Sniff::No }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let io = |source| SourceError::Io { offset: 0, source };
        let file = crate::input::open_evidence(input.path()).map_err(io)?;
        let settings = ParserSettings::default().num_threads(1).validate_checksums(true);
        let mut parser = EvtxParser::from_read_seek(file)
            .map_err(|e| SourceError::NotThisFormat { format: self.id(), reason: e.to_string() })?
            .with_configuration(settings);
        let mut errors = 0u64;
        for r in parser.records_json_value() {
            let rec = match r {
                Ok(r) => r,
                Err(e) => {
                    // A record that does not decode is named by its id when
                    // the crate knows it, else by its rank among such errors;
                    // the reason carries the crate's whole error chain.
                    let record = match &e {
                        evtx::err::EvtxError::FailedToParseRecord { record_id, .. } => {
                            RecordRef::EventRecord { id: *record_id }
                        }
                        _ => RecordRef::Item { list: "undecodable", index: errors },
                    };
                    errors += 1;
                    let mut why = e.to_string();
                    let mut cause = std::error::Error::source(&e);
                    while let Some(c) = cause {
                        why.push_str(": ");
                        why.push_str(&c.to_string());
                        cause = c.source();
                    }
                    out.reject(Reject { record, reason: RejectReason::Malformed(why), raw: b"" });
                    continue;
                }
            };
            let record = RecordRef::EventRecord { id: rec.event_record_id };
            match map(&rec.data, rec.event_record_id, rec.timestamp.as_nanosecond(), record) {
                Ok(Some(e)) => {
                    out.event(e);
                    out.accepted();
                }
                Ok(None) => out.accepted(),
                Err(reason) => {
                    let raw = rec.data.to_string();
                    out.reject(Reject { record, reason, raw: raw.as_bytes() });
                }
            }
        }
        Ok(())
    }
}

/// One record → at most one event.
fn map(
    data_json: &Value,
    record_id: u64,
    nanos: i128,
    record: RecordRef,
) -> Result<Option<Event<'static>>, RejectReason> {
    let event = data_json.get("Event").unwrap_or(data_json);
    let system = event.get("System").ok_or_else(|| RejectReason::Malformed("no System element".into()))?;
    let id = system.get("EventID").and_then(int).ok_or_else(|| RejectReason::Malformed("no EventID".into()))?;
    let provider = system
        .get("Provider")
        .and_then(|p| p.get("#attributes"))
        .and_then(|a| a.get("Name"))
        .and_then(text)
        .unwrap_or_default();
    let channel = system.get("Channel").and_then(text).unwrap_or_default();
    let security = provider == "Microsoft-Windows-Security-Auditing";
    let (kind, extra): (EventKind, &str) = match (security, provider.as_str(), id) {
        (true, _, 4624) => (EventKind::SessionLogon, ""),
        (true, _, 4634 | 4647) => (EventKind::SessionLogoff, ""),
        (true, _, 4800) => (EventKind::SessionLock, ""),
        (true, _, 4801) => (EventKind::SessionUnlock, ""),
        (true, _, 4802) => (EventKind::SessionLock, "screensaver"),
        (true, _, 4803) => (EventKind::SessionUnlock, "screensaver"),
        (_, "Microsoft-Windows-Kernel-Power", 42) => (EventKind::PowerSleep, ""),
        (_, "Microsoft-Windows-Kernel-Power", 107) => (EventKind::PowerWake, ""),
        (_, "Microsoft-Windows-Kernel-Power", 506) => (EventKind::PowerSleep, "modern_standby"),
        (_, "Microsoft-Windows-Kernel-Power", 507) => (EventKind::PowerWake, "modern_standby"),
        (_, "Microsoft-Windows-Power-Troubleshooter", 1) => (EventKind::PowerWake, ""),
        (_, "Microsoft-Windows-Kernel-General", 12) => (EventKind::PowerWake, "boot"),
        (_, "Microsoft-Windows-Kernel-General", 13) => (EventKind::PowerSleep, "shutdown"),
        _ => return Ok(None),
    };
    let ts = Timestamp::from_unix_nanos(nanos)?;
    let mut e = Event::new(kind, ts, Precision::HundredNanos, record);
    e.device = system.get("Computer").and_then(text).map(Cow::Owned);
    let d = data(event);
    let get = |k: &str| d.get(k).and_then(text);
    match id {
        4624 | 4634 | 4647 | 4800..=4803 if security => {
            let user = get("TargetUserName");
            let domain = get("TargetDomainName");
            e.actor = match (domain, user) {
                (Some(d), Some(u)) => Some(Cow::Owned(format!("{d}\\{u}"))),
                (None, Some(u)) => Some(Cow::Owned(u)),
                _ => None,
            };
            if let Some(ip) = get("IpAddress").filter(|ip| ip.parse::<std::net::IpAddr>().is_ok()) {
                e.client_ip = Some(Cow::Owned(ip));
            }
            if let Some(t) = d.get("LogonType").and_then(int) {
                e.attrs.push("logon_type", t);
                e.attrs.push_opt("logon_type_name", logon_type_name(t));
                if id == 4624 {
                    e.auto = match t {
                        0 | 4 | 5 => Some(true),
                        2 | 7 | 10 | 11 | 12 | 13 => Some(false),
                        _ => None,
                    };
                }
            }
            e.attrs.push_opt("logon_id", get("TargetLogonId"));
            e.attrs.push_opt("workstation", get("WorkstationName"));
            e.attrs.push_opt("logon_process", get("LogonProcessName").map(|s| s.trim().to_owned()));
            e.attrs.push_opt("auth_package", get("AuthenticationPackageName"));
            e.attrs.push_opt("session_id", get("SessionId"));
            if let Some(el) = get("ElevatedToken") {
                e.attrs.push("elevated", el.contains("1842"));
            }
            if id == 4647 {
                e.attrs.push("user_initiated", true);
            }
        }
        _ => {
            e.attrs.push_opt("target_state", get("TargetState"));
            e.attrs.push_opt("reason", get("Reason"));
            e.attrs.push_opt("sleep_time", get("SleepTime"));
            e.attrs.push_opt("wake_time", get("WakeTime"));
            e.attrs.push_opt("wake_source", get("WakeSourceText").or_else(|| get("WakeSourceType")));
        }
    }
    if !extra.is_empty() {
        e.attrs.push(extra, true);
    }
    e.attrs.push("event_id", id);
    e.attrs.push("provider", provider);
    e.attrs.push_opt("channel", (!channel.is_empty()).then_some(channel));
    e.attrs.push("record_id", i64::try_from(record_id).unwrap_or(i64::MAX));
    Ok(Some(e))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// An event as the `evtx` crate renders it, from the Windows event schema
    /// (System + EventData); the lock/unlock events have no public sample.
    fn event(provider: &str, id: Value, channel: &str, data: Value) -> Value {
        json!({"Event": {
            "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
            "System": {
                "Provider": {"#attributes": {"Name": provider, "Guid": "{54849625-5478-4994-A5BA-3E3B0328C30D}"}},
                "EventID": id,
                "TimeCreated": {"#attributes": {"SystemTime": "2026-01-03T02:14:07.1234567Z"}},
                "EventRecordID": 7,
                "Channel": channel,
                "Computer": "WS-EXAMPLE-01.example.test"
            },
            "EventData": data
        }})
    }

    const SECURITY: &str = "Microsoft-Windows-Security-Auditing";
    // 2026-01-03T02:14:07.1234567Z
    const NANOS: i128 = 1_767_406_447_123_456_700;

    fn attrs(e: &Event<'_>) -> String {
        let mut s = String::new();
        e.attrs.write_json(&mut s);
        s
    }

    fn run(v: &Value) -> Option<Event<'static>> {
        map(v, 7, NANOS, RecordRef::EventRecord { id: 7 }).expect("mapped")
    }

    #[test]
    fn lock_unlock_and_screensaver() {
        let data = json!({"TargetUserSid": "S-1-5-21-1-2-3-1001", "TargetUserName": "alice",
                          "TargetDomainName": "EXAMPLE", "TargetLogonId": "0x3e7a1", "SessionId": 1});
        for (id, kind, screensaver) in [
            (4800, EventKind::SessionLock, false),
            (4801, EventKind::SessionUnlock, false),
            (4802, EventKind::SessionLock, true),
            (4803, EventKind::SessionUnlock, true),
        ] {
            let e = run(&event(SECURITY, json!(id), "Security", data.clone())).expect("an event");
            assert_eq!(e.kind, kind, "{id}");
            assert_eq!(e.ts.to_string(), "2026-01-03T02:14:07.123456Z");
            assert_eq!(e.precision, Precision::HundredNanos);
            assert_eq!(e.actor.as_deref(), Some("EXAMPLE\\alice"));
            assert_eq!(e.device.as_deref(), Some("WS-EXAMPLE-01.example.test"));
            let attrs = attrs(&e);
            assert_eq!(attrs.contains("\"screensaver\":true"), screensaver, "{attrs}");
            assert!(attrs.contains(&format!("\"event_id\":{id}")), "{attrs}");
            assert!(attrs.contains("\"logon_id\":\"0x3e7a1\""), "{attrs}");
        }
    }

    #[test]
    fn logon_types_say_who_logged_on() {
        for (t, auto, name) in [(2, Some(false), "interactive"), (5, Some(true), "service"), (3, None, "network")] {
            let data = json!({"TargetUserName": "alice", "TargetDomainName": "EXAMPLE", "LogonType": t,
                              "IpAddress": "203.0.113.7", "WorkstationName": "WS-EXAMPLE-01"});
            let e = run(&event(SECURITY, json!(4624), "Security", data)).expect("an event");
            assert_eq!(e.kind, EventKind::SessionLogon);
            assert_eq!(e.auto, auto, "type {t}");
            assert_eq!(e.client_ip.as_deref(), Some("203.0.113.7"));
            assert!(attrs(&e).contains(&format!("\"logon_type_name\":\"{name}\"")));
        }
        // A logon with "-" as address has none.
        let data = json!({"TargetUserName": "alice", "LogonType": 2, "IpAddress": "-"});
        assert_eq!(run(&event(SECURITY, json!(4624), "Security", data)).expect("event").client_ip, None);
    }

    #[test]
    fn sleep_and_wake_from_the_system_log() {
        let sleep = event(
            "Microsoft-Windows-Kernel-Power",
            json!({"#attributes": {"Qualifiers": ""}, "#text": 42}),
            "System",
            json!({"TargetState": 4, "EffectiveState": 5, "Reason": 7, "Flags": 0}),
        );
        let e = run(&sleep).expect("an event");
        assert_eq!(e.kind, EventKind::PowerSleep);
        assert!(attrs(&e).contains("\"target_state\":\"4\""), "{}", attrs(&e));
        let wake = event(
            "Microsoft-Windows-Power-Troubleshooter",
            json!(1),
            "System",
            json!({"SleepTime": "2026-01-03T01:00:00.0000000Z", "WakeTime": "2026-01-03T02:14:06.0000000Z",
                   "WakeSourceType": 5, "WakeSourceText": "Power Button"}),
        );
        let e = run(&wake).expect("an event");
        assert_eq!(e.kind, EventKind::PowerWake);
        assert!(attrs(&e).contains("\"wake_source\":\"Power Button\""), "{}", attrs(&e));
    }

    #[test]
    fn other_records_are_accepted_without_an_event() {
        assert!(run(&event(SECURITY, json!(4672), "Security", json!({}))).is_none());
        // Another provider's 4624 is not a logon.
        assert!(run(&event("Some-App", json!(4624), "Application", json!({}))).is_none());
        // A record without System is a reject.
        assert!(map(&json!({"Event": {}}), 1, NANOS, RecordRef::EventRecord { id: 1 }).is_err());
    }
}
