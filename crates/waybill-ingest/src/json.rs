//! A JSON tree that borrows its strings from the text it was parsed from.
//!
//! The JSON record sources (`m365.audit`, `gdrive.audit`, `dropbox.events`,
//! `aws.cloudtrail`, `cloudflare.http`, `plaso.json_line`, `timesketch.jsonl`)
//! read each record as a tree and pick the members they map. Building that tree
//! as a `serde_json::Value` cost about half of their ingest time: the `evtx`
//! crate turns on serde_json's `preserve_order`, so every object is an
//! `IndexMap` keyed by owned `String`s and hashed with SipHash, and every
//! string value is allocated. [`Json`] keeps objects as vectors of members in
//! input order and strings as slices of the input (owned only when they hold
//! escapes), with the same accessors as `Value`.
//!
//! It reads exactly what `Value` reads, and gives the same answers:
//! - a key written twice keeps its first position and its last value (as
//!   `Value` with `preserve_order` does), so [`Json::get`] and the text written
//!   back by `Display` agree with `Value`'s;
//! - numbers are `serde_json::Number`s;
//! - nesting is limited by serde_json's deserializer (128 levels).

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Number;

/// A JSON value whose strings borrow from the input where they can.
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Json<'a>>),
    /// An object, members in input order.
    Object(Object<'a>),
}

/// The members of an object in input order, each key once.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object<'a>(Vec<(Cow<'a, str>, Json<'a>)>);

/// Objects up to this many members are checked for a repeated key pairwise;
/// larger ones through a sorted copy of their keys.
const PAIRWISE: usize = 16;

impl<'a> Object<'a> {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The member `key` as a non-empty string.
    pub fn text_of(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Json::as_str).filter(|s| !s.is_empty())
    }

    /// The member `key` as text: a string trimmed of white space, a number or a
    /// boolean written out; `None` when empty or not a scalar.
    pub fn scalar_of(&self, key: &str) -> Option<String> {
        self.get(key).and_then(Json::scalar)
    }

    /// The member `key` as a whole number (see [`Json::int`]).
    pub fn int_of(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(Json::int)
    }

    /// The member `key` as a boolean (see [`Json::flag`]).
    pub fn flag_of(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(Json::flag)
    }

    /// Has a member `key`?
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The members in input order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json<'a>)> {
        self.into_iter()
    }

    /// How many members.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No members.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The same object owning all its text.
    pub fn into_owned(self) -> Object<'static> {
        Object(self.0.into_iter().map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned())).collect())
    }

    /// Builds an object from members as read: a repeated key keeps its first
    /// position and takes the later value.
    fn from_members(mut members: Vec<(Cow<'a, str>, Json<'a>)>) -> Self {
        if has_repeated_key(&members) {
            let mut out: Vec<(Cow<'a, str>, Json<'a>)> = Vec::with_capacity(members.len());
            for (k, v) in members.drain(..) {
                match out.iter_mut().find(|(o, _)| *o == k) {
                    Some(slot) => slot.1 = v,
                    None => out.push((k, v)),
                }
            }
            members = out;
        }
        Self(members)
    }
}

impl<'o, 'a> IntoIterator for &'o Object<'a> {
    type Item = (&'o str, &'o Json<'a>);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'o, (Cow<'a, str>, Json<'a>)>,
        fn(&'o (Cow<'a, str>, Json<'a>)) -> (&'o str, &'o Json<'a>),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }
}

fn has_repeated_key(members: &[(Cow<'_, str>, Json<'_>)]) -> bool {
    if members.len() <= PAIRWISE {
        return members.iter().enumerate().any(|(i, (k, _))| members[..i].iter().any(|(o, _)| o == k));
    }
    let mut keys: Vec<&str> = members.iter().map(|(k, _)| k.as_ref()).collect();
    keys.sort_unstable();
    keys.windows(2).any(|w| w[0] == w[1])
}

/// The object a JSON text holds (`None` when it is not JSON or not an object).
pub fn object(bytes: &[u8]) -> Option<Object<'_>> {
    match Json::parse(bytes) {
        Ok(Json::Object(o)) => Some(o),
        _ => None,
    }
}

impl<'a> Json<'a> {
    /// Parses one JSON text (the whole of `bytes`, surrounding white space
    /// allowed), as `serde_json::from_slice` does.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// Parses one JSON text held in a `str`.
    pub fn parse_str(text: &'a str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The member `key` of an object (`None` for anything else).
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Json::Object(o) => o.get(key),
            _ => None,
        }
    }

    /// The text of a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// A number that fits an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// A number that fits a `u64`.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    /// A number as `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Number(n) => n.as_f64(),
            _ => None,
        }
    }

    /// A boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The elements of an array.
    pub fn as_array(&self) -> Option<&Vec<Json<'a>>> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The members of an object.
    pub fn as_object(&self) -> Option<&Object<'a>> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Is it an object?
    pub fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }

    /// Is it an array?
    pub fn is_array(&self) -> bool {
        matches!(self, Json::Array(_))
    }

    /// Is it a string?
    pub fn is_string(&self) -> bool {
        matches!(self, Json::String(_))
    }

    /// Is it a number that fits an `i64`?
    pub fn is_i64(&self) -> bool {
        matches!(self, Json::Number(n) if n.is_i64())
    }

    /// Is it a number?
    pub fn is_number(&self) -> bool {
        matches!(self, Json::Number(_))
    }

    /// Is it `null`?
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// A scalar as text: a string trimmed of white space, a number or a
    /// boolean written out; `None` when empty or not a scalar. (Services
    /// write the same field as a string in one version and a number in
    /// another.)
    pub fn scalar(&self) -> Option<String> {
        match self {
            Json::String(s) => Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned),
            Json::Number(n) => Some(n.to_string()),
            Json::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A whole number written as an integer, as an integral float (`3.0`) or
    /// as decimal text (`"12"`, white space allowed). `"12x4"`, `1.5` and
    /// anything else give `None`.
    pub fn int(&self) -> Option<i64> {
        match self {
            Json::Number(n) => n.as_i64().or_else(|| {
                #[allow(clippy::cast_possible_truncation, reason = "checked integral and in range")]
                n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64)
            }),
            Json::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A boolean written as `true`/`false` or as that text (any case).
    pub fn flag(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            Json::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Json::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// The member `key` as a non-empty string.
    pub fn text_of(&self, key: &str) -> Option<&str> {
        self.as_object()?.text_of(key)
    }

    /// The member `key` as text (see [`Json::scalar`]).
    pub fn scalar_of(&self, key: &str) -> Option<String> {
        self.as_object()?.scalar_of(key)
    }

    /// The member `key` as a whole number (see [`Json::int`]).
    pub fn int_of(&self, key: &str) -> Option<i64> {
        self.as_object()?.int_of(key)
    }

    /// The member `key` as a boolean (see [`Json::flag`]).
    pub fn flag_of(&self, key: &str) -> Option<bool> {
        self.as_object()?.flag_of(key)
    }

    /// What kind of JSON value it is, in words (`object`, `string`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }

    /// The same value owning all its text (to outlive the input).
    pub fn into_owned(self) -> Json<'static> {
        match self {
            Json::Null => Json::Null,
            Json::Bool(b) => Json::Bool(b),
            Json::Number(n) => Json::Number(n),
            Json::String(s) => Json::String(Cow::Owned(s.into_owned())),
            Json::Array(a) => Json::Array(a.into_iter().map(Json::into_owned).collect()),
            Json::Object(o) => Json::Object(o.into_owned()),
        }
    }
}

/// Compact JSON text, as `serde_json::Value`'s `Display` writes it.
impl fmt::Display for Json<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => s.serialize_unit(),
            Json::Bool(b) => s.serialize_bool(*b),
            Json::Number(n) => n.serialize(s),
            Json::String(t) => s.serialize_str(t),
            Json::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Json::Object(o) => {
                let mut map = s.serialize_map(Some(o.len()))?;
                for (k, v) in o.iter() {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json<'de>, D::Error> {
        Json::deserialize(d)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Json<'de>, E> {
        Ok(Number::from_f64(n).map_or(Json::Null, Json::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(Json::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let mut members = Vec::new();
        while let Some(k) = map.next_key_seed(Key)? {
            members.push((k, map.next_value()?));
        }
        Ok(Json::Object(Object::from_members(members)))
    }
}

/// An object key, borrowed when it has no escape.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E>(self, s: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(s))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;

    #[test]
    fn scalar_accessors_read_what_services_write() {
        let v = Json::parse(
            br#"{"a":" x ","b":12,"c":"12","d":3.0,"e":"12x4","f":1.5,"g":"TRUE","h":false,"i":"","j":[1],"k":" 7 "}"#,
        )
        .unwrap();
        assert_eq!(v.scalar_of("a").as_deref(), Some("x"));
        assert_eq!(v.scalar_of("b").as_deref(), Some("12"));
        assert_eq!(v.scalar_of("h").as_deref(), Some("false"));
        assert_eq!((v.scalar_of("i"), v.scalar_of("j"), v.scalar_of("zz")), (None, None, None));
        assert_eq!(v.text_of("a"), Some(" x "));
        assert_eq!((v.text_of("i"), v.text_of("b")), (None, None));
        assert_eq!(
            [v.int_of("b"), v.int_of("c"), v.int_of("d"), v.int_of("k")],
            [Some(12), Some(12), Some(3), Some(7)]
        );
        assert_eq!([v.int_of("e"), v.int_of("f"), v.int_of("a"), v.int_of("j")], [None; 4]);
        assert_eq!([v.flag_of("g"), v.flag_of("h"), v.flag_of("c")], [Some(true), Some(false), None]);
        assert_eq!(Json::Null.int_of("b"), None);
    }

    /// Parses with both and compares what the sources look at: the text
    /// written back, each member's lookup, the error or its absence.
    fn same_as_value(text: &str) {
        let ours = Json::parse_str(text);
        let theirs: Result<Value, _> = serde_json::from_str(text);
        match (ours, theirs) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.to_string(), b.to_string(), "{text}");
                if let (Json::Object(o), Value::Object(m)) = (&a, &b) {
                    assert_eq!(o.len(), m.len());
                    for (k, v) in m {
                        assert_eq!(o.get(k).map(ToString::to_string), Some(v.to_string()), "{text} {k}");
                    }
                }
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{text}"),
            (a, b) => panic!("{text}: ours {a:?}, serde_json {b:?}"),
        }
    }

    #[test]
    fn reads_and_writes_what_value_does() {
        for text in [
            r#"{"b":1,"a":[true,null,-2,3.5,1e400],"c":{"d":"x\"y\u00e9\ud83d\ude00"}}"#,
            r#"{"k":1,"j":2,"k":3}"#,
            r#"{"k":1,"k":{"n":[1]},"z":0,"k":"last"}"#,
            r#"[18446744073709551615, -9223372036854775808, 0.1, 1E2]"#,
            r#"{"a":"\/\b\f\n\r\t"}"#,
            "  {\"a\" : 1 }  \n",
            r#"{"a":1,}"#,
            r#"{"a":1"#,
            r#"{"a":"\ud800"}"#,
            "[1] x",
            "",
        ] {
            same_as_value(text);
        }
        let many: String =
            format!("{{{}}}", (0..40).map(|i| format!("\"k{}\":{i}", i % 25)).collect::<Vec<_>>().join(","));
        same_as_value(&many);
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let text = r#"{"plain":"abc","escaped":"a\nb"}"#;
        let v = Json::parse_str(text).unwrap();
        let Some(Json::String(plain)) = v.get("plain") else { panic!("{v:?}") };
        assert!(matches!(plain, Cow::Borrowed("abc")));
        let Some(Json::String(escaped)) = v.get("escaped") else { panic!("{v:?}") };
        assert!(matches!(escaped, Cow::Owned(s) if s == "a\nb"));
        let Json::Object(o) = &v else { panic!() };
        assert!(o.iter().all(|(k, _)| !k.is_empty()));
    }

    #[test]
    fn nesting_beyond_serde_json_s_limit_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        same_as_value(&deep);
        assert!(Json::parse_str(&deep).is_err());
    }

    proptest! {
        #[test]
        fn any_short_text_over_json_s_alphabet_reads_as_value_does(
            text in proptest::collection::vec(
                prop::sample::select(vec!["{", "}", "[", "]", ",", ":", "\"a\"", "\"b\"", "1", "-0.5", "true", "null", " ", "\"\\u00e9\"", "\"\\\"\""]),
                0..24,
            ).prop_map(|parts| parts.concat())
        ) {
            same_as_value(&text);
        }
    }
}
