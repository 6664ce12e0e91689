//! The case as CASE/UCO JSON-LD (CASE 1.5.0 / UCO 1.5.0, as `case_validate` of
//! case-utils 0.18.0 checks it).
//!
//! - `case-investigation:Investigation` naming every other node;
//! - the tool (`uco-tool:Tool`) and the examiner (`uco-identity:Person`);
//! - each evidence input and each file of interest as `uco-observable:File` with
//!   a `FileFacet` and a `ContentDataFacet` holding its SHA-256;
//! - each command of the custody log as `case-investigation:InvestigativeAction`
//!   (`analyze` also `uco-analysis:Analysis`) with its tool, inputs and results;
//! - the events that decided a finding (the arrival and each evidence event) as
//!   `uco-observable:ObservableAction`, pointing at the input they came from;
//! - the two propositions as `uco-core:Assertion`;
//! - each finding as `uco-analysis:AnalyticResult` + `uco-core:Annotation`,
//!   with the evaluation in the extension namespace `waybill:`
//!   (`https://waybill.example/ontology/`): `log10LikelihoodRatio` and its
//!   `…Low`/`…High`, `verdict`, `verbalScale`, `propositionHp`/`propositionHd`, `copyId`,
//!   `evidenceRule`, `gap`, `arrivalTime`. CASE has no class for an evaluation
//!   yet; these follow the shape proposed in casework/CASE issue 190
//!   (a hypothesis and its alternative, an evaluation result with value, scale
//!   and conclusion) and are marked as an extension by their namespace.
//!
//! Node ids are `kb:<kind>-<uuid>`, the UUID derived from the node's content
//! (SHA-256, RFC 4122 version 5 layout), so the same case gives the same bytes.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::Report;

const NS: &str = "https://waybill.example/ontology/";

/// A content-derived UUID (version-5 layout over SHA-256).
pub fn uuid(kind: &str, name: &str) -> String {
    let d = Sha256::digest(format!("waybill:{kind}\0{name}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

fn id(kind: &str, name: &str) -> String {
    format!("kb:{kind}-{}", uuid(kind, name))
}

fn r(id: &str) -> Value {
    json!({"@id": id})
}

fn time(t: &str) -> Value {
    json!({"@type": "xsd:dateTime", "@value": t})
}

fn dec(x: f64) -> Value {
    json!({"@type": "xsd:decimal", "@value": format!("{x}")})
}

fn is_hex_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A `uco-observable:File` with its facets (pushed to `graph`); returns its id.
fn file(
    graph: &mut Vec<Value>,
    key: &str,
    name: &str,
    path: &str,
    size: Option<u64>,
    sha256: &str,
    extra: Value,
) -> String {
    let fid = id("file", key);
    let facet = id("file-facet", key);
    let content = id("content-data-facet", key);
    let hash = id("hash", key);
    let mut f = json!({
        "@id": fid, "@type": "uco-observable:File",
        "uco-core:hasFacet": [r(&facet), r(&content)],
    });
    if let (Value::Object(m), Value::Object(x)) = (&mut f, extra) {
        m.extend(x);
    }
    graph.push(f);
    let mut ff = json!({"@id": facet, "@type": "uco-observable:FileFacet", "uco-observable:fileName": name, "uco-observable:filePath": path});
    let mut cf = json!({"@id": content, "@type": "uco-observable:ContentDataFacet"});
    if let Some(n) = size {
        ff["uco-observable:sizeInBytes"] = json!(n);
        cf["uco-observable:sizeInBytes"] = json!(n);
    }
    if is_hex_sha256(sha256) {
        cf["uco-observable:hash"] = json!([r(&hash)]);
        graph.push(ff);
        graph.push(cf);
        graph.push(json!({
            "@id": hash, "@type": "uco-types:Hash",
            "uco-types:hashMethod": "SHA256",
            "uco-types:hashValue": {"@type": "xsd:hexBinary", "@value": sha256.to_ascii_lowercase()},
        }));
    } else {
        graph.push(ff);
        graph.push(cf);
    }
    fid
}

/// The JSON-LD document.
pub fn document(rep: &Report) -> Value {
    let c = &rep.case;
    let mut graph: Vec<Value> = Vec::new();
    let tool = id("tool", &c.tool);
    let (tool_name, tool_version) = c.tool.split_once(' ').unwrap_or((c.tool.as_str(), ""));
    graph.push(json!({
        "@id": tool, "@type": "uco-tool:Tool", "uco-core:name": tool_name,
        "uco-tool:version": tool_version, "uco-tool:toolType": "forensic delivery-path analysis",
    }));
    let examiner = c.examiner.as_ref().map(|e| {
        let pid = id("person", e);
        graph.push(json!({"@id": pid, "@type": "uco-identity:Person", "uco-core:name": e}));
        pid
    });
    // Evidence inputs.
    let mut input_ids: BTreeMap<&str, String> = BTreeMap::new();
    for i in &c.inputs {
        let name = i.path.rsplit(['/', '\\']).next().unwrap_or(&i.path);
        let fid = file(
            &mut graph,
            &format!("input:{}:{}", i.id, i.sha256),
            name,
            &i.path,
            Some(i.size),
            &i.sha256,
            json!({"uco-core:description": format!("evidence input {} ({}): {} records, {} events, {} rejects", i.id, i.format, i.records, i.events, i.rejects)}),
        );
        input_ids.insert(&i.id, fid);
    }
    // Files of interest.
    let mut foi: BTreeMap<&str, String> = BTreeMap::new();
    for f in &rep.findings {
        if foi.contains_key(f.file.sha256.as_str()) {
            continue;
        }
        let path = f.file.paths.first().map_or("", String::as_str);
        let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        let sets: Vec<String> = f.file.matched.iter().map(|m| format!("{} by {}", m.set, m.by)).collect();
        let fid = file(
            &mut graph,
            &format!("foi:{}", f.file.sha256),
            if name.is_empty() { &f.file.sha256 } else { name },
            path,
            None,
            &f.file.sha256,
            json!({"uco-core:tag": ["file-of-interest"], "uco-core:description": format!("file of interest, matched in {}", sets.join(", "))}),
        );
        foi.insert(&f.file.sha256, fid);
    }
    // The propositions.
    let hu = id("assertion", "Hp");
    let ha = id("assertion", "Hd");
    graph.push(json!({"@id": hu, "@type": "uco-core:Assertion", "uco-core:name": "Hp",
        "uco-core:statement": format!("Hp: {}.", waybill_reason::engine::HP)}));
    graph.push(json!({"@id": ha, "@type": "uco-core:Assertion", "uco-core:name": "Hd",
        "uco-core:statement": format!("Hd: {}. {}", waybill_reason::engine::HD, waybill_reason::engine::SCOPE_NOTE)}));
    // Decisive events and findings.
    let analyze_action = c.actions.iter().rposition(|a| a.action == "analyze");
    let analyze_id = analyze_action.map(|i| id("investigative-action", &format!("{i}:analyze")));
    let mut results: Vec<String> = Vec::new();
    let mut event_ids: BTreeMap<(String, String), String> = BTreeMap::new();
    for f in &rep.findings {
        let mut refs: Vec<(&str, &str)> = Vec::new();
        if let Some(a) = &f.arrival {
            refs.push((&a.source, &a.record));
        }
        for e in &f.evidence {
            refs.extend(e.events.iter().map(|x| (x.source.as_str(), x.record.as_str())));
        }
        let mut mine = Vec::new();
        for (src, rec) in refs {
            let key = (src.to_owned(), rec.to_owned());
            if let Some(eid) = event_ids.get(&key) {
                mine.push(eid.clone());
                continue;
            }
            let Some(link) = f.chain.iter().find(|l| l.source == src && l.record == rec) else { continue };
            let eid = id("observable-action", &format!("{src}\0{rec}"));
            let mut ev = json!({
                "@id": eid, "@type": "uco-observable:ObservableAction",
                "uco-core:name": link.kind,
                "uco-core:description": link.summary,
                "uco-action:startTime": time(&link.ts),
                "waybill:sourceRecord": format!("{src} {rec}"),
            });
            if let Some(input) = input_ids.get(src) {
                ev["waybill:sourceArtifact"] = r(input);
            }
            graph.push(ev);
            event_ids.insert(key, eid.clone());
            mine.push(eid);
        }
        mine.sort();
        mine.dedup();
        let res = id("analytic-result", &f.id);
        let path =
            if f.copy.path.is_empty() { f.copy.url.as_deref().unwrap_or(&f.file.sha256) } else { f.copy.path.as_str() };
        let mut objects = vec![r(&foi[f.file.sha256.as_str()])];
        objects.extend(mine.iter().map(|e| r(e)));
        let mut doc = json!({
            "@id": res, "@type": ["uco-analysis:AnalyticResult", "uco-core:Annotation"],
            "uco-core:name": format!("evaluation of the copy {path} on {}", f.copy.device.as_deref().unwrap_or("an unnamed device")),
            "uco-core:statement": format!(
                "{} log10 LR {:+.2} (range {:+.2} to {:+.2}). Decision band {}: {}.",
                f.statement, f.log10_lr, f.log10_lr_range[0], f.log10_lr_range[1], f.verdict, f.decision
            ),
            "uco-core:object": objects,
            "waybill:propositionHp": r(&hu),
            "waybill:propositionHd": r(&ha),
            "waybill:copyId": f.id,
            "waybill:log10LikelihoodRatio": dec(f.log10_lr),
            "waybill:log10LikelihoodRatioLow": dec(f.log10_lr_range[0]),
            "waybill:log10LikelihoodRatioHigh": dec(f.log10_lr_range[1]),
            "waybill:verdict": f.verdict,
            "waybill:verbalScale": "ENFSI guideline for evaluative reporting (2015)",
            "waybill:verbal": f.verbal,
            "waybill:evidenceRule": f.evidence.iter().filter(|e| e.counted).map(|e| e.rule.clone()).collect::<Vec<_>>(),
            "waybill:gap": f.gaps.iter().map(|g| g.needs.clone()).collect::<Vec<_>>(),
            "waybill:rulebookSha256": f.rulebook,
        });
        if let Some(a) = &f.arrival {
            doc["waybill:arrivalTime"] = time(&a.ts);
        }
        if let Some(an) = &analyze_id {
            doc["uco-analysis:originatingAnalysis"] = r(an);
        }
        graph.push(doc);
        results.push(res);
    }
    // Actions from the custody log.
    let mut actions = Vec::new();
    for (i, a) in c.actions.iter().enumerate() {
        let aid = id("investigative-action", &format!("{i}:{}", a.action));
        let mut types = vec![json!("case-investigation:InvestigativeAction")];
        let (objects, outs): (Vec<Value>, Vec<Value>) = match a.action.as_str() {
            "ingest" => {
                let ins = a.inputs.iter().filter_map(|i| input_ids.get(i.as_str()).map(|x| r(x))).collect();
                let evs = event_ids.iter().filter(|((src, _), _)| a.inputs.contains(src)).map(|(_, e)| r(e)).collect();
                (ins, evs)
            }
            "match" => (Vec::new(), foi.values().map(|x| r(x)).collect()),
            "analyze" if Some(i) == analyze_action => {
                types.push(json!("uco-analysis:Analysis"));
                (foi.values().map(|x| r(x)).collect(), results.iter().map(|x| r(x)).collect())
            }
            _ => (Vec::new(), Vec::new()),
        };
        let mut doc = json!({
            "@id": aid, "@type": types,
            "uco-core:name": a.action,
            "uco-core:description": a.command.join(" "),
            "uco-action:instrument": [r(&tool)],
        });
        if !a.started.is_empty() {
            doc["uco-action:startTime"] = time(&a.started);
        }
        if !a.finished.is_empty() {
            doc["uco-action:endTime"] = time(&a.finished);
        }
        if let Some(p) = &examiner {
            doc["uco-action:performer"] = r(p);
        }
        if !objects.is_empty() {
            doc["uco-action:object"] = Value::Array(objects);
        }
        if !outs.is_empty() {
            doc["uco-action:result"] = Value::Array(outs);
        }
        graph.push(doc);
        actions.push(aid);
    }
    let inv = id("investigation", &c.name);
    let everything: Vec<Value> = graph
        .iter()
        .filter_map(|n| n["@id"].as_str())
        .filter(|s| !s.contains("facet-") && !s.starts_with("kb:hash-"))
        .map(r)
        .collect();
    let subjects: Vec<String> = c.subjects.iter().map(|(k, v)| format!("{k}={v}")).collect();
    graph.insert(
        0,
        json!({
            "@id": inv, "@type": "case-investigation:Investigation",
            "uco-core:name": c.name,
            "uco-core:description": format!(
                "Delivery-path analysis: did the subject ({}) retrieve each file of interest, or did infrastructure deliver it without their act? Integrity root {}.",
                if subjects.is_empty() { "no subject named".to_owned() } else { subjects.join(", ") },
                c.integrity_root
            ),
            "case-investigation:investigationForm": "case",
            "uco-core:object": everything,
        }),
    );
    json!({
        "@context": {
            "kb": "http://example.org/kb/",
            "case-investigation": "https://ontology.caseontology.org/case/investigation/",
            "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
            "uco-analysis": "https://ontology.unifiedcyberontology.org/uco/analysis/",
            "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
            "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
            "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
            "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
            "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
            "waybill": NS,
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@graph": graph,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_5_layout_and_stable() {
        let u = uuid("file", "x");
        assert_eq!(u, uuid("file", "x"));
        assert_ne!(u, uuid("file", "y"));
        let parts: Vec<&str> = u.split('-').collect();
        assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12]);
        assert!(parts[2].starts_with('5'));
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"));
    }
}
