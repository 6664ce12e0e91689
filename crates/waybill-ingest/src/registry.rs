//! The ordered list of every evidence source.
//!
//! Order matters only when several sources sniff `Yes` on the same input: the
//! first wins. So a source that only says `Yes` when the examiner asked for it
//! (nginx with `--log-format nginx:…`) comes before the general one that would
//! also accept the same lines (`apache.access`), and specific SQLite schemas come
//! before general ones. The registry tests check that every fixture sniffs `Yes`
//! for its own source only, so ties are rare by construction.

use crate::source::Source;
use crate::sources::{
    android_downloads::AndroidDownloads, android_mmssms::AndroidMmsSms, dropbox_sync_history::DropboxSyncHistory,
    imessage_chat::ImessageChat,
};
use crate::sources::{
    apache_access::ApacheAccess, apple_cfurl_cache::AppleCfurlCache, aws_elb::AwsElb, bodyfile::Bodyfile,
    caddy_access::CaddyAccess, chrome_blockfile::ChromeBlockfile, chrome_cache::ChromeCache,
    chrome_history::ChromeHistory, firefox_cache2::FirefoxCache2, firefox_downloads::FirefoxDownloads,
    firefox_downloads_json::FirefoxDownloadsJson, firefox_places::FirefoxPlaces, macos_quarantine::MacosQuarantine,
    nginx_access::NginxAccess, safari_history::SafariHistory, w3c_extended::W3cExtended, windows_evtx::WindowsEvtx,
    windows_lnk::WindowsLnk, zone_identifier::ZoneIdentifier,
};
use crate::sources::{aws_cloudtrail::AwsCloudtrail, aws_s3_access::AwsS3Access, cloudflare_http::CloudflareHttp};
use crate::sources::{dropbox_events::DropboxEvents, gdrive_audit::GdriveAudit, m365_audit::M365Audit};
use crate::sources::{plaso_json_line::PlasoJsonLine, timesketch_jsonl::TimesketchJsonl};
use crate::sources::{signal_prefs::SignalPrefs, whatsapp_ios::WhatsappIos};
use crate::sources::{telegram_cache4::TelegramCache4, telegram_mainconfig::TelegramMainconfig};
use crate::sources::{whatsapp_log::WhatsappLog, whatsapp_msgstore::WhatsappMsgstore, whatsapp_prefs::WhatsappPrefs};

/// Every source, in sniffing priority order.
pub static SOURCES: &[&dyn Source] = &[
    // Web server, CDN and load-balancer logs.
    &NginxAccess,
    &ApacheAccess,
    &W3cExtended,
    &AwsElb,
    &AwsS3Access,
    &CaddyAccess,
    &CloudflareHttp,
    // Cloud audit logs.
    &AwsCloudtrail,
    &M365Audit,
    &GdriveAudit,
    &DropboxEvents,
    // Browser databases.
    &ChromeHistory,
    &FirefoxPlaces,
    &FirefoxDownloads,
    &FirefoxDownloadsJson,
    &SafariHistory,
    &ChromeCache,
    &ChromeBlockfile,
    &FirefoxCache2,
    &AppleCfurlCache,
    // File-system timelines and origin markers.
    &Bodyfile,
    &ZoneIdentifier,
    &WindowsLnk,
    &MacosQuarantine,
    // Device state: sessions and power.
    &WindowsEvtx,
    // Mobile and desktop messaging databases.
    &AndroidMmsSms,
    &ImessageChat,
    &WhatsappMsgstore,
    &WhatsappIos,
    &TelegramCache4,
    // Messaging apps' own logs (download decisions).
    &WhatsappLog,
    // Messaging apps' settings (auto-download masks).
    &WhatsappPrefs,
    &TelegramMainconfig,
    &SignalPrefs,
    // Download managers and sync clients.
    &AndroidDownloads,
    &DropboxSyncHistory,
    // Timelines exported by other tools (plaso, Timesketch, waybill's own export).
    &PlasoJsonLine,
    &TimesketchJsonl,
];

/// The source with this id.
pub fn find(id: &str) -> Option<&'static dyn Source> {
    SOURCES.iter().copied().find(|s| s.id() == id)
}
