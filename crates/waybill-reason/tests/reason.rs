//! The rulebook and the combination, from the outside.

use std::path::Path;

use proptest::prelude::*;
use waybill_reason::rule::EMBEDDED;
use waybill_reason::{EvidenceItem, Rulebook, RulebookError, Verdict, combine};

#[test]
fn embedded_rulebook_loads_with_every_file_in_the_folder() {
    let book = Rulebook::embedded().expect("embedded rulebook is valid");
    assert_eq!(book.rules.len(), 49);
    assert_eq!(book.sha256.len(), 64);
    // Every file under rulebook/ is compiled in (a forgotten file would be silently unused).
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    let dir = Path::new(&manifest).join("rulebook");
    let on_disk = Rulebook::load_dir(&dir).expect("folder rulebook is valid");
    assert_eq!(on_disk.sha256, book.sha256);
    assert_eq!(on_disk.rules.len(), EMBEDDED.len());
    // Every rule says how its evidence arises under the other proposition.
    assert!(book.rules.iter().all(|r| r.alternatives.len() > 80), "short alternatives");
    // The facts the issue names share a group.
    let group = |id: &str| book.rules.iter().find(|r| r.id == id).map(|r| r.group.as_str()).expect(id);
    for (id, g) in [
        ("download.record_with_tab", "download_record"),
        ("origin.zone_identifier_referrer", "download_record"),
        ("origin.quarantine_web_download", "download_record"),
        ("repetition.repeated_retrieval", "download_record"),
        ("transition.typed", "navigation"),
        ("fetch.user_activation", "navigation"),
        ("fetch.subresource_destination", "embedded"),
        ("presence.cache_only", "embedded"),
        ("transition.embed", "embedded"),
        ("burst.many_files", "sync"),
    ] {
        assert_eq!(group(id), g, "{id}");
    }
    // Rules resting on one header never reach LR 10 at their low end.
    for id in ["fetch.user_activation", "fetch.site_none_user_activation", "download_danger.user_validated"] {
        let r = book.rules.iter().find(|r| r.id == id).expect(id);
        assert!(r.range[0] < 1.0, "{id}: {:?}", r.range);
    }
    // None of the built-in rules is conclusive on its own.
    assert!(book.rules.iter().all(|r| r.conclusive.is_none()));
}

/// The validation table compiled into the binary was measured with this
/// rulebook: a rule changed without re-running `bench_accuracy --set heldout
/// --write-validation` fails here.
#[test]
fn the_validation_table_was_measured_with_the_built_in_rulebook() {
    let v = waybill_reason::validation::embedded().expect("validation.json parses");
    let book = Rulebook::embedded().expect("rulebook");
    assert_eq!(v.schema, "waybill.validation/1");
    assert_eq!(v.rulebook, book.sha256, "re-run bench_accuracy --set heldout --write-validation");
    assert!(v.seeds.starts_with("heldout seeds"), "{}", v.seeds);
    assert!(v.overall.files > 0);
}

fn rule_text(id: &str, group: &str, lr: f64, range: [f64; 2], column: &str) -> String {
    format!(
        "id = \"{id}\"\ndescription = \"d\"\ngroup = \"{group}\"\nlog10_lr = {lr}\nrange = [{}, {}]\nrationale = \"r\"\nalternatives = \"a\"\nreferences = [\"x\"]\n\n[condition]\nscope = \"linked\"\nkinds = [\"http.request\"]\nall = [{{ column = \"{column}\", eq = \"?1\" }}]\n\n[decides]\nneeds = \"a log\"\nformats = [\"apache.access\"]\n",
        range[0], range[1]
    )
}

#[test]
fn invalid_rules_are_refused_with_the_file_and_the_reason() {
    let ok = || rule_text("g.a", "navigation", 1.0, [0.5, 1.5], "fetch_user");
    let cases = [
        (
            "g/g.a.toml",
            rule_text("g.a", "navigation", 1.0, [1.2, 1.5], "fetch_user"),
            "range [1.2, 1.5] must contain log10_lr 1",
        ),
        ("g/g.a.toml", rule_text("g.a", "navigation", 0.5, [-0.2, 0.8], "fetch_user"), "crosses zero"),
        ("g/g.a.toml", rule_text("g.a", "navigation", 1.0, [0.5, 1.5], "fetch_usr"), "unknown column fetch_usr"),
        (
            "g/g.a.toml",
            rule_text("g.a", "navigation", 1.0, [0.5, 1.5], "ctx.no_such_fact"),
            "unknown column ctx.no_such_fact",
        ),
        ("h/g.a.toml", ok(), "belongs in g/g.a.toml"),
        (
            "g/g.a.toml",
            rule_text("g.a", "g", 1.0, [0.5, 1.5], "fetch_user"),
            "group g is not one of the dependency groups",
        ),
        ("g/g.a.toml", rule_text("g.a", "navigation", 4.5, [4.0, 5.0], "fetch_user"), "may not exceed"),
        ("g/g.a.toml", ok().replace("alternatives = \"a\"\n", ""), "missing field `alternatives`"),
        ("g/g.a.toml", ok().replace("alternatives = \"a\"", "alternatives = \" \""), "alternatives is required"),
        (
            "g/g.a.toml",
            ok().replace("scope = \"linked\"", "scope = \"state\"\nwindow_s = 600.0"),
            "scope state needs the kinds that end the state",
        ),
        ("g/g.a.toml", ok().replace("kinds = [", "ends = [\"x\"]\nkinds = ["), "unknown event kind x"),
        (
            "g/g.a.toml",
            ok().replace("scope = \"linked\"", "scope = \"before\"\nwindow_s = 60.0\nactor = \"other\""),
            "actor other or any applies only",
        ),
        ("g/g.a.toml", ok().replace("references =", "unless = [\"g.b\"]\nreferences ="), "unless names g.b"),
    ];
    for (path, text, want) in cases {
        let err = Rulebook::from_files(vec![(path.to_owned(), text)], "test").unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, RulebookError::Invalid { .. } | RulebookError::Parse { .. }), "{msg}");
        assert!(msg.contains(path) && msg.contains(want), "{msg}");
    }
    let err = Rulebook::from_files(vec![("g/g.a.toml".into(), "id = 3".into())], "test").unwrap_err();
    assert!(matches!(err, RulebookError::Parse { .. }), "{err}");
    let twice = ok();
    let err = Rulebook::from_files(vec![("g/g.a.toml".into(), twice.clone()), ("g/g.a.toml".into(), twice)], "t");
    assert!(matches!(err, Err(RulebookError::Duplicate(id)) if id == "g.a"));
}

/// A rule documented as conclusive may decide alone; without it, one group
/// never does.
#[test]
fn a_conclusive_rule_may_decide_alone() {
    let strong = rule_text("g.a", "navigation", 2.0, [1.5, 2.5], "fetch_user");
    let book = Rulebook::from_files(vec![("g/g.a.toml".into(), strong.clone())], "t").expect("valid");
    assert!(book.rules[0].conclusive.is_none());
    let with = strong.replace("references =", "conclusive = \"A published validation (citation)\"\nreferences =");
    let book = Rulebook::from_files(vec![("g/g.a.toml".into(), with)], "t").expect("valid");
    assert!(book.rules[0].conclusive.is_some());
    let mut item = EvidenceItem::new("g.a", "navigation", 2.0, [1.5, 2.5]);
    assert_eq!(combine(&mut [item.clone()]).verdict, Verdict::Indeterminate);
    item.conclusive = true;
    assert_eq!(combine(&mut [item]).verdict, Verdict::UserInitiated);
}

/// A valid rule value: a log10 LR and a range that contains it and does not
/// cross zero.
fn weak_rule() -> impl Strategy<Value = (f64, f64, f64)> {
    (-3.999f64..3.999, 0.0f64..1.0, 0.0f64..0.0001)
        .prop_map(|(lr, a, b)| if lr >= 0.0 { (lr, lr * a, lr + b * 3.0) } else { (lr, lr - b * 3.0, lr * a) })
}

proptest! {
    /// A finding never gives a decisive band from one group, however many
    /// rules of it fired and however strong they are.
    #[test]
    fn one_weak_signal_is_never_decisive(rules in prop::collection::vec(weak_rule(), 1..6)) {
        let mut items: Vec<EvidenceItem> = rules
            .iter()
            .enumerate()
            .map(|(i, &(lr, lo, hi))| EvidenceItem::new(&format!("g.r{i}"), "g", lr, [lo, hi]))
            .collect();
        let c = combine(&mut items);
        prop_assert_eq!(c.verdict, Verdict::Indeterminate);
        // One item counts, or the strongest of each side when they disagree.
        let n = items.iter().filter(|i| i.counted).count();
        let both = items.iter().any(|i| i.log10_lr < 0.0) && items.iter().any(|i| i.log10_lr >= 0.0);
        prop_assert_eq!(n, if both { 2 } else { 1 });
    }

    /// The combination does not depend on the order the evidence was found in.
    #[test]
    fn combination_is_order_independent(rules in prop::collection::vec((weak_rule(), 0usize..4), 0..8), rot in 0usize..8) {
        let make = |v: &[((f64, f64, f64), usize)]| -> Vec<EvidenceItem> {
            v.iter().enumerate().map(|(i, &((lr, lo, hi), g))| {
                EvidenceItem::new(&format!("g{g}.r{i}"), &format!("g{g}"), lr, [lo, hi])
            }).collect()
        };
        let mut a = make(&rules);
        let mut b = a.clone();
        if !b.is_empty() {
            let k = rot % b.len();
            b.rotate_left(k);
        }
        let ca = combine(&mut a);
        let cb = combine(&mut b);
        prop_assert_eq!(ca, cb);
    }
}
