//! The fixture table: (source, fixture, options) → exact counts, the exact
//! records of the rejects, and a snapshot of the canonical event dump.

use std::path::PathBuf;

use waybill_testkit::{Opts, fixture, ingest_path, materialize};

/// One fixture and what it must give.
pub struct Case {
    pub source: &'static str,
    pub file: &'static str,
    pub opts: fn() -> Opts,
    /// (records, events, rejects)
    pub counts: (u64, u64, u64),
    /// The `record` of every reject, in order.
    pub rejects: &'static [&'static str],
}

const CUSTOM_APACHE: &str = r#"apache:%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" \"%{Sec-Fetch-Site}i\" \"%{Sec-Fetch-Mode}i\" \"%{Sec-Fetch-Dest}i\" \"%{Sec-Fetch-User}i\" \"%{Sec-Purpose}i\" \"%{Range}i\""#;
const STRFTIME_APACHE: &str = r#"apache:%h [%{%Y-%m-%d %H:%M:%S}t] "%r" %>s %b"#;
const NGINX_JSON: &str = r#"nginx:{"ts":"$time_iso8601","ip":"$remote_addr","req":"$request","status":$status,"bytes":$body_bytes_sent,"ref":"$http_referer","ua":"$http_user_agent","site":"$http_sec_fetch_site","mode":"$http_sec_fetch_mode","dest":"$http_sec_fetch_dest","user":"$http_sec_fetch_user","purpose":"$http_sec_purpose","range":"$http_range"}"#;

fn none() -> Opts {
    Opts::default()
}

/// The mtime given to copies of Zone.Identifier fixtures (their events' time):
/// 2026-01-03T02:10:07Z.
pub const ZONE_MTIME: u64 = 1_767_406_207;

/// Every fixture. The sniff matrix in `registry` uses the same table.
pub const CASES: &[Case] = &[
    Case {
        source: "apache.access",
        file: "sec_fetch_custom_logformat.log",
        opts: || Opts::log_format(CUSTOM_APACHE),
        counts: (5, 5, 0),
        rejects: &[],
    },
    Case {
        source: "apache.access",
        file: "mixed_common_combined_vhost.log",
        opts: none,
        counts: (9, 7, 2),
        rejects: &["offset 874 line 8", "offset 917 line 9"],
    },
    Case {
        source: "apache.access",
        file: "truncated_last_line.log",
        opts: none,
        counts: (3, 2, 1),
        rejects: &["offset 168 line 3"],
    },
    Case {
        source: "apache.access",
        file: "strftime_local_time.log",
        opts: || Opts { tz: Some("Europe/Berlin".into()), ..Opts::log_format(STRFTIME_APACHE) },
        counts: (4, 3, 1),
        rejects: &["offset 139 line 3"],
    },
    Case { source: "apache.access", file: "gzip_rotated.log.gz", opts: none, counts: (2, 2, 0), rejects: &[] },
    Case {
        source: "nginx.access",
        file: "json_escape_sec_fetch.log",
        opts: || Opts::log_format(NGINX_JSON),
        counts: (5, 4, 1),
        rejects: &["offset 1205 line 5"],
    },
    Case {
        source: "nginx.access",
        file: "main_format_xff.log",
        opts: || Opts::log_format("nginx:main"),
        counts: (2, 2, 0),
        rejects: &[],
    },
    Case {
        source: "w3c.extended",
        file: "iis_restart_new_fields.log",
        opts: none,
        counts: (4, 3, 1),
        rejects: &["offset 979 line 12"],
    },
    Case { source: "w3c.extended", file: "cloudfront_tab_encoded.log", opts: none, counts: (2, 2, 0), rejects: &[] },
    Case {
        source: "aws.elb",
        file: "alb_nlb_classic.log",
        opts: none,
        counts: (5, 4, 1),
        rejects: &["offset 1368 line 5"],
    },
    Case {
        source: "caddy.access",
        file: "sec_fetch_prefetch.log",
        opts: none,
        counts: (5, 3, 1),
        rejects: &["offset 2055 line 5"],
    },
    Case {
        source: "tsk.bodyfile",
        file: "ntfs_names_and_bad_lines.body",
        opts: none,
        counts: (9, 21, 2),
        rejects: &["offset 813 line 9", "offset 852 line 10"],
    },
    Case {
        source: "windows.zone_identifier",
        file: "report-2025.pdf:Zone.Identifier",
        opts: none,
        counts: (1, 1, 0),
        rejects: &[],
    },
    Case {
        source: "windows.zone_identifier",
        file: "notes.txt.Zone.Identifier",
        opts: none,
        counts: (1, 1, 0),
        rejects: &[],
    },
    Case {
        source: "windows.zone_identifier",
        file: "script.ps1.Zone.Identifier",
        opts: none,
        counts: (1, 1, 0),
        rejects: &[],
    },
    Case {
        source: "windows.zone_identifier",
        file: "no_zone_id.bin.Zone.Identifier",
        opts: none,
        counts: (1, 0, 1),
        rejects: &["whole input"],
    },
    Case { source: "windows.lnk", file: "NeroInfoTool.lnk", opts: none, counts: (1, 1, 0), rejects: &[] },
    Case { source: "windows.lnk", file: "unpaired_surrogate.lnk", opts: none, counts: (1, 1, 0), rejects: &[] },
    Case { source: "windows.lnk", file: "recent_network_share.lnk", opts: none, counts: (1, 1, 0), rejects: &[] },
    Case {
        source: "windows.lnk",
        file: "no_link_info_example.lnk",
        opts: none,
        counts: (1, 0, 1),
        rejects: &["whole input"],
    },
    Case {
        source: "windows.lnk",
        file: "cut_in_link_info.lnk",
        opts: none,
        counts: (1, 0, 1),
        rejects: &["whole input"],
    },
    Case {
        source: "windows.lnk",
        file: "desktop_shortcut.lnk",
        opts: none,
        counts: (1, 0, 1),
        rejects: &["whole input"],
    },
    Case { source: "chrome.cache", file: "600a24a7de3d970d_0", opts: none, counts: (1, 1, 0), rejects: &[] },
    Case { source: "chrome.cache", file: "a93d890c06361912_0", opts: none, counts: (1, 1, 0), rejects: &[] },
    Case { source: "chrome.cache", file: "unclosed_entry_0", opts: none, counts: (1, 0, 1), rejects: &["whole input"] },
    Case {
        source: "chrome.blockfile",
        file: "chained_long_key_external_and_damaged/index",
        opts: none,
        counts: (7, 4, 3),
        rejects: &["cache address 0xa0010fa0", "cache address 0xa001000d", "cache address 0xa001000f"],
    },
    Case {
        source: "apple.cfurl_cache",
        file: "app_cache_inline_fs_damaged.sql",
        opts: none,
        counts: (4, 3, 1),
        rejects: &["cfurl_cache_response rowid 3"],
    },
    Case {
        source: "firefox.cache2",
        file: "DC041165F80703B144097FD310372EEAD6588C62",
        opts: none,
        counts: (1, 1, 0),
        rejects: &[],
    },
    Case {
        source: "firefox.cache2",
        file: "1D0232E41158F8B0C8B445A5DE0529A19B732AC6",
        opts: none,
        counts: (1, 1, 0),
        rejects: &[],
    },
    Case {
        source: "firefox.cache2",
        file: "24451731ED8B969463C90001FAF7E534EDC91CFA",
        opts: none,
        counts: (1, 1, 0),
        rejects: &[],
    },
    Case {
        source: "firefox.cache2",
        file: "3EDD6D9B12ECC6641F96F7DC5817D8EBE77DA8C7",
        opts: none,
        counts: (1, 1, 0),
        rejects: &[],
    },
    Case {
        source: "firefox.cache2",
        file: "31D67FBBAC46076C806747CB0AB3A120ACC8C16A",
        opts: none,
        counts: (1, 0, 1),
        rejects: &["whole input"],
    },
    Case {
        source: "chrome.history",
        file: "v70_typed_search_click_download.sql",
        opts: none,
        counts: (7, 7, 1),
        rejects: &["visits rowid 6"],
    },
    Case {
        source: "chrome.history",
        file: "v16_linux_unix_epoch_legacy_downloads.sql",
        opts: none,
        counts: (2, 2, 0),
        rejects: &[],
    },
    Case {
        source: "firefox.places",
        file: "modern_download_annotations.sql",
        opts: none,
        counts: (8, 8, 1),
        rejects: &["moz_annos rowid 3"],
    },
    Case {
        source: "firefox.downloads",
        file: "finished_failed_and_unstarted.sql",
        opts: none,
        counts: (3, 4, 1),
        rejects: &["moz_downloads rowid 3"],
    },
    Case {
        source: "firefox.downloads_json",
        file: "in_progress_partial_and_untimed.json",
        opts: none,
        counts: (3, 2, 1),
        rejects: &["list[2]"],
    },
    Case {
        source: "safari.history",
        file: "redirect_chain_post_synced.sql",
        opts: none,
        counts: (6, 5, 1),
        rejects: &["history_visits rowid 15"],
    },
    Case {
        source: "macos.quarantine",
        file: "web_mail_messages_attachments.sql",
        opts: none,
        counts: (4, 3, 1),
        rejects: &["LSQuarantineEvent rowid 4"],
    },
    Case {
        source: "aws.s3_access",
        file: "old_and_new_layouts_truncated.log",
        opts: none,
        counts: (7, 6, 1),
        rejects: &["offset 2640 line 7"],
    },
    Case {
        source: "aws.cloudtrail",
        file: "records_array_service_replication.json",
        opts: none,
        counts: (6, 4, 1),
        rejects: &["Records[3]"],
    },
    Case {
        source: "aws.cloudtrail",
        file: "jsonl_lookup_events_and_data_events.jsonl",
        opts: none,
        counts: (5, 4, 1),
        rejects: &["offset 3945 line 5"],
    },
    Case {
        source: "aws.cloudtrail",
        file: "pretty_printed_cut_document.json.gz",
        opts: none,
        counts: (3, 2, 1),
        rejects: &["Records[2]"],
    },
    Case {
        source: "cloudflare.http",
        file: "unixnano_eyeball_worker_prefetch.jsonl",
        opts: none,
        counts: (5, 4, 1),
        rejects: &["offset 2404 line 4"],
    },
    Case {
        source: "cloudflare.http",
        file: "rfc3339_field_subsets.jsonl",
        opts: none,
        counts: (5, 3, 2),
        rejects: &["offset 640 line 4", "offset 736 line 5"],
    },
    Case {
        source: "cloudflare.http",
        file: "unix_seconds_always_online.jsonl",
        opts: none,
        counts: (2, 2, 0),
        rejects: &[],
    },
    Case {
        source: "android.downloads",
        file: "browser_messenger_hidden_and_app_completed.sql",
        opts: none,
        counts: (6, 5, 1),
        rejects: &["downloads rowid 106"],
    },
    Case {
        source: "android.mmssms",
        file: "sms_mms_retrieved_notified_and_orphan_part.sql",
        opts: none,
        counts: (13, 7, 2),
        rejects: &["sms rowid 4", "part rowid 5"],
    },
    Case {
        source: "imessage.chat",
        file: "ns_and_second_dates_group_attachments.sql",
        opts: none,
        counts: (8, 6, 2),
        rejects: &["message rowid 4", "attachment rowid 4"],
    },
    Case {
        source: "dropbox.sync_history",
        file: "shared_folder_other_user_delete_and_zero_time.sql",
        opts: none,
        counts: (5, 4, 1),
        rejects: &["sync_history rowid 5"],
    },
    Case {
        source: "plaso.json_line",
        file: "psort_mixed_data_types_truncated_last_line.jsonl",
        opts: none,
        counts: (21, 19, 2),
        rejects: &["offset 17604 line 16", "offset 38056 line 21"],
    },
    Case {
        source: "timesketch.jsonl",
        file: "plaso_derived_waybill_export_and_bad_times.jsonl",
        opts: none,
        counts: (12, 9, 3),
        rejects: &["offset 153 line 2", "offset 4999 line 10", "offset 5108 line 11"],
    },
    Case {
        source: "whatsapp.msgstore",
        file: "current_group_autofetch_document_sent_video.sql",
        opts: none,
        counts: (10, 10, 1),
        rejects: &["message rowid 9"],
    },
    Case {
        source: "whatsapp.msgstore",
        file: "legacy_messages_mediadata_blobs.sql",
        opts: none,
        counts: (8, 6, 1),
        rejects: &["messages rowid 7"],
    },
    Case {
        source: "whatsapp.msgstore",
        file: "migrated_message_plus_legacy_rows.sql",
        opts: none,
        counts: (3, 3, 0),
        rejects: &[],
    },
    Case {
        source: "whatsapp.msgstore",
        file: "current_last_read_mark_unread_media.sql",
        opts: none,
        counts: (9, 13, 0),
        rejects: &[],
    },
    Case {
        source: "whatsapp.msgstore",
        file: "legacy_chat_list_last_read_mark.sql",
        opts: none,
        counts: (3, 2, 0),
        rejects: &[],
    },
    Case {
        source: "whatsapp.prefs",
        file: "masks_all_on_preferences_light.xml",
        opts: none,
        counts: (1, 1, 0),
        rejects: &[],
    },
    Case {
        source: "whatsapp.prefs",
        file: "images_off_cellular_no_roaming_key_preferences.xml",
        opts: none,
        counts: (1, 1, 0),
        rejects: &[],
    },
    Case {
        source: "whatsapp.prefs",
        file: "truncated_preferences.xml",
        opts: none,
        counts: (1, 0, 1),
        rejects: &["whole input"],
    },
    Case {
        source: "telegram.cache4",
        file: "messages_tapped_queue_bad_rows.sql",
        opts: none,
        counts: (11, 7, 3),
        rejects: &["messages_v2 rowid 5", "messages_v2 rowid 6", "downloading_documents rowid 3"],
    },
    Case {
        source: "telegram.mainconfig",
        file: "custom_mobile_no_group_documents_mainconfig.xml",
        opts: none,
        counts: (1, 1, 0),
        rejects: &[],
    },
    Case {
        source: "telegram.mainconfig",
        file: "truncated_mainconfig.xml",
        opts: none,
        counts: (1, 0, 1),
        rejects: &["whole input"],
    },
    Case {
        source: "whatsapp.ios_chatstorage",
        file: "group_image_document_undownloaded_system_bad_rows.sql",
        opts: none,
        counts: (7, 6, 2),
        rejects: &["ZWAMESSAGE rowid 6", "ZWAMESSAGE rowid 7"],
    },
    Case {
        source: "signal.prefs",
        file: "mobile_images_only_roaming_empty_preferences.xml",
        opts: none,
        counts: (1, 1, 0),
        rejects: &[],
    },
    Case {
        source: "signal.prefs",
        file: "wifi_set_stored_as_string_preferences.xml",
        opts: none,
        counts: (1, 0, 1),
        rejects: &["whole input"],
    },
    Case {
        source: "whatsapp.log",
        file: "auto_manual_header_offset_stacktrace.log",
        opts: none,
        counts: (12, 5, 1),
        rejects: &["offset 1409 line 13"],
    },
    Case { source: "whatsapp.log", file: "whatsapp-2024-03-04.1.log.gz", opts: none, counts: (3, 1, 0), rejects: &[] },
    Case {
        source: "m365.audit",
        file: "powershell_export_bom_multiline_auditdata.csv",
        opts: none,
        counts: (8, 5, 2),
        rejects: &["offset 54 line 2", "offset 1184 line 3"],
    },
    Case {
        source: "m365.audit",
        file: "purview_new_layout_cut_rows.csv",
        opts: none,
        counts: (7, 4, 2),
        rejects: &["offset 5125 line 6", "offset 6892 line 8"],
    },
    Case {
        source: "m365.audit",
        file: "management_api_jsonl_ipv6_sync.jsonl",
        opts: none,
        counts: (7, 4, 2),
        rejects: &["offset 3362 line 5", "offset 4436 line 7"],
    },
    Case {
        source: "m365.audit",
        file: "convertto_json_wrapped_auditdata_cut.json",
        opts: none,
        counts: (3, 2, 1),
        rejects: &["entry 2"],
    },
    Case {
        source: "gdrive.audit",
        file: "reports_api_page_sync_vs_browser.json",
        opts: none,
        counts: (6, 5, 1),
        rejects: &["items[5]"],
    },
    Case {
        source: "gdrive.audit",
        file: "activities_jsonl_reconciled_revoked_cut.jsonl",
        opts: none,
        counts: (7, 4, 1),
        rejects: &["offset 5467 line 8"],
    },
    Case {
        source: "dropbox.events",
        file: "get_events_page_desktop_vs_web.json",
        opts: none,
        counts: (7, 6, 0),
        rejects: &[],
    },
    Case {
        source: "dropbox.events",
        file: "team_events_jsonl_anonymous_automation_cut.jsonl",
        opts: none,
        counts: (7, 6, 2),
        rejects: &["offset 4386 line 5", "offset 6944 line 7"],
    },
    Case {
        source: "windows.evtx",
        file: "lock_unlock_screensaver_sleep.evtx",
        opts: none,
        counts: (10, 9, 0),
        rejects: &[],
    },
    Case {
        source: "windows.evtx",
        file: "corrupted_record.evtx",
        opts: none,
        counts: (5, 4, 1),
        rejects: &["EventRecordID 3"],
    },
];

/// The path to parse for a case: SQL scripts are built; Zone.Identifier streams,
/// preference files and shortcuts are copied (name kept) with a fixed mtime,
/// since the event's time is the mtime; a shortcut into a Recent Items folder
/// (a Desktop folder for `desktop_*`).
pub fn prepare(case: &Case) -> (PathBuf, Option<tempfile::TempDir>) {
    let p = materialize(&fixture(case.source, case.file));
    if !["windows.zone_identifier", "whatsapp.prefs", "telegram.mainconfig", "signal.prefs", "windows.lnk"]
        .contains(&case.source)
    {
        return (p, None);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = match case.source {
        "windows.lnk" if case.file.starts_with("desktop_") => dir.path().join("Users/alice/Desktop"),
        "windows.lnk" => dir.path().join("Users/alice/AppData/Roaming/Microsoft/Windows/Recent"),
        _ => dir.path().to_owned(),
    };
    std::fs::create_dir_all(&folder).expect("folder");
    let copy = folder.join(case.file);
    std::fs::copy(&p, &copy).expect("copy fixture");
    let f = std::fs::File::options().write(true).open(&copy).expect("open copy");
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(ZONE_MTIME)).expect("set mtime");
    (copy, Some(dir))
}

fn run(case: &Case) {
    let (path, _keep) = prepare(case);
    let got = ingest_path(&path, &(case.opts)()).unwrap_or_else(|e| panic!("{}: {e}", case.file));
    assert_eq!(got.summary.format, case.source, "{}: sniffed format", case.file);
    let c = got.summary.counts;
    assert_eq!((c.records, c.events, c.rejects), case.counts, "{}: (records, events, rejects)", case.file);
    assert_eq!(c.records, c.accepted() + c.rejects);
    assert_eq!(got.events.len() as u64, c.events);
    let rejects: Vec<&str> = got.rejects.iter().map(|r| r.record.as_str()).collect();
    assert_eq!(rejects, case.rejects, "{}: reject records", case.file);
    let name = format!("{}__{}", case.source.replace('.', "_"), case.file.replace([':', '.', '/'], "_"));
    insta::assert_snapshot!(name, got.canonical());
}

/// The case of a fixture file (file names are unique across the table).
fn case(file: &str) -> &'static Case {
    let mut found = CASES.iter().filter(|c| c.file == file);
    let c = found.next().unwrap_or_else(|| panic!("no case for {file}"));
    assert!(found.next().is_none(), "two cases for {file}");
    c
}

macro_rules! table_tests {
    ($($name:ident => $file:expr;)*) => {
        $(
            #[test]
            fn $name() {
                run(case($file));
            }
        )*
        #[test]
        fn every_case_has_a_test() {
            let named: std::collections::BTreeSet<&str> = [$($file),*].into_iter().collect();
            let all: std::collections::BTreeSet<&str> = CASES.iter().map(|c| c.file).collect();
            assert_eq!(named, all, "add a line to table_tests! for every case");
            assert_eq!(all.len(), CASES.len(), "fixture file names must be unique");
        }
    };
}

table_tests! {
    windows_lnk_nero_info_tool => "NeroInfoTool.lnk";
    windows_lnk_unpaired_surrogate => "unpaired_surrogate.lnk";
    windows_lnk_recent_network_share => "recent_network_share.lnk";
    windows_lnk_no_link_info => "no_link_info_example.lnk";
    windows_lnk_cut_in_link_info => "cut_in_link_info.lnk";
    windows_lnk_desktop_shortcut => "desktop_shortcut.lnk";
    apple_cfurl_cache_inline_fs_damaged => "app_cache_inline_fs_damaged.sql";
    firefox_cache2_v3_partitioned_gzip => "DC041165F80703B144097FD310372EEAD6588C62";
    firefox_cache2_v1_no_flags => "1D0232E41158F8B0C8B445A5DE0529A19B732AC6";
    firefox_cache2_v3_alt_data => "24451731ED8B969463C90001FAF7E534EDC91CFA";
    firefox_cache2_v3_two_chunks => "3EDD6D9B12ECC6641F96F7DC5817D8EBE77DA8C7";
    firefox_cache2_zeroed_times => "31D67FBBAC46076C806747CB0AB3A120ACC8C16A";
    evtx_lock_unlock_screensaver_sleep => "lock_unlock_screensaver_sleep.evtx";
    evtx_corrupted_record => "corrupted_record.evtx";
    apache_sec_fetch_custom_logformat => "sec_fetch_custom_logformat.log";
    apache_mixed_common_combined_vhost => "mixed_common_combined_vhost.log";
    apache_truncated_last_line => "truncated_last_line.log";
    apache_strftime_local_time => "strftime_local_time.log";
    apache_gzip_rotated => "gzip_rotated.log.gz";
    nginx_json_escape_sec_fetch => "json_escape_sec_fetch.log";
    nginx_main_format_xff => "main_format_xff.log";
    w3c_iis_restart_new_fields => "iis_restart_new_fields.log";
    w3c_cloudfront_tab_encoded => "cloudfront_tab_encoded.log";
    elb_alb_nlb_classic => "alb_nlb_classic.log";
    caddy_sec_fetch_prefetch => "sec_fetch_prefetch.log";
    bodyfile_ntfs_names_and_bad_lines => "ntfs_names_and_bad_lines.body";
    zone_browser_download => "report-2025.pdf:Zone.Identifier";
    zone_extracted_from_archive => "notes.txt.Zone.Identifier";
    zone_utf16_last_writer => "script.ps1.Zone.Identifier";
    zone_without_zone_id => "no_zone_id.bin.Zone.Identifier";
    cache_partitioned_minimal_pickle => "600a24a7de3d970d_0";
    cache_current_pickle_gzip_cross_site => "a93d890c06361912_0";
    cache_unclosed_entry => "unclosed_entry_0";
    blockfile_chained_long_key_external_and_damaged => "chained_long_key_external_and_damaged/index";
    chrome_v70_typed_search_click_download => "v70_typed_search_click_download.sql";
    chrome_v16_linux_legacy => "v16_linux_unix_epoch_legacy_downloads.sql";
    firefox_places_modern_downloads => "modern_download_annotations.sql";
    firefox_downloads_legacy => "finished_failed_and_unstarted.sql";
    firefox_downloads_json => "in_progress_partial_and_untimed.json";
    safari_redirect_chain => "redirect_chain_post_synced.sql";
    quarantine_attachments => "web_mail_messages_attachments.sql";
    s3_access_old_and_new_layouts => "old_and_new_layouts_truncated.log";
    cloudtrail_records_array_replication => "records_array_service_replication.json";
    cloudtrail_jsonl_lookup_events => "jsonl_lookup_events_and_data_events.jsonl";
    cloudtrail_pretty_printed_cut_gzip => "pretty_printed_cut_document.json.gz";
    cloudflare_unixnano_worker_prefetch => "unixnano_eyeball_worker_prefetch.jsonl";
    cloudflare_rfc3339_field_subsets => "rfc3339_field_subsets.jsonl";
    cloudflare_unix_seconds_always_online => "unix_seconds_always_online.jsonl";
    android_downloads_apps_hidden_completed => "browser_messenger_hidden_and_app_completed.sql";
    android_mmssms_sms_mms_parts => "sms_mms_retrieved_notified_and_orphan_part.sql";
    imessage_ns_and_second_dates => "ns_and_second_dates_group_attachments.sql";
    dropbox_sync_history_shared_folder => "shared_folder_other_user_delete_and_zero_time.sql";
    plaso_json_line_mixed_data_types => "psort_mixed_data_types_truncated_last_line.jsonl";
    timesketch_plaso_derived_waybill_export => "plaso_derived_waybill_export_and_bad_times.jsonl";
    whatsapp_current_group_autofetch => "current_group_autofetch_document_sent_video.sql";
    whatsapp_legacy_mediadata_blobs => "legacy_messages_mediadata_blobs.sql";
    whatsapp_migrated_both_tables => "migrated_message_plus_legacy_rows.sql";
    whatsapp_current_last_read_mark => "current_last_read_mark_unread_media.sql";
    whatsapp_legacy_last_read_mark => "legacy_chat_list_last_read_mark.sql";
    whatsapp_prefs_all_on => "masks_all_on_preferences_light.xml";
    whatsapp_prefs_images_off_cellular => "images_off_cellular_no_roaming_key_preferences.xml";
    whatsapp_prefs_truncated => "truncated_preferences.xml";
    telegram_cache4_messages_tapped_queue => "messages_tapped_queue_bad_rows.sql";
    whatsapp_ios_group_image_document => "group_image_document_undownloaded_system_bad_rows.sql";
    signal_prefs_mobile_images_only => "mobile_images_only_roaming_empty_preferences.xml";
    signal_prefs_wifi_as_string => "wifi_set_stored_as_string_preferences.xml";
telegram_mainconfig_custom_mobile => "custom_mobile_no_group_documents_mainconfig.xml";
telegram_mainconfig_truncated => "truncated_mainconfig.xml";
whatsapp_log_auto_manual_header_offset => "auto_manual_header_offset_stacktrace.log";
    whatsapp_log_gzip_rotation => "whatsapp-2024-03-04.1.log.gz";
    m365_powershell_export_bom_multiline => "powershell_export_bom_multiline_auditdata.csv";
    m365_purview_new_layout_cut_rows => "purview_new_layout_cut_rows.csv";
    m365_management_api_jsonl_ipv6_sync => "management_api_jsonl_ipv6_sync.jsonl";
    m365_convertto_json_wrapped_cut => "convertto_json_wrapped_auditdata_cut.json";
    gdrive_reports_api_page_sync_vs_browser => "reports_api_page_sync_vs_browser.json";
    gdrive_jsonl_reconciled_revoked_cut => "activities_jsonl_reconciled_revoked_cut.jsonl";
    dropbox_get_events_desktop_vs_web => "get_events_page_desktop_vs_web.json";
    dropbox_jsonl_anonymous_automation_cut => "team_events_jsonl_anonymous_automation_cut.jsonl";
}
