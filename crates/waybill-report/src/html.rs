//! The HTML report: one self-contained file (inline CSS and script, no
//! network, no fonts, no images). The case summary, inputs and methodology are
//! written as static HTML; the findings (overview and details) are drawn by
//! the inline script from the data embedded in the page, so a report of
//! 10,000 findings opens quickly: the overview is paginated and a finding's
//! details (timeline, evidence, gaps) are drawn when opened. Reports of up to
//! [`ALL_DETAILS`] findings draw every detail at once, for printing.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::Report;

/// Up to this many findings, every finding's details are drawn on load.
pub const ALL_DETAILS: usize = 50;

/// Chain events per finding carried into the page (the finding file has all).
pub const CHAIN_LIMIT: usize = 80;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// JSON safe inside `<script>`: `<`, `>` and `&` as `\u` escapes, and the
/// line separators JavaScript once rejected.
fn script_json(v: &Value) -> String {
    let s = v.to_string();
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("\\u003c"),
            '>' => o.push_str("\\u003e"),
            '&' => o.push_str("\\u0026"),
            '\u{2028}' => o.push_str("\\u2028"),
            '\u{2029}' => o.push_str("\\u2029"),
            c => o.push(c),
        }
    }
    o
}

/// Strings that repeat across findings (rule ids, groups, explanations, gap
/// descriptions, kinds, sources) are stored once and referred to by index.
#[derive(Default)]
struct Strings {
    list: Vec<String>,
    index: std::collections::HashMap<String, usize>,
}

impl Strings {
    fn id(&mut self, s: &str) -> usize {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        self.list.push(s.to_owned());
        self.index.insert(s.to_owned(), self.list.len() - 1);
        self.list.len() - 1
    }
}

/// The chain events carried into the page: all of them (up to
/// [`CHAIN_LIMIT`]) in a report drawn at once; in a large report only the
/// arrival, the evidence events and the first after-arrival acts (the finding
/// file has the whole chain).
fn chain_in_page(f: &waybill_reason::engine::Finding, large: bool) -> Vec<&waybill_reason::engine::ChainLink> {
    if !large {
        return f.chain.iter().take(CHAIN_LIMIT).collect();
    }
    let mut key: std::collections::BTreeSet<(&str, &str)> =
        f.evidence.iter().flat_map(|e| e.events.iter().map(|x| (x.source.as_str(), x.record.as_str()))).collect();
    if let Some(a) = &f.arrival {
        key.insert((&a.source, &a.record));
    }
    let mut after = 0;
    f.chain
        .iter()
        .filter(|c| {
            let keep = key.contains(&(c.source.as_str(), c.record.as_str())) || (c.role == "after" && after < 3);
            if c.role == "after" && keep {
                after += 1;
            }
            keep
        })
        .take(LARGE_CHAIN_LIMIT)
        .collect()
}

/// Chain events per finding in a large report.
pub const LARGE_CHAIN_LIMIT: usize = 12;

/// The data the script draws from: compact arrays over a shared string table.
fn data(r: &Report) -> Value {
    let large = r.findings.len() > ALL_DETAILS;
    let mut st = Strings::default();
    let inputs: serde_json::Map<String, Value> =
        r.case.inputs.iter().map(|i| (i.id.clone(), json!([i.path, i.format, i.clock, i.device]))).collect();
    let findings: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let chain: Vec<Value> = chain_in_page(f, large)
                .into_iter()
                .map(|c| json!([c.ts, st.id(&c.kind), st.id(&c.role), st.id(&c.source), c.record, c.summary]))
                .collect();
            json!({
                "id": f.id,
                "sha": f.file.sha256,
                // A copy without a path (a cache entry, a content known only
                // from server records) is shown by its URL.
                "path": if f.copy.path.is_empty() || f.copy.path.starts_with("cache:") { f.copy.url.clone().or_else(|| arrival_url(f)).unwrap_or_default() } else { f.copy.path.clone() },
                "device": f.copy.device,
                "copy": serde_json::to_value(f.copy.kind).unwrap_or(Value::Null),
                "paths": f.file.paths,
                "statement": st.id(&f.statement),
                "decision": st.id(&f.decision),
                "groups": f.groups.iter().map(|g| json!([st.id(&g.group), g.log10_lr, g.range, st.id(&g.direction), g.weak])).collect::<Vec<_>>(),
                "attribution": f.attribution.iter().take(if large { 12 } else { CHAIN_LIMIT }).map(|a| json!([st.id(&a.source), a.record, st.id(&a.kind), st.id(match a.who { waybill_reason::attribution::Who::Subject if a.weak => "subject (address only)", waybill_reason::attribution::Who::Subject => "subject", waybill_reason::attribution::Who::Other => "someone else", waybill_reason::attribution::Who::Unknown => "not attributed" }), st.id(&a.why)])).collect::<Vec<_>>(),
                "open": f.open_questions,
                "matched": f.file.matched.iter().map(|m| json!([st.id(&m.set), st.id(&m.by), m.distance])).collect::<Vec<_>>(),
                "arrival": f.arrival.as_ref().map(|a| json!([a.ts, st.id(&a.what), st.id(&a.source), a.record])),
                "verdict": f.verdict,
                "lr": f.log10_lr,
                "range": f.log10_lr_range,
                "verbal": st.id(&f.verbal),
                "evidence": f.evidence.iter().map(|e| json!([
                    st.id(&e.rule), e.log10_lr, e.range, st.id(&e.group), e.counted, st.id(&e.explanation),
                    e.events.iter().map(|x| json!([st.id(&x.source), x.record])).collect::<Vec<_>>(),
                    e.note.as_deref().map(|n| st.id(n)), e.attached, e.weak
                ])).collect::<Vec<_>>(),
                "gaps": f.gaps.iter().map(|g| json!([
                    st.id(&g.needs), g.from.as_deref().map(|x| st.id(x)), g.to.as_deref().map(|x| st.id(x)), st.id(&g.rule)
                ])).collect::<Vec<_>>(),
                "after": f.after_arrival.iter().take(if large { 3 } else { CHAIN_LIMIT }).map(|c| json!([c.ts, st.id(&c.kind), st.id(&c.source), c.record, c.summary])).collect::<Vec<_>>(),
                "after_total": f.after_arrival.len(),
                "chain": chain,
                "chain_total": f.chain.len(),
                "clocks": f.clocks.iter().map(|c| json!([st.id(&c.clock), c.offset_s, c.uncertainty_s, c.pairs])).collect::<Vec<_>>(),
                "review": f.review.as_ref().map(|rv| json!({
                    "steps": rv.steps.iter().map(|s| json!([s.step, s.examiner, s.action, s.item.as_deref().or(s.text.as_deref()), s.why])).collect::<Vec<_>>(),
                    "items": rv.items.iter().map(|i| json!([i.item, i.status, i.by])).collect::<Vec<_>>(),
                    "examiners": rv.examiners,
                    "differs": rv.differs,
                })),
                "review_evidence": f.evidence.iter().map(|e| e.review.as_ref().map(|r| r.status.clone())).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({"inputs": inputs, "strings": st.list, "findings": findings, "all_details": !large, "case_name": r.case.name})
}

/// The URL of the arrival event, from its chain summary (`url=…`).
fn arrival_url(f: &waybill_reason::engine::Finding) -> Option<String> {
    let a = f.arrival.as_ref()?;
    let link = f.chain.iter().find(|l| l.source == a.source && l.record == a.record)?;
    let rest = link.summary.split("url=").nth(1)?;
    Some(rest.split(' ').next().unwrap_or(rest).to_owned())
}

fn row(o: &mut String, cells: &[String]) {
    o.push_str("<tr>");
    for c in cells {
        let _ = write!(o, "<td>{c}</td>");
    }
    o.push_str("</tr>\n");
}

/// The whole page.
pub fn render(r: &Report) -> String {
    let c = &r.case;
    let mut o = String::with_capacity(64 * 1024 + r.findings.len() * 3000);
    let title = format!("waybill report — {}", c.name);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'none'\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(&title)
    );
    let _ = writeln!(
        o,
        "<header><h1>{}</h1><p class=\"sub\">For each copy of each file of interest: how much more probable are the findings if the subject's own act brought the copy than if it arrived without their act? This report shows hashes, paths and metadata only; it never embeds or links to the content of a file of interest.</p></header>",
        esc(&title)
    );
    let _ = writeln!(
        o,
        "<section id=\"propositions\"><h2>Propositions</h2><p><b>Hp</b>: {}.</p><p><b>Hd</b>: {}.</p><p class=\"muted\">{}</p><p class=\"muted\">Each finding states a likelihood ratio in the form the ENFSI guideline asks for (\"the findings are about N times more probable if Hp than if Hd\"). Its <i>decision band</i> (<code>user_initiated</code>, <code>automatic</code>, <code>indeterminate</code>) says only whether that ratio, with its range, is decisive by the rules below; it is not a finding that anyone did or did not do anything.</p></section>",
        esc(waybill_reason::engine::HP),
        esc(waybill_reason::engine::HD),
        esc(waybill_reason::engine::SCOPE_NOTE)
    );

    // Case summary.
    o.push_str("<section id=\"summary\"><h2>Case</h2><table class=\"kv\">\n");
    row(&mut o, &["Case".into(), esc(&c.name)]);
    row(&mut o, &["Examiner".into(), esc(c.examiner.as_deref().unwrap_or("—"))]);
    let subjects: Vec<String> = c.subjects.iter().map(|(k, v)| format!("{}={}", esc(k), esc(v))).collect();
    row(&mut o, &["Subjects".into(), if subjects.is_empty() { "—".into() } else { subjects.join(", ") }]);
    row(&mut o, &["Default zone".into(), esc(&c.tz)]);
    row(&mut o, &["Report written by".into(), esc(&c.tool)]);
    row(&mut o, &["Integrity root".into(), format!("<code>{}</code>", esc(&c.integrity_root))]);
    row(&mut o, &["manifest.jsonl SHA-256".into(), format!("<code>{}</code>", esc(&c.manifest_sha256))]);
    row(
        &mut o,
        &[
            "custody.jsonl SHA-256".into(),
            format!("<code>{}</code> (before this report's own line)", esc(&c.custody_sha256)),
        ],
    );
    row(&mut o, &["Rulebook SHA-256".into(), format!("<code>{}</code>", esc(&r.rulebook.sha256))]);
    let counts = |v: &str| r.findings.iter().filter(|f| f.verdict == v).count();
    let contents: std::collections::BTreeSet<&str> = r.findings.iter().map(|f| f.file.sha256.as_str()).collect();
    row(
        &mut o,
        &[
            "Findings".into(),
            format!(
                "{} copies of {} files of interest; decision bands: {} user_initiated, {} automatic, {} indeterminate",
                r.findings.len(),
                contents.len(),
                counts("user_initiated"),
                counts("automatic"),
                counts("indeterminate")
            ),
        ],
    );
    o.push_str("</table></section>\n");

    // Findings (drawn by the script).
    o.push_str("<section id=\"findings\"><h2>Findings</h2>\n<noscript><p>The findings table and timelines are drawn by the page's inline script; every finding is also in <code>report.json</code> and <code>findings/&lt;sha256&gt;-&lt;copy&gt;.json</code>.</p></noscript>\n<div class=\"controls\"><label>Filter <input id=\"q\" type=\"search\" placeholder=\"path, SHA-256, verbal…\"></label> <label>Decision band <select id=\"v\"><option value=\"\">all</option><option>user_initiated</option><option>automatic</option><option>indeterminate</option></select></label> <span id=\"count\"></span> <button id=\"prev\" type=\"button\">◀</button> <span id=\"page\"></span> <button id=\"next\" type=\"button\">▶</button></div>\n<table class=\"grid\" id=\"overview\"><thead><tr><th data-k=\"sha\">content</th><th data-k=\"path\">copy</th><th data-k=\"device\">device</th><th data-k=\"arrival\">arrival (UTC)</th><th data-k=\"verdict\">decision band</th><th data-k=\"lr\">log10 LR [range]</th><th data-k=\"verbal\">verbal scale</th></tr></thead><tbody></tbody></table>\n<div id=\"details\"></div></section>\n");
    // Drafting review steps: kept in the page, saved as a file by the browser
    // (nothing is sent or loaded), recorded with `waybill review CASE --apply FILE`.
    o.push_str("<section id=\"draft\"><h2>Review draft</h2><p class=\"muted\">Each finding's details have a form to draft a review step (accept or reject an item of its evidence, or a note, with why). The draft stays in this page until saved as a file; <code>waybill review CASE --apply FILE --examiner NAME</code> records its steps in the custody log, and <code>waybill analyze</code> applies them. The case is never edited by hand.</p><p><span id=\"draft-count\">0 steps drafted</span> <button id=\"draft-save\" type=\"button\">Save draft (JSON)</button> <button id=\"draft-clear\" type=\"button\">Clear</button></p><ol id=\"draft-list\"></ol></section>\n");

    let open = if c.inputs.len() <= 25 { " open" } else { "" };
    let _ = write!(
        o,
        "<section id=\"inputs\"><h2>Evidence inputs</h2><details{open}><summary>{} inputs ({} records, {} events, {} rejects)</summary><div class=\"scroll\"><table",
        c.inputs.len(),
        c.inputs.iter().map(|i| i.records).sum::<u64>(),
        c.inputs.iter().map(|i| i.events).sum::<u64>(),
        c.inputs.iter().map(|i| i.rejects).sum::<u64>()
    );
    o.push_str(" class=\"grid\"><thead><tr><th>id</th><th>path</th><th>format</th><th>device / clock</th><th>bytes</th><th>SHA-256</th><th>records</th><th>events</th><th>rejects</th></tr></thead><tbody>\n");
    for i in &c.inputs {
        let _ = writeln!(
            o,
            "<tr id=\"input-{id}\"><td>{id}</td><td class=\"path\">{}</td><td>{}</td><td>{} / {}</td><td class=\"n\">{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&i.path),
            esc(&i.format),
            esc(i.device.as_deref().unwrap_or("—")),
            esc(&i.clock),
            i.size,
            esc(&i.sha256),
            i.records,
            i.events,
            i.rejects,
            id = esc(&i.id),
        );
    }
    o.push_str("</tbody></table></div></details></section>\n");
    let _ = write!(
        o,
        "<section id=\"actions\"><h2>Actions on the case (custody log)</h2><details{}><summary>{} commands</summary><div class=\"scroll\"><table",
        if c.actions.len() <= 25 { " open" } else { "" },
        c.actions.len()
    );
    o.push_str(" class=\"grid\"><thead><tr><th>action</th><th>started</th><th>finished</th><th>tool</th><th>command</th></tr></thead><tbody>\n");
    for a in &c.actions {
        row(
            &mut o,
            &[
                esc(&a.action),
                esc(&a.started),
                esc(&a.finished),
                esc(&a.tool),
                format!("<code>{}</code>", esc(&a.command.join(" "))),
            ],
        );
    }
    o.push_str("</tbody></table></div></details></section>\n");
    validation(&mut o, r);
    methodology(&mut o, r);
    let _ = write!(
        o,
        "<footer>Written by {} · integrity root <code>{}</code></footer>\n<script type=\"application/json\" id=\"wb-data\">{}</script>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        esc(&c.tool),
        esc(&c.integrity_root),
        script_json(&data(r))
    );
    o
}

/// The running version's validation table: its known error rates.
fn validation(o: &mut String, r: &Report) {
    o.push_str("<section id=\"validation\"><h2>Known error rates (validation)</h2>\n");
    let Some(v) = &r.validation else {
        o.push_str("<p>This build carries no validation table: its error rates are not known.</p></section>\n");
        return;
    };
    if v.scenarios.is_empty() {
        o.push_str("<p>This build's validation table is empty: its error rates are not known.</p></section>\n");
        return;
    }
    if !r.validation_applies() {
        let _ = writeln!(
            o,
            "<p><b>These rates do not apply to this report:</b> they were measured with rulebook <code>{}</code>, and the findings cite another. Their error rates are not known.</p>",
            esc(&v.rulebook)
        );
    }
    let _ = writeln!(
        o,
        "<p>Measured by <code>{}</code> on simulated cases with known truth ({}; the values of the rules were chosen on {} only), {} ({}), rulebook <code>{}</code>. A decisive band is wrong when it contradicts the truth; <i>discriminating</i> copies are those whose bundle held the evidence that scenario's truth says decides it. Cllr is the log-likelihood-ratio cost in bits (0 perfect, 1 uninformative); a copy whose bundle holds no discriminating evidence can at best be uninformative (LR 1, 1 bit), so the Cllr of the discriminating copies is also shown.</p>",
        esc(&v.command),
        esc(&v.seeds),
        esc(&v.tuning_seeds),
        esc(&v.date),
        esc(&v.tool),
        esc(&v.rulebook)
    );
    o.push_str("<div class=\"scroll\"><table class=\"grid\"><thead><tr><th>scenario</th><th>truth</th><th>copies</th><th>decisive correct</th><th>decisive wrong</th><th>indeterminate</th><th>discriminating: decisive correct</th><th>Cllr</th><th>Cllr (discriminating)</th></tr></thead><tbody>\n");
    for s in v.scenarios.iter().chain(std::iter::once(&v.overall)) {
        row(
            o,
            &[
                esc(&s.scenario),
                esc(&s.truth),
                s.files.to_string(),
                s.decisive_correct.to_string(),
                s.decisive_wrong.to_string(),
                s.indeterminate.to_string(),
                format!("{} of {}", s.decisive_correct_with_discriminating, s.with_discriminating),
                format!("{:.3}", s.cllr),
                if s.with_discriminating > 0 { format!("{:.3}", s.cllr_with_discriminating) } else { "–".into() },
            ],
        );
    }
    o.push_str("</tbody></table></div>\n");
    if v.overall.cllr_min > 0.0 {
        let _ = writeln!(
            o,
            "<p>Cllr<sub>min</sub> over all copies is {:.3}: the cost left after the best monotone recalibration of these log10 LRs (pool-adjacent-violators), which no choice of rule values removes, since copies whose evidence is the same under both propositions cost it whatever the values. The calibration loss is Cllr − Cllr<sub>min</sub> = {:.3}.</p>",
            v.overall.cllr_min,
            v.overall.cllr - v.overall.cllr_min
        );
    }
    o.push_str("</section>\n");
}

fn methodology(o: &mut String, r: &Report) {
    o.push_str("<section id=\"method\"><h2>Methodology</h2>\n");
    let _ = writeln!(
        o,
        "<h3>Propositions</h3><p><b>Hp</b>: {}. <b>Hd</b>: {}. {} Each finding reports the likelihood ratio LR = P(findings | Hp) / P(findings | Hd) as log10 LR: positive values support Hp, negative values support Hd. It is not a probability that either proposition is true.</p>",
        esc(waybill_reason::engine::HP),
        esc(waybill_reason::engine::HD),
        esc(waybill_reason::engine::SCOPE_NOTE)
    );
    o.push_str("<h3>Evaluation</h3><p>Every rule that fired contributes a log10 LR with a low–high range. Rules are grouped by the fact they measure (below); within a group one item counts, the strongest. When items of one group point opposite ways, the item resting on the arrival's own event (the download's own request, the arrival record) wins; otherwise the group's range spans both and it points nowhere. Groups add in log10, and so do their low and high ends. The decision band is <i>user_initiated</i> (or <i>automatic</i>) only when the whole range is strictly beyond +1 (−1) <i>and</i> at least two independent groups point that way with their whole range (or one group rests on a rule documented as conclusive on its own; none of the built-in rules is): no verdict rests on a single source. A server record attributed to the subject by address alone (no User-Agent of the device known) is widened and is never one of those groups.</p>\n<table class=\"grid\"><thead><tr><th>group</th><th>the fact it measures</th></tr></thead><tbody>\n");
    for (g, fact) in waybill_reason::rule::GROUPS {
        row(o, &[format!("<code>{}</code>", esc(g)), esc(fact)]);
    }
    o.push_str("</tbody></table>\n");
    o.push_str("<table class=\"grid\"><thead><tr><th>|log10 LR|</th><th>LR</th><th>verbal (ENFSI guideline for evaluative reporting)</th></tr></thead><tbody>\n");
    for (a, b, w) in [
        ("< 0.3", "1–2", "no meaningful support for either proposition"),
        ("0.3–1", "2–10", "weak support"),
        ("1–2", "10–100", "moderate support"),
        ("2–3", "100–1,000", "moderately strong support"),
        ("3–4", "1,000–10,000", "strong support"),
        ("4–6", "10,000–1,000,000", "very strong support"),
        ("> 6", "> 1,000,000", "extremely strong support"),
    ] {
        row(o, &[a.into(), b.into(), w.into()]);
    }
    o.push_str("</tbody></table>\n");
    o.push_str("<h3>Copies, linking, attribution, arrival and clocks</h3><p>One finding per copy (content, device, path): a file of a tree, a cache entry, a delivery record. Events are tied to a content by any hash, by download records naming a copy's path, by origin markers in a copy's folder, by server responses of exactly its size for a URL ending in its name, and then by every event naming the same resource (URLs normalised). Each server or cloud record is attributed: to the subject by their account (from any address), or by their address at that time with a User-Agent that fits the device's browser (learned from requests paired with the device's own visits); anything else is someone else's act, kept in the chain (another account's upload is the delivery's origin). Visits synced from another device, made by an extension or imported are not the device user's acts. The arrival is the copy's first download completion, messaging media fetch, sync or cloud download, cache write, or else the earlier of its creation and modification times; the retrieval's start (a download's start, a cache entry's request, the start of the sync it came with) is where the device's state is judged. Each device clock is aligned to the server logs from events that must be the same moment (a visit or download start and the server's navigation request; a cache write and the request that filled it): the offset most pairs agree on, then their median, with 1.4826 × MAD (at least 1 s) as uncertainty. Orderings the evaluation relies on must hold across that uncertainty; events on clocks that could not be aligned are not ordered against each other. Evidence of how the copy arrived is taken from its own delivery only: later acts (opening it, a request from another device days later) are listed after the arrival and never weighed, and on a clock that cannot be aligned an event counts only within five minutes of the arrival.</p>\n");
    o.push_str("<h3>Gaps</h3><p>A rule that could not be evaluated because its deciding source is absent, does not cover the window, or does not record the deciding field becomes a gap naming that source and the window. The absence of an event counts as evidence only where the source that would show it is present and covers the window.</p>\n");
    o.push_str("<h3>Rules</h3><div class=\"scroll\"><table class=\"grid\"><thead><tr><th>rule</th><th>log10 LR [range]</th><th>group</th><th>rationale</th><th>alternatives (how the evidence arises under the other proposition)</th><th>references</th></tr></thead><tbody>\n");
    for rule in &r.rulebook.rules {
        let refs: Vec<String> = rule.references.iter().map(|x| esc(x)).collect();
        row(
            o,
            &[
                format!("<b id=\"rule-{id}\">{id}</b><br>{}", esc(&rule.description), id = esc(&rule.id)),
                format!("{:+.1} [{:+.1}, {:+.1}]", rule.log10_lr, rule.range[0], rule.range[1]),
                esc(&rule.group),
                esc(&rule.rationale),
                esc(&rule.alternatives),
                refs.join("<br>"),
            ],
        );
    }
    o.push_str("</tbody></table></div>\n");
    o.push_str("<h3>Limits</h3><ul><li>The values of the rules are expert estimates, checked against simulated cases (the validation table above: error rates on seeds not used while choosing the values), not frequencies measured in casework. The simulator is not the world: situations it lacks are not covered by its rates.</li><li>Rules within different groups are treated as independent; where they are not, the combined LR overstates the evidence, which is why ranges and the ±1 decision threshold are wide.</li><li>Only the sources listed above were read; evidence that was never collected cannot be weighed (see each finding's gaps).</li><li>Times are in UTC; device times are corrected only where a clock could be aligned.</li><li>A finding concerns how the copy arrived, not what the person knew about it.</li></ul></section>\n");
}

const CSS: &str = r##"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1200px;padding:0 16px 40px;color:#1b1b1b;background:#fff}
h1{font-size:22px;margin:18px 0 4px}h2{font-size:18px;border-bottom:2px solid #345;padding-bottom:3px;margin-top:28px}h3{font-size:15px;margin:18px 0 6px}
.sub{color:#555;margin:0 0 10px}code{font:12px ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
table{border-collapse:collapse}table.grid{width:100%}table.grid th,table.grid td{border:1px solid #ccd;padding:3px 6px;vertical-align:top;text-align:left}
table.grid th{background:#eef1f6;cursor:default}#overview th{cursor:pointer}table.kv td{padding:2px 10px 2px 0;vertical-align:top}table.kv td:first-child{color:#555;white-space:nowrap}
td.n{text-align:right;font-variant-numeric:tabular-nums}td.path{word-break:break-all}.scroll{overflow-x:auto}
.controls{margin:6px 0}.controls input{width:260px}
@media print{p.draft,#draft{display:none}}.rv-rejected{color:#8a1c1c}.rv-disputed{color:#a05a00}.rv-accepted{color:#1d5a2c}.v-user_initiated{color:#8a1c1c;font-weight:600}.v-automatic{color:#1d5a2c;font-weight:600}.v-indeterminate{color:#555;font-weight:600}
#overview tbody tr:hover{background:#f6f8fb;cursor:pointer}
.muted{color:#666}
.finding{border:1px solid #99a;border-radius:4px;padding:8px 12px;margin:14px 0;break-inside:avoid-page}
.finding h3{margin-top:4px;word-break:break-all}.muted{color:#666}.small{font-size:12px}
svg text{font:11px system-ui,sans-serif}
footer{margin-top:30px;color:#666;font-size:12px}
@media print{.controls,#overview th{cursor:auto}.controls button{display:none}body{max-width:none}}
"##;

const SCRIPT: &str = r##"
"use strict";
(function () {
  var D = JSON.parse(document.getElementById("wb-data").textContent);
  var S = D.strings, F = D.findings, I = D.inputs, PAGE = 100, page = 0, sortKey = "path", sortDir = 1;
  function str(i) { return i === null || i === undefined ? null : S[i]; }
  // Resolve the shared string table.
  F.forEach(function (f) {
    f.verbal = str(f.verbal);
    f.statement = str(f.statement);
    f.decision = str(f.decision);
    f.groups = f.groups.map(function (g) { return [str(g[0]), g[1], g[2], str(g[3]), g[4]]; });
    f.attribution = f.attribution.map(function (a) { return [str(a[0]), a[1], str(a[2]), str(a[3]), str(a[4])]; });
    f.matched = f.matched.map(function (m) { return [str(m[0]), str(m[1]), m[2]]; });
    if (f.arrival) { f.arrival = [f.arrival[0], str(f.arrival[1]), str(f.arrival[2]), f.arrival[3]]; }
    f.evidence = f.evidence.map(function (e) {
      return [str(e[0]), e[1], e[2], str(e[3]), e[4], str(e[5]), e[6].map(function (x) { return [str(x[0]), x[1]]; }), str(e[7]), e[8], e[9]];
    });
    f.gaps = f.gaps.map(function (g) { return [str(g[0]), str(g[1]), str(g[2]), str(g[3])]; });
    f.after = f.after.map(function (a) { return [a[0], str(a[1]), str(a[2]), a[3], a[4]]; });
    f.chain = f.chain.map(function (c) { return [c[0], str(c[1]), str(c[2]), str(c[3]), c[4], c[5]]; });
    f.clocks = f.clocks.map(function (c) { return [str(c[0]), c[1], c[2], c[3]]; });
  });
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) { for (var k in attrs) { e.setAttribute(k, attrs[k]); } }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (text !== undefined) { e.textContent = String(text); }
    return e;
  }
  function fmt(x) { return (x >= 0 ? "+" : "") + x.toFixed(2); }
  function lrText(f) { return fmt(f.lr) + " [" + fmt(f.range[0]) + ", " + fmt(f.range[1]) + "]"; }
  function key(f, k) { return k === "arrival" ? (f.arrival ? f.arrival[0] : "") : k === "lr" ? f.lr : k === "path" ? (f.path || f.sha) : k === "device" ? (f.device || "") : f[k]; }
  function matches(f, q, v) {
    if (v && f.verdict !== v) { return false; }
    if (!q) { return true; }
    var hay = (f.path + " " + f.sha + " " + (f.device || "") + " " + f.verbal + " " + f.verdict).toLowerCase();
    return hay.indexOf(q) >= 0;
  }
  function ref(src, rec) {
    var a = el("a", { href: "#input-" + src, title: I[src] ? I[src][0] : src }, src + " " + rec);
    return a;
  }
  function table(head, rows) {
    var t = el("table", { "class": "grid" }), th = el("thead"), tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", null, h)); });
    th.appendChild(tr); t.appendChild(th);
    var tb = el("tbody");
    rows.forEach(function (r) {
      var row = el("tr");
      r.forEach(function (c) {
        var td = el("td");
        if (c instanceof Node) { td.appendChild(c); } else { td.textContent = String(c); }
        row.appendChild(td);
      });
      tb.appendChild(row);
    });
    t.appendChild(tb);
    return t;
  }
  function clockOf(src) { return I[src] ? I[src][2] : ""; }
  function timeline(f) {
    var pts = f.chain.map(function (c) { return { t: Date.parse(c[0]), kind: c[1], role: c[2], src: c[3], rec: c[4], sum: c[5], ts: c[0] }; })
      .filter(function (p) { return !isNaN(p.t); });
    if (!pts.length) { return el("p", { "class": "muted" }, "No linked events to draw."); }
    var unc = {};
    f.clocks.forEach(function (c) { unc[c[0]] = c[2] * 1000; });
    var lanes = [];
    pts.forEach(function (p) { if (lanes.indexOf(p.src) < 0) { lanes.push(p.src); } });
    // The axis spans the events around the arrival: starting from the arrival
    // (else the middle event), an event joins while its distance from the
    // span is at most ten times the span (at least a minute). Far outliers (a
    // modification time kept from the cloud months before, a change time set
    // when the tree was exported months after) are drawn as stubs at the
    // edges with their dates, so they never squeeze the chain into a pixel.
    var ts = pts.map(function (p) { return p.t; }).sort(function (a, b) { return a - b; });
    var at = f.arrival ? Date.parse(f.arrival[0]) : NaN;
    if (isNaN(at)) { at = ts[Math.floor(ts.length / 2)]; }
    var lo = at, hi = at, grew = true;
    while (grew) {
      grew = false;
      ts.forEach(function (t) {
        if (t >= lo && t <= hi) { return; }
        var span = Math.max(hi - lo, 60000), d = t < lo ? lo - t : t - hi;
        if (d <= 10 * span) { if (t < lo) { lo = t; } else { hi = t; } grew = true; }
      });
    }
    var inside = pts.filter(function (p) { return p.t >= lo && p.t <= hi; });
    lo = Math.min.apply(null, inside.map(function (p) { return p.t - (unc[clockOf(p.src)] || 0); }).concat([lo]));
    hi = Math.max.apply(null, inside.map(function (p) { return p.t + (unc[clockOf(p.src)] || 0); }).concat([hi]));
    if (hi - lo < 2000) { lo -= 1000; hi += 1000; }
    var pad = (hi - lo) * 0.05; lo -= pad; hi += pad;
    var before = pts.filter(function (p) { return p.t < lo; });
    var beyond = pts.filter(function (p) { return p.t > hi; });
    var W = 1000, L = 150, R = 20, H = 28 * lanes.length + 46;
    var x = function (t) { return L + (Math.min(Math.max(t, lo), hi) - lo) / (hi - lo) * (W - L - R); };
    var s = svg("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img", "aria-label": "timeline of the linked events" });
    lanes.forEach(function (src, i) {
      var y = 22 + i * 28;
      s.appendChild(svg("line", { x1: L, x2: W - R, y1: y, y2: y, stroke: "#dde", "stroke-width": 1 }));
      var lab = src + (I[src] ? " " + I[src][1] : "");
      s.appendChild(svg("text", { x: 4, y: y + 4 }, lab.length > 24 ? lab.slice(0, 23) + "…" : lab));
    });
    if (f.arrival) {
      var ax = x(Date.parse(f.arrival[0]));
      s.appendChild(svg("line", { x1: ax, x2: ax, y1: 8, y2: H - 26, stroke: "#b00", "stroke-width": 1.5, "stroke-dasharray": "4 3" }));
      s.appendChild(svg("text", { x: Math.min(ax + 3, W - 120), y: 12, fill: "#b00" }, "arrival: " + f.arrival[1]));
    }
    var colours = { origin: "#2a5db0", transit: "#777", arrival: "#b00", after: "#3a8a3a" };
    pts.forEach(function (p) {
      var y = 22 + lanes.indexOf(p.src) * 28, cx = x(p.t), u = unc[clockOf(p.src)] || 0;
      if (p.t < lo || p.t > hi) {
        // A stub: a short dashed tick at the edge, the dot beside it.
        var ex = p.t < lo ? L : W - R, dx = p.t < lo ? -8 : 8;
        s.appendChild(svg("line", { x1: ex, x2: ex + dx, y1: y, y2: y, stroke: "#555", "stroke-width": 2, "stroke-dasharray": "2 2" }));
        cx = ex + dx;
      } else if (u > 0) {
        s.appendChild(svg("line", { x1: x(p.t - u), x2: x(p.t + u), y1: y, y2: y, stroke: "#999", "stroke-width": 3, opacity: 0.6 }));
      }
      var c = svg("circle", { cx: cx, cy: y, r: 4.5, fill: colours[p.role] || "#777" });
      c.appendChild(svg("title", {}, p.ts + "  " + p.kind + " (" + p.role + ")  " + p.src + " " + p.rec + "\n" + p.sum));
      s.appendChild(c);
    });
    s.appendChild(svg("text", { x: L, y: H - 8 }, new Date(lo).toISOString()));
    s.appendChild(svg("text", { x: W - R, y: H - 8, "text-anchor": "end" }, new Date(hi).toISOString()));
    var notes = [];
    if (before.length) {
      var first = Math.min.apply(null, before.map(function (p) { return p.t; }));
      notes.push(before.length + " earlier event(s) as stubs at the left edge, from " + new Date(first).toISOString());
    }
    if (beyond.length) {
      var last = Math.max.apply(null, beyond.map(function (p) { return p.t; }));
      notes.push(beyond.length + " later event(s) as stubs at the right edge, up to " + new Date(last).toISOString());
    }
    if (notes.length) {
      s.appendChild(svg("text", { x: (L + W - R) / 2, y: H - 8, "text-anchor": "middle", fill: "#555" }, notes.join("; ")));
    }
    return s;
  }
  function scaleBar(f) {
    var W = 1000, H = 64, L = 20, R = 20, min = -6, max = 6;
    var x = function (v) { return L + (Math.max(min, Math.min(max, v)) - min) / (max - min) * (W - L - R); };
    var s = svg("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img", "aria-label": "sensitivity range on the verbal scale" });
    var bands = [[-6, -4, "#1d5a2c"], [-4, -3, "#2f7a3f"], [-3, -2, "#4f9a5c"], [-2, -1, "#7fbf88"], [-1, -0.3, "#c3e3c7"], [-0.3, 0.3, "#eeeeee"], [0.3, 1, "#f3cccc"], [1, 2, "#e39a9a"], [2, 3, "#cf6a6a"], [3, 4, "#b34040"], [4, 6, "#8a1c1c"]];
    bands.forEach(function (b) { s.appendChild(svg("rect", { x: x(b[0]), y: 18, width: x(b[1]) - x(b[0]), height: 14, fill: b[2] })); });
    [-6, -4, -3, -2, -1, 0, 1, 2, 3, 4, 6].forEach(function (v) {
      s.appendChild(svg("text", { x: x(v), y: 46, "text-anchor": "middle" }, (v > 0 ? "+" : "") + v));
    });
    s.appendChild(svg("text", { x: L, y: 60 }, "← supports delivery without the subject's act"));
    s.appendChild(svg("text", { x: W - R, y: 60, "text-anchor": "end" }, "supports user-initiated retrieval →"));
    s.appendChild(svg("line", { x1: x(-1), x2: x(-1), y1: 14, y2: 36, stroke: "#000", "stroke-dasharray": "2 2" }));
    s.appendChild(svg("line", { x1: x(1), x2: x(1), y1: 14, y2: 36, stroke: "#000", "stroke-dasharray": "2 2" }));
    s.appendChild(svg("rect", { x: x(f.range[0]), y: 21, width: Math.max(2, x(f.range[1]) - x(f.range[0])), height: 8, fill: "#000", opacity: 0.75 }));
    s.appendChild(svg("circle", { cx: x(f.lr), cy: 25, r: 6, fill: "#fff", stroke: "#000", "stroke-width": 2 }));
    s.appendChild(svg("text", { x: x(f.lr), y: 12, "text-anchor": "middle" }, "log10 LR " + lrText(f)));
    return s;
  }
  function detail(f) {
    var d = el("div", { "class": "finding", id: "f-" + f.id });
    d.appendChild(el("h3", null, (f.path || f.sha) + (f.device ? " on " + f.device : "")));
    d.appendChild(el("p", null, f.statement));
    var p = el("p");
    var v = el("span", { "class": "v-" + f.verdict }, f.verdict);
    p.appendChild(document.createTextNode("Decision band: "));
    p.appendChild(v);
    p.appendChild(document.createTextNode("  log10 LR " + lrText(f) + " — " + f.decision));
    d.appendChild(p);
    var meta = el("p", { "class": "small muted" });
    var siblings = F.filter(function (g) { return g.sha === f.sha && g.id !== f.id; });
    meta.textContent = "finding " + f.id + " · copy: " + f.copy + " · SHA-256 " + f.sha +
      (siblings.length ? " · other copies of this content: " + siblings.map(function (g) { return (g.path || g.sha) + (g.device ? " on " + g.device : "") + " (" + g.verdict + ")"; }).join(", ") : "") +
      " · matched: " + f.matched.map(function (m) { return m[0] + " by " + m[1] + (m[2] ? " (distance " + m[2] + ")" : ""); }).join(", ") +
      (f.arrival ? " · arrival " + f.arrival[0] + " (" + f.arrival[1] + ", " + f.arrival[2] + " " + f.arrival[3] + ")" : " · no arrival found");
    d.appendChild(meta);
    d.appendChild(el("h4", null, "Sensitivity range on the verbal scale"));
    d.appendChild(scaleBar(f));
    d.appendChild(el("h4", null, "Delivery chain" + (f.chain_total > f.chain.length ? " (" + f.chain.length + " of " + f.chain_total + " events shown; all in findings/" + f.id + ".json)" : "")));
    d.appendChild(timeline(f));
    if (f.clocks.length) {
      d.appendChild(table(["clock", "offset (s)", "uncertainty (s)", "pairs"], f.clocks.map(function (c) { return [c[0], c[1], c[2], c[3]]; })));
    }
    d.appendChild(el("h4", null, "Evidence"));
    if (f.evidence.length) {
      d.appendChild(table(["rule", "log10 LR [range]", "group (fact)", "counted", "explanation", "events"], f.evidence.map(function (e) {
        var evs = el("span");
        e[6].forEach(function (x, i) { if (i) { evs.appendChild(el("br")); } evs.appendChild(ref(x[0], x[1])); });
        var counted = (e[4] ? "yes" : "no") + (e[8] ? " · on the arrival's own event" : "") + (e[9] ? " · by address alone (widened)" : "") + (e[7] ? " — " + e[7] : "");
        var rv = f.review_evidence[f.evidence.indexOf(e)];
        var rule = el("a", { href: "#rule-" + e[0] }, e[0]);
        var cell = rv === "rejected" ? el("s", { title: "rejected in review" }) : el("span");
        cell.appendChild(rule);
        if (rv) { cell.appendChild(el("span", { "class": "small rv-" + rv }, " (" + rv + " in review)")); }
        return [cell, fmt(e[1]) + " [" + fmt(e[2][0]) + ", " + fmt(e[2][1]) + "]", e[3], counted, e[5], evs];
      })));
      d.appendChild(table(["group", "log10 LR [range]", "points towards", "by address alone"], f.groups.map(function (g) {
        return [g[0], fmt(g[1]) + " [" + fmt(g[2][0]) + ", " + fmt(g[2][1]) + "]", g[3], g[4] ? "yes" : "no"];
      })));
    } else {
      d.appendChild(el("p", { "class": "muted" }, "No rule fired."));
    }
    d.appendChild(el("h4", null, "Examiner review"));
    if (f.review) {
      d.appendChild(el("p", null, "Reviewed by " + f.review.examiners.join(", ") + "."));
      if (f.review.items.length) {
        d.appendChild(table(["item", "status", "steps (latest per examiner)"], f.review.items.map(function (i) {
          var s = el("span", { "class": "rv-" + i[1] }, i[1] === "rejected" ? "rejected: left out" : i[1] === "disputed" ? "disputed: kept (examiners differ)" : "accepted");
          return [i[0], s, i[2].join("; ")];
        })));
      }
      var notes = f.review.steps.filter(function (s) { return s[2] === "note"; });
      if (notes.length) {
        var nl = el("ul");
        notes.forEach(function (s) { nl.appendChild(el("li", null, "Note by " + s[1] + ": " + s[3] + " — " + s[4])); });
        d.appendChild(nl);
      }
      if (f.review.differs.length) {
        d.appendChild(el("p", null, "Where the examiners differ: " + f.review.differs.join(" · ")));
      }
      d.appendChild(el("p", { "class": "small muted" }, "Steps applied: " + f.review.steps.map(function (s) { return "#" + s[0] + " " + s[1] + " " + s[2] + " " + s[3]; }).join(" · ")));
    } else {
      d.appendChild(el("p", { "class": "muted" }, "Not reviewed."));
    }
    d.appendChild(draftForm(f));
    d.appendChild(el("h4", null, "Attribution: whose act each server or cloud record is"));
    if (f.attribution.length) {
      d.appendChild(table(["record", "kind", "whose act", "why"], f.attribution.map(function (a) { return [ref(a[0], a[1]), a[2], a[3], a[4]]; })));
    } else {
      d.appendChild(el("p", { "class": "muted" }, "No server or cloud record is tied to this copy."));
    }
    if (f.open.length) {
      d.appendChild(el("h4", null, "Open questions"));
      var ul = el("ul");
      f.open.forEach(function (q) { ul.appendChild(el("li", null, q)); });
      d.appendChild(ul);
    }
    d.appendChild(el("h4", null, "Gaps: evidence that would decide it"));
    if (f.gaps.length) {
      var gd = el("details"), gs = el("summary", null, f.gaps.length + " source(s) absent or not covering the arrival: " +
        f.gaps.map(function (g) { return g[0]; }).join("; "));
      gd.appendChild(gs);
      gd.appendChild(table(["needs", "from", "to", "rules"], f.gaps.map(function (g) { return [g[0], g[1] || "—", g[2] || "—", g[3]]; })));
      d.appendChild(gd);
    } else {
      d.appendChild(el("p", { "class": "muted" }, "None."));
    }
    d.appendChild(el("h4", null, "After the arrival (not weighed)" + (f.after_total > f.after.length ? " — " + f.after.length + " of " + f.after_total : "")));
    if (f.after.length) {
      d.appendChild(table(["time (UTC)", "kind", "record", "what"], f.after.map(function (a) { return [a[0], a[1], ref(a[2], a[3]), a[4]]; })));
    } else {
      d.appendChild(el("p", { "class": "muted" }, "Nothing recorded."));
    }
    return d;
  }
  var drafted = [];
  function drawDraft() {
    var list = document.getElementById("draft-list");
    list.textContent = "";
    drafted.forEach(function (s) { list.appendChild(el("li", null, s.action + " " + (s.item || s.text) + " on " + s.finding + " — " + s.why)); });
    document.getElementById("draft-count").textContent = drafted.length + " steps drafted";
  }
  function draftForm(f) {
    var form = el("p", { "class": "draft" });
    var act = el("select");
    ["reject", "accept", "note"].forEach(function (a) { act.appendChild(el("option", null, a)); });
    var item = el("select");
    f.evidence.forEach(function (e) { item.appendChild(el("option", null, e[0])); });
    f.chain.forEach(function (c) { item.appendChild(el("option", null, c[3] + ":" + c[4])); });
    var text = el("input", { type: "text", placeholder: "note (for a note)" });
    var why = el("input", { type: "text", placeholder: "why (required)" });
    var add = el("button", { type: "button" }, "Add to draft");
    add.addEventListener("click", function () {
      if (!why.value.trim()) { why.focus(); return; }
      var s = { finding: f.id, action: act.value, why: why.value.trim() };
      if (act.value === "note") { if (!text.value.trim()) { text.focus(); return; } s.text = text.value.trim(); } else { s.item = item.value; }
      drafted.push(s);
      why.value = ""; text.value = "";
      drawDraft();
    });
    form.appendChild(document.createTextNode("Draft a review step: "));
    [act, item, text, why, add].forEach(function (x) { form.appendChild(x); form.appendChild(document.createTextNode(" ")); });
    return form;
  }
  document.getElementById("draft-save").addEventListener("click", function () {
    var doc = JSON.stringify({ schema: "waybill.review-draft/1", case: D.case_name, steps: drafted }, null, 2) + "\n";
    var a = el("a", { download: "waybill-review-draft.json" });
    a.href = URL.createObjectURL(new Blob([doc], { type: "application/json" }));
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
  });
  document.getElementById("draft-clear").addEventListener("click", function () { drafted = []; drawDraft(); });
  var body = document.querySelector("#overview tbody"), details = document.getElementById("details");
  function show(f) {
    var old = document.getElementById("f-" + f.id);
    if (!old) { details.insertBefore(detail(f), details.firstChild); old = document.getElementById("f-" + f.id); }
    if (old && old.scrollIntoView) { old.scrollIntoView(); }
  }
  function draw() {
    var q = document.getElementById("q").value.toLowerCase(), v = document.getElementById("v").value;
    var rows = F.filter(function (f) { return matches(f, q, v); });
    rows.sort(function (a, b) { var x = key(a, sortKey), y = key(b, sortKey); return (x < y ? -1 : x > y ? 1 : 0) * sortDir || (a.id < b.id ? -1 : 1); });
    var pages = Math.max(1, Math.ceil(rows.length / PAGE));
    page = Math.min(page, pages - 1);
    body.textContent = "";
    rows.slice(page * PAGE, page * PAGE + PAGE).forEach(function (f) {
      var tr = el("tr");
      tr.appendChild(el("td", null, f.sha.slice(0, 12) + "…"));
      tr.appendChild(el("td", { "class": "path" }, f.path || f.sha));
      tr.appendChild(el("td", null, f.device || "—"));
      tr.appendChild(el("td", null, f.arrival ? f.arrival[0] : "—"));
      tr.appendChild(el("td", { "class": "v-" + f.verdict }, f.verdict));
      tr.appendChild(el("td", null, lrText(f)));
      tr.appendChild(el("td", null, f.verbal));
      tr.addEventListener("click", function () { show(f); });
      body.appendChild(tr);
    });
    document.getElementById("count").textContent = rows.length + " of " + F.length + " findings (copies)";
    document.getElementById("page").textContent = "page " + (page + 1) + " / " + pages;
  }
  document.getElementById("q").addEventListener("input", function () { page = 0; draw(); });
  document.getElementById("v").addEventListener("change", function () { page = 0; draw(); });
  document.getElementById("prev").addEventListener("click", function () { if (page > 0) { page--; draw(); } });
  document.getElementById("next").addEventListener("click", function () { page++; draw(); });
  Array.prototype.forEach.call(document.querySelectorAll("#overview th"), function (th) {
    th.addEventListener("click", function () { var k = th.getAttribute("data-k"); sortDir = k === sortKey ? -sortDir : 1; sortKey = k; draw(); });
  });
  function reveal() {
    var t = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    var d = t && t.closest ? t.closest("details") : null;
    if (d && !d.open) { d.open = true; t.scrollIntoView(); }
  }
  window.addEventListener("hashchange", reveal);
  draw();
  if (D.all_details) { F.forEach(function (f) { details.appendChild(detail(f)); }); }
  // `report.html?f=<id>` puts that finding's details first (drawn if need be).
  var wanted = /[?&]f=([0-9a-f-]+)/.exec(location.search);
  var linked = wanted && F.filter(function (f) { return f.id === wanted[1]; })[0];
  if (linked) {
    var drawn = document.getElementById("f-" + linked.id) || detail(linked);
    details.insertBefore(drawn, details.firstChild);
  }
})();
"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(esc("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
        let v = json!({"k": "</script><b>&\u{2028}"});
        let s = script_json(&v);
        assert!(!s.contains("</script>") && !s.contains('<') && !s.contains('\u{2028}'), "{s}");
        let back: Value = serde_json::from_str(&s).expect("still JSON");
        assert_eq!(back, v);
    }
}
