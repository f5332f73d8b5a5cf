//! Many seeds, shards and jobs on a tiny MNIST-format folder: the seeds × runs layout of the
//! curves, statistics over seeds, verdicts counted over seeds, three shard processes merged
//! equal to one process, and `--jobs 2` equal to `--jobs 1`.

use std::path::Path;

use serde_json::Value;

use crate::common::{run, text, tiny_mnist};

/// Runs `xtask args…`, which must succeed; returns its stdout.
fn ok(args: &[&str]) -> String {
    let result = run(args);
    assert!(
        result.status.success(),
        "{args:?} failed: {}",
        text(&result.stderr)
    );
    text(&result.stdout)
}

/// `reproduce gradient-vanishing batch-norm --seeds 3 --iterations 20` on the tiny data into
/// `out`, with `extra` flags.
fn reproduce(data: &str, out: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "reproduce",
        "gradient-vanishing",
        "batch-norm",
        "--seeds",
        "3",
        "--iterations",
        "20",
        "--allow-noncanonical-data",
        "--data-dir",
        data,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    ok(&args)
}

fn summary(dir: &Path, experiment: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(experiment).join("summary.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// What must not depend on how the work was divided: curves byte for byte, statistics and
/// verdicts.
fn assert_same_results(a: &Path, b: &Path) {
    for experiment in ["gradient-vanishing", "batch-norm"] {
        let file = format!("{experiment}/curves.csv");
        assert!(read(a, &file) == read(b, &file), "{file} differs");
        let (sa, sb) = (summary(a, experiment), summary(b, experiment));
        assert_eq!(sa["checks"], sb["checks"], "{experiment}: verdicts differ");
        let stats = |s: &Value| -> Vec<Value> {
            s["runs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["statistics"].clone())
                .collect()
        };
        assert_eq!(stats(&sa), stats(&sb), "{experiment}: statistics differ");
        assert_eq!(sa["seeds"], sb["seeds"]);
    }
}

#[test]
fn every_run_is_trained_once_per_seed_with_statistics_over_seeds() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tiny_mnist(&tmp.path().join("data"));
    let out = tmp.path().join("out");
    let stdout = reproduce(&data, &out, &[]);
    assert!(stdout.contains("3 seed(s)"), "{stdout}");

    // curves.csv: a seed column; seed by seed, each seed's 7 runs, each with 3 points (0, 10, 19).
    let csv = read(&out, "gradient-vanishing/curves.csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("run,seed,step,train_acc,test_acc,loss,val_loss")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3 * 7 * 3);
    for (seed, block) in rows.chunks(7 * 3).enumerate() {
        assert!(block.iter().all(|r| r[1] == seed.to_string()));
        assert_eq!(block[0][0], "sigmoid + gauss 0.01");
        assert_eq!(block[20][0], "sigmoid + Xavier [20;10]");
    }
    // Different seeds give different curves.
    assert_ne!(rows[9][4], rows[21 + 9][4], "seeds 0 and 1 trained alike");

    // The statistics are those of the per-seed figures.
    let s = summary(&out, "gradient-vanishing");
    assert_eq!(s["seeds"], serde_json::json!([0, 1, 2]));
    for run in s["runs"].as_array().unwrap() {
        let per_seed = run["per_seed"].as_array().unwrap();
        assert_eq!(per_seed.len(), 3);
        for figure in [
            "final_test_acc",
            "final_train_acc",
            "best_test_acc",
            "gap",
            "final_loss",
        ] {
            let v: Vec<f64> = per_seed
                .iter()
                .map(|p| p[figure].as_f64().unwrap())
                .collect();
            let mean = v.iter().sum::<f64>() / 3.0;
            let std = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
            let stats = &run["statistics"][figure];
            let close = |key: &str, want: f64| {
                let got = stats[key].as_f64().unwrap();
                assert!(
                    (got - want).abs() < 1e-12,
                    "{figure} {key}: {got} vs {want}"
                );
            };
            close("mean", mean);
            close("std", std);
            close("min", v.iter().cloned().fold(f64::INFINITY, f64::min));
            close("max", v.iter().cloned().fold(f64::NEG_INFINITY, f64::max));
        }
        let gap = &run["per_seed"][0];
        let want =
            gap["final_train_acc"].as_f64().unwrap() - gap["final_test_acc"].as_f64().unwrap();
        assert!((gap["gap"].as_f64().unwrap() - want).abs() < 1e-12);
    }

    // Each check: counted over the 3 seeds, the count agreeing with the seeds' own verdicts.
    for check in s["checks"].as_array().unwrap() {
        let per_seed = check["per_seed"].as_array().unwrap();
        let held = per_seed.iter().filter(|p| p["holds"] == true).count();
        assert_eq!(check["held"], held);
        assert_eq!(check["of"], 3);
        let want = match held {
            3 => "holds",
            0 => "does_not_hold",
            _ => "mixed",
        };
        assert_eq!(check["verdict"], want, "{check}");
        let words = match want {
            "does_not_hold" => "does not hold",
            w => w,
        };
        assert!(
            stdout.contains(&format!("[{words} ({held} of 3 seeds)]")),
            "{stdout}"
        );
    }
    // The figures say how many seeds they show.
    let svg = read(&out, "gradient-vanishing/overlay.svg");
    assert!(
        svg.contains("3 seed(s)"),
        "the overlay does not state the seeds"
    );
}

#[test]
fn three_shard_processes_merged_equal_one_process() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tiny_mnist(&tmp.path().join("data"));
    let one = tmp.path().join("one");
    reproduce(&data, &one, &[]);
    let shards: Vec<_> = (1..=3)
        .map(|i| tmp.path().join(format!("shard{i}")))
        .collect();
    let children: Vec<_> = shards
        .iter()
        .enumerate()
        .map(|(i, dir)| {
            let slice = format!("{}/3", i + 1);
            crate::common::xtask()
                .args([
                    "reproduce",
                    "gradient-vanishing",
                    "batch-norm",
                    "--seeds",
                    "3",
                    "--iterations",
                    "20",
                    "--allow-noncanonical-data",
                    "--data-dir",
                    &data,
                    "--threads",
                    "1",
                    "--shard",
                    &slice,
                    "--out",
                    dir.to_str().unwrap(),
                ])
                .output()
                .expect("a shard runs")
        })
        .collect();
    for (i, c) in children.iter().enumerate() {
        assert!(c.status.success(), "shard {}: {}", i + 1, text(&c.stderr));
    }
    let merged = tmp.path().join("merged");
    let dirs: Vec<&str> = shards.iter().rev().map(|d| d.to_str().unwrap()).collect();
    let mut args = vec!["merge", merged.to_str().unwrap()];
    args.extend(&dirs);
    ok(&args);
    assert_same_results(&one, &merged);

    // A missing slice is named, and shards of other settings are refused.
    let result = run(&["merge", merged.to_str().unwrap(), dirs[0], dirs[1]]);
    assert!(!result.status.success());
    let err = text(&result.stderr);
    assert!(err.contains("shard(s) 1/3 missing"), "{err}");
    let other = tmp.path().join("other");
    ok(&[
        "reproduce",
        "gradient-vanishing",
        "batch-norm",
        "--seeds",
        "3",
        "--iterations",
        "21",
        "--allow-noncanonical-data",
        "--data-dir",
        &data,
        "--shard",
        "1/3",
        "--out",
        other.to_str().unwrap(),
    ]);
    let result = run(&[
        "merge",
        merged.to_str().unwrap(),
        other.to_str().unwrap(),
        dirs[1],
        dirs[0],
    ]);
    assert!(!result.status.success());
    let err = text(&result.stderr);
    assert!(
        err.contains("is a shard of another run: its settings"),
        "{err}"
    );
}

#[test]
fn two_jobs_give_the_results_of_one() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tiny_mnist(&tmp.path().join("data"));
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    reproduce(&data, &one, &["--jobs", "1"]);
    let stdout = reproduce(&data, &two, &["--jobs", "2"]);
    assert!(stdout.contains("2 job(s) over 27 item(s)"), "{stdout}");
    assert_same_results(&one, &two);
}

#[test]
fn bad_seeds_shards_and_jobs_are_refused_with_the_range() {
    for (args, expected) in [
        (
            vec!["--seeds", "0"],
            "invalid value for --seeds: expected at least 1 seed, got 0",
        ),
        (vec!["--seeds", "2,2"], "seed 2 is listed twice"),
        (
            vec!["--shard", "4/3"],
            "invalid value for --shard: `4/3` is not I/N",
        ),
        (vec!["--shard", "0/3"], "is not I/N with 1 ≤ I ≤ N"),
        (
            vec!["--jobs", "0"],
            "invalid value for --jobs: expected 1 to",
        ),
        (
            vec!["--shard", "1/2", "--jobs", "2"],
            "a --shard runs in one process",
        ),
    ] {
        let mut all = vec!["reproduce", "batch-norm"];
        all.extend(&args);
        let result = run(&all);
        assert!(!result.status.success(), "{args:?} was accepted");
        let err = text(&result.stderr);
        assert!(err.contains(expected), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}
