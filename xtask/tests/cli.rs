//! The command line as a user meets it: every kind of bad input ends with one clear line
//! naming the value and what was expected (never a panic), and `list` names every experiment.

use std::process::{Command, Output};

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env_remove("CARGO")
        .output()
        .expect("the xtask binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn list_names_every_experiment() {
    let out = xtask(&["list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for name in [
        "gradient-vanishing",
        "batch-norm",
        "optimizers",
        "overfitting",
        "deep-conv-net",
        "alexnet",
    ] {
        assert!(text.contains(name), "`{name}` missing from:\n{text}");
    }
}

/// `(arguments, words the error must contain, expected exit code)`.
#[test]
fn bad_input_gets_a_clear_error_and_no_backtrace() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out_dir = out_dir.to_str().unwrap();
    // A data folder whose MNIST training images are cut short.
    let data = dir.path().join("data").join("mnist");
    std::fs::create_dir_all(&data).unwrap();
    for f in [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ] {
        let bytes: &[u8] = if f == "train-images-idx3-ubyte" {
            &[
                0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3,
            ]
        } else if f.contains("labels") {
            &[0, 0, 8, 1, 0, 0, 0, 1, 7]
        } else {
            &[0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28]
        };
        std::fs::write(data.join(f), bytes).unwrap();
    }
    let data_dir = dir.path().join("data");
    let data_dir = data_dir.to_str().unwrap();

    let cases: Vec<(Vec<&str>, Vec<&str>, i32)> = vec![
        (
            vec!["reproduce", "no-such-thing"],
            vec!["unknown experiment", "no-such-thing", "gradient-vanishing"],
            1,
        ),
        (vec!["reproduce"], vec!["experiment", "all"], 1),
        (
            vec!["reproduce", "gradient-vanishing", "--threads", "0"],
            vec!["--threads", "at least 1"],
            1,
        ),
        (
            vec!["reproduce", "gradient-vanishing", "--threads", "two"],
            vec!["--threads", "two"],
            2,
        ),
        (
            vec!["reproduce", "gradient-vanishing", "--dataset", "svhn"],
            vec!["--dataset", "svhn", "fashion-mnist"],
            1,
        ),
        (
            vec!["reproduce", "gradient-vanishing", "--bogus"],
            vec!["--bogus"],
            2,
        ),
        (vec!["frobnicate"], vec!["frobnicate"], 2),
        (
            vec![
                "reproduce",
                "gradient-vanishing",
                "--quick",
                "--data-dir",
                data_dir,
                "--out",
                out_dir,
            ],
            vec!["train-images-idx3-ubyte"],
            1,
        ),
    ];
    for (args, words, code) in cases {
        let out = xtask(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
        for w in words {
            assert!(err.contains(w), "{args:?}: `{w}` missing from: {err}");
        }
    }
}
