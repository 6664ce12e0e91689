//! The rulebook: one TOML file per rule, `rulebook/<family>/<id>.toml`, where
//! the family is the id up to its first dot.
//!
//! ```toml
//! id = "fetch.user_activation"
//! description = "The request for the file carried Sec-Fetch-User: ?1 on a navigation"
//! group = "navigation"            # the fact it measures: within a group one item counts
//! log10_lr = 1.3                  # positive favours Hp (the subject's own act)
//! range = [0.5, 1.8]              # low and high log10 LR (sensitivity)
//! rationale = "…"                 # why this value
//! alternatives = "…"              # how the evidence arises under Hd, and why the range covers it
//! references = ["https://www.w3.org/TR/fetch-metadata/"]
//! unless = ["navigation.page_triggered"]   # optional: does not apply when one of these fired
//! # conclusive = "…literature…"   # optional: may decide alone (none of the built-in rules)
//!
//! [condition]
//! scope = "linked"                # linked | ever | arrival | origin | before | around | after | state
//! actor = "subject"               # subject (default) | other | any
//! kinds = ["http.request"]
//! all = [{ column = "fetch_user", eq = "?1" }, { column = "ctx.page_triggered", present = false }]
//!
//! [decides]                       # what would decide the rule when it cannot be evaluated
//! needs = "web server log of the file's host with Sec-Fetch-* fields"
//! formats = ["apache.access", "nginx.access", "caddy.access"]
//! column = "fetch_user"           # the source must be seen to log this column
//! also = [{ formats = ["chrome.history"] }]   # further sources that must cover the window too
//! ```
//!
//! Columns are the event table's, `attrs.<key>` for a key of `attrs`, or
//! `ctx.<fact>` for a fact the engine derives per copy ([`CTX_FACTS`]).
//! `scope` says which events the condition looks at:
//! - `linked`: events tied to the copy by a key that belong to the delivery
//!   that brought it (not after its arrival, not at or before an earlier,
//!   separate delivery of the same content on the device, and within five
//!   minutes of it on a clock that cannot be aligned), the copy's own device
//!   records and the server and cloud records attributed to the subject;
//! - `ever`: those records at any time (repetition);
//! - `arrival`: the arrival event;
//! - `origin`: server and cloud records tied to the file before its arrival
//!   (within `window_s` when given): who put it where it came from;
//! - `before` / `around` / `after`: the receiving device's own events within
//!   `window_s` seconds before, on either side of, or after the arrival;
//! - `state`: the receiving device's state when the retrieval started.
//!
//! `actor` picks whose records: `subject` — the copy's own device records and
//! server or cloud records attributed to the subject (their account, or their
//! address with a User-Agent that fits the device); `other` — server or cloud
//! records attributed to someone else (another account, another device behind
//! the subject's address); `any`.
//!
//! `min_count` (default 1) is how many events must match; `absent = true`
//! inverts the condition (it holds when no event matches; `with = [kinds]`
//! limits it to copies with an event of one of those kinds in scope), and such
//! a rule is evaluated only where a source of `decides` (and every
//! `decides.also`) covers the window — absence is never read as evidence
//! otherwise. `arrival_kinds` limits a rule to copies that arrived one of
//! those ways, and `arrival_all` to copies whose arrival record passes all its
//! predicates (WhatsApp's log speaks only of media WhatsApp fetched);
//! `copy_none` to copies none of whose delivery records passes one of its
//! predicates (a search before says nothing of a file a page chose).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Which events a condition looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The copy's delivery: its own records and the attributed server and
    /// cloud records, not after its arrival nor before an earlier separate
    /// delivery.
    Linked,
    /// Those records at any time (repetition).
    Ever,
    /// The arrival event.
    Arrival,
    /// Server and cloud records tied to the file before the arrival (within
    /// `window_s` when given).
    Origin,
    /// The receiving device's events within `window_s` before the arrival.
    Before,
    /// The receiving device's events within `window_s` on either side.
    Around,
    /// The receiving device's events within `window_s` after the arrival.
    After,
    /// The receiving device's state when the retrieval started: the last
    /// event of `kinds` (passing the predicates) within `window_s` certainly
    /// before the start, with none of `ends` from then until certainly after
    /// it (across both clocks' uncertainty, or five minutes either side when
    /// the event's clock cannot be ordered against the start's). A screen
    /// locked after a retrieval started says nothing of it.
    State,
}

impl Scope {
    /// Whether the scope looks at the receiving device's events in a window
    /// around the arrival (rather than at the events tied to the file).
    pub fn is_windowed(self) -> bool {
        matches!(self, Self::Before | Self::Around | Self::After | Self::State)
    }
}

/// Whose records a condition looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The copy's device records and the records attributed to the subject.
    #[default]
    Subject,
    /// Server and cloud records attributed to someone else.
    Other,
    /// Both.
    Any,
}

/// One test on one column. Exactly one of the tests is given.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Predicate {
    /// An event column, `attrs.<key>` or `ctx.<fact>`.
    pub column: String,
    /// The value equals this (case-sensitive).
    pub eq: Option<String>,
    /// The value is one of these.
    pub one_of: Option<Vec<String>>,
    /// The value starts with this.
    pub prefix: Option<String>,
    /// The value contains this (e.g. one qualifier of a transition).
    pub contains: Option<String>,
    /// The value is present (true) or absent/empty (false).
    pub present: Option<bool>,
    /// The value is a number at most this.
    pub lte: Option<f64>,
    /// The value is a number at least this.
    pub gte: Option<f64>,
}

impl Predicate {
    /// Does a value (None = absent) pass?
    pub fn test(&self, value: Option<&str>) -> bool {
        let v = value.filter(|v| !v.is_empty());
        if let Some(p) = self.present {
            return v.is_some() == p;
        }
        let Some(v) = v else { return false };
        if let Some(e) = &self.eq {
            return v == e;
        }
        if let Some(set) = &self.one_of {
            return set.iter().any(|s| s == v);
        }
        if let Some(p) = &self.prefix {
            return v.starts_with(p.as_str());
        }
        if let Some(c) = &self.contains {
            return v.contains(c.as_str());
        }
        let number = v.parse::<f64>().ok().filter(|n| n.is_finite());
        if let Some(max) = self.lte {
            return number.is_some_and(|n| n <= max);
        }
        if let Some(min) = self.gte {
            return number.is_some_and(|n| n >= min);
        }
        false
    }

    fn tests_given(&self) -> usize {
        usize::from(self.eq.is_some())
            + usize::from(self.one_of.is_some())
            + usize::from(self.prefix.is_some())
            + usize::from(self.contains.is_some())
            + usize::from(self.present.is_some())
            + usize::from(self.lte.is_some())
            + usize::from(self.gte.is_some())
    }
}

/// What a rule looks for.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Which events.
    pub scope: Scope,
    /// Whose records.
    #[serde(default)]
    pub actor: Actor,
    /// Event kinds considered.
    pub kinds: Vec<String>,
    /// Every predicate holds.
    #[serde(default)]
    pub all: Vec<Predicate>,
    /// At least one holds (when any are given).
    #[serde(default)]
    pub any: Vec<Predicate>,
    /// None holds.
    #[serde(default)]
    pub none: Vec<Predicate>,
    /// Window in seconds for `before`, `around`, `after`, `state` (and `origin`).
    pub window_s: Option<f64>,
    /// How many events must match.
    #[serde(default = "one")]
    pub min_count: u32,
    /// The condition holds when no event matches.
    #[serde(default)]
    pub absent: bool,
    /// With `absent`: the condition only applies when an event in scope has
    /// one of these kinds (no visit for a copy *that is a cache entry*).
    #[serde(default)]
    pub with: Vec<String>,
    /// With scope `state`: the kinds that end the state (unlock, logon, wake);
    /// the `none` predicates exclude events of these kinds too.
    #[serde(default)]
    pub ends: Vec<String>,
    /// The rule applies only to copies whose arrival is one of these kinds
    /// (another account's upload says something only of a file a sync brought).
    #[serde(default)]
    pub arrival_kinds: Vec<String>,
    /// The rule applies only to copies none of whose delivery records passes
    /// one of these (a search before says nothing of a file a page chose:
    /// `ctx.page_triggered`).
    #[serde(default)]
    pub copy_none: Vec<Predicate>,
    /// The rule applies only to copies whose arrival passes all of these
    /// (WhatsApp's own log says something only of media WhatsApp fetched:
    /// `format` = `whatsapp.msgstore`).
    #[serde(default)]
    pub arrival_all: Vec<Predicate>,
}

fn one() -> u32 {
    1
}

impl Condition {
    /// Does one event pass the predicates? `get` reads a column (or
    /// `attrs.<key>`, `ctx.<fact>`) of the event.
    pub fn matches<'a>(&self, kind: &str, get: impl Fn(&str) -> Option<std::borrow::Cow<'a, str>>) -> bool {
        let test = |p: &Predicate| p.test(get(&p.column).as_deref());
        self.kinds.iter().any(|k| k == kind)
            && self.all.iter().all(test)
            && (self.any.is_empty() || self.any.iter().any(test))
            && !self.none.iter().any(test)
    }
}

/// One more source a rule's absence (or its gap) needs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// Source formats, any of which will do.
    pub formats: Vec<String>,
    /// A column such a source must be seen to fill.
    pub column: Option<String>,
}

/// The source that would decide a rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decides {
    /// In words, for the finding's gap.
    pub needs: String,
    /// Source formats that can show it.
    pub formats: Vec<String>,
    /// A column such a source must be seen to fill (a log format may not log it).
    pub column: Option<String>,
    /// Further sources that must also cover the window (an absence in the
    /// cache means something only where the history is there too).
    #[serde(default)]
    pub also: Vec<Requirement>,
}

impl Decides {
    /// Every requirement: the main one first.
    pub fn requirements(&self) -> Vec<Requirement> {
        let mut v = vec![Requirement { formats: self.formats.clone(), column: self.column.clone() }];
        v.extend(self.also.iter().cloned());
        v
    }
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// `family.name`; also the file name.
    pub id: String,
    /// One line.
    pub description: String,
    /// Dependency group: the fact the rule measures ([`GROUPS`]).
    pub group: String,
    /// log10 LR, positive favouring Hp.
    pub log10_lr: f64,
    /// Low and high log10 LR.
    pub range: [f64; 2],
    /// Why this value.
    pub rationale: String,
    /// How the evidence arises under the other proposition (a click that
    /// starts an ad, a script, a synced visit, another person on the same
    /// address), and why the range covers it.
    pub alternatives: String,
    /// Where the facts come from.
    pub references: Vec<String>,
    /// Rules whose firing makes this one not apply (its evidence is then
    /// explained by theirs).
    #[serde(default)]
    pub unless: Vec<String>,
    /// The literature that makes this rule conclusive on its own: it may then
    /// decide without a second independent group.
    pub conclusive: Option<String>,
    /// What it looks for.
    pub condition: Condition,
    /// What would decide it.
    pub decides: Decides,
}

/// The dependency groups: each names one fact, and rules that measure the
/// same fact share it (within a group only one item counts).
pub const GROUPS: &[(&str, &str)] = &[
    (
        "download_record",
        "the browser or the operating system recorded a download of the file: the download row with its tab, the Mark of the Web, a quarantine record, repeated rows from the same page, and the kind of row (transient, by an extension, an app's hidden download)",
    ),
    ("download_danger", "the person answered the browser's danger warning for this very file"),
    (
        "navigation",
        "how the navigation to the file started: its history transition and the Fetch Metadata of the same navigation, and whether a page started it",
    ),
    (
        "embedded",
        "the file was loaded as part of a page or on a page's hint: a subresource destination, presence in the cache only, embed and subframe transitions, prefetch, prerender and preview requests",
    ),
    (
        "timing",
        "when the file was fetched relative to its page or its message: in the page's first burst of subresources, after its own thumbnail, seconds or hours after the message arrived",
    ),
    (
        "sync",
        "a sync client brought the file with many others at once (a burst); the sync download alone is weighed by no rule: with Files On-Demand it is also what opening a placeholder leaves",
    ),
    ("cloud_origin", "who put the content where it came from: another account's upload, or the subject's own"),
    (
        "open",
        "the person opened the file through the shell at the moment a sync client downloaded it (a Files On-Demand placeholder is downloaded by its open)",
    ),
    (
        "cloud",
        "how the cloud or CDN service says it transferred the file: a browser or app download, or the service's own machinery",
    ),
    (
        "messaging",
        "whether the messaging app fetched the file by itself: its auto-download settings for the file's type as they stood at the fetch, or its own log line for this download (queued as automatic, or started as manual by a tap)",
    ),
    ("read_state", "whether the message that brought the file was read after it arrived"),
    ("state", "whether the receiving device was locked, asleep or logged off when the retrieval started"),
    ("context", "what the subject did on the device around the arrival: a search before it"),
];

/// Facts the engine derives per copy, readable as `ctx.<fact>` columns.
pub const CTX_FACTS: &[(&str, &str)] = &[
    (
        "download_request",
        "http.request: the request is a browser download's own (its Sec-Fetch-Dest is empty, or it is paired with the download row)",
    ),
    (
        "cross_site_chain",
        "browser.download, http.request: the download's redirect chain passed through a registrable domain that is neither its tab's nor its final URL's (an ad or tracker hop; without a tab, two such domains)",
    ),
    (
        "opened_by_page",
        "browser.download, http.request: the download's tab was opened by another page (Chrome opener_visit)",
    ),
    (
        "quick_start",
        "browser.download, http.request: the download began within 3 s of its tab's page loading, with no earlier visit to the host of its first URL",
    ),
    (
        "download_page",
        "browser.download: the page the download was started on (Chrome's tab URL, or the referrer of Firefox's DOWNLOAD visit)",
    ),
    ("page_triggered", "browser.download, http.request: at least one of cross_site_chain, opened_by_page, quick_start"),
    (
        "started_after_reading",
        "browser.download: it began 10 s or more after its tab's page was loaded by a navigation made on the device, with none of the page-triggered signs",
    ),
    (
        "in_page_burst",
        "http.request, browser.cache_entry: fetched within 3 s of its page's load, among the page's first subresources",
    ),
    (
        "after_own_thumbnail",
        "http.request, browser.cache_entry: fetched 3 s or more after its page loaded, after an image of the same name from that page (a thumbnail opened in a lightbox)",
    ),
    (
        "fetch_delay_s",
        "msg.media_fetched: seconds from the message's receipt (or its own time) to the media file's last write, where the app writes the file as its download completes",
    ),
    (
        "written_in_burst",
        "msg.media_fetched: how many other files of the app's media folder were written within 5 minutes of its media file, when 10 or more (a restore): its write is then not the download's",
    ),
    (
        "fetch_delay_from",
        "msg.media_fetched: `receipt` when the delay runs from this phone's receipt to the download's completion, `message_date` when only from the message's own time (a lower bound of receipt) or to a write that may come later",
    ),
    (
        "settings_order",
        "msg.media_fetched: `before` or `after`: the auto-download settings file's last write against the fetch",
    ),
    (
        "auto_unless_roaming",
        "msg.media_fetched: auto-download on for the file's type on Wi-Fi and cellular but not roaming, and whether the phone was roaming is not known",
    ),
    (
        "app_logged",
        "msg.media_fetched: `auto` or `manual`: the messaging app's own log recorded the download of this message's media so (a manual line wins; an automatic line counts only when the file was written within 30 minutes of it)",
    ),
    (
        "download_line",
        "msg.media_download: the line that set the media's `app_logged` (shown in the chain as part of the delivery)",
    ),
    (
        "opened_at_sync",
        "cloud.sync_download (the arrival): seconds from the sync download to the person's open of the file through the shell (a Recent Items shortcut) within 30 s of it beyond the clocks' uncertainty, or 5 minutes when the device clock cannot be aligned",
    ),
    ("weak", "a server record attributed to the subject only by address: no User-Agent of the device is known"),
];

/// A rule names only known columns; rules with `present = false` on a fact
/// the engine never derives would silently always hold.
pub fn is_ctx_fact(name: &str) -> bool {
    CTX_FACTS.iter().any(|(f, _)| *f == name)
}

/// A rulebook could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RulebookError {
    /// A file or folder could not be read.
    #[error("cannot read rulebook file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A rule file is not valid TOML for a rule.
    #[error("rule file {path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A rule breaks one of the rulebook's rules.
    #[error("rule file {path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Two files define one id.
    #[error("rule id {0} is defined twice")]
    Duplicate(String),
    /// No rules at all.
    #[error("the rulebook {0} holds no rule files")]
    Empty(String),
}

/// Can a predicate name this column? Any text-bearing column of the event
/// table (`ts` and `seq` are not tests of evidence; `attrs` is named by key,
/// `attrs.<key>`).
pub fn is_event_column(name: &str) -> bool {
    waybill_model::schema::EVENT_COLUMNS.contains(&name) && !matches!(name, "ts" | "seq" | "attrs")
}

/// Largest |log10 LR| a single rule may carry.
pub const MAX_RULE_LOG10: f64 = 4.0;

/// The rules in use, sorted by id, and the SHA-256 that findings cite.
#[derive(Debug, Clone)]
pub struct Rulebook {
    /// Sorted by id.
    pub rules: Vec<Rule>,
    /// SHA-256 over every file's relative path and bytes, in path order.
    pub sha256: String,
}

macro_rules! embedded {
    ($($path:literal),* $(,)?) => {
        /// The rulebook compiled into the binary: (path under `rulebook/`, text).
        pub const EMBEDDED: &[(&str, &str)] = &[$(($path, include_str!(concat!("../rulebook/", $path)))),*];
    };
}

embedded!(
    "burst/burst.many_files.toml",
    "cloud/cloud.browser_download.toml",
    "cloud/cloud.machinery_only.toml",
    "cloud/cloud.other_party_upload.toml",
    "cloud/cloud.own_upload.toml",
    "cloud/cloud.service_action.toml",
    "context/context.search_before.toml",
    "download/download.background_request.toml",
    "download/download.extension.toml",
    "download/download.record.toml",
    "download/download.record_with_tab.toml",
    "download/download.started_after_reading.toml",
    "download/download.transient.toml",
    "download/download.visible_request.toml",
    "download_danger/download_danger.user_validated.toml",
    "fetch/fetch.navigation_without_activation.toml",
    "fetch/fetch.site_none_navigation.toml",
    "fetch/fetch.site_none_user_activation.toml",
    "fetch/fetch.subresource_destination.toml",
    "fetch/fetch.user_activation.toml",
    "messaging/messaging.app_listed_tapped.toml",
    "messaging/messaging.app_logged_auto.toml",
    "messaging/messaging.app_logged_manual.toml",
    "messaging/messaging.auto_download.toml",
    "messaging/messaging.auto_download_unless_roaming.toml",
    "messaging/messaging.manual_download.toml",
    "navigation/navigation.page_triggered.toml",
    "open/open.at_sync_download.toml",
    "origin/origin.quarantine_messaging.toml",
    "origin/origin.quarantine_web_download.toml",
    "origin/origin.zone_identifier_referrer.toml",
    "presence/presence.cache_only.toml",
    "purpose/purpose.prefetch.toml",
    "purpose/purpose.prerender.toml",
    "purpose/purpose.preview.toml",
    "read_state/read_state.message_unread.toml",
    "repetition/repetition.repeated_retrieval.toml",
    "state/state.locked_or_asleep.toml",
    "timing/timing.after_own_thumbnail.toml",
    "timing/timing.media_fetched_at_receipt.toml",
    "timing/timing.media_fetched_late.toml",
    "timing/timing.page_load_burst.toml",
    "transition/transition.auto_subframe.toml",
    "transition/transition.auto_toplevel.toml",
    "transition/transition.embed.toml",
    "transition/transition.form_submit.toml",
    "transition/transition.link.toml",
    "transition/transition.reload.toml",
    "transition/transition.typed.toml",
);

impl Rulebook {
    /// The rulebook compiled into the binary.
    pub fn embedded() -> Result<Self, RulebookError> {
        Self::from_files(EMBEDDED.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())).collect(), "(embedded)")
    }

    /// Every `*.toml` below `dir` (`<family>/<id>.toml`).
    pub fn load_dir(dir: &Path) -> Result<Self, RulebookError> {
        let mut files = Vec::new();
        let read = |p: &Path| std::fs::read_dir(p).map_err(|source| RulebookError::Read { path: p.to_owned(), source });
        for group in read(dir)? {
            let group = group.map_err(|source| RulebookError::Read { path: dir.to_owned(), source })?;
            if !group.path().is_dir() {
                continue;
            }
            for f in read(&group.path())? {
                let f = f.map_err(|source| RulebookError::Read { path: group.path(), source })?;
                let p = f.path();
                if p.extension().is_some_and(|e| e == "toml") {
                    let text = std::fs::read_to_string(&p)
                        .map_err(|source| RulebookError::Read { path: p.clone(), source })?;
                    let rel = format!("{}/{}", group.file_name().to_string_lossy(), f.file_name().to_string_lossy());
                    files.push((rel, text));
                }
            }
        }
        Self::from_files(files, &dir.display().to_string())
    }

    /// Parses and validates rule files given as (relative path, text).
    pub fn from_files(mut files: Vec<(String, String)>, name: &str) -> Result<Self, RulebookError> {
        if files.is_empty() {
            return Err(RulebookError::Empty(name.to_owned()));
        }
        files.sort();
        let mut hasher = Sha256::new();
        let mut rules = Vec::with_capacity(files.len());
        let mut ids = BTreeSet::new();
        for (path, text) in &files {
            hasher.update(path.as_bytes());
            hasher.update([0]);
            hasher.update(text.as_bytes());
            hasher.update([0]);
            let rule: Rule = toml::from_str(text)
                .map_err(|e| RulebookError::Parse { path: path.clone(), message: e.to_string() })?;
            validate(path, &rule).map_err(|message| RulebookError::Invalid { path: path.clone(), message })?;
            if !ids.insert(rule.id.clone()) {
                return Err(RulebookError::Duplicate(rule.id));
            }
            rules.push(rule);
        }
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        for r in &rules {
            if let Some(missing) = r.unless.iter().find(|u| !ids.contains(*u)) {
                return Err(RulebookError::Invalid {
                    path: format!("{}/{}.toml", family(&r.id), r.id),
                    message: format!("unless names {missing}, which is not a rule of this rulebook"),
                });
            }
        }
        let sha256 = hex::encode(hasher.finalize());
        Ok(Self { rules, sha256 })
    }

    /// The event kinds the windowed rules read on the receiving device (with
    /// the kinds that end a state).
    pub fn window_kinds(&self) -> BTreeSet<String> {
        self.rules
            .iter()
            .filter(|r| r.condition.scope.is_windowed())
            .flat_map(|r| r.condition.kinds.iter().chain(&r.condition.ends).cloned())
            .collect()
    }

    /// The columns the gap checks ask whether an input fills.
    pub fn decide_columns(&self) -> BTreeSet<String> {
        self.rules.iter().flat_map(|r| r.decides.requirements().into_iter().filter_map(|q| q.column)).collect()
    }
}

/// The family of a rule id: the part before the first dot.
fn family(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

fn validate(path: &str, r: &Rule) -> Result<(), String> {
    let fam = family(&r.id);
    let want = format!("{fam}/{}.toml", r.id);
    if path != want || !r.id.contains('.') {
        return Err(format!("a rule with id {} belongs in {want} (its family, the id before the first dot)", r.id));
    }
    if !GROUPS.iter().any(|(g, _)| *g == r.group) {
        let known: Vec<&str> = GROUPS.iter().map(|(g, _)| *g).collect();
        return Err(format!("group {} is not one of the dependency groups ({})", r.group, known.join(", ")));
    }
    let [lo, hi] = r.range;
    if !(r.log10_lr.is_finite() && lo.is_finite() && hi.is_finite()) {
        return Err("log10_lr and range must be finite numbers".into());
    }
    if !(lo <= r.log10_lr && r.log10_lr <= hi) {
        return Err(format!("range [{lo}, {hi}] must contain log10_lr {}", r.log10_lr));
    }
    if lo.abs().max(hi.abs()) > MAX_RULE_LOG10 {
        return Err(format!("a single rule may not exceed |log10 LR| {MAX_RULE_LOG10}"));
    }
    if (lo < 0.0) != (hi < 0.0) && lo != 0.0 && hi != 0.0 {
        return Err(format!("range [{lo}, {hi}] crosses zero: a rule must point one way"));
    }
    if r.description.trim().is_empty() || r.rationale.trim().is_empty() {
        return Err("description and rationale are required".into());
    }
    if r.alternatives.trim().is_empty() {
        return Err("alternatives is required: how the evidence arises under the other proposition, and why the range covers it".into());
    }
    if r.references.is_empty() {
        return Err("at least one reference is required".into());
    }
    if r.conclusive.as_ref().is_some_and(|c| c.trim().is_empty()) {
        return Err("conclusive must cite the literature that makes the rule conclusive on its own".into());
    }
    if r.unless.iter().any(|u| u == &r.id) {
        return Err("a rule cannot be unless itself".into());
    }
    let c = &r.condition;
    if c.kinds.is_empty() {
        return Err("condition.kinds must name at least one event kind".into());
    }
    if let Some(k) = c
        .kinds
        .iter()
        .chain(&c.ends)
        .chain(&c.with)
        .chain(&c.arrival_kinds)
        .find(|k| waybill_model::EventKind::parse(k).is_none())
    {
        return Err(format!("unknown event kind {k}"));
    }
    if c.scope.is_windowed() && c.window_s.is_none_or(|w| w <= 0.0) {
        return Err("scopes before/around/after/state need a positive window_s".into());
    }
    if c.window_s.is_some_and(|w| w <= 0.0 || (c.scope != Scope::Origin && w > 3_600.0) || w > 86_400.0 * 366.0) {
        return Err("window_s must be positive and at most 3600 seconds (the events analyze selects around an arrival); an origin window at most a year".into());
    }
    if (c.scope == Scope::State) == c.ends.is_empty() {
        return Err("scope state needs the kinds that end the state (ends), and only it takes them".into());
    }
    if c.actor != Actor::Subject && !matches!(c.scope, Scope::Linked | Scope::Ever | Scope::Origin) {
        return Err("actor other or any applies only to the records tied to the file (linked, ever, origin)".into());
    }
    if c.min_count == 0 {
        return Err("min_count must be at least 1".into());
    }
    for p in c.all.iter().chain(&c.any).chain(&c.none).chain(&c.copy_none).chain(&c.arrival_all) {
        if p.tests_given() != 1 {
            return Err(format!(
                "predicate on {} must give exactly one of eq, one_of, prefix, contains, present, lte, gte",
                p.column
            ));
        }
        let known = is_event_column(&p.column)
            || p.column.strip_prefix("attrs.").is_some_and(|k| !k.is_empty())
            || p.column.strip_prefix("ctx.").is_some_and(is_ctx_fact);
        if !known {
            return Err(format!("unknown column {}", p.column));
        }
    }
    for q in r.decides.requirements() {
        if q.formats.is_empty() {
            return Err("decides.formats (and every decides.also) must name at least one format".into());
        }
    }
    if r.decides.needs.trim().is_empty() {
        return Err("decides.needs is required (it names the gap)".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates() {
        let p = |toml: &str| -> Predicate { toml::from_str(toml).unwrap() };
        assert!(p("column='fetch_user'\neq='?1'").test(Some("?1")));
        assert!(!p("column='fetch_user'\neq='?1'").test(None));
        assert!(p("column='fetch_user'\npresent=false").test(Some("")));
        assert!(p("column='purpose'\nprefix='prefetch'").test(Some("prefetch;prerender")));
        assert!(p("column='transition'\ncontains='SERVER_REDIRECT'").test(Some("LINK|SERVER_REDIRECT")));
        assert!(p("column='fetch_dest'\none_of=['image','video']").test(Some("video")));
        assert!(p("column='ctx.fetch_delay_s'\nlte=30.0").test(Some("12.5")));
        assert!(!p("column='ctx.fetch_delay_s'\nlte=30.0").test(Some("31")));
        assert!(!p("column='ctx.fetch_delay_s'\ngte=600.0").test(Some("n/a")));
        assert!(p("column='ctx.fetch_delay_s'\ngte=600.0").test(Some("10800")));
    }

    #[test]
    fn every_group_and_fact_is_documented_once() {
        let g: BTreeSet<&str> = GROUPS.iter().map(|(g, _)| *g).collect();
        assert_eq!(g.len(), GROUPS.len());
        let f: BTreeSet<&str> = CTX_FACTS.iter().map(|(f, _)| *f).collect();
        assert_eq!(f.len(), CTX_FACTS.len());
    }
}
