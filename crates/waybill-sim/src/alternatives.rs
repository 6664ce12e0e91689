//! Scenarios of the alternatives a single record cannot tell apart: how the
//! evidence of a person's act also arises without it, and the reverse.
//!
//! - `housemate-same-address`: the file reaches the laptop by itself (a
//!   shared folder syncing, or an image embedded in a page), and a housemate's
//!   phone behind the same address asks the web server for the very file.
//! - `synced-visit`: the laptop caches an image embedded in a page; the
//!   spouse typed the image's URL on her phone, and Chrome sync writes that
//!   visit into the laptop's history.
//! - `own-upload-sync`: the subject uploads a file from his phone into his own
//!   OneDrive; the laptop's sync client brings it down.
//! - `popunder-download`: a click on Play opens an ad tab that redirects to a
//!   file download (the click's activation carries over), or a page starts a
//!   download by script as it loads.
//! - `lightbox-click`: a gallery page loads thumbnails; the subject clicks one
//!   and the page's script loads the full image (an `<img>`, cache only).
//! - `pinned-folder-sync`: the subject pins a shared folder to sync and locks
//!   the screen while its files come down.
//! - `placeholder-opened`: a colleague adds a file to a shared library that
//!   syncs as an online-only placeholder (Files On-Demand); the subject opens
//!   it minutes later, which downloads it the same way a push would.
//! - `settings-after-fetch`: the auto-download settings were changed after a
//!   fetch, so the settings file shows values that were not in force.
//! - `whatsapp-default`: a group image under WhatsApp's default settings.
//! - `whatsapp-restore`: a group image the app fetched by itself, on a phone
//!   later restored from a cloud backup: the restore writes every media file
//!   again, days after its message, in one burst.

use crate::content;
use crate::scenario::{Builder, Init, Present, Truth};
use crate::world::{Browser, CloudOp, Download, Marker, Micros, Os, Shortcut, TreeFile, VisitHow};

/// A housemate's or a spouse's phone: its User-Agent and whether it sends
/// `Sec-Fetch-User` (Safari does not).
const PHONES: &[(&str, bool)] = &[
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        false,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36",
        true,
    ),
];

const SYNC_UA: &str = "Microsoft SkyDriveSync 25.001.0105.0002 ship; Windows NT 10.0 (19045)";

fn host_of(url: &str) -> &str {
    url.split("://").nth(1).and_then(|r| r.split(['/', '?', '#']).next()).unwrap_or("")
}

fn origin(url: &str) -> String {
    format!("https://{}/", host_of(url))
}

impl Builder {
    /// Runs one of this module's scenarios; `false` when `scenario` is not one.
    pub(crate) fn alternative(&mut self, scenario: &'static str, t0: Micros, k: usize) -> bool {
        match scenario {
            "housemate-same-address" => self.housemate(t0, k),
            "synced-visit" => self.synced_visit(t0, k),
            "own-upload-sync" => self.own_upload_sync(t0, k),
            "popunder-download" => self.popunder(t0, k),
            "lightbox-click" => self.lightbox(t0, k),
            "pinned-folder-sync" => self.pinned_folder(t0, k),
            "placeholder-opened" => self.placeholder_opened(t0, k),
            "settings-after-fetch" => self.settings_after_fetch(t0, k),
            "whatsapp-default" => self.whatsapp_default(t0, k),
            "whatsapp-restore" => self.whatsapp_restore(t0, k),
            _ => return false,
        }
        true
    }

    /// A phone's request (not the subject's device): the same Fetch Metadata
    /// a browser UI navigation sends, without `Sec-Fetch-User` on Safari.
    fn phone_request(&mut self, ts: Micros, url: &str, client: &str, (ua, sends_user): (&str, bool), bytes: u64) {
        let before = self.w.requests.len();
        self.request_from(ts, url, Init::Browser, bytes, client, ua);
        if let Some(r) = self.w.requests.get_mut(before)
            && !sends_user
        {
            r.fetch.user = None;
        }
    }

    /// The subject's visit of a page that embeds `url` (cached by the
    /// browser in the page's first burst); returns the cache write's time.
    fn embedded_visit(&mut self, t0: Micros, page: &str, url: &str, body: std::sync::Arc<Vec<u8>>) -> Micros {
        let w = content::word(&mut self.rng);
        let s = format!("https://search.example.com/search?q={w}");
        let sv = self.visit(t0, &s, VisitHow::Search, None);
        let t1 = t0 + self.rng.range(3_000_000, 20_000_000);
        self.visit(t1, page, VisitHow::Link, Some(sv));
        let t2 = t1 + self.rng.range(200_000, 1_500_000);
        self.cached(t2, page, url, Init::Sub(page, "image"), "image/png", body);
        self.noise_path(page);
        self.noise_path(url);
        self.w.cache.last().map_or(t2, |c| c.response_time)
    }

    /// The person opens the tree file `target` through the Windows shell at
    /// `opened`: Explorer writes its Recent Items shortcut (Windows laptops
    /// only; the last open of a name is the one kept).
    pub(crate) fn shell_open(
        &mut self,
        opened: Micros,
        target: &str,
        size: u64,
        (created, modified): (Micros, Micros),
    ) {
        if self.w.device.os != Os::Windows {
            return;
        }
        // The system volume's serial number, fixed per laptop.
        let serial =
            self.w.device.name.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
        self.w.shortcuts.push(Shortcut { opened, target: target.to_owned(), size, created, modified, serial });
    }

    fn tree_home(&self) -> String {
        match self.w.device.os {
            Os::Windows => format!("Users/{}", self.w.device.user),
            Os::Linux => format!("home/{}", self.w.device.user),
        }
    }

    fn housemate(&mut self, t0: Micros, k: usize) {
        let w = content::word(&mut self.rng);
        let host = format!("{w}{k}.example.net");
        self.add_host(&host, true);
        let name = format!("{}-{}.png", content::word(&mut self.rng), self.rng.below(100_000));
        let url = format!("https://{host}/photos/{name}");
        let body = self.body(true);
        let phone = *self.rng.pick(PHONES);
        let ip = self.w.subject_ip.clone();
        if self.rng.chance(0.6) {
            // A family folder the housemate shares syncs the photo to the
            // laptop (its sync log not obtained); the copy keeps the photo's
            // own modification time.
            let synced = t0 + self.rng.range(1_000_000, 600_000_000);
            let edited = synced - self.rng.range(3_600_000_000, 10 * 86_400_000_000);
            let path = format!("{}/Dropbox/Family photos/{name}", self.tree_home());
            self.w.files.push(TreeFile { path: path.clone(), body: body.clone(), mtime: edited });
            // The housemate's phone asks the web server for the same photo:
            // days later, or within minutes of the copy's time.
            let at = if self.rng.chance(0.5) {
                edited + self.rng.range(86_400_000_000, 20 * 86_400_000_000)
            } else {
                edited + self.rng.range(-180_000_000, 180_000_000)
            };
            self.phone_request(at, &url, &ip, phone, body.len() as u64);
            self.noise_path(&url);
            self.extend_span(synced.max(at));
            let p = Present { tree: true, ..Present::default() };
            self.record(
                "housemate-same-address",
                Truth::Automatic,
                &body,
                (synced, "sync client download"),
                (path, "a housemate's shared folder synced the photo to the laptop; the housemate's phone, behind the same address, requested the photo from the web server".into()),
                (p, Vec::new()),
            );
        } else {
            // The laptop caches the image embedded in a page the subject
            // visits; the housemate types the image's URL on a phone minutes
            // before or after.
            let page = format!("https://{host}/gallery/");
            let arrival = self.embedded_visit(t0, &page, &url, body.clone());
            let at = arrival + self.rng.range(-120_000_000, 120_000_000);
            self.phone_request(at, &url, &ip, phone, body.len() as u64);
            self.extend_span(arrival.max(at));
            let (p, _) = self.present(&url, false, false, self.w.history_in_bundle, true);
            let d = Self::decided_embedded(&p);
            self.record(
                "housemate-same-address",
                Truth::Automatic,
                &body,
                (arrival, "cache write"),
                (url, "embedded in a page the subject visited; a housemate's phone behind the same address requested the image itself minutes apart".into()),
                (p, d),
            );
        }
    }

    fn synced_visit(&mut self, t0: Micros, k: usize) {
        let w = content::word(&mut self.rng);
        let host = format!("{w}{k}.example.net");
        let in_bundle = self.rng.chance(0.85);
        self.add_host(&host, in_bundle);
        let page = format!("https://{host}/{}/", content::word(&mut self.rng));
        let name = format!("{}-{}.png", content::word(&mut self.rng), self.rng.below(100_000));
        let url = format!("https://{host}/img/{name}");
        let body = self.body(true);
        let arrival = self.embedded_visit(t0, &page, &url, body.clone());
        // The spouse types the image's URL on her phone (at home behind the
        // same address, or away on mobile data); Chrome sync writes her visit
        // into the laptop's history with her visit time.
        let at = arrival + self.rng.range(-1_800_000_000, 2 * 86_400_000_000);
        let phone = PHONES[1];
        let client = if self.rng.chance(0.7) {
            self.w.subject_ip.clone()
        } else {
            format!("198.51.100.{}", self.rng.range(2, 250))
        };
        self.phone_request(at, &url, &client, phone, body.len() as u64);
        if matches!(self.w.device.browser, Browser::Chrome(_)) {
            let v = self.visit(at, &url, VisitHow::Typed, None);
            // Its request came from the phone, not from this browser.
            let target = url.split(&host).nth(1).unwrap_or("/").to_owned();
            let ua = self.w.device.browser.user_agent(self.w.device.os);
            self.w.requests.retain(|r| !(r.target == target && r.user_agent == ua && r.fetch.dest == Some("document")));
            self.w.visits[v].synced = true;
        }
        self.extend_span(arrival.max(at));
        let (p, _) = self.present(&url, false, false, self.w.history_in_bundle, true);
        let d = Self::decided_embedded(&p);
        self.record(
            "synced-visit",
            Truth::Automatic,
            &body,
            (arrival, "cache write"),
            (url, "embedded in a page the subject visited; the spouse typed the image's URL on her phone and Chrome sync wrote that visit into the laptop's history".into()),
            (p, d),
        );
    }

    fn own_upload_sync(&mut self, t0: Micros, _k: usize) {
        let user = self.w.device.user.clone();
        let upn = format!("{user}@example.com");
        let name = format!("{}-{}.txt", content::word(&mut self.rng), self.rng.below(1000));
        let body = self.body(false);
        let site = format!("https://contoso-my.example.com/personal/{user}_example_com/");
        let folder = "Documents/Phone uploads".to_owned();
        let uploaded = t0 + self.rng.range(1_000_000, 600_000_000);
        let synced = uploaded + self.rng.range(10_000_000, 300_000_000);
        let phone_ip = format!("198.51.100.{}", self.rng.range(2, 250));
        let phone_ua = if self.rng.chance(0.5) {
            "OneDrive/24.3.1 (iPhone; iOS 17.4; Scale/3.00)".to_owned()
        } else {
            PHONES[0].0.to_owned()
        };
        let op = |ts, operation, ip: &str, ua: &str| CloudOp {
            ts,
            operation,
            user: upn.clone(),
            client_ip: ip.to_owned(),
            user_agent: ua.to_owned(),
            site: site.clone(),
            folder: folder.clone(),
            name: name.clone(),
            size: body.len() as u64,
        };
        let subject_ip = self.w.subject_ip.clone();
        self.w.cloud_ops.push(op(uploaded, "FileUploaded", &phone_ip, &phone_ua));
        self.w.cloud_ops.push(op(synced, "FileSyncDownloadedFull", &subject_ip, SYNC_UA));
        let edited = uploaded - self.rng.range(0, 60_000_000);
        let local = format!("{}/OneDrive - Contoso/Phone uploads/{name}", self.tree_home());
        self.w.files.push(TreeFile { path: local.clone(), body: body.clone(), mtime: edited });
        self.extend_span(synced + 1_000_000);
        self.record(
            "own-upload-sync",
            Truth::UserInitiated,
            &body,
            (synced, "sync client download"),
            (local, format!("the subject uploaded the file from his phone into his own OneDrive ({upn}); the laptop's sync client brought it down")),
            (Present { tree: true, ..Present::default() }, Vec::new()),
        );
    }

    fn popunder(&mut self, t0: Micros, k: usize) {
        let w = content::word(&mut self.rng);
        let stream = format!("https://watch{k}.example.com/{w}/");
        let file_host = format!("files{k}.example.net");
        let logged = self.rng.chance(0.85);
        self.add_host(&file_host, logged);
        let name = format!("{}-{}.txt", content::word(&mut self.rng), self.rng.below(1000));
        let url = format!("https://{file_host}/get/{name}");
        let body = self.body(false);
        let s = format!("https://search.example.com/search?q={w}+stream");
        let sv = self.visit(t0, &s, VisitHow::Search, None);
        let t1 = t0 + self.rng.range(3_000_000, 30_000_000);
        let pv = self.visit(t1, &stream, VisitHow::Link, Some(sv));
        let popunder = self.rng.chance(0.6);
        let (start, tab_url, referrer, chain, story) = if popunder {
            // A click on Play: the page opens an ad tab that redirects to a file.
            let click = t1 + self.rng.range(5_000_000, 60_000_000);
            let ad = format!("https://ads{k}.example.org/click?id={}", self.rng.below(1_000_000));
            let opened = click + self.rng.range(200_000, 800_000);
            let av = self.visit(opened, &ad, VisitHow::Link, None);
            self.w.visits[av].opener = Some(pv);
            let start = self.w.visits[av].ts + self.rng.range(300_000, 1_500_000);
            self.request(start, &url, Init::Carried(&ad), body.len() as u64);
            (
                start,
                ad.clone(),
                origin(&ad),
                vec![ad, url.clone()],
                "a click on Play opened an ad tab that redirected to a file download; nobody chose the file",
            )
        } else {
            // The page starts a download by script as it loads.
            let start = t1 + self.rng.range(500_000, 2_000_000);
            self.request(start, &url, Init::Scripted(&stream), body.len() as u64);
            (
                start,
                stream.clone(),
                origin(&stream),
                vec![url.clone()],
                "the page started a download by script as it loaded; nobody chose the file",
            )
        };
        let end = start + self.rng.range(200_000, 4_000_000);
        let d = &self.w.device;
        let target_path = d.download_path(&name);
        let tree_path = d.tree_path(&name);
        self.w.downloads.push(Download {
            start,
            end,
            chain,
            tab_url,
            referrer: referrer.clone(),
            target_path,
            body: body.clone(),
            hash_recorded: self.rng.chance(0.8),
            mime: "text/plain",
            opened: None,
            cleared: false,
        });
        self.w.files.push(TreeFile { path: tree_path.clone(), body: body.clone(), mtime: end });
        if self.w.device.os == Os::Windows {
            self.w.markers.push(Marker {
                file_name: tree_path.clone(),
                referrer: Some(referrer),
                host_url: url.clone(),
            });
        }
        self.noise_path(&url);
        self.extend_span(end + 1_000_000);
        let windows = self.w.device.os == Os::Windows;
        let (p, _) = self.present(&url, true, windows, self.w.history_in_bundle, false);
        self.record(
            "popunder-download",
            Truth::Automatic,
            &body,
            (end, "download complete"),
            (tree_path, story.into()),
            (p, Vec::new()),
        );
    }

    fn lightbox(&mut self, t0: Micros, k: usize) {
        let w = content::word(&mut self.rng);
        let host = format!("{w}{k}.example.net");
        let logged = self.rng.chance(0.85);
        self.add_host(&host, logged);
        let page = format!("https://{host}/gallery/{}/", content::word(&mut self.rng));
        let s = format!("https://search.example.com/search?q={w}+photos");
        let sv = self.visit(t0, &s, VisitHow::Search, None);
        let t1 = t0 + self.rng.range(3_000_000, 20_000_000);
        self.visit(t1, &page, VisitHow::Link, Some(sv));
        self.noise_path(&page);
        // The page's first burst: thumbnails, among them the file's own.
        let stem = format!("{}-{}", content::word(&mut self.rng), self.rng.below(100_000));
        let thumbs = self.rng.range(3, 7);
        let own = self.rng.below(thumbs as u64) as i64;
        for i in 0..thumbs {
            let t = t1 + self.rng.range(100_000, 2_000_000);
            let thumb_stem = if i == own { stem.clone() } else { format!("{}-{}", content::word(&mut self.rng), i) };
            let thumb = format!("https://{host}/thumbs/{thumb_stem}_thumb.png");
            let b = self.body(true);
            self.cached(t, &page, &thumb, Init::Sub(&page, "image"), "image/png", b);
        }
        // The subject clicks the thumbnail: the script loads the full image.
        let click = t1 + self.rng.range(5_000_000, 120_000_000);
        let url = format!("https://{host}/img/{stem}.png");
        let body = self.body(true);
        self.cached(click, &page, &url, Init::Sub(&page, "image"), "image/png", body.clone());
        let arrival = self.w.cache.last().map_or(click, |c| c.response_time);
        self.noise_path(&url);
        let (p, _) = self.present(&url, false, false, self.w.history_in_bundle, true);
        self.record(
            "lightbox-click",
            Truth::UserInitiated,
            &body,
            (arrival, "cache write"),
            (
                url,
                "a gallery page loaded thumbnails; the subject clicked one and the page's script loaded the full image"
                    .into(),
            ),
            (p, Vec::new()),
        );
    }

    fn pinned_folder(&mut self, t0: Micros, k: usize) {
        use crate::write::evtx::Presence;
        let team = content::word(&mut self.rng);
        let site = format!("https://contoso.example.com/sites/{team}{k}/");
        let folder = "Shared Documents/Archive".to_owned();
        let upn = format!("{}@example.com", self.w.device.user);
        let subject_ip = self.w.subject_ip.clone();
        let colleague = format!("{}@example.com", *self.rng.pick(&["dave", "frank", "grace", "heidi"]));
        let colleague_ip = format!("198.51.100.{}", self.rng.range(2, 250));
        // The subject unlocks the laptop, pins the folder to sync, and locks
        // the screen while its files come down.
        let pin = t0 + self.rng.range(1_000_000, 600_000_000);
        if self.w.device.os == Os::Windows {
            if self.w.presence.is_empty() {
                let logon = self.w.span.0 - self.rng.range(600_000_000, 3_600_000_000);
                self.w.presence.push((logon, Presence::Logon { logon_type: 2, logon_id: 0x3e7a1 }));
            }
            let unlock = pin - self.rng.range(60_000_000, 600_000_000);
            self.w.presence.push((unlock - self.rng.range(600_000_000, 1_800_000_000), Presence::Lock));
            self.w.presence.push((unlock, Presence::Unlock));
        }
        let n = self.rng.range(3, 9);
        let lock = pin + self.rng.range(20_000_000, 90_000_000);
        let mut t = pin + self.rng.range(2_000_000, 8_000_000);
        let mut files = Vec::new();
        for _ in 0..n {
            let name = format!("{}-{}.txt", content::word(&mut self.rng), self.rng.below(1000));
            let body = self.body(false);
            let uploaded = pin - self.rng.range(2 * 86_400_000_000, 60 * 86_400_000_000);
            let op = |ts, operation, user: &str, ip: &str, ua: &str| CloudOp {
                ts,
                operation,
                user: user.to_owned(),
                client_ip: ip.to_owned(),
                user_agent: ua.to_owned(),
                site: site.clone(),
                folder: folder.clone(),
                name: name.clone(),
                size: body.len() as u64,
            };
            let browser_ua = Browser::Chrome(131).user_agent(Os::Windows);
            self.w.cloud_ops.push(op(uploaded, "FileUploaded", &colleague, &colleague_ip, &browser_ua));
            self.w.cloud_ops.push(op(t, "FileSyncDownloadedFull", &upn, &subject_ip, SYNC_UA));
            let local = format!("{}/Contoso/{team}{k} - Archive/{name}", self.tree_home());
            let edited = uploaded - self.rng.range(60_000_000, 86_400_000_000);
            self.w.files.push(TreeFile { path: local.clone(), body: body.clone(), mtime: edited });
            files.push((t, local, body));
            t += self.rng.range(5_000_000, 40_000_000);
        }
        if self.w.device.os == Os::Windows {
            self.w.presence.push((lock, Presence::Lock));
            self.w.presence.push((t + self.rng.range(600_000_000, 3_600_000_000), Presence::Unlock));
        }
        // The file of interest: one that came down after the screen locked
        // when there is one.
        let pick = files.iter().position(|(t, _, _)| *t > lock).unwrap_or(files.len() - 1);
        let (synced, local, body) = files.swap_remove(pick);
        self.extend_span(t + 3_700_000_000);
        self.record(
            "pinned-folder-sync",
            Truth::UserInitiated,
            &body,
            (synced, "sync client download"),
            (local, format!("the subject pinned a shared folder to sync (files uploaded by {colleague} weeks before) and locked the screen while its files came down")),
            (Present { tree: true, ..Present::default() }, Vec::new()),
        );
    }

    fn placeholder_opened(&mut self, t0: Micros, k: usize) {
        use crate::write::evtx::Presence;
        let team = content::word(&mut self.rng);
        let site = format!("https://contoso.example.com/sites/{team}{k}/");
        let folder = "Shared Documents".to_owned();
        let upn = format!("{}@example.com", self.w.device.user);
        let colleague = format!("{}@example.com", *self.rng.pick(&["dave", "frank", "grace", "heidi"]));
        let colleague_ip = format!("198.51.100.{}", self.rng.range(2, 250));
        let name = format!("{}-{}.txt", content::word(&mut self.rng), self.rng.below(1000));
        let body = self.body(false);
        let uploaded = t0 + self.rng.range(1_000_000, 60_000_000);
        // The subject sees the notification and opens the placeholder.
        let opened = uploaded + self.rng.range(60_000_000, 1_800_000_000);
        let op = |ts, operation, user: &str, ip: &str, ua: &str| CloudOp {
            ts,
            operation,
            user: user.to_owned(),
            client_ip: ip.to_owned(),
            user_agent: ua.to_owned(),
            site: site.clone(),
            folder: folder.clone(),
            name: name.clone(),
            size: body.len() as u64,
        };
        let browser_ua = Browser::Chrome(131).user_agent(Os::Windows);
        let subject_ip = self.w.subject_ip.clone();
        self.w.cloud_ops.push(op(uploaded, "FileUploaded", &colleague, &colleague_ip, &browser_ua));
        self.w.cloud_ops.push(op(opened, "FileSyncDownloadedFull", &upn, &subject_ip, SYNC_UA));
        if self.w.device.os == Os::Windows {
            if self.w.presence.is_empty() {
                let logon = self.w.span.0 - self.rng.range(600_000_000, 3_600_000_000);
                self.w.presence.push((logon, Presence::Logon { logon_type: 2, logon_id: 0x3e7a1 }));
            }
            let unlock = opened - self.rng.range(60_000_000, 600_000_000);
            self.w.presence.push((unlock - self.rng.range(300_000_000, 1_800_000_000), Presence::Lock));
            self.w.presence.push((unlock, Presence::Unlock));
        }
        let local = format!("{}/Contoso/{team}{k} - Documents/{name}", self.tree_home());
        let edited = uploaded - self.rng.range(60_000_000, 5 * 86_400_000_000);
        self.w.files.push(TreeFile { path: local.clone(), body: body.clone(), mtime: edited });
        // The open goes through the shell (Explorer, the notification) most
        // of the time, which writes the Recent Items shortcut as it starts,
        // just before the download; from inside a program's own recent list
        // it writes none. A later open rewrites the shortcut.
        let placeholder = uploaded + self.rng.range(5_000_000, 120_000_000);
        if self.rng.chance(0.85) {
            let at = opened - self.rng.range(200_000, 1_500_000);
            self.shell_open(at, &local, body.len() as u64, (placeholder, edited));
        }
        if self.rng.chance(0.25) {
            let again = opened + self.rng.range(3_600_000_000, 3 * 86_400_000_000);
            self.shell_open(again, &local, body.len() as u64, (placeholder, edited));
        }
        self.extend_span(opened + 1_000_000);
        self.record(
            "placeholder-opened",
            Truth::UserInitiated,
            &body,
            (opened, "sync client download"),
            (local, format!("{colleague} added the file to a shared library; it synced as an online-only placeholder and the subject opened it, which downloaded it")),
            (Present { tree: true, ..Present::default() }, Vec::new()),
        );
    }

    fn settings_after_fetch(&mut self, t0: Micros, k: usize) {
        let change = t0 + 2 * 86_400_000_000 + self.rng.range(0, 86_400_000_000);
        let auto = self.rng.chance(0.5);
        {
            let p = self.phone();
            let before = p.masks_at(t0);
            p.prefs_in_bundle = true;
            if auto {
                // Images downloaded by themselves; later the subject turned
                // every auto-download off.
                p.earlier = Some(([before[0] | 1, before[1] | 1, before[2]], change));
                p.masks = [0, 0, 0];
            } else {
                // Documents were off everywhere and the subject tapped one;
                // later the subject turned every auto-download on.
                p.earlier = Some(([1, 1, 0], change));
                p.masks = [15, 15, 15];
            }
            p.keys_missing = false;
            p.prefs_written = change;
        }
        let before = self.files.len();
        if auto {
            self.messaging_group_auto_as("settings-after-fetch", t0, k);
        } else {
            self.messaging_tap(t0, k);
            for f in &mut self.files[before..] {
                f.scenario = "settings-after-fetch";
                // The settings file shows values not in force at the fetch:
                // only the log of the tap and the late write remain.
                f.discriminating.retain(|d| !d.contains("settings"));
                if f.discriminating.len() < 2 {
                    f.discriminating.clear();
                }
            }
        }
        for f in &mut self.files[before..] {
            f.story.push_str("; the auto-download settings were changed afterwards");
        }
    }

    fn whatsapp_default(&mut self, t0: Micros, k: usize) {
        if self.w.phone.is_none() {
            let mut p = self.new_phone();
            p.masks = [15, 1, 0];
            p.keys_missing = self.rng.chance(0.5);
            p.prefs_in_bundle = true;
            self.w.phone = Some(p);
        }
        self.messaging_group_auto_as("whatsapp-default", t0, k);
    }

    /// A group image fetched by the app; days later the subject restores the
    /// phone from its cloud backup. The messages keep their receipt times,
    /// the media files are written again in one burst (each download's
    /// completion), and the settings file and WhatsApp's log are the new
    /// install's, both begun after the message.
    fn whatsapp_restore(&mut self, t0: Micros, k: usize) {
        let restore = t0 + self.rng.range(2 * 86_400_000_000, 12 * 86_400_000_000);
        {
            let p = self.phone();
            p.log.in_bundle = false;
            p.prefs_written = p.prefs_written.max(restore + 60_000_000);
        }
        let before = self.files.len();
        self.messaging_group_auto_as("whatsapp-restore", t0, k);
        let n = self.rng.range(12, 60);
        let mut fillers = Vec::new();
        for i in 0..n {
            let body = self.body(true);
            let mtime = restore + self.rng.range(0, 240_000_000);
            fillers.push(TreeFile {
                path: format!("WhatsApp/Media/WhatsApp Images/IMG-RESTORED-{k}-{i:03}.jpg"),
                body,
                mtime,
            });
        }
        let written = restore + self.rng.range(0, 240_000_000);
        let p = self.phone();
        if let Some(f) = p.files.last_mut() {
            f.mtime = written;
        }
        p.files.extend(fillers);
        for f in &mut self.files[before..] {
            // The write is the restore's, the settings and log the new
            // install's: only the chat's read mark is left, one group.
            f.discriminating.clear();
            f.story.push_str("; days later the phone was restored from its cloud backup, which wrote the media again");
        }
        self.extend_span(restore + 300_000_000);
    }
}
