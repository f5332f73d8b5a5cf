//! The command line: every kind of bad input ends with one clear line
//! naming the value and what was expected (never a panic), and `list` names every experiment.

use std::process::Output;

use crate::common::{idx_u8, run as xtask, text};

fn stderr(out: &Output) -> String {
    text(&out.stderr)
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
    // A file where `--out` wants a folder, and a folder that another process writes (this one:
    // it holds the lock and wrote its pid, as a running `reproduce` does).
    let a_file = dir.path().join("a-file");
    std::fs::write(&a_file, b"x").unwrap();
    let below_file = a_file.join("results");
    let (a_file, below_file) = (a_file.to_str().unwrap(), below_file.to_str().unwrap());
    let busy = dir.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    let lock = std::fs::File::create(busy.join(".reproduce.lock.tmp")).unwrap();
    lock.try_lock().unwrap();
    std::fs::write(
        busy.join(".reproduce.lock.tmp"),
        format!("{}\n", std::process::id()),
    )
    .unwrap();
    let theirs = busy.join(format!(".curves.csv.{}.tmp", std::process::id()));
    std::fs::write(&theirs, b"").unwrap();
    let busy = busy.to_str().unwrap();
    let holder = format!("process {}", std::process::id());
    let quick = ["reproduce", "gradient-vanishing", "--quick", "--out"];

    let cases: Vec<(Vec<&str>, Vec<&str>, i32)> = vec![
        (
            vec!["reproduce", "no-such-thing"],
            vec!["unknown experiment", "no-such-thing", "gradient-vanishing"],
            1,
        ),
        (vec!["reproduce"], vec!["experiment", "all"], 1),
        (
            vec!["reproduce", "gradient-vanishing", "--threads", "0"],
            vec!["--threads", "expected 1 to", "got 0"],
            1,
        ),
        (
            vec!["reproduce", "gradient-vanishing", "--threads", "100000"],
            vec!["--threads", "expected 1 to", "per core", "got 100000"],
            1,
        ),
        (
            vec!["bench", "mlp-sigmoid", "--threads", "1", "100000"],
            vec!["--threads", "per core", "got 100000"],
            1,
        ),
        (
            vec!["reproduce", "gradient-vanishing", "--seed", "-1"],
            vec!["--seed", "-1", "unsigned", "0 to 18446744073709551615"],
            2,
        ),
        (
            vec![
                "reproduce",
                "gradient-vanishing",
                "--seed",
                "18446744073709551616",
            ],
            vec!["--seed", "unsigned", "0 to 18446744073709551615"],
            2,
        ),
        (
            [&quick[..], &[a_file]].concat(),
            vec![
                "--out",
                a_file,
                "expected a folder, found a file",
                "choose another",
            ],
            1,
        ),
        (
            [&quick[..], &[below_file]].concat(),
            vec![
                "--out",
                below_file,
                "is a file, not a folder",
                "choose another",
            ],
            1,
        ),
        (
            [&quick[..], &[busy]].concat(),
            vec![
                "--out",
                busy,
                &holder,
                "is writing results there",
                "choose another",
            ],
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
                "--allow-noncanonical-data",
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
        assert_eq!(
            err.matches("error:").count(),
            1,
            "{args:?}: one line: {err}"
        );
    }
    assert!(
        theirs.exists(),
        "a refused run removed the running one's temporary file"
    );
    drop(lock);
}

/// A bad value in one of the library's environment variables stops every command with one line
/// naming the variable, the value and what was expected.
#[test]
fn bad_environment_settings_are_named() {
    let cases = [
        ("DL_NUM_THREADS", "0", "positive number of threads"),
        ("DL_FEWER_THREADS_WHEN_BUSY", "yes", "expected 1"),
    ];
    for (var, value, expected) in cases {
        let out = crate::common::xtask()
            .args(["list"])
            .env(var, value)
            .output()
            .expect("the xtask binary runs");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{var}={value}: {err}");
        assert!(!err.contains("panicked"), "{var}={value} panicked: {err}");
        for w in [var, value, expected] {
            assert!(err.contains(w), "{var}={value}: `{w}` missing from: {err}");
        }
        assert_eq!(err.lines().count(), 1, "{var}={value}: one line: {err}");
    }
}

/// Each kind of bad data file, put in place of one file of an otherwise valid tiny MNIST, gets
/// an error naming that file and the fault, through the command a user runs.
#[test]
fn every_kind_of_bad_data_file_is_named_with_its_fault() {
    let image = [7u8; 28 * 28];
    let valid = [
        (
            "train-images-idx3-ubyte",
            idx_u8(&[2, 28, 28], &image.repeat(2)),
        ),
        ("train-labels-idx1-ubyte", idx_u8(&[2], &[3, 4])),
        ("t10k-images-idx3-ubyte", idx_u8(&[1, 28, 28], &image)),
        ("t10k-labels-idx1-ubyte", idx_u8(&[1], &[5])),
    ];
    let images = "train-images-idx3-ubyte";
    let labels = "train-labels-idx1-ubyte";
    let max = u32::MAX;
    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        ("empty file", images, vec![], "empty"),
        (
            "truncated header",
            images,
            vec![0, 0, 8, 3, 0, 0],
            "truncated",
        ),
        (
            "truncated data",
            images,
            idx_u8(&[2, 28, 28], &image),
            "truncated",
        ),
        (
            "wrong magic",
            images,
            vec![1, 2, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28],
            "magic",
        ),
        (
            "dimensions overflow",
            images,
            idx_u8(&[max, max, max], &[]),
            "overflow",
        ),
        (
            "dimensions exceed the file",
            images,
            idx_u8(&[2, 28, 28], &[1, 2, 3]),
            "truncated",
        ),
        (
            "label out of range",
            labels,
            idx_u8(&[2], &[3, 12]),
            "label 12",
        ),
        ("counts differ", labels, idx_u8(&[3], &[1, 2, 3]), "labels"),
        (
            "corrupt gzip",
            labels,
            vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef],
            "gzip",
        ),
    ];
    for (what, broken, bytes, fault) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mnist = dir.path().join("mnist");
        std::fs::create_dir_all(&mnist).unwrap();
        for (name, content) in &valid {
            let content = if *name == broken { &bytes } else { content };
            std::fs::write(mnist.join(name), content).unwrap();
        }
        let out = xtask(&[
            "reproduce",
            "gradient-vanishing",
            "--quick",
            "--allow-noncanonical-data",
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--out",
            dir.path().join("out").to_str().unwrap(),
        ]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{what}: {err}");
        assert!(!err.contains("panicked"), "{what} panicked: {err}");
        assert!(
            err.contains(broken),
            "{what}: `{broken}` missing from: {err}"
        );
        assert!(err.contains(fault), "{what}: `{fault}` missing from: {err}");
    }
}

/// `bench` prints one parseable line per step and thread count, with a positive median.
#[test]
fn bench_prints_one_line_per_step_and_thread_count() {
    let out = xtask(&["bench", "mlp-sigmoid", "--threads", "1", "2", "--reps", "3"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = text(&out.stdout);
    let lines: Vec<&str> = said.lines().filter(|l| l.starts_with("step=")).collect();
    assert_eq!(lines.len(), 2, "{said}");
    for (line, threads) in lines.iter().zip(["1", "2"]) {
        let field = |key: &str| {
            line.split_whitespace()
                .find_map(|f| f.strip_prefix(key))
                .unwrap_or_else(|| panic!("`{key}` missing from {line}"))
                .to_string()
        };
        assert_eq!(field("step="), "mlp-sigmoid");
        assert_eq!(field("threads="), threads);
        let ms: f64 = field("ms=").parse().unwrap();
        assert!(ms > 0.0 && ms.is_finite(), "{line}");
    }

    // With a competing process spinning meanwhile, said on a comment line.
    let out = xtask(&[
        "bench",
        "mlp-sigmoid",
        "--threads",
        "2",
        "--reps",
        "2",
        "--busy",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = text(&out.stdout);
    assert!(said.contains("# busy: 1 competing process(es)"), "{said}");
    assert_eq!(said.lines().filter(|l| l.starts_with("step=")).count(), 1);

    let out = xtask(&["bench", "resnet"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("unknown step `resnet`"),
        "{}",
        stderr(&out)
    );
}
