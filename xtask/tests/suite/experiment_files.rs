//! Experiments written as TOML files: one that parses runs like a built-in experiment (next to
//! one), and a file's mistakes are refused on one line naming the file, the line, the key and
//! what was expected.

use std::path::Path;

use crate::common::{run, text, tiny_mnist};

/// Two runs (the `mlp` preset and a layer list) on the tiny MNIST folder, and two checks.
const GOOD: &str = r#"name = "mine"
iterations = 20
eval_every = 10

[data]
train_first = 300

[defaults]
optimizer = "sgd"
lr = 0.1

[[runs]]
label = "relu"
model = "mlp"
hidden = [20]
activation = "relu"
init = "he"

[[runs]]
label = "layers"
layers = [
  { name = "affine1", type = "affine", outputs = 20, init = "he" },
  { name = "relu1", type = "relu" },
  { name = "affine2", type = "affine", outputs = 10, init = "he" },
]

[[checks]]
claim = "accuracies are at most 1"
expect = 'best_test("relu") <= 1 and final_train("layers") - 1 <= 0'

[[checks]]
expect = 'final_test("relu") > 2'
"#;

/// `reproduce <args> --allow-noncanonical-data --data-dir <tiny> --out <out>`.
fn reproduce(dir: &Path, args: &[&str]) -> std::process::Output {
    let data = tiny_mnist(&dir.join("data"));
    let out = dir.join("results");
    let mut all = vec!["reproduce"];
    all.extend_from_slice(args);
    all.extend([
        "--allow-noncanonical-data",
        "--data-dir",
        &data,
        "--out",
        out.to_str().unwrap(),
    ]);
    run(&all)
}

#[test]
fn a_file_runs_like_a_built_in_experiment_and_its_checks_show_their_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.toml");
    std::fs::write(&file, GOOD).unwrap();
    let result = reproduce(
        dir.path(),
        &[file.to_str().unwrap(), "batch-norm", "--iterations", "20"],
    );
    let stdout = text(&result.stdout);
    assert!(
        result.status.success(),
        "{stdout}\n{}",
        text(&result.stderr)
    );
    for name in ["mine", "batch-norm"] {
        let folder = dir.path().join("results").join(name);
        for file in ["curves.csv", "summary.json"] {
            assert!(folder.join(file).is_file(), "{name}/{file} is missing");
        }
    }
    let curves = std::fs::read_to_string(dir.path().join("results/mine/curves.csv")).unwrap();
    assert!(curves.lines().any(|l| l.starts_with("relu,")), "{curves}");
    assert!(curves.lines().any(|l| l.starts_with("layers,")), "{curves}");
    // The verdicts carry every value: `final_test(relu) 0.1200 > 2`.
    let holds = stdout
        .lines()
        .find(|l| l.contains("accuracies are at most 1"))
        .expect("the first check is printed");
    assert!(holds.contains("[holds]"), "{holds}");
    assert!(holds.contains("best_test(relu) 0."), "{holds}");
    assert!(holds.contains("final_train(layers) 0.") || holds.contains("final_train(layers) 1."));
    let fails = stdout
        .lines()
        .find(|l| l.contains("final_test(\"relu\") > 2"))
        .expect("the second check is printed, its claim the expression");
    assert!(fails.contains("does not hold"), "{fails}");
    assert!(fails.contains("— final_test(relu) 0."), "{fails}");
    assert!(fails.ends_with("> 2"), "{fails}");
}

/// Each mistake: what to replace in [`GOOD`], the line and key the message names, and words
/// it contains.
const MISTAKES: [(&str, &str, &str, &str); 10] = [
    (
        "eval_every = 10",
        "eval_every = 10\nlrr = 0.1",
        "mine.toml:4: `lrr`",
        "unknown field `lrr`",
    ),
    (
        "eval_every = 10",
        "eval_every = \"often\"",
        "mine.toml:3: `eval_every`",
        "invalid type: string \"often\", expected usize",
    ),
    (
        "hidden = [20]",
        "hidden = 20",
        "mine.toml:15: `hidden`",
        "expected a sequence",
    ),
    (
        "model = \"mlp\"",
        "model = \"resnet\"",
        "mine.toml:14: `runs[1].model`",
        "unknown model `resnet`; expected one of mlp",
    ),
    (
        "type = \"relu\"",
        "type = \"rellu\"",
        "mine.toml:23: `layers`",
        "unknown variant `rellu`, expected one of `affine`",
    ),
    (
        "best_test(\"relu\")",
        "best_test(\"relux\")",
        "mine.toml:29: `checks[1].expect`",
        "unknown run `relux`; the runs are \"relu\", \"layers\"",
    ),
    (
        "final_test(\"relu\") > 2",
        "final_test(\"relu\") 2",
        "mine.toml:32: `checks[2].expect`",
        "expected a comparison (<, >, <=, >=) at `2`",
    ),
    (
        "label = \"layers\"",
        "label = \"relu\"",
        "mine.toml:20: `runs[2].label`",
        "duplicate label `relu`",
    ),
    (
        "iterations = 20",
        "iterations = 20\nepochs = 2",
        "mine.toml:3: `epochs`",
        "expected `iterations` or `epochs`, not both",
    ),
    (
        "iterations = 20\n",
        "",
        "mine.toml: `iterations`",
        "expected `iterations = N`",
    ),
];

#[test]
fn a_mistake_names_the_file_the_line_the_key_and_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.toml");
    for (from, to, place, words) in MISTAKES {
        assert!(GOOD.contains(from), "{from}");
        std::fs::write(&file, GOOD.replacen(from, to, 1)).unwrap();
        let result = run(&["reproduce", file.to_str().unwrap()]);
        let stderr = text(&result.stderr);
        assert!(!result.status.success(), "{to}: accepted");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.contains(place),
            "{to}: expected {place} in: {stderr}"
        );
        assert!(
            stderr.contains(words),
            "{to}: expected {words} in: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn a_missing_file_is_named() {
    let result = run(&["reproduce", "no-such-experiment.toml"]);
    let stderr = text(&result.stderr);
    assert!(!result.status.success());
    assert!(
        stderr.contains("no-such-experiment.toml: cannot read it"),
        "{stderr}"
    );
}

#[test]
fn a_file_may_not_take_the_name_of_another_experiment_given() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.toml");
    std::fs::write(
        &file,
        GOOD.replace("name = \"mine\"", "name = \"batch-norm\""),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    for args in [[file, "batch-norm"], ["batch-norm", file]] {
        let result = run(&["reproduce", args[0], args[1]]);
        let stderr = text(&result.stderr);
        assert!(!result.status.success());
        assert!(stderr.contains("`batch-norm`"), "{stderr}");
        assert!(stderr.contains("results/batch-norm/"), "{stderr}");
    }
}
