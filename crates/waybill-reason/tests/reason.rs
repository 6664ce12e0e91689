//! The rulebook and the combination, from the outside.

use std::path::Path;

use proptest::prelude::*;
use waybill_reason::rule::EMBEDDED;
use waybill_reason::{EvidenceItem, Rulebook, RulebookError, Verdict, combine};

#[test]
fn embedded_rulebook_loads_with_every_file_in_the_folder() {
    let book = Rulebook::embedded().expect("embedded rulebook is valid");
    assert_eq!(book.rules.len(), 36);
    assert_eq!(book.sha256.len(), 64);
    // Every file under rulebook/ is compiled in (a forgotten file would be silently unused).
    // The folder of this checkout (cargo sets the variable when it runs the
    // test; the compiled-in path is that of the checkout the binary was built in).
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    let dir = Path::new(&manifest).join("rulebook");
    let on_disk = Rulebook::load_dir(&dir).expect("folder rulebook is valid");
    assert_eq!(on_disk.sha256, book.sha256);
    assert_eq!(on_disk.rules.len(), EMBEDDED.len());
    let ids: Vec<&str> = book.rules.iter().map(|r| r.id.as_str()).collect();
    for want in [
        "fetch.user_activation",
        "fetch.subresource_destination",
        "purpose.prefetch",
        "purpose.prerender",
        "transition.typed",
        "transition.link",
        "transition.auto_subframe",
        "transition.auto_toplevel",
        "transition.reload",
        "transition.form_submit",
        "download.record_with_tab",
        "origin.zone_identifier_referrer",
        "origin.quarantine_web_download",
        "context.search_before",
        "presence.cache_only",
        "repetition.repeated_retrieval",
        "state.locked_or_asleep",
        "burst.many_files",
        "messaging.auto_download",
        "cloud.sync_download",
    ] {
        assert!(ids.contains(&want), "missing rule {want}");
    }
}

fn rule_text(id: &str, group: &str, lr: f64, range: [f64; 2], column: &str) -> String {
    format!(
        "id = \"{id}\"\ndescription = \"d\"\ngroup = \"{group}\"\nlog10_lr = {lr}\nrange = [{}, {}]\nrationale = \"r\"\nreferences = [\"x\"]\n\n[condition]\nscope = \"linked\"\nkinds = [\"http.request\"]\nall = [{{ column = \"{column}\", eq = \"?1\" }}]\n\n[decides]\nneeds = \"a log\"\nformats = [\"apache.access\"]\n",
        range[0], range[1]
    )
}

#[test]
fn invalid_rules_are_refused_with_the_file_and_the_reason() {
    let cases = [
        (
            "g/g.a.toml",
            rule_text("g.a", "g", 1.0, [1.2, 1.5], "fetch_user"),
            "range [1.2, 1.5] must contain log10_lr 1",
        ),
        ("g/g.a.toml", rule_text("g.a", "g", 0.5, [-0.2, 0.8], "fetch_user"), "crosses zero"),
        ("g/g.a.toml", rule_text("g.a", "g", 1.0, [0.5, 1.5], "fetch_usr"), "unknown column fetch_usr"),
        ("h/g.a.toml", rule_text("g.a", "g", 1.0, [0.5, 1.5], "fetch_user"), "belongs in g/g.a.toml"),
        ("g/g.a.toml", rule_text("g.a", "g", 4.5, [4.0, 5.0], "fetch_user"), "may not exceed"),
        (
            "g/g.a.toml",
            rule_text("g.a", "g", 1.0, [0.5, 1.5], "fetch_user")
                .replace("scope = \"linked\"", "scope = \"state\"\nwindow_s = 600.0"),
            "scope state needs the kinds that end the state",
        ),
        (
            "g/g.a.toml",
            rule_text("g.a", "g", 1.0, [0.5, 1.5], "fetch_user").replace("kinds = [", "ends = [\"x\"]\nkinds = ["),
            "only it takes them",
        ),
    ];
    for (path, text, want) in cases {
        let err = Rulebook::from_files(vec![(path.to_owned(), text)], "test").unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, RulebookError::Invalid { .. }), "{msg}");
        assert!(msg.contains(path) && msg.contains(want), "{msg}");
    }
    let err = Rulebook::from_files(vec![("g/g.a.toml".into(), "id = 3".into())], "test").unwrap_err();
    assert!(matches!(err, RulebookError::Parse { .. }), "{err}");
    let twice = rule_text("g.a", "g", 1.0, [0.5, 1.5], "fetch_user");
    let err = Rulebook::from_files(vec![("g/g.a.toml".into(), twice.clone()), ("g/g.a.toml".into(), twice)], "t");
    assert!(matches!(err, Err(RulebookError::Duplicate(id)) if id == "g.a"));
}

/// A valid rule value: a log10 LR and a range that contains it and does not
/// cross zero.
fn weak_rule() -> impl Strategy<Value = (f64, f64, f64)> {
    (-0.999f64..0.999, 0.0f64..1.0, 0.0f64..1.0)
        .prop_map(|(lr, a, b)| if lr >= 0.0 { (lr, lr * a, lr + b * 3.0) } else { (lr, lr - b * 3.0, lr * a) })
}

proptest! {
    /// A finding never says user_initiated or automatic from one weak signal
    /// (LR below 10) alone, however many rules of its group fired with it.
    #[test]
    fn one_weak_signal_is_never_decisive(rules in prop::collection::vec(weak_rule(), 1..6)) {
        let mut items: Vec<EvidenceItem> = rules
            .iter()
            .enumerate()
            .map(|(i, &(lr, lo, hi))| EvidenceItem {
                rule: format!("g.r{i}"),
                group: "g".into(),
                log10_lr: lr,
                range: [lo, hi],
                counted: false,
            })
            .collect();
        let c = combine(&mut items);
        prop_assert_eq!(c.verdict, Verdict::Indeterminate);
        prop_assert_eq!(items.iter().filter(|i| i.counted).count(), 1);
    }

    /// The combination does not depend on the order the evidence was found in.
    #[test]
    fn combination_is_order_independent(rules in prop::collection::vec((weak_rule(), 0usize..4), 0..8), rot in 0usize..8) {
        let make = |v: &[((f64, f64, f64), usize)]| -> Vec<EvidenceItem> {
            v.iter().enumerate().map(|(i, &((lr, lo, hi), g))| EvidenceItem {
                rule: format!("g{g}.r{i}"), group: format!("g{g}"), log10_lr: lr, range: [lo, hi], counted: false,
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
