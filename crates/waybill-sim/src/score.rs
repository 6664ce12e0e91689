//! Scoring findings against ground truth, one copy at a time: the confusion
//! matrix, decisive-correct, decisive-wrong and indeterminate per scenario,
//! decisive-and-correct where the discriminating evidence is present, the
//! log-likelihood-ratio cost (Cllr), and a Tippett plot.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::scenario::{FileTruth, Truth};

/// One scored copy.
#[derive(Debug, Clone, Serialize)]
pub struct Scored {
    /// Scenario.
    pub scenario: String,
    /// True answer.
    pub truth: Truth,
    /// Decision band given (`missing` when no finding matched the copy).
    pub verdict: String,
    /// log10 LR given.
    pub log10_lr: f64,
    /// The bundle held the discriminating evidence.
    pub discriminating: bool,
    /// Where to look (bundle, content, copy).
    pub label: String,
}

/// The scores of many copies.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Score {
    /// Every copy.
    pub files: Vec<Scored>,
}

/// One scenario's (or all scenarios') rates.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Rates {
    /// Copies.
    pub files: usize,
    /// Decisive and correct.
    pub decisive_correct: usize,
    /// Decisive and wrong.
    pub decisive_wrong: usize,
    /// Indeterminate (or missing).
    pub indeterminate: usize,
    /// Copies whose bundle held the discriminating evidence.
    pub with_discriminating: usize,
    /// Of those, decisive and correct.
    pub decisive_correct_with_discriminating: usize,
    /// Log-likelihood-ratio cost (bits).
    pub cllr: f64,
    /// Cllr over the copies whose discriminating evidence was in the bundle
    /// (0 when there are none): what the rules achieve where the evidence
    /// exists. A copy without such evidence can at best get LR 1, which
    /// costs 1 bit whatever the rules.
    pub cllr_with_discriminating: f64,
    /// Cllr_min: the cost of the same log10 LRs after the best monotone
    /// recalibration (pool-adjacent-violators), that is, of a perfectly
    /// calibrated system that ranks the copies as this one does. It is the
    /// part of Cllr that better values for the rules cannot remove: copies
    /// whose evidence is the same under both truths cost it whatever the
    /// values. Cllr − Cllr_min is the calibration loss. 0 when only one truth
    /// is present.
    pub cllr_min: f64,
    /// The true answers seen (`user_initiated`, `automatic`, or `mixed`).
    pub truth: String,
}

/// A summary of the scores.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// `truth → verdict → count`.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    /// All copies together.
    pub overall: Rates,
    /// Share of indeterminate verdicts.
    pub indeterminate_share: f64,
    /// Per scenario.
    pub per_scenario: BTreeMap<String, Rates>,
}

/// Is a finding (its content, device and path or URL, as `analyze --json`
/// prints them) about this copy of the truth? A tree path may be given
/// relative to a deeper root than the truth's location.
pub fn locates(t: &FileTruth, sha256: &str, device: Option<&str>, path: &str) -> bool {
    sha256 == t.sha256
        && device == Some(t.device.as_str())
        && (path == t.location || path.ends_with(&format!("/{}", t.location)))
}

impl Score {
    /// Adds one finding for a copy of the truth.
    pub fn add(&mut self, t: &FileTruth, verdict: &str, log10_lr: f64, label: String) {
        self.files.push(Scored {
            scenario: t.scenario.to_owned(),
            truth: t.truth,
            verdict: verdict.to_owned(),
            log10_lr,
            discriminating: !t.discriminating.is_empty(),
            label,
        });
    }

    /// The summary.
    pub fn summary(&self) -> Summary {
        let mut confusion: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        let mut per: BTreeMap<String, Vec<&Scored>> = BTreeMap::new();
        for f in &self.files {
            *confusion.entry(f.truth.as_str().to_owned()).or_default().entry(f.verdict.clone()).or_default() += 1;
            per.entry(f.scenario.clone()).or_default().push(f);
        }
        let overall = rates(&self.files.iter().collect::<Vec<_>>());
        Summary {
            confusion,
            indeterminate_share: ratio(overall.indeterminate, overall.files),
            overall,
            per_scenario: per.into_iter().map(|(k, v)| (k, rates(&v))).collect(),
        }
    }

    /// Copies with the discriminating evidence that did not get the correct decisive verdict.
    pub fn misses(&self) -> Vec<&Scored> {
        self.files.iter().filter(|f| f.discriminating && f.verdict != f.truth.as_str()).collect()
    }

    /// Copies whose decisive verdict contradicts the truth.
    pub fn contradictions(&self) -> Vec<&Scored> {
        self.files.iter().filter(|f| is_decisive(&f.verdict) && f.verdict != f.truth.as_str()).collect()
    }

    /// A Tippett plot (SVG): for each truth, the share of copies whose log10 LR
    /// is at least x, over x from −4 to +4.
    pub fn tippett_svg(&self, title: &str) -> String {
        let (w, h, l, r, t, b) = (720.0, 420.0, 60.0, 20.0, 40.0, 50.0);
        let (xmin, xmax) = (-4.0_f64, 4.0_f64);
        let x = |v: f64| l + (v.clamp(xmin, xmax) - xmin) / (xmax - xmin) * (w - l - r);
        let y = |p: f64| t + (1.0 - p) * (h - t - b);
        let mut s = String::new();
        let _ = write!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>\n<text x=\"{l}\" y=\"22\" font-size=\"14\">{}</text>\n",
            xml(title)
        );
        for v in [-4, -3, -2, -1, 0, 1, 2, 3, 4] {
            let xv = x(f64::from(v));
            let _ = writeln!(
                s,
                "<line x1=\"{xv:.1}\" x2=\"{xv:.1}\" y1=\"{t}\" y2=\"{:.1}\" stroke=\"#ddd\"/><text x=\"{xv:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{v:+}</text>",
                h - b,
                h - b + 16.0
            );
        }
        for p in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let yv = y(p);
            let _ = writeln!(
                s,
                "<line x1=\"{l}\" x2=\"{:.1}\" y1=\"{yv:.1}\" y2=\"{yv:.1}\" stroke=\"#ddd\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{p:.2}</text>",
                w - r,
                l - 6.0,
                yv + 4.0
            );
        }
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">log10 LR (positive supports Hp)</text><text x=\"14\" y=\"{:.1}\" transform=\"rotate(-90 14 {:.1})\" text-anchor=\"middle\">share of copies with log10 LR ≥ x</text>",
            (l + w - r) / 2.0,
            h - 12.0,
            (t + h - b) / 2.0,
            (t + h - b) / 2.0
        );
        for (truth, colour, name) in [
            (Truth::UserInitiated, "#b22", "Hp true (user-initiated)"),
            (Truth::Automatic, "#262", "Hd true (automatic)"),
        ] {
            let mut v: Vec<f64> = self.files.iter().filter(|f| f.truth == truth).map(|f| f.log10_lr).collect();
            if v.is_empty() {
                continue;
            }
            v.sort_by(f64::total_cmp);
            let n = v.len() as f64;
            let mut pts = vec![(xmin, 1.0)];
            for (i, lr) in v.iter().enumerate() {
                let above = (v.len() - i) as f64 / n;
                pts.push((*lr, above));
                pts.push((*lr, (v.len() - i - 1) as f64 / n));
            }
            pts.push((xmax, 0.0));
            let d: Vec<String> = pts.iter().map(|(a, p)| format!("{:.1},{:.1}", x(*a), y(*p))).collect();
            let _ = writeln!(
                s,
                "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
                d.join(" ")
            );
            let ly = if truth == Truth::UserInitiated { t + 10.0 } else { t + 26.0 };
            let _ = writeln!(
                s,
                "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{ly:.1}\" y2=\"{ly:.1}\" stroke=\"{colour}\" stroke-width=\"2\"/><text x=\"{:.1}\" y=\"{:.1}\">{} ({} copies)</text>",
                w - r - 230.0,
                w - r - 205.0,
                w - r - 200.0,
                ly + 4.0,
                name,
                v.len()
            );
        }
        s.push_str("</svg>\n");
        s
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn is_decisive(v: &str) -> bool {
    v == "user_initiated" || v == "automatic"
}

fn rates(fs: &[&Scored]) -> Rates {
    let mut r = Rates { files: fs.len(), ..Rates::default() };
    let mut truths: Vec<&str> = fs.iter().map(|f| f.truth.as_str()).collect();
    truths.sort_unstable();
    truths.dedup();
    r.truth = if truths.len() == 1 { truths[0].to_owned() } else { "mixed".into() };
    for f in fs {
        let correct = f.verdict == f.truth.as_str();
        if correct {
            r.decisive_correct += 1;
        } else if is_decisive(&f.verdict) {
            r.decisive_wrong += 1;
        } else {
            r.indeterminate += 1;
        }
        if f.discriminating {
            r.with_discriminating += 1;
            if correct {
                r.decisive_correct_with_discriminating += 1;
            }
        }
    }
    r.cllr = cllr(fs.iter().map(|f| (f.truth, f.log10_lr)));
    r.cllr_with_discriminating = cllr(fs.iter().filter(|f| f.discriminating).map(|f| (f.truth, f.log10_lr)));
    r.cllr_min = cllr_min(fs.iter().map(|f| (f.truth, f.log10_lr)));
    r
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Cllr = ½ [mean over Hp-true of log2(1 + 1/LR) + mean over Hd-true of log2(1 + LR)],
/// with LR for Hp. A side with no copies contributes nothing (and the other
/// is not halved).
pub fn cllr(items: impl Iterator<Item = (Truth, f64)>) -> f64 {
    let (mut hu, mut nu, mut ha, mut na) = (0.0, 0usize, 0.0, 0usize);
    for (t, l) in items {
        let lr = 10f64.powf(l);
        match t {
            Truth::UserInitiated => {
                hu += (1.0 + 1.0 / lr).log2();
                nu += 1;
            }
            Truth::Automatic => {
                ha += (1.0 + lr).log2();
                na += 1;
            }
        }
    }
    match (nu, na) {
        (0, 0) => 0.0,
        (0, _) => ha / na as f64,
        (_, 0) => hu / nu as f64,
        _ => 0.5 * (hu / nu as f64 + ha / na as f64),
    }
}

/// Cllr_min (Brümmer and du Preez 2006): sort by score, fit P(Hp | score)
/// by pool-adjacent-violators (monotone, ties pooled), turn each posterior
/// into an LR with the set's own prior odds, and take the Cllr of those LRs.
/// 0 when only one truth is present.
pub fn cllr_min(items: impl Iterator<Item = (Truth, f64)>) -> f64 {
    let mut v: Vec<(f64, bool)> = items.map(|(t, l)| (l, t == Truth::UserInitiated)).collect();
    let np = v.iter().filter(|x| x.1).count();
    let nd = v.len() - np;
    if np == 0 || nd == 0 {
        return 0.0;
    }
    v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    // Blocks of (Hp count, total); equal scores start pooled.
    let mut blocks: Vec<(f64, f64, f64)> = Vec::new(); // (score, hp, n)
    for &(l, hp) in &v {
        let h = if hp { 1.0 } else { 0.0 };
        match blocks.last_mut() {
            Some(b) if b.0 == l => {
                b.1 += h;
                b.2 += 1.0;
            }
            _ => blocks.push((l, h, 1.0)),
        }
    }
    let mut pooled: Vec<(f64, f64)> = Vec::new(); // (hp, n), non-decreasing hp/n
    for &(_, h, n) in &blocks {
        pooled.push((h, n));
        while pooled.len() > 1 {
            let (h2, n2) = pooled[pooled.len() - 1];
            let (h1, n1) = pooled[pooled.len() - 2];
            if h1 / n1 < h2 / n2 {
                break;
            }
            pooled.pop();
            if let Some(last) = pooled.last_mut() {
                *last = (h1 + h2, n1 + n2);
            }
        }
    }
    let prior = np as f64 / nd as f64;
    let (mut cp, mut cd) = (0.0, 0.0);
    for (h, n) in pooled {
        let d = n - h;
        // Posterior odds h/d over prior odds: the calibrated LR.
        if h > 0.0 {
            let inv = if d == 0.0 { 0.0 } else { (d / h) * prior };
            cp += h * (1.0 + inv).log2();
        }
        if d > 0.0 {
            let lr = if h == 0.0 { 0.0 } else { (h / d) / prior };
            cd += d * (1.0 + lr).log2();
        }
    }
    0.5 * (cp / np as f64 + cd / nd as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cllr_of_known_sets() {
        // LR = 1 everywhere is uninformative: 1 bit.
        let flat = [(Truth::UserInitiated, 0.0), (Truth::Automatic, 0.0)];
        assert!((cllr(flat.into_iter()) - 1.0).abs() < 1e-12);
        // Strong, correct LRs cost little; wrong ones cost a lot.
        let good = [(Truth::UserInitiated, 3.0), (Truth::Automatic, -3.0)];
        assert!(cllr(good.into_iter()) < 0.002);
        let bad = [(Truth::UserInitiated, -2.0), (Truth::Automatic, 2.0)];
        assert!((cllr(bad.into_iter()) - (101f64).log2()).abs() < 1e-9);
    }

    #[test]
    fn cllr_min_of_known_sets() {
        // Perfectly separated scores, whatever their values: 0.
        let sep = [(Truth::UserInitiated, 0.1), (Truth::UserInitiated, 0.2), (Truth::Automatic, 0.0)];
        assert_eq!(cllr_min(sep.into_iter()), 0.0);
        // Scores that cannot tell the truths apart: 1 bit, however confident.
        let same = [(Truth::UserInitiated, 2.0), (Truth::Automatic, 2.0)];
        assert!((cllr_min(same.into_iter()) - 1.0).abs() < 1e-12);
        // Reversed ranking pools into one block: 1 bit; Cllr itself is far worse.
        let rev = [(Truth::UserInitiated, -1.0), (Truth::Automatic, 1.0)];
        assert!((cllr_min(rev.into_iter()) - 1.0).abs() < 1e-12);
        // Half the Hp copies share their score with every Hd copy (1 of 3
        // there: calibrated LR ½), the other half are separated:
        // Hp side ½·log2(1 + 2) = 0.792; Hd side log2(1 + ½) = 0.585; mean 0.689.
        let half = [
            (Truth::UserInitiated, 3.0),
            (Truth::UserInitiated, 0.0),
            (Truth::Automatic, 0.0),
            (Truth::Automatic, 0.0),
        ];
        let want = 0.5 * (0.5 * 3f64.log2() + 1.5f64.log2());
        assert!((cllr_min(half.into_iter()) - want).abs() < 1e-12);
        // One truth only: nothing to calibrate.
        assert_eq!(cllr_min([(Truth::Automatic, -2.0)].into_iter()), 0.0);
    }

    #[test]
    fn rates_and_the_tippett_plot() {
        let mut s = Score::default();
        let add = |s: &mut Score, truth, verdict: &str, lr: f64, d: bool| {
            s.files.push(Scored {
                scenario: "x".into(),
                truth,
                verdict: verdict.into(),
                log10_lr: lr,
                discriminating: d,
                label: String::new(),
            });
        };
        add(&mut s, Truth::Automatic, "automatic", -2.0, true);
        add(&mut s, Truth::Automatic, "indeterminate", -0.5, true);
        add(&mut s, Truth::UserInitiated, "automatic", -1.5, false);
        let r = &s.summary().per_scenario["x"];
        assert_eq!(
            (r.files, r.decisive_correct, r.decisive_wrong, r.indeterminate, r.with_discriminating),
            (3, 1, 1, 1, 2)
        );
        assert_eq!((r.decisive_correct_with_discriminating, r.truth.as_str()), (1, "mixed"));
        assert_eq!(s.contradictions().len(), 1);
        let svg = s.tippett_svg("t");
        assert!(svg.starts_with("<svg") && svg.contains("Hd true (automatic) (2 copies)"), "{svg}");
    }
}
