//! Telegram for Android scenarios.
//!
//! - `telegram-tap`: a contact sends a document that the presets leave alone
//!   (documents off in the subject's custom presets, or larger than every
//!   network's document limit under the app's defaults); the subject opens
//!   the chat and taps it minutes to hours later. Telegram lists it in
//!   `downloading_documents` (unless the subject cleared the list since).
//! - `telegram-auto`: a group member posts a photo that the presets allow in
//!   groups on every network; Telegram fetches it within seconds. Whether
//!   `file_to_path.db` names the photo's message depends on how the download
//!   was started: a download queued by auto-download gets its metadata from a
//!   `sent_…` string whose pattern cannot match a group's negative dialog id
//!   (read from `FilePathDatabase`, not tested), one started as the chat is
//!   shown gets it from the message; without that row the file is tied to no
//!   message.

use crate::content;
use crate::scenario::{Builder, Present, Truth};
use crate::world::{Micros, TgMessage, TgPhone, TreeFile};

/// Where Telegram saves media, below the exported storage root.
const STORAGE: &str = "Android/data/org.telegram.messenger/files/Telegram";
/// The storage root as the phone names it.
const ROOT: &str = "/storage/emulated/0/";
/// A custom preset the subject chose: photos and videos, no documents.
const NO_DOCUMENTS: &str = "5_5_5_5_1048576_10485760_1048576_524288_1_1_1_0_100_1";
/// The largest document limit of the built-in presets (high, on Wi-Fi).
const LARGEST_DOCUMENT_LIMIT: usize = 3_145_728;
/// `FileLoader.MEDIA_DIR_DOCUMENT`.
const MEDIA_DIR_DOCUMENT: i64 = 3;

impl Builder {
    /// Runs a Telegram scenario; `false` when `scenario` is not one.
    pub(crate) fn telegram(&mut self, scenario: &'static str, t0: Micros, k: usize) -> bool {
        match scenario {
            "telegram-tap" => self.telegram_tap(t0, k),
            "telegram-auto" => self.telegram_auto(t0, k),
            _ => return false,
        }
        true
    }

    fn tg(&mut self) -> &mut TgPhone {
        let p = match self.w.tg.take() {
            Some(p) => p,
            None => {
                // The app's defaults for most phones; some subjects turn
                // documents off.
                let custom = self.rng.chance(0.4);
                TgPhone {
                    name: format!("PIXEL-{}", self.rng.range(100, 999)),
                    clock_offset: self.rng.range(-120_000_000, 120_000_000),
                    presets: if custom { [0; 3].map(|_| Some(NO_DOCUMENTS.to_owned())) } else { [None, None, None] },
                    prefs_in_bundle: self.rng.chance(0.85),
                    prefs_written: self.w.span.0 - self.rng.range(86_400_000_000, 60 * 86_400_000_000),
                    messages: Vec::new(),
                    tapped: Vec::new(),
                    paths: Vec::new(),
                    by_dialog: Vec::new(),
                    files: Vec::new(),
                }
            }
        };
        self.w.tg.insert(p)
    }

    fn on_tg(&mut self) {
        let name = self.w.tg.as_ref().map(|p| p.name.clone());
        if let (Some(f), Some(n)) = (self.files.last_mut(), name) {
            f.device = n;
        }
    }

    fn telegram_tap(&mut self, t0: Micros, k: usize) {
        let custom = self.tg().presets[0].is_some();
        let uid = 5_000_000_000 + self.rng.below(900_000_000) as i64;
        let mid = 1_000 + self.rng.below(50_000) as i64;
        let received = t0 + self.rng.range(10_000_000, 300_000_000);
        let tapped = received + self.rng.range(60_000_000, 3 * 3_600_000_000);
        let done = tapped + self.rng.range(1_000_000, 20_000_000);
        // Under the defaults only a document over every limit waits for a tap.
        let mut body = (*self.body(false)).clone();
        if !custom {
            let target = LARGEST_DOCUMENT_LIMIT + self.rng.range(100_000, 1_500_000) as usize;
            let seed = body.clone();
            while body.len() < target {
                body.extend_from_slice(&seed);
            }
        }
        let body = std::sync::Arc::new(body);
        let name = format!("{}-{}-{k}.txt", content::word(&mut self.rng), self.rng.below(1000));
        let rel = format!("{STORAGE}/Telegram Documents/{name}");
        let device_path = format!("{ROOT}{rel}");
        let doc = 5_300_000_000_000_000_000 + self.rng.below(1_000_000_000_000) as i64;
        let dc = self.rng.range(1, 6);
        let kept = self.rng.chance(0.85);
        let p = self.tg();
        p.messages.push(TgMessage { mid, uid, date: received, out: false, is_channel: 0, media: 1 });
        if kept {
            p.tapped.push((done, doc, dc));
        }
        p.paths.push((doc, dc, MEDIA_DIR_DOCUMENT, device_path.clone()));
        p.by_dialog.push((device_path, uid, mid, 9));
        p.files.push(TreeFile { path: rel.clone(), body: body.clone(), mtime: done });
        // The app's record of the tap or the presets that leave the document
        // alone are one group. The file written long after the message is not
        // a second: Telegram keeps only the message's own (server) time, and a
        // phone that was offline receives it, and auto-downloads, later. So no
        // second group decides it.
        self.record(
            "telegram-tap",
            Truth::UserInitiated,
            &body,
            (received, "messaging media fetched"),
            (
                rel,
                "a contact sent a document the presets leave alone; the subject opened the chat and tapped it".into(),
            ),
            (Present { tree: true, ..Present::default() }, Vec::new()),
        );
        self.on_tg();
        self.extend_span(done);
    }

    fn telegram_auto(&mut self, t0: Micros, k: usize) {
        let prefs = {
            let p = self.tg();
            p.prefs_in_bundle && p.prefs_written < t0
        };
        let supergroup = self.rng.chance(0.5);
        let (uid, is_channel) = if supergroup {
            let c = 1_100_000_000 + self.rng.below(900_000_000) as i64;
            (-(1_000_000_000_000 + c), c)
        } else {
            (-(100_000 + self.rng.below(900_000_000) as i64), 0)
        };
        let mut mid = 1_000 + self.rng.below(50_000) as i64;
        let mut t = t0;
        let mut messages = Vec::new();
        for _ in 0..self.rng.range(1, 5) {
            t += self.rng.range(20_000_000, 600_000_000);
            messages.push(TgMessage { mid, uid, date: t, out: false, is_channel, media: 0 });
            mid += 1;
        }
        let sent = t + self.rng.range(10_000_000, 300_000_000);
        // A phone without network (or in power saving) when the photo was
        // posted receives it, and fetches it by itself, when it is back.
        let offline = self.rng.chance(0.3);
        let received = if offline { sent + self.rng.range(900_000_000, 8 * 3_600_000_000) } else { sent };
        let fetched = received + self.rng.range(300_000, 5_000_000);
        let body = self.body(true);
        let name = format!("{}_{}_{k}.png", self.rng.below(1 << 40), self.rng.below(1000));
        let rel = format!("{STORAGE}/Telegram Images/{name}");
        let named = self.rng.chance(0.6);
        let p = self.tg();
        p.messages.extend(messages);
        p.messages.push(TgMessage { mid, uid, date: sent, out: false, is_channel, media: 1 });
        if named {
            p.by_dialog.push((format!("{ROOT}{rel}"), uid, mid, 1));
        }
        p.files.push(TreeFile { path: rel.clone(), body: body.clone(), mtime: fetched });
        let d = if named && prefs && !offline {
            vec![
                "the presets (mainconfig.xml, written before the message): photos on in groups on every network, within the size limit".to_owned(),
                "the media file written within seconds of the message".to_owned(),
            ]
        } else {
            Vec::new()
        };
        self.record(
            "telegram-auto",
            Truth::Automatic,
            &body,
            (received, "messaging media fetched"),
            (rel, "a group member posted a photo; Telegram fetched it by itself".into()),
            (Present { tree: true, ..Present::default() }, d),
        );
        self.on_tg();
        self.extend_span(fetched);
    }
}
