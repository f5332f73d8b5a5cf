//! Short real runs of `reproduce`: the same seed gives byte-identical curves whatever the thread
//! count, a diverging run stops with a message saying where, a killed or stopped run leaves the
//! earlier result or the new one whole, and output that cannot be written is named.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use crate::common::{run, text, tiny_mnist, write_tiny_mnist, xtask};

/// `reproduce gradient-vanishing --quick --iterations 12 --threads <t>` on `data`, which must
/// succeed; returns the bytes of its `curves.csv`.
fn curves(data: &str, threads: &str, out: &Path) -> Vec<u8> {
    let args = [
        "reproduce",
        "gradient-vanishing",
        "--quick",
        "--iterations",
        "12",
        "--threads",
        threads,
        "--allow-noncanonical-data",
        "--data-dir",
        data,
        "--out",
        out.to_str().unwrap(),
    ];
    // On the threads asked for, also while other tests keep the cores busy.
    let result = xtask()
        .args(args)
        .env("DL_FEWER_THREADS_WHEN_BUSY", "0")
        .output()
        .expect("the xtask binary runs");
    assert!(
        result.status.success(),
        "{args:?} failed: {}",
        text(&result.stderr)
    );
    std::fs::read(out.join("gradient-vanishing/curves.csv")).expect("curves.csv written")
}

/// The 784-40-20-10 products (100×784×40 and larger) are split over both threads, so this
/// compares a parallel run with a serial one.
#[test]
fn same_seed_gives_byte_identical_curves_on_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_mnist(dir.path());
    let one = curves(&data, "1", &dir.path().join("t1"));
    let two = curves(&data, "2", &dir.path().join("t2"));
    let rows = text(&one).lines().count();
    assert!(rows > 7, "curves.csv has {rows} lines");
    assert!(one == two, "1 and 2 threads differ");
}

#[test]
fn an_absurd_learning_rate_stops_training_with_a_message_saying_where() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_mnist(dir.path());
    let out = dir.path().join("out");
    let result = run(&[
        "reproduce",
        "gradient-vanishing",
        "--quick",
        "--iterations",
        "50",
        "--learning-rate",
        "1e30",
        "--allow-noncanonical-data",
        "--data-dir",
        &data,
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = text(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for word in ["diverged", "gradient-vanishing", "run `", "iteration"] {
        assert!(err.contains(word), "`{word}` missing from: {err}");
    }
}

#[test]
fn an_invalid_learning_rate_or_iteration_count_is_refused() {
    for (flag, value) in [
        ("--learning-rate", "-1"),
        ("--learning-rate", "nan"),
        ("--iterations", "0"),
    ] {
        let result = run(&["reproduce", "gradient-vanishing", flag, value]);
        let err = text(&result.stderr);
        assert_eq!(result.status.code(), Some(1), "{flag} {value}: {err}");
        assert!(err.contains(flag), "{flag} {value}: {err}");
    }
}

#[test]
fn an_unwritable_output_folder_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where a folder is needed: no folder can be created beneath it, even as root.
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, b"x").unwrap();
    let out = blocker.join("results");
    let result = run(&[
        "reproduce",
        "gradient-vanishing",
        "--quick",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = text(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{err}");
    assert!(err.contains("not-a-folder"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Checks that a file the run wrote is whole: CSV rows complete, JSON parses, PNG ends with IEND,
/// SVG closes its root element.
fn assert_complete(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    let name = path.display();
    match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => {
            let csv = text(&bytes);
            assert!(csv.ends_with('\n'), "{name} ends mid-line");
            for line in csv.lines() {
                assert_eq!(line.split(',').count(), 6, "{name}: short row `{line}`");
            }
        }
        Some("json") => {
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .unwrap_or_else(|e| panic!("{name} is not whole JSON: {e}"));
        }
        Some("png") => assert!(bytes.ends_with(&[0xae, 0x42, 0x60, 0x82]), "{name} cut"),
        Some("svg") => assert!(text(&bytes).trim_end().ends_with("</svg>"), "{name} cut"),
        _ => {}
    }
}

/// The files of a folder by name (hidden ones left out), with their bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .filter(|(name, _)| !name.starts_with('.'))
        .map(|(name, path)| (name, std::fs::read(path).unwrap()))
        .collect()
}

/// Checks that `dir` holds one whole run of an experiment: every file complete, and curves,
/// summary and figures describing the same runs.
fn assert_one_whole_run(dir: &Path) {
    let files = snapshot(dir);
    for name in files.keys() {
        assert_complete(&dir.join(name));
    }
    let summary: serde_json::Value = serde_json::from_slice(&files["summary.json"]).unwrap();
    let runs: Vec<String> = summary["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["label"].as_str().unwrap().replace(',', ";"))
        .collect();
    let curves = text(&files["curves.csv"]);
    let mut in_curves: Vec<&str> = curves
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    in_curves.dedup();
    assert_eq!(
        in_curves, runs,
        "curves.csv and summary.json describe different runs"
    );
    let figures = summary["figures"].as_array().unwrap();
    assert_eq!(files.len(), 2 + 2 * figures.len(), "{:?}", files.keys());
    for figure in figures {
        let png = figure.as_str().unwrap();
        assert!(files.contains_key(png), "{png} missing");
        assert!(
            files.contains_key(&png.replace(".png", ".svg")),
            "{png}'s svg missing"
        );
    }
}

/// `reproduce gradient-vanishing --quick --iterations <n>` on `data` into `out`.
fn reproduce_args<'a>(data: &'a str, out: &'a Path, iterations: &'a str) -> Vec<&'a str> {
    vec![
        "reproduce",
        "gradient-vanishing",
        "--quick",
        "--iterations",
        iterations,
        "--allow-noncanonical-data",
        "--data-dir",
        data,
        "--out",
        out.to_str().unwrap(),
    ]
}

/// Killed at several moments (starting, training, writing) over a complete earlier result, a
/// run leaves the experiment's folder as that earlier result or as its own, whole, never a
/// mixture; a later run clears what the killed ones left.
#[test]
fn a_killed_run_leaves_the_earlier_result_or_the_new_one_whole() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_mnist(dir.path());
    let out = dir.path().join("out");
    let experiment = out.join("gradient-vanishing");
    let earlier = run(&reproduce_args(&data, &out, "3"));
    assert!(earlier.status.success(), "{}", text(&earlier.stderr));
    let mut before = snapshot(&experiment);
    let earlier_lines = text(&before["curves.csv"]).lines().count();
    for delay_ms in [150, 800, 1600, 2200, 2600, 3200] {
        let mut child = xtask()
            .args(reproduce_args(&data, &out, "60"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the xtask binary starts");
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        child.wait().unwrap();
        let now = snapshot(&experiment);
        if now != before {
            assert_one_whole_run(&experiment);
            // A new result is one of the 60-iteration runs (a later one may replace an
            // earlier one of those on a slow machine), never the 3-iteration one altered.
            assert!(text(&now["curves.csv"]).lines().count() > earlier_lines);
            before = now;
        }
    }
    let finished = run(&reproduce_args(&data, &out, "2"));
    assert!(finished.status.success(), "{}", text(&finished.stderr));
    assert_one_whole_run(&experiment);
    let mut left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [".reproduce.lock.tmp", "gradient-vanishing"],
        "left behind"
    );
}

/// SIGINT and SIGTERM after the first run stop the command with one line naming the run that
/// was stopped and the file holding the finished ones; the earlier result stays as it was.
#[cfg(unix)]
#[test]
fn a_stopped_run_says_what_it_stopped_and_keeps_the_earlier_result() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_mnist(dir.path());
    let out = dir.path().join("out");
    let experiment = out.join("gradient-vanishing");
    let earlier = run(&reproduce_args(&data, &out, "3"));
    assert!(earlier.status.success(), "{}", text(&earlier.stderr));
    let before = snapshot(&experiment);
    // (signal, exit code, words of the line)
    let cases = [
        (
            "INT",
            130,
            ["stopped by SIGINT during run `", "of gradient-vanishing"],
        ),
        (
            "TERM",
            143,
            ["stopped by SIGTERM during run `", "of gradient-vanishing"],
        ),
    ];
    for (signal, code, words) in cases {
        let child = xtask()
            .args(reproduce_args(&data, &out, "150"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the xtask binary starts");
        let staging = out.join(format!(".gradient-vanishing.staging-{}.tmp", child.id()));
        let partial = staging.join("curves.partial.csv");
        let waited = std::time::Instant::now();
        while !partial.exists() && waited.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let sent = std::process::Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let result = child.wait_with_output().unwrap();
        let err = text(&result.stderr);
        assert_eq!(result.status.code(), Some(code), "SIG{signal}: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        let file = partial.display().to_string();
        let unchanged = format!("{} is unchanged", experiment.display());
        for w in words
            .iter()
            .copied()
            .chain(["finished run(s) are in", &file, &unchanged])
        {
            assert!(err.contains(w), "SIG{signal}: `{w}` missing from: {err}");
        }
        assert_complete(&partial);
        assert!(
            snapshot(&experiment) == before,
            "SIG{signal} changed the earlier result"
        );
    }
}

/// A file the system refuses to grow (here by `ulimit -f`, as a full disk would) is named with
/// the experiment's folder, and no temporary file is left behind.
#[cfg(unix)]
#[test]
fn a_write_refused_by_the_system_names_the_file_and_leaves_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_mnist(dir.path());
    let out = dir.path().join("out");
    // (file-size limit in 512-byte blocks, words of the message)
    let cases = [(2, "File too large"), (40, "File too large")];
    for (blocks, reason) in cases {
        let script = format!("trap '' XFSZ; ulimit -f {blocks}; exec \"$0\" \"$@\"");
        let result = std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(env!("CARGO_BIN_EXE_xtask"))
            .args(reproduce_args(&data, &out, "3"))
            .env_remove("CARGO")
            .output()
            .unwrap();
        let err = text(&result.stderr);
        assert_eq!(result.status.code(), Some(1), "{blocks} blocks: {err}");
        let folder = format!(" in {}: ", out.join("gradient-vanishing").display());
        for w in ["error: cannot write ", &folder, reason] {
            assert!(
                err.contains(w),
                "{blocks} blocks: `{w}` missing from: {err}"
            );
        }
        assert!(!err.contains("staging"), "{err}");
        let named = err.split("cannot write ").nth(1).unwrap_or_default();
        assert!(!named.starts_with('.'), "a temporary file is named: {err}");
        let mut stack = vec![out.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(d).unwrap().flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                assert!(
                    name == ".reproduce.lock.tmp"
                        || name.starts_with(".gradient-vanishing.staging-")
                        || !name.starts_with('.'),
                    "left behind: {name}"
                );
                if e.path().is_dir() {
                    stack.push(e.path());
                }
            }
        }
        assert!(
            !out.join("gradient-vanishing").exists(),
            "{blocks} blocks: a partial result was published"
        );
    }
}

/// Non-UTF-8 `--out` and `--data-dir` are used as given; summary.json records them lossily,
/// and a warning says so.
#[cfg(unix)]
#[test]
fn non_utf8_paths_are_used_as_given_and_recorded_lossily() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join(OsStr::from_bytes(b"data-\xff"));
    write_tiny_mnist(&data);
    let out = dir.path().join(OsStr::from_bytes(b"out-\xfe"));
    let result = xtask()
        .args([
            "reproduce",
            "gradient-vanishing",
            "--quick",
            "--iterations",
            "2",
        ])
        .arg("--allow-noncanonical-data")
        .arg("--data-dir")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let err = text(&result.stderr);
    assert_eq!(result.status.code(), Some(0), "{err}");
    // (flag, how the summary records it)
    let cases = [
        ("--out", "<outside the repository>/out-\u{fffd}"),
        ("--data-dir", "<outside the repository>/data-\u{fffd}"),
    ];
    let summary = std::fs::read_to_string(out.join("gradient-vanishing/summary.json")).unwrap();
    for (flag, recorded) in cases {
        let line = err
            .lines()
            .find(|l| l.starts_with(&format!("warning: {flag} ")))
            .unwrap_or_else(|| panic!("no {flag} warning: {err}"));
        for w in ["is not valid UTF-8", "summary.json records it as", recorded] {
            assert!(line.contains(w), "`{w}` missing from: {line}");
        }
        assert!(summary.contains(recorded), "{recorded} not in the summary");
    }
}

/// `reproduce batch-norm` in full, on the repository's MNIST, writes exactly the committed
/// `results/batch-norm/curves.csv` (the rows of its first seed, when it holds many): the
/// library's Trainer, presets and layers give the curves the committed results were made with
/// (regenerate those when a numeric change is meant).
#[test]
fn a_full_run_reproduces_the_committed_curves() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = tempfile::tempdir().unwrap();
    let datasets = root.join("datasets");
    let committed = std::fs::read_to_string(root.join("results/batch-norm/curves.csv")).unwrap();
    let header = committed.lines().next().unwrap_or_default();
    let seed_of = |row: &str| row.split(',').nth(1).unwrap_or_default().to_string();
    let (seeds, expected) = if header.starts_with("run,seed,") {
        let seed = seed_of(committed.lines().nth(1).unwrap_or_default());
        let rows: Vec<&str> = committed
            .lines()
            .skip(1)
            .filter(|row| seed_of(row) == seed)
            .collect();
        (
            Some(format!("{seed}-{seed}")),
            format!("{header}\n{}\n", rows.join("\n")),
        )
    } else {
        (None, committed.clone())
    };
    let mut args = vec![
        "reproduce",
        "batch-norm",
        "--data-dir",
        datasets.to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ];
    if let Some(seeds) = &seeds {
        args.extend(["--seeds", seeds.as_str()]);
    }
    let result = run(&args);
    assert!(
        result.status.success(),
        "{args:?} failed: {}",
        text(&result.stderr)
    );
    let ours = std::fs::read_to_string(out.path().join("batch-norm/curves.csv")).unwrap();
    assert!(
        ours == expected,
        "curves differ from results/batch-norm/curves.csv"
    );
}

/// A run on a data folder in a temporary directory, written to another: its summary names the
/// data by data set, place and SHA-256 of each file, never by an absolute path of this
/// machine, and the `data:` line is printed once.
#[test]
fn a_summary_holds_no_absolute_path_and_the_data_line_is_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_mnist(dir.path());
    let out = dir.path().join("out");
    let result = run(&[
        "reproduce",
        "gradient-vanishing",
        "--quick",
        "--iterations",
        "3",
        "--allow-noncanonical-data",
        "--data-dir",
        &data,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(result.status.success(), "{}", text(&result.stderr));
    let stdout = text(&result.stdout);
    assert_eq!(stdout.matches("data: ").count(), 1, "{stdout}");
    let summary = std::fs::read_to_string(out.join("gradient-vanishing/summary.json")).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    for absolute in [dir.path(), root] {
        let absolute = absolute.to_str().unwrap();
        assert!(!summary.contains(absolute), "{absolute} in {summary}");
    }
    let json: serde_json::Value = serde_json::from_str(&summary).unwrap();
    let record = &json["data"];
    assert_eq!(record["dataset"], "mnist");
    assert_eq!(record["from"], "<outside the repository>/mnist");
    let digests = record["sha256"].as_object().unwrap();
    assert_eq!(digests.len(), 4, "{record}");
    assert!(digests.values().all(|d| d.as_str().unwrap().len() == 64));
}

/// A hand-made folder in MNIST's format is not MNIST: without `--allow-noncanonical-data` it is
/// refused, naming the file, the published digest and the flag.
#[test]
fn hand_made_data_needs_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_mnist(dir.path());
    let result = run(&[
        "reproduce",
        "gradient-vanishing",
        "--quick",
        "--data-dir",
        &data,
        "--out",
        dir.path().join("out").to_str().unwrap(),
    ]);
    assert_eq!(result.status.code(), Some(1));
    let err = text(&result.stderr);
    for words in ["-idx", "not MNIST's published", "--allow-noncanonical-data"] {
        assert!(err.contains(words), "`{words}` missing from: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}
