//! Scenario links: a scenario and the moment being viewed, packed into a URL fragment.
//!
//! A link body is `1.` (the link format's version tag) followed by the base64url text (no
//! padding) of the raw-deflate compressed JSON
//! `{"v":1,"scenario":<version-1 scenario>,"view":{"at_ms":..,"node":..,"diagram":..,"speed":..}}`.
//! [`encode_link`] leaves out every field that has its default value, so links stay short.
//!
//! [`decode_link`] takes untrusted text: it never panics, bounds every step (the text's length,
//! the decompressed size, then the scenario format's own limits) and says in words what is wrong.
//! The view is only a hint: a view value out of range (a moment past one day, a node that does not
//! exist, a speed outside 0.01–100) is dropped to its default and the scenario still loads.

use super::wire::{self, ActionV1, DecodeError, EntryV1, ScenarioV1, MAX_JSON_BYTES};
use super::{Scenario, MAX_TIME};
use crate::types::{NodeId, Time};
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What the reader was looking at when the link was made.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct View {
    /// The moment being viewed, in µs.
    pub at: Option<Time>,
    /// The selected node.
    pub node: Option<NodeId>,
    /// The space-time diagram is shown instead of the cluster.
    pub diagram: bool,
    /// Playback speed factor (kept to three decimals, 0.01–100).
    pub speed: Option<f64>,
}

/// The link format's version: the number before the first `.` of a link body.
pub const LINK_VERSION: u32 = 1;
/// Longest link text accepted, a whole URL included, in bytes of UTF-8 (a link body is ASCII, so
/// for a link these are characters).
pub const MAX_LINK_CHARS: usize = 64 * 1024;
/// Slowest and fastest playback a link may ask for.
pub const MIN_SPEED: f64 = 0.01;
pub const MAX_SPEED: f64 = 100.0;

/// Base64url; encodes without padding, and decodes with or without it (some tools add `=`).
const B64: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The view in the link's JSON; every field optional.
#[derive(Debug, Default, Serialize)]
struct ViewV1 {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    node: Option<u64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    diagram: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    speed: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BodyV1 {
    #[allow(dead_code)]
    v: u32,
    scenario: Value,
    #[serde(default)]
    view: Value,
}

/// The link body for `s` seen as `view`: `1.` + base64url(deflate(JSON)), without a `#`.
///
/// A scenario with thousands of schedule entries can give a link longer than
/// [`MAX_LINK_CHARS`], which [`decode_link`] refuses: check the length before offering it.
pub fn encode_link(s: &Scenario, view: &View) -> String {
    let mut body = Map::new();
    body.insert("v".into(), LINK_VERSION.into());
    body.insert("scenario".into(), compact_scenario(s));
    let v = ViewV1 {
        at_ms: view.at.map(|t| t as f64 / 1000.0),
        node: view.node.map(u64::from),
        diagram: view.diagram,
        speed: view.speed.map(quantize_speed),
    };
    let mut v = serde_json::to_value(v).unwrap_or_default();
    integral_floats_as_integers(&mut v);
    if v.as_object().is_some_and(|o| !o.is_empty()) {
        body.insert("view".into(), v);
    }
    let json = Value::Object(body).to_string();
    let packed = miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 9);
    format!("{LINK_VERSION}.{}", B64.encode(packed))
}

/// Reads a link: a whole URL (the part after its first `#`), a `#…` fragment or a bare body.
pub fn decode_link(input: &str) -> Result<(Scenario, View), DecodeError> {
    if input.len() > MAX_LINK_CHARS {
        return err(format!(
            "the link is too long: {} bytes, more than the {MAX_LINK_CHARS} accepted",
            input.len()
        ));
    }
    let text = input.trim();
    let body = match text.find('#') {
        Some(i) => text[i + 1..].trim(),
        None => text,
    };
    if body.is_empty() {
        return err("the link is empty (it carries no scenario)");
    }
    let Some((tag, data)) = body.split_once('.') else {
        return err("this is not a Replica Lab scenario link (it should start with \"1.\")");
    };
    check_version(tag)?;
    let packed = B64.decode(data).map_err(|_| {
        DecodeError("the link is truncated or corrupted (not valid base64url)".into())
    })?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_JSON_BYTES)
        .map_err(|e| match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => DecodeError(format!(
                "the link's data is too large (more than {} MiB once decompressed)",
                MAX_JSON_BYTES / (1024 * 1024)
            )),
            _ => DecodeError(
                "the link's data is corrupted (does not decompress); was it truncated?".into(),
            ),
        })?;
    let json = String::from_utf8(json)
        .map_err(|_| DecodeError("the link's data is corrupted (not text)".into()))?;
    let probe: Value = serde_json::from_str(&json).map_err(|e| {
        DecodeError(format!(
            "the link's data is corrupted (not valid JSON: {e})"
        ))
    })?;
    match probe.get("v").and_then(Value::as_u64) {
        Some(1) => {}
        Some(v) if v > LINK_VERSION as u64 => return Err(newer(&v.to_string())),
        _ => return err("the link's data has no valid version (\"v\": 1)"),
    }
    let body: BodyV1 = serde_json::from_value(probe)
        .map_err(|e| DecodeError(format!("the link's data is invalid: {e}")))?;
    let scenario = wire::decode_value(body.scenario).map_err(|e| {
        let why = e.0.strip_prefix("invalid scenario: ").unwrap_or(&e.0);
        DecodeError(format!("the link's scenario is invalid: {why}"))
    })?;
    let view = view_to_internal(&view_from_json(&body.view)?, &scenario);
    Ok((scenario, view))
}

fn err<T>(msg: impl Into<String>) -> Result<T, DecodeError> {
    Err(DecodeError(msg.into()))
}

fn newer(tag: &str) -> DecodeError {
    DecodeError(format!(
        "this link is from a newer version (v{tag}) of Replica Lab; this version reads v{LINK_VERSION} links"
    ))
}

fn check_version(tag: &str) -> Result<(), DecodeError> {
    if tag == "1" {
        return Ok(());
    }
    let digits = !tag.is_empty() && tag.len() <= 9 && tag.bytes().all(|b| b.is_ascii_digit());
    if digits && !tag.starts_with('0') {
        return Err(newer(tag));
    }
    err("this is not a Replica Lab scenario link (it should start with \"1.\")")
}

/// Playback speed kept to three decimals: what a link carries exactly.
fn quantize_speed(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

/// Reads the view's JSON; a field of the wrong type is an error (the link was tampered with).
fn view_from_json(v: &Value) -> Result<ViewV1, DecodeError> {
    let o = match v {
        Value::Null => return Ok(ViewV1::default()),
        Value::Object(o) => o,
        _ => return err("the link's view is invalid: not an object"),
    };
    if let Some(k) = o
        .keys()
        .find(|k| !["at_ms", "node", "diagram", "speed"].contains(&k.as_str()))
    {
        return err(format!("the link's view has an unknown field {k:?}"));
    }
    let field = |name: &str| o.get(name).filter(|x| !x.is_null());
    let number = |name: &str| -> Result<Option<f64>, DecodeError> {
        field(name)
            .map(|x| {
                x.as_f64().ok_or_else(|| {
                    DecodeError(format!(
                        "the link's view is invalid: {name} must be a number"
                    ))
                })
            })
            .transpose()
    };
    Ok(ViewV1 {
        at_ms: number("at_ms")?,
        node: field("node")
            .map(|x| {
                x.as_u64().ok_or_else(|| {
                    DecodeError("the link's view is invalid: node must be a node number".into())
                })
            })
            .transpose()?,
        diagram: field("diagram")
            .map(|x| {
                x.as_bool().ok_or_else(|| {
                    DecodeError("the link's view is invalid: diagram must be true or false".into())
                })
            })
            .transpose()?
            .unwrap_or(false),
        speed: number("speed")?,
    })
}

/// Values out of range are dropped: the view is a hint, the scenario is what matters.
fn view_to_internal(v: &ViewV1, s: &Scenario) -> View {
    let at = v.at_ms.and_then(|ms| {
        let us = (ms * 1000.0).round();
        (ms.is_finite() && ms >= 0.0 && us <= MAX_TIME as f64).then_some(us as Time)
    });
    let node = v
        .node
        .filter(|n| *n < u64::from(s.max_nodes()))
        .map(|n| n as NodeId);
    let speed = v
        .speed
        .filter(|x| x.is_finite())
        .map(quantize_speed)
        .filter(|x| (MIN_SPEED..=MAX_SPEED).contains(x));
    View {
        at,
        node,
        diagram: v.diagram,
        speed,
    }
}

/// The scenario as version-1 JSON without the fields that have their default value, and with
/// whole numbers written without `.0`. Falls back to the full form should pruning ever change
/// what the scenario means (checked by decoding it).
fn compact_scenario(s: &Scenario) -> Value {
    let wire = ScenarioV1::from_scenario(s);
    let mut full = serde_json::to_value(&wire).unwrap_or_default();
    integral_floats_as_integers(&mut full);
    let mut v = full.clone();
    let Some(obj) = v.as_object_mut() else {
        return full;
    };
    // The schedule is pruned entry by entry; the rest is judged without it (cheaper).
    let schedule = obj.remove("schedule");
    let decodes_same = |candidate: &Map<String, Value>| {
        let mut c = candidate.clone();
        if let Some(sch) = &schedule {
            c.insert("schedule".into(), sch.clone());
        }
        wire::decode_value(Value::Object(c)).is_ok_and(|d| d == *s)
    };
    // Nested objects first (their defaults are filled in field by field), then whole fields.
    for nested in ["strategy", "network", "workload"] {
        let Some(Value::Object(inner)) = obj.get(nested).cloned() else {
            continue;
        };
        for key in inner.keys().filter(|k| *k != "kind") {
            let mut trial = obj.clone();
            if let Some(Value::Object(o)) = trial.get_mut(nested) {
                o.remove(key);
            }
            if decodes_same(&trial) {
                *obj = trial;
            }
        }
    }
    // Per-node clocks: `drift_ppm` (or `skew_ms`) of 0 is the default.
    let clocks = obj
        .get("clocks")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    for i in 0..clocks {
        for key in ["skew_ms", "drift_ppm"] {
            let mut trial = obj.clone();
            if let Some(Value::Object(c)) = trial.get_mut("clocks").and_then(|c| c.get_mut(i)) {
                c.remove(key);
            }
            if decodes_same(&trial) {
                *obj = trial;
            }
        }
    }
    let keys: Vec<String> = obj.keys().filter(|k| *k != "version").cloned().collect();
    for key in keys {
        let mut trial = obj.clone();
        trial.remove(&key);
        if decodes_same(&trial) {
            *obj = trial;
        }
    }
    if let Some(Value::Array(entries)) = schedule {
        let max_nodes = s.max_nodes();
        let pruned: Vec<Value> = entries
            .into_iter()
            .zip(&s.schedule)
            .map(|(e, orig)| prune_entry(e, &orig.action, max_nodes, s))
            .collect();
        obj.insert("schedule".into(), Value::Array(pruned));
    }
    if wire::decode_value(v.clone()).is_ok_and(|d| d == *s) {
        v
    } else {
        full
    }
}

/// Drops each field of a schedule entry whose absence decodes to the same action.
fn prune_entry(mut e: Value, orig: &super::Action, max_nodes: u16, s: &Scenario) -> Value {
    let Some(obj) = e.as_object_mut() else {
        return e;
    };
    let keys: Vec<String> = obj
        .keys()
        .filter(|k| *k != "do" && *k != "at_ms")
        .cloned()
        .collect();
    for key in keys {
        let mut trial = obj.clone();
        trial.remove(&key);
        let same = serde_json::from_value::<EntryV1>(Value::Object(trial.clone()))
            .ok()
            .and_then(|en: EntryV1| {
                let a: ActionV1 = en.action;
                a.to_internal("", max_nodes, s.config.clients, &s.config.strategy)
                    .ok()
            })
            .is_some_and(|a| a == *orig);
        if same {
            *obj = trial;
        }
    }
    e
}

/// `40.0` becomes `40`: shorter, and read back as the same number.
fn integral_floats_as_integers(v: &mut Value) {
    match v {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    *v = Value::from(f as i64);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(integral_floats_as_integers),
        Value::Object(o) => o.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scenario_round_trips_and_is_short() {
        let s = Scenario::default();
        let view = View {
            at: Some(1_500_000),
            node: Some(2),
            diagram: true,
            speed: Some(0.5),
        };
        let link = encode_link(&s, &view);
        assert!(link.starts_with("1."), "{link}");
        assert!(link.len() < 200, "{link}");
        assert_eq!(decode_link(&link), Ok((s.clone(), view.clone())));
        let url = format!("  https://example.org/replica/#{link}\n");
        assert_eq!(decode_link(&url), Ok((s, view)));
    }

    #[test]
    fn links_leave_out_defaults() {
        let s = Scenario::default();
        let json = compact_scenario(&s).to_string();
        // The default strategy and network, seed 1, 3 nodes, 2 clients: none of it is written.
        for absent in [
            "strategy",
            "network",
            "seed",
            "nodes",
            "clients",
            "op_timeout_ms",
        ] {
            assert!(!json.contains(absent), "{absent} in {json}");
        }
        assert!(json.contains("\"write_every_ms\":600"), "{json}");
        let empty = View::default();
        let link = encode_link(&s, &empty);
        let body = B64.decode(&link[2..]).unwrap();
        let text = miniz_oxide::inflate::decompress_to_vec(&body).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(!text.contains("view"), "{text}");
    }
}
