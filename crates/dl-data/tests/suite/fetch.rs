//! `fetch` with fake downloaders that copy local files: mirrors, verification, archives.
//! Nothing here touches the network.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::{CIFAR_FILES, cifar_file, gzip, handmade, make_tar, write_mnist_dir};
use dl_data::{
    Checksums, DataError, DatasetName, DigestOf, Downloader, FetchEvent, LoadOptions, Source,
    fetch, fetch_sources, load_dir, repository_data_dir, sha256_hex, sources,
};

/// A downloader serving `files` (URL → bytes) and recording what fetch tells it.
struct Fake {
    files: BTreeMap<String, Vec<u8>>,
    events: Vec<FetchEvent>,
    requested: Vec<String>,
}

impl Downloader for Fake {
    fn download(&mut self, url: &str, dest: &Path) -> Result<(), String> {
        self.requested.push(url.to_string());
        let bytes = self.files.get(url).ok_or("HTTP 404")?;
        std::fs::write(dest, bytes).map_err(|e| e.to_string())
    }

    fn event(&mut self, event: &FetchEvent) {
        self.events.push(event.clone());
    }
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn refuse(url: &str, _: &Path) -> Result<(), String> {
    panic!("nothing should be downloaded, but {url} was asked for")
}

#[test]
fn the_repositorys_mnist_verifies_against_the_built_in_sources() {
    // The hard-coded checksums must match datasets/mnist/SHA256SUMS and the files themselves.
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("mnist");
    std::fs::create_dir(&dir).unwrap();
    let src = repository_data_dir().join("mnist");
    for s in sources(DatasetName::Mnist) {
        std::fs::copy(src.join(s.file), dir.join(s.file)).unwrap();
    }
    let got = fetch(DatasetName::Mnist, root.path(), &mut refuse).unwrap();
    assert_eq!(got, dir);
    let written = Checksums::load(&dir).unwrap().unwrap();
    let shipped = Checksums::load(&src).unwrap().unwrap();
    assert_eq!(written.len(), 4);
    for f in dl_data::IDX_FILES {
        assert_eq!(written.get(f), shipped.get(f), "{f}");
    }
}

#[test]
fn installed_fashion_mnist_verifies_against_the_built_in_sources() {
    let system = Path::new("/usr/share/datasets/fashion-mnist");
    if !system.is_dir() {
        eprintln!("Fashion-MNIST not installed: skipped");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("fashion-mnist");
    std::fs::create_dir(&dir).unwrap();
    for s in sources(DatasetName::FashionMnist) {
        std::fs::copy(system.join(s.file), dir.join(s.file)).unwrap();
    }
    fetch(DatasetName::FashionMnist, root.path(), &mut refuse).unwrap();
}

/// Synthetic IDX sources served from three mirrors: the first answers 404, the second serves a
/// corrupt training-label file, the third the right ones.
#[test]
fn mirrors_are_tried_in_order_until_one_verifies() {
    let staging = tempfile::tempdir().unwrap();
    write_mnist_dir(staging.path(), &[1, 2], &[3]);
    let mirrors: &'static [&'static str] = &[
        "https://a.invalid/",
        "https://b.invalid/",
        "https://c.invalid/",
    ];
    let mut files = BTreeMap::new();
    let mut list = Vec::new();
    for stem in dl_data::IDX_FILES {
        let content = match std::fs::read(staging.path().join(stem)) {
            Ok(raw) => raw,
            Err(_) => {
                let gz = std::fs::read(staging.path().join(format!("{stem}.gz"))).unwrap();
                let mut out = Vec::new();
                std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut out)
                    .unwrap();
                out
            }
        };
        let file = leak(format!("{stem}.gz"));
        files.insert(format!("https://c.invalid/{file}"), gzip(&content));
        if stem == "train-labels-idx1-ubyte" {
            let mut bad = content.clone();
            bad[8] = 7;
            files.insert(format!("https://b.invalid/{file}"), gzip(&bad));
        }
        list.push(Source {
            file,
            mirrors,
            sha256: leak(sha256_hex(&content)),
            digest_of: DigestOf::Content,
            size: None,
            extract: &[],
        });
    }
    let mut fake = Fake {
        files,
        events: Vec::new(),
        requested: Vec::new(),
    };
    let dest = tempfile::tempdir().unwrap();
    fetch_sources(&list, dest.path(), &mut fake).unwrap();

    // Each file: a (404), b (404, or corrupt for the labels), c.
    assert_eq!(fake.requested.len(), 12);
    let failures: Vec<&FetchEvent> = fake
        .events
        .iter()
        .filter(|e| matches!(e, FetchEvent::MirrorFailed { .. }))
        .collect();
    assert_eq!(failures.len(), 8);
    assert!(fake.events.iter().any(|e| matches!(
        e,
        FetchEvent::MirrorFailed { url, reason } if url.starts_with("https://b.invalid/train-labels") && reason.contains("SHA-256")
    )));
    let s = load_dir(DatasetName::Mnist, dest.path(), &handmade()).unwrap();
    assert_eq!(s.train.labels, vec![1, 2]);
    assert!(
        Checksums::load(dest.path())
            .unwrap()
            .unwrap()
            .get("train-labels-idx1-ubyte")
            .is_some()
    );
    let leftovers: Vec<PathBuf> = std::fs::read_dir(dest.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A second run downloads nothing.
    fetch_sources(&list, dest.path(), &mut refuse).unwrap();
}

#[test]
fn all_mirrors_failing_lists_every_attempt() {
    let list = [Source {
        file: "x.gz",
        mirrors: &["https://a.invalid/", "https://b.invalid/"],
        sha256: "0000000000000000000000000000000000000000000000000000000000000000",
        digest_of: DigestOf::Content,
        size: None,
        extract: &[],
    }];
    let dest = tempfile::tempdir().unwrap();
    let calls = RefCell::new(0);
    let mut down = |_: &str, _: &Path| -> Result<(), String> {
        *calls.borrow_mut() += 1;
        Err("connection refused".to_string())
    };
    let err = fetch_sources(&list, dest.path(), &mut down).unwrap_err();
    assert_eq!(*calls.borrow(), 2);
    match &err {
        DataError::Download { file, attempts } => {
            assert_eq!(file, "x.gz");
            assert_eq!(
                attempts,
                &vec![
                    "https://a.invalid/x.gz: connection refused".to_string(),
                    "https://b.invalid/x.gz: connection refused".to_string()
                ]
            );
        }
        other => panic!("expected Download, got {other}"),
    }
}

#[test]
fn an_archive_is_verified_unpacked_and_removed() {
    let members: Vec<(String, Vec<u8>)> = CIFAR_FILES
        .iter()
        .enumerate()
        .map(|(f, name)| (format!("cifar-10-batches-bin/{name}"), cifar_file(f, 2)))
        .chain([(
            "cifar-10-batches-bin/readme.html".to_string(),
            b"<p>".to_vec(),
        )])
        .collect();
    let refs: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    let archive = gzip(&make_tar(&refs));
    let wanted: Vec<&'static str> = CIFAR_FILES
        .iter()
        .map(|n| leak(format!("cifar-10-batches-bin/{n}")))
        .collect();
    let list = [Source {
        file: "cifar-10-binary.tar.gz",
        mirrors: &["https://m.invalid/"],
        sha256: leak(sha256_hex(&archive)),
        digest_of: DigestOf::Download,
        size: Some(archive.len() as u64),
        extract: Box::leak(wanted.into_boxed_slice()),
    }];
    let mut fake = Fake {
        files: BTreeMap::from([(
            "https://m.invalid/cifar-10-binary.tar.gz".to_string(),
            archive,
        )]),
        events: Vec::new(),
        requested: Vec::new(),
    };
    let dest = tempfile::tempdir().unwrap();
    fetch_sources(&list, dest.path(), &mut fake).unwrap();

    assert!(!dest.path().join("cifar-10-binary.tar.gz").exists());
    assert!(!dest.path().join("readme.html").exists());
    let sums = Checksums::load(dest.path()).unwrap().unwrap();
    for (f, name) in CIFAR_FILES.iter().enumerate() {
        assert_eq!(
            std::fs::read(dest.path().join(name)).unwrap(),
            cifar_file(f, 2)
        );
        assert_eq!(sums.get(name), Some(sha256_hex(&cifar_file(f, 2)).as_str()));
    }
    let s = load_dir(DatasetName::Cifar10, dest.path(), &LoadOptions::default()).unwrap();
    assert_eq!(s.train.len(), 10);
    assert_eq!(s.test.len(), 2);

    // Already unpacked and verified: nothing is downloaded again.
    fetch_sources(&list, dest.path(), &mut refuse).unwrap();

    // A wrong-size download is rejected before hashing.
    let mut short = list;
    short[0].size = Some(1);
    std::fs::remove_file(dest.path().join("test_batch.bin")).unwrap();
    let err = fetch_sources(&short, dest.path(), &mut fake).unwrap_err();
    assert!(err.to_string().contains("expected 1"), "{err}");
}
