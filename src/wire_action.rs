//! One action in the scenario wire format (`{"do":"crash","node":0}`, a schedule entry without
//! `at_ms`) turned into an engine action, with the engine's own validation.
//!
//! The engine offers `wire::decode_action(json, ..)`, which deserializes `wire::ActionV1` with
//! serde. That derived deserializer (an internally tagged enum with an untagged and a flattened
//! part) costs about 30 KB of gzipped wasm, a sixth of the page's budget. The browser already
//! parses JSON for free, so `window.replicaLab.apply` hands over a parsed object; this module
//! reads its fields through the small [`Fields`] trait into an `ActionV1` (names, defaults and
//! number ranges as serde would) and then calls the engine's `ActionV1::to_internal`, so every
//! rule about what an action may do stays in the engine. A native test compares the result with
//! `decode_action` for every kind of action. A field the action does not take is an error, as it
//! is in a scenario file (the engine's `wire::action_fields` lists what each action takes).

use replica_engine::scenario::wire::{
    action_fields, unknown_action_field, ActionV1, ModeV1, ReadFromV1, ReadTargetV1, WorkloadV1,
};
use replica_engine::scenario::{Action, Strategy};
use wasm_bindgen::JsCast;

/// Read access to a parsed JSON value (a JS object in the page, `serde_json::Value` in tests).
pub trait Fields: Sized {
    fn field(&self, key: &str) -> Option<Self>;
    fn number(&self) -> Option<f64>;
    fn text(&self) -> Option<String>;
    fn boolean(&self) -> Option<bool>;
    fn list(&self) -> Option<Vec<Self>>;
    /// The names of an object's own fields, in order (none for anything else).
    fn keys(&self) -> Vec<String>;
}

impl Fields for wasm_bindgen::JsValue {
    fn field(&self, key: &str) -> Option<Self> {
        if !self.is_object() {
            return None;
        }
        js_sys::Reflect::get(self, &key.into())
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }
    fn number(&self) -> Option<f64> {
        self.as_f64()
    }
    fn text(&self) -> Option<String> {
        self.as_string()
    }
    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }
    fn list(&self) -> Option<Vec<Self>> {
        js_sys::Array::is_array(self).then(|| js_sys::Array::from(self).iter().collect())
    }
    fn keys(&self) -> Vec<String> {
        if !self.is_object() {
            return Vec::new();
        }
        js_sys::Object::keys(self.unchecked_ref::<js_sys::Object>())
            .iter()
            .filter_map(|k| k.as_string())
            .collect()
    }
}

struct Reader<'a, F: Fields> {
    obj: &'a F,
}

type R<T> = Result<T, String>;

impl<F: Fields> Reader<'_, F> {
    fn num(&self, k: &str) -> R<Option<f64>> {
        match self.obj.field(k) {
            None => Ok(None),
            Some(v) => v
                .number()
                .map(Some)
                .ok_or_else(|| format!("`{k}` must be a number")),
        }
    }
    fn f64(&self, k: &str) -> R<f64> {
        self.num(k)?.ok_or_else(|| format!("missing field `{k}`"))
    }
    fn f64_or(&self, k: &str, default: f64) -> R<f64> {
        Ok(self.num(k)?.unwrap_or(default))
    }
    fn whole(k: &str, x: f64, min: f64, max: f64) -> R<f64> {
        if x.fract() != 0.0 || x < min || x > max {
            return Err(format!("`{k}` must be a whole number from {min} to {max}"));
        }
        Ok(x)
    }
    fn opt_u16(&self, k: &str) -> R<Option<u16>> {
        self.num(k)?
            .map(|x| Self::whole(k, x, 0.0, u16::MAX as f64).map(|x| x as u16))
            .transpose()
    }
    fn u16(&self, k: &str) -> R<u16> {
        self.opt_u16(k)?
            .ok_or_else(|| format!("missing field `{k}`"))
    }
    fn u16_or(&self, k: &str, default: u16) -> R<u16> {
        Ok(self.opt_u16(k)?.unwrap_or(default))
    }
    fn text(&self, k: &str) -> R<String> {
        self.obj
            .field(k)
            .ok_or_else(|| format!("missing field `{k}`"))?
            .text()
            .ok_or_else(|| format!("`{k}` must be text"))
    }
    fn both(&self) -> R<bool> {
        match self.obj.field("both") {
            None => Ok(true),
            Some(v) => v
                .boolean()
                .ok_or_else(|| "`both` must be true or false".into()),
        }
    }
    fn read_from(&self, k: &str) -> R<ReadFromV1> {
        let Some(v) = self.obj.field(k) else {
            return Ok(ReadFromV1::Default);
        };
        if let Some(x) = v.number() {
            return Ok(ReadFromV1::Node(
                Self::whole(k, x, 0.0, u16::MAX as f64)? as u16
            ));
        }
        match v.text().as_deref() {
            Some("leader") => Ok(ReadFromV1::Named(ReadTargetV1::Leader)),
            Some("nearest") => Ok(ReadFromV1::Named(ReadTargetV1::Nearest)),
            _ => Err(format!(
                "`{k}` must be \"leader\", \"nearest\" or a node number"
            )),
        }
    }
}

/// Reads a parsed wire action into the engine's wire type.
pub fn read<F: Fields>(obj: &F) -> Result<ActionV1, String> {
    let r = Reader { obj };
    let what = obj
        .field("do")
        .and_then(|v| v.text())
        .ok_or("missing field `do` (e.g. {\"do\":\"crash\",\"node\":0})")?;
    if let Some(takes) = action_fields(&what) {
        if let Some(k) = obj
            .keys()
            .into_iter()
            .find(|k| k != "do" && !takes.contains(&k.as_str()))
        {
            return Err(unknown_action_field(&what, &k));
        }
    }
    Ok(match what.as_str() {
        "write" => ActionV1::Write {
            client: r.u16_or("client", 0)?,
            key: r.text("key")?,
            value: r.text("value")?,
            node: r.opt_u16("node")?,
        },
        "read" => ActionV1::Read {
            client: r.u16_or("client", 0)?,
            key: r.text("key")?,
            from: r.read_from("from")?,
        },
        "crash" => ActionV1::Crash {
            node: r.u16("node")?,
        },
        "restart" => ActionV1::Restart {
            node: r.u16("node")?,
        },
        "cut" => ActionV1::Cut {
            from: r.u16("from")?,
            to: r.u16("to")?,
            both: r.both()?,
        },
        "heal" => ActionV1::Heal {
            from: r.u16("from")?,
            to: r.u16("to")?,
            both: r.both()?,
        },
        "partition" => {
            let bad = || "`groups` must be a list of lists of node numbers".to_string();
            let groups = obj.field("groups").and_then(|g| g.list()).ok_or_else(bad)?;
            let mut out = Vec::with_capacity(groups.len());
            for g in groups {
                let mut ns = Vec::new();
                for m in g.list().ok_or_else(bad)? {
                    let x = m.number().ok_or_else(bad)?;
                    ns.push(Reader::<F>::whole("groups", x, 0.0, u16::MAX as f64)? as u16);
                }
                out.push(ns);
            }
            ActionV1::Partition { groups: out }
        }
        "heal-all" => ActionV1::HealAll,
        "set-latency" => ActionV1::SetLatency {
            from: r.opt_u16("from")?,
            to: r.opt_u16("to")?,
            latency_ms: r.f64("latency_ms")?,
            jitter_ms: r.num("jitter_ms")?,
        },
        "set-loss" => ActionV1::SetLoss {
            from: r.opt_u16("from")?,
            to: r.opt_u16("to")?,
            loss: r.f64("loss")?,
        },
        "set-duplicate" => ActionV1::SetDuplicate {
            duplicate: r.f64("duplicate")?,
        },
        "set-clock" => ActionV1::SetClock {
            node: r.u16("node")?,
            skew_ms: r.f64_or("skew_ms", 0.0)?,
            drift_ppm: Reader::<F>::whole(
                "drift_ppm",
                r.f64_or("drift_ppm", 0.0)?,
                i32::MIN as f64,
                i32::MAX as f64,
            )? as i32,
        },
        "set-mode" => ActionV1::SetMode {
            mode: match obj.field("mode").and_then(|m| m.text()).as_deref() {
                Some("sync") => ModeV1::Sync,
                Some("semi-sync") => ModeV1::SemiSync,
                Some("async") => ModeV1::Async,
                _ => return Err("`mode` must be \"sync\", \"semi-sync\" or \"async\"".into()),
            },
            k: r.u16_or("k", 1)?,
        },
        "set-quorum" => ActionV1::SetQuorum {
            w: r.u16("w")?,
            r: r.u16("r")?,
        },
        "add-node" => ActionV1::AddNode,
        "workload" => ActionV1::Workload {
            workload: WorkloadV1 {
                write_every_ms: r.f64_or("write_every_ms", 0.0)?,
                read_every_ms: r.f64_or("read_every_ms", 0.0)?,
                keys: r.u16_or("keys", 3)?,
                read_from: r.read_from("read_from")?,
            },
        },
        "stop-workload" => ActionV1::StopWorkload,
        "caption" => ActionV1::Caption {
            text: r.text("text")?,
        },
        other => return Err(format!("unknown action \"{other}\"")),
    })
}

/// Parses and validates one action for a run with `nodes` nodes now, `clients` clients and
/// `strategy`.
pub fn action<F: Fields>(
    obj: &F,
    nodes: u16,
    clients: u16,
    strategy: &Strategy,
) -> Result<Action, String> {
    let a = read(obj).map_err(|e| format!("invalid action: {e}"))?;
    a.to_internal("action", nodes, clients, strategy)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use replica_engine::scenario::wire::decode_action;
    use replica_engine::scenario::{Config, Scenario};
    use serde_json::Value;

    impl Fields for Value {
        fn field(&self, key: &str) -> Option<Self> {
            self.get(key).filter(|v| !v.is_null()).cloned()
        }
        fn number(&self) -> Option<f64> {
            self.as_f64()
        }
        fn text(&self) -> Option<String> {
            self.as_str().map(str::to_string)
        }
        fn boolean(&self) -> Option<bool> {
            self.as_bool()
        }
        fn list(&self) -> Option<Vec<Self>> {
            self.as_array().cloned()
        }
        fn keys(&self) -> Vec<String> {
            self.as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        }
    }

    fn scenario() -> Scenario {
        Scenario {
            config: Config::default(),
            seed: 1,
            schedule: Vec::new(),
            duration: None,
        }
    }

    fn page(json: &str) -> Result<Action, String> {
        let v: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let s = scenario();
        action(&v, 3, s.config.clients, &s.config.strategy)
    }

    #[test]
    fn agrees_with_the_engine_decoder() {
        let s = scenario();
        let ok = [
            r#"{"do":"write","key":"x","value":"1"}"#,
            r#"{"do":"write","client":1,"key":"x","value":"1","node":2}"#,
            r#"{"do":"read","key":"x"}"#,
            r#"{"do":"read","key":"x","from":"leader"}"#,
            r#"{"do":"read","key":"x","from":"nearest"}"#,
            r#"{"do":"read","client":1,"key":"x","from":2}"#,
            r#"{"do":"crash","node":0}"#,
            r#"{"do":"restart","node":2}"#,
            r#"{"do":"cut","from":0,"to":2}"#,
            r#"{"do":"cut","from":0,"to":2,"both":false}"#,
            r#"{"do":"heal","from":2,"to":0,"both":true}"#,
            r#"{"do":"partition","groups":[[0],[1,2]]}"#,
            r#"{"do":"heal-all"}"#,
            r#"{"do":"set-latency","latency_ms":80}"#,
            r#"{"do":"set-latency","latency_ms":80.5,"jitter_ms":3,"from":0,"to":1}"#,
            r#"{"do":"set-loss","loss":0.25}"#,
            r#"{"do":"set-loss","loss":0.1,"from":1,"to":0}"#,
            r#"{"do":"set-duplicate","duplicate":0.05}"#,
            r#"{"do":"set-clock","node":1,"skew_ms":-20,"drift_ppm":500}"#,
            r#"{"do":"set-mode","mode":"sync"}"#,
            r#"{"do":"set-mode","mode":"semi-sync","k":2}"#,
            r#"{"do":"set-mode","mode":"async"}"#,
            r#"{"do":"add-node"}"#,
            r#"{"do":"workload","write_every_ms":500,"read_every_ms":700,"keys":4,"read_from":"leader"}"#,
            r#"{"do":"workload","write_every_ms":500}"#,
            r#"{"do":"stop-workload"}"#,
            r#"{"do":"caption","text":"<b>not markup</b>"}"#,
        ];
        for j in ok {
            let want =
                decode_action(j, &s, 3).unwrap_or_else(|e| panic!("engine rejects {j}: {e}"));
            assert_eq!(page(j), Ok(want), "{j}");
        }
        let bad = [
            r#"{"do":"crash","node":3}"#,
            r#"{"do":"crash"}"#,
            r#"{"do":"crash","node":-1}"#,
            r#"{"do":"crash","node":1.5}"#,
            r#"{"do":"crash","node":"0"}"#,
            r#"{"do":"write","client":2,"key":"x","value":"1"}"#,
            r#"{"do":"write","key":"x"}"#,
            r#"{"do":"read","key":"x","from":5}"#,
            r#"{"do":"read","key":"x","from":"anywhere"}"#,
            r#"{"do":"cut","from":0,"to":1,"both":"yes"}"#,
            r#"{"do":"set-loss","loss":1.5}"#,
            r#"{"do":"set-latency","latency_ms":-1}"#,
            r#"{"do":"set-latency","latency_ms":5,"from":1}"#,
            r#"{"do":"set-mode","mode":"semi-sync","k":3}"#,
            r#"{"do":"set-mode","mode":"semi-sync","k":0}"#,
            r#"{"do":"set-mode","mode":"quick"}"#,
            r#"{"do":"set-quorum","w":2,"r":2}"#,
            r#"{"do":"set-clock","node":0,"skew_ms":4000000}"#,
            r#"{"do":"workload","write_every_ms":0.5}"#,
            r#"{"do":"workload","keys":0}"#,
            r#"{"do":"partition","groups":[[0],[7]]}"#,
            r#"{"do":"partition","groups":[0,1]}"#,
            r#"{"do":"explode"}"#,
            r#"{"node":1}"#,
            r#"{"do":"read","key":"x","form":1}"#,
            r#"{"do":"crash","node":0,"nodes":1}"#,
            r#"{"do":"heal-all","at":1}"#,
            r#"{"do":"workload","write_every_ms":500,"read_form":"leader"}"#,
            r#"{"do":"partition","groups":[[0],[0,1]]}"#,
            r#"{"do":"partition","groups":[[0,0]]}"#,
        ];
        for j in bad {
            assert!(decode_action(j, &s, 3).is_err(), "engine accepts {j}");
            let e = page(j).expect_err(j);
            assert!(!e.is_empty());
        }
        let long = format!(
            r#"{{"do":"caption","text":"{}"}}"#,
            "x".repeat(replica_engine::scenario::MAX_TEXT + 1)
        );
        assert!(decode_action(&long, &s, 3).is_err() && page(&long).is_err());
    }

    #[test]
    fn errors_say_what_to_fix() {
        let e = page(r#"{"do":"crash","node":9}"#).unwrap_err();
        assert!(e.contains("node 9 does not exist"), "{e}");
        assert!(page(r#"{"do":"explode"}"#)
            .unwrap_err()
            .contains("unknown action"));
        assert_eq!(
            page(r#"{"do":"read","key":"x","form":1}"#).unwrap_err(),
            "invalid action: unknown field `form`; `read` takes `client`, `key`, `from`"
        );
        let e = page(r#"{"do":"partition","groups":[[0],[0,1]]}"#).unwrap_err();
        assert!(e.contains("groups must not overlap"), "{e}");
    }
}
