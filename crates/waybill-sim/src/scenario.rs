//! The scenarios: what the subject did (or did not do) and how each file of
//! interest reached the device, with every variant drawn from the seed.

use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::content;
use crate::rng::Rng;
use crate::world::{
    Browser, CacheEntry, CloudOp, Device, Download, Fetch, Host, LogStyle, Marker, Micros, Os, Phone, Request,
    TreeFile, Visit, VisitHow, WaMessage, World,
};
use crate::write::rfc3339;

/// The answer waybill should reach for a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Truth {
    /// The subject retrieved it.
    UserInitiated,
    /// It was delivered without the subject's act.
    Automatic,
}

impl Truth {
    /// The verdict name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserInitiated => "user_initiated",
            Self::Automatic => "automatic",
        }
    }
}

/// One scenario of the list.
#[derive(Debug, Clone, Copy)]
pub struct ScenarioInfo {
    /// Name for `--scenario`.
    pub name: &'static str,
    /// deliberate, automatic, mixed or ambiguous.
    pub group: &'static str,
    /// What happens.
    pub about: &'static str,
    /// Needs Chrome's simple cache (Chrome on Linux).
    needs_cache: bool,
}

/// Scenarios `mixed` leaves out: those that change the whole phone (a
/// restore rewrites its media, and its settings and log begin again), so the
/// other scenarios of a mixed bundle keep their evidence; and those of
/// Files On-Demand (placeholders, pinning), which exist on Windows and macOS
/// only, while a mixed bundle's laptop runs Linux (Chrome's simple cache).
pub const NOT_IN_MIXED: &[&str] = &["whatsapp-restore", "pinned-folder-sync", "placeholder-opened"];

/// Scenarios that need a Windows laptop: OneDrive's Files On-Demand
/// (online-only placeholders, "Always keep on this device") exists on
/// Windows and macOS, not in Linux sync clients.
pub const NEEDS_WINDOWS: &[&str] = &["pinned-folder-sync", "placeholder-opened"];

/// Every scenario, in `simulate --list` order. `mixed` draws from all others
/// but [`NOT_IN_MIXED`].
pub const SCENARIOS: &[ScenarioInfo] = &[
    ScenarioInfo {
        name: "search-download",
        group: "deliberate",
        about: "address-bar search, result click, download link click",
        needs_cache: false,
    },
    ScenarioInfo {
        name: "typed-download",
        group: "deliberate",
        about: "the file's URL typed into the address bar (no page, no referrer)",
        needs_cache: false,
    },
    ScenarioInfo {
        name: "repeated-download",
        group: "deliberate",
        about: "the same content downloaded twice, minutes to hours apart",
        needs_cache: false,
    },
    ScenarioInfo {
        name: "link-prefetch",
        group: "automatic",
        about: "a visited page prefetches the file (<link rel=prefetch>); it lands in the cache, never navigated",
        needs_cache: true,
    },
    ScenarioInfo {
        name: "embedded-image",
        group: "automatic",
        about: "an image embedded in a visited page, present only in the browser cache",
        needs_cache: true,
    },
    ScenarioInfo {
        name: "redirect-landing",
        group: "automatic",
        about: "a client and a server redirect land on a page that embeds the file",
        needs_cache: true,
    },
    ScenarioInfo {
        name: "messaging-group-auto",
        group: "automatic",
        about: "a member of a WhatsApp group posts an image; the app fetches it by itself (auto-download); the group opened later or not at all",
        needs_cache: false,
    },
    ScenarioInfo {
        name: "messaging-tap",
        group: "deliberate",
        about: "a WhatsApp document on a network whose auto-download leaves documents alone: the subject opens the chat and taps it",
        needs_cache: false,
    },
    ScenarioInfo {
        name: "shared-folder-sync",
        group: "automatic",
        about: "a colleague adds a file to a shared SharePoint library; the subject's OneDrive client syncs it down",
        needs_cache: false,
    },
    ScenarioInfo {
        name: "housemate-same-address",
        group: "automatic",
        about: "a housemate's shared folder syncs a photo to the laptop (sync log not obtained), or the laptop caches it from a page; a housemate's phone behind the same address requests the photo itself",
        needs_cache: true,
    },
    ScenarioInfo {
        name: "synced-visit",
        group: "automatic",
        about: "an image embedded in a page lands in the laptop's cache; the spouse typed its URL on her phone and Chrome sync writes that visit into the laptop's history",
        needs_cache: true,
    },
    ScenarioInfo {
        name: "own-upload-sync",
        group: "deliberate",
        about: "the subject uploads a file from his phone into his own OneDrive; the laptop's sync client brings it down",
        needs_cache: false,
    },
    ScenarioInfo {
        name: "popunder-download",
        group: "automatic",
        about: "a click on Play opens an ad tab that redirects to a file download (the click's activation carries over), or a page starts a download by script as it loads",
        needs_cache: false,
    },
    ScenarioInfo {
        name: "lightbox-click",
        group: "deliberate",
        about: "a gallery page loads thumbnails; the subject clicks one and the page's script loads the full image (cache only)",
        needs_cache: true,
    },
    ScenarioInfo {
        name: "pinned-folder-sync",
        group: "deliberate",
        about: "the subject pins a shared folder (files uploaded by colleagues weeks before) to sync and locks the screen while its files come down",
        needs_cache: false,
    },
    ScenarioInfo {
        name: "placeholder-opened",
        group: "deliberate",
        about: "a colleague adds a file to a shared library that syncs as an online-only placeholder; the subject opens it minutes later, which downloads it",
        needs_cache: false,
    },
    ScenarioInfo {
        name: "settings-after-fetch",
        group: "mixed",
        about: "a WhatsApp image auto-downloaded, or a document tapped, and the auto-download settings changed afterwards (the settings file shows values not in force at the fetch)",
        needs_cache: false,
    },
    ScenarioInfo {
        name: "whatsapp-default",
        group: "automatic",
        about: "a WhatsApp group image under the app's default settings (images on Wi-Fi and mobile data, off roaming), fetched by the app",
        needs_cache: false,
    },
    ScenarioInfo {
        name: "whatsapp-restore",
        group: "automatic",
        about: "a WhatsApp group image fetched by the app; days later the phone is restored from its cloud backup, which writes every media file again in one burst",
        needs_cache: false,
    },
    ScenarioInfo {
        name: "telegram-tap",
        group: "deliberate",
        about: "a Telegram contact sends a document the auto-download presets leave alone; the subject taps it minutes to hours later",
        needs_cache: false,
    },
    ScenarioInfo {
        name: "telegram-auto",
        group: "automatic",
        about: "a member of a Telegram group posts a photo the presets allow; the app fetches it within seconds of receiving it, which is hours after it was sent when the phone was offline",
        needs_cache: false,
    },
    ScenarioInfo {
        name: "auto-then-opened",
        group: "mixed",
        about: "an embedded image (automatic arrival) later opened in its own tab",
        needs_cache: true,
    },
    ScenarioInfo {
        name: "auto-then-downloaded",
        group: "mixed",
        about: "an embedded image cached automatically, later downloaded deliberately",
        needs_cache: true,
    },
    ScenarioInfo {
        name: "no-server-log",
        group: "ambiguous",
        about: "a deliberate download or an embedded image, with the server's log not obtained",
        needs_cache: false,
    },
    ScenarioInfo {
        name: "history-cleared",
        group: "ambiguous",
        about: "a deliberate download whose history and download rows were cleared",
        needs_cache: false,
    },
];

/// What evidence of a file the bundle holds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Present {
    /// The server log of the host that delivered the file.
    pub server_log: bool,
    /// That log records Fetch Metadata and the browser sent it.
    pub fetch_metadata: bool,
    /// Browser history covering the arrival.
    pub history: bool,
    /// Browser cache.
    pub cache: bool,
    /// A Zone.Identifier stream for the file.
    pub zone_identifier: bool,
    /// The file in the device's file tree.
    pub tree: bool,
}

/// The ground truth of one file of interest.
#[derive(Debug, Clone, Serialize)]
pub struct FileTruth {
    /// SHA-256 of the content.
    pub sha256: String,
    /// Scenario that produced it.
    pub scenario: &'static str,
    /// The true answer.
    pub truth: Truth,
    /// When this copy first reached the device (true UTC).
    pub arrival: String,
    /// How (download complete, cache write).
    pub arrival_kind: &'static str,
    /// The device that holds the copy (`--device`).
    pub device: String,
    /// `file` (a file of the device's tree) or `cache_entry` (a browser cache
    /// entry, located by its URL).
    pub copy: &'static str,
    /// Where it is: tree path or cache URL.
    pub location: String,
    /// What happened, in words.
    pub story: String,
    /// Evidence the bundle holds.
    pub present: Present,
    /// The discriminating evidence in the bundle (empty when none): the
    /// records that, by this scenario's truth, decide it — at least two
    /// independent facts, since no single source may decide (see
    /// `discriminating` in the README's simulator section). Empty when the
    /// scenario leaves no such evidence (a pinned folder, a lightbox click).
    pub discriminating: Vec<String>,
}

/// How the bundle's device is drawn.
#[derive(Debug, Clone, Copy)]
pub struct Constraints {
    /// The simple cache is needed (Chrome on Linux).
    pub cache: bool,
    /// A Windows laptop is needed ([`NEEDS_WINDOWS`]).
    pub windows: bool,
}

/// Draws the subject's device.
pub fn device(rng: &mut Rng, c: Constraints, epoch: Micros) -> Device {
    let user = *rng.pick(&["alice", "bob", "carol", "dana", "erin"]);
    // Drawn the same way whatever `windows` says, so that the other
    // scenarios' bundles do not change with it.
    let linux = c.cache || rng.chance(0.5);
    let os = if linux && !c.windows { Os::Linux } else { Os::Windows };
    let browser = if c.cache || rng.chance(0.7) {
        Browser::Chrome(rng.range(120, 131) as u32)
    } else if rng.chance(0.8) {
        Browser::Firefox(rng.range(115, 133) as u32)
    } else {
        Browser::Firefox(78)
    };
    let name = match os {
        Os::Windows => format!("LAPTOP-{}", rng.range(100, 999)),
        Os::Linux => format!("{user}-laptop"),
    };
    Device {
        name,
        os,
        user: user.to_owned(),
        browser,
        clock_offset: rng.range(-300_000_000, 300_000_000),
        drift_per_hour: rng.range(-2_000_000, 2_000_000),
        epoch,
    }
}

/// A host's log style.
fn style(rng: &mut Rng) -> LogStyle {
    match rng.below(10) {
        0..=4 => LogStyle::ApacheFetch,
        5..=6 => LogStyle::NginxFetch,
        _ => LogStyle::ApacheCombined,
    }
}

fn host_of(url: &str) -> &str {
    url.split("://").nth(1).and_then(|r| r.split(['/', '?', '#']).next()).unwrap_or("")
}

fn origin(url: &str) -> String {
    format!("https://{}", host_of(url))
}

/// The schemeful site (scheme + registrable domain; the example domains have two labels).
pub fn site(url: &str) -> String {
    let h = host_of(url);
    let labels: Vec<&str> = h.split('.').collect();
    let reg = if labels.len() > 2 { labels[labels.len() - 2..].join(".") } else { h.to_owned() };
    format!("https://{reg}")
}

fn target(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or("");
    rest.find('/').map_or_else(|| "/".to_owned(), |i| rest[i..].to_owned())
}

/// How a request was initiated (decides its Fetch Metadata and `Referer`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Init<'a> {
    /// Address bar, bookmark: `Sec-Fetch-Site: none`, user activation.
    Browser,
    /// A click on a link in `from`.
    Click(&'a str),
    /// A navigation by script or redirect from `from`, without user activation.
    Scripted(&'a str),
    /// A subresource of `from`.
    Sub(&'a str, &'static str),
    /// `<link rel=prefetch>` in `from`.
    Prefetch(&'a str),
    /// A person's click on an `<a download>` link in `from`: a navigation
    /// with destination `empty` and no `Sec-Fetch-User` (web-platform-tests
    /// `fetch/metadata/download.https.sub.html`).
    DownloadAttr(&'a str),
    /// A navigation by a page from `from` that carries the activation of a
    /// click on something else (a pop-under opened by a click on Play, then
    /// redirected): `Sec-Fetch-User: ?1`, cross-site.
    Carried(&'a str),
}

/// One bundle under construction.
pub struct Builder {
    /// The world.
    pub w: World,
    pub(crate) rng: Rng,
    pub(crate) files: Vec<FileTruth>,
    /// Benign content already used (never twice).
    bodies: u64,
    /// Whether the last download's request carried a user activation (not an
    /// `<a download>` link).
    pub(crate) last_download_activation: bool,
}

impl Builder {
    /// A builder for a device.
    pub fn new(rng: &mut Rng, device: Device, epoch: Micros) -> Self {
        let subject_ip = format!("203.0.113.{}", rng.range(10, 250));
        Self {
            w: World::new(subject_ip, device, epoch),
            rng: rng.fork(1),
            files: Vec::new(),
            bodies: 0,
            last_download_activation: true,
        }
    }

    /// The files of interest so far.
    pub fn truths(self) -> (World, Vec<FileTruth>) {
        (self.w, self.files)
    }

    pub(crate) fn add_host(&mut self, host: &str, in_bundle: bool) {
        let style = style(&mut self.rng);
        let clock_offset = self.rng.range(-900_000, 900_000);
        let tz_minutes = *self.rng.pick(&[0, 0, 60, -300, 330]);
        self.w.hosts.insert(
            host.to_owned(),
            Host { style, clock_offset, tz_minutes, in_bundle, noise_paths: vec!["/".to_owned()] },
        );
    }

    pub(crate) fn noise_path(&mut self, url: &str) {
        let t = target(url);
        if let Some(h) = self.w.hosts.get_mut(host_of(url))
            && !h.noise_paths.contains(&t)
        {
            h.noise_paths.push(t);
        }
    }

    fn fetch(&self, init: Init<'_>, url: &str) -> (Fetch, Option<String>) {
        let b = self.w.device.browser;
        let rel = |from: &str| {
            if origin(from) == origin(url) {
                "same-origin"
            } else if site(from) == site(url) {
                "same-site"
            } else {
                "cross-site"
            }
        };
        // strict-origin-when-cross-origin.
        let referrer =
            |from: &str| if origin(from) == origin(url) { from.to_owned() } else { format!("{}/", origin(from)) };
        let (mut f, r) = match init {
            Init::Browser => (
                Fetch {
                    site: Some("none"),
                    mode: Some("navigate"),
                    dest: Some("document"),
                    user: Some("?1"),
                    ..Fetch::default()
                },
                None,
            ),
            Init::Click(from) => (
                Fetch {
                    site: Some(rel(from)),
                    mode: Some("navigate"),
                    dest: Some("document"),
                    user: Some("?1"),
                    ..Fetch::default()
                },
                Some(referrer(from)),
            ),
            Init::Scripted(from) => (
                Fetch { site: Some(rel(from)), mode: Some("navigate"), dest: Some("document"), ..Fetch::default() },
                Some(referrer(from)),
            ),
            Init::DownloadAttr(from) => (
                Fetch { site: Some(rel(from)), mode: Some("navigate"), dest: Some("empty"), ..Fetch::default() },
                Some(referrer(from)),
            ),
            Init::Carried(from) => (
                Fetch {
                    site: Some(rel(from)),
                    mode: Some("navigate"),
                    dest: Some("document"),
                    user: Some("?1"),
                    ..Fetch::default()
                },
                Some(referrer(from)),
            ),
            Init::Sub(from, dest) => (
                Fetch { site: Some(rel(from)), mode: Some("no-cors"), dest: Some(dest), ..Fetch::default() },
                Some(referrer(from)),
            ),
            Init::Prefetch(from) => {
                let (h, v) = b.prefetch_header();
                let mut f =
                    Fetch { site: Some(rel(from)), mode: Some("no-cors"), dest: Some("empty"), ..Fetch::default() };
                if h == "x-moz" {
                    f.x_moz = Some(v);
                } else {
                    f.purpose = Some(v);
                }
                (f, Some(referrer(from)))
            }
        };
        if !b.sends_fetch_metadata() {
            let (purpose, x_moz) = (f.purpose, f.x_moz);
            f = Fetch { purpose, x_moz, ..Fetch::default() };
        }
        (f, r)
    }

    /// The subject's request, if the host is one whose log exists in the world.
    pub(crate) fn request(&mut self, ts: Micros, url: &str, init: Init<'_>, bytes: u64) {
        let ua = self.w.device.browser.user_agent(self.w.device.os);
        let ip = self.w.subject_ip.clone();
        self.request_from(ts, url, init, bytes, &ip, &ua);
    }

    /// A request by any client (another device behind the subject's address:
    /// its own address and User-Agent).
    pub(crate) fn request_from(&mut self, ts: Micros, url: &str, init: Init<'_>, bytes: u64, client: &str, ua: &str) {
        if !self.w.hosts.contains_key(host_of(url)) {
            return;
        }
        let (fetch, referrer) = self.fetch(init, url);
        let latency = self.rng.range(30_000, 250_000);
        self.w.requests.push(Request {
            ts: ts + latency,
            client: client.to_owned(),
            host: host_of(url).to_owned(),
            target: target(url),
            status: 200,
            bytes,
            referrer,
            user_agent: ua.to_owned(),
            fetch,
        });
        self.extend_span(ts + latency);
    }

    pub(crate) fn extend_span(&mut self, t: Micros) {
        self.w.span.0 = self.w.span.0.min(t);
        self.w.span.1 = self.w.span.1.max(t);
    }

    pub(crate) fn visit(&mut self, ts: Micros, url: &str, how: VisitHow, from: Option<usize>) -> usize {
        let from_url = from.map(|i| self.w.visits[i].url.clone());
        let init = match (how, from_url.as_deref()) {
            (VisitHow::Typed | VisitHow::Search | VisitHow::Bookmark, _) | (_, None) => Init::Browser,
            (VisitHow::Link, Some(f)) => Init::Click(f),
            (_, Some(f)) => Init::Scripted(f),
        };
        let bytes = self.rng.range(8_000, 120_000) as u64;
        self.request(ts, url, init, bytes);
        let search_term =
            (how == VisitHow::Search).then(|| url.split("q=").nth(1).map(|q| q.replace('+', " "))).flatten();
        let title = if how == VisitHow::Search {
            format!("{} - Example Search", search_term.clone().unwrap_or_default())
        } else {
            let t = target(url);
            let w = t.trim_matches('/').rsplit('/').next().unwrap_or("Home").to_owned();
            if w.is_empty() { "Home".to_owned() } else { w }
        };
        self.w.visits.push(Visit { search_term, ..Visit::local(ts, url, &title, how, from) });
        self.extend_span(ts);
        self.w.visits.len() - 1
    }

    pub(crate) fn cached(
        &mut self,
        ts: Micros,
        page: &str,
        url: &str,
        init: Init<'_>,
        mime: &'static str,
        body: Arc<Vec<u8>>,
    ) {
        self.request(ts, url, init, body.len() as u64);
        let response = ts + self.rng.range(40_000, 900_000);
        self.w.cache.push(CacheEntry {
            top_site: site(page),
            url: url.to_owned(),
            request_time: ts,
            response_time: response,
            mime,
            body,
        });
        self.extend_span(response);
    }

    /// A download by the person; returns the end time and the tree path.
    /// From a page, 30 % of links are `<a download>` (no user activation on
    /// the request); the rest plain links to the file.
    pub(crate) fn download(
        &mut self,
        ts: Micros,
        page: Option<&str>,
        url: &str,
        name: &str,
        body: Arc<Vec<u8>>,
    ) -> (Micros, String) {
        let attr = page.is_some() && self.rng.chance(0.3);
        let init = match page {
            Some(p) if attr => Init::DownloadAttr(p),
            Some(p) => Init::Click(p),
            None => Init::Browser,
        };
        self.last_download_activation = !attr;
        // File hosts often answer the link with a redirect to a CDN on another
        // site: the chain then crosses sites though the person chose the file.
        let cdn = (page.is_some() && self.rng.chance(0.25))
            .then(|| format!("https://dl{}.cdn.test/{}/{name}", self.rng.below(100), self.rng.below(1_000_000)));
        let logged = self.w.requests.len();
        self.request(ts, url, init, body.len() as u64);
        if cdn.is_some() {
            for r in &mut self.w.requests[logged..] {
                r.status = 302;
                r.bytes = 0;
            }
        }
        let final_url = cdn.clone().unwrap_or_else(|| url.to_owned());
        let mut chain = vec![url.to_owned()];
        chain.extend(cdn);
        let end = ts + self.rng.range(200_000, 4_000_000);
        let page_url = page.unwrap_or("").to_owned();
        let d = &self.w.device;
        let target_path = d.download_path(name);
        let tree_path = d.tree_path(name);
        let opened = self.rng.chance(0.4).then(|| end + self.rng.range(5_000_000, 600_000_000));
        let hash_recorded = self.rng.chance(0.8);
        self.w.downloads.push(Download {
            start: ts,
            end,
            chain,
            tab_url: page_url.clone(),
            referrer: page_url,
            target_path,
            body: body.clone(),
            hash_recorded,
            mime: if name.ends_with(".png") { "image/png" } else { "text/plain" },
            opened,
            cleared: false,
        });
        self.w.files.push(TreeFile { path: tree_path.clone(), body, mtime: end });
        if self.w.device.os == Os::Windows {
            self.w.markers.push(Marker {
                file_name: tree_path.clone(),
                referrer: page.map(str::to_owned),
                host_url: final_url,
            });
        }
        self.extend_span(end + 1_000_000);
        (end, tree_path)
    }

    pub(crate) fn body(&mut self, image: bool) -> Arc<Vec<u8>> {
        self.bodies += 1;
        let mut r = self.rng.fork(self.bodies);
        Arc::new(if image {
            let w = r.range(48, 160) as u32;
            let h = r.range(48, 120) as u32;
            content::png(&mut r, w, h)
        } else {
            let n = r.range(20, 200) as usize;
            content::text(&mut r, n)
        })
    }

    /// Background browsing of the subject before an episode: unrelated pages,
    /// their images (cached) and sometimes an unrelated download.
    pub fn background(&mut self, t0: Micros, n: usize) {
        let mut t = t0;
        for k in 0..n {
            t += self.rng.range(20_000_000, 240_000_000);
            let host = format!("{}{}.example.org", content::word(&mut self.rng), self.rng.below(50));
            let url = format!("https://{host}/{}/{}", content::word(&mut self.rng), self.rng.below(10_000));
            let how = if k % 3 == 0 { VisitHow::Typed } else { VisitHow::Link };
            let v = self.visit(t, &url, how, None);
            let _ = v;
            if matches!(self.w.device.browser, Browser::Chrome(_)) {
                let img = format!("https://{host}/img/{}.png", self.rng.below(100_000));
                let body = self.body(true);
                self.cached(t + 300_000, &url, &img, Init::Sub(&url, "image"), "image/png", body);
            }
            if self.rng.chance(0.08) {
                let body = self.body(false);
                let file = format!("https://{host}/files/notes-{}.txt", self.rng.below(1000));
                let name = format!("notes-{}.txt", self.rng.below(100_000));
                self.download(t + 5_000_000, Some(&url), &file, &name, body);
            }
        }
    }

    pub(crate) fn present(
        &self,
        file_url: &str,
        tree: bool,
        zone: bool,
        history: bool,
        cache: bool,
    ) -> (Present, Vec<String>) {
        let host = self.w.hosts.get(host_of(file_url));
        let server_log = host.is_some_and(|h| h.in_bundle);
        let fetch_metadata = server_log
            && host.is_some_and(|h| h.style.logs_fetch_metadata())
            && self.w.device.browser.sends_fetch_metadata();
        (Present { server_log, fetch_metadata, history, cache, zone_identifier: zone, tree }, Vec::new())
    }

    /// A deliberate download is decided by two independent facts: how its
    /// navigation started (the request with a user activation or from the
    /// browser's own UI, in a log with Fetch Metadata, attributable to the
    /// device because the download row pairs with it) and the browser's record
    /// of the download (its row).
    pub(crate) fn decided_download(p: &Present, activation: bool, row: bool) -> Vec<String> {
        let mut d = Vec::new();
        if p.fetch_metadata && activation && row {
            d.push(
                "the subject's navigation to the file with a user activation, in a server log with Fetch Metadata"
                    .into(),
            );
            d.push("the browser's download row, paired with that request".into());
        }
        d
    }

    /// An embedded (or prefetched) resource is decided by two independent
    /// facts: that a page loaded it (the request's destination or purpose in a
    /// log with Fetch Metadata, or the cache holding it with the history
    /// showing no visit) and that it came in the page's first burst (the
    /// request against the page's own in the server log, or the cache entry's
    /// request against the page's visit).
    pub(crate) fn decided_embedded(p: &Present) -> Vec<String> {
        let client = p.cache && p.history;
        let mut d = Vec::new();
        if client || (p.fetch_metadata && p.server_log) {
            d.push(
                if p.fetch_metadata {
                    "the request's Sec-Fetch-Dest or Sec-Purpose"
                } else {
                    "the cache entry with no visit in the history"
                }
                .into(),
            );
            d.push(
                if p.server_log {
                    "the request within the page's first burst in the server log"
                } else {
                    "the cache entry's request within seconds of the page's visit"
                }
                .into(),
            );
        }
        d
    }

    pub(crate) fn record(
        &mut self,
        scenario: &'static str,
        truth: Truth,
        body: &[u8],
        (arrival, kind): (Micros, &'static str),
        (location, story): (String, String),
        present: (Present, Vec<String>),
    ) {
        let copy = if location.starts_with("http") { "cache_entry" } else { "file" };
        self.files.push(FileTruth {
            sha256: hex(&Sha256::digest(body)),
            scenario,
            truth,
            arrival: rfc3339(arrival),
            arrival_kind: kind,
            device: self.w.device.name.clone(),
            copy,
            location,
            story,
            present: present.0,
            discriminating: present.1,
        });
    }

    /// Runs one episode of `scenario` starting at `t0` (true time); `k` makes its hosts unique.
    pub fn episode(&mut self, scenario: &'static str, t0: Micros, k: usize) {
        let cache = self.w.cache_in_bundle
            && matches!(self.w.device.browser, Browser::Chrome(_))
            && self.w.device.os == Os::Linux;
        if scenario == "no-server-log" {
            // A deliberate download or an embedded image, from a host whose log was not obtained.
            let inner = if cache && self.rng.chance(0.5) { "embedded-image" } else { "search-download" };
            let hosts: Vec<String> = self.w.hosts.keys().cloned().collect();
            let before = self.files.len();
            self.episode(inner, t0, k);
            for (name, h) in &mut self.w.hosts {
                if !hosts.contains(name) {
                    h.in_bundle = false;
                }
            }
            for f in &mut self.files[before..] {
                f.scenario = "no-server-log";
                f.present.server_log = false;
                f.present.fetch_metadata = false;
                f.discriminating =
                    if f.copy == "cache_entry" { Self::decided_embedded(&f.present) } else { Vec::new() };
            }
            return;
        }
        if self.alternative(scenario, t0, k) || self.telegram(scenario, t0, k) {
            return;
        }
        if scenario == "messaging-group-auto" {
            self.messaging_group_auto(t0, k);
            return;
        }
        if scenario == "messaging-tap" {
            self.messaging_tap(t0, k);
            return;
        }
        if scenario == "shared-folder-sync" {
            self.shared_folder_sync(t0, k);
            return;
        }
        let w = content::word(&mut self.rng);
        let host = format!("{w}{k}.example.net");
        let server_log = self.rng.chance(0.85);
        self.add_host(&host, server_log);
        let section = content::word(&mut self.rng);
        let page = format!("https://{host}/{section}/");
        let history = self.w.history_in_bundle;
        let windows = self.w.device.os == Os::Windows;
        match scenario {
            "search-download" | "history-cleared" => {
                let q = format!("{w} {section}");
                let s = format!("https://search.example.com/search?q={}", q.replace(' ', "+"));
                let sv = self.visit(t0, &s, VisitHow::Search, None);
                let t1 = t0 + self.rng.range(3_000_000, 25_000_000);
                let pv = self.visit(t1, &page, VisitHow::Link, Some(sv));
                let _ = pv;
                let name = format!("{w}-{section}-{}.txt", self.rng.below(1000));
                let url = format!("{page}{name}");
                let body = self.body(false);
                let t2 = t1 + self.rng.range(4_000_000, 90_000_000);
                let (end, path) = self.download(t2, Some(&page), &url, &name, body.clone());
                self.noise_path(&page);
                self.noise_path(&url);
                let cleared = scenario == "history-cleared";
                if cleared {
                    let from = self.w.visits.len().saturating_sub(2);
                    for v in &mut self.w.visits[from..] {
                        v.cleared = true;
                    }
                    if let Some(d) = self.w.downloads.last_mut() {
                        d.cleared = true;
                    }
                }
                let story = if cleared {
                    "searched, clicked a result and downloaded the file; the history and download rows were later cleared"
                } else {
                    "searched, clicked a result and downloaded the file"
                };
                let (p, _) = self.present(&url, true, windows, history && !cleared, false);
                let d = Self::decided_download(&p, self.last_download_activation, history && !cleared);
                let pr = (p, d);
                self.record(
                    scenario,
                    Truth::UserInitiated,
                    &body,
                    (end, "download complete"),
                    (path, story.into()),
                    pr,
                );
            }
            "typed-download" => {
                let name = format!("{w}-{}.txt", self.rng.below(1000));
                let url = format!("{page}{name}");
                let body = self.body(false);
                let (end, path) = self.download(t0, None, &url, &name, body.clone());
                self.noise_path(&url);
                let (p, _) = self.present(&url, true, windows, history, false);
                let d = Self::decided_download(&p, true, history);
                let pr = (p, d);
                self.record(
                    scenario,
                    Truth::UserInitiated,
                    &body,
                    (end, "download complete"),
                    (path, "typed the file's URL into the address bar".into()),
                    pr,
                );
            }
            "repeated-download" => {
                self.visit(t0, &page, VisitHow::Typed, None);
                let name = format!("{w}-{}.txt", self.rng.below(1000));
                let url = format!("{page}{name}");
                let body = self.body(false);
                let t1 = t0 + self.rng.range(5_000_000, 60_000_000);
                let (end, path) = self.download(t1, Some(&page), &url, &name, body.clone());
                let first_activation = self.last_download_activation;
                let t2 = end + self.rng.range(600_000_000, 5_400_000_000);
                self.visit(t2, &page, VisitHow::Typed, None);
                let again = name.replacen('.', " (1).", 1);
                let delay = self.rng.range(5_000_000, 60_000_000);
                let (end2, path2) = self.download(t2 + delay, Some(&page), &url, &again, body.clone());
                self.noise_path(&url);
                let (p, _) = self.present(&url, true, windows, history, false);
                let d1 = Self::decided_download(&p, first_activation, history);
                let d2 = Self::decided_download(&p, self.last_download_activation, history);
                self.record(
                    scenario,
                    Truth::UserInitiated,
                    &body,
                    (end, "download complete"),
                    (path, "opened the page and downloaded the file, then again later".into()),
                    (p.clone(), d1),
                );
                self.record(
                    scenario,
                    Truth::UserInitiated,
                    &body,
                    (end2, "download complete"),
                    (path2, "downloaded the same file again from the same page".into()),
                    (p, d2),
                );
            }
            "link-prefetch" | "embedded-image" | "redirect-landing" | "auto-then-opened" | "auto-then-downloaded" => {
                let mut landing = page.clone();
                if scenario == "redirect-landing" {
                    let start = format!("https://www{k}.example.com/");
                    let v0 = self.visit(t0, &start, VisitHow::Typed, None);
                    let ad = format!("https://ads{k}.example.org/r?id={}", self.rng.below(1_000_000));
                    let delay = self.rng.range(800_000, 3_000_000);
                    let v1 = self.visit(t0 + delay, &ad, VisitHow::ClientRedirect, Some(v0));
                    landing = format!("https://{host}/promo/{}/", self.rng.below(1000));
                    let delay = self.rng.range(3_100_000, 4_000_000);
                    let v2 = self.visit(t0 + delay, &landing, VisitHow::ServerRedirect, Some(v1));
                    let _ = v2;
                } else {
                    let q = format!("{w} {section}");
                    let s = format!("https://search.example.com/search?q={}", q.replace(' ', "+"));
                    let sv = self.visit(t0, &s, VisitHow::Search, None);
                    let delay = self.rng.range(3_000_000, 20_000_000);
                    self.visit(t0 + delay, &page, VisitHow::Link, Some(sv));
                }
                let t1 = self.w.visits.last().map_or(t0, |v| v.ts) + self.rng.range(200_000, 1_500_000);
                let name = format!("{}-{}.png", content::word(&mut self.rng), self.rng.below(100_000));
                let url = format!("https://{host}/img/{name}");
                let body = self.body(true);
                let init =
                    if scenario == "link-prefetch" { Init::Prefetch(&landing) } else { Init::Sub(&landing, "image") };
                self.cached(t1, &landing, &url, init, "image/png", body.clone());
                let arrival = self.w.cache.last().map_or(t1, |c| c.response_time);
                self.noise_path(&landing);
                self.noise_path(&url);
                let how = match scenario {
                    "link-prefetch" => "a page the subject visited prefetched the file; the subject never opened it",
                    "redirect-landing" => "redirects carried the browser to a page that embeds the file",
                    "auto-then-opened" => {
                        "embedded in a visited page; the subject later opened the image in its own tab"
                    }
                    "auto-then-downloaded" => {
                        "embedded in a visited page; the subject later downloaded it deliberately"
                    }
                    _ => "embedded in a page the subject visited; present only in the cache",
                };
                if scenario == "auto-then-opened" {
                    let pv = self.w.visits.len() - 1;
                    let delay = self.rng.range(60_000_000, 1_200_000_000);
                    self.visit(arrival + delay, &url, VisitHow::Link, Some(pv));
                    // Served from the cache: no new request (the visit's request is dropped).
                    self.w.requests.retain(|r| !(r.target == target(&url) && r.fetch.dest == Some("document")));
                }
                // The cache entry is one copy, arrived automatically.
                let (p, _) = self.present(&url, false, false, history, cache);
                let d = Self::decided_embedded(&p);
                if cache {
                    self.record(
                        scenario,
                        Truth::Automatic,
                        &body,
                        (arrival, "cache write"),
                        (url.clone(), how.into()),
                        (p, d),
                    );
                }
                if scenario == "auto-then-downloaded" {
                    // The download is another copy: the subject's own act.
                    let t2 = arrival + self.rng.range(120_000_000, 1_800_000_000);
                    let dl_name = format!("saved-{name}");
                    let (end, path) = self.download(t2, Some(&landing), &url, &dl_name, body.clone());
                    let (p, _) = self.present(&url, true, windows, history, cache);
                    let d = Self::decided_download(&p, self.last_download_activation, history);
                    self.record(
                        scenario,
                        Truth::UserInitiated,
                        &body,
                        (end, "download complete"),
                        (path, "cached from a page earlier; later downloaded deliberately (this copy)".into()),
                        (p, d),
                    );
                }
            }
            _ => {}
        }
    }
}

impl Builder {
    /// The subject's phone, drawn on first use: its clock, and the auto-download
    /// settings — images on for every network (the app's default on Wi-Fi and
    /// cellular, a common change for roaming), images on Wi-Fi and cellular only
    /// (the default: which network was used is then unknown), or the settings
    /// file not obtained.
    pub(crate) fn phone(&mut self) -> &mut Phone {
        let phone = match self.w.phone.take() {
            Some(p) => p,
            None => self.new_phone(),
        };
        self.w.phone.insert(phone)
    }

    pub(crate) fn new_phone(&mut self) -> Phone {
        let variant = self.rng.below(20);
        let masks = match variant {
            0..=8 => [15, *self.rng.pick(&[1, 5, 15]), *self.rng.pick(&[1, 15])],
            // The app's defaults: images on Wi-Fi and mobile data, nothing roaming.
            9..=13 => [15, 1, 0],
            // Images only, on Wi-Fi and mobile data: documents, audio and video
            // never download by themselves.
            14..=16 => [1, 1, 0],
            _ => [15, 1, 1],
        };
        Phone {
            name: format!("PHONE-{}", self.rng.range(10, 99)),
            clock_offset: self.rng.range(-120_000_000, 120_000_000),
            masks,
            earlier: None,
            // A phone on the defaults often has no mask keys written at all.
            keys_missing: masks == [15, 1, 0] && self.rng.chance(0.5),
            // The examiner established from the carrier that the phone was
            // not roaming (in half the cases).
            roaming_known_no: self.rng.chance(0.5),
            prefs_in_bundle: variant < 17,
            prefs_written: self.w.span.0 - self.rng.range(86_400_000_000, 40 * 86_400_000_000),
            messages: Vec::new(),
            files: Vec::new(),
            marked_unread: Vec::new(),
            log: crate::world::WaLog {
                // WhatsApp's own log is obtained in half the cases; in one of
                // five of those, the rotations holding the first hours were
                // gone (retention is not documented).
                in_bundle: self.rng.chance(0.5),
                tz_s: *self.rng.pick(&[0, 3_600, 7_200, -18_000, 19_800, -25_200]),
                from: if self.rng.chance(0.2) {
                    self.w.span.0 + self.rng.range(3_600_000_000, 2 * 86_400_000_000)
                } else {
                    self.w.span.0 - 86_400_000_000
                },
                downloads: Vec::new(),
            },
        }
    }

    /// Logs a media download decision in WhatsApp's log; returns whether the
    /// bundle holds the line.
    fn log_download(&mut self, ts: Micros, key_id: &str, chat_jid: &str, body: &Arc<Vec<u8>>, auto: bool) -> bool {
        let network = if self.rng.chance(0.7) { 'W' } else { 'M' };
        let p = self.phone();
        p.log.downloads.push(crate::world::WaDownload {
            ts,
            key_id: key_id.to_owned(),
            chat_jid: chat_jid.to_owned(),
            body: body.clone(),
            auto,
            network,
        });
        p.log.holds(ts)
    }

    /// Whether the phone's settings file, as the bundle holds it, shows the
    /// auto-download state of `class_bit` at `t` (obtained, written before
    /// `t`), and that state on the network the phone was on (Wi-Fi or
    /// mobile data at home): `Some(true)` on, `Some(false)` off on every
    /// network, `None` not shown.
    pub(crate) fn settings_show(&self, class_bit: u32, t: Micros) -> Option<bool> {
        let p = self.w.phone.as_ref()?;
        if !p.prefs_in_bundle || p.prefs_written > t {
            return None;
        }
        let m = p.masks_at(t);
        let on = |i: usize| m[i] & class_bit != 0;
        if on(0) && on(1) {
            Some(true)
        } else if !on(0) && !on(1) && !on(2) {
            Some(false)
        } else {
            None
        }
    }

    /// Marks the last recorded copy as the phone's.
    pub(crate) fn on_phone(&mut self) {
        let name = self.w.phone.as_ref().map(|p| p.name.clone());
        if let (Some(f), Some(n)) = (self.files.last_mut(), name) {
            f.device = n;
        }
    }

    /// A group member posts an image; WhatsApp fetches it within seconds.
    pub(crate) fn messaging_group_auto(&mut self, t0: Micros, k: usize) {
        self.messaging_group_auto_as("messaging-group-auto", t0, k);
    }

    /// [`Self::messaging_group_auto`] recorded under another scenario's name.
    pub(crate) fn messaging_group_auto_as(&mut self, scenario: &'static str, t0: Micros, k: usize) {
        let subject =
            format!("{} {}", content::word(&mut self.rng), *self.rng.pick(&["club", "team", "family", "group"]));
        let group = format!("1203630000000{:05}@g.us", self.rng.below(100_000));
        let members: Vec<String> =
            (0..3).map(|_| format!("1555{:07}@s.whatsapp.net", self.rng.below(10_000_000))).collect();
        // Chatter before the image.
        let mut t = t0;
        let chatter = self.rng.range(1, 6);
        let mut texts = Vec::new();
        // Whether the subject opened the group after the image arrived (before
        // the phone was copied); if not, how much of the chatter they had read.
        let opened_after = self.rng.chance(1.0 / 3.0);
        let read_texts = if opened_after { chatter } else { self.rng.range(1, chatter) };
        for i in 0..chatter {
            t += self.rng.range(20_000_000, 600_000_000);
            let sender = self.rng.pick(&members).clone();
            texts.push(WaMessage {
                sent: t,
                received: t + self.rng.range(300_000, 3_000_000),
                chat_jid: group.clone(),
                subject: Some(subject.clone()),
                sender_jid: sender,
                key_id: format!("3A{:018X}", self.rng.below(u64::MAX >> 8)),
                message_type: 0,
                media: None,
                read: i < read_texts,
            });
        }
        let sent = t + self.rng.range(10_000_000, 300_000_000);
        let received = sent + self.rng.range(300_000, 4_000_000);
        let fetched = received + self.rng.range(200_000, 6_000_000);
        let body = self.body(true);
        let date = crate::write::rfc3339(sent);
        let name = format!("IMG-{}{}{}-WA{:04}.jpg", &date[0..4], &date[5..7], &date[8..10], k % 10_000);
        let path = format!("Media/WhatsApp Images/{name}");
        let sender = self.rng.pick(&members).clone();
        let key_id = format!("3A{:018X}", self.rng.below(u64::MAX >> 8));
        // The app queues the download as the message arrives.
        let queued = received + self.rng.range(50_000, 400_000);
        let logged = self.log_download(queued, &key_id, &group, &body, true);
        let phone = self.phone();
        phone.messages.extend(texts);
        phone.messages.push(WaMessage {
            sent,
            received,
            chat_jid: group,
            subject: Some(subject),
            sender_jid: sender,
            key_id,
            message_type: 1,
            media: Some((path.clone(), "image/jpeg", body.clone(), true)),
            read: opened_after,
        });
        let tree_path = format!("WhatsApp/{path}");
        phone.files.push(TreeFile { path: tree_path.clone(), body: body.clone(), mtime: fetched });
        // Two independent facts decide it: the media file written within
        // seconds of the message's receipt (always in the phone's storage), and
        // the settings that show images on (written before the message) or the
        // chat's last-read mark before the message.
        let settings = self.settings_show(1, received) == Some(true);
        let mut d = Vec::new();
        if settings || !opened_after {
            d.push("the media file written within seconds of the message's receipt".into());
        }
        if settings {
            d.push("the app's auto-download settings (written before the message): images on".into());
        }
        if !opened_after {
            d.push("the chat's last-read mark in msgstore.db: the group was not opened after the image".into());
        }
        if logged {
            if !settings && opened_after {
                d.push("the media file written within seconds of the message's receipt".into());
            }
            d.push("WhatsApp's own log: the download queued as automatic".into());
        }
        let story = if opened_after {
            "a group member posted an image; WhatsApp fetched it by itself; the subject opened the group later"
        } else {
            "a group member posted an image; WhatsApp fetched it by itself; the group not opened since"
        };
        let p = Present { tree: true, ..Present::default() };
        self.record(
            scenario,
            Truth::Automatic,
            &body,
            (received, "messaging media fetched"),
            (tree_path, story.into()),
            (p, d),
        );
        self.on_phone();
        self.extend_span(fetched);
    }

    /// A contact sends a document while the phone is on a network whose
    /// auto-download leaves documents alone (cellular, else roaming); the
    /// subject opens the chat and taps it, minutes to hours later. On a phone
    /// that auto-downloads documents on every network a tap never happens: a
    /// group auto-download is simulated in its place (and recorded as such).
    pub(crate) fn messaging_tap(&mut self, t0: Micros, k: usize) {
        const DOCUMENTS: u32 = 8;
        let masks = self.phone().masks_at(t0);
        // A phone the examiner knows was not roaming was on Wi-Fi or mobile data.
        let roaming_ruled_out = self.phone().roaming_known_no;
        let Some(network) = [("Wi-Fi", masks[0]), ("cellular", masks[1]), ("roaming", masks[2])]
            .into_iter()
            .filter(|(n, _)| !(roaming_ruled_out && *n == "roaming"))
            .find(|(_, m)| m & DOCUMENTS == 0)
            .map(|(n, _)| n)
        else {
            self.messaging_group_auto(t0, k);
            return;
        };
        let contact = format!("1555{:07}@s.whatsapp.net", self.rng.below(10_000_000));
        let mut t = t0;
        let mut texts = Vec::new();
        for _ in 0..self.rng.range(0, 3) {
            t += self.rng.range(20_000_000, 300_000_000);
            texts.push(WaMessage {
                sent: t,
                received: t + self.rng.range(300_000, 3_000_000),
                chat_jid: contact.clone(),
                subject: None,
                sender_jid: contact.clone(),
                key_id: format!("3EB0{:016X}", self.rng.below(u64::MAX >> 8)),
                message_type: 0,
                media: None,
                read: true,
            });
        }
        let sent = t + self.rng.range(10_000_000, 300_000_000);
        let received = sent + self.rng.range(300_000, 4_000_000);
        // The tap, once the subject opens the chat.
        let tapped = received + self.rng.range(60_000_000, 3 * 3_600_000_000);
        let fetched = tapped + self.rng.range(500_000, 8_000_000);
        let body = self.body(false);
        let name = format!("{}-{}.txt", content::word(&mut self.rng), self.rng.below(1000));
        let path = format!("Media/WhatsApp Documents/{name}");
        // Now and then the subject marks the chat unread afterwards: WhatsApp
        // sets the chat's unseen count to -1 and leaves the last-read mark
        // where the tap put it.
        let marked_unread = self.rng.chance(0.1);
        let key_id = format!("3EB0{:016X}", self.rng.below(u64::MAX >> 8));
        let logged = self.log_download(tapped, &key_id, &contact, &body, false);
        let phone = self.phone();
        if marked_unread && !phone.marked_unread.contains(&contact) {
            phone.marked_unread.push(contact.clone());
        }
        phone.messages.extend(texts);
        phone.messages.push(WaMessage {
            sent,
            received,
            chat_jid: contact.clone(),
            subject: None,
            sender_jid: contact,
            key_id,
            message_type: 9,
            media: Some((path.clone(), "text/plain", body.clone(), true)),
            read: true,
        });
        let tree_path = format!("WhatsApp/{path}");
        phone.files.push(TreeFile { path: tree_path.clone(), body: body.clone(), mtime: fetched });
        let story = format!(
            "a contact sent a document on {network}, where auto-download leaves documents alone; the subject opened \
             the chat and tapped it{}",
            if marked_unread { ", then marked the chat unread" } else { "" }
        );
        // Decided by the settings showing documents off on every network
        // (written before the message) and the file written long after the
        // message's receipt.
        // Or by WhatsApp's own log of the tap and the late write, unless the
        // settings in the bundle point the other way (documents on for Wi-Fi
        // and mobile data, and whether the phone was roaming not known): the
        // evidence then conflicts and no decision is owed.
        let late = fetched - received >= 600_000_000;
        let settings = self.settings_show(DOCUMENTS, received) == Some(false);
        let conflict = self.w.phone.as_ref().is_some_and(|p| {
            let m = p.masks_at(received);
            p.prefs_in_bundle && p.prefs_written <= received && m[0] & DOCUMENTS != 0 && m[1] & DOCUMENTS != 0
        });
        let mut d: Vec<String> = Vec::new();
        if late && (settings || logged) && !conflict {
            d.push("the media file written minutes to hours after the message's receipt".into());
            if settings {
                d.push(
                    "the app's auto-download settings (written before the message): documents off on every network"
                        .into(),
                );
            }
            if logged {
                d.push("WhatsApp's own log: the download started as manual (a tap)".into());
            }
        }
        self.record(
            "messaging-tap",
            Truth::UserInitiated,
            &body,
            (fetched, "messaging media fetched"),
            (tree_path, story),
            (Present { tree: true, ..Present::default() }, d),
        );
        self.on_phone();
        self.extend_span(fetched);
    }

    /// A colleague uploads a file to a shared library; the subject's sync
    /// client downloads it. The synced copy keeps the modification time the
    /// file had in the cloud (the colleague's last edit), as OneDrive and
    /// Dropbox keep it.
    pub(crate) fn shared_folder_sync(&mut self, t0: Micros, k: usize) {
        let team = content::word(&mut self.rng);
        let site = format!("https://contoso.example.com/sites/{team}{k}/");
        let folder = "Shared Documents".to_owned();
        let name = format!("{}-{}-{}.txt", content::word(&mut self.rng), team, self.rng.below(1000));
        let body = self.body(false);
        let colleague = format!("{}@example.com", *self.rng.pick(&["dave", "frank", "grace", "heidi"]));
        let subject_user = format!("{}@example.com", self.w.device.user);
        let ua_browser = Browser::Chrome(131).user_agent(Os::Windows);
        let uploaded = t0 + self.rng.range(1_000_000, 60_000_000);
        let synced = uploaded + self.rng.range(5_000_000, 240_000_000);
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
        let colleague_ip = format!("198.51.100.{}", self.rng.range(2, 250));
        let subject_ip = self.w.subject_ip.clone();
        let ops = [
            op(uploaded, "FileUploaded", &colleague, &colleague_ip, &ua_browser),
            op(
                synced,
                "FileSyncDownloadedFull",
                &subject_user,
                &subject_ip,
                "Microsoft SkyDriveSync 25.001.0105.0002 ship; Windows NT 10.0 (19045)",
            ),
        ];
        self.w.cloud_ops.extend(ops);
        // Other people's activity in the same tenant.
        for _ in 0..self.rng.range(2, 8) {
            let ts = t0 + self.rng.range(0, 600_000_000);
            let other = format!("{}-{}.txt", content::word(&mut self.rng), self.rng.below(1000));
            self.w.cloud_ops.push(CloudOp {
                name: other,
                size: self.rng.range(200, 90_000) as u64,
                ..op(
                    ts,
                    *self.rng.pick(&["FileAccessed", "FileModified", "FilePreviewed"]),
                    &colleague,
                    &colleague_ip,
                    &ua_browser,
                )
            });
        }
        let local = match self.w.device.os {
            Os::Windows => format!("Users/{}/Contoso/{team}{k} - Documents/{name}", self.w.device.user),
            Os::Linux => format!("home/{}/OneDrive/{team}{k} - Documents/{name}", self.w.device.user),
        };
        let edited = uploaded - self.rng.range(60_000_000, 5 * 86_400_000_000);
        self.w.files.push(TreeFile { path: local.clone(), body: body.clone(), mtime: edited });
        let p = Present { tree: true, ..Present::default() };
        // Decided by the device's state at the sync (the session locked) beside
        // the colleague's upload shortly before: a placeholder the person
        // opens is downloaded the same way, so upload and sync alone are not.
        let (presence, end, mut discriminating) = self.sync_presence(synced);
        // Half the time the person opens the pushed file through the shell:
        // at the laptop, often within minutes from the notification of the
        // share; otherwise after coming back, or hours later.
        if self.rng.chance(0.5) {
            let at = if presence == "present" && self.rng.chance(0.5) {
                synced + self.rng.range(15_000_000, 300_000_000)
            } else {
                end.max(synced) + self.rng.range(60_000_000, 6 * 3_600_000_000)
            };
            self.shell_open(at, &local, body.len() as u64, (synced, edited));
        }
        if !discriminating.is_empty() {
            discriminating.insert(0, format!("{colleague}'s upload shortly before, in the audit log"));
        }
        let story = match presence {
            "away" => "; the subject's session was locked",
            "present" => "; the subject was at the unlocked laptop",
            _ => "",
        };
        self.record(
            "shared-folder-sync",
            Truth::Automatic,
            &body,
            (synced, "sync client download"),
            (
                local,
                format!(
                    "{colleague} added the file to a shared library; the subject's OneDrive client synced it{story}"
                ),
            ),
            (p, discriminating),
        );
        self.extend_span(end.max(synced + 1_000_000));
    }

    /// The subject's Windows session around a sync at `synced` (Windows
    /// laptops only; the Security log is then in the bundle): locked 5–40
    /// minutes before and unlocked 10–60 minutes after ("away", 60 %), or
    /// locked and unlocked 1–8 minutes before it ("present"). A network logon of a file share may
    /// come and go meanwhile. Returns the variant, the last event's time and
    /// the discriminating evidence.
    fn sync_presence(&mut self, synced: Micros) -> (&'static str, Micros, Vec<String>) {
        use crate::write::evtx::Presence;
        if self.w.device.os != Os::Windows {
            return ("none", synced, Vec::new());
        }
        if self.w.presence.is_empty() {
            let logon = self.w.span.0 - self.rng.range(600_000_000, 3_600_000_000);
            self.w.presence.push((logon, Presence::Logon { logon_type: 2, logon_id: 0x3e7a1 }));
        }
        let away = self.rng.chance(0.6);
        let (lock, unlock) = if away {
            let lock = synced - self.rng.range(300_000_000, 2_400_000_000);
            (lock, synced + self.rng.range(600_000_000, 3_600_000_000))
        } else {
            let unlock = synced - self.rng.range(60_000_000, 480_000_000);
            (unlock - self.rng.range(120_000_000, 1_200_000_000), unlock)
        };
        self.w.presence.push((lock, Presence::Lock));
        self.w.presence.push((unlock, Presence::Unlock));
        if self.rng.chance(0.5) {
            let net = lock + (unlock - lock) / 3;
            let logon_id = 0x4_0000 + self.w.presence.len() as u64;
            self.w.presence.push((net, Presence::Logon { logon_type: 3, logon_id }));
            self.w.presence.push((net + 2_000_000, Presence::Logoff { logon_type: 3, logon_id }));
        }
        let discriminating = if away {
            vec!["Security log: the session was locked before the sync (4800)".to_owned()]
        } else {
            Vec::new()
        };
        (if away { "away" } else { "present" }, unlock, discriminating)
    }
}

/// Lower-case hex.
pub fn hex(b: &[u8]) -> String {
    hex::encode(b)
}

/// Does `name` need a Windows laptop?
pub fn needs_windows(name: &str) -> bool {
    NEEDS_WINDOWS.contains(&name)
}

/// Does `name` need Chrome's simple cache?
pub fn needs_cache(name: &str) -> bool {
    name == "mixed" || SCENARIOS.iter().any(|s| s.name == name && s.needs_cache)
}
