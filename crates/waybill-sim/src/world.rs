//! What happened, in true (UTC) time: the requests, page visits, downloads,
//! cache writes and files of one bundle. The writers turn it into evidence as
//! each piece of software records it (with its own clock, epoch and precision).

use std::collections::BTreeMap;
use std::sync::Arc;

/// Microseconds since the Unix epoch, true time.
pub type Micros = i64;

/// The browser family and major version: decides the user agent, which
/// Fetch Metadata headers are sent and which history database is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Browser {
    /// Chrome (History, simple cache).
    Chrome(u32),
    /// Firefox (places.sqlite).
    Firefox(u32),
}

impl Browser {
    /// The User-Agent header.
    pub fn user_agent(self, os: Os) -> String {
        let platform = match os {
            Os::Windows => "Windows NT 10.0; Win64; x64",
            Os::Linux => "X11; Linux x86_64",
        };
        match self {
            Self::Chrome(v) => format!(
                "Mozilla/5.0 ({platform}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36"
            ),
            Self::Firefox(v) => format!("Mozilla/5.0 ({platform}; rv:{v}.0) Gecko/20100101 Firefox/{v}.0"),
        }
    }

    /// Sends `Sec-Fetch-*` (Chrome 76, Firefox 90).
    pub fn sends_fetch_metadata(self) -> bool {
        match self {
            Self::Chrome(v) => v >= 76,
            Self::Firefox(v) => v >= 90,
        }
    }

    /// The header a `<link rel=prefetch>` carries: `Sec-Purpose: prefetch`
    /// (Chrome, Firefox 115+) or `X-Moz: prefetch` (older Firefox).
    pub fn prefetch_header(self) -> (&'static str, &'static str) {
        match self {
            Self::Firefox(v) if v < 115 => ("x-moz", "prefetch"),
            _ => ("sec-purpose", "prefetch"),
        }
    }
}

/// The device's operating system (paths, Mark of the Web).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// Windows: `C:\Users\…`, Zone.Identifier streams.
    Windows,
    /// Linux: `/home/…`.
    Linux,
}

/// The Fetch Metadata and purpose headers of one request (`None` = not sent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fetch {
    /// `Sec-Fetch-Site`.
    pub site: Option<&'static str>,
    /// `Sec-Fetch-Mode`.
    pub mode: Option<&'static str>,
    /// `Sec-Fetch-Dest`.
    pub dest: Option<&'static str>,
    /// `Sec-Fetch-User`.
    pub user: Option<&'static str>,
    /// `Sec-Purpose`.
    pub purpose: Option<&'static str>,
    /// `X-Moz`.
    pub x_moz: Option<&'static str>,
}

/// One HTTP request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    /// When the server logged it (true time; the server's clock is applied by the writer).
    pub ts: Micros,
    /// Client address.
    pub client: String,
    /// Host (selects the log).
    pub host: String,
    /// Path and query.
    pub target: String,
    /// Status code.
    pub status: u16,
    /// Response body bytes.
    pub bytes: u64,
    /// `Referer`.
    pub referrer: Option<String>,
    /// `User-Agent`.
    pub user_agent: String,
    /// Fetch Metadata.
    pub fetch: Fetch,
}

/// Chrome's page transition core types and qualifiers (`ui/base/page_transition_types.h`).
pub mod transition {
    /// LINK.
    pub const LINK: u32 = 0;
    /// TYPED.
    pub const TYPED: u32 = 1;
    /// AUTO_BOOKMARK.
    pub const AUTO_BOOKMARK: u32 = 2;
    /// AUTO_SUBFRAME.
    pub const AUTO_SUBFRAME: u32 = 3;
    /// GENERATED (omnibox search).
    pub const GENERATED: u32 = 5;
    /// AUTO_TOPLEVEL.
    pub const AUTO_TOPLEVEL: u32 = 6;
    /// FROM_ADDRESS_BAR.
    pub const FROM_ADDRESS_BAR: u32 = 0x0200_0000;
    /// CHAIN_START.
    pub const CHAIN_START: u32 = 0x1000_0000;
    /// CHAIN_END.
    pub const CHAIN_END: u32 = 0x2000_0000;
    /// CLIENT_REDIRECT.
    pub const CLIENT_REDIRECT: u32 = 0x4000_0000;
    /// SERVER_REDIRECT.
    pub const SERVER_REDIRECT: u32 = 0x8000_0000;
}

/// How a page visit came about (mapped to Chrome transitions and Firefox visit types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitHow {
    /// Typed into the address bar.
    Typed,
    /// A search from the address bar.
    Search,
    /// Followed a link.
    Link,
    /// A bookmark.
    Bookmark,
    /// A client redirect (script / meta refresh) from the previous visit.
    ClientRedirect,
    /// A server redirect (3xx) from the previous visit.
    ServerRedirect,
    /// A page opened without a user act (pop-under).
    AutoToplevel,
    /// A frame loaded by the page.
    AutoSubframe,
}

/// One page visit in the subject's browser.
#[derive(Debug, Clone)]
pub struct Visit {
    /// True time.
    pub ts: Micros,
    /// Full URL.
    pub url: String,
    /// Page title.
    pub title: String,
    /// How.
    pub how: VisitHow,
    /// Index of the visit it came from.
    pub from: Option<usize>,
    /// The search terms, for a search.
    pub search_term: Option<String>,
    /// Deleted by a "clear history" (not written).
    pub cleared: bool,
    /// The visit of the tab that opened this one's tab (`window.open`, a
    /// pop-under): Chrome's `opener_visit`.
    pub opener: Option<usize>,
    /// Made on another device of the same browser account and synced here
    /// (Chrome: a `visit_source` row SYNCED and an `originator_cache_guid`).
    pub synced: bool,
}

impl Visit {
    /// A visit made on the device.
    pub fn local(ts: Micros, url: &str, title: &str, how: VisitHow, from: Option<usize>) -> Self {
        Self {
            ts,
            url: url.to_owned(),
            title: title.to_owned(),
            how,
            from,
            search_term: None,
            cleared: false,
            opener: None,
            synced: false,
        }
    }
}

/// One download in the subject's browser.
#[derive(Debug, Clone)]
pub struct Download {
    /// Started (true time).
    pub start: Micros,
    /// Finished.
    pub end: Micros,
    /// URL chain (first requested … final).
    pub chain: Vec<String>,
    /// The page the download was started from (empty for a typed URL).
    pub tab_url: String,
    /// `Referer` of the download request.
    pub referrer: String,
    /// Target path on the device (`C:\Users\…` or `/home/…`).
    pub target_path: String,
    /// The content.
    pub body: Arc<Vec<u8>>,
    /// Whether the browser recorded the SHA-256 of the content.
    pub hash_recorded: bool,
    /// MIME type.
    pub mime: &'static str,
    /// Opened from the download list (true time), if it was.
    pub opened: Option<Micros>,
    /// Deleted by a "clear history" (not written).
    pub cleared: bool,
}

/// One cache entry (Chrome simple cache).
#[derive(Debug, Clone)]
pub struct CacheEntry {
    /// The top-frame site that caused the fetch (cache partitioning key).
    pub top_site: String,
    /// The resource URL.
    pub url: String,
    /// Request sent (true time).
    pub request_time: Micros,
    /// Response received (true time).
    pub response_time: Micros,
    /// `Content-Type`.
    pub mime: &'static str,
    /// The body.
    pub body: Arc<Vec<u8>>,
}

/// A Mark of the Web written beside a downloaded file.
#[derive(Debug, Clone)]
pub struct Marker {
    /// The marked file's path below the tree root (its folder is exported
    /// with the stream).
    pub file_name: String,
    /// `ReferrerUrl` (absent for a typed URL).
    pub referrer: Option<String>,
    /// `HostUrl`.
    pub host_url: String,
}

/// The person's open of a file through the Windows shell, which writes a
/// Recent Items shortcut.
#[derive(Debug, Clone)]
pub struct Shortcut {
    /// When it was opened (true time).
    pub opened: Micros,
    /// The opened file's path below the tree root.
    pub target: String,
    /// Its size.
    pub size: u64,
    /// Its creation and last write (true time).
    pub created: Micros,
    /// Its last write.
    pub modified: Micros,
    /// The volume's serial number.
    pub serial: u32,
}

/// A file on the device, relative to the exported tree's root.
#[derive(Debug, Clone)]
pub struct TreeFile {
    /// `/`-separated path below the tree root.
    pub path: String,
    /// Content.
    pub body: Arc<Vec<u8>>,
    /// Last modification (true time).
    pub mtime: Micros,
}

/// How a server writes its access log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogStyle {
    /// Apache combined plus Fetch Metadata, Sec-Purpose and X-Moz.
    ApacheFetch,
    /// Apache combined, nothing more.
    ApacheCombined,
    /// nginx `main`-like format plus Fetch Metadata and Sec-Purpose.
    NginxFetch,
}

impl LogStyle {
    /// The `--log-format` value that reads the log.
    pub fn spec(self) -> &'static str {
        match self {
            Self::ApacheFetch => {
                r#"apache:%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" "%{Sec-Fetch-Site}i" "%{Sec-Fetch-Mode}i" "%{Sec-Fetch-Dest}i" "%{Sec-Fetch-User}i" "%{Sec-Purpose}i" "%{X-Moz}i""#
            }
            Self::ApacheCombined => r#"apache:%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#,
            Self::NginxFetch => {
                r#"nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_sec_fetch_site" "$http_sec_fetch_mode" "$http_sec_fetch_dest" "$http_sec_fetch_user" "$http_sec_purpose""#
            }
        }
    }

    /// Records `Sec-Fetch-*`.
    pub fn logs_fetch_metadata(self) -> bool {
        !matches!(self, Self::ApacheCombined)
    }
}

/// One web server whose log is (or is not) in the bundle.
#[derive(Debug, Clone)]
pub struct Host {
    /// How it logs.
    pub style: LogStyle,
    /// Its clock's offset from true time (µs).
    pub clock_offset: Micros,
    /// The zone offset it writes (minutes east of UTC).
    pub tz_minutes: i32,
    /// Whether its log was obtained.
    pub in_bundle: bool,
    /// Noise share: background requests from other clients.
    pub noise_paths: Vec<String>,
}

/// The subject's device.
#[derive(Debug, Clone)]
pub struct Device {
    /// Name used for `--device`.
    pub name: String,
    /// Operating system.
    pub os: Os,
    /// Account name (home folder).
    pub user: String,
    /// The browser.
    pub browser: Browser,
    /// Clock offset from true time at the start (µs).
    pub clock_offset: Micros,
    /// Clock drift (µs per hour).
    pub drift_per_hour: Micros,
    /// Start of the bundle (drift reference).
    pub epoch: Micros,
}

impl Device {
    /// True time as the device's clock reads it.
    pub fn clock(&self, t: Micros) -> Micros {
        // In i128: a file edited weeks before the bundle's start times a
        // drift of seconds per hour overflows i64.
        let drift = i128::from(t - self.epoch) * i128::from(self.drift_per_hour) / 3_600_000_000;
        t + self.clock_offset + drift as Micros
    }

    /// A path in the user's Downloads folder, as the browser records it.
    pub fn download_path(&self, name: &str) -> String {
        match self.os {
            Os::Windows => format!("C:\\Users\\{}\\Downloads\\{name}", self.user),
            Os::Linux => format!("/home/{}/Downloads/{name}", self.user),
        }
    }

    /// The same file below the exported tree root.
    pub fn tree_path(&self, name: &str) -> String {
        match self.os {
            Os::Windows => format!("Users/{}/Downloads/{name}", self.user),
            Os::Linux => format!("home/{}/Downloads/{name}", self.user),
        }
    }
}

/// A phone with WhatsApp: its messages, media files and auto-download settings.
#[derive(Debug, Clone)]
pub struct Phone {
    /// Name used for `--device`.
    pub name: String,
    /// Clock offset from true time (µs).
    pub clock_offset: Micros,
    /// Auto-download masks for Wi-Fi, cellular and roaming (bits: 1 images,
    /// 2 audio, 4 video, 8 documents), as the settings file holds them.
    pub masks: [u32; 3],
    /// The masks in force before the settings file's last write, and that
    /// write's time (the subject changed the settings after some fetches).
    pub earlier: Option<([u32; 3], Micros)>,
    /// The settings file holds no mask keys: the app uses its defaults.
    pub keys_missing: bool,
    /// The examiner established that the phone was not roaming (case context
    /// `roaming = no`).
    pub roaming_known_no: bool,
    /// The settings file was obtained.
    pub prefs_in_bundle: bool,
    /// Last write of the settings file (true time).
    pub prefs_written: Micros,
    /// Messages, in order of time.
    pub messages: Vec<WaMessage>,
    /// Files of the phone's exported storage (`WhatsApp/Media/…`).
    pub files: Vec<TreeFile>,
    /// Chats the subject marked unread (`unseen_message_count` = -1; the
    /// last-read mark stays where it was).
    pub marked_unread: Vec<String>,
    /// WhatsApp's own log (`files/Logs`).
    pub log: WaLog,
}

/// A phone with Telegram for Android: its message cache, saved media paths,
/// the documents the subject tapped and the auto-download presets.
#[derive(Debug, Clone)]
pub struct TgPhone {
    /// Name used for `--device`.
    pub name: String,
    /// Clock offset from true time (µs).
    pub clock_offset: Micros,
    /// The custom preset strings the settings file holds for Wi-Fi, mobile
    /// data and roaming (`None`: the key is absent, the app's default holds).
    pub presets: [Option<String>; 3],
    /// The settings file was obtained.
    pub prefs_in_bundle: bool,
    /// Last write of the settings file (true time).
    pub prefs_written: Micros,
    /// `messages_v2` rows.
    pub messages: Vec<TgMessage>,
    /// `downloading_documents` rows: (completion, document id, dc id).
    pub tapped: Vec<(Micros, i64, i64)>,
    /// `paths` rows: (document id, dc id, type, path).
    pub paths: Vec<(i64, i64, i64, String)>,
    /// `paths_by_dialog_id` rows: (path, dialog id, message id, message type).
    pub by_dialog: Vec<(String, i64, i64, i64)>,
    /// Files of the phone's exported storage.
    pub files: Vec<TreeFile>,
}

/// One `messages_v2` row.
#[derive(Debug, Clone)]
pub struct TgMessage {
    /// Message id.
    pub mid: i64,
    /// Dialog id.
    pub uid: i64,
    /// When the phone received it (true time).
    pub date: Micros,
    /// Sent by the subject.
    pub out: bool,
    /// The channel id of a supergroup or channel, else 0.
    pub is_channel: i64,
    /// The `media` column.
    pub media: i64,
}

impl TgPhone {
    /// A time on the phone's clock.
    pub fn clock(&self, t: Micros) -> Micros {
        t + self.clock_offset
    }
}

/// WhatsApp's own log as the bundle holds it.
#[derive(Debug, Clone, Default)]
pub struct WaLog {
    /// The log files were obtained.
    pub in_bundle: bool,
    /// The zone offset its headers write (seconds east of UTC).
    pub tz_s: i32,
    /// The oldest line kept (true time): older lines were rotated away.
    pub from: Micros,
    /// Download decisions the app logged, in any order.
    pub downloads: Vec<WaDownload>,
}

impl WaLog {
    /// Whether a line written at `t` is in the bundle.
    pub fn holds(&self, t: Micros) -> bool {
        self.in_bundle && t >= self.from
    }
}

/// One media download decision in WhatsApp's log.
#[derive(Debug, Clone)]
pub struct WaDownload {
    /// When (true time).
    pub ts: Micros,
    /// The message's key id.
    pub key_id: String,
    /// The chat's JID.
    pub chat_jid: String,
    /// The media (its SHA-256 is the line's `mediaHash`).
    pub body: Arc<Vec<u8>>,
    /// Queued by auto-download (else started by a tap).
    pub auto: bool,
    /// The connectivity token: `W` Wi-Fi, `M` mobile data.
    pub network: char,
}

impl Phone {
    /// True time as the phone's clock reads it.
    pub fn clock(&self, t: Micros) -> Micros {
        t + self.clock_offset
    }

    /// The masks in force at `t`.
    pub fn masks_at(&self, t: Micros) -> [u32; 3] {
        match self.earlier {
            Some((m, until)) if t < until => m,
            _ => self.masks,
        }
    }
}

/// One WhatsApp message received on the phone.
#[derive(Debug, Clone)]
pub struct WaMessage {
    /// Sent (server time, true).
    pub sent: Micros,
    /// Received by the phone (true).
    pub received: Micros,
    /// The chat's JID (`…@g.us` for a group).
    pub chat_jid: String,
    /// The group's name.
    pub subject: Option<String>,
    /// The sender's JID.
    pub sender_jid: String,
    /// Message key id.
    pub key_id: String,
    /// WhatsApp message type (0 text, 1 image, 9 document).
    pub message_type: i64,
    /// Media: path relative to the WhatsApp folder, MIME type and content; and
    /// whether it was fetched.
    pub media: Option<(String, &'static str, Arc<Vec<u8>>, bool)>,
    /// The subject had the chat open at or after this message by the time the
    /// phone was copied: the chat's last-read mark is at or after it.
    pub read: bool,
}

/// One operation in a Microsoft 365 unified audit log (SharePoint/OneDrive).
#[derive(Debug, Clone)]
pub struct CloudOp {
    /// When (true time; the service's clock is UTC and exact).
    pub ts: Micros,
    /// `Operation`.
    pub operation: &'static str,
    /// `UserId`.
    pub user: String,
    /// `ClientIP`.
    pub client_ip: String,
    /// `UserAgent`.
    pub user_agent: String,
    /// `SiteUrl` (ends with `/`).
    pub site: String,
    /// `SourceRelativeUrl` (the library folder).
    pub folder: String,
    /// `SourceFileName`.
    pub name: String,
    /// `FileSizeBytes`.
    pub size: u64,
}

/// Everything of one bundle.
#[derive(Debug, Clone)]
pub struct World {
    /// The subject's address.
    pub subject_ip: String,
    /// The subject's device.
    pub device: Device,
    /// Web servers by host name.
    pub hosts: BTreeMap<String, Host>,
    /// Requests (any order; writers sort).
    pub requests: Vec<Request>,
    /// Visits in the subject's browser, in order of time.
    pub visits: Vec<Visit>,
    /// Downloads.
    pub downloads: Vec<Download>,
    /// Cache entries.
    pub cache: Vec<CacheEntry>,
    /// Marks of the Web.
    pub markers: Vec<Marker>,
    /// Files of the device tree.
    pub files: Vec<TreeFile>,
    /// The person's opens of files through the Windows shell (Recent Items).
    pub shortcuts: Vec<Shortcut>,
    /// Whether the browser history was obtained at all.
    pub history_in_bundle: bool,
    /// Whether the browser cache was obtained.
    pub cache_in_bundle: bool,
    /// Background requests from other clients to write into the server logs.
    pub noise_requests: u64,
    /// First and last moment of the bundle (true time).
    pub span: (Micros, Micros),
    /// The subject's phone, when a scenario involves messaging.
    pub phone: Option<Phone>,
    /// A phone with Telegram.
    pub tg: Option<TgPhone>,
    /// The cloud provider's audit log (the organisation's, every user).
    pub cloud_ops: Vec<CloudOp>,
    /// The subject's Windows session events (true time), written as the
    /// device's Security log when there are any.
    pub presence: Vec<(Micros, crate::write::evtx::Presence)>,
}

impl World {
    /// A world with nothing in it yet: the subject's address and device, from `epoch`.
    pub fn new(subject_ip: String, device: Device, epoch: Micros) -> Self {
        Self {
            subject_ip,
            device,
            hosts: BTreeMap::new(),
            requests: Vec::new(),
            visits: Vec::new(),
            downloads: Vec::new(),
            cache: Vec::new(),
            markers: Vec::new(),
            files: Vec::new(),
            shortcuts: Vec::new(),
            history_in_bundle: true,
            cache_in_bundle: true,
            noise_requests: 0,
            span: (epoch, epoch),
            phone: None,
            tg: None,
            cloud_ops: Vec::new(),
            presence: Vec::new(),
        }
    }
}
