//! Writes a synthetic log in one of the text formats of the messaging, cloud
//! and CDN sources, of any size, for the per-source ingest benchmark.
//!
//! ```text
//! gen_source_log FORMAT OUT SIZE [SEED]      # SIZE: 256MiB, 1GiB, …
//! gen_source_log --list
//! ```
//!
//! Each record is built from the layout the source's fixtures document (the
//! same fields, in the same order, as the service writes them) with varied
//! times, addresses, users, operations, paths and ids, so no two lines are
//! alike. Benign, deterministic content: documentation addresses, example
//! domains, invented names.

use std::fmt::Write as _;
use std::io::{BufWriter, Write};

use waybill_bench::{Rng, parse_size};

/// The formats, with the source each is read by.
const FORMATS: &[(&str, &str)] = &[
    ("m365-jsonl", "m365.audit"),
    ("m365-csv", "m365.audit"),
    ("gdrive-jsonl", "gdrive.audit"),
    ("dropbox-jsonl", "dropbox.events"),
    ("s3-access", "aws.s3_access"),
    ("cloudtrail-jsonl", "aws.cloudtrail"),
    ("cloudflare-jsonl", "cloudflare.http"),
    ("plaso-jsonl", "plaso.json_line"),
    ("timesketch-jsonl", "timesketch.jsonl"),
];

const USERS: &[&str] = &["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];
const EXTS: &[&str] = &["jpg", "png", "pdf", "docx", "xlsx", "mp4", "zip", "txt"];
const FOLDERS: &[&str] = &["Documents", "Photos", "Shared Documents/Q4", "Projects/alpha", "Media", "Inbox"];
const UAS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Microsoft SkyDriveSync 25.001.0105.0002 ship; Windows NT 10.0 (19045)",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "aws-cli/2.15.0 md/Botocore#1.34.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
];
const MONTHS: &[&str] = &["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Civil time of `t` (seconds since 1970, UTC).
struct Civil {
    y: i64,
    mo: u32,
    d: u32,
    h: i64,
    mi: i64,
    s: i64,
}

fn civil(t: i64) -> Civil {
    let (y, mo, d) = waybill_model::time::civil_from_days(t.div_euclid(86_400));
    let sod = t.rem_euclid(86_400);
    Civil { y, mo, d, h: sod / 3600, mi: sod / 60 % 60, s: sod % 60 }
}

fn iso(t: i64) -> String {
    let c = civil(t);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", c.y, c.mo, c.d, c.h, c.mi, c.s)
}

/// One generated record's varying parts.
struct Rec {
    n: u64,
    t: i64,
    ms: u64,
    user: &'static str,
    ip: String,
    ua: &'static str,
    folder: &'static str,
    file: String,
    size: u64,
    pick: u64,
}

fn rec(rng: &mut Rng, n: u64, t: i64) -> Rec {
    let ip = match rng.below(3) {
        0 => format!("203.0.113.{}", rng.below(254) + 1),
        1 => format!("198.51.100.{}", rng.below(254) + 1),
        _ => format!("2001:db8::{:x}", rng.below(0xffff) + 1),
    };
    let ext = EXTS[rng.below(EXTS.len() as u64) as usize];
    Rec {
        n,
        t,
        ms: rng.below(1000),
        user: USERS[rng.below(USERS.len() as u64) as usize],
        ip,
        ua: UAS[rng.below(UAS.len() as u64) as usize],
        folder: FOLDERS[rng.below(FOLDERS.len() as u64) as usize],
        file: format!("file-{:06}.{ext}", rng.below(500_000)),
        size: 512 + rng.below(50_000_000),
        pick: rng.below(1 << 20),
    }
}

fn of<'a>(list: &[&'a str], r: &Rec) -> &'a str {
    list[(r.pick % list.len() as u64) as usize]
}

/// `AuditData` as the service writes it (CreationTime first, in UTC).
fn m365_audit_data(r: &Rec) -> String {
    let op = of(
        &[
            "FileDownloaded",
            "FileSyncDownloadedFull",
            "FileAccessed",
            "FilePreviewed",
            "PagePrefetched",
            "FileUploaded",
        ],
        r,
    );
    let time = format!("\"CreationTime\":\"{}\",", iso(r.t));
    format!(
        "{{{time}\"Id\":\"7b3c0c01-0000-4000-8000-{n:012x}\",\"Operation\":\"{op}\",\"OrganizationId\":\"4a5b6c7d-0000-4000-8000-000000000001\",\"RecordType\":6,\"UserKey\":\"i:0h.f|membership|10030000a1b2c3d4@live.com\",\"UserType\":0,\"Version\":1,\"Workload\":\"OneDrive\",\"ClientIP\":\"{ip}\",\"ObjectId\":\"https://contoso-my.example.com/personal/{u}_example_com/{folder}/{file}\",\"UserId\":\"{u}@example.com\",\"CorrelationId\":\"a1d2c3b4-0000-4000-8000-{c:012x}\",\"EventSource\":\"SharePoint\",\"ItemType\":\"File\",\"ListId\":\"0b1c2d3e-0000-4000-8000-0000000000a3\",\"ListItemUniqueId\":\"0b1c2d3e-0000-4000-8000-{n:012x}\",\"Site\":\"0b1c2d3e-0000-4000-8000-0000000000a9\",\"UserAgent\":\"{ua}\",\"WebId\":\"0b1c2d3e-0000-4000-8000-0000000000a2\",\"SourceFileExtension\":\"{ext}\",\"SiteUrl\":\"https://contoso-my.example.com/personal/{u}_example_com/\",\"SourceFileName\":\"{file}\",\"SourceRelativeUrl\":\"{folder}\"}}",
        n = r.n,
        ip = r.ip,
        u = r.user,
        folder = r.folder,
        file = r.file,
        c = r.pick,
        ua = r.ua,
        ext = r.file.rsplit('.').next().unwrap_or("bin"),
    )
}

fn line(format: &str, r: &Rec, out: &mut String) {
    out.clear();
    let c = civil(r.t);
    match format {
        "m365-jsonl" => out.push_str(&m365_audit_data(r)),
        "m365-csv" => {
            let (h12, ampm) = match c.h {
                0 => (12, "AM"),
                1..=11 => (c.h, "AM"),
                12 => (12, "PM"),
                h => (h - 12, "PM"),
            };
            let data = m365_audit_data(r).replace('"', "\"\"");
            let op = data.split("Operation\"\":\"\"").nth(1).and_then(|s| s.split("\"\"").next()).unwrap_or("");
            let _ = write!(
                out,
                "\"{}/{}/{} {}:{:02}:{:02} {ampm}\",\"{}@example.com\",\"{op}\",\"{data}\"",
                c.mo, c.d, c.y, h12, c.mi, c.s, r.user
            );
        }
        "gdrive-jsonl" => {
            let name = of(&["download", "view", "preview", "edit", "sync_item_content"], r);
            let _ = write!(
                out,
                "{{\"kind\":\"admin#reports#activity\",\"id\":{{\"time\":\"{}.{:03}Z\",\"uniqueQualifier\":\"-{}\",\"applicationName\":\"drive\",\"customerId\":\"C03az79cb\"}},\"etag\":\"\\\"yWqJ3fD0pQe1n8dC-7yZ0LmEwQk/-{}\\\"\",\"actor\":{{\"callerType\":\"USER\",\"email\":\"{u}@example.com\",\"profileId\":\"1042211554467890{:05}\"}},\"ipAddress\":\"{ip}\",\"ownerDomain\":\"example.com\",\"events\":[{{\"type\":\"access\",\"name\":\"{name}\",\"parameters\":[{{\"name\":\"primary_event\",\"boolValue\":true}},{{\"name\":\"billable\",\"boolValue\":true}},{{\"name\":\"owner_is_shared_drive\",\"boolValue\":false}},{{\"name\":\"owner\",\"value\":\"{o}@example.com\"}},{{\"name\":\"doc_id\",\"value\":\"1DoC{n:020}\"}},{{\"name\":\"doc_type\",\"value\":\"{ext}\"}},{{\"name\":\"is_encrypted\",\"boolValue\":false}},{{\"name\":\"doc_title\",\"value\":\"{file}\"}},{{\"name\":\"visibility\",\"value\":\"shared_internally\"}},{{\"name\":\"actor_is_collaborator_account\",\"boolValue\":false}},{{\"name\":\"owner_is_team_drive\",\"boolValue\":false}}]}}]}}",
                iso(r.t),
                r.ms,
                r.n,
                r.n,
                r.pick % 100_000,
                u = r.user,
                ip = r.ip,
                o = of(USERS, r),
                n = r.n,
                ext = r.file.rsplit('.').next().unwrap_or("bin"),
                file = r.file,
            );
        }
        "dropbox-jsonl" => {
            let (tag, cat, desc) = match r.pick % 3 {
                0 => ("file_download", "file_operations", "(file_operations) Downloaded files and/or folders"),
                1 => ("file_preview", "file_operations", "(file_operations) Previewed files and/or folders"),
                _ => ("shared_link_download", "sharing", "(sharing) Downloaded file/folder from shared link"),
            };
            let _ = write!(
                out,
                "{{\"timestamp\":\"{}Z\",\"event_category\":{{\".tag\":\"{cat}\"}},\"actor\":{{\".tag\":\"user\",\"user\":{{\".tag\":\"team_member\",\"account_id\":\"dbid:AAH4f99T0taONIb-{u}\",\"display_name\":\"{u}\",\"email\":\"{u}@example.com\",\"team_member_id\":\"dbmid:AAFdgehTzw7WlXhZ-{u}\"}}}},\"origin\":{{\"geo_location\":{{\"city\":\"Portland\",\"region\":\"Oregon\",\"country\":\"US\",\"ip_address\":\"{ip}\"}},\"access_method\":{{\".tag\":\"end_user\",\"end_user\":{{\".tag\":\"web\"}}}}}},\"involve_non_team_member\":false,\"context\":{{\".tag\":\"team_member\",\"account_id\":\"dbid:AAH4f99T0taONIb-{u}\",\"display_name\":\"{u}\",\"email\":\"{u}@example.com\",\"team_member_id\":\"dbmid:AAFdgehTzw7WlXhZ-{u}\"}},\"assets\":[{{\".tag\":\"file\",\"path\":{{\"contextual\":\"/{folder}/{file}\",\"namespace_relative\":{{\"ns_id\":\"5678\",\"relative_path\":\"/{file}\",\"is_shared_namespace\":true}}}},\"display_name\":\"{file}\",\"file_id\":\"id:jQKLsZFQImAAAAAA{n:08}\",\"file_size\":{size}}}],\"event_type\":{{\".tag\":\"{tag}\",\"description\":\"{desc}\"}},\"details\":{{\".tag\":\"{tag}_details\"}}}}",
                iso(r.t),
                u = r.user,
                ip = r.ip,
                folder = r.folder,
                file = r.file,
                n = r.n,
                size = r.size,
            );
        }
        "s3-access" => {
            let (op, method, status) = match r.pick % 4 {
                0 | 1 => ("REST.GET.OBJECT", "GET", 200),
                2 => ("REST.GET.OBJECT", "GET", 206),
                _ => ("REST.PUT.OBJECT", "PUT", 200),
            };
            let key = format!("{}/{}", r.folder.replace(' ', "%20"), r.file);
            let _ = write!(
                out,
                "5e1c0a9b8d7f6e5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a2918070605a media.example.com [{:02}/{}/{}:{:02}:{:02}:{:02} +0000] {ip} arn:aws:iam::111122223333:user/{u} {:016X} {op} {key} \"{method} /{key} HTTP/1.1\" {status} - {size} {size} {} {} \"https://www.example.com/\" \"{ua}\" - aGVsbG8gZXhhbXBsZSBob3N0IGlk{:08} SigV4 TLS_AES_128_GCM_SHA256 AuthHeader media.example.com.s3.us-east-1.amazonaws.com TLSv1.3 - -",
                c.d,
                MONTHS[(c.mo - 1) as usize],
                c.y,
                c.h,
                c.mi,
                c.s,
                r.n,
                20 + r.pick % 900,
                1 + r.pick % 40,
                r.n,
                ip = r.ip,
                u = r.user,
                size = r.size,
                ua = r.ua,
            );
        }
        "cloudtrail-jsonl" => {
            let name = of(&["GetObject", "GetObject", "PutObject", "CopyObject"], r);
            let _ = write!(
                out,
                "{{\"eventVersion\":\"1.09\",\"userIdentity\":{{\"type\":\"IAMUser\",\"principalId\":\"AIDAEXAMPLE{n:09}\",\"arn\":\"arn:aws:iam::111122223333:user/{u}\",\"accountId\":\"111122223333\",\"userName\":\"{u}\"}},\"eventTime\":\"{}Z\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"{name}\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"{ip}\",\"userAgent\":\"[{ua}]\",\"requestParameters\":{{\"bucketName\":\"media.example.com\",\"Host\":[\"media.example.com.s3.us-east-1.amazonaws.com\"],\"key\":\"{folder}/{file}\"}},\"responseElements\":null,\"additionalEventData\":{{\"bytesTransferredIn\":0,\"bytesTransferredOut\":{size},\"AuthenticationMethod\":\"AuthHeader\",\"SignatureVersion\":\"SigV4\"}},\"requestID\":\"{n:016X}\",\"eventID\":\"0b7c5a9e-2222-4a4a-9c9c-{n:012x}\",\"readOnly\":true,\"resources\":[{{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::media.example.com/{folder}/{file}\"}},{{\"accountId\":\"111122223333\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::media.example.com\"}}],\"eventType\":\"AwsApiCall\",\"managementEvent\":false,\"recipientAccountId\":\"111122223333\",\"eventCategory\":\"Data\"}}",
                iso(r.t),
                n = r.n,
                u = r.user,
                ip = r.ip,
                ua = r.ua,
                folder = r.folder,
                file = r.file,
                size = r.size,
            );
        }
        "cloudflare-jsonl" => {
            let source = of(&["eyeball", "eyeball", "eyeball", "edgeWorkerFetch", "prefetch"], r);
            let cache = of(&["hit", "miss", "expired", "dynamic"], r);
            let nanos = r.t as i128 * 1_000_000_000 + r.ms as i128 * 1_000_000;
            let _ = write!(
                out,
                "{{\"ClientIP\":\"{ip}\",\"ClientRequestHost\":\"media.example.com\",\"ClientRequestMethod\":\"GET\",\"ClientRequestURI\":\"/{folder}/{file}\",\"ClientRequestProtocol\":\"HTTP/2\",\"ClientRequestScheme\":\"https\",\"ClientRequestReferer\":\"https://www.example.com/\",\"ClientRequestUserAgent\":\"{ua}\",\"ClientRequestSource\":\"{source}\",\"EdgeStartTimestamp\":{nanos},\"EdgeEndTimestamp\":{},\"EdgeResponseStatus\":200,\"EdgeResponseBytes\":{size},\"EdgeResponseBodyBytes\":{size},\"EdgeResponseContentType\":\"application/octet-stream\",\"OriginResponseStatus\":200,\"CacheCacheStatus\":\"{cache}\",\"RayID\":\"{n:016x}\",\"ClientCountry\":\"nl\",\"ZoneName\":\"example.com\",\"WorkerSubrequest\":false,\"RequestHeaders\":{{\"sec-fetch-site\":\"same-origin\",\"sec-fetch-mode\":\"no-cors\",\"sec-fetch-dest\":\"image\"}}}}",
                nanos + 54_000_000,
                ip = r.ip,
                folder = r.folder.replace(' ', "%20"),
                file = r.file,
                ua = r.ua,
                size = r.size,
                n = r.n,
            );
        }
        "plaso-jsonl" => {
            let path = format!("/{}/{}", r.folder.replace(' ', "%20"), r.file);
            let _ = write!(
                out,
                "{{\"__container_type__\": \"event\", \"__type__\": \"AttributeContainer\", \"data_type\": \"apache:access_log:entry\", \"date_time\": {{\"__class_name__\": \"TimeElements\", \"__type__\": \"DateTimeValues\", \"time_elements_tuple\": [{}, {}, {}, {}, {}, {}]}}, \"display_name\": \"OS:/cases/web/access.log\", \"http_request\": \"GET {path} HTTP/1.1\", \"http_request_referer\": \"https://www.example.com/\", \"http_request_user_agent\": \"{ua}\", \"http_response_bytes\": {size}, \"http_response_code\": 200, \"ip_address\": \"{ip}\", \"message\": \"http_request: GET {path} HTTP/1.1 from: {ip} code: 200 referer: https://www.example.com/ user_agent: {ua}\", \"parser\": \"text/apache_access\", \"pathspec\": {{\"__type__\": \"PathSpec\", \"location\": \"/cases/web/access.log\", \"type_indicator\": \"OS\"}}, \"timestamp\": {}, \"timestamp_desc\": \"Recorded Time\"}}",
                c.y,
                c.mo,
                c.d,
                c.h,
                c.mi,
                c.s,
                r.t * 1_000_000,
                ua = r.ua,
                size = r.size,
                ip = r.ip,
            );
        }
        "timesketch-jsonl" => {
            let url = format!("https://www.example.com/{}/{}", r.folder.replace(' ', "%20"), r.file);
            let micros = r.t * 1_000_000 + r.ms as i64 * 1000;
            let _ = write!(
                out,
                "{{\"__ts_timeline_id\": 3, \"data_type\": \"chrome:history:page_visited\", \"datetime\": \"{}.{:03}000+00:00\", \"display_name\": \"OS:/cases/{u}/History\", \"from_visit\": \"-\", \"message\": \"{url} ({file}) [count: 1] Visit from: - Visit count: 1 Type: [LINK - User clicked a link]\", \"page_transition_type\": 805306368, \"parser\": \"sqlite/chrome_27_history\", \"source_long\": \"Chrome History\", \"source_short\": \"WEBHIST\", \"tag\": [], \"timestamp\": {micros}, \"timestamp_desc\": \"Last Visited Time\", \"title\": \"{file}\", \"typed_count\": 0, \"url\": \"{url}\", \"visit_source\": \"SYNCED\", \"hostname\": \"ws-{u}\"}}",
                iso(r.t),
                r.ms,
                u = r.user,
                file = r.file,
            );
        }
        _ => {}
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--list") {
        for (f, source) in FORMATS {
            println!("{f}\t{source}");
        }
        return Ok(());
    }
    let (Some(format), Some(out), Some(size)) = (args.first(), args.get(1), args.get(2)) else {
        anyhow::bail!("usage: gen_source_log FORMAT OUT SIZE [SEED]   |   gen_source_log --list");
    };
    anyhow::ensure!(FORMATS.iter().any(|(f, _)| f == format), "unknown format {format}; see --list");
    let limit = parse_size(size).ok_or_else(|| anyhow::anyhow!("bad size {size}"))?;
    let seed: u64 = args.get(3).map_or(Ok(1), |s| s.parse())?;
    let mut rng = Rng::new(seed);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(out)?);
    let mut written = 0u64;
    if format == "m365-csv" {
        // The Purview / PowerShell export: a BOM and the quoted header.
        let head = "\u{feff}\"CreationDate\",\"UserIds\",\"Operations\",\"AuditData\"\n";
        w.write_all(head.as_bytes())?;
        written += head.len() as u64;
    }
    // 2026-01-01T00:00:00Z, advancing 0–3 s per record.
    let mut t: i64 = 1_767_225_600;
    let mut s = String::with_capacity(2048);
    let mut n = 0u64;
    while written < limit {
        t += rng.below(4) as i64;
        n += 1;
        let r = rec(&mut rng, n, t);
        line(format, &r, &mut s);
        s.push('\n');
        w.write_all(s.as_bytes())?;
        written += s.len() as u64;
    }
    w.flush()?;
    eprintln!("{out}: {n} records, {written} bytes ({format})");
    Ok(())
}
