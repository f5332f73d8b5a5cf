//! `fetch` through the real `curl`, served from `file://` folders and a closed loopback port:
//! a good mirror yields verified files and `SHA256SUMS`, a bad file or an unreachable host is
//! named in the error and leaves nothing half-downloaded. Nothing here leaves the machine.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::common::{idx_u8, run, text};

fn repository_mnist() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../datasets/mnist")
}

fn file_url(dir: &Path) -> String {
    format!("file://{}/", dir.canonicalize().unwrap().display())
}

fn fetch(mirror: &str, data_dir: &Path) -> std::process::Output {
    run(&[
        "fetch",
        "mnist",
        "--mirror",
        mirror,
        "--data-dir",
        data_dir.to_str().unwrap(),
    ])
}

/// The files left in `dir` whose names start with a dot or end in `.part`.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with('.') || n.ends_with(".part"))
                .collect()
        })
        .unwrap_or_default()
}

fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(|l| l.trim().to_string()).collect();
    lines.sort();
    lines
}

#[test]
fn mnist_from_a_mirror_is_verified_and_listed_then_kept() {
    let root = tempfile::tempdir().unwrap();
    let out = fetch(&file_url(&repository_mnist()), root.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert_eq!(said.matches("checksum verified").count(), 4, "{said}");

    let dir = root.path().join("mnist");
    for f in ["train-images", "train-labels", "t10k-images", "t10k-labels"] {
        let name = format!(
            "{f}-idx{}-ubyte.gz",
            if f.ends_with("images") { 3 } else { 1 }
        );
        let fetched = std::fs::read(dir.join(&name)).unwrap();
        assert_eq!(
            fetched,
            std::fs::read(repository_mnist().join(&name)).unwrap()
        );
    }
    let written = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    let shipped = std::fs::read_to_string(repository_mnist().join("SHA256SUMS")).unwrap();
    assert_eq!(sorted_lines(&written), sorted_lines(&shipped));
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));

    // A second fetch finds everything in place and downloads nothing.
    let again = fetch("http://127.0.0.1:9/", root.path());
    assert!(again.status.success(), "{}", text(&again.stderr));
    let said = text(&again.stdout);
    assert_eq!(said.matches("already present").count(), 4, "{said}");
    assert!(!said.contains("downloading"), "{said}");
}

#[test]
fn a_file_with_the_wrong_content_is_refused_and_removed() {
    let root = tempfile::tempdir().unwrap();
    let mirror = root.path().join("mirror");
    std::fs::create_dir(&mirror).unwrap();
    // A valid gzip of a valid IDX file, but not MNIST's training images.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&idx_u8(&[1, 28, 28], &[0; 784])).unwrap();
    std::fs::write(
        mirror.join("train-images-idx3-ubyte.gz"),
        gz.finish().unwrap(),
    )
    .unwrap();

    let data = root.path().join("data");
    let out = fetch(&file_url(&mirror), &data);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for word in ["train-images-idx3-ubyte.gz", "SHA-256", "expected ba891046"] {
        assert!(err.contains(word), "`{word}` missing from: {err}");
    }
    let dir = data.join("mnist");
    assert!(!dir.join("train-images-idx3-ubyte.gz").exists());
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
}

#[test]
fn an_unreachable_host_is_named_with_what_to_do_offline() {
    let root = tempfile::tempdir().unwrap();
    // Port 9 on loopback: nothing listens, so curl fails at once without leaving the machine.
    let out = fetch("http://127.0.0.1:9/", root.path());
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for word in [
        "could not fetch train-images-idx3-ubyte.gz",
        "http://127.0.0.1:9/train-images-idx3-ubyte.gz",
        "offline",
        "by hand",
    ] {
        assert!(err.contains(word), "`{word}` missing from: {err}");
    }
    assert!(leftovers(&root.path().join("mnist")).is_empty());
}

#[test]
fn an_unknown_or_missing_dataset_name_is_refused() {
    let out = run(&["fetch", "svhn"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("svhn") && err.contains("fashion-mnist"),
        "{err}"
    );

    let out = run(&["fetch"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("expected a dataset"), "{err}");
}
