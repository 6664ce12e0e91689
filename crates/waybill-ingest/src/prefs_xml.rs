//! Android `SharedPreferences` XML (`shared_prefs/*.xml`).
//!
//! A strict reader of the small XML subset Android writes for shared
//! preferences: a prolog, one `<map>` root, child elements with attributes,
//! text with the five predefined entities and character references, CDATA and
//! comments. Anything else — a missing end tag, text outside elements, a
//! DOCTYPE, an unknown entity — is malformed.
//!
//! Used by `whatsapp.prefs` and `telegram.mainconfig`.

use std::borrow::Cow;

use waybill_model::{Attrs, Event, EventKind, EventSink, Precision, RecordRef, Reject, RejectReason, Timestamp};

use crate::input::Input;
use crate::source::SourceError;

/// A settings file is a few kilobytes; anything larger is not one.
pub const LIMIT: usize = 4 << 20;

/// Reads a messaging app's settings file as one record: its `<map>` decoded by
/// `decode`, then one `app.setting` event at the file's modification time
/// (whole seconds: the last write of any key), with `app`, `setting` =
/// `media_autodownload`, `file_name`, `ts_from`, and what `fill` adds. A file
/// that is not well-formed, that `decode` refuses, or that has no
/// modification time is one reject.
pub fn read_setting<T>(
    input: &mut Input<'_>,
    out: &mut dyn EventSink,
    app: &'static str,
    decode: impl FnOnce(&[Entry]) -> Result<T, RejectReason>,
    fill: impl FnOnce(&[Entry], T, &mut Attrs<'static>),
) -> Result<(), SourceError> {
    let bytes = input.read_to_end(LIMIT)?;
    let record = RecordRef::Whole;
    let decoded = match std::str::from_utf8(&bytes) {
        Ok(text) => parse_map(text).map_err(RejectReason::Malformed),
        Err(e) => Err(RejectReason::Malformed(format!("not UTF-8 at byte {}", e.valid_up_to()))),
    }
    .and_then(|entries| decode(&entries).map(|v| (entries, v)));
    let (entries, value) = match decoded {
        Ok(d) => d,
        Err(reason) => {
            out.reject(Reject { record, reason, raw: &bytes });
            return Ok(());
        }
    };
    let ts = match input.modified().map(|us| Timestamp::from_unix_micros(us.div_euclid(1_000_000) * 1_000_000)) {
        Some(Ok(t)) => t,
        _ => {
            out.reject(Reject {
                record,
                reason: RejectReason::Timestamp("the settings file has no modification time".into()),
                raw: &bytes,
            });
            return Ok(());
        }
    };
    let mut e = Event::new(EventKind::AppSetting, ts, Precision::Second, record);
    let name = input.path().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    e.attrs.push("app", app);
    e.attrs.push("setting", "media_autodownload");
    e.attrs.push("file_name", Cow::Owned(name));
    e.attrs.push("ts_from", "settings file mtime (last write of the whole file, not of these keys)");
    fill(&entries, value, &mut e.attrs);
    out.event(e);
    out.accepted();
    Ok(())
}

/// One child element of `<map>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The element name (`int`, `string`, `boolean`, …).
    pub tag: String,
    /// The `name` attribute.
    pub name: Option<String>,
    /// The `value` attribute.
    pub value: Option<String>,
    /// The element's own text, entities resolved (`<string name="k">text</string>`);
    /// `None` for an empty element or one with child elements.
    pub text: Option<String>,
    /// The texts of its child elements: the members of a `<set>`.
    pub items: Vec<String>,
}

const MAX_DEPTH: usize = 16;

struct P<'a> {
    s: &'a str,
    pos: usize,
}

type R<T> = Result<T, String>;

/// A start tag: name, attributes, and whether it closes itself (`/>`).
type StartTag<'a> = (&'a str, Vec<(&'a str, String)>, bool);

impl<'a> P<'a> {
    fn rest(&self) -> &'a str {
        self.s.get(self.pos..).unwrap_or("")
    }

    fn err<T>(&self, what: &str) -> R<T> {
        if self.pos >= self.s.len() {
            Err(format!("{what}: the file ends at byte {} (truncated?)", self.s.len()))
        } else {
            Err(format!("{what} at byte {}", self.pos))
        }
    }

    fn skip_ws(&mut self) {
        let n = self.rest().len() - self.rest().trim_start_matches([' ', '\t', '\r', '\n']).len();
        self.pos += n;
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.rest().starts_with(lit) {
            self.pos += lit.len();
            true
        } else {
            false
        }
    }

    fn until(&mut self, end: &str, what: &str) -> R<&'a str> {
        match self.rest().find(end) {
            Some(i) => {
                let body = self.rest().get(..i).unwrap_or("");
                self.pos += i + end.len();
                Ok(body)
            }
            None => {
                self.pos = self.s.len();
                self.err(what)
            }
        }
    }

    /// Skips whitespace, comments and processing instructions.
    fn misc(&mut self) -> R<()> {
        loop {
            self.skip_ws();
            if self.eat("<!--") {
                self.until("-->", "unclosed comment")?;
            } else if self.rest().starts_with("<?") {
                self.pos += 2;
                self.until("?>", "unclosed processing instruction")?;
            } else {
                return Ok(());
            }
        }
    }

    fn name(&mut self) -> R<&'a str> {
        let rest = self.rest();
        let len = rest
            .char_indices()
            .find(|&(i, c)| {
                !(c.is_ascii_alphabetic()
                    || c == '_'
                    || c == ':'
                    || (i > 0 && (c.is_ascii_digit() || c == '-' || c == '.')))
            })
            .map_or(rest.len(), |(i, _)| i);
        if len == 0 {
            return self.err("expected a name");
        }
        let n = rest.get(..len).unwrap_or("");
        self.pos += len;
        Ok(n)
    }

    /// `<name attr="v" …>` or `…/>`, after the `<`: (name, attributes, empty?).
    fn start_tag(&mut self) -> R<StartTag<'a>> {
        let name = self.name()?;
        let mut attrs: Vec<(&'a str, String)> = Vec::new();
        loop {
            let before = self.pos;
            self.skip_ws();
            if self.eat("/>") {
                return Ok((name, attrs, true));
            }
            if self.eat(">") {
                return Ok((name, attrs, false));
            }
            if self.pos == before {
                return self.err("expected whitespace, '>' or '/>' in a start tag");
            }
            let an = self.name()?;
            self.skip_ws();
            if !self.eat("=") {
                return self.err("expected '=' after an attribute name");
            }
            self.skip_ws();
            let quote = if self.eat("\"") {
                "\""
            } else if self.eat("'") {
                "'"
            } else {
                return self.err("expected a quoted attribute value");
            };
            let at = self.pos;
            let raw = self.until(quote, "unclosed attribute value")?;
            if raw.contains('<') {
                self.pos = at;
                return self.err("'<' in an attribute value");
            }
            if attrs.iter().any(|(n, _)| *n == an) {
                self.pos = at;
                return self.err("duplicate attribute");
            }
            attrs.push((an, decode(raw).map_err(|e| format!("{e} at byte {at}"))?));
        }
    }

    /// Content of an element up to its end tag (nested elements are read and
    /// checked, text is checked); returns the element's direct children and
    /// its own text.
    fn content(&mut self, tag: &str, depth: usize) -> R<(Vec<Entry>, String)> {
        if depth > MAX_DEPTH {
            return self.err("elements nested too deep");
        }
        let mut children = Vec::new();
        let mut own = String::new();
        loop {
            let rest = self.rest();
            if rest.is_empty() {
                return self.err(&format!("no end tag for <{tag}>"));
            }
            if self.eat("</") {
                let at = self.pos;
                let name = self.name()?;
                self.skip_ws();
                if name != tag || !self.eat(">") {
                    self.pos = at;
                    return self.err(&format!("end tag does not close <{tag}>"));
                }
                return Ok((children, own));
            }
            if self.eat("<!--") {
                self.until("-->", "unclosed comment")?;
            } else if self.eat("<![CDATA[") {
                if depth == 0 {
                    return self.err("text directly inside <map>");
                }
                own.push_str(self.until("]]>", "unclosed CDATA section")?);
            } else if self.rest().starts_with("<?") {
                self.pos += 2;
                self.until("?>", "unclosed processing instruction")?;
            } else if self.eat("<") {
                let (name, attrs, empty) = self.start_tag()?;
                let (text, items) = if empty {
                    (None, Vec::new())
                } else {
                    let (inner, text) = self.content(name, depth + 1)?;
                    let items: Vec<String> = inner.iter().filter_map(|c| c.text.clone()).collect();
                    (inner.is_empty().then_some(text).filter(|t| !t.is_empty()), items)
                };
                let get = |k: &str| attrs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
                children.push(Entry { tag: name.to_owned(), name: get("name"), value: get("value"), text, items });
            } else {
                let at = self.pos;
                let end = rest.find('<').unwrap_or(rest.len());
                let text = rest.get(..end).unwrap_or("");
                if depth == 0 && !text.trim().is_empty() {
                    return self.err("text directly inside <map>");
                }
                own.push_str(&decode(text).map_err(|e| format!("{e} at byte {at}"))?);
                self.pos += end;
            }
        }
    }
}

/// Resolves entity and character references.
fn decode(raw: &str) -> Result<String, String> {
    if !raw.contains('&') {
        return Ok(raw.to_owned());
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('&') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let after = rest.get(i + 1..).unwrap_or("");
        let Some(semi) = after.find(';') else {
            return Err("'&' without ';'".into());
        };
        let ent = after.get(..semi).unwrap_or("");
        let c = match ent {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let n = if let Some(h) = ent.strip_prefix("#x").or_else(|| ent.strip_prefix("#X")) {
                    u32::from_str_radix(h, 16).ok()
                } else if let Some(d) = ent.strip_prefix('#') {
                    d.parse().ok()
                } else {
                    None
                };
                n.and_then(char::from_u32).ok_or_else(|| format!("unknown entity &{ent};"))?
            }
        };
        out.push(c);
        rest = after.get(semi + 1..).unwrap_or("");
    }
    out.push_str(rest);
    Ok(out)
}

/// Parses a shared-preferences document into the children of its `<map>`.
pub fn parse_map(text: &str) -> Result<Vec<Entry>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut p = P { s: text, pos: 0 };
    p.misc()?;
    if p.rest().starts_with("<!") {
        return p.err("unexpected declaration (DOCTYPE?)");
    }
    if !p.eat("<") {
        return p.err("expected the <map> element");
    }
    let (name, _, empty) = p.start_tag()?;
    if name != "map" {
        return Err(format!("the root element is <{name}>, not <map>"));
    }
    let entries = if empty { Vec::new() } else { p.content("map", 0)?.0 };
    p.misc()?;
    if !p.rest().is_empty() {
        return p.err("content after </map>");
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn android_map() {
        let doc = "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n    \
                   <int name=\"autodownload_wifi_mask\" value=\"15\" />\n    \
                   <string name=\"push_name\">Sam &amp; Co &#x263A;</string>\n    \
                   <set name=\"s\">\n        <string>a</string>\n    </set>\n    \
                   <boolean name=\"b\" value=\"true\" />\n</map>\n";
        let e = parse_map(doc).expect("parses");
        assert_eq!(e.len(), 4);
        assert_eq!(e[0].tag, "int");
        assert_eq!(e[0].name.as_deref(), Some("autodownload_wifi_mask"));
        assert_eq!(e[0].value.as_deref(), Some("15"));
        assert_eq!(e[1].text.as_deref(), Some("Sam & Co \u{263A}"));
        assert_eq!(e[0].text, None);
        assert_eq!(e[2].tag, "set");
        assert_eq!(e[2].text, None);
        assert_eq!(e[2].items, ["a"]);
    }

    #[test]
    fn malformed() {
        for (doc, want) in [
            ("<map><int name=\"a\" value=\"1\" />", "no end tag for <map>: the file ends"),
            ("<map><int name=\"a\" value=\"1\"></map>", "end tag does not close <int>"),
            ("<map>x</map>", "text directly inside <map>"),
            ("<map><string name=\"a\">&bogus;</string></map>", "unknown entity &bogus;"),
            ("<map></map><map></map>", "content after </map>"),
            ("<list></list>", "the root element is <list>"),
            ("<map><int name=\"a\" name=\"b\" /></map>", "duplicate attribute"),
            ("<!DOCTYPE x><map/>", "unexpected declaration"),
        ] {
            let err = parse_map(doc).expect_err(doc);
            assert!(err.contains(want), "{doc}: {err}");
        }
        assert!(parse_map("<map/>").expect("empty map").is_empty());
    }
}
