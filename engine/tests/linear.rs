//! The linearizability checker against a brute-force one on small random register histories:
//! same verdict, and every counterexample is minimal.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::cases;
use proptest::prelude::*;
use replica_engine::check::linear::{check_ops, subset, RegKind, RegOp, State, Verdict};
use replica_engine::types::OpId;

/// Tries every order of every choice of indeterminate writes to include.
fn brute_force(ops: &[RegOp]) -> bool {
    let optional: Vec<usize> = (0..ops.len()).filter(|&i| ops[i].ret.is_none()).collect();
    (0u32..1 << optional.len()).any(|mask| {
        let included: Vec<usize> = (0..ops.len())
            .filter(|&i| match optional.iter().position(|&o| o == i) {
                Some(k) => mask >> k & 1 == 1,
                None => true,
            })
            .collect();
        let mut order = Vec::new();
        permute(ops, &included, &mut order)
    })
}

/// Is there a legal order of `left` after `order`?
fn permute(ops: &[RegOp], left: &[usize], order: &mut Vec<usize>) -> bool {
    if left.is_empty() {
        return legal(ops, order);
    }
    (0..left.len()).any(|k| {
        let mut rest = left.to_vec();
        let i = rest.remove(k);
        order.push(i);
        let ok = permute(ops, &rest, order);
        order.pop();
        ok
    })
}

/// Respects real time (nothing placed after an op that returned before it began) and register
/// semantics (each read returns the latest write before it, or one of its siblings).
fn legal(ops: &[RegOp], order: &[usize]) -> bool {
    for (a, &i) in order.iter().enumerate() {
        for &j in &order[a + 1..] {
            if ops[j].ret.is_some_and(|r| r < ops[i].call) {
                return false;
            }
        }
    }
    let mut state: State = None;
    for &i in order {
        match &ops[i].kind {
            RegKind::Write => state = Some(ops[i].id),
            RegKind::Read(states) if !states.contains(&state) => return false,
            RegKind::Read(_) => {}
        }
    }
    true
}

fn history() -> impl Strategy<Value = Vec<RegOp>> {
    prop::collection::vec(
        (
            0u64..30,
            0u64..15,
            0u8..10,
            prop::collection::vec(0usize..8, 1..3),
        ),
        1..=7,
    )
    .prop_map(|raw| {
        let writes: Vec<OpId> = raw
            .iter()
            .enumerate()
            .filter(|(_, r)| r.2 < 5)
            .map(|(i, _)| i as OpId)
            .collect();
        let mut ops: Vec<RegOp> = raw
            .iter()
            .enumerate()
            .map(|(i, &(call, dur, kind, ref picks))| RegOp {
                id: i as OpId,
                call,
                ret: (kind != 4).then_some(call + dur),
                kind: if kind < 5 {
                    RegKind::Write
                } else {
                    let mut s: Vec<State> = picks
                        .iter()
                        .map(|&p| writes.get(p % (writes.len() + 1)).copied())
                        .collect();
                    s.sort_unstable();
                    s.dedup();
                    RegKind::Read(s)
                },
            })
            .collect();
        ops.sort_by_key(|o| (o.call, o.id));
        ops
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn wgl_agrees_with_brute_force_and_counterexamples_are_minimal(ops in history()) {
        let verdict = check_ops(&ops, 1_000_000);
        let expected = brute_force(&ops);
        match verdict {
            Verdict::Linearizable => prop_assert!(expected, "brute force found no order"),
            Verdict::Unknown { steps } => prop_assert!(false, "out of budget after {steps}"),
            Verdict::Set { .. } => prop_assert!(false, "a register history got the set check"),
            Verdict::Violation { ops: bad } => {
                prop_assert!(!expected, "brute force found an order");
                prop_assert!(!brute_force(&subset(&ops, &bad)), "{bad:?} is linearizable");
                for k in 0..bad.len() {
                    let mut fewer = bad.clone();
                    let gone = fewer.remove(k);
                    prop_assert!(
                        brute_force(&subset(&ops, &fewer)),
                        "{bad:?} without #{gone} is still not linearizable"
                    );
                }
            }
        }
    }
}
