//! Facts derived per copy, readable by rules as `ctx.<fact>` columns
//! ([`crate::rule::CTX_FACTS`]), and the auto-download state of messaging
//! media from the app's settings.
//!
//! - **Was the download started by a page?** A user activation (`Sec-Fetch-User:
//!   ?1`) only says the page that started the navigation had a recent click: a
//!   click on Play that opens an ad tab which redirects to a file carries it too.
//!   Three signs that a page, not the person, chose the file: the download's
//!   redirect chain crossed to another registrable domain; its tab was opened
//!   by another page (Chrome `opener_visit`, or a tab URL on another site than
//!   the download's referrer); it began within 3 s of its tab's page loading
//!   with no earlier visit to the file's host.
//! - **When in its page's load was a subresource fetched?** Within 3 s of the
//!   page's navigation it is part of the page's first burst; seconds later,
//!   after an image of the same name from that page, it is a thumbnail opened
//!   in a lightbox — a person's act.
//! - **How long after the message did its media arrive?** The media file's last
//!   write is the download's completion (WhatsApp sets it when the download
//!   ends); the message's receipt time is in the database.
//! - **Did the person's open bring the file down?** A Files On-Demand
//!   placeholder is downloaded when the person opens it: the shell's record
//!   of that open (a Recent Items shortcut) is at the sync download's time. A
//!   file pushed by the sync client is there before anyone opens it.
//! - **What were the auto-download settings at the fetch?** Only when the
//!   settings file was last written before the message arrived does it show
//!   them; written after, it is a gap.

use std::collections::BTreeSet;

use waybill_model::url::{host_of, normalize, registrable_domain, same_resource};
use waybill_model::{EventKind, StoredEvent};

use crate::attribution::Who;
use crate::engine::{Ctx, Gap, Setup, fmt_ts};

/// A subresource fetched within this (µs) of its page's navigation is part
/// of the page's first burst.
const BURST_US: i64 = 3_000_000;

/// A download that began within this (µs) of its tab's page loading began
/// without the person reading the page.
const QUICK_START_US: i64 = 3_000_000;

/// A download that began this long (µs) or more after its tab's page loaded
/// followed time on the page.
const READING_US: i64 = 10_000_000;

/// An open within this (µs) of a sync download, beyond the clocks'
/// uncertainty, is at the download when the two clocks are aligned; on
/// clocks that cannot be aligned, the engine's five minutes either side.
const OPEN_AT_SYNC_US: i64 = 30_000_000;

impl Ctx<'_> {
    pub(crate) fn derive_facts(&mut self, setup: &Setup<'_>, open: &mut Vec<String>, gaps: &mut Vec<Gap>) {
        self.download_facts();
        self.page_timing_facts();
        self.messaging_facts(setup, open, gaps);
        self.open_facts();
    }

    /// `opened_at_sync` on a sync-download arrival: seconds from the download
    /// to the nearest of the file's shell opens (Recent Items shortcuts)
    /// within [`OPEN_AT_SYNC_US`] of it.
    fn open_facts(&mut self) {
        let Some((a, _)) = self.arrival else { return };
        if self.e(a).kind != EventKind::CloudSyncDownload {
            return;
        }
        // An open from another Windows account's Recent Items is another
        // person's: only the profile that holds the copy counts, when both
        // are known.
        let copy_profile = profile_of_path(&self.copy.path);
        let at = self
            .own
            .iter()
            .copied()
            .filter(|&o| self.e(o).kind == EventKind::FsOpened)
            .filter(|&o| match (self.e(o).attr_str("profile"), copy_profile) {
                (Some(p), Some(c)) => p.eq_ignore_ascii_case(c),
                _ => true,
            })
            .map(|o| {
                let margin = if self.ordered(o, a) {
                    self.unc(o) + self.unc(a) + OPEN_AT_SYNC_US
                } else {
                    crate::engine::UNALIGNED_CLOCK_US
                };
                (self.corr(o) - self.corr(a), margin, o)
            })
            .filter(|(d, margin, _)| d.abs() <= *margin)
            .min_by_key(|(d, _, o)| (d.abs(), *o));
        if let Some((d, _, _)) = at {
            self.overlay.set(a, "opened_at_sync", format!("{:.3}", d as f64 / 1e6));
        }
    }

    fn local_visits_near(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .own_context
            .iter()
            .chain(&self.near)
            .copied()
            .filter(|&i| {
                self.e(i).kind == EventKind::BrowserVisit && crate::engine::visit_elsewhere(self.e(i)).is_none()
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    fn download_facts(&mut self) {
        for &i in &self.remote {
            let e = self.e(i);
            if e.kind == EventKind::HttpRequest
                && e.fetch_mode.as_deref() == Some("navigate")
                && e.fetch_dest.as_deref() == Some("empty")
                && e.purpose.is_none()
            {
                self.overlay.set(i, "download_request", "true");
            }
        }
        let visits = self.local_visits_near();
        let rows: Vec<usize> =
            self.own.iter().copied().filter(|&i| self.e(i).kind == EventKind::BrowserDownload).collect();
        let records: BTreeSet<(String, String)> =
            rows.iter().map(|&i| (self.e(i).source.clone(), self.e(i).record.clone())).collect();
        for (source, record) in records {
            let of: Vec<usize> =
                rows.iter().copied().filter(|&i| self.e(i).source == source && self.e(i).record == record).collect();
            let Some(&start) =
                of.iter().find(|&&i| self.e(i).attr_str("phase") == Some("start")).or_else(|| of.first())
            else {
                continue;
            };
            let d = self.e(start);
            let ts = self.corr(start);
            let mut chain: Vec<&str> = d.attr_list("url_chain");
            if chain.is_empty() {
                chain.extend(d.url.as_deref());
            }
            // The page the download was started on: Chrome's tab URL, or the
            // referrer of the download's own visit (Firefox records a download
            // as a visit of type DOWNLOAD from the page's visit).
            let download_visit_page: Option<&str> = d.url.as_deref().and_then(|u| {
                let u = normalize(u);
                visits
                    .iter()
                    .chain(self.own.iter())
                    .copied()
                    .filter(|&v| {
                        let x = self.e(v);
                        x.kind == EventKind::BrowserVisit
                            && x.transition.as_deref() == Some("DOWNLOAD")
                            && x.clock == d.clock
                            && (x.ts - d.ts).abs() <= 5_000_000
                            && x.url.as_deref().is_some_and(|xu| same_resource(&normalize(xu), &u))
                    })
                    .find_map(|v| self.e(v).referrer.as_deref())
            });
            let tab_url = d.attr_str("tab_url").filter(|t| t.contains("://")).or(download_visit_page);
            if let Some(page) = tab_url {
                for &x in &of {
                    self.overlay.set(x, "download_page", page);
                }
            }
            let tab_visit = tab_url.and_then(|t| {
                let t = normalize(t);
                visits
                    .iter()
                    .copied()
                    .filter(|&v| {
                        self.e(v).url.as_deref().is_some_and(|u| same_resource(&normalize(u), &t))
                            && self.corr(v) <= ts + 1_000_000
                            && self.e(v).clock == d.clock
                    })
                    .max_by_key(|&v| (self.corr(v), v))
            });
            let referrer_site = d.referrer.as_deref().filter(|r| r.contains("://")).map(registrable_domain);
            let tab_site = tab_url.map(registrable_domain);
            // A hop through a site that is neither the page's nor the file's
            // (an ad or tracker redirect). A file host sending its own link on
            // to a CDN is not one: the first hop is the page's site.
            let final_site = chain.last().map(|u| registrable_domain(u));
            let between: BTreeSet<String> = chain
                .iter()
                .map(|u| registrable_domain(u))
                .filter(|s| Some(s) != final_site.as_ref() && Some(s) != tab_site.as_ref())
                .collect();
            let cross_site_chain = if tab_site.is_some() { !between.is_empty() } else { between.len() >= 2 };
            let opened_by_page = tab_visit.is_some_and(|v| self.e(v).attr_i64("opener_visit").is_some_and(|o| o > 0))
                || matches!((&tab_site, &referrer_site), (Some(t), Some(r)) if t != r);
            let host = |u: &str| host_of(&normalize(u)).map(str::to_owned);
            // The host the download was asked of (the first hop: a CDN the
            // file host redirects to is never visited).
            let file_host = chain.first().copied().and_then(host);
            let visited_host_before = |before: i64| {
                visits.iter().any(|&v| {
                    let h = self.e(v).url.as_deref().and_then(host);
                    h.is_some() && h == file_host && self.corr(v) < before - QUICK_START_US
                })
            };
            let quick_start = tab_visit.is_some_and(|v| {
                let gap = ts - self.corr(v);
                (0..=QUICK_START_US).contains(&gap) && !visited_host_before(self.corr(v))
            });
            let page_triggered = cross_site_chain || opened_by_page || quick_start;
            let reading = !page_triggered
                && tab_visit.is_some_and(|v| {
                    let t = self.e(v).transition.as_deref().unwrap_or("");
                    !t.contains("CLIENT_REDIRECT") && !t.starts_with("AUTO_") && ts - self.corr(v) >= READING_US
                });
            // The server requests that carried this download: paired with its
            // start, or the subject's navigation to its URL just before it.
            let mut requests: BTreeSet<usize> =
                self.alignment.pairs.iter().filter(|(c, _)| of.contains(c)).map(|(_, s)| *s).collect();
            // Any hop of its redirect chain: the first carries the click.
            let hops: Vec<String> = chain.iter().map(|u| normalize(u)).collect();
            for &r in &self.remote {
                let x = self.e(r);
                let same_url = x.url.as_deref().is_some_and(|b| {
                    let b = normalize(b);
                    hops.iter().any(|a| same_resource(a, &b))
                });
                let near = self.ordered(r, start) && (self.corr(r) - ts).abs() <= 10_000_000;
                if same_url && near && x.kind == EventKind::HttpRequest && self.attributed(r) == Who::Subject {
                    requests.insert(r);
                }
            }
            // The download's Mark of the Web (its copy's, in its folder) is the
            // same download's record.
            let marks: Vec<usize> =
                self.own.iter().copied().filter(|&i| self.e(i).kind == EventKind::FsOriginMarker).collect();
            for &x in of.iter().chain(&requests).chain(&marks) {
                if cross_site_chain {
                    self.overlay.set(x, "cross_site_chain", "true");
                }
                if opened_by_page {
                    self.overlay.set(x, "opened_by_page", "true");
                }
                if quick_start {
                    self.overlay.set(x, "quick_start", "true");
                }
                if page_triggered {
                    self.overlay.set(x, "page_triggered", "true");
                }
            }
            for &r in &requests {
                self.overlay.set(r, "download_request", "true");
            }
            if reading {
                for &x in &of {
                    self.overlay.set(x, "started_after_reading", "true");
                }
            }
        }
    }

    fn page_timing_facts(&mut self) {
        let stem = file_stem(self.copy.url.as_deref().unwrap_or(&self.copy.path));
        // Server side: the subject's requests for the file with a Referer.
        let mut marks: Vec<(usize, &'static str)> = Vec::new();
        for &r in &self.remote {
            let e = self.e(r);
            if e.kind != EventKind::HttpRequest || self.attributed(r) != Who::Subject {
                continue;
            }
            let Some(page) = e.referrer.as_deref().filter(|p| p.contains("://")).map(normalize) else { continue };
            let same_client = |x: &StoredEvent| x.client_ip == e.client_ip && x.user_agent == e.user_agent;
            let nav = self
                .remote_context
                .iter()
                .copied()
                .filter(|&p| {
                    let x = self.e(p);
                    x.kind == EventKind::HttpRequest
                        && same_client(x)
                        && x.url.as_deref().is_some_and(|u| same_resource(&normalize(u), &page))
                        && x.fetch_mode.as_deref().is_none_or(|m| m == "navigate")
                        && self.corr(p) <= self.corr(r) + 1_000_000
                })
                .max_by_key(|&p| (self.corr(p), p));
            let Some(p) = nav else { continue };
            let delta = self.corr(r) - self.corr(p);
            if delta <= BURST_US {
                marks.push((r, "in_page_burst"));
            } else if let Some(stem) = &stem {
                let thumb = self.remote_context.iter().copied().any(|q| {
                    let x = self.e(q);
                    q != r
                        && x.kind == EventKind::HttpRequest
                        && same_client(x)
                        && x.referrer.as_deref().is_some_and(|rf| same_resource(&normalize(rf), &page))
                        && x.url != e.url
                        && self.corr(q) < self.corr(r)
                        && self.corr(q) >= self.corr(p)
                        && is_image(x)
                        && x.url.as_deref().and_then(file_stem).as_deref() == Some(stem.as_str())
                });
                if thumb {
                    marks.push((r, "after_own_thumbnail"));
                }
            }
        }
        // Device side: a cache entry's request against the last page visit of
        // its top-frame site.
        let visits = self.local_visits_near();
        for &c in &self.own {
            let e = self.e(c);
            if e.kind != EventKind::BrowserCacheEntry {
                continue;
            }
            let Some(site) = e.attr_str("top_frame_site").map(registrable_domain) else { continue };
            let t = e
                .attr_str("request_time")
                .and_then(|t| waybill_model::Timestamp::parse_rfc3339(t).ok())
                .map_or(e.ts, waybill_model::Timestamp::unix_micros);
            let own_url = e.url.as_deref().map(normalize);
            let page = visits
                .iter()
                .copied()
                .filter(|&v| {
                    let x = self.e(v);
                    x.clock == e.clock
                        && x.url
                            .as_deref()
                            .is_some_and(|u| host_of(&normalize(u)).is_some() && registrable_domain(u) == site)
                        && x.url
                            .as_deref()
                            .map(normalize)
                            .zip(own_url.as_deref())
                            .is_none_or(|(a, b)| !same_resource(&a, b))
                        && x.ts <= t + 1_000_000
                        && t - x.ts <= 120_000_000
                })
                .max_by_key(|&v| (self.e(v).ts, v));
            let Some(v) = page else { continue };
            let page_ts = self.e(v).ts;
            if t - page_ts <= BURST_US {
                marks.push((c, "in_page_burst"));
            } else if let Some(stem) = &stem {
                // A thumbnail of the same name from the same page, fetched
                // after the page loaded and before the image.
                let thumb = self.own_context.iter().copied().any(|x| {
                    let y = self.e(x);
                    let yt = y
                        .attr_str("request_time")
                        .and_then(|t| waybill_model::Timestamp::parse_rfc3339(t).ok())
                        .map_or(y.ts, waybill_model::Timestamp::unix_micros);
                    y.kind == EventKind::BrowserCacheEntry
                        && y.clock == e.clock
                        && y.url != e.url
                        && y.attr_str("top_frame_site").map(registrable_domain).as_deref() == Some(site.as_str())
                        && (page_ts..t).contains(&yt)
                        && (is_image(y) || y.attr_str("content_type").is_some_and(|c| c.starts_with("image/")))
                        && y.url.as_deref().and_then(file_stem).as_deref() == Some(stem.as_str())
                });
                if thumb {
                    marks.push((c, "after_own_thumbnail"));
                }
            }
        }
        for (i, fact) in marks {
            self.overlay.set(i, fact, "true");
        }
    }

    fn messaging_facts(&mut self, setup: &Setup<'_>, open: &mut Vec<String>, gaps: &mut Vec<Gap>) {
        let media: Vec<usize> =
            self.own.iter().copied().filter(|&i| self.e(i).kind == EventKind::MsgMediaFetched).collect();
        if media.is_empty() {
            return;
        }
        // The media file's last write: its download's completion.
        let written = self
            .own
            .iter()
            .copied()
            .filter(|&i| self.e(i).kind == EventKind::FsModified)
            .min_by_key(|&i| (self.corr(i), i));
        let roaming = setup.context.get("roaming").map(|v| v.to_ascii_lowercase());
        for m in media {
            let e = self.e(m);
            let fetched = written.filter(|&w| self.ordered(w, m) && self.corr(w) >= self.corr(m));
            // The delay counts only where the app is known to write its media
            // file as the download completes; it runs from this phone's
            // receipt, or only from the message's own time (a phone offline
            // when it was sent receives it later, and auto-downloads then).
            match (fetched, e.attr_str("media_mtime")) {
                (Some(w), Some(_)) => {
                    let delay = (self.corr(w) - self.corr(m)) as f64 / 1e6;
                    self.overlay.set(m, "fetch_delay_s", format!("{delay:.3}"));
                    let exact = e.attr_bool("ts_is_receipt") == Some(true)
                        && e.attr_str("media_mtime") == Some("download_completion");
                    self.overlay.set(m, "fetch_delay_from", if exact { "receipt" } else { "message_date" });
                    // A restore from a cloud backup writes the app's media
                    // files again, together, long after their messages: a
                    // late write among many is not the download's.
                    let burst = if delay >= 600.0 { self.media_burst(w) } else { 0 };
                    if burst >= MEDIA_BURST_MIN {
                        self.overlay.set(m, "written_in_burst", burst.to_string());
                        gaps.push(Gap {
                            rule: "timing.media_fetched_late".into(),
                            needs: format!(
                                "the download's own time: the file was written at {} among {burst} other files of the app's media folder within {} minutes, as a restore from a backup writes them, so its write time is not read as the download's",
                                fmt_ts(self.corr(w)),
                                MEDIA_BURST_US / 60_000_000
                            ),
                            from: Some(fmt_ts(self.corr(m))),
                            to: Some(fmt_ts(self.corr(w))),
                        });
                    }
                }
                (Some(w), None) => gaps.push(Gap {
                    rule: "timing.media_fetched_at_receipt, timing.media_fetched_late".into(),
                    needs: format!(
                        "what the media file's modification time records for {} on {}: not documented, so the file written at {} is not read as the download's time",
                        e.attr_str("app").unwrap_or("this app"),
                        e.attr_str("platform").unwrap_or("this platform"),
                        fmt_ts(self.corr(w))
                    ),
                    from: Some(fmt_ts(self.corr(m))),
                    to: Some(fmt_ts(self.corr(w))),
                }),
                _ => {}
            }
            let network = self.app_log_facts(m, fetched, open, gaps);
            if e.auto.is_some() {
                continue;
            }
            let app = e.attr_str("app").unwrap_or("whatsapp").to_owned();
            // Telegram lists the documents the person asked for: auto-download did
            // not fetch a listed one, whatever the presets allow.
            if app == "telegram" && self.overlay.get(m, "app_logged") == Some("manual") {
                continue;
            }
            let Some(class) = e.attr_str("autodownload_class").map(str::to_owned) else { continue };
            let Some(s) = self
                .ev
                .settings
                .iter()
                .copied()
                .filter(|&s| {
                    let x = self.e(s);
                    x.attr_str("app") == Some(app.as_str())
                        && crate::engine::device_of(self.ev, &self.inputs, s)
                            == crate::engine::device_of(self.ev, &self.inputs, m)
                })
                .max_by_key(|&s| (self.e(s).ts, s))
            else {
                continue;
            };
            let settings = self.e(s);
            let end = fetched.map_or(self.corr(m), |w| self.corr(w));
            // The settings hold only their last value: they show the state at
            // the fetch only when last written before the message arrived.
            let margin = if self.ordered(s, m) { 0 } else { crate::engine::UNALIGNED_CLOCK_US };
            if self.corr(s) + margin > self.corr(m) {
                self.overlay.set(m, "settings_order", "after");
                gaps.push(Gap {
                    rule: "messaging.auto_download, messaging.auto_download_unless_roaming, messaging.manual_download".into(),
                    needs: format!(
                        "the app's auto-download settings as they stood at the fetch: the settings file ({} {}) was last written at {}, after the message arrived at {}, and holds only its last value",
                        settings.source,
                        settings.record,
                        fmt_ts(self.corr(s)),
                        fmt_ts(self.corr(m))
                    ),
                    from: Some(fmt_ts(self.corr(m))),
                    to: Some(fmt_ts(end)),
                });
                continue;
            }
            self.overlay.set(m, "settings_order", "before");
            // Telegram's presets differ by chat class and cap each type's size: on
            // only when every class the chat may be allows the type and the file is
            // within the limit.
            let chats = e.attr_list("autodownload_chats");
            let size = self.file.size;
            let on = |net: &str| -> Option<bool> {
                if chats.is_empty() {
                    return settings.attr_bool(&format!("autodownload_{class}_{net}"));
                }
                let per: Vec<Option<bool>> =
                    chats.iter().map(|c| settings.attr_bool(&format!("autodownload_{class}_{net}_{c}"))).collect();
                let allowed = if per.iter().all(|v| *v == Some(true)) {
                    Some(true)
                } else if per.iter().all(|v| *v == Some(false)) {
                    Some(false)
                } else {
                    None
                };
                let limit = settings.attr_i64(&format!("autodownload_max_bytes_{class}_{net}"));
                match (allowed, limit, size) {
                    (Some(true), Some(l), Some(s)) if s > l => Some(false),
                    (Some(true), Some(_), None) => None,
                    (a, _, _) => a,
                }
            };
            let (wifi, cell, roam) = (on("wifi"), on("cellular"), on("roaming"));
            let voice = e.attr_bool("voice_note") == Some(true);
            // The app's log line for the download names the network it was on
            // (Wi-Fi, or mobile data: home or roaming).
            let nets: Vec<Option<bool>> = match (network, roaming.as_deref()) {
                (Some("wifi"), _) => vec![wifi],
                (Some("mobile"), Some("no")) => vec![cell],
                (Some("mobile"), Some("yes")) | (_, Some("yes")) => vec![roam],
                (Some("mobile"), _) => vec![cell, roam],
                (_, Some("no")) => vec![wifi, cell],
                _ => vec![wifi, cell, roam],
            };
            // A key the settings file does not hold is the app's documented
            // default: said, as an assumption.
            // Values the file does not hold are the app's documented
            // defaults (`app_defaults.toml`), stated as an assumption.
            let known = waybill_model::app_defaults::of(&app);
            let (kind, pattern) = match app.as_str() {
                "whatsapp" => ("mask", "autodownload_{n}_mask_source"),
                "telegram" => ("preset", "preset_{n}_source"),
                _ => ("setting", "autodownload_{n}_source"),
            };
            let defaulted: Vec<&str> = ["wifi", "cellular", "roaming"]
                .into_iter()
                .filter(|n| settings.attr_str(&pattern.replace("{n}", n)) == Some("app_default"))
                .collect();
            let assumed = match known.filter(|_| !defaulted.is_empty()) {
                Some(d) => format!(
                    "; the file holds no {kind} for {}, so {}'s documented default is assumed there ({})",
                    defaulted.join(", "),
                    d.name,
                    d.words
                ),
                None => String::new(),
            };
            let app_name = known.map_or(app.as_str(), |d| d.name.as_str());
            let from = format!(
                "{app_name} auto-download settings for {class} ({} {}, last written {}, before the message arrived{assumed})",
                settings.source,
                settings.record,
                fmt_ts(self.corr(s))
            );
            if nets.iter().all(|v| *v == Some(true)) {
                self.overlay.set(m, "auto", "true");
                self.overlay.set(m, "auto_from", &from);
            } else if nets.iter().all(|v| *v == Some(false)) && !voice {
                self.overlay.set(m, "auto", "false");
                self.overlay.set(m, "auto_from", &from);
            } else if roaming.is_none() && wifi == Some(true) && cell == Some(true) && roam == Some(false) {
                self.overlay.set(m, "auto_unless_roaming", "true");
                self.overlay.set(m, "auto_from", &from);
                open.push(format!(
                    "Was {} roaming when the message of {} arrived ({})? Auto-download of {class} is on for Wi-Fi and mobile data but off when roaming{}; if it was not roaming, the app fetched the file by itself. `waybill case new --context roaming=no` records the answer.",
                    self.copy.device.as_deref().unwrap_or("the phone"),
                    e.attr_str("chat_subject").or(e.attr_str("chat_jid")).unwrap_or("the chat"),
                    fmt_ts(self.corr(m)),
                    if app == "whatsapp" { " (WhatsApp's default for images)" } else { "" }
                ));
            } else if !voice {
                open.push(format!(
                    "Which network was {} on when the message arrived ({})? Auto-download of {class} differs between Wi-Fi ({}), mobile data ({}) and roaming ({}).",
                    self.copy.device.as_deref().unwrap_or("the phone"),
                    fmt_ts(self.corr(m)),
                    on_off(wifi),
                    on_off(cell),
                    on_off(roam)
                ));
            }
        }
    }
}

/// An automatic download line counts for the file only when the file was
/// written within this (µs) of it.
const AUTO_LINE_TO_FILE_US: i64 = 30 * 60 * 1_000_000;

impl Ctx<'_> {
    /// The app's own log lines for messaging media `m` (`msg.media_download`
    /// on the copy's device, the same message by key id; a line without a
    /// key id by the media's hash or URL): sets `ctx.app_logged` to `manual`
    /// (any manual line) or `auto` (an automatic line, the file written
    /// within 30 minutes of it, or no file time known). Returns the network
    /// an automatic line names (`wifi`, `mobile`): queued as the message
    /// arrived, it is the network auto-download acted on (a manual line's is
    /// the network at the tap, later). A log of the device that covers the
    /// arrival but has no line for the media is a gap, never evidence.
    fn app_log_facts(
        &mut self,
        m: usize,
        fetched: Option<usize>,
        open: &mut Vec<String>,
        gaps: &mut Vec<Gap>,
    ) -> Option<&'static str> {
        let e = self.e(m);
        let key = e.attr_str("key_id");
        let lines: Vec<usize> = self
            .own
            .iter()
            .copied()
            .filter(|&i| {
                let x = self.e(i);
                x.kind == EventKind::MsgMediaDownload
                    && match (x.attr_str("key_id"), key) {
                        (Some(a), Some(b)) => a == b,
                        (Some(_), None) => x.sha256.is_some() && x.sha256 == e.sha256,
                        (None, _) => {
                            (x.sha256.is_some() && x.sha256 == e.sha256) || (x.url.is_some() && x.url == e.url)
                        }
                    }
            })
            .collect();
        let manual = lines.iter().copied().find(|&i| self.e(i).auto == Some(false));
        let auto = lines.iter().copied().filter(|&i| self.e(i).auto == Some(true)).max_by_key(|&i| (self.corr(i), i));
        let ev = self.ev;
        let network = move |i: usize| match ev.events[i].attr_str("network") {
            Some("wifi") => Some("wifi"),
            Some("mobile") => Some("mobile"),
            _ => None,
        };
        if let Some(i) = manual {
            self.overlay.set(m, "app_logged", "manual");
            self.overlay.set(i, "download_line", "true");
            // The network at the tap, not at the message's arrival, when
            // auto-download would have acted: it says nothing of the settings.
            return None;
        }
        if let Some(i) = auto {
            let late = fetched.filter(|&w| self.ordered(w, i) && self.corr(w) - self.corr(i) > AUTO_LINE_TO_FILE_US);
            if let Some(w) = late {
                open.push(format!(
                    "WhatsApp logged an automatic download of the media of message {} at {} ({} {}), but the file was written at {}: did that download fail and someone tap the media later? A manual line would be in a log rotation not obtained.",
                    key.unwrap_or("(no key id)"),
                    fmt_ts(self.corr(i)),
                    self.e(i).source,
                    self.e(i).record,
                    fmt_ts(self.corr(w))
                ));
                return None;
            }
            self.overlay.set(m, "app_logged", "auto");
            self.overlay.set(i, "download_line", "true");
            return network(i);
        }
        // No line: a gap when a log of this device covers the arrival.
        let t = e.ts;
        let covering: Vec<&str> = self
            .ev
            .inputs
            .iter()
            .filter(|c| c.format == "whatsapp.log" && c.device == self.copy.device && c.from <= t && t <= c.to)
            .map(|c| c.source.as_str())
            .collect();
        if !covering.is_empty() {
            gaps.push(Gap {
                rule: "messaging.app_logged_auto, messaging.app_logged_manual".into(),
                needs: format!(
                    "a download line for message {} in WhatsApp's log: {} covers its arrival but holds none (the log may hold only some entries); the absence is not evidence",
                    key.unwrap_or("(no key id)"),
                    covering.join(", ")
                ),
                from: Some(fmt_ts(self.corr(m))),
                to: fetched.map(|w| fmt_ts(self.corr(w))),
            });
        }
        None
    }
}

/// Files of an app's media folder written within [`MEDIA_BURST_US`] either
/// side of a media file that make its write a mass write (a restore), not a
/// download: more than a person tapping media one by one writes.
pub(crate) const MEDIA_BURST_MIN: usize = 10;

/// The half-width of the window of [`MEDIA_BURST_MIN`].
pub(crate) const MEDIA_BURST_US: i64 = 300_000_000;

impl Ctx<'_> {
    /// Other files of the same media folder (the media file's grandparent
    /// directory: `WhatsApp/Media`, `Telegram`) on the same device written
    /// within [`MEDIA_BURST_US`] of the write `w`.
    fn media_burst(&self, w: usize) -> usize {
        let e = self.e(w);
        let Some(path) = e.path.as_deref() else { return 0 };
        let Some(root) = path.rsplitn(3, '/').nth(2).filter(|r| !r.is_empty()) else { return 0 };
        let prefix = format!("{root}/");
        let device = crate::engine::device_of(self.ev, &self.inputs, w);
        let others: BTreeSet<&str> = self
            .device_events_between(e.ts - MEDIA_BURST_US, e.ts + MEDIA_BURST_US)
            .iter()
            .copied()
            .filter(|&i| i != w)
            .map(|i| (i, self.e(i)))
            .filter(|(i, x)| {
                x.kind == EventKind::FsModified
                    && x.clock == e.clock
                    && crate::engine::device_of(self.ev, &self.inputs, *i) == device
            })
            .filter_map(|(_, x)| x.path.as_deref())
            .filter(|p| p.starts_with(&prefix) && *p != path)
            .collect();
        others.len()
    }
}

/// The Windows account of a path in a profile (`…/Users/alice/…`).
fn profile_of_path(path: &str) -> Option<&str> {
    let mut parts = path.split(['/', '\\']).filter(|p| !p.is_empty());
    parts.by_ref().find(|p| p.eq_ignore_ascii_case("Users"))?;
    parts.next()
}

fn on_off(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "on",
        Some(false) => "off",
        None => "unknown",
    }
}

fn is_image(e: &StoredEvent) -> bool {
    e.fetch_dest.as_deref() == Some("image")
        || e.url.as_deref().is_some_and(|u| {
            let p = u.split(['?', '#']).next().unwrap_or(u).to_ascii_lowercase();
            [".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".bmp"].iter().any(|x| p.ends_with(x))
        })
}

/// A file's name without its extension, lower-case, with the marks of a
/// thumbnail (`thumb_`, `_thumb`, `-small`, `-150x150`) taken off.
pub fn file_stem(url_or_path: &str) -> Option<String> {
    let p = url_or_path.split(['?', '#']).next().unwrap_or(url_or_path);
    let name = p.rsplit(['/', '\\', ' ']).next()?.to_ascii_lowercase();
    let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
    let mut s = stem.to_owned();
    for prefix in ["thumb_", "thumb-", "tn_", "small_"] {
        if let Some(r) = s.strip_prefix(prefix) {
            s = r.to_owned();
        }
    }
    for suffix in ["_thumb", "-thumb", ".thumb", "_small", "-small", "_tn", "-tn"] {
        if let Some(r) = s.strip_suffix(suffix) {
            s = r.to_owned();
        }
    }
    // `-150x150` (WordPress), `_200x200`.
    if let Some((base, dims)) = s.rsplit_once(['-', '_'])
        && let Some((w, h)) = dims.split_once('x')
        && !w.is_empty()
        && !h.is_empty()
        && w.bytes().chain(h.bytes()).all(|b| b.is_ascii_digit())
    {
        s = base.to_owned();
    }
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn thumbnails_share_the_stem_of_their_image() {
        let s = |x| file_stem(x);
        assert_eq!(s("https://a.example/img/beach-42.png"), Some("beach-42".into()));
        assert_eq!(s("https://a.example/thumbs/beach-42_thumb.jpg?v=2"), Some("beach-42".into()));
        assert_eq!(s("https://a.example/up/beach-42-150x150.png"), Some("beach-42".into()));
        assert_eq!(s("https://a.example/t/thumb_beach-42.png"), Some("beach-42".into()));
        assert_eq!(s("cache:https://example.net https://a.example/img/x.png"), Some("x".into()));
    }
}
