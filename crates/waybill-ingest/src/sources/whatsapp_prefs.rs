//! WhatsApp for Android shared preferences: the media auto-download settings.
//!
//! # What it reads
//! An Android `SharedPreferences` file of WhatsApp
//! (`/data/data/com.whatsapp/shared_prefs/com.whatsapp_preferences.xml` or
//! `com.whatsapp_preferences_light.xml`; the file that holds the keys varies by
//! version, so the name is recorded, not relied on): the text XML that Android's
//! `XmlUtils.writeMapXml` writes — a `<map>` of `<int name="…" value="…"/>`,
//! `<long>`, `<boolean>`, `<string name="…">…</string>`, `<set>`, … entries.
//! The three keys read are `autodownload_wifi_mask`,
//! `autodownload_cellular_mask` and `autodownload_roaming_mask`; every other key
//! is part of the same record and is ignored. The whole file is one record: a
//! file that is not well-formed XML (cut short while copying, edited) is one
//! reject. Android's binary XML (`ABX`) is not read.
//!
//! # Versions seen
//! Key names and defaults as WhatsApp builds 2.2x read them
//! (`getInt("autodownload_wifi_mask", 15)`, `…cellular_mask", 1)`,
//! `…roaming_mask", 0)` in decompiled code). A key missing from the file means
//! the app uses that default; the event says which values came from the file
//! (`*_mask_source` = `file`) and which are the default (`app_default`). A
//! file with none of the three keys (a phone that never changed the settings)
//! is not recognised by its content, but read with `--format whatsapp.prefs`
//! it gives the three defaults (parser version 2; version 1 rejected it).
//!
//! # Events emitted
//! One `app.setting` per file, at the file's modification time as the file
//! system holding the evidence copy reports it (the same `Input::modified` that
//! `windows.zone_identifier` uses), truncated to whole seconds, precision `s`:
//! the settings file's **last write**, which may have been caused by any other
//! key — it is not the time the masks were set. `attrs`: `app` = `whatsapp`,
//! `setting` = `media_autodownload`, `file_name`, `ts_from`, `entries` (keys in
//! the file), the raw masks `autodownload_wifi_mask`,
//! `autodownload_cellular_mask`, `autodownload_roaming_mask` with their
//! `*_mask_source`, and the decoded booleans `autodownload_<type>_<network>` for
//! type `image`, `audio`, `video`, `document` and network `wifi`, `cellular`,
//! `roaming` (12 keys), plus `unknown_mask_bits` when a mask has bits above 8.
//!
//! Bit assignment (`1` images, `2` audio, `4` video, `8` documents): read from
//! WhatsApp's own settings exporter in a decompiled 2.26 build, which turns each
//! mask into the `AutoDownloadSettings` protobuf with `(mask & 1)` →
//! `downloadImages`, `& 2` → `downloadAudio`, `& 4` → `downloadVideo`, `& 8` →
//! `downloadDocuments`; the settings dialog turns the same bits, lowest first,
//! into its four check boxes (their labels are stripped from the decompiled
//! resources). Not documented by WhatsApp; the unit test
//! `bit_assignment_is_the_decompiled_one` states the assumption.
//!
//! # What it cannot tell us
//! Earlier values: the file holds only the settings as last saved, so a mask
//! read today may differ from the one in force when a file arrived. Which
//! network the phone was on at that moment. Voice messages: WhatsApp downloads
//! them automatically regardless of the audio bit (Meta's business-platform
//! documentation says voice messages download automatically up to 512 KB).
//! Per-chat overrides (media visibility) and stickers/GIFs are not governed by
//! these masks as far as known.
//!
//! # References
//! Decompiled WhatsApp (code search): `SettingsDataUsageActivity` (keys, dialog
//! bits), the defaults class (`network_type` 1/2/3 → wifi 15 / cellular 1 /
//! roaming 0), the settings exporter (`downloadImages` … `downloadDocuments`);
//! `Meghdut-Mandal/com.whatsapp_2.24.6.77`
//! `sources/com/whatsapp/settings/SettingsDataUsageActivity.java`; protobuf
//! `AutoDownloadSettings` (`downloadImages` 1, `downloadAudio` 2,
//! `downloadVideo` 3, `downloadDocuments` 4) as mirrored by open-source WhatsApp
//! Web clients (`Fokusdotid/bail`
//! `api/namespaces/proto/classes/AutoDownloadSettings.md`);
//! `MobitrixTechnology/MobitrixWATransfer` `MobitrixWATransfer/waios2android.cpp`
//! (the `…_preferences_light.xml` name); Meta, WhatsApp Business Platform,
//! "Audio messages" (developers.facebook.com/documentation/business-messaging/whatsapp/messages/audio-messages);
//! shared/knowledge/artifacts.md §7.1.

use waybill_model::{EventSink, RejectReason};

use crate::input::Input;
use crate::source::{Probe, Sniff, Source, SourceError};

/// WhatsApp shared preferences (auto-download masks).
pub struct WhatsappPrefs;

/// The networks, their mask keys and the source keys.
static NETWORKS: [(&str, &str, &str); 3] = [
    ("wifi", "autodownload_wifi_mask", "autodownload_wifi_mask_source"),
    ("cellular", "autodownload_cellular_mask", "autodownload_cellular_mask_source"),
    ("roaming", "autodownload_roaming_mask", "autodownload_roaming_mask_source"),
];

/// The mask WhatsApp uses for `network` when the file holds none: its
/// documented default ([`waybill_model::app_defaults`]).
pub fn default_mask(network: &str) -> i64 {
    let classes = waybill_model::app_defaults::of("whatsapp").map_or(&[][..], |d| d.classes(network));
    DECODED
        .iter()
        .filter(|(_, keys)| classes.iter().any(|c| keys[0].starts_with(&format!("autodownload_{c}_"))))
        .map(|(bit, _)| bit)
        .sum()
}

/// Mask bits (assumed from decompiled code; see the module docs).
pub const BIT_IMAGE: i64 = 1;
/// Audio bit.
pub const BIT_AUDIO: i64 = 2;
/// Video bit.
pub const BIT_VIDEO: i64 = 4;
/// Document bit.
pub const BIT_DOCUMENT: i64 = 8;

/// The decoded booleans: (media type bit, [key for wifi, cellular, roaming]).
static DECODED: [(i64, [&str; 3]); 4] = [
    (BIT_IMAGE, ["autodownload_image_wifi", "autodownload_image_cellular", "autodownload_image_roaming"]),
    (BIT_AUDIO, ["autodownload_audio_wifi", "autodownload_audio_cellular", "autodownload_audio_roaming"]),
    (BIT_VIDEO, ["autodownload_video_wifi", "autodownload_video_cellular", "autodownload_video_roaming"]),
    (BIT_DOCUMENT, ["autodownload_document_wifi", "autodownload_document_cellular", "autodownload_document_roaming"]),
];

/// Is auto-download on for the media type `bit` under `mask`?
pub fn mask_allows(mask: i64, bit: i64) -> bool {
    mask & bit != 0
}

impl Source for WhatsappPrefs {
    fn id(&self) -> &'static str {
        "whatsapp.prefs"
    }

    fn description(&self) -> &'static str {
        "WhatsApp Android shared preferences XML: media auto-download masks per network"
    }

    fn version(&self) -> u32 {
        2
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        let head = probe.head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(probe.head);
        let start = head.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(head.len());
        let rest = head.get(start..).unwrap_or_default();
        if !(rest.starts_with(b"<?xml") || rest.starts_with(b"<map")) {
            return Sniff::No;
        }
        let find = |needle: &[u8]| memchr::memmem::find(rest, needle).is_some();
        if !find(b"<map") {
            return Sniff::No;
        }
        let key = NETWORKS
            .iter()
            .any(|(_, k, _)| find(format!("name=\"{k}\"").as_bytes()) || find(format!("name='{k}'").as_bytes()));
        if key { Sniff::Yes } else { Sniff::No }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        crate::prefs_xml::read_setting(input, out, "whatsapp", read_masks, |entries, masks, a| {
            a.push("entries", i64::try_from(entries.len()).unwrap_or(i64::MAX));
            let mut unknown = false;
            for ((_, key, source_key), (value, from_file)) in NETWORKS.iter().zip(masks) {
                a.push(key, value);
                a.push(source_key, if from_file { "file" } else { "app_default" });
                unknown |= value & !(BIT_IMAGE | BIT_AUDIO | BIT_VIDEO | BIT_DOCUMENT) != 0;
            }
            for (bit, keys) in DECODED {
                for (key, (value, _)) in keys.iter().zip(masks) {
                    a.push(key, mask_allows(value, bit));
                }
            }
            if unknown {
                a.push("unknown_mask_bits", true);
            }
        })
    }
}

/// The three masks, in `NETWORKS` order: (value, read from the file?). A mask
/// stored with a type other than `int`/`long`, or not a number, is a reject.
/// A missing key means the app's default (a phone that never changed the
/// settings holds none of them); such a file is read only when named with
/// `--format whatsapp.prefs`, since nothing in it says it is WhatsApp's.
fn read_masks(entries: &[crate::prefs_xml::Entry]) -> Result<[(i64, bool); 3], RejectReason> {
    let mut out = [(0, false); 3];
    for (slot, (net, key, _)) in out.iter_mut().zip(NETWORKS) {
        // Android keeps the last of duplicate keys.
        let Some(entry) = entries.iter().rev().find(|e| e.name.as_deref() == Some(key)) else {
            *slot = (default_mask(net), false);
            continue;
        };
        if entry.tag != "int" && entry.tag != "long" {
            return Err(RejectReason::Value {
                field: key.to_owned(),
                detail: format!("stored as <{}>, expected <int>", entry.tag),
            });
        }
        let raw = entry.value.as_deref().unwrap_or("");
        let v: i64 = raw
            .trim()
            .parse()
            .map_err(|_| RejectReason::Value { field: key.to_owned(), detail: format!("{raw:?} is not an integer") })?;
        *slot = (v, true);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The assumption every decoded boolean rests on: WhatsApp's settings
    /// exporter (decompiled 2.26) maps mask bit 1 → downloadImages, 2 →
    /// downloadAudio, 4 → downloadVideo, 8 → downloadDocuments, and the app's
    /// defaults are Wi-Fi 15 (all), cellular 1 (images), roaming 0 (none).
    #[test]
    fn bit_assignment_is_the_decompiled_one() {
        assert_eq!((BIT_IMAGE, BIT_AUDIO, BIT_VIDEO, BIT_DOCUMENT), (1, 2, 4, 8));
        let defaults = ["wifi", "cellular", "roaming"].map(default_mask);
        assert_eq!(defaults, [15, 1, 0]);
        for (bit, keys) in DECODED {
            let t = match bit {
                1 => "image",
                2 => "audio",
                4 => "video",
                8 => "document",
                _ => unreachable!(),
            };
            assert!(keys.iter().all(|k| k.contains(t)));
        }
        assert!(mask_allows(15, BIT_DOCUMENT) && mask_allows(1, BIT_IMAGE) && !mask_allows(1, BIT_VIDEO));
        assert!(!mask_allows(0, BIT_IMAGE));
    }

    #[test]
    fn missing_keys_take_app_defaults_and_wrong_types_reject() {
        let e = crate::prefs_xml::parse_map("<map><int name=\"autodownload_cellular_mask\" value=\"0\" /></map>")
            .expect("xml");
        assert_eq!(read_masks(&e).expect("masks"), [(15, false), (0, true), (0, false)]);
        let e =
            crate::prefs_xml::parse_map("<map><string name=\"autodownload_wifi_mask\">15</string></map>").expect("xml");
        assert!(read_masks(&e).is_err());
        // No mask key at all: every mask is the app's default.
        let e = crate::prefs_xml::parse_map("<map><int name=\"other\" value=\"1\" /></map>").expect("xml");
        assert_eq!(read_masks(&e).expect("masks"), [(15, false), (1, false), (0, false)]);
    }
}
