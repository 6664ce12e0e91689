//! Firefox `places.sqlite`: `moz_places`, `moz_historyvisits` and the download
//! annotations (`downloads/destinationFileURI`, `downloads/metaData`), in the
//! layout of Firefox 115+ or, for older versions, Firefox 78. Times are PRTime
//! (microseconds since the Unix epoch) on the device's clock.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, params};

use crate::world::{Device, Download, Os, Visit, VisitHow};

const MODERN: &str = "
CREATE TABLE moz_origins ( id INTEGER PRIMARY KEY, prefix TEXT NOT NULL, host TEXT NOT NULL, frecency INTEGER NOT NULL, recalc_frecency INTEGER NOT NULL DEFAULT 0, alt_frecency INTEGER, recalc_alt_frecency INTEGER NOT NULL DEFAULT 0, UNIQUE (prefix, host) );
CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url LONGVARCHAR, title LONGVARCHAR, rev_host LONGVARCHAR, visit_count INTEGER DEFAULT 0, hidden INTEGER DEFAULT 0 NOT NULL, typed INTEGER DEFAULT 0 NOT NULL, frecency INTEGER DEFAULT -1 NOT NULL, last_visit_date INTEGER , guid TEXT, foreign_count INTEGER DEFAULT 0 NOT NULL, url_hash INTEGER DEFAULT 0 NOT NULL , description TEXT, preview_image_url TEXT, site_name TEXT, origin_id INTEGER REFERENCES moz_origins(id), recalc_frecency INTEGER NOT NULL DEFAULT 0, alt_frecency INTEGER, recalc_alt_frecency INTEGER NOT NULL DEFAULT 0);
CREATE TABLE moz_historyvisits (id INTEGER PRIMARY KEY, from_visit INTEGER, place_id INTEGER, visit_date INTEGER, visit_type INTEGER, session INTEGER, source INTEGER DEFAULT 0 NOT NULL, triggeringPlaceId INTEGER);
";

const FX78: &str = "
CREATE TABLE moz_origins ( id INTEGER PRIMARY KEY, prefix TEXT NOT NULL, host TEXT NOT NULL, frecency INTEGER NOT NULL, UNIQUE (prefix, host) );
CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url LONGVARCHAR, title LONGVARCHAR, rev_host LONGVARCHAR, visit_count INTEGER DEFAULT 0, hidden INTEGER DEFAULT 0 NOT NULL, typed INTEGER DEFAULT 0 NOT NULL, frecency INTEGER DEFAULT -1 NOT NULL, last_visit_date INTEGER , guid TEXT, foreign_count INTEGER DEFAULT 0 NOT NULL, url_hash INTEGER DEFAULT 0 NOT NULL , description TEXT, preview_image_url TEXT, origin_id INTEGER REFERENCES moz_origins(id));
CREATE TABLE moz_historyvisits (id INTEGER PRIMARY KEY, from_visit INTEGER, place_id INTEGER, visit_date INTEGER, visit_type INTEGER, session INTEGER);
";

const COMMON: &str = "
CREATE TABLE moz_inputhistory (place_id INTEGER NOT NULL, input LONGVARCHAR NOT NULL, use_count INTEGER, PRIMARY KEY (place_id, input));
CREATE TABLE moz_bookmarks (id INTEGER PRIMARY KEY, type INTEGER, fk INTEGER DEFAULT NULL, parent INTEGER, position INTEGER, title LONGVARCHAR, keyword_id INTEGER, folder_type TEXT, dateAdded INTEGER, lastModified INTEGER, guid TEXT, syncStatus INTEGER NOT NULL DEFAULT 0, syncChangeCounter INTEGER NOT NULL DEFAULT 1);
CREATE TABLE moz_keywords (id INTEGER PRIMARY KEY AUTOINCREMENT, keyword TEXT UNIQUE, place_id INTEGER, post_data TEXT);
CREATE TABLE moz_anno_attributes (id INTEGER PRIMARY KEY,name VARCHAR(32) UNIQUE NOT NULL);
CREATE TABLE moz_annos (id INTEGER PRIMARY KEY,place_id INTEGER NOT NULL,anno_attribute_id INTEGER,content LONGVARCHAR, flags INTEGER DEFAULT 0,expiration INTEGER DEFAULT 0,type INTEGER DEFAULT 0,dateAdded INTEGER DEFAULT 0,lastModified INTEGER DEFAULT 0);
CREATE TABLE moz_meta (key TEXT PRIMARY KEY, value NOT NULL) WITHOUT ROWID;
CREATE INDEX moz_places_url_hashindex ON moz_places (url_hash);
CREATE INDEX moz_historyvisits_placedateindex ON moz_historyvisits (place_id, visit_date);
CREATE INDEX moz_historyvisits_dateindex ON moz_historyvisits (visit_date);
INSERT INTO moz_anno_attributes VALUES(1,'downloads/destinationFileURI');
INSERT INTO moz_anno_attributes VALUES(2,'downloads/metaData');
";

/// `nsINavHistoryService` visit types.
fn visit_type(how: VisitHow) -> i64 {
    match how {
        VisitHow::Typed | VisitHow::Search => 2,
        VisitHow::Bookmark => 3,
        VisitHow::ServerRedirect => 6,
        VisitHow::AutoSubframe => 4,
        VisitHow::Link | VisitHow::ClientRedirect | VisitHow::AutoToplevel => 1,
    }
}

fn rev_host(url: &str) -> String {
    let host = url.split("://").nth(1).and_then(|r| r.split(['/', '?', '#']).next()).unwrap_or("");
    let mut r: String = host.chars().rev().collect();
    r.push('.');
    r
}

fn file_uri(os: Os, path: &str) -> String {
    match os {
        Os::Windows => format!("file:///{}", path.replace('\\', "/")),
        Os::Linux => format!("file://{path}"),
    }
}

/// Writes `places.sqlite` at `path` for Firefox `version`.
pub fn write(
    path: &Path,
    version: u32,
    device: &Device,
    visits: &[Visit],
    downloads: &[Download],
) -> rusqlite::Result<()> {
    let modern = version >= 115;
    let mut db = Connection::open(path)?;
    db.execute_batch(if modern { MODERN } else { FX78 })?;
    db.execute_batch(COMMON)?;
    let tx = db.transaction()?;
    {
        // Firefox keeps embedded visits in memory only: they never reach places.sqlite.
        let kept: Vec<(usize, &Visit)> =
            visits.iter().enumerate().filter(|(_, v)| !v.cleared && v.how != VisitHow::AutoSubframe).collect();
        let live: Vec<&Download> = downloads.iter().filter(|d| !d.cleared).collect();
        // Places: visited URLs, then downloaded URLs (a download is a visit of type 7).
        let mut places: BTreeMap<String, i64> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        let urls = kept.iter().map(|(_, v)| v.url.clone()).chain(live.iter().filter_map(|d| d.chain.last().cloned()));
        for u in urls {
            if !places.contains_key(&u) {
                places.insert(u.clone(), order.len() as i64 + 1);
                order.push(u);
            }
        }
        let mut rows: Vec<(i64, i64, i64, i64, i64)> = Vec::new(); // (time, place, type, from_index+1, visit index)
        let mut ids: BTreeMap<usize, i64> = BTreeMap::new();
        for (n, (i, v)) in kept.iter().enumerate() {
            ids.insert(*i, n as i64 + 1);
            rows.push((
                device.clock(v.ts),
                places[&v.url],
                visit_type(v.how),
                v.from.map_or(0, |f| f as i64 + 1),
                n as i64 + 1,
            ));
        }
        for (id, (_, v)) in kept.iter().enumerate() {
            let from = v.from.and_then(|f| ids.get(&f)).copied().unwrap_or(0);
            let (ts, place, ty, _, _) = rows[id];
            if modern {
                let source = if v.how == VisitHow::Search { 3 } else { 0 };
                tx.execute(
                    "INSERT INTO moz_historyvisits VALUES(?1,?2,?3,?4,?5,0,?6,NULL)",
                    params![id as i64 + 1, from, place, ts, ty, source],
                )?;
            } else {
                tx.execute(
                    "INSERT INTO moz_historyvisits VALUES(?1,?2,?3,?4,?5,0)",
                    params![id as i64 + 1, from, place, ts, ty],
                )?;
            }
        }
        let mut next_visit = kept.len() as i64 + 1;
        let mut anno = 1i64;
        for d in &live {
            let Some(url) = d.chain.last() else { continue };
            let place = places[url];
            // The download's visit comes from the page it was started on, if that page was visited.
            let from = kept
                .iter()
                .rev()
                .find(|(_, v)| v.url == d.tab_url && v.ts <= d.start)
                .and_then(|(i, _)| ids.get(i))
                .copied()
                .unwrap_or(0);
            let ts = device.clock(d.start);
            if modern {
                tx.execute(
                    "INSERT INTO moz_historyvisits VALUES(?1,?2,?3,?4,7,0,0,NULL)",
                    params![next_visit, from, place, ts],
                )?;
            } else {
                tx.execute(
                    "INSERT INTO moz_historyvisits VALUES(?1,?2,?3,?4,7,0)",
                    params![next_visit, from, place, ts],
                )?;
            }
            next_visit += 1;
            let end_ms = device.clock(d.end) / 1000;
            tx.execute(
                "INSERT INTO moz_annos VALUES(?1,?2,1,?3,0,4,3,?4,?4)",
                params![anno, place, file_uri(device.os, &d.target_path), ts + 40_000],
            )?;
            let meta = format!("{{\"state\":1,\"endTime\":{end_ms},\"fileSize\":{}}}", d.body.len());
            tx.execute(
                "INSERT INTO moz_annos VALUES(?1,?2,2,?3,0,4,3,?4,?4)",
                params![anno + 1, place, meta, device.clock(d.end) + 10_000],
            )?;
            anno += 2;
        }
        for (i, url) in order.iter().enumerate() {
            let vs: Vec<&Visit> = kept.iter().map(|(_, v)| *v).filter(|v| &v.url == url).collect();
            let dl: Vec<&&Download> = live.iter().filter(|d| d.chain.last() == Some(url)).collect();
            let last = vs.iter().map(|v| device.clock(v.ts)).chain(dl.iter().map(|d| device.clock(d.start))).max();
            let typed = i64::from(vs.iter().any(|v| v.how == VisitHow::Typed));
            let title = vs.last().map_or_else(|| url.rsplit('/').next().unwrap_or("").to_owned(), |v| v.title.clone());
            let guid = format!("sim{:09}", i + 1);
            let visit_count = (vs.len() + dl.len()) as i64;
            if modern {
                tx.execute(
                    "INSERT INTO moz_places VALUES(?1,?2,?3,?4,?5,0,?6,100,?7,?8,0,0,NULL,NULL,NULL,NULL,0,NULL,0)",
                    params![i as i64 + 1, url, title, rev_host(url), visit_count, typed, last, guid],
                )?;
            } else {
                tx.execute(
                    "INSERT INTO moz_places VALUES(?1,?2,?3,?4,?5,0,?6,100,?7,?8,0,0,NULL,NULL,NULL)",
                    params![i as i64 + 1, url, title, rev_host(url), visit_count, typed, last, guid],
                )?;
            }
        }
        let _ = rows;
    }
    tx.execute("INSERT INTO moz_meta VALUES('origin_frecency_count', 0)", [])?;
    tx.commit()?;
    db.close().map_err(|(_, e)| e)
}
