//! Signal for Android shared preferences: the media auto-download settings.
//!
//! # What it reads
//! The Android `SharedPreferences` file of Signal
//! (`/data/data/org.thoughtcrime.securesms/shared_prefs/org.thoughtcrime.securesms_preferences.xml`),
//! read with the same strict reader as `whatsapp.prefs`: the string sets
//! `pref_media_download_mobile`, `pref_media_download_wifi` and
//! `pref_media_download_roaming`, whose members are `image`, `audio`,
//! `video` and `documents` (`TextSecurePreferences`). The whole file is one
//! record.
//!
//! # Versions seen
//! Builds that keep these settings in shared preferences. Newer builds moved
//! them into the encrypted key-value database (`signal-key-value.db`, table
//! `key_value`, keys `settings.media.download.mobile|wifi|roaming`, a
//! `SignalStoreList` protobuf), migrating only values the person had chosen;
//! that database is not read. A key missing from the file is the app's
//! default ([`waybill_model::app_defaults`]: Wi-Fi everything, mobile data
//! images and audio, roaming nothing), and the event says so
//! (`autodownload_<net>_source` = `app_default`). A file with none of the keys
//! is not recognised by content; name it with `--format signal.prefs`.
//!
//! # Events emitted
//! One `app.setting` at the file's modification time (whole seconds; the last
//! write of any key), `attrs`: `app` = `signal`, `setting` =
//! `media_autodownload`, `file_name`, `ts_from`, `autodownload_<net>` (the
//! members, as a list), `autodownload_<net>_source`, and the decoded
//! `autodownload_<class>_<net>` for class `image`, `audio`, `video`,
//! `document` and network `wifi`, `cellular`, `roaming`.
//!
//! # What it cannot tell us
//! Earlier values; the network at a download; what Signal fetches whatever
//! the setting (voice notes, long texts and stickers always download, per
//! `AttachmentUtil.isAutoDownloadPermitted`; chats with people not yet
//! trusted never do). waybill reads no Signal message store (it is encrypted
//! with SQLCipher), so no finding rests on these settings yet: they are in
//! the timeline.
//!
//! # References
//! `signalapp/Signal-Android` `TextSecurePreferences.java` (keys),
//! `app/src/main/res/values/arrays.xml` (defaults), `AttachmentUtil` (policy);
//! shared/knowledge/artifacts.md §7.3, §7.9.

use std::borrow::Cow;

use waybill_model::{EventSink, RejectReason, Value};

use crate::input::Input;
use crate::prefs_xml::Entry;
use crate::source::{Probe, Sniff, Source, SourceError};

/// Signal shared preferences (auto-download sets).
pub struct SignalPrefs;

/// (network, key, list attribute, source attribute).
const NETWORKS: [(&str, &str, &str, &str); 3] = [
    ("wifi", "pref_media_download_wifi", "autodownload_wifi", "autodownload_wifi_source"),
    ("cellular", "pref_media_download_mobile", "autodownload_cellular", "autodownload_cellular_source"),
    ("roaming", "pref_media_download_roaming", "autodownload_roaming", "autodownload_roaming_source"),
];

/// (class, Signal's member name, a decoded key per network).
const CLASSES: [(&str, &str, [&str; 3]); 4] = [
    ("image", "image", ["autodownload_image_wifi", "autodownload_image_cellular", "autodownload_image_roaming"]),
    ("audio", "audio", ["autodownload_audio_wifi", "autodownload_audio_cellular", "autodownload_audio_roaming"]),
    ("video", "video", ["autodownload_video_wifi", "autodownload_video_cellular", "autodownload_video_roaming"]),
    (
        "document",
        "documents",
        ["autodownload_document_wifi", "autodownload_document_cellular", "autodownload_document_roaming"],
    ),
];

/// Each network's members (as Signal names them) and whether the file held them.
fn read_sets(entries: &[Entry]) -> Result<[(Vec<String>, bool); 3], RejectReason> {
    let mut out: [(Vec<String>, bool); 3] = Default::default();
    for (slot, (net, key, _, _)) in out.iter_mut().zip(NETWORKS) {
        match entries.iter().rev().find(|e| e.name.as_deref() == Some(key)) {
            Some(e) if e.tag == "set" => *slot = (e.items.clone(), true),
            Some(e) => {
                return Err(RejectReason::Value {
                    field: key.to_owned(),
                    detail: format!("stored as <{}>, expected <set>", e.tag),
                });
            }
            None => {
                let classes = waybill_model::app_defaults::of("signal").map_or(&[][..], |d| d.classes(net));
                let members = CLASSES
                    .iter()
                    .filter(|(c, _, _)| classes.iter().any(|x| x == c))
                    .map(|(_, m, _)| (*m).to_owned())
                    .collect();
                *slot = (members, false);
            }
        }
    }
    Ok(out)
}

impl Source for SignalPrefs {
    fn id(&self) -> &'static str {
        "signal.prefs"
    }

    fn description(&self) -> &'static str {
        "Signal Android shared preferences XML: media auto-download sets per network"
    }

    fn version(&self) -> u32 {
        1
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        let head = probe.head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(probe.head);
        let find = |needle: &[u8]| memchr::memmem::find(head, needle).is_some();
        if !find(b"<map") {
            return Sniff::No;
        }
        if NETWORKS.iter().any(|(_, k, _, _)| find(format!("name=\"{k}\"").as_bytes())) {
            Sniff::Yes
        } else {
            Sniff::No
        }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        crate::prefs_xml::read_setting(input, out, "signal", read_sets, |_, sets, a| {
            for (i, ((_, _, list, source), (members, from_file))) in NETWORKS.iter().zip(sets).enumerate() {
                for (_, member, keys) in CLASSES {
                    a.push(keys[i], members.iter().any(|m| m == member));
                }
                a.push(list, Value::List(members.into_iter().map(Cow::Owned).collect()));
                a.push(source, if from_file { "file" } else { "app_default" });
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prefs_xml::parse_map;

    #[test]
    fn sets_and_defaults() {
        let e = parse_map(
            "<map><set name=\"pref_media_download_mobile\"><string>image</string></set>\
             <set name=\"pref_media_download_roaming\" /></map>",
        )
        .expect("xml");
        let s = read_sets(&e).expect("sets");
        assert_eq!(s[0], (vec!["image".to_owned(), "audio".into(), "video".into(), "documents".into()], false));
        assert_eq!(s[1], (vec!["image".to_owned()], true));
        assert_eq!(s[2], (Vec::<String>::new(), true));
        let e = parse_map("<map><string name=\"pref_media_download_wifi\">image</string></map>").expect("xml");
        assert!(read_sets(&e).is_err());
    }
}
