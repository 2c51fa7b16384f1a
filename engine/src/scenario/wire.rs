//! The scenario wire format, version 1: the JSON that files, the CLI and links carry.
//!
//! These types are separate from the engine's internal [`Scenario`] so that the engine can change
//! while every scenario ever written keeps loading. Times are in milliseconds (fractions allowed),
//! probabilities are fractions in `0..=1`. `docs/scenario-format.md` documents every field.
//!
//! Decoding untrusted input never panics: [`decode`] returns an error a person can act on, and
//! limits sizes so a hostile scenario cannot exhaust the tab.

use super::*;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Unexpected, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::cell::Cell;

pub const VERSION: u32 = 1;
/// Largest JSON text accepted.
pub const MAX_JSON_BYTES: usize = 2 * 1024 * 1024;

thread_local! {
    /// Set while [`encode_one_line`] writes: fields with their default value are left out.
    static COMPACT: Cell<bool> = const { Cell::new(false) };
}

/// The `skip_serializing_if` tests: a field is left out only in the compact form, and only when
/// it holds the value it would be read back as when absent.
fn compact_and(at_default: bool) -> bool {
    at_default && COMPACT.with(Cell::get)
}
fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    compact_and(*v == T::default())
}
fn is_seed(v: &u64) -> bool {
    compact_and(*v == default_seed())
}
fn is_one(v: &u16) -> bool {
    compact_and(*v == 1)
}
fn is_two(v: &u16) -> bool {
    compact_and(*v == 2)
}
fn is_three(v: &u16) -> bool {
    compact_and(*v == 3)
}
fn is_8(v: &u16) -> bool {
    compact_and(*v == 8)
}
fn is_true(v: &bool) -> bool {
    compact_and(*v)
}
fn is_nearest(v: &ReadFromV1) -> bool {
    compact_and(matches!(
        v,
        ReadFromV1::Named(ReadTargetV1::Nearest) | ReadFromV1::Default
    ))
}
macro_rules! is_ms {
    ($($name:ident = $ms:expr;)*) => {
        $(fn $name(v: &f64) -> bool {
            compact_and(*v == $ms)
        })*
    };
}
is_ms! {
    is_5 = 5.0;
    is_10 = 10.0;
    is_40 = 40.0;
    is_50 = 50.0;
    is_100 = 100.0;
    is_150 = 150.0;
    is_250 = 250.0;
    is_300 = 300.0;
    is_1000 = 1000.0;
}

/// `wire` as one line of JSON with whole numbers written without `.0` and, if
/// `leave_out_defaults`, without the fields that have their default value: the short form a link
/// carries. Reads back as `wire` does.
pub fn encode_one_line(wire: &impl Serialize, leave_out_defaults: bool) -> String {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            COMPACT.with(|c| c.set(false));
        }
    }
    COMPACT.with(|c| c.set(leave_out_defaults));
    let _reset = Reset;
    let json = serde_json::to_string(wire).unwrap_or_default();
    whole_numbers_without_fraction(&json)
}

/// `40.0` becomes `40` (outside strings): shorter, and read back as the same number.
fn whole_numbers_without_fraction(json: &str) -> String {
    let b = json.as_bytes();
    let mut out = String::with_capacity(json.len());
    let (mut in_str, mut escaped, mut from) = (false, false, 0);
    for (i, &c) in b.iter().enumerate() {
        if in_str {
            match c {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_str = false,
                _ => {}
            }
        } else if c == b'"' {
            in_str = true;
        } else if c == b'.'
            && b.get(i + 1) == Some(&b'0')
            && !b
                .get(i + 2)
                .is_some_and(|d| d.is_ascii_digit() || *d == b'e' || *d == b'E')
        {
            out.push_str(&json[from..i]);
            from = i + 2;
        }
    }
    out.push_str(&json[from..]);
    out
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioV1 {
    pub version: u32,
    #[serde(default = "default_seed", skip_serializing_if = "is_seed")]
    pub seed: u64,
    #[serde(default = "default_nodes", skip_serializing_if = "is_three")]
    pub nodes: u16,
    #[serde(default = "default_clients", skip_serializing_if = "is_two")]
    pub clients: u16,
    #[serde(
        default,
        skip_serializing_if = "is_default",
        deserialize_with = "in_strategy"
    )]
    pub strategy: StrategyV1,
    #[serde(
        default,
        skip_serializing_if = "is_default",
        deserialize_with = "in_network"
    )]
    pub network: NetworkV1,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "in_clocks"
    )]
    pub clocks: Vec<ClockV1>,
    #[serde(default = "default_timeout", skip_serializing_if = "is_1000")]
    pub op_timeout_ms: f64,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "in_workload"
    )]
    pub workload: Option<WorkloadV1>,
    /// How long a headless run lasts (default: 3 s after the last scheduled action).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "in_schedule"
    )]
    pub schedule: Vec<EntryV1>,
}

/// The place in a scenario a nested error comes from, put in front of serde's message:
/// `schedule[3]: unknown field …`, `network.links[0]: missing field …`. serde names the field but
/// not where it is, and a scenario has many objects with a `node` or a `from`.
fn at_place(place: &str, e: impl std::fmt::Display) -> String {
    let msg = e.to_string();
    let msg = strip_position(&msg);
    match msg.split_once(": ") {
        // An inner place joins this one: `[3]` inside `schedule` is `schedule[3]`, `links[0]`
        // inside `network` is `network.links[0]`.
        Some((inner, rest)) if is_place(inner) => {
            let dot = if inner.starts_with('[') { "" } else { "." };
            format!("{place}{dot}{inner}: {rest}")
        }
        _ => format!("{place}: {msg}"),
    }
}

/// Whether `s` is a place as [`at_place`] writes it (`links[0]`, `[3]`, `a.b`): serde's own
/// messages begin with words separated by spaces (`invalid type: …`), never like this.
fn is_place(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'))
}

/// `msg` without serde_json's trailing ` at line L column C`, which an inner error carries and
/// which would otherwise end up in the middle of the outer message.
fn strip_position(msg: &str) -> &str {
    if let Some(i) = msg.rfind(" at line ") {
        let tail = &msg[i + " at line ".len()..];
        if let Some((line, col)) = tail.split_once(" column ") {
            let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
            if digits(line) && digits(col) {
                return &msg[..i];
            }
        }
    }
    msg
}

/// A value read with its place in front of any error (see [`at_place`]).
fn placed<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
    place: &str,
) -> Result<T, D::Error> {
    T::deserialize(d).map_err(|e| de::Error::custom(at_place(place, e)))
}

/// A list whose element errors name the element: `[3]: …`.
struct Indexed<T>(Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Indexed<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Indexed<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Indexed<T>, A::Error> {
                let mut v = Vec::new();
                loop {
                    match s.next_element::<T>() {
                        Ok(Some(x)) => v.push(x),
                        Ok(None) => return Ok(Indexed(v)),
                        Err(e) => {
                            return Err(de::Error::custom(at_place(&format!("[{}]", v.len()), e)))
                        }
                    }
                }
            }
        }
        d.deserialize_seq(V(std::marker::PhantomData))
    }
}

fn in_strategy<'de, D: Deserializer<'de>>(d: D) -> Result<StrategyV1, D::Error> {
    placed(d, "strategy")
}
fn in_network<'de, D: Deserializer<'de>>(d: D) -> Result<NetworkV1, D::Error> {
    placed(d, "network")
}
fn in_links<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<LinkV1>, D::Error> {
    placed(d, "links").map(|Indexed(v)| v)
}
fn in_clocks<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ClockV1>, D::Error> {
    placed(d, "clocks").map(|Indexed(v)| v)
}
fn in_workload<'de, D: Deserializer<'de>>(d: D) -> Result<Option<WorkloadV1>, D::Error> {
    placed(d, "workload")
}
fn in_schedule<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<EntryV1>, D::Error> {
    placed(d, "schedule").map(|Indexed(v)| v)
}

fn default_seed() -> u64 {
    1
}
fn default_nodes() -> u16 {
    3
}
fn default_clients() -> u16 {
    2
}
fn default_timeout() -> f64 {
    1000.0
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum StrategyV1 {
    SingleLeader {
        #[serde(default, skip_serializing_if = "is_default")]
        mode: ModeV1,
        /// Followers to wait for in semi-sync mode.
        #[serde(default = "one", skip_serializing_if = "is_one")]
        k: u16,
        #[serde(default = "yes", skip_serializing_if = "is_true")]
        fencing: bool,
        #[serde(default = "hb", skip_serializing_if = "is_50")]
        heartbeat_ms: f64,
        #[serde(default = "et", skip_serializing_if = "is_300")]
        election_timeout_ms: f64,
        #[serde(default = "sft", skip_serializing_if = "is_150")]
        sync_failure_timeout_ms: f64,
    },
    /// `nodes` is ignored: a multi-leader cluster has `regions × (1 + followers)` nodes.
    MultiLeader {
        #[serde(default = "three", skip_serializing_if = "is_three")]
        regions: u16,
        #[serde(default, skip_serializing_if = "is_default")]
        followers: u16,
        #[serde(default, skip_serializing_if = "is_default")]
        topology: TopologyV1,
        #[serde(default, skip_serializing_if = "is_default")]
        resolution: ResolutionV1,
        #[serde(default, skip_serializing_if = "is_default")]
        local_mode: ModeV1,
        #[serde(default = "one", skip_serializing_if = "is_one")]
        k: u16,
        #[serde(default, skip_serializing_if = "is_default")]
        cross_sync: bool,
        #[serde(default = "local_lat", skip_serializing_if = "is_5")]
        local_latency_ms: f64,
        #[serde(default = "resend", skip_serializing_if = "is_100")]
        resend_ms: f64,
    },
    Leaderless {
        #[serde(default = "three", skip_serializing_if = "is_three")]
        n: u16,
        #[serde(default = "two", skip_serializing_if = "is_two")]
        w: u16,
        #[serde(default = "two", skip_serializing_if = "is_two")]
        r: u16,
        #[serde(default = "eight", skip_serializing_if = "is_8")]
        vnodes: u16,
        #[serde(default, skip_serializing_if = "is_default")]
        sloppy: bool,
        #[serde(default = "yes", skip_serializing_if = "is_true")]
        read_repair: bool,
        /// Anti-entropy interval in ms; 0 turns it off.
        #[serde(default, skip_serializing_if = "is_default")]
        anti_entropy_ms: f64,
        #[serde(default, skip_serializing_if = "is_default")]
        resolution: ResolutionV1,
        #[serde(default = "yes", skip_serializing_if = "is_true")]
        read_all: bool,
        #[serde(default = "sloppy_after", skip_serializing_if = "is_150")]
        sloppy_after_ms: f64,
        #[serde(default = "handoff", skip_serializing_if = "is_250")]
        handoff_every_ms: f64,
    },
}

fn two() -> u16 {
    2
}
fn eight() -> u16 {
    8
}
fn local_lat() -> f64 {
    5.0
}
fn resend() -> f64 {
    100.0
}
fn sloppy_after() -> f64 {
    150.0
}
fn handoff() -> f64 {
    250.0
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TopologyV1 {
    #[default]
    AllToAll,
    Circular,
    Star,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResolutionV1 {
    #[default]
    LastWriteWins,
    HighestReplica,
    Siblings,
    Union,
}

impl ResolutionV1 {
    fn to_internal(self) -> Resolution {
        match self {
            ResolutionV1::LastWriteWins => Resolution::LastWriteWins,
            ResolutionV1::HighestReplica => Resolution::HighestReplica,
            ResolutionV1::Siblings => Resolution::Siblings,
            ResolutionV1::Union => Resolution::Union,
        }
    }
    fn from_internal(r: Resolution) -> Self {
        match r {
            Resolution::LastWriteWins => ResolutionV1::LastWriteWins,
            Resolution::HighestReplica => ResolutionV1::HighestReplica,
            Resolution::Siblings => ResolutionV1::Siblings,
            Resolution::Union => ResolutionV1::Union,
        }
    }
}

fn one() -> u16 {
    1
}
fn yes() -> bool {
    true
}
fn hb() -> f64 {
    50.0
}
fn et() -> f64 {
    300.0
}
fn sft() -> f64 {
    150.0
}

impl Default for StrategyV1 {
    fn default() -> Self {
        StrategyV1::SingleLeader {
            mode: ModeV1::Async,
            k: 1,
            fencing: true,
            heartbeat_ms: hb(),
            election_timeout_ms: et(),
            sync_failure_timeout_ms: sft(),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModeV1 {
    Sync,
    SemiSync,
    #[default]
    Async,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkV1 {
    #[serde(default = "lat", skip_serializing_if = "is_40")]
    pub latency_ms: f64,
    #[serde(default = "jit", skip_serializing_if = "is_10")]
    pub jitter_ms: f64,
    #[serde(default, skip_serializing_if = "is_default")]
    pub loss: f64,
    #[serde(default, skip_serializing_if = "is_default")]
    pub duplicate: f64,
    #[serde(default = "clat", skip_serializing_if = "is_5")]
    pub client_latency_ms: f64,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "in_links"
    )]
    pub links: Vec<LinkV1>,
}

fn lat() -> f64 {
    40.0
}
fn jit() -> f64 {
    10.0
}
fn clat() -> f64 {
    5.0
}

impl Default for NetworkV1 {
    fn default() -> Self {
        NetworkV1 {
            latency_ms: lat(),
            jitter_ms: jit(),
            loss: 0.0,
            duplicate: 0.0,
            client_latency_ms: clat(),
            links: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkV1 {
    pub from: u16,
    pub to: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockV1 {
    pub node: u16,
    #[serde(default, skip_serializing_if = "is_default")]
    pub skew_ms: f64,
    #[serde(default, skip_serializing_if = "is_default")]
    pub drift_ppm: i32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadV1 {
    #[serde(default, skip_serializing_if = "is_default")]
    pub write_every_ms: f64,
    #[serde(default, skip_serializing_if = "is_default")]
    pub read_every_ms: f64,
    #[serde(default = "three", skip_serializing_if = "is_three")]
    pub keys: u16,
    #[serde(default, skip_serializing_if = "is_nearest")]
    pub read_from: ReadFromV1,
}

fn three() -> u16 {
    3
}

/// `"leader"`, `"nearest"` or a node number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ReadFromV1 {
    Node(u16),
    Named(ReadTargetV1),
    #[default]
    #[serde(skip)]
    Default,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadTargetV1 {
    Leader,
    Nearest,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EntryV1 {
    pub at_ms: f64,
    #[serde(flatten)]
    pub action: ActionV1,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "kebab-case")]
pub enum ActionV1 {
    Write {
        #[serde(default, skip_serializing_if = "is_default")]
        client: u16,
        key: String,
        value: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<u16>,
    },
    Read {
        #[serde(default, skip_serializing_if = "is_default")]
        client: u16,
        key: String,
        #[serde(default, skip_serializing_if = "is_nearest")]
        from: ReadFromV1,
    },
    Crash {
        node: u16,
    },
    Restart {
        node: u16,
    },
    Cut {
        from: u16,
        to: u16,
        #[serde(default = "yes", skip_serializing_if = "is_true")]
        both: bool,
    },
    Heal {
        from: u16,
        to: u16,
        #[serde(default = "yes", skip_serializing_if = "is_true")]
        both: bool,
    },
    Partition {
        groups: Vec<Vec<u16>>,
    },
    HealAll,
    SetLatency {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<u16>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<u16>,
        latency_ms: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        jitter_ms: Option<f64>,
    },
    SetLoss {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<u16>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<u16>,
        loss: f64,
    },
    SetDuplicate {
        duplicate: f64,
    },
    SetClock {
        node: u16,
        #[serde(default, skip_serializing_if = "is_default")]
        skew_ms: f64,
        #[serde(default, skip_serializing_if = "is_default")]
        drift_ppm: i32,
    },
    SetMode {
        mode: ModeV1,
        #[serde(default = "one", skip_serializing_if = "is_one")]
        k: u16,
    },
    SetQuorum {
        w: u16,
        r: u16,
    },
    AddNode,
    Workload {
        #[serde(flatten)]
        workload: WorkloadV1,
    },
    StopWorkload,
    Caption {
        text: String,
    },
}

/// A schedule entry is read by hand rather than by serde's `flatten` and internally tagged enum
/// support, which buffer every entry through generic code several times over and made up a
/// large part of the page's WebAssembly. Behaviour, messages included, is serde's own for
/// `struct { at_ms: f64, #[serde(flatten)] action: ActionV1 }` (a test compares the two): fields
/// are checked in the order given, a field given twice is an error. Unlike serde's (which cannot
/// deny unknown fields through `flatten`), a field the action does not take is an error: a typo
/// such as `"form"` for `"from"` would otherwise silently run a different action.
impl<'de> Deserialize<'de> for EntryV1 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EntryV1;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("struct EntryV1")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<EntryV1, A::Error> {
                let mut at_ms = None;
                let mut rest = Vec::new();
                while let Some(k) = m.next_key::<String>()? {
                    if k == "at_ms" {
                        if at_ms.is_some() {
                            return Err(de::Error::duplicate_field("at_ms"));
                        }
                        at_ms = Some(m.next_value::<f64>()?);
                    } else {
                        rest.push((k, m.next_value::<Lit>()?));
                    }
                }
                let at_ms = at_ms.ok_or_else(|| de::Error::missing_field("at_ms"))?;
                let action = action_from_fields(&rest).map_err(de::Error::custom)?;
                Ok(EntryV1 { at_ms, action })
            }
        }
        d.deserialize_map(V)
    }
}

/// A JSON value held while a schedule entry's `do` is looked for.
enum Lit {
    Null,
    Bool(bool),
    U(u64),
    I(i64),
    F(f64),
    Str(String),
    Seq(Vec<Lit>),
    Map(Vec<(String, Lit)>),
}

impl<'de> Deserialize<'de> for Lit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Lit;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any value")
            }
            fn visit_unit<E>(self) -> Result<Lit, E> {
                Ok(Lit::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Lit, E> {
                Ok(Lit::Bool(b))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Lit, E> {
                Ok(Lit::U(n))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Lit, E> {
                Ok(Lit::I(n))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Lit, E> {
                Ok(Lit::F(n))
            }
            fn visit_str<E>(self, s: &str) -> Result<Lit, E> {
                Ok(Lit::Str(s.to_owned()))
            }
            fn visit_string<E>(self, s: String) -> Result<Lit, E> {
                Ok(Lit::Str(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Lit, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = s.next_element()? {
                    v.push(x);
                }
                Ok(Lit::Seq(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Lit, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = m.next_entry()? {
                    v.push(x);
                }
                Ok(Lit::Map(v))
            }
        }
        d.deserialize_any(V)
    }
}

type LitError = serde_json::Error;

/// What a field holds, for [`fields`].
#[derive(Clone, Copy)]
enum Kind {
    U16,
    I32,
    F64,
    Bool,
    Str,
    OptU16,
    OptF64,
    Groups,
    Mode,
    ReadFrom,
}

impl Lit {
    fn unexpected(&self) -> Unexpected<'_> {
        match self {
            Lit::Null => Unexpected::Unit,
            Lit::Bool(b) => Unexpected::Bool(*b),
            Lit::U(n) => Unexpected::Unsigned(*n),
            Lit::I(n) => Unexpected::Signed(*n),
            Lit::F(f) => Unexpected::Float(*f),
            Lit::Str(s) => Unexpected::Str(s),
            Lit::Seq(_) => Unexpected::Seq,
            Lit::Map(_) => Unexpected::Map,
        }
    }
    fn wrong<T>(&self, expected: &str) -> Result<T, LitError> {
        Err(de::Error::invalid_type(self.unexpected(), &expected))
    }
    fn u16(&self) -> Result<u16, LitError> {
        match *self {
            Lit::U(n) => u16::try_from(n)
                .map_err(|_| de::Error::invalid_value(Unexpected::Unsigned(n), &"u16")),
            Lit::I(n) => u16::try_from(n)
                .map_err(|_| de::Error::invalid_value(Unexpected::Signed(n), &"u16")),
            _ => self.wrong("u16"),
        }
    }
    fn i32(&self) -> Result<i32, LitError> {
        match *self {
            Lit::U(n) => i32::try_from(n)
                .map_err(|_| de::Error::invalid_value(Unexpected::Unsigned(n), &"i32")),
            Lit::I(n) => i32::try_from(n)
                .map_err(|_| de::Error::invalid_value(Unexpected::Signed(n), &"i32")),
            _ => self.wrong("i32"),
        }
    }
    fn f64(&self) -> Result<f64, LitError> {
        match *self {
            Lit::U(n) => Ok(n as f64),
            Lit::I(n) => Ok(n as f64),
            Lit::F(f) => Ok(f),
            _ => self.wrong("f64"),
        }
    }
    fn bool(&self) -> Result<bool, LitError> {
        match *self {
            Lit::Bool(b) => Ok(b),
            _ => self.wrong("a boolean"),
        }
    }
    fn string(&self) -> Result<String, LitError> {
        match self {
            Lit::Str(s) => Ok(s.clone()),
            _ => self.wrong("a string"),
        }
    }
    fn opt<T>(&self, f: impl Fn(&Lit) -> Result<T, LitError>) -> Result<Option<T>, LitError> {
        match self {
            Lit::Null => Ok(None),
            x => f(x).map(Some),
        }
    }
    fn seq<T>(&self, f: impl Fn(&Lit) -> Result<T, LitError>) -> Result<Vec<T>, LitError> {
        match self {
            Lit::Seq(v) => v.iter().map(f).collect(),
            _ => self.wrong("a sequence"),
        }
    }
    fn groups(&self) -> Result<Vec<Vec<u16>>, LitError> {
        self.seq(|g| g.seq(Lit::u16))
    }
    /// A unit variant of an externally tagged enum: `"name"` or `{"name": null}`.
    fn unit_variant(&self, names: &'static [&'static str]) -> Result<usize, LitError> {
        let (name, value) = match self {
            Lit::Str(s) => (s, None),
            Lit::Map(m) if m.len() == 1 => (&m[0].0, Some(&m[0].1)),
            Lit::Map(_) => {
                return Err(de::Error::invalid_value(
                    Unexpected::Map,
                    &"map with a single key",
                ))
            }
            _ => return self.wrong("string or map"),
        };
        let i = names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| de::Error::unknown_variant(name, names))?;
        match value {
            None | Some(Lit::Null) => Ok(i),
            Some(v) => v.wrong("unit"),
        }
    }
    fn mode(&self) -> Result<ModeV1, LitError> {
        Ok(match self.unit_variant(&["sync", "semi-sync", "async"])? {
            0 => ModeV1::Sync,
            1 => ModeV1::SemiSync,
            _ => ModeV1::Async,
        })
    }
    /// `ReadFromV1` is untagged: a node number, else `"leader"` or `"nearest"`.
    fn read_from(&self) -> Result<ReadFromV1, LitError> {
        if let Ok(n) = self.u16() {
            return Ok(ReadFromV1::Node(n));
        }
        match self.unit_variant(&["leader", "nearest"]) {
            Ok(0) => Ok(ReadFromV1::Named(ReadTargetV1::Leader)),
            Ok(_) => Ok(ReadFromV1::Named(ReadTargetV1::Nearest)),
            Err(_) => Err(de::Error::custom(
                "data did not match any variant of untagged enum ReadFromV1",
            )),
        }
    }
    fn check(&self, kind: Kind) -> Result<(), LitError> {
        match kind {
            Kind::U16 => self.u16().map(drop),
            Kind::I32 => self.i32().map(drop),
            Kind::F64 => self.f64().map(drop),
            Kind::Bool => self.bool().map(drop),
            Kind::Str => self.string().map(drop),
            Kind::OptU16 => self.opt(Lit::u16).map(drop),
            Kind::OptF64 => self.opt(Lit::f64).map(drop),
            Kind::Groups => self.groups().map(drop),
            Kind::Mode => self.mode().map(drop),
            Kind::ReadFrom => self.read_from().map(drop),
        }
    }
}

/// The names `do` takes, in `ActionV1`'s order.
const ACTIONS: &[&str] = &[
    "write",
    "read",
    "crash",
    "restart",
    "cut",
    "heal",
    "partition",
    "heal-all",
    "set-latency",
    "set-loss",
    "set-duplicate",
    "set-clock",
    "set-mode",
    "set-quorum",
    "add-node",
    "workload",
    "stop-workload",
    "caption",
];

/// The fields each action takes besides `do` (and, in a schedule entry, `at_ms`), in
/// [`ACTIONS`]' order. The page's reader of `apply()` actions checks against the same lists.
const ACTION_FIELDS: [&[&str]; 18] = [
    &["client", "key", "value", "node"],
    &["client", "key", "from"],
    &["node"],
    &["node"],
    &["from", "to", "both"],
    &["from", "to", "both"],
    &["groups"],
    &[],
    &["from", "to", "latency_ms", "jitter_ms"],
    &["from", "to", "loss"],
    &["duplicate"],
    &["node", "skew_ms", "drift_ppm"],
    &["mode", "k"],
    &["w", "r"],
    &[],
    &["write_every_ms", "read_every_ms", "keys", "read_from"],
    &[],
    &["text"],
];

/// The fields the action `name` (a `do` value) takes besides `do`, or `None` if there is no such
/// action.
pub fn action_fields(name: &str) -> Option<&'static [&'static str]> {
    ACTIONS
        .iter()
        .position(|a| *a == name)
        .map(|i| ACTION_FIELDS[i])
}

/// The error for a field `key` that `action` does not take, listing those it does.
pub fn unknown_action_field(action: &str, key: &str) -> String {
    let takes = action_fields(action).unwrap_or(&[]);
    if takes.is_empty() {
        format!("unknown field `{key}`; `{action}` takes no fields")
    } else {
        let names: Vec<String> = takes.iter().map(|n| format!("`{n}`")).collect();
        format!(
            "unknown field `{key}`; `{action}` takes {}",
            names.join(", ")
        )
    }
}

/// The fields named in `spec` (name, kind, required) among `rest`, as serde's derived struct
/// reads them: in the order given, each value checked as it comes, a name given twice an error,
/// then the first missing required field (in `spec`'s order) an error. Any field other than `do`
/// and those in `spec` is an error too, when it comes. `spec` lists the names of
/// `ACTION_FIELDS[tag]`, in that order (a test checks it).
fn fields<'a, const N: usize>(
    rest: &'a [(String, Lit)],
    tag: usize,
    spec: [(&'static str, Kind, bool); N],
) -> Result<[Option<&'a Lit>; N], LitError> {
    let mut found = [None; N];
    for (k, v) in rest {
        if let Some(i) = spec.iter().position(|(name, ..)| name == k) {
            if found[i].is_some() {
                return Err(de::Error::duplicate_field(spec[i].0));
            }
            v.check(spec[i].1)?;
            found[i] = Some(v);
        } else if k != "do" {
            return Err(de::Error::custom(unknown_action_field(ACTIONS[tag], k)));
        }
    }
    for (i, (name, _, required)) in spec.iter().enumerate() {
        if *required && found[i].is_none() {
            return Err(de::Error::missing_field(name));
        }
    }
    Ok(found)
}

/// An entry's fields other than `at_ms`, read as `ActionV1` (`do` names the action).
fn action_from_fields(rest: &[(String, Lit)]) -> Result<ActionV1, LitError> {
    let mut tag = None;
    for (k, v) in rest {
        if k == "do" {
            if tag.is_some() {
                return Err(de::Error::duplicate_field("do"));
            }
            tag = Some(match v {
                Lit::Str(s) => ACTIONS
                    .iter()
                    .position(|a| a == s)
                    .ok_or_else(|| de::Error::unknown_variant(s, ACTIONS))?,
                Lit::U(n) if (*n as usize) < ACTIONS.len() => *n as usize,
                Lit::U(n) => {
                    return Err(de::Error::invalid_value(
                        Unexpected::Unsigned(*n),
                        &"variant index 0 <= i < 18",
                    ))
                }
                _ => return v.wrong("variant identifier"),
            });
        }
    }
    let tag = tag.ok_or_else(|| de::Error::missing_field("do"))?;
    // Values were checked by `fields`: reading them again cannot fail, and defaults fill gaps.
    let u16_or = |x: Option<&Lit>, d: u16| x.map_or(Ok(d), Lit::u16);
    let f64_or = |x: Option<&Lit>, d: f64| x.map_or(Ok(d), Lit::f64);
    let bool_or = |x: Option<&Lit>, d: bool| x.map_or(Ok(d), Lit::bool);
    let string = |x: Option<&Lit>| x.map_or(Ok(String::new()), Lit::string);
    let opt_u16 = |x: Option<&Lit>| x.map_or(Ok(None), |x| x.opt(Lit::u16));
    let opt_f64 = |x: Option<&Lit>| x.map_or(Ok(None), |x| x.opt(Lit::f64));
    let read_from = |x: Option<&Lit>| x.map_or(Ok(ReadFromV1::Default), Lit::read_from);
    use Kind::*;
    Ok(match tag {
        0 => {
            let [client, key, value, node] = fields(
                rest,
                tag,
                [
                    ("client", U16, false),
                    ("key", Str, true),
                    ("value", Str, true),
                    ("node", OptU16, false),
                ],
            )?;
            ActionV1::Write {
                client: u16_or(client, 0)?,
                key: string(key)?,
                value: string(value)?,
                node: opt_u16(node)?,
            }
        }
        1 => {
            let [client, key, from] = fields(
                rest,
                tag,
                [
                    ("client", U16, false),
                    ("key", Str, true),
                    ("from", ReadFrom, false),
                ],
            )?;
            ActionV1::Read {
                client: u16_or(client, 0)?,
                key: string(key)?,
                from: read_from(from)?,
            }
        }
        2 | 3 => {
            let [node] = fields(rest, tag, [("node", U16, true)])?;
            let node = u16_or(node, 0)?;
            if tag == 2 {
                ActionV1::Crash { node }
            } else {
                ActionV1::Restart { node }
            }
        }
        4 | 5 => {
            let [from, to, both] = fields(
                rest,
                tag,
                [
                    ("from", U16, true),
                    ("to", U16, true),
                    ("both", Bool, false),
                ],
            )?;
            let (from, to, both) = (u16_or(from, 0)?, u16_or(to, 0)?, bool_or(both, true)?);
            if tag == 4 {
                ActionV1::Cut { from, to, both }
            } else {
                ActionV1::Heal { from, to, both }
            }
        }
        6 => {
            let [groups] = fields(rest, tag, [("groups", Groups, true)])?;
            ActionV1::Partition {
                groups: groups.map_or(Ok(Vec::new()), Lit::groups)?,
            }
        }
        7 => {
            fields(rest, tag, [])?;
            ActionV1::HealAll
        }
        8 => {
            let [from, to, latency_ms, jitter_ms] = fields(
                rest,
                tag,
                [
                    ("from", OptU16, false),
                    ("to", OptU16, false),
                    ("latency_ms", F64, true),
                    ("jitter_ms", OptF64, false),
                ],
            )?;
            ActionV1::SetLatency {
                from: opt_u16(from)?,
                to: opt_u16(to)?,
                latency_ms: f64_or(latency_ms, 0.0)?,
                jitter_ms: opt_f64(jitter_ms)?,
            }
        }
        9 => {
            let [from, to, loss] = fields(
                rest,
                tag,
                [
                    ("from", OptU16, false),
                    ("to", OptU16, false),
                    ("loss", F64, true),
                ],
            )?;
            ActionV1::SetLoss {
                from: opt_u16(from)?,
                to: opt_u16(to)?,
                loss: f64_or(loss, 0.0)?,
            }
        }
        10 => {
            let [duplicate] = fields(rest, tag, [("duplicate", F64, true)])?;
            ActionV1::SetDuplicate {
                duplicate: f64_or(duplicate, 0.0)?,
            }
        }
        11 => {
            let [node, skew_ms, drift_ppm] = fields(
                rest,
                tag,
                [
                    ("node", U16, true),
                    ("skew_ms", F64, false),
                    ("drift_ppm", I32, false),
                ],
            )?;
            ActionV1::SetClock {
                node: u16_or(node, 0)?,
                skew_ms: f64_or(skew_ms, 0.0)?,
                drift_ppm: drift_ppm.map_or(Ok(0), Lit::i32)?,
            }
        }
        12 => {
            let [mode, k] = fields(rest, tag, [("mode", Mode, true), ("k", U16, false)])?;
            ActionV1::SetMode {
                mode: mode.map_or(Ok(ModeV1::Async), Lit::mode)?,
                k: u16_or(k, 1)?,
            }
        }
        13 => {
            let [w, r] = fields(rest, tag, [("w", U16, true), ("r", U16, true)])?;
            ActionV1::SetQuorum {
                w: u16_or(w, 0)?,
                r: u16_or(r, 0)?,
            }
        }
        14 => {
            fields(rest, tag, [])?;
            ActionV1::AddNode
        }
        15 => {
            let [write_every_ms, read_every_ms, keys, read_from_] = fields(
                rest,
                tag,
                [
                    ("write_every_ms", F64, false),
                    ("read_every_ms", F64, false),
                    ("keys", U16, false),
                    ("read_from", ReadFrom, false),
                ],
            )?;
            ActionV1::Workload {
                workload: WorkloadV1 {
                    write_every_ms: f64_or(write_every_ms, 0.0)?,
                    read_every_ms: f64_or(read_every_ms, 0.0)?,
                    keys: u16_or(keys, 3)?,
                    read_from: read_from(read_from_)?,
                },
            }
        }
        16 => {
            fields(rest, tag, [])?;
            ActionV1::StopWorkload
        }
        _ => {
            let [text] = fields(rest, tag, [("text", Str, true)])?;
            ActionV1::Caption {
                text: string(text)?,
            }
        }
    })
}

/// A decoding or validation failure, with a message for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

fn err<T>(msg: impl Into<String>) -> Result<T, DecodeError> {
    Err(DecodeError(msg.into()))
}

/// Parses and validates a scenario in JSON.
pub fn decode(json: &str) -> Result<Scenario, DecodeError> {
    if json.len() > MAX_JSON_BYTES {
        return err(format!(
            "scenario is {} bytes; the limit is {} bytes",
            json.len(),
            MAX_JSON_BYTES
        ));
    }
    let version =
        probe_number(json, "version").map_err(|e| DecodeError(format!("not valid JSON: {e}")))?;
    decode_checked(json, version)
}

/// Decodes `json`, already checked to be JSON, whose `"version"` is `version`.
pub(super) fn decode_checked(json: &str, version: Option<u64>) -> Result<Scenario, DecodeError> {
    match version {
        Some(1) => {}
        Some(v) => {
            return err(format!(
                "scenario version {v} is not supported (this build reads version 1)"
            ))
        }
        None => return err("missing \"version\": 1"),
    }
    let wire: ScenarioV1 = serde_json::from_str(json)
        .map_err(|e| DecodeError(format!("invalid scenario: {}", without_position(&e))))?;
    wire.to_scenario()
}

/// A serde error's message without serde_json's ` at line L column C`: messages name the field,
/// and the position inside decompressed or one-line JSON would not help a reader.
pub(super) fn without_position(e: &serde_json::Error) -> String {
    let mut s = e.to_string();
    if e.line() != 0 {
        if let Some(i) = s.rfind(" at line ") {
            s.truncate(i);
        }
    }
    s
}

/// Checks that `json` is one JSON value and returns its top-level `key` if that is an object
/// member holding a whole number ≥ 0 (the last one, should the key repeat). Builds nothing.
pub(super) fn probe_number(json: &str, key: &str) -> Result<Option<u64>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    let n = de.deserialize_any(Member(Some(key)))?;
    de.end()?;
    Ok(n)
}

/// Reads any JSON value. With a key: that member of an object, read as a [`WholeNumber`]; else
/// `None`. Without: the value itself as a [`WholeNumber`].
struct Member<'k>(Option<&'k str>);

impl<'de> Visitor<'de> for Member<'_> {
    type Value = Option<u64>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(k) = m.next_key::<String>()? {
            if Some(k.as_str()) == self.0 {
                found = m.next_value::<WholeNumber>()?.0;
            } else {
                m.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, s: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_seq(s).map(|_| None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
        Ok(self.0.is_none().then_some(n))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// Any JSON value; `Some` for a whole number ≥ 0 (what `serde_json::Value::as_u64` accepts).
struct WholeNumber(Option<u64>);

impl<'de> Deserialize<'de> for WholeNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Member(None)).map(WholeNumber)
    }
}

/// Writes a scenario as version-1 JSON.
pub fn encode(s: &Scenario) -> String {
    pretty(
        &serde_json::to_string(&ScenarioV1::from_scenario(s)).expect("wire types always serialize"),
    )
}

/// Compact JSON laid out as `serde_json::to_string_pretty` lays it out (two-space indent,
/// `": "` after keys, `{}` and `[]` when empty). Reusing the compact writer this way keeps a second
/// copy of every wire type's serializer out of the page.
fn pretty(json: &str) -> String {
    let b = json.as_bytes();
    let mut out = String::with_capacity(json.len() * 2);
    let mut depth = 0usize;
    let (mut in_str, mut escaped, mut from) = (false, false, 0);
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    for (i, &c) in b.iter().enumerate() {
        if in_str {
            match c {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        let layout = match c {
            b'"' => {
                in_str = true;
                continue;
            }
            b'{' | b'[' => !matches!(b.get(i + 1), Some(b'}' | b']')),
            b'}' | b']' => !matches!(b.get(i.wrapping_sub(1)), Some(b'{' | b'[')),
            b',' | b':' => true,
            _ => continue,
        };
        if !layout {
            continue;
        }
        out.push_str(&json[from..i]);
        from = i + 1;
        match c {
            b'{' | b'[' => {
                out.push(c as char);
                depth += 1;
                newline(&mut out, depth);
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c as char);
            }
            b',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            _ => out.push_str(": "),
        }
    }
    out.push_str(&json[from..]);
    out
}

fn ms(field: &str, v: f64) -> Result<Time, DecodeError> {
    if !v.is_finite() || v < 0.0 {
        return err(format!(
            "{field} must be a number of milliseconds ≥ 0 (got {v})"
        ));
    }
    let us = (v * 1000.0).round();
    if us > MAX_TIME as f64 {
        return err(format!("{field} = {v} ms is beyond the one-day limit"));
    }
    Ok(us as Time)
}

fn prob(field: &str, v: f64) -> Result<u32, DecodeError> {
    if !v.is_finite() || !(0.0..=1.0).contains(&v) {
        return err(format!(
            "{field} must be a probability between 0 and 1 (got {v})"
        ));
    }
    Ok((v * 1_000_000.0).round() as u32)
}

fn text(field: &str, v: &str) -> Result<String, DecodeError> {
    if v.chars().count() > MAX_TEXT {
        return err(format!("{field} is longer than {MAX_TEXT} characters"));
    }
    Ok(v.to_string())
}

fn to_ms(t: Time) -> f64 {
    t as f64 / 1000.0
}

fn from_ppm(p: u32) -> f64 {
    p as f64 / 1_000_000.0
}

impl ReadFromV1 {
    fn to_internal(self, nodes: u16, at: &str) -> Result<ReadFrom, DecodeError> {
        Ok(match self {
            ReadFromV1::Node(n) if n < nodes => ReadFrom::Node(n),
            ReadFromV1::Node(n) => {
                return err(format!(
                    "{at}: read from node {n}, but there are only {nodes} nodes"
                ))
            }
            ReadFromV1::Named(ReadTargetV1::Leader) => ReadFrom::Leader,
            ReadFromV1::Named(ReadTargetV1::Nearest) | ReadFromV1::Default => ReadFrom::Nearest,
        })
    }
    fn from_internal(r: ReadFrom) -> Self {
        match r {
            ReadFrom::Leader => ReadFromV1::Named(ReadTargetV1::Leader),
            ReadFrom::Nearest => ReadFromV1::Named(ReadTargetV1::Nearest),
            ReadFrom::Node(n) => ReadFromV1::Node(n),
        }
    }
}

fn mode_to_internal(mode: ModeV1, k: u16) -> SyncMode {
    match mode {
        ModeV1::Sync => SyncMode::Sync,
        ModeV1::SemiSync => SyncMode::SemiSync { k },
        ModeV1::Async => SyncMode::Async,
    }
}

fn mode_from_internal(m: SyncMode) -> (ModeV1, u16) {
    match m {
        SyncMode::Sync => (ModeV1::Sync, 1),
        SyncMode::SemiSync { k } => (ModeV1::SemiSync, k),
        SyncMode::Async => (ModeV1::Async, 1),
    }
}

impl WorkloadV1 {
    /// Validates the workload; `place` names it in messages (`workload`, or `schedule[3]` for a
    /// `workload` action).
    fn to_internal(&self, nodes: u16, place: &str) -> Result<Workload, DecodeError> {
        if self.keys == 0 || self.keys > 1000 {
            return err(format!("{place}.keys must be between 1 and 1000"));
        }
        let write_every = ms(&format!("{place}.write_every_ms"), self.write_every_ms)?;
        let read_every = ms(&format!("{place}.read_every_ms"), self.read_every_ms)?;
        if (write_every > 0 && write_every < 1000) || (read_every > 0 && read_every < 1000) {
            return err(format!(
                "{place}: workload intervals must be 0 (off) or at least 1 ms"
            ));
        }
        Ok(Workload {
            write_every,
            read_every,
            keys: self.keys,
            read_from: self
                .read_from
                .to_internal(nodes, &format!("{place}.read_from"))?,
        })
    }
    fn from_internal(w: &Workload) -> Self {
        WorkloadV1 {
            write_every_ms: to_ms(w.write_every),
            read_every_ms: to_ms(w.read_every),
            keys: w.keys,
            read_from: ReadFromV1::from_internal(w.read_from),
        }
    }
}

impl ScenarioV1 {
    pub fn to_scenario(&self) -> Result<Scenario, DecodeError> {
        if self.version != VERSION {
            return err(format!(
                "scenario version {} is not supported",
                self.version
            ));
        }
        if self.nodes == 0 || self.nodes > MAX_NODES {
            return err(format!(
                "nodes must be between 1 and {MAX_NODES} (got {})",
                self.nodes
            ));
        }
        if self.clients > MAX_CLIENTS {
            return err(format!(
                "clients must be at most {MAX_CLIENTS} (got {})",
                self.clients
            ));
        }
        if self.schedule.len() > MAX_SCHEDULE {
            return err(format!(
                "the schedule has {} entries; the limit is {MAX_SCHEDULE}",
                self.schedule.len()
            ));
        }
        let adds = self
            .schedule
            .iter()
            .filter(|e| matches!(e.action, ActionV1::AddNode))
            .count();
        let nodes = match &self.strategy {
            StrategyV1::MultiLeader {
                regions, followers, ..
            } => {
                if *regions == 0 || *regions > 8 {
                    return err(format!(
                        "multi-leader: regions must be between 1 and 8 (got {regions})"
                    ));
                }
                let total = *regions as usize * (1 + *followers as usize);
                if total > MAX_NODES as usize {
                    return err(format!(
                        "multi-leader: {regions} regions × (1 + {followers} followers) is more than {MAX_NODES} nodes"
                    ));
                }
                total as u16
            }
            _ => self.nodes,
        };
        if adds > 0 && !matches!(self.strategy, StrategyV1::SingleLeader { .. }) {
            return err("add-node is only supported with single-leader replication");
        }
        let max_nodes = nodes as usize + adds;
        if max_nodes > MAX_NODES as usize {
            return err(format!(
                "add-node would grow the cluster past {MAX_NODES} nodes"
            ));
        }
        let max_nodes = max_nodes as u16;
        let strategy = match &self.strategy {
            StrategyV1::SingleLeader {
                mode,
                k,
                fencing,
                heartbeat_ms,
                election_timeout_ms,
                sync_failure_timeout_ms,
            } => {
                let heartbeat = ms("strategy.heartbeat_ms", *heartbeat_ms)?;
                let election_timeout = ms("strategy.election_timeout_ms", *election_timeout_ms)?;
                if heartbeat < 1000 {
                    return err("strategy.heartbeat_ms must be at least 1 ms");
                }
                if election_timeout < 2 * heartbeat {
                    return err("strategy.election_timeout_ms must be at least twice heartbeat_ms");
                }
                if *mode == ModeV1::SemiSync && (*k == 0 || *k >= max_nodes.max(2)) {
                    return err(format!(
                        "semi-sync k must be between 1 and the number of followers ({})",
                        max_nodes.saturating_sub(1)
                    ));
                }
                Strategy::SingleLeader(SingleLeader {
                    mode: mode_to_internal(*mode, *k),
                    fencing: *fencing,
                    heartbeat,
                    election_timeout,
                    sync_failure_timeout: ms(
                        "strategy.sync_failure_timeout_ms",
                        *sync_failure_timeout_ms,
                    )?,
                })
            }
            StrategyV1::MultiLeader {
                regions,
                followers,
                topology,
                resolution,
                local_mode,
                k,
                cross_sync,
                local_latency_ms,
                resend_ms,
            } => {
                if *local_mode == ModeV1::SemiSync && (*k == 0 || *k > *followers) {
                    return err(format!(
                        "multi-leader: semi-sync k must be between 1 and followers ({followers})"
                    ));
                }
                let resend = ms("strategy.resend_ms", *resend_ms)?;
                if resend < 1000 {
                    return err("strategy.resend_ms must be at least 1 ms");
                }
                Strategy::MultiLeader(MultiLeader {
                    regions: *regions,
                    followers: *followers,
                    topology: match topology {
                        TopologyV1::AllToAll => Topology::AllToAll,
                        TopologyV1::Circular => Topology::Circular,
                        TopologyV1::Star => Topology::Star,
                    },
                    resolution: resolution.to_internal(),
                    local_mode: mode_to_internal(*local_mode, *k),
                    cross_sync: *cross_sync,
                    local_latency: ms("strategy.local_latency_ms", *local_latency_ms)?,
                    resend,
                })
            }
            StrategyV1::Leaderless {
                n,
                w,
                r,
                vnodes,
                sloppy,
                read_repair,
                anti_entropy_ms,
                resolution,
                read_all,
                sloppy_after_ms,
                handoff_every_ms,
            } => {
                if *n == 0 || *n > nodes {
                    return err(format!("leaderless: N must be between 1 and the number of nodes ({nodes}), got {n}"));
                }
                if *w == 0 || *w > *n || *r == 0 || *r > *n {
                    return err(format!(
                        "leaderless: W and R must be between 1 and N = {n} (got W = {w}, R = {r})"
                    ));
                }
                if *vnodes == 0 || *vnodes > 64 {
                    return err("leaderless: vnodes must be between 1 and 64");
                }
                if *resolution == ResolutionV1::HighestReplica {
                    return err(
                        "leaderless: resolution must be last-write-wins, siblings or union",
                    );
                }
                let anti_entropy = ms("strategy.anti_entropy_ms", *anti_entropy_ms)?;
                if anti_entropy != 0 && anti_entropy < 10_000 {
                    return err("strategy.anti_entropy_ms must be 0 (off) or at least 10 ms");
                }
                let handoff_every = ms("strategy.handoff_every_ms", *handoff_every_ms)?;
                if handoff_every < 10_000 {
                    return err("strategy.handoff_every_ms must be at least 10 ms");
                }
                Strategy::Leaderless(Leaderless {
                    n: *n,
                    w: *w,
                    r: *r,
                    vnodes: *vnodes,
                    sloppy: *sloppy,
                    read_repair: *read_repair,
                    anti_entropy,
                    resolution: resolution.to_internal(),
                    read_all: *read_all,
                    sloppy_after: ms("strategy.sloppy_after_ms", *sloppy_after_ms)?.max(1000),
                    handoff_every,
                })
            }
        };
        let node = |field: &str, n: u16| -> Result<NodeId, DecodeError> {
            if n < max_nodes {
                Ok(n)
            } else {
                err(format!(
                    "{field}: node {n} does not exist (nodes are 0..{})",
                    max_nodes - 1
                ))
            }
        };
        let n = &self.network;
        let mut links = BTreeMap::new();
        for (i, l) in n.links.iter().enumerate() {
            let at = |f: &str| format!("network.links[{i}].{f}");
            let o = LinkOverride {
                latency: l.latency_ms.map(|v| ms(&at("latency_ms"), v)).transpose()?,
                jitter: l.jitter_ms.map(|v| ms(&at("jitter_ms"), v)).transpose()?,
                loss_ppm: l.loss.map(|v| prob(&at("loss"), v)).transpose()?,
            };
            links.insert((node(&at("from"), l.from)?, node(&at("to"), l.to)?), o);
        }
        let net = NetConfig {
            latency: ms("network.latency_ms", n.latency_ms)?,
            jitter: ms("network.jitter_ms", n.jitter_ms)?,
            loss_ppm: prob("network.loss", n.loss)?,
            duplicate_ppm: prob("network.duplicate", n.duplicate)?,
            client_latency: ms("network.client_latency_ms", n.client_latency_ms)?,
            links,
        };
        let mut clocks = BTreeMap::new();
        for (i, c) in self.clocks.iter().enumerate() {
            clocks.insert(
                node(&format!("clocks[{i}].node"), c.node)?,
                clock(&format!("clocks[{i}]"), c.skew_ms, c.drift_ppm)?,
            );
        }
        let op_timeout = ms("op_timeout_ms", self.op_timeout_ms)?;
        if op_timeout < 1000 {
            return err("op_timeout_ms must be at least 1 ms");
        }
        let workload = self
            .workload
            .as_ref()
            .map(|w| w.to_internal(max_nodes, "workload"))
            .transpose()?;
        let mut schedule = Vec::with_capacity(self.schedule.len());
        for (i, e) in self.schedule.iter().enumerate() {
            let at = ms(&format!("schedule[{i}].at_ms"), e.at_ms)?;
            let here = format!("schedule[{i}]");
            let action = e
                .action
                .to_internal(&here, max_nodes, self.clients, &strategy)?;
            schedule.push(Scheduled { at, action });
        }
        Ok(Scenario {
            config: Config {
                nodes,
                clients: self.clients,
                strategy,
                net,
                clocks,
                op_timeout,
                workload,
            },
            seed: self.seed,
            schedule,
            duration: self.duration_ms.map(|d| ms("duration_ms", d)).transpose()?,
        })
    }

    pub fn from_scenario(s: &Scenario) -> Self {
        let c = &s.config;
        let strategy = match &c.strategy {
            Strategy::SingleLeader(sl) => {
                let (mode, k) = mode_from_internal(sl.mode);
                StrategyV1::SingleLeader {
                    mode,
                    k,
                    fencing: sl.fencing,
                    heartbeat_ms: to_ms(sl.heartbeat),
                    election_timeout_ms: to_ms(sl.election_timeout),
                    sync_failure_timeout_ms: to_ms(sl.sync_failure_timeout),
                }
            }
            Strategy::MultiLeader(ml) => {
                let (local_mode, k) = mode_from_internal(ml.local_mode);
                StrategyV1::MultiLeader {
                    regions: ml.regions,
                    followers: ml.followers,
                    topology: match ml.topology {
                        Topology::AllToAll => TopologyV1::AllToAll,
                        Topology::Circular => TopologyV1::Circular,
                        Topology::Star => TopologyV1::Star,
                    },
                    resolution: ResolutionV1::from_internal(ml.resolution),
                    local_mode,
                    k,
                    cross_sync: ml.cross_sync,
                    local_latency_ms: to_ms(ml.local_latency),
                    resend_ms: to_ms(ml.resend),
                }
            }
            Strategy::Leaderless(l) => StrategyV1::Leaderless {
                n: l.n,
                w: l.w,
                r: l.r,
                vnodes: l.vnodes,
                sloppy: l.sloppy,
                read_repair: l.read_repair,
                anti_entropy_ms: to_ms(l.anti_entropy),
                resolution: ResolutionV1::from_internal(l.resolution),
                read_all: l.read_all,
                sloppy_after_ms: to_ms(l.sloppy_after),
                handoff_every_ms: to_ms(l.handoff_every),
            },
        };
        let link_fields = |l: Option<(NodeId, NodeId)>| match l {
            Some((a, b)) => (Some(a), Some(b)),
            None => (None, None),
        };
        ScenarioV1 {
            version: VERSION,
            seed: s.seed,
            nodes: c.nodes,
            clients: c.clients,
            strategy,
            network: NetworkV1 {
                latency_ms: to_ms(c.net.latency),
                jitter_ms: to_ms(c.net.jitter),
                loss: from_ppm(c.net.loss_ppm),
                duplicate: from_ppm(c.net.duplicate_ppm),
                client_latency_ms: to_ms(c.net.client_latency),
                links: c
                    .net
                    .links
                    .iter()
                    .map(|((a, b), o)| LinkV1 {
                        from: *a,
                        to: *b,
                        latency_ms: o.latency.map(to_ms),
                        jitter_ms: o.jitter.map(to_ms),
                        loss: o.loss_ppm.map(from_ppm),
                    })
                    .collect(),
            },
            clocks: c
                .clocks
                .iter()
                .map(|(n, k)| ClockV1 {
                    node: *n,
                    skew_ms: k.offset as f64 / 1000.0,
                    drift_ppm: k.drift_ppm,
                })
                .collect(),
            op_timeout_ms: to_ms(c.op_timeout),
            duration_ms: s.duration.map(to_ms),
            workload: c.workload.as_ref().map(WorkloadV1::from_internal),
            schedule: s
                .schedule
                .iter()
                .map(|e| EntryV1 {
                    at_ms: to_ms(e.at),
                    action: match &e.action {
                        Action::Write {
                            client,
                            key,
                            value,
                            node,
                        } => ActionV1::Write {
                            client: *client,
                            key: key.clone(),
                            value: value.clone(),
                            node: *node,
                        },
                        Action::Read { client, key, from } => ActionV1::Read {
                            client: *client,
                            key: key.clone(),
                            from: ReadFromV1::from_internal(*from),
                        },
                        Action::Crash(n) => ActionV1::Crash { node: *n },
                        Action::Restart(n) => ActionV1::Restart { node: *n },
                        Action::Cut { from, to, both } => ActionV1::Cut {
                            from: *from,
                            to: *to,
                            both: *both,
                        },
                        Action::Heal { from, to, both } => ActionV1::Heal {
                            from: *from,
                            to: *to,
                            both: *both,
                        },
                        Action::Partition(g) => ActionV1::Partition { groups: g.clone() },
                        Action::HealAll => ActionV1::HealAll,
                        Action::SetLatency {
                            link,
                            latency,
                            jitter,
                        } => {
                            let (from, to) = link_fields(*link);
                            ActionV1::SetLatency {
                                from,
                                to,
                                latency_ms: to_ms(*latency),
                                jitter_ms: jitter.map(to_ms),
                            }
                        }
                        Action::SetLoss { link, loss_ppm } => {
                            let (from, to) = link_fields(*link);
                            ActionV1::SetLoss {
                                from,
                                to,
                                loss: from_ppm(*loss_ppm),
                            }
                        }
                        Action::SetDuplicate(p) => ActionV1::SetDuplicate {
                            duplicate: from_ppm(*p),
                        },
                        Action::SetClock { node, clock } => ActionV1::SetClock {
                            node: *node,
                            skew_ms: clock.offset as f64 / 1000.0,
                            drift_ppm: clock.drift_ppm,
                        },
                        Action::SetMode(m) => {
                            let (mode, k) = mode_from_internal(*m);
                            ActionV1::SetMode { mode, k }
                        }
                        Action::SetQuorum { w, r } => ActionV1::SetQuorum { w: *w, r: *r },
                        Action::AddNode => ActionV1::AddNode,
                        Action::SetWorkload(Some(w)) => ActionV1::Workload {
                            workload: WorkloadV1::from_internal(w),
                        },
                        Action::SetWorkload(None) => ActionV1::StopWorkload,
                        Action::Caption(t) => ActionV1::Caption { text: t.clone() },
                    },
                })
                .collect(),
        }
    }
}

impl ActionV1 {
    /// Validates one action against a cluster of `max_nodes` nodes and `clients` clients running
    /// `strategy`; `here` names it in error messages.
    pub fn to_internal(
        &self,
        here: &str,
        max_nodes: u16,
        clients: u16,
        strategy: &Strategy,
    ) -> Result<Action, DecodeError> {
        let at = |field: &str| format!("{here}.{field}");
        let node = |field: &str, n: u16| -> Result<NodeId, DecodeError> {
            if n < max_nodes {
                Ok(n)
            } else {
                err(format!(
                    "{}: node {n} does not exist (nodes are 0..{})",
                    at(field),
                    max_nodes.saturating_sub(1)
                ))
            }
        };
        let client = |c: u16| -> Result<ClientId, DecodeError> {
            if c < clients {
                Ok(c)
            } else {
                err(format!(
                    "{}: client {c} does not exist (there are {} clients)",
                    at("client"),
                    clients
                ))
            }
        };
        let link =
            |from: Option<u16>, to: Option<u16>| -> Result<Option<(NodeId, NodeId)>, DecodeError> {
                match (from, to) {
                    (Some(a), Some(b)) => Ok(Some((node("from", a)?, node("to", b)?))),
                    (None, None) => Ok(None),
                    _ => err(format!("{here}: give both from and to, or neither")),
                }
            };
        let action = match self {
            ActionV1::Write {
                client: c,
                key,
                value,
                node: n,
            } => Action::Write {
                client: client(*c)?,
                key: text(&at("key"), key)?,
                value: text(&at("value"), value)?,
                node: n.map(|n| node("node", n)).transpose()?,
            },
            ActionV1::Read {
                client: c,
                key,
                from,
            } => Action::Read {
                client: client(*c)?,
                key: text(&at("key"), key)?,
                from: from.to_internal(max_nodes, &at("from"))?,
            },
            ActionV1::Crash { node: x } => Action::Crash(node("node", *x)?),
            ActionV1::Restart { node: x } => Action::Restart(node("node", *x)?),
            ActionV1::Cut { from, to, both } => Action::Cut {
                from: node("from", *from)?,
                to: node("to", *to)?,
                both: *both,
            },
            ActionV1::Heal { from, to, both } => Action::Heal {
                from: node("from", *from)?,
                to: node("to", *to)?,
                both: *both,
            },
            ActionV1::Partition { groups } => {
                Action::Partition(partition(&at("groups"), groups, max_nodes)?)
            }
            ActionV1::HealAll => Action::HealAll,
            ActionV1::SetLatency {
                from,
                to,
                latency_ms,
                jitter_ms,
            } => Action::SetLatency {
                link: link(*from, *to)?,
                latency: ms(&at("latency_ms"), *latency_ms)?,
                jitter: jitter_ms.map(|j| ms(&at("jitter_ms"), j)).transpose()?,
            },
            ActionV1::SetLoss { from, to, loss } => Action::SetLoss {
                link: link(*from, *to)?,
                loss_ppm: prob(&at("loss"), *loss)?,
            },
            ActionV1::SetDuplicate { duplicate } => {
                Action::SetDuplicate(prob(&at("duplicate"), *duplicate)?)
            }
            ActionV1::SetClock {
                node: x,
                skew_ms,
                drift_ppm,
            } => Action::SetClock {
                node: node("node", *x)?,
                clock: clock(here, *skew_ms, *drift_ppm)?,
            },
            ActionV1::SetMode { mode, k } => {
                if *mode == ModeV1::SemiSync && (*k == 0 || *k >= max_nodes.max(2)) {
                    return err(format!(
                        "{}: semi-sync k must be between 1 and the number of followers",
                        at("k")
                    ));
                }
                Action::SetMode(mode_to_internal(*mode, *k))
            }
            ActionV1::SetQuorum { w, r } => {
                let Strategy::Leaderless(Leaderless { n, .. }) = strategy else {
                    return err(format!("{here}: set-quorum needs leaderless replication"));
                };
                if *w == 0 || *w > *n || *r == 0 || *r > *n {
                    return err(format!("{here}: W and R must be between 1 and N = {n}"));
                }
                Action::SetQuorum { w: *w, r: *r }
            }
            ActionV1::AddNode => Action::AddNode,
            ActionV1::Workload { workload } => {
                Action::SetWorkload(Some(workload.to_internal(max_nodes, here)?))
            }
            ActionV1::StopWorkload => Action::SetWorkload(None),
            ActionV1::Caption { text: t } => Action::Caption(text(&at("text"), t)?),
        };
        Ok(action)
    }
}

/// Validates a partition's `groups` (named `place` in messages) for a cluster of `max_nodes`:
/// every node exists and is in at most one group, since a node cannot be on two sides of a
/// partition. A node in no group is on one more side with the other nodes named nowhere.
fn partition(
    place: &str,
    groups: &[Vec<u16>],
    max_nodes: u16,
) -> Result<Vec<Vec<NodeId>>, DecodeError> {
    let mut side: BTreeMap<NodeId, usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(groups.len());
    for (i, g) in groups.iter().enumerate() {
        let mut members = Vec::with_capacity(g.len());
        for &x in g {
            if x >= max_nodes {
                return err(format!(
                    "{place}[{i}]: node {x} does not exist (nodes are 0..{})",
                    max_nodes.saturating_sub(1)
                ));
            }
            match side.insert(x, i) {
                Some(j) if j == i => {
                    return err(format!("{place}[{i}]: node {x} is named twice"));
                }
                Some(j) => {
                    return err(format!(
                        "{place}: node {x} is in group {j} and in group {i}; groups must not overlap (a node is on one side of a partition)"
                    ));
                }
                None => {}
            }
            members.push(x);
        }
        out.push(members);
    }
    Ok(out)
}

/// Parses one action in the schedule-entry form without `at_ms` (`{"do": "crash", "node": 0}`)
/// and validates it against the running scenario. The page's `apply()` and embedders use it.
pub fn decode_action(
    json: &str,
    scenario: &Scenario,
    nodes_now: u16,
) -> Result<Action, DecodeError> {
    if json.len() > 64 * 1024 {
        return err("action is too large");
    }
    let invalid = |e: String| DecodeError(format!("invalid action: {e}"));
    let fields = match serde_json::from_str::<Lit>(json) {
        Ok(Lit::Map(fields)) => fields,
        Ok(other) => {
            return Err(invalid(
                other
                    .wrong::<()>("an object such as {\"do\": \"crash\", \"node\": 0}")
                    .unwrap_err()
                    .to_string(),
            ))
        }
        Err(e) => return Err(invalid(without_position(&e))),
    };
    let a = action_from_fields(&fields).map_err(|e| invalid(e.to_string()))?;
    a.to_internal(
        "action",
        nodes_now,
        scenario.config.clients,
        &scenario.config.strategy,
    )
}

fn clock(place: &str, skew_ms: f64, drift_ppm: i32) -> Result<Clock, DecodeError> {
    if !skew_ms.is_finite() || skew_ms.abs() > 3_600_000.0 {
        return err(format!(
            "{place}.skew_ms: clock skew must be within ±1 hour"
        ));
    }
    if drift_ppm.abs() > 100_000 {
        return err(format!(
            "{place}.drift_ppm: clock drift must be within ±100000 ppm"
        ));
    }
    Ok(Clock {
        offset: (skew_ms * 1000.0).round() as i64,
        drift_ppm,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What serde derives for a schedule entry: the reference for the hand-written reader.
    mod derived {
        use super::super::ActionV1;
        use serde::Deserialize;

        #[derive(Deserialize)]
        pub struct EntryV1 {
            pub at_ms: f64,
            #[serde(flatten)]
            pub action: ActionV1,
        }
    }

    fn by_hand(j: &str) -> Result<EntryV1, String> {
        serde_json::from_str::<EntryV1>(j).map_err(|e| without_position(&e))
    }

    fn derived(j: &str) -> Result<EntryV1, String> {
        serde_json::from_str::<derived::EntryV1>(j)
            .map(|d| EntryV1 {
                at_ms: d.at_ms,
                action: d.action,
            })
            .map_err(|e| without_position(&e))
    }

    #[test]
    fn files_are_laid_out_as_serde_json_would() {
        let mut scenarios: Vec<Scenario> = crate::presets::presets()
            .into_iter()
            .map(|p| p.scenario)
            .collect();
        let mut odd = Scenario::default();
        odd.schedule.push(Scheduled {
            at: 1000,
            action: Action::Caption("a \"quoted\" {text}, [1,2]: \\ \\\" ,{}[]".into()),
        });
        odd.schedule.push(Scheduled {
            at: 2000,
            action: Action::Partition(vec![vec![], vec![0, 1]]),
        });
        scenarios.push(odd);
        for s in &scenarios {
            let want = serde_json::to_string_pretty(&ScenarioV1::from_scenario(s)).unwrap();
            assert_eq!(encode(s), want);
        }
    }

    #[test]
    fn entries_read_as_serde_would() {
        let bases = [
            r#"{"at_ms":1,"do":"write","client":1,"key":"k","value":"v","node":2}"#,
            r#"{"at_ms":1,"do":"read","client":1,"key":"k","from":"leader"}"#,
            r#"{"at_ms":1,"do":"read","key":"k","from":2}"#,
            r#"{"at_ms":1,"do":"crash","node":0}"#,
            r#"{"at_ms":1,"do":"restart","node":0}"#,
            r#"{"at_ms":1,"do":"cut","from":0,"to":1,"both":false}"#,
            r#"{"at_ms":1,"do":"heal","from":0,"to":1}"#,
            r#"{"at_ms":1,"do":"partition","groups":[[0,1],[2]]}"#,
            r#"{"at_ms":1,"do":"heal-all"}"#,
            r#"{"at_ms":1,"do":"set-latency","from":0,"to":1,"latency_ms":5,"jitter_ms":1.5}"#,
            r#"{"at_ms":1,"do":"set-loss","from":0,"to":1,"loss":0.5}"#,
            r#"{"at_ms":1,"do":"set-duplicate","duplicate":0.5}"#,
            r#"{"at_ms":1,"do":"set-clock","node":1,"skew_ms":-5,"drift_ppm":-100}"#,
            r#"{"at_ms":1,"do":"set-mode","mode":"semi-sync","k":2}"#,
            r#"{"at_ms":1,"do":"set-quorum","w":1,"r":1}"#,
            r#"{"at_ms":1,"do":"add-node"}"#,
            r#"{"at_ms":1,"do":"workload","write_every_ms":5,"read_every_ms":7,"keys":4,"read_from":"nearest"}"#,
            r#"{"at_ms":1,"do":"stop-workload"}"#,
            r#"{"at_ms":1,"do":"caption","text":"hi"}"#,
        ];
        let values = [
            "null",
            "true",
            "false",
            "0",
            "1",
            "2",
            "17",
            "18",
            "-1",
            "2.5",
            "1e3",
            "70000",
            "3000000000",
            "-3000000000",
            "\"x\"",
            "\"leader\"",
            "\"nearest\"",
            "\"sync\"",
            "\"semi-sync\"",
            "\"write\"",
            "[]",
            "[0]",
            "[[0,1],[2]]",
            "[[\"a\"]]",
            "[1,[2]]",
            "{}",
            "{\"sync\":null}",
            "{\"leader\":null}",
            "{\"leader\":1}",
            "{\"a\":1,\"b\":2}",
        ];
        let mut cases = vec![
            "[]".to_string(),
            "5".into(),
            "{}".into(),
            r#"{"do":"crash","node":0}"#.into(),
            r#"{"at_ms":1}"#.into(),
        ];
        for base in bases {
            let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(base).unwrap();
            let pairs: Vec<(String, String)> =
                v.iter().map(|(k, x)| (k.clone(), x.to_string())).collect();
            let render = |p: &[(String, String)]| {
                let body: Vec<String> = p.iter().map(|(k, x)| format!("{k:?}:{x}")).collect();
                format!("{{{}}}", body.join(","))
            };
            cases.push(render(&pairs));
            let mut reversed = pairs.clone();
            reversed.reverse();
            cases.push(render(&reversed));
            for i in 0..pairs.len() {
                let mut p = pairs.clone();
                p.remove(i);
                cases.push(render(&p));
                let mut p = pairs.clone();
                p.push(pairs[i].clone());
                cases.push(render(&p));
                for x in values {
                    let mut p = pairs.clone();
                    p[i].1 = x.to_string();
                    cases.push(render(&p));
                    // Two bad fields: which one is reported must match too.
                    let mut q = p.clone();
                    q.reverse();
                    cases.push(render(&q));
                }
            }
            let mut p = pairs.clone();
            p.push(("unknown".into(), "1".into()));
            cases.push(render(&p));
        }
        for (i, a) in ACTIONS.iter().enumerate() {
            cases.push(format!(r#"{{"at_ms":1,"do":{i},"node":0,"text":"t"}}"#));
            cases.push(format!(r#"{{"at_ms":1,"do":"{a}"}}"#));
        }
        assert!(cases.len() > 2000, "{}", cases.len());
        let mut unknown = 0;
        for c in &cases {
            let (hand, serde) = (by_hand(c), derived(c));
            if has_unknown_field(c) {
                // serde ignores a field the action does not take; the hand-written reader refuses
                // it, unless an earlier field was already wrong (serde's order of errors).
                unknown += 1;
                match (&hand, &serde) {
                    (Err(h), _) if h.starts_with("unknown field `") => {}
                    (h, s) => assert_eq!(h, s, "{c}"),
                }
                assert!(hand.is_err(), "{c}");
            } else {
                assert_eq!(hand, serde, "{c}");
            }
        }
        assert!(unknown > 100, "{unknown}");
    }

    /// Whether the entry `json` is an object naming a known action and holding a field that action
    /// does not take.
    fn has_unknown_field(json: &str) -> bool {
        let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(json)
        else {
            return false;
        };
        let takes = match m.get("do") {
            Some(serde_json::Value::String(a)) => action_fields(a),
            Some(serde_json::Value::Number(n)) => n
                .as_u64()
                .and_then(|i| ACTION_FIELDS.get(i as usize).copied()),
            _ => None,
        };
        let Some(takes) = takes else {
            return false;
        };
        m.keys()
            .any(|k| k != "at_ms" && k != "do" && !takes.contains(&k.as_str()))
    }

    fn scenario_error(json: &str) -> String {
        decode(json).expect_err(json).0
    }

    /// Every action kind refuses a field it does not take, and the error names the field, the
    /// entry and what the action does take. `{"do":"read","form":1}` used to read from the
    /// nearest node.
    #[test]
    fn unknown_fields_in_schedule_entries_are_errors_naming_the_entry() {
        let e = scenario_error(
            r#"{"version":1,"schedule":[{"at_ms":1,"do":"crash","node":0},{"at_ms":2,"do":"read","key":"x","form":1}]}"#,
        );
        assert_eq!(
            e,
            "invalid scenario: schedule[1]: unknown field `form`; `read` takes `client`, `key`, `from`"
        );
        let valid = [
            r#""do":"write","key":"k","value":"v""#,
            r#""do":"read","key":"k""#,
            r#""do":"crash","node":0"#,
            r#""do":"restart","node":0"#,
            r#""do":"cut","from":0,"to":1"#,
            r#""do":"heal","from":0,"to":1"#,
            r#""do":"partition","groups":[[0]]"#,
            r#""do":"heal-all""#,
            r#""do":"set-latency","latency_ms":5"#,
            r#""do":"set-loss","loss":0"#,
            r#""do":"set-duplicate","duplicate":0"#,
            r#""do":"set-clock","node":0"#,
            r#""do":"set-mode","mode":"async""#,
            r#""do":"set-quorum","w":1,"r":1"#,
            r#""do":"add-node""#,
            r#""do":"workload","write_every_ms":5"#,
            r#""do":"stop-workload""#,
            r#""do":"caption","text":"t""#,
        ];
        assert_eq!(valid.len(), ACTIONS.len());
        for (i, body) in valid.iter().enumerate() {
            let strategy = if ACTIONS[i] == "set-quorum" {
                r#""strategy":{"kind":"leaderless"},"#
            } else {
                ""
            };
            let ok = format!(r#"{{"version":1,{strategy}"schedule":[{{"at_ms":1,{body}}}]}}"#);
            decode(&ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            let bad = format!(
                r#"{{"version":1,{strategy}"schedule":[{{"at_ms":1,{body}}},{{"at_ms":2,{body},"bogus":true}}]}}"#
            );
            let e = scenario_error(&bad);
            assert!(
                e.starts_with("invalid scenario: schedule[1]: unknown field `bogus`; "),
                "{bad}: {e}"
            );
            assert!(e.contains(&format!("`{}` takes", ACTIONS[i])), "{e}");
            // The same action given to the page's apply() (no `at_ms`).
            let action = format!(r#"{{{body},"bogus":true}}"#);
            let e = decode_action(&action, &decode(&ok).unwrap(), 3)
                .unwrap_err()
                .0;
            assert!(
                e.starts_with("invalid action: unknown field `bogus`"),
                "{action}: {e}"
            );
        }
        // An entry's `at_ms` belongs to the schedule, not to an action given alone.
        let e = decode_action(r#"{"at_ms":5,"do":"heal-all"}"#, &Scenario::default(), 3)
            .unwrap_err()
            .0;
        assert_eq!(
            e,
            "invalid action: unknown field `at_ms`; `heal-all` takes no fields"
        );
    }

    /// The lists the unknown-field check uses are the fields each action reads, in order.
    #[test]
    fn action_field_lists_match_the_reader() {
        for (i, a) in ACTIONS.iter().enumerate() {
            let mut entry = serde_json::Map::new();
            entry.insert("at_ms".into(), 1.into());
            entry.insert("do".into(), (*a).into());
            let takes = action_fields(a).unwrap();
            assert_eq!(takes, ACTION_FIELDS[i]);
            // Every listed field is read (a wrong type for it is reported under its name).
            for f in takes {
                let mut e = entry.clone();
                e.insert((*f).into(), serde_json::json!({"odd": []}));
                let got = by_hand(&serde_json::Value::Object(e).to_string()).unwrap_err();
                assert!(!got.starts_with("unknown field"), "{a}.{f}: {got}");
            }
        }
        assert_eq!(action_fields("explode"), None);
    }

    #[test]
    fn nested_objects_name_where_an_error_is() {
        let cases = [
            (
                r#"{"version":1,"workload":{"write_every_ms":5,"read_form":"leader"}}"#,
                "invalid scenario: workload: unknown field `read_form`, expected one of `write_every_ms`, `read_every_ms`, `keys`, `read_from`",
            ),
            (
                r#"{"version":1,"network":{"links":[{"from":0,"to":1},{"from":0,"too":1}]}}"#,
                "invalid scenario: network.links[1]: unknown field `too`, expected one of `from`, `to`, `latency_ms`, `jitter_ms`, `loss`",
            ),
            (
                r#"{"version":1,"network":{"latncy_ms":5}}"#,
                "invalid scenario: network: unknown field `latncy_ms`, expected one of `latency_ms`, `jitter_ms`, `loss`, `duplicate`, `client_latency_ms`, `links`",
            ),
            (
                r#"{"version":1,"clocks":[{"node":0,"skew":5}]}"#,
                "invalid scenario: clocks[0]: unknown field `skew`, expected one of `node`, `skew_ms`, `drift_ppm`",
            ),
            (
                r#"{"version":1,"strategy":{"kind":"leaderless","q":2}}"#,
                "invalid scenario: strategy: unknown field `q`, expected one of `n`, `w`, `r`, `vnodes`, `sloppy`, `read_repair`, `anti_entropy_ms`, `resolution`, `read_all`, `sloppy_after_ms`, `handoff_every_ms`",
            ),
            (
                r#"{"version":1,"clocks":[{"node":"a"}]}"#,
                "invalid scenario: clocks[0]: invalid type: string \"a\", expected u16",
            ),
            (
                r#"{"version":1,"schedule":[{"at_ms":1,"do":"crash","node":0},{"do":"crash","node":0}]}"#,
                "invalid scenario: schedule[1]: missing field `at_ms`",
            ),
            (
                r#"{"version":1,"schedule":[{"at_ms":1,"do":"workload","keys":2,"read_form":1}]}"#,
                "invalid scenario: schedule[0]: unknown field `read_form`; `workload` takes `write_every_ms`, `read_every_ms`, `keys`, `read_from`",
            ),
            (
                r#"{"version":1,"network":{"links":[{"from":0,"to":9}]}}"#,
                "network.links[0].to: node 9 does not exist (nodes are 0..2)",
            ),
            (
                r#"{"version":1,"clocks":[{"node":1},{"node":7}]}"#,
                "clocks[1].node: node 7 does not exist (nodes are 0..2)",
            ),
            (
                r#"{"version":1,"schedule":[{"at_ms":1,"do":"crash","node":0},{"at_ms":1,"do":"read","key":"x","from":4}]}"#,
                "schedule[1].from: read from node 4, but there are only 3 nodes",
            ),
            (
                r#"{"version":1,"schedule":[{"at_ms":1,"do":"caption","text":"t"},{"at_ms":1,"do":"cut","from":0,"to":3}]}"#,
                "schedule[1].to: node 3 does not exist (nodes are 0..2)",
            ),
        ];
        for (json, want) in cases {
            assert_eq!(scenario_error(json), want, "{json}");
        }
    }

    /// A node can be on one side of a partition only; every node named must exist.
    #[test]
    fn partition_groups_must_not_overlap() {
        let with = |groups: &str| {
            decode(&format!(
                r#"{{"version":1,"nodes":3,"schedule":[{{"at_ms":1,"do":"heal-all"}},{{"at_ms":2,"do":"partition","groups":{groups}}}]}}"#
            ))
        };
        let bad = [
            (
                "[[0],[0,1]]",
                "schedule[1].groups: node 0 is in group 0 and in group 1; groups must not overlap (a node is on one side of a partition)",
            ),
            (
                "[[0,1],[2],[1]]",
                "schedule[1].groups: node 1 is in group 0 and in group 2; groups must not overlap (a node is on one side of a partition)",
            ),
            ("[[0,0],[1]]", "schedule[1].groups[0]: node 0 is named twice"),
            (
                "[[0],[1,3]]",
                "schedule[1].groups[1]: node 3 does not exist (nodes are 0..2)",
            ),
            (
                "[[0],[1,\"2\"]]",
                "invalid scenario: schedule[1]: invalid type: string \"2\", expected u16",
            ),
        ];
        for (groups, want) in bad {
            assert_eq!(with(groups).unwrap_err().0, want, "{groups}");
            let action = format!(r#"{{"do":"partition","groups":{groups}}}"#);
            assert!(
                decode_action(&action, &Scenario::default(), 3).is_err(),
                "{action}"
            );
        }
        for groups in ["[[0],[1,2]]", "[[0]]", "[[0],[1],[2]]", "[[],[0,1]]", "[]"] {
            let s = with(groups).unwrap_or_else(|e| panic!("{groups}: {e}"));
            let Action::Partition(g) = &s.schedule[1].action else {
                panic!("{groups}: not a partition")
            };
            assert_eq!(serde_json::to_string(g).unwrap(), groups);
        }
    }
}
