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

use super::wire::{self, DecodeError, ScenarioV1, StrategyV1, MAX_JSON_BYTES};
use super::{Scenario, MAX_TIME};
use crate::types::{NodeId, Time};
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

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
struct BodyV1<'a> {
    #[allow(dead_code)]
    v: u32,
    /// Kept as text: the scenario is decoded as a scenario file is, version first.
    #[serde(borrow)]
    scenario: &'a RawValue,
    #[serde(default)]
    view: LooseView,
}

/// The view's JSON as read, before its fields are checked (absent or `null`: no fields).
/// Reading it never fails, so that a view of the wrong shape gets the view's own messages.
enum LooseView {
    /// In the order given; a key given twice counts with its last value, as in a JSON object.
    Fields(Vec<(String, Scalar)>),
    NotAnObject,
}

impl Default for LooseView {
    fn default() -> Self {
        LooseView::Fields(Vec::new())
    }
}

/// A JSON value as far as a view field cares.
enum Scalar {
    Null,
    Bool(bool),
    /// A number, and the number as a whole number ≥ 0 when it is one.
    Number(f64, Option<u64>),
    Other,
}

impl Scalar {
    fn number(&self) -> Option<f64> {
        match self {
            Scalar::Number(f, _) => Some(*f),
            _ => None,
        }
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_unit<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(b))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Scalar, E> {
        Ok(Scalar::Number(n as f64, Some(n)))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Scalar, E> {
        Ok(Scalar::Number(n as f64, u64::try_from(n).ok()))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Scalar, E> {
        Ok(Scalar::Number(n, None))
    }
    fn visit_str<E>(self, _: &str) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, s: A) -> Result<Scalar, A::Error> {
        IgnoredAny.visit_seq(s).map(|_| Scalar::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Scalar, A::Error> {
        IgnoredAny.visit_map(m).map(|_| Scalar::Other)
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

impl<'de> Deserialize<'de> for LooseView {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LooseView;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<LooseView, A::Error> {
                let mut o = Vec::new();
                while let Some(kv) = m.next_entry::<String, Scalar>()? {
                    o.push(kv);
                }
                Ok(LooseView::Fields(o))
            }
            fn visit_unit<E>(self) -> Result<LooseView, E> {
                Ok(LooseView::default())
            }
            fn visit_bool<E>(self, _: bool) -> Result<LooseView, E> {
                Ok(LooseView::NotAnObject)
            }
            fn visit_u64<E>(self, _: u64) -> Result<LooseView, E> {
                Ok(LooseView::NotAnObject)
            }
            fn visit_i64<E>(self, _: i64) -> Result<LooseView, E> {
                Ok(LooseView::NotAnObject)
            }
            fn visit_f64<E>(self, _: f64) -> Result<LooseView, E> {
                Ok(LooseView::NotAnObject)
            }
            fn visit_str<E>(self, _: &str) -> Result<LooseView, E> {
                Ok(LooseView::NotAnObject)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, s: A) -> Result<LooseView, A::Error> {
                IgnoredAny.visit_seq(s).map(|_| LooseView::NotAnObject)
            }
        }
        d.deserialize_any(V)
    }
}

/// What [`encode_link`] writes.
#[derive(Serialize)]
struct LinkBody<'a> {
    v: u32,
    scenario: &'a ScenarioV1,
    #[serde(skip_serializing_if = "Option::is_none")]
    view: Option<ViewV1>,
}

/// The link body for `s` seen as `view`: `1.` + base64url(deflate(JSON)), without a `#`.
///
/// A scenario with thousands of schedule entries can give a link longer than
/// [`MAX_LINK_CHARS`], which [`decode_link`] refuses: check the length before offering it.
pub fn encode_link(s: &Scenario, view: &View) -> String {
    let v = ViewV1 {
        at_ms: view.at.map(|t| t as f64 / 1000.0),
        node: view.node.map(u64::from),
        diagram: view.diagram,
        speed: view.speed.map(quantize_speed),
    };
    let body = LinkBody {
        v: LINK_VERSION,
        scenario: &compact_wire(s),
        view: (v.at_ms.is_some() || v.node.is_some() || v.diagram || v.speed.is_some())
            .then_some(v),
    };
    let mut json = wire::encode_one_line(&body, true);
    // Leaving out defaults never changes what a link means; should it ever, every field goes in.
    if !decode_json(&json).is_ok_and(|(d, _)| d == *s) {
        json = wire::encode_one_line(&body, false);
    }
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
    decode_json(&json)
}

/// Reads a link's JSON, once decompressed.
fn decode_json(json: &str) -> Result<(Scenario, View), DecodeError> {
    let version = wire::probe_number(json, "v").map_err(|e| {
        DecodeError(format!(
            "the link's data is corrupted (not valid JSON: {e})"
        ))
    })?;
    match version {
        Some(1) => {}
        Some(v) if v > LINK_VERSION as u64 => return Err(newer(&v.to_string())),
        _ => return err("the link's data has no valid version (\"v\": 1)"),
    }
    let body: BodyV1 = serde_json::from_str(json).map_err(|e| {
        DecodeError(format!(
            "the link's data is invalid: {}",
            wire::without_position(&e)
        ))
    })?;
    let scenario_json = body.scenario.get();
    let scenario = wire::probe_number(scenario_json, "version")
        .map_err(|e| DecodeError(format!("not valid JSON: {e}")))
        .and_then(|version| wire::decode_checked(scenario_json, version))
        .map_err(|e| {
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
fn view_from_json(v: &LooseView) -> Result<ViewV1, DecodeError> {
    let LooseView::Fields(o) = v else {
        return err("the link's view is invalid: not an object");
    };
    // Of several unknown fields, the first in sorted order is named (as a JSON object read into
    // a sorted map would give).
    if let Some(k) = o
        .iter()
        .map(|(k, _)| k)
        .filter(|k| !["at_ms", "node", "diagram", "speed"].contains(&k.as_str()))
        .min()
    {
        return err(format!("the link's view has an unknown field {k:?}"));
    }
    let field = |name: &str| {
        o.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, x)| x)
            .filter(|x| !matches!(x, Scalar::Null))
    };
    let number = |name: &str| -> Result<Option<f64>, DecodeError> {
        field(name)
            .map(|x| {
                x.number().ok_or_else(|| {
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
            .map(|x| match x {
                Scalar::Number(_, Some(n)) => Ok(*n),
                _ => err("the link's view is invalid: node must be a node number"),
            })
            .transpose()?,
        diagram: field("diagram")
            .map(|x| match x {
                Scalar::Bool(b) => Ok(*b),
                _ => err("the link's view is invalid: diagram must be true or false"),
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

/// The scenario in the wire format, for the compact form: a multi-leader cluster's size follows
/// from its regions, so its `nodes` is given the default value (which the compact form leaves
/// out).
fn compact_wire(s: &Scenario) -> ScenarioV1 {
    let mut wire = ScenarioV1::from_scenario(s);
    if matches!(wire.strategy, StrategyV1::MultiLeader { .. }) {
        let mut trial = wire.clone();
        trial.nodes = 3;
        if trial.to_scenario().is_ok_and(|d| d == *s) {
            wire = trial;
        }
    }
    wire
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
    fn view_fields_read_as_a_json_object_would() {
        let body = |view: &str| format!(r#"{{"v":1,"scenario":{{"version":1}},"view":{view}}}"#);
        let e = decode_json(&body(r#"{"zz":1,"node":1,"aa":2}"#)).unwrap_err();
        assert_eq!(e.0, "the link's view has an unknown field \"aa\"");
        let (_, v) = decode_json(&body(r#"{"node":"x","node":1,"diagram":true}"#)).unwrap();
        assert_eq!((v.node, v.diagram), (Some(1), true));
        let (_, v) = decode_json(&body("null")).unwrap();
        assert_eq!(v, View::default());
        let e = decode_json(&body("[1]")).unwrap_err();
        assert_eq!(e.0, "the link's view is invalid: not an object");
    }

    #[test]
    fn links_leave_out_defaults() {
        let s = Scenario::default();
        let json = wire::encode_one_line(&compact_wire(&s), true);
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
