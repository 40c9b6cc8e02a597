//! First-fit-decreasing, the Karpenter-like baseline.

use super::model::{Pattern, Problem};

pub(super) fn ffd(p: &Problem, demand: &[u64]) -> Vec<Pattern> {
    let k_n = p.classes.len();
    let mut order: Vec<usize> = (0..k_n).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&p.classes[a], &p.classes[b]);
        y.cpu.cmp(&x.cpu).then(y.mem.cmp(&x.mem)).then(a.cmp(&b))
    });
    struct Open {
        counts: Vec<u64>,
        feasible: Vec<usize>,
    }
    let mut open: Vec<Open> = Vec::new();
    for &k in &order {
        for _ in 0..demand[k] {
            let mut placed = false;
            for node in open.iter_mut() {
                if node.counts[k] >= p.classes[k].cap {
                    continue;
                }
                node.counts[k] += 1;
                let still: Vec<usize> = node
                    .feasible
                    .iter()
                    .copied()
                    .filter(|&t| p.fits(t, &node.counts))
                    .collect();
                if still.is_empty() {
                    node.counts[k] -= 1;
                } else {
                    node.feasible = still;
                    placed = true;
                    break;
                }
            }
            if !placed {
                let mut counts = vec![0; k_n];
                counts[k] = 1;
                let feasible: Vec<usize> =
                    (0..p.types.len()).filter(|&t| p.fits(t, &counts)).collect();
                open.push(Open { counts, feasible });
            }
        }
    }
    open.into_iter()
        .map(|o| Pattern {
            ty: o.feasible[0],
            counts: o.counts,
        })
        .collect()
}
