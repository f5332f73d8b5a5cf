//! What runs produce: curves, summaries and verdicts.

use serde::Serialize;

use crate::spec::Verdict;

/// One recorded point of a run: the library's training-loop history point.
pub use dl_models::Point;

/// The result of one run.
#[derive(Clone, Debug, Serialize)]
pub struct RunResult {
    /// Legend label.
    pub label: String,
    /// Every setting of the run.
    pub settings: serde_json::Value,
    /// The recorded points.
    pub curve: Vec<Point>,
    /// Wall time of the run in seconds.
    pub wall_seconds: f64,
    /// Trainable parameters.
    pub parameters: usize,
}

impl RunResult {
    /// The last recorded point.
    pub fn last(&self) -> &Point {
        self.curve.last().expect("a run records at least one point")
    }
    /// Final test accuracy.
    pub fn final_test(&self) -> f64 {
        self.last().test_acc
    }
    /// Final train accuracy.
    pub fn final_train(&self) -> f64 {
        self.last().train_acc
    }
    /// Best test accuracy over the run.
    pub fn best_test(&self) -> f64 {
        self.curve.iter().map(|p| p.test_acc).fold(0.0, f64::max)
    }
    /// Mean test accuracy over the last `k` points (smooths the noise of one evaluation).
    pub fn tail_test(&self, k: usize) -> f64 {
        let tail = &self.curve[self.curve.len().saturating_sub(k)..];
        tail.iter().map(|p| p.test_acc).sum::<f64>() / tail.len() as f64
    }
    /// Mean train accuracy over the last `k` points.
    pub fn tail_train(&self, k: usize) -> f64 {
        let tail = &self.curve[self.curve.len().saturating_sub(k)..];
        tail.iter().map(|p| p.train_acc).sum::<f64>() / tail.len() as f64
    }
    /// Lowest validation loss over the run.
    pub fn best_val_loss(&self) -> f64 {
        self.curve
            .iter()
            .filter_map(|p| p.val_loss)
            .fold(f64::INFINITY, f64::min)
    }
    /// Final validation loss.
    pub fn final_val_loss(&self) -> f64 {
        self.last().val_loss.unwrap_or(f64::NAN)
    }
}

/// A checked claim.
#[derive(Clone, Debug, Serialize)]
pub struct CheckResult {
    /// The claim.
    pub claim: String,
    /// Its verdict.
    pub verdict: Verdict,
}

/// Everything an experiment produced.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Outcome {
    /// The runs.
    pub runs: Vec<RunResult>,
    /// The checks.
    pub checks: Vec<CheckResult>,
    /// Free text printed and reported (shapes, quiz answers, dataset notes).
    pub notes: Vec<String>,
    /// Figures written, relative to the experiment's folder.
    pub figures: Vec<String>,
    /// The data the runs trained on, when they did.
    pub data: Option<crate::data::DataRecord>,
}

/// One finished run of one seed: the unit of work that shards and jobs divide.
#[derive(Clone, Debug)]
pub struct SeedRun {
    /// The seed of the experiment (the run's own seed is derived from it and the run index).
    pub seed: u64,
    /// The run's index in the experiment's list.
    pub run: usize,
    /// What the run produced.
    pub result: RunResult,
}

/// A claim checked on every seed.
#[derive(Clone, Debug, Serialize)]
pub struct SeedCheck {
    /// The claim.
    pub claim: String,
    /// On how many seeds it held.
    pub tally: crate::seeds::Tally,
    /// The numbers behind it: each as `mean [min, max]` over seeds where the seeds' sentences
    /// agree in their words.
    pub evidence: String,
    /// Each seed's own verdict.
    pub per_seed: Vec<(u64, Verdict)>,
}

/// Everything an experiment produced over its seeds.
#[derive(Clone, Debug, Default)]
pub struct Results {
    /// The seeds in the order they were asked for, each with its runs (in the experiment's
    /// order) and its checks.
    pub per_seed: Vec<(u64, Outcome)>,
    /// Each claim over the seeds.
    pub checks: Vec<SeedCheck>,
    /// Whether `--seeds` was given: curves gain a seed column and figures show bands.
    pub multi_seed: bool,
    /// Free text printed and reported (shapes, quiz answers, dataset notes).
    pub notes: Vec<String>,
    /// Figures written, relative to the experiment's folder.
    pub figures: Vec<String>,
    /// The data the runs trained on, when they did.
    pub data: Option<crate::data::DataRecord>,
}

impl Results {
    /// The results of a single seed's outcome (as one seed without `--seeds`).
    pub fn single(seed: u64, outcome: Outcome) -> Results {
        let mut results = Results {
            notes: outcome.notes.clone(),
            data: outcome.data.clone(),
            per_seed: vec![(seed, outcome)],
            ..Results::default()
        };
        results.tally_checks();
        results
    }

    /// Counts each claim over the seeds (the claims of the first seed, in order).
    pub fn tally_checks(&mut self) {
        let Some((_, first)) = self.per_seed.first() else {
            return;
        };
        self.checks = (0..first.checks.len())
            .map(|k| {
                let per_seed: Vec<(u64, Verdict)> = self
                    .per_seed
                    .iter()
                    .map(|(seed, o)| (*seed, o.checks[k].verdict.clone()))
                    .collect();
                let texts: Vec<(u64, &str)> = per_seed
                    .iter()
                    .map(|(s, v)| (*s, v.evidence.as_str()))
                    .collect();
                SeedCheck {
                    claim: first.checks[k].claim.clone(),
                    tally: crate::seeds::Tally::count(per_seed.iter().map(|(_, v)| v.holds)),
                    evidence: crate::seeds::combine_evidence(&texts),
                    per_seed,
                }
            })
            .collect();
    }

    /// The labels of the runs, in the experiment's order.
    pub fn labels(&self) -> Vec<&str> {
        self.per_seed
            .first()
            .map(|(_, o)| o.runs.iter().map(|r| r.label.as_str()).collect())
            .unwrap_or_default()
    }

    /// Run `k` of every seed, in seed order.
    pub fn run_over_seeds(&self, k: usize) -> Vec<(u64, &RunResult)> {
        self.per_seed
            .iter()
            .filter_map(|(seed, o)| o.runs.get(k).map(|r| (*seed, r)))
            .collect()
    }

    /// Whether there are runs (not a print-and-check experiment).
    pub fn has_runs(&self) -> bool {
        self.per_seed.iter().any(|(_, o)| !o.runs.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Check;

    /// A run whose test accuracy climbs to `last`.
    fn run(label: &str, last: f64) -> RunResult {
        RunResult {
            label: label.into(),
            settings: serde_json::Value::Null,
            curve: [0.1, last / 2.0, last]
                .iter()
                .enumerate()
                .map(|(i, &acc)| Point {
                    step: i * 10,
                    train_acc: acc,
                    test_acc: acc,
                    loss: 1.0 - acc,
                    val_loss: None,
                })
                .collect(),
            wall_seconds: 0.0,
            parameters: 0,
        }
    }

    /// Hand-made curves of five seeds, in which `a` ends above `b` on seeds 0, 1, 2 and 4: the
    /// claim is counted 4 of 5 (holds), its opposite 1 of 5 (does not hold), a coin toss mixed.
    #[test]
    fn a_claim_is_counted_over_seeds_from_each_seeds_curves() {
        let finals = [
            (0.9, 0.8),
            (0.7, 0.6),
            (0.95, 0.5),
            (0.4, 0.45),
            (0.85, 0.8),
        ];
        let claims = [
            Check::new("a beats b", |r: &[RunResult]| {
                let (a, b) = (r[0].final_test(), r[1].final_test());
                Verdict::new(a > b, format!("a {a:.2} vs b {b:.2}"))
            }),
            Check::new("b beats a", |r: &[RunResult]| {
                Verdict::new(r[1].final_test() > r[0].final_test(), "")
            }),
            Check::new("a ends above 0.8", |r: &[RunResult]| {
                Verdict::new(r[0].final_test() > 0.8, "")
            }),
        ];
        let per_seed = finals
            .iter()
            .enumerate()
            .map(|(seed, &(a, b))| {
                let runs = vec![run("a", a), run("b", b)];
                let checks = claims
                    .iter()
                    .map(|c| CheckResult {
                        claim: c.claim.clone(),
                        verdict: c.verdict(&runs),
                    })
                    .collect();
                let outcome = Outcome {
                    runs,
                    checks,
                    ..Outcome::default()
                };
                (seed as u64, outcome)
            })
            .collect();
        let mut results = Results {
            per_seed,
            multi_seed: true,
            ..Results::default()
        };
        results.tally_checks();
        let said: Vec<String> = results.checks.iter().map(|c| c.tally.describe()).collect();
        assert_eq!(
            said,
            [
                "holds (4 of 5 seeds)",
                "does not hold (1 of 5 seeds)",
                "mixed (3 of 5 seeds)"
            ]
        );
        assert_eq!(
            results.checks[0].evidence,
            "a 0.76 [0.40, 0.95] vs b 0.63 [0.45, 0.80]"
        );
        assert_eq!(results.run_over_seeds(1).len(), 5);
    }
}
