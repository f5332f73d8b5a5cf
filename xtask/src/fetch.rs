//! `cargo xtask fetch <dataset>`: downloads a dataset with `curl`, with a progress bar, and lets
//! `dl_data::fetch_sources` verify the checksums, unpack archives and write `SHA256SUMS`.
//!
//! `curl` runs as a subprocess, which keeps a TLS stack out of the build; it is on every
//! machine that has rustup. Nothing here runs during `cargo test` except against `file://` or
//! loopback URLs.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use dl_data::{DatasetName, Downloader, FetchEvent, Source};
use indicatif::{ProgressBar, ProgressStyle};

use crate::error::XtaskError;

/// Downloads each dataset of `names` into `root/<name>/` (`root` defaults to the repository's
/// `datasets/`), from `mirror` instead of the published mirrors when given.
pub fn fetch(
    names: &[DatasetName],
    root: &Path,
    mirror: Option<&str>,
    interactive: bool,
) -> Result<(), XtaskError> {
    let mut curl = Curl { interactive };
    for &name in names {
        let dir = root.join(name.as_str());
        println!("fetching {} into {}", name.as_str(), dir.display());
        let sources = with_mirror(dl_data::sources(name), mirror);
        dl_data::fetch_sources(&sources, &dir, &mut curl)
            .map_err(|e| XtaskError::Other(format!("{e}\n{}", advice(name, &dir))))?;
        println!("{} is ready in {}", name.as_str(), dir.display());
    }
    Ok(())
}

/// What to do when the download failed, e.g. on a machine without network access.
fn advice(name: DatasetName, dir: &Path) -> String {
    let debian = match name {
        DatasetName::FashionMnist => {
            " On Debian, `apt-get install dataset-fashion-mnist` installs it under \
             /usr/share/datasets/fashion-mnist/, where the loaders look."
        }
        _ => "",
    };
    format!(
        "If this machine is offline, copy the files listed above into {} by hand \
         (or point --data-dir at a folder holding them).{debian}",
        dir.display()
    )
}

/// The sources of a dataset, all served from `mirror` when given.
fn with_mirror(sources: &[Source], mirror: Option<&str>) -> Vec<Source> {
    let Some(mirror) = mirror else {
        return sources.to_vec();
    };
    let base = if mirror.ends_with('/') {
        mirror.to_string()
    } else {
        format!("{mirror}/")
    };
    // `Source` holds static strings; one command line's mirror lives for the whole process.
    let base: &'static str = Box::leak(base.into_boxed_str());
    let mirrors: &'static [&'static str] = Box::leak(Box::new([base]));
    sources.iter().map(|s| Source { mirrors, ..*s }).collect()
}

/// Downloads with a `curl` subprocess, streaming its output into the file and a progress bar.
struct Curl {
    interactive: bool,
}

impl Curl {
    fn bar(&self, url: &str, len: Option<u64>) -> ProgressBar {
        if !self.interactive {
            return ProgressBar::hidden();
        }
        let (bar, template) = match len {
            Some(n) => (
                ProgressBar::new(n),
                "{prefix:>30} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            ),
            None => (
                ProgressBar::new_spinner(),
                "{prefix:>30} {spinner} {bytes} {bytes_per_sec}",
            ),
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(url.rsplit('/').next().unwrap_or(url).to_string());
        bar
    }
}

impl Downloader for Curl {
    fn download(&mut self, url: &str, dest: &Path) -> Result<(), String> {
        let bar = self.bar(url, content_length(url));
        let result = stream(url, dest, &bar);
        bar.finish_and_clear();
        result
    }

    fn event(&mut self, event: &FetchEvent) {
        match event {
            FetchEvent::Present { file } => println!("  {file}: already present and verified"),
            FetchEvent::Downloading { url } => println!("  downloading {url}"),
            FetchEvent::MirrorFailed { url, reason } => println!("  {url} failed: {reason}"),
            FetchEvent::Verified { file } => println!("  {file}: checksum verified"),
            FetchEvent::Extracted { file } => println!("  {file}: extracted"),
            other => println!("  {other:?}"),
        }
    }
}

/// The base arguments of every `curl` call: fail on HTTP errors, follow redirects, no
/// progress meter of its own, and give up on a host that does not answer.
fn curl(url: &str) -> Command {
    let mut cmd = Command::new("curl");
    cmd.args([
        "--fail",
        "--location",
        "--silent",
        "--show-error",
        "--connect-timeout",
        "20",
    ])
    .arg(url);
    cmd
}

/// The size announced for `url` (a HEAD request), when the server tells it.
fn content_length(url: &str) -> Option<u64> {
    let out = curl(url)
        .arg("--head")
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // After redirects, the last response's length is the file's.
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .filter_map(|(_, v)| v.trim().parse().ok())
        .next_back()
}

/// Runs `curl` on `url`, copying its output into `dest` and counting bytes on `bar`.
fn stream(url: &str, dest: &Path, bar: &ProgressBar) -> Result<(), String> {
    let mut child = curl(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                "`curl` was not found on PATH; install it (e.g. `apt-get install curl`)".to_string()
            }
            _ => format!("cannot start curl: {e}"),
        })?;
    let copied = copy_to_file(child.stdout.take(), dest, bar);
    let out = child
        .wait_with_output()
        .map_err(|e| format!("curl did not finish: {e}"))?;
    if !out.status.success() {
        return Err(curl_failure(out.status.code(), &out.stderr));
    }
    copied
}

fn copy_to_file(
    stdout: Option<std::process::ChildStdout>,
    dest: &Path,
    bar: &ProgressBar,
) -> Result<(), String> {
    let mut input = stdout.ok_or("curl gave no output stream")?;
    let mut file = std::fs::File::create(dest)
        .map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = input
            .read(&mut buf)
            .map_err(|e| format!("reading curl's output: {e}"))?;
        if n == 0 {
            break;
        }
        file.write_all(&buf[..n])
            .map_err(|e| format!("cannot write {}: {e}", dest.display()))?;
        bar.inc(n as u64);
    }
    file.sync_all()
        .map_err(|e| format!("cannot write {}: {e}", dest.display()))
}

/// One line saying why curl failed, naming the unreachable-host cases plainly.
fn curl_failure(code: Option<i32>, stderr: &[u8]) -> String {
    let detail = String::from_utf8_lossy(stderr).trim().to_string();
    let what = match code {
        Some(6) => "host not found (offline?)",
        Some(7) => "connection refused or no route (offline?)",
        Some(28) => "timed out (offline?)",
        Some(22) => "the server answered with an HTTP error",
        _ => "download failed",
    };
    match code {
        Some(c) => format!("{what}: curl exit {c}: {detail}"),
        None => format!("{what}: curl was killed: {detail}"),
    }
}

/// The datasets named on the command line; `all` means every one.
pub fn parse_names(names: &[String]) -> Result<Vec<DatasetName>, XtaskError> {
    if names.is_empty() {
        return Err(XtaskError::InvalidFlag {
            flag: "fetch",
            reason: "expected a dataset: mnist, fashion-mnist, cifar10 or all".into(),
        });
    }
    if names.iter().any(|n| n == "all") {
        return Ok(DatasetName::ALL.to_vec());
    }
    names
        .iter()
        .map(|n| {
            n.parse()
                .map_err(|e: dl_data::DataError| XtaskError::Other(e.to_string()))
        })
        .collect()
}

/// Where `fetch` puts datasets: `--data-dir`, else the repository's `datasets/`.
pub fn root(data_dir: Option<PathBuf>) -> PathBuf {
    data_dir.unwrap_or_else(|| crate::project_root().join("datasets"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mirror_replaces_every_published_one() {
        let sources = with_mirror(dl_data::sources(DatasetName::Mnist), Some("file:///m"));
        assert_eq!(sources.len(), 4);
        for s in &sources {
            assert_eq!(s.urls(), vec![format!("file:///m/{}", s.file)]);
        }
        let same = with_mirror(dl_data::sources(DatasetName::Cifar10), None);
        assert_eq!(same, dl_data::sources(DatasetName::Cifar10));
    }

    #[test]
    fn unreachable_hosts_are_called_so() {
        assert!(curl_failure(Some(6), b"Could not resolve host").contains("offline"));
        assert!(curl_failure(Some(7), b"Failed to connect").contains("offline"));
        assert!(curl_failure(Some(22), b"404").contains("HTTP error"));
    }

    #[test]
    fn names_parse_and_all_means_every_dataset() {
        assert_eq!(parse_names(&["all".into()]).unwrap().len(), 3);
        let one = parse_names(&["fashion-mnist".into()]).unwrap();
        assert_eq!(one, vec![DatasetName::FashionMnist]);
        assert!(parse_names(&["svhn".into()]).is_err());
        assert!(parse_names(&[]).is_err());
    }
}
