//! A folder the user names (`LoadOptions::data_dir`, `$DL_DATA_DIR`) is used or refused, never
//! passed over: the repository's `datasets/mnist/` comes next on the search path, and before
//! this rule every fault below silently loaded MNIST from there instead.

use std::path::{Path, PathBuf};

use crate::common::{handmade, write, write_mnist_dir};
use dl_data::{DataError, DatasetName, SearchPath, load, load_dir, repository_data_dir};

/// A root named by the user, as `--data-dir` or `$DL_DATA_DIR` would name it, built in `tmp`;
/// `None` when the case cannot be made on this machine.
type Build = fn(&Path) -> Option<PathBuf>;

/// A root holding a valid hand-made `mnist/`, returned with that folder.
fn root_with_mnist(tmp: &Path) -> (PathBuf, PathBuf) {
    let root = tmp.join("root");
    let mnist = root.join("mnist");
    std::fs::create_dir_all(&mnist).unwrap();
    write_mnist_dir(&mnist, &[1, 2], &[3]);
    (root, mnist)
}

/// `mkfifo path`, false when the command is not available.
fn mkfifo(path: &Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

fn symlink(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// `(what, build, words the error must hold besides the path at fault)`.
fn cases() -> Vec<(&'static str, Build, &'static [&'static str])> {
    vec![
        (
            "a folder that does not exist",
            |tmp| Some(tmp.join("no-such-folder")),
            &["does not exist"],
        ),
        (
            "an empty folder",
            |tmp| {
                let root = tmp.join("empty");
                std::fs::create_dir(&root).unwrap();
                Some(root)
            },
            &["is empty"],
        ),
        (
            "a file instead of a folder",
            |tmp| Some(write(tmp, "a-file", b"not a folder")),
            &["a file, not a folder"],
        ),
        (
            "a folder without the dataset",
            |tmp| {
                let root = tmp.join("other");
                std::fs::create_dir(&root).unwrap();
                write(&root, "notes.txt", b"cifar only");
                Some(root)
            },
            &["mnist's files"],
        ),
        (
            "mnist/ a symlink loop",
            |tmp| {
                let root = tmp.join("root");
                std::fs::create_dir(&root).unwrap();
                symlink(&root.join("mnist"), &root.join("mnist"));
                Some(root)
            },
            &["mnist", "symbolic link that cannot be followed"],
        ),
        (
            "a folder where a data file should be",
            |tmp| {
                let (root, mnist) = root_with_mnist(tmp);
                std::fs::remove_file(mnist.join("train-images-idx3-ubyte.gz")).unwrap();
                std::fs::create_dir(mnist.join("train-images-idx3-ubyte")).unwrap();
                Some(root)
            },
            &["mnist/train-images-idx3-ubyte is a folder"],
        ),
        (
            "a FIFO where a data file should be",
            |tmp| {
                let (root, mnist) = root_with_mnist(tmp);
                std::fs::remove_file(mnist.join("t10k-images-idx3-ubyte")).unwrap();
                mkfifo(&mnist.join("t10k-images-idx3-ubyte")).then_some(root)
            },
            &["mnist/t10k-images-idx3-ubyte is a FIFO"],
        ),
        (
            "a symlink loop where a data file should be",
            |tmp| {
                let (root, mnist) = root_with_mnist(tmp);
                let p = mnist.join("train-labels-idx1-ubyte");
                std::fs::remove_file(&p).unwrap();
                symlink(&p, &p);
                Some(root)
            },
            &[
                "mnist/train-labels-idx1-ubyte is a symbolic link that cannot be followed",
                "symbolic links",
            ],
        ),
        (
            "a dangling symlink where a data file should be",
            |tmp| {
                let (root, mnist) = root_with_mnist(tmp);
                let p = mnist.join("train-labels-idx1-ubyte");
                std::fs::remove_file(&p).unwrap();
                symlink(&tmp.join("gone"), &p);
                Some(root)
            },
            &["mnist/train-labels-idx1-ubyte is a symbolic link that cannot be followed"],
        ),
        (
            "an unreadable file",
            |tmp| {
                use std::os::unix::fs::PermissionsExt;
                let (root, mnist) = root_with_mnist(tmp);
                let p = mnist.join("t10k-labels-idx1-ubyte.gz");
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
                // Root reads it all the same: the case cannot be made then.
                std::fs::File::open(&p).is_err().then_some(root)
            },
            &["mnist/t10k-labels-idx1-ubyte.gz is a file that cannot be read"],
        ),
        (
            "a missing file",
            |tmp| {
                let (root, mnist) = root_with_mnist(tmp);
                std::fs::remove_file(mnist.join("t10k-labels-idx1-ubyte.gz")).unwrap();
                Some(root)
            },
            &["mnist/t10k-labels-idx1-ubyte (or t10k-labels-idx1-ubyte.gz) is missing"],
        ),
    ]
}

fn check(err: &DataError, what: &str, how: &str, named: &Path, words: &[&str]) {
    let DataError::UnusableDataDir { dir, named_by, .. } = err else {
        panic!("{what} ({how}): expected UnusableDataDir, got {err}");
    };
    assert_eq!(dir, named, "{what} ({how})");
    let text = err.to_string();
    for w in [
        &named.display().to_string(),
        named_by.as_str(),
        "never passed over",
    ]
    .into_iter()
    .chain(words.iter().copied())
    {
        assert!(
            text.contains(w),
            "{what} ({how}): `{w}` missing from: {text}"
        );
    }
}

#[test]
fn a_named_folder_is_used_or_refused_never_passed_over() {
    // The next place on the standard search path holds MNIST: falling through would load it.
    assert!(
        SearchPath::empty()
            .with_root(repository_data_dir())
            .locate(DatasetName::Mnist)
            .is_ok()
    );
    for (what, build, words) in cases() {
        let tmp = tempfile::tempdir().unwrap();
        let Some(named) = build(tmp.path()) else {
            eprintln!("{what}: cannot be made on this machine, skipped");
            continue;
        };

        // As LoadOptions::data_dir (the CLI's --data-dir), through `load`.
        let err = load(DatasetName::Mnist, &handmade().data_dir(&named)).unwrap_err();
        check(&err, what, "data_dir", &named, words);
        assert!(err.to_string().contains("the data folder given"), "{err}");

        // As $DL_DATA_DIR (passed explicitly: tests do not change the process environment).
        let err = SearchPath::standard_with_env(None, Some(&named))
            .locate(DatasetName::Mnist)
            .unwrap_err();
        check(&err, what, "$DL_DATA_DIR", &named, words);
        assert!(err.to_string().contains("$DL_DATA_DIR"), "{err}");
    }
}

#[test]
fn a_named_folder_that_holds_the_dataset_is_used_as_the_dataset_folder_or_its_root() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, mnist) = root_with_mnist(tmp.path());
    for named in [&root, &mnist] {
        let s = load(DatasetName::Mnist, &handmade().data_dir(named)).unwrap();
        assert_eq!(s.dir, mnist);
    }
    let env = SearchPath::standard_with_env(None, Some(&root));
    assert_eq!(env.locate(DatasetName::Mnist).unwrap(), mnist);
    // CIFAR-10's archive folder inside a named root is found too.
    let sub = root.join("cifar10").join("cifar-10-batches-bin");
    std::fs::create_dir_all(&sub).unwrap();
    for (f, name) in crate::common::CIFAR_FILES.iter().enumerate() {
        write(&sub, name, &crate::common::cifar_file(f, 1));
    }
    let env = SearchPath::standard_with_env(None, Some(&root));
    assert_eq!(env.locate(DatasetName::Cifar10).unwrap(), sub);
}

#[test]
fn load_dir_refuses_what_is_not_a_readable_file_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    write_mnist_dir(tmp.path(), &[1], &[2]);
    // A folder under the raw name: the .gz beside it is not taken instead.
    let raw = tmp.path().join("train-images-idx3-ubyte");
    std::fs::create_dir(&raw).unwrap();
    let err = load_dir(DatasetName::Mnist, tmp.path(), &handmade()).unwrap_err();
    match &err {
        DataError::NotAFile { path, found } => {
            assert_eq!(path, &raw);
            assert_eq!(found, "a folder");
        }
        other => panic!("expected NotAFile, got {other}"),
    }
    assert!(
        err.to_string().contains(&raw.display().to_string()),
        "{err}"
    );

    // A FIFO is refused without being opened (opening it would wait for a writer).
    std::fs::remove_dir(&raw).unwrap();
    let fifo = tmp.path().join("t10k-labels-idx1-ubyte");
    std::fs::remove_file(tmp.path().join("t10k-labels-idx1-ubyte.gz")).unwrap();
    if mkfifo(&fifo) {
        let err = load_dir(DatasetName::Mnist, tmp.path(), &handmade()).unwrap_err();
        assert!(
            matches!(&err, DataError::NotAFile { path, found } if path == &fifo && found.contains("FIFO")),
            "{err}"
        );
    }
}
