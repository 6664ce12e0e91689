//! One module per evidence format. Each has the same doc headings: What it
//! reads / Versions seen / Events emitted / What it cannot tell us / References.

pub mod android_downloads;
pub mod android_mmssms;
pub mod apache_access;
pub mod apple_cfurl_cache;
pub mod aws_cloudtrail;
pub mod aws_elb;
pub mod aws_s3_access;
pub mod bodyfile;
pub mod caddy_access;
pub mod chrome_cache;
pub mod chrome_history;
pub mod cloudflare_http;
pub mod dropbox_events;
pub mod dropbox_sync_history;
pub mod firefox_cache2;
pub mod firefox_downloads;
pub mod firefox_downloads_json;
pub mod firefox_places;
pub mod gdrive_audit;
pub mod imessage_chat;
pub mod m365_audit;
pub mod macos_quarantine;
pub mod nginx_access;
pub mod plaso_json_line;
pub mod safari_history;
pub mod telegram_cache4;
pub mod telegram_mainconfig;
pub mod timeline_import;
pub mod timesketch_jsonl;
pub mod w3c_extended;
pub mod whatsapp_log;
pub mod whatsapp_msgstore;
pub mod whatsapp_prefs;
pub mod windows_evtx;
pub mod zone_identifier;
