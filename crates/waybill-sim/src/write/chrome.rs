//! Chrome `History` (schema version 70, as Chrome 120–131 writes it): `urls`,
//! `visits`, `keyword_search_terms`, `downloads`, `downloads_url_chains`.
//! Times are WebKit microseconds (since 1601-01-01 UTC) on the device's clock.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};

use super::WEBKIT_OFFSET_US;
use crate::world::{Device, Download, Visit, VisitHow, transition as t};

const SCHEMA: &str = "
CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);
CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT,url LONGVARCHAR,title LONGVARCHAR,visit_count INTEGER DEFAULT 0 NOT NULL,typed_count INTEGER DEFAULT 0 NOT NULL,last_visit_time INTEGER NOT NULL,hidden INTEGER DEFAULT 0 NOT NULL);
CREATE TABLE visits(id INTEGER PRIMARY KEY AUTOINCREMENT,url INTEGER NOT NULL,visit_time INTEGER NOT NULL,from_visit INTEGER,external_referrer_url TEXT,transition INTEGER DEFAULT 0 NOT NULL,segment_id INTEGER,visit_duration INTEGER DEFAULT 0 NOT NULL,incremented_omnibox_typed_score BOOLEAN DEFAULT FALSE NOT NULL,opener_visit INTEGER,originator_cache_guid TEXT,originator_visit_id INTEGER,originator_from_visit INTEGER,originator_opener_visit INTEGER,is_known_to_sync BOOLEAN DEFAULT FALSE NOT NULL,consider_for_ntp_most_visited BOOLEAN DEFAULT FALSE NOT NULL,visited_link_id INTEGER DEFAULT 0 NOT NULL,app_id TEXT);
CREATE TABLE visit_source(id INTEGER PRIMARY KEY,source INTEGER NOT NULL);
CREATE INDEX visits_url_index ON visits (url);
CREATE INDEX visits_from_index ON visits (from_visit);
CREATE INDEX visits_time_index ON visits (visit_time);
CREATE INDEX visits_originator_id_index ON visits (originator_visit_id);
CREATE TABLE keyword_search_terms (keyword_id INTEGER NOT NULL,url_id INTEGER NOT NULL,term LONGVARCHAR NOT NULL,normalized_term LONGVARCHAR NOT NULL);
CREATE INDEX keyword_search_terms_index1 ON keyword_search_terms (keyword_id, normalized_term);
CREATE INDEX keyword_search_terms_index2 ON keyword_search_terms (url_id);
CREATE TABLE downloads (id INTEGER PRIMARY KEY,guid VARCHAR NOT NULL,current_path LONGVARCHAR NOT NULL,target_path LONGVARCHAR NOT NULL,start_time INTEGER NOT NULL,received_bytes INTEGER NOT NULL,total_bytes INTEGER NOT NULL,state INTEGER NOT NULL,danger_type INTEGER NOT NULL,interrupt_reason INTEGER NOT NULL,hash BLOB NOT NULL,end_time INTEGER NOT NULL,opened INTEGER NOT NULL,last_access_time INTEGER NOT NULL,transient INTEGER NOT NULL,referrer VARCHAR NOT NULL,site_url VARCHAR NOT NULL,embedder_download_data VARCHAR NOT NULL,tab_url VARCHAR NOT NULL,tab_referrer_url VARCHAR NOT NULL,http_method VARCHAR NOT NULL,by_ext_id VARCHAR NOT NULL,by_ext_name VARCHAR NOT NULL,by_web_app_id VARCHAR NOT NULL,etag VARCHAR NOT NULL,last_modified VARCHAR NOT NULL,mime_type VARCHAR(255) NOT NULL,original_mime_type VARCHAR(255) NOT NULL);
CREATE TABLE downloads_url_chains (id INTEGER NOT NULL,chain_index INTEGER NOT NULL,url LONGVARCHAR NOT NULL, PRIMARY KEY (id, chain_index) );
CREATE TABLE downloads_slices (download_id INTEGER NOT NULL,offset INTEGER NOT NULL,received_bytes INTEGER NOT NULL,finished INTEGER NOT NULL DEFAULT 0,PRIMARY KEY (download_id, offset) );
CREATE INDEX urls_url_index ON urls (url);
INSERT INTO meta VALUES('mmap_status','-1');
INSERT INTO meta VALUES('version','70');
INSERT INTO meta VALUES('last_compatible_version','16');
";

/// The `transition` value Chrome stores for a visit.
pub fn transition(how: VisitHow) -> u32 {
    let chain = t::CHAIN_START | t::CHAIN_END;
    match how {
        VisitHow::Typed => t::TYPED | t::FROM_ADDRESS_BAR | chain,
        VisitHow::Search => t::GENERATED | t::FROM_ADDRESS_BAR | chain,
        VisitHow::Link => t::LINK | chain,
        VisitHow::Bookmark => t::AUTO_BOOKMARK | chain,
        // The redirect target ends the chain the previous visit started.
        VisitHow::ClientRedirect => t::LINK | t::CLIENT_REDIRECT | t::CHAIN_END,
        VisitHow::ServerRedirect => t::LINK | t::SERVER_REDIRECT | t::CHAIN_END,
        VisitHow::AutoToplevel => t::AUTO_TOPLEVEL | chain,
        VisitHow::AutoSubframe => t::AUTO_SUBFRAME | chain,
    }
}

fn webkit(device: &Device, us: i64) -> i64 {
    device.clock(us) + WEBKIT_OFFSET_US
}

/// Writes `History` at `path`.
pub fn write(path: &Path, device: &Device, visits: &[Visit], downloads: &[Download]) -> rusqlite::Result<()> {
    let mut db = Connection::open(path)?;
    db.execute_batch(SCHEMA)?;
    let tx = db.transaction()?;
    {
        // urls: one row per URL, with its counts.
        let mut ids: BTreeMap<&str, i64> = BTreeMap::new();
        let kept: Vec<(usize, &Visit)> = visits.iter().enumerate().filter(|(_, v)| !v.cleared).collect();
        let mut order: Vec<&str> = Vec::new();
        for (_, v) in &kept {
            if !ids.contains_key(v.url.as_str()) {
                ids.insert(&v.url, order.len() as i64 + 1);
                order.push(&v.url);
            }
        }
        for (i, url) in order.iter().enumerate() {
            let of: Vec<&&Visit> = kept.iter().map(|(_, v)| v).filter(|v| v.url == *url).collect();
            let typed = of.iter().filter(|v| v.how == VisitHow::Typed).count() as i64;
            let hidden = of.iter().all(|v| v.how == VisitHow::AutoSubframe);
            let last = of.iter().map(|v| v.ts).max().map_or(0, |ts| webkit(device, ts));
            let title = of.last().map_or("", |v| v.title.as_str());
            tx.execute(
                "INSERT INTO urls VALUES(?1,?2,?3,?4,?5,?6,?7)",
                params![i as i64 + 1, url, title, of.len() as i64, typed, last, i64::from(hidden)],
            )?;
        }
        // visits: ids follow the kept visits; from_visit points at the kept id.
        let mut visit_id: BTreeMap<usize, i64> = BTreeMap::new();
        for (n, (i, _)) in kept.iter().enumerate() {
            visit_id.insert(*i, n as i64 + 1);
        }
        for (i, v) in &kept {
            let from = v.from.and_then(|f| visit_id.get(&f)).copied().unwrap_or(0);
            let opener = v.opener.and_then(|f| visit_id.get(&f)).copied().unwrap_or(0);
            // A visit synced from another device carries that device's sync
            // client id and a visit_source row SYNCED (0).
            let guid = if v.synced {
                format!("{:032x}", (v.ts as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
            } else {
                String::new()
            };
            tx.execute(
                "INSERT INTO visits VALUES(?1,?2,?3,?4,'',?5,NULL,?6,?7,?8,?9,?10,0,0,?11,1,0,'')",
                params![
                    visit_id[i],
                    ids[v.url.as_str()],
                    webkit(device, v.ts),
                    from,
                    i64::from(transition(v.how)),
                    if v.how == VisitHow::AutoSubframe { 0 } else { 4_000_000 + (v.ts % 30_000_000).abs() },
                    i64::from(matches!(v.how, VisitHow::Typed)),
                    opener,
                    guid,
                    if v.synced { 1000 + visit_id[i] } else { 0 },
                    i64::from(v.synced),
                ],
            )?;
            if v.synced {
                tx.execute("INSERT INTO visit_source VALUES(?1, 0)", params![visit_id[i]])?;
            }
            if let Some(term) = &v.search_term {
                tx.execute(
                    "INSERT INTO keyword_search_terms VALUES(2,?1,?2,?3)",
                    params![ids[v.url.as_str()], term, term.to_lowercase()],
                )?;
            }
        }
        for (n, d) in downloads.iter().filter(|d| !d.cleared).enumerate() {
            let id = n as i64 + 1;
            let hash: Vec<u8> = if d.hash_recorded { Sha256::digest(d.body.as_slice()).to_vec() } else { Vec::new() };
            let len = d.body.len() as i64;
            let guid =
                format!("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", id * 7919, id, id, id, d.start & 0xFFFF_FFFF_FFFF);
            tx.execute(
                "INSERT INTO downloads VALUES(?1,?2,?3,?3,?4,?5,?5,1,0,0,?6,?7,?8,?9,0,?10,'','',?11,'','GET','','','','','',?12,?12)",
                params![
                    id,
                    guid,
                    d.target_path,
                    webkit(device, d.start),
                    len,
                    hash,
                    webkit(device, d.end),
                    i64::from(d.opened.is_some()),
                    d.opened.map_or(0, |o| webkit(device, o)),
                    d.referrer,
                    d.tab_url,
                    d.mime,
                ],
            )?;
            for (i, url) in d.chain.iter().enumerate() {
                tx.execute("INSERT INTO downloads_url_chains VALUES(?1,?2,?3)", params![id, i as i64, url])?;
            }
        }
    }
    tx.commit()?;
    db.close().map_err(|(_, e)| e)
}
