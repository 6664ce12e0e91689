//! Telegram for Android `shared_prefs/mainconfig.xml`: the media auto-download
//! presets per network.
//!
//! # What it reads
//! The Android shared-preferences file of the first account
//! (`/data/data/org.telegram.messenger/shared_prefs/mainconfig.xml`), read with
//! the same strict reader as `whatsapp.prefs`. For each network (`wifi`,
//! `cellular`, `roaming`) the active preset is `current<Net>Preset`: 0 the
//! low preset (`preset0`), 1 medium (`preset1`), 2 high (`preset2`), anything
//! else (the default, 3) the custom `<net>Preset` string. A preset is
//! `m0_m1_m2_m3_photo_video_document_audio_preloadVideo_preloadMusic_enabled_…`:
//! four type masks for the chat classes contacts, private chats, groups and
//! channels (bits 1 photo, 2 audio, 4 video, 8 document), then the size
//! limits in bytes for photos, videos, documents and audio, and whether
//! auto-download is enabled on that network at all. The whole file is one
//! record.
//!
//! # Versions seen
//! Keys and built-in presets of `DownloadController.java` (`DrKLO/Telegram`):
//! low `1_1_1_1_1048576_512000_512000_524288_0_0_1_1_50_0`, medium
//! `13_13_13_13_1048576_10485760_1048576_524288_1_1_1_0_100_1`, high
//! `13_13_13_13_1048576_15728640_3145728_524288_1_1_1_0_100_1`; defaults
//! mobile = medium, Wi-Fi = high, roaming = low. A key missing from the file
//! is that default, and the event says so (`preset_<net>_source` =
//! `app_default`). The legacy masks (`mobileDataDownloadMask…`) of builds
//! before presets are not read.
//!
//! # Events emitted
//! One `app.setting` at the file's modification time (whole seconds; the last
//! write of any key, not the time the presets were chosen), `attrs`: `app` =
//! `telegram`, `setting` = `media_autodownload`, `file_name`, `ts_from`,
//! `preset_<net>` (`low`, `medium`, `high`, `custom`) and
//! `preset_<net>_source`, `preset_<net>_string`, `enabled_<net>`, and decoded
//! `autodownload_<class>_<net>_<chat>` (class `image`, `audio`, `video`,
//! `document`; chat `contacts`, `private`, `groups`, `channels`; false on a
//! network whose preset is disabled) with `autodownload_max_bytes_<class>_<net>`.
//!
//! # What it cannot tell us
//! Earlier values (the server refreshes the built-in presets daily and the
//! person may change them); which network the phone was on; other accounts'
//! files (`mainconfig1.xml` … are not recognised by content unless they hold
//! these keys — then they are read the same way, as the same app's settings).
//!
//! # References
//! `DrKLO/Telegram` `TMessagesProj/src/main/java/org/telegram/messenger/DownloadController.java`
//! (`Preset`, `getCurrentMobilePreset`, `canDownloadMedia`);
//! shared/knowledge/artifacts.md §7.2, §7.9.

use waybill_model::{EventSink, RejectReason};

use crate::input::Input;
use crate::prefs_xml::Entry;
use crate::source::{Probe, Sniff, Source, SourceError};

/// Telegram Android `mainconfig.xml` (auto-download presets).
pub struct TelegramMainconfig;

/// The built-in presets in `current…Preset` order: 0 low, 1 medium, 2 high.
pub const PRESET_NAMES: [&str; 3] = ["low", "medium", "high"];

/// A built-in preset's string ([`waybill_model::app_defaults`]).
pub fn built_in(name: &str) -> String {
    waybill_model::app_defaults::of("telegram").and_then(|d| d.presets.get(name)).cloned().unwrap_or_default()
}

/// The preset Telegram uses on `network` when the file holds none.
fn default_preset(network: &str) -> &'static str {
    let name = waybill_model::app_defaults::of("telegram").and_then(|d| d.preset(network)).map(|p| p.0);
    PRESET_NAMES.iter().copied().find(|n| Some(*n) == name).unwrap_or("low")
}

/// (network, `current…Preset` key, custom string key).
const NETWORKS: [(&str, &str, &str); 3] = [
    ("wifi", "currentWifiPreset", "wifiPreset"),
    ("cellular", "currentMobilePreset", "mobilePreset"),
    ("roaming", "currentRoamingPreset", "roamingPreset"),
];

/// Chat classes in mask order.
pub const CHATS: [&str; 4] = ["contacts", "private", "groups", "channels"];

/// (class, type bit, index of its size limit).
pub const CLASSES: [(&str, i64, usize); 4] = [("image", 1, 0), ("video", 4, 1), ("document", 8, 2), ("audio", 2, 3)];

/// A decoded preset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preset {
    /// Type masks per chat class.
    pub masks: [i64; 4],
    /// Size limits: photo, video, document, audio.
    pub sizes: [i64; 4],
    /// Auto-download on for the network.
    pub enabled: bool,
}

/// Parses a preset string.
pub fn parse_preset(s: &str) -> Result<Preset, String> {
    let parts: Vec<i64> = s
        .trim()
        .split('_')
        .map(|p| p.parse::<i64>().map_err(|_| format!("preset {s:?}: {p:?} is not a number")))
        .collect::<Result<_, _>>()?;
    if parts.len() < 11 {
        return Err(format!("preset {s:?} has {} fields, at least 11 expected", parts.len()));
    }
    let f = |i: usize| parts.get(i).copied().unwrap_or(0);
    Ok(Preset { masks: [f(0), f(1), f(2), f(3)], sizes: [f(4), f(5), f(6), f(7)], enabled: f(10) != 0 })
}

/// Every attribute name the event carries (attribute names are `'static`).
static NAMES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    let mut v = Vec::new();
    for (net, _, _) in NETWORKS {
        v.extend([
            format!("preset_{net}"),
            format!("preset_{net}_source"),
            format!("preset_{net}_string"),
            format!("enabled_{net}"),
        ]);
        for (class, _, _) in CLASSES {
            v.extend(CHATS.iter().map(|chat| format!("autodownload_{class}_{net}_{chat}")));
            v.push(format!("autodownload_max_bytes_{class}_{net}"));
        }
    }
    v
});

fn attr_name(key: String) -> &'static str {
    NAMES.iter().find(|n| **n == key).map_or("unknown_key", String::as_str)
}

fn find<'a>(entries: &'a [Entry], key: &str) -> Option<&'a Entry> {
    entries.iter().rev().find(|e| e.name.as_deref() == Some(key))
}

/// The active preset of each network: (name, from the file?, string, preset).
fn active(entries: &[Entry]) -> Result<Vec<(&'static str, bool, String, Preset)>, RejectReason> {
    let string = |key: &str| find(entries, key).filter(|e| e.tag == "string").and_then(|e| e.text.clone());
    let mut out = Vec::new();
    for (net, current, custom) in NETWORKS {
        let default = default_preset(net);
        let chosen = match find(entries, current) {
            Some(e) => {
                let raw = e.value.as_deref().unwrap_or("");
                Some(raw.trim().parse::<i64>().map_err(|_| RejectReason::Value {
                    field: current.to_owned(),
                    detail: format!("{raw:?} is not an integer"),
                })?)
            }
            None => None,
        };
        let (name, from_file, s) = match chosen {
            Some(i @ 0..=2) => {
                let idx = usize::try_from(i).unwrap_or(0);
                let key = format!("preset{idx}");
                let s = string(&key);
                let from = s.is_some();
                let name = PRESET_NAMES[idx.min(2)];
                (name, from, s.unwrap_or_else(|| built_in(name)))
            }
            Some(_) => match string(custom) {
                Some(s) => ("custom", true, s),
                None => (default, false, built_in(default)),
            },
            // No current key: the custom string when there is one (it starts
            // as a copy of the default preset), else the default.
            None => match string(custom) {
                Some(s) => ("custom", true, s),
                None => (default, false, built_in(default)),
            },
        };
        let preset = parse_preset(&s).map_err(|d| RejectReason::Value { field: custom.to_owned(), detail: d })?;
        out.push((name, from_file, s, preset));
    }
    Ok(out)
}

impl Source for TelegramMainconfig {
    fn id(&self) -> &'static str {
        "telegram.mainconfig"
    }

    fn description(&self) -> &'static str {
        "Telegram Android shared_prefs/mainconfig.xml: media auto-download presets per network and chat class"
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
        let keys = ["currentMobilePreset", "currentWifiPreset", "mobilePreset", "wifiPreset", "roamingPreset"];
        if keys.iter().any(|k| find(format!("name=\"{k}\"").as_bytes())) { Sniff::Yes } else { Sniff::No }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        crate::prefs_xml::read_setting(input, out, "telegram", active, |_, presets, a| {
            for ((net, _, _), (preset_name, from_file, s, p)) in NETWORKS.iter().zip(presets) {
                a.push(attr_name(format!("preset_{net}")), preset_name);
                a.push(attr_name(format!("preset_{net}_source")), if from_file { "file" } else { "app_default" });
                a.push(attr_name(format!("preset_{net}_string")), s);
                a.push(attr_name(format!("enabled_{net}")), p.enabled);
                for (class, bit, size_idx) in CLASSES {
                    for (chat, mask) in CHATS.iter().zip(p.masks) {
                        a.push(attr_name(format!("autodownload_{class}_{net}_{chat}")), p.enabled && mask & bit != 0);
                    }
                    a.push(attr_name(format!("autodownload_max_bytes_{class}_{net}")), p.sizes[size_idx]);
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prefs_xml::parse_map;

    #[test]
    fn presets_decode_and_defaults_apply() {
        let low = parse_preset(&built_in("low")).expect("low");
        assert_eq!(low, Preset { masks: [1; 4], sizes: [1_048_576, 512_000, 512_000, 524_288], enabled: true });
        assert!(parse_preset("1_2").is_err());
        assert!(parse_preset("a_1_1_1_1_1_1_1_1_1_1").is_err());
        // Nothing in the file: mobile medium, Wi-Fi high, roaming low.
        let e = parse_map("<map><int name=\"other\" value=\"1\" /></map>").expect("xml");
        let got: Vec<(&str, bool)> = active(&e).expect("presets").iter().map(|(n, f, _, _)| (*n, *f)).collect();
        assert_eq!(got, [("high", false), ("medium", false), ("low", false)]);
        // The custom mobile preset with documents off in groups, chosen by 3.
        let e = parse_map(
            "<map><int name=\"currentMobilePreset\" value=\"3\" />\
             <string name=\"mobilePreset\">13_13_5_13_1048576_10485760_1048576_524288_1_1_1_0_100_1</string>\
             <int name=\"currentRoamingPreset\" value=\"0\" /></map>",
        )
        .expect("xml");
        let p = active(&e).expect("presets");
        assert_eq!((p[1].0, p[1].1, p[1].3.masks[2]), ("custom", true, 5));
        assert_eq!((p[2].0, p[2].1), ("low", false));
        let e = parse_map("<map><int name=\"currentWifiPreset\" value=\"x\" /></map>").expect("xml");
        assert!(active(&e).is_err());
    }
}
