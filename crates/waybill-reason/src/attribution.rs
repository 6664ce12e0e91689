//! Whose act a server or cloud record is.
//!
//! A record kept by a server, CDN or cloud service counts as the subject's
//! act on a copy only with a reason:
//! - **the subject's account** (a cloud audit record whose actor is one of the
//!   case's `account` subjects), from any address;
//! - **the subject's address and this device's browser**: a client address
//!   that is one of the case's `ip` subjects at that time, and a User-Agent
//!   that fits the browser of the copy's device — the same operating system,
//!   browser family and major version (±1, for updates) as requests that the
//!   clock alignment paired with the device's own visits, downloads or cache
//!   entries;
//! - **paired with the device's own record**: the request for the same URL at
//!   the moment the device's history or cache recorded it, with a
//!   User-Agent that fits.
//!
//! Where the device's User-Agent is not known (no pair), a request from the
//! subject's address counts *weakly*: its evidence is widened and never one of
//! the independent groups a decisive band needs. Everything else is someone
//! else's act — another account, another device behind the same address, an
//! address that is not the subject's — and stays in the chain as such: another
//! account's upload is the origin of a delivery, not noise.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use waybill_model::{Subject, SubjectKind};

/// A browser as its User-Agent names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Browser {
    /// `windows`, `macos`, `linux`, `android`, `ios`, `chromeos`, or `other`.
    pub os: &'static str,
    /// `chrome`, `edge`, `opera`, `samsung`, `firefox`, `safari`, or `other`.
    pub family: &'static str,
    /// Major version, when the string has one.
    pub major: Option<u32>,
}

impl std::fmt::Display for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.major {
            Some(m) => write!(f, "{} {m} on {}", self.family, self.os),
            None => write!(f, "{} on {}", self.family, self.os),
        }
    }
}

/// Reads a User-Agent string. `None` for strings that name no known browser
/// (sync clients, bots, tools): those can be compared only as whole strings.
pub fn parse_user_agent(ua: &str) -> Option<Browser> {
    let os = if ua.contains("Windows NT") || ua.contains("Win64") {
        "windows"
    } else if ua.contains("iPhone") || ua.contains("iPad") || ua.contains("iPod") {
        "ios"
    } else if ua.contains("Android") {
        "android"
    } else if ua.contains("CrOS") {
        "chromeos"
    } else if ua.contains("Macintosh") || ua.contains("Mac OS X") {
        "macos"
    } else if ua.contains("Linux") || ua.contains("X11") {
        "linux"
    } else {
        "other"
    };
    let version = |token: &str| -> Option<u32> {
        let at = ua.find(token)? + token.len();
        let digits: String = ua[at..].chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    let (family, major) = if let Some(v) = version("Edg/").or_else(|| version("EdgA/")).or_else(|| version("EdgiOS/")) {
        ("edge", Some(v))
    } else if let Some(v) = version("OPR/") {
        ("opera", Some(v))
    } else if let Some(v) = version("SamsungBrowser/") {
        ("samsung", Some(v))
    } else if let Some(v) = version("Firefox/").or_else(|| version("FxiOS/")) {
        ("firefox", Some(v))
    } else if let Some(v) = version("CriOS/").or_else(|| version("Chrome/")) {
        ("chrome", Some(v))
    } else if ua.contains("Safari/") && ua.contains("Version/") {
        ("safari", version("Version/"))
    } else {
        return None;
    };
    Some(Browser { os, family, major })
}

/// The browsers a device was seen to use: learned from requests the clock
/// alignment paired with the device's own records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Browser → how many pairs showed it.
    pub seen: BTreeMap<Browser, usize>,
    /// Whole User-Agent strings of paired requests that name no known browser.
    pub raw: BTreeSet<String>,
}

impl Profile {
    /// Does a User-Agent fit the device? `None` when nothing is known of the
    /// device's browser.
    pub fn fits(&self, ua: &str) -> Option<bool> {
        if self.seen.is_empty() && self.raw.is_empty() {
            return None;
        }
        if self.raw.contains(ua) {
            return Some(true);
        }
        let Some(b) = parse_user_agent(ua) else { return Some(false) };
        Some(self.seen.keys().any(|s| {
            s.os == b.os
                && s.family == b.family
                && match (s.major, b.major) {
                    (Some(x), Some(y)) => x.abs_diff(y) <= 1,
                    _ => true,
                }
        }))
    }

    /// In words: `chrome 125 on windows (3 pairs)`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self.seen.iter().map(|(b, n)| format!("{b} ({n} pair{})", plural(*n))).collect();
        parts.extend(self.raw.iter().map(|r| format!("{r:?}")));
        if parts.is_empty() { "nothing".into() } else { parts.join(", ") }
    }

    /// Learns one paired request's User-Agent.
    pub fn learn(&mut self, ua: &str) {
        match parse_user_agent(ua) {
            Some(b) => *self.seen.entry(b).or_default() += 1,
            None => {
                self.raw.insert(ua.to_owned());
            }
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Who a record's act was, for one copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Who {
    /// The subject (their account, or their address and this device's browser).
    Subject,
    /// Someone else: another account, another device, another address.
    Other,
    /// Not known: nothing ties it to the subject or to anyone else.
    Unknown,
}

/// The attribution of one server or cloud record to a copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    /// Manifest id.
    pub source: String,
    /// Record.
    pub record: String,
    /// Event kind.
    pub kind: String,
    /// Whose act.
    pub who: Who,
    /// It counts as the subject's act on this copy only by address (no
    /// User-Agent of the device known): widened, never decisive.
    pub weak: bool,
    /// Why.
    pub why: String,
}

/// The case's subjects, as attribution reads them.
#[derive(Debug, Clone, Default)]
pub struct Subjects {
    /// Accounts, lower-case.
    pub accounts: BTreeSet<String>,
    /// Addresses with their validity.
    pub ips: Vec<Subject>,
}

impl Subjects {
    /// From the case's subjects.
    pub fn new(subjects: &[Subject]) -> Self {
        Self {
            accounts: subjects
                .iter()
                .filter(|s| matches!(s.kind, SubjectKind::Account))
                .map(|s| s.value.to_lowercase())
                .collect(),
            ips: subjects.iter().filter(|s| s.kind == SubjectKind::Ip).cloned().collect(),
        }
    }

    /// Is `actor` one of the subject's accounts? (Case-insensitive; a
    /// SharePoint claims prefix `i:0#.f|membership|` is read past.)
    pub fn is_account(&self, actor: &str) -> bool {
        let a = actor.rsplit('|').next().unwrap_or(actor).trim().to_lowercase();
        self.accounts.contains(&a)
    }

    /// `Some(true)` when `ip` is one of the subject's addresses at `ts`,
    /// `Some(false)` when it is not, `None` when the case names no address.
    pub fn address(&self, ip: &str, ts: i64) -> Option<bool> {
        if self.ips.is_empty() {
            return None;
        }
        let ip = ip.trim();
        let same = |a: &str| match (a.parse::<std::net::IpAddr>(), ip.parse::<std::net::IpAddr>()) {
            (Ok(x), Ok(y)) => x == y,
            _ => a.eq_ignore_ascii_case(ip),
        };
        Some(self.ips.iter().any(|s| same(&s.value) && s.valid_at(ts)))
    }

    /// Whether an address was the subject's at some other time (for the
    /// explanation).
    pub fn address_at_other_times(&self, ip: &str) -> bool {
        self.ips.iter().any(|s| s.value == ip.trim())
    }
}

/// What attribution knows of one record.
#[derive(Debug, Clone, Copy)]
pub struct RecordFacts<'a> {
    /// Its time on the server's clock (µs).
    pub ts: i64,
    /// The actor (account) it names.
    pub actor: Option<&'a str>,
    /// The client address.
    pub client_ip: Option<&'a str>,
    /// The User-Agent.
    pub user_agent: Option<&'a str>,
    /// The clock alignment paired it with one of the device's own records.
    pub paired: bool,
}

/// Attributes one record to the subject, someone else, or no one known.
/// Returns (who, weak, why).
pub fn attribute(r: RecordFacts<'_>, subjects: &Subjects, device: &str, profile: &Profile) -> (Who, bool, String) {
    if let Some(actor) = r.actor.filter(|a| !a.trim().is_empty()) {
        return if subjects.is_account(actor) {
            (Who::Subject, false, format!("the subject's account {actor}, from any address"))
        } else if subjects.accounts.is_empty() {
            (
                Who::Unknown,
                false,
                format!("the account {actor}; the case names no account of the subject (`--subject account=…`)"),
            )
        } else {
            (Who::Other, false, format!("another account ({actor}), not one of the subject's"))
        };
    }
    let fit = r.user_agent.and_then(|ua| profile.fits(ua));
    let ua_text = r.user_agent.map_or_else(
        || "no User-Agent".to_owned(),
        |ua| parse_user_agent(ua).map_or_else(|| format!("User-Agent {ua:?}"), |b| format!("User-Agent {b}")),
    );
    let known = || format!("{device}'s browser ({})", profile.describe());
    let address = r.client_ip.and_then(|ip| subjects.address(ip, r.ts));
    let ip = r.client_ip.unwrap_or("no address");
    match (address, fit) {
        (Some(true), Some(true)) => (
            Who::Subject,
            false,
            format!("the subject's address {ip} at that time and a {ua_text} that fits {}", known()),
        ),
        (Some(true), Some(false)) => (
            Who::Other,
            false,
            format!("another device at the subject's address {ip}: its {ua_text} does not fit {}", known()),
        ),
        (Some(true), None) => (
            Who::Subject,
            true,
            format!(
                "the subject's address {ip}, but no User-Agent of {device} is known ({ua_text}): another device at the address cannot be excluded, so it counts widened and never decides"
            ),
        ),
        (Some(false), Some(true)) if r.paired => (
            Who::Subject,
            false,
            format!(
                "paired with {device}'s own record of the same URL at that moment, with a {ua_text} that fits {}; {ip} is not among the subject's named addresses",
                known()
            ),
        ),
        (Some(false), _) => {
            let when = if r.client_ip.is_some_and(|a| subjects.address_at_other_times(a)) {
                " at that time (it is theirs at other times)"
            } else {
                ""
            };
            (Who::Other, false, format!("address {ip} is not the subject's{when}"))
        }
        (None, Some(true)) if r.paired => (
            Who::Subject,
            false,
            format!(
                "paired with {device}'s own record of the same URL at that moment, with a {ua_text} that fits {}",
                known()
            ),
        ),
        (None, None) if r.paired => (
            Who::Subject,
            true,
            format!(
                "paired with {device}'s own record of the same URL at that moment; no User-Agent of {device} is known, so it counts widened and never decides"
            ),
        ),
        (None, Some(false)) => (Who::Other, false, format!("its {ua_text} does not fit {}", known())),
        (None, _) => (
            Who::Unknown,
            false,
            format!("the case names no address of the subject and nothing pairs this record with {device}'s own"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME_WIN: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36";
    const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";

    #[test]
    fn user_agents_read_as_browser_family_version_and_os() {
        let b = |ua| parse_user_agent(ua).map(|b| b.to_string());
        assert_eq!(b(CHROME_WIN).as_deref(), Some("chrome 125 on windows"));
        assert_eq!(b(SAFARI_IPHONE).as_deref(), Some("safari 17 on ios"));
        assert_eq!(
            b("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0").as_deref(),
            Some("firefox 128 on linux")
        );
        assert_eq!(
            b("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0")
                .as_deref(),
            Some("edge 131 on windows")
        );
        assert_eq!(b("Microsoft SkyDriveSync 25.001.0105.0002 ship; Windows NT 10.0 (19045)"), None);
    }

    #[test]
    fn another_device_behind_the_subjects_address_is_someone_else() {
        let subjects =
            Subjects::new(&["ip=203.0.113.7".parse().unwrap(), "account=alice@example.com".parse().unwrap()]);
        let mut laptop = Profile::default();
        laptop.learn(CHROME_WIN);
        let req = |ua: &'static str| RecordFacts {
            ts: 0,
            actor: None,
            client_ip: Some("203.0.113.7"),
            user_agent: Some(ua),
            paired: false,
        };
        let (who, weak, why) = attribute(req(SAFARI_IPHONE), &subjects, "LAPTOP-1", &laptop);
        assert_eq!((who, weak), (Who::Other, false));
        assert!(why.starts_with("another device at the subject's address 203.0.113.7"), "{why}");
        let (who, weak, _) = attribute(req(CHROME_WIN), &subjects, "LAPTOP-1", &laptop);
        assert_eq!((who, weak), (Who::Subject, false));
        // Chrome 126 after an update still fits; Chrome on Linux does not.
        assert_eq!(laptop.fits(&CHROME_WIN.replace("125.", "126.")), Some(true));
        assert_eq!(laptop.fits(&CHROME_WIN.replace("Windows NT 10.0; Win64; x64", "X11; Linux x86_64")), Some(false));
        // Nothing known of the device: the address counts, widened.
        let (who, weak, _) = attribute(req(SAFARI_IPHONE), &subjects, "LAPTOP-1", &Profile::default());
        assert_eq!((who, weak), (Who::Subject, true));
        // Accounts count from any address; other accounts are someone else.
        let cloud = |actor| RecordFacts {
            ts: 0,
            actor: Some(actor),
            client_ip: Some("198.51.100.9"),
            user_agent: None,
            paired: false,
        };
        assert_eq!(attribute(cloud("Alice@Example.com"), &subjects, "LAPTOP-1", &laptop).0, Who::Subject);
        assert_eq!(attribute(cloud("bob@example.com"), &subjects, "LAPTOP-1", &laptop).0, Who::Other);
    }

    #[test]
    fn an_address_counts_only_while_it_is_the_subjects() {
        let subjects = Subjects::new(&["ip=203.0.113.7@2026-01-01T00:00:00Z..2026-01-31T23:59:59Z".parse().unwrap()]);
        let jan = waybill_model::Timestamp::parse_rfc3339("2026-01-15T00:00:00Z").unwrap().unix_micros();
        let feb = waybill_model::Timestamp::parse_rfc3339("2026-02-15T00:00:00Z").unwrap().unix_micros();
        assert_eq!(subjects.address("203.0.113.7", jan), Some(true));
        assert_eq!(subjects.address("203.0.113.7", feb), Some(false));
        let r = RecordFacts { ts: feb, actor: None, client_ip: Some("203.0.113.7"), user_agent: None, paired: false };
        let (who, _, why) = attribute(r, &subjects, "LAPTOP-1", &Profile::default());
        assert_eq!(who, Who::Other);
        assert!(why.contains("it is theirs at other times"), "{why}");
    }
}
