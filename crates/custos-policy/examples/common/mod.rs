//! What the policy benchmarks share: the binary's allocator, how they evaluate, and how they
//! read their peak memory.

use custos_policy::{Keep, ResolvedPolicy, Snapshot, Verdict, evaluate_each};
use std::time::{Duration, Instant};

/// The allocator the `custos` binary uses, so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// By default what `custos scan` and `custos findings` ask for: failures and indeterminate
/// results. `--keep-all`: passes too (what `policies test` and the fixtures ask for).
pub fn keep_from_args() -> Keep {
    if std::env::args().any(|a| a == "--keep-all") {
        Keep::All
    } else {
        Keep::Findings
    }
}

/// What one evaluation gave: how many outcomes of each verdict, and how long it took.
pub struct Evaluated {
    counts: [usize; 3],
    pub elapsed: Duration,
}

impl Evaluated {
    pub fn count(&self, verdict: Verdict) -> usize {
        self.counts[verdict as usize]
    }
}

/// Evaluates as the binary does: findings are all held until the end (as a scan holds them to
/// record them); with `Keep::All`, outcomes are counted as they stream and never all held.
pub fn evaluate(
    resolved: &[ResolvedPolicy],
    snapshot: &Snapshot,
    as_of: i64,
    keep: Keep,
) -> Evaluated {
    let started = Instant::now();
    let mut counts = [0usize; 3];
    let mut held = Vec::new();
    evaluate_each(resolved, snapshot, as_of, keep, |outcome| {
        counts[outcome.result as usize] += 1;
        if keep == Keep::Findings {
            held.push(outcome);
        }
    });
    let elapsed = started.elapsed();
    drop(held);
    Evaluated { counts, elapsed }
}

/// How `evaluate` treated the outcomes, for the printed line.
pub fn handling(keep: Keep) -> &'static str {
    match keep {
        Keep::Findings => "findings, held",
        Keep::All => "all, streamed",
    }
}

/// Peak resident set size in kB, from `/proc/self/status` (Linux).
pub fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}
