//! The rulebook: one TOML file per rule, `rulebook/<group>/<id>.toml`.
//!
//! ```toml
//! id = "fetch.user_activation"
//! description = "The request for the file carried Sec-Fetch-User: ?1 on a navigation"
//! group = "fetch"                 # dependency group: only its strongest item counts
//! log10_lr = 1.3                  # positive favours user-initiated retrieval
//! range = [0.7, 1.7]              # low and high log10 LR (sensitivity)
//! rationale = "…"
//! references = ["https://www.w3.org/TR/fetch-metadata/"]
//!
//! [condition]
//! scope = "linked"                # linked | arrival | before | around | after
//! kinds = ["http.request"]
//! all = [{ column = "fetch_user", eq = "?1" }, { column = "fetch_mode", eq = "navigate" }]
//!
//! [decides]                       # what would decide the rule when it cannot be evaluated
//! needs = "web server log of the file's host with Sec-Fetch-* fields"
//! formats = ["apache.access", "nginx.access", "caddy.access"]
//! column = "fetch_user"           # the source must be seen to log this column
//! ```
//!
//! Columns are the event table's, or `attrs.<key>` for a key of `attrs`.
//! `scope` says which events the condition looks at: `linked` — events tied to
//! the file by a shared key (hash, URL, path) that belong to the delivery that
//! brought it (not after the arrival, not before an earlier separate delivery);
//! `ever` — linked events at any time; `arrival` — the arrival event only;
//! `before` / `around` / `after` — the subject's events within `window_s` seconds
//! before, on either side of, or after the arrival. `min_count` (default 1) is how
//! many events must match; `absent = true` inverts the condition (it holds when
//! no event matches; `with = [kinds]` limits it to files with an event of one
//! of those kinds in scope), and such a rule is evaluated only where a source in
//! `decides.formats` covers the window — absence is never read as evidence
//! otherwise.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Which events a condition looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Events tied to the file by a shared key that belong to the delivery
    /// that brought it: not after its arrival, and not before an earlier,
    /// separate delivery of the same content.
    Linked,
    /// Events tied to the file by a shared key, at any time (repetition).
    Ever,
    /// The arrival event.
    Arrival,
    /// The subject's events within `window_s` before the arrival.
    Before,
    /// The subject's events within `window_s` on either side.
    Around,
    /// The subject's events within `window_s` after the arrival.
    After,
    /// The state the subject's device was in at the arrival: the last event
    /// of `kinds` (passing the predicates) within `window_s` certainly before
    /// the arrival, with none of `ends` from then until certainly after it
    /// (across both clocks' uncertainty, or five minutes either side when the
    /// event's clock cannot be ordered against the arrival's). Only events of
    /// the receiving device count (the clocks of the file's client-side
    /// events). A screen locked after a download says nothing of the download.
    State,
}

impl Scope {
    /// Whether the scope looks at the subject's events in a window around the
    /// arrival (rather than at the events tied to the file).
    pub fn is_windowed(self) -> bool {
        matches!(self, Self::Before | Self::Around | Self::After | Self::State)
    }
}

/// One test on one column. Exactly one of the tests is given.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Predicate {
    /// An event column, or `attrs.<key>`.
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
        false
    }

    fn tests_given(&self) -> usize {
        usize::from(self.eq.is_some())
            + usize::from(self.one_of.is_some())
            + usize::from(self.prefix.is_some())
            + usize::from(self.contains.is_some())
            + usize::from(self.present.is_some())
    }
}

/// What a rule looks for.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Which events.
    pub scope: Scope,
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
    /// Window in seconds for `before`, `around`, `after` (and for counting).
    pub window_s: Option<f64>,
    /// How many events must match.
    #[serde(default = "one")]
    pub min_count: u32,
    /// The condition holds when no event matches.
    #[serde(default)]
    pub absent: bool,
    /// With `absent`: the condition only applies when an event in scope has
    /// one of these kinds (no visit for a file *that has a cache entry*).
    #[serde(default)]
    pub with: Vec<String>,
    /// With scope `state`: the kinds that end the state (unlock, logon, wake);
    /// the `none` predicates exclude events of these kinds too.
    #[serde(default)]
    pub ends: Vec<String>,
}

fn one() -> u32 {
    1
}

impl Condition {
    /// Does one event pass the predicates? `get` reads a column (or
    /// `attrs.<key>`) of the event.
    pub fn matches<'a>(&self, kind: &str, get: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.kinds.iter().any(|k| k == kind)
            && self.all.iter().all(|p| p.test(get(&p.column)))
            && (self.any.is_empty() || self.any.iter().any(|p| p.test(get(&p.column))))
            && !self.none.iter().any(|p| p.test(get(&p.column)))
    }
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
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// `group.name`; also the file name.
    pub id: String,
    /// One line.
    pub description: String,
    /// Dependency group; also the folder name.
    pub group: String,
    /// log10 LR, positive favouring user-initiated retrieval.
    pub log10_lr: f64,
    /// Low and high log10 LR.
    pub range: [f64; 2],
    /// Why this value.
    pub rationale: String,
    /// Where the facts come from.
    pub references: Vec<String>,
    /// What it looks for.
    pub condition: Condition,
    /// What would decide it.
    pub decides: Decides,
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
    "context/context.search_before.toml",
    "download/download.extension.toml",
    "download/download.record_with_tab.toml",
    "download/download.transient.toml",
    "download/download.background_request.toml",
    "download/download.visible_request.toml",
    "download_danger/download_danger.user_validated.toml",
    "fetch/fetch.navigation_without_activation.toml",
    "fetch/fetch.site_none_navigation.toml",
    "fetch/fetch.site_none_user_activation.toml",
    "fetch/fetch.subresource_destination.toml",
    "fetch/fetch.user_activation.toml",
    "origin/origin.quarantine_messaging.toml",
    "origin/origin.quarantine_web_download.toml",
    "origin/origin.zone_identifier_referrer.toml",
    "presence/presence.cache_only.toml",
    "purpose/purpose.prefetch.toml",
    "purpose/purpose.prerender.toml",
    "purpose/purpose.preview.toml",
    "repetition/repetition.repeated_retrieval.toml",
    "state/state.locked_or_asleep.toml",
    "burst/burst.many_files.toml",
    "transition/transition.auto_subframe.toml",
    "transition/transition.auto_toplevel.toml",
    "transition/transition.embed.toml",
    "transition/transition.form_submit.toml",
    "transition/transition.link.toml",
    "transition/transition.reload.toml",
    "transition/transition.typed.toml",
    "messaging/messaging.auto_download.toml",
    "messaging/messaging.manual_download.toml",
    "read_state/read_state.message_unread.toml",
    "cloud/cloud.sync_download.toml",
    "cloud/cloud.browser_download.toml",
    "cloud/cloud.service_action.toml",
    "cloud/cloud.machinery_only.toml",
);

impl Rulebook {
    /// The rulebook compiled into the binary.
    pub fn embedded() -> Result<Self, RulebookError> {
        Self::from_files(EMBEDDED.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())).collect(), "(embedded)")
    }

    /// Every `*.toml` below `dir` (`<group>/<id>.toml`).
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
        let sha256 = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self { rules, sha256 })
    }
}

fn validate(path: &str, r: &Rule) -> Result<(), String> {
    let want = format!("{}/{}.toml", r.group, r.id);
    if path != want {
        return Err(format!("a rule with id {} and group {} belongs in {want}", r.id, r.group));
    }
    if !r.id.starts_with(&format!("{}.", r.group)) {
        return Err(format!("id {} must start with its group {}.", r.id, r.group));
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
    if r.references.is_empty() {
        return Err("at least one reference is required".into());
    }
    let c = &r.condition;
    if c.kinds.is_empty() {
        return Err("condition.kinds must name at least one event kind".into());
    }
    if c.scope.is_windowed() && c.window_s.is_none_or(|w| w <= 0.0) {
        return Err("scopes before/around/after/state need a positive window_s".into());
    }
    if c.window_s.is_some_and(|w| w > 3_600.0) {
        return Err("window_s may not exceed 3600 seconds (the events analyze selects around an arrival)".into());
    }
    if (c.scope == Scope::State) == c.ends.is_empty() {
        return Err("scope state needs the kinds that end the state (ends), and only it takes them".into());
    }
    if c.min_count == 0 {
        return Err("min_count must be at least 1".into());
    }
    for p in c.all.iter().chain(&c.any).chain(&c.none) {
        if p.tests_given() != 1 {
            return Err(format!(
                "predicate on {} must give exactly one of eq, one_of, prefix, contains, present",
                p.column
            ));
        }
        if !(is_event_column(&p.column) || p.column.strip_prefix("attrs.").is_some_and(|k| !k.is_empty())) {
            return Err(format!("unknown column {}", p.column));
        }
    }
    if r.decides.needs.trim().is_empty() || r.decides.formats.is_empty() {
        return Err("decides.needs and decides.formats are required (they name the gap)".into());
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
    }
}
