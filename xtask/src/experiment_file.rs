//! Experiments as TOML files: `cargo xtask reproduce my-experiment.toml` runs one without
//! touching Rust, and the built-in experiments' run lists are such files, embedded in the
//! binary. `examples/experiment.toml` documents every key.
//!
//! A file is read in two steps: serde reads the keys (unknown keys and wrong types are refused
//! with their line), then [`resolve`] turns them into an [`Experiment`], checking what serde
//! cannot (presets, shapes, labels, comparisons), again with the line of the offending key.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use dl_models::{Activation, Init, NamedLayer, NormKind, Penalty};
use serde::Deserialize;
use toml::Spanned;

use crate::spec::{Check, DataSpec, EpochSpec, Experiment, IterSpec, Kind, RunSpec, TrainMetric};

mod expr;
mod run;

pub use expr::Condition;

/// Why a file does not make an experiment: the file, the line, the key and what was expected.
#[derive(Clone, Debug, PartialEq)]
pub struct FileError {
    /// The file.
    pub file: PathBuf,
    /// The line, from 1, when the error has one.
    pub line: Option<usize>,
    /// The key (`runs[2].optimizer`), when the error has one.
    pub key: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for FileError {}

/// Whether a command-line name is an experiment file: it ends in `.toml` or names a file.
pub fn is_file_name(name: &str) -> bool {
    name.ends_with(".toml") || Path::new(name).is_file()
}

/// Reads and resolves an experiment file; the experiment is named after the file unless it
/// says `name`.
pub fn load(path: &Path) -> Result<Experiment, FileError> {
    let text = std::fs::read_to_string(path).map_err(|e| FileError {
        file: path.to_path_buf(),
        line: None,
        key: None,
        message: format!("cannot read it: {e}"),
    })?;
    parse(&text, path)
}

/// An experiment built into the binary (`xtask/experiments/<file>`).
///
/// # Panics
/// If the file is wrong: a mistake in this repository, which the tests catch.
pub fn embedded(file: &str, text: &str) -> Experiment {
    let path = Path::new("xtask/experiments").join(file);
    parse(text, &path).unwrap_or_else(|e| panic!("built-in experiment file: {e}"))
}

/// Resolves the text of an experiment file; `path` names it in errors and gives the default
/// name (its stem).
pub fn parse(text: &str, path: &Path) -> Result<Experiment, FileError> {
    let at = Locator { text, file: path };
    let raw: RawFile = toml::from_str(text).map_err(|e| at.toml_error(&e))?;
    resolve(raw, &at)
}

/// Turns byte offsets into lines, and errors into [`FileError`]s.
struct Locator<'a> {
    text: &'a str,
    file: &'a Path,
}

impl Locator<'_> {
    fn line(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        self.text[..offset].bytes().filter(|&b| b == b'\n').count() + 1
    }

    fn error(
        &self,
        span: Option<Range<usize>>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> FileError {
        FileError {
            file: self.file.to_path_buf(),
            line: span.map(|s| self.line(s.start)),
            key: Some(key.into()),
            message: message.into(),
        }
    }

    /// A serde error: its line from its span, its key from that line's `key =` if it has one.
    fn toml_error(&self, e: &toml::de::Error) -> FileError {
        let line = e.span().map(|s| self.line(s.start));
        let key = e.span().and_then(|s| self.key_at(s.start));
        FileError {
            file: self.file.to_path_buf(),
            line,
            key,
            message: e.message().trim().replace('\n', "; "),
        }
    }

    /// The key of the value at `offset`: `lr` in `lr = 0.1`, `type` in `{ type = "relu" }`.
    fn key_at(&self, offset: usize) -> Option<String> {
        let offset = offset.min(self.text.len());
        let start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let end = self.text[offset..]
            .find('\n')
            .map_or(self.text.len(), |i| offset + i);
        // A value's key, also inside an inline table: `{ name = "relu1", type = "rellu" }`.
        let before = self.text[start..offset].trim_end();
        if let Some(rest) = before.strip_suffix('=') {
            let key = rest
                .trim_end()
                .rsplit(|c: char| c == '{' || c == ',' || c.is_whitespace())
                .next()
                .unwrap_or("")
                .trim_matches('"');
            if !key.is_empty() {
                return Some(key.to_string());
            }
        }
        // Else the key of this line, or of the first line above that assigns one (an entry of
        // a multi-line array belongs to the array's key), or the table a `[header]` opens.
        let lines = self.text[..end].lines().rev().map(str::trim);
        for line in lines.filter(|l| !l.is_empty() && !l.starts_with('#')) {
            if line.starts_with("[[") || (line.starts_with('[') && !line.contains('=')) {
                let header = line.trim_matches(|c| c == '[' || c == ']').trim();
                return Some(header.to_string());
            }
            if let Some((key, _)) = line.split_once('=') {
                let key = key.trim().trim_matches('"');
                if !key.is_empty() && !key.contains(|c: char| c.is_whitespace() || c == '{') {
                    return Some(key.to_string());
                }
            }
        }
        None
    }
}

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    name: Option<Spanned<String>>,
    section: Option<String>,
    summary: Option<String>,
    data: Option<Spanned<RawData>>,
    iterations: Option<Spanned<usize>>,
    epochs: Option<Spanned<usize>>,
    batch_size: Option<Spanned<usize>>,
    eval_every: Option<Spanned<usize>>,
    eval_batch: Option<Spanned<usize>>,
    train_metric: Option<Spanned<TrainMetric>>,
    #[serde(default)]
    defaults: RawRun,
    #[serde(default)]
    runs: Vec<RawRun>,
    #[serde(default)]
    checks: Vec<RawCheck>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawData {
    dataset: Option<Spanned<toml::Value>>,
    train_first: Option<Spanned<usize>>,
    test_first: Option<Spanned<usize>>,
    flatten: Option<Spanned<bool>>,
}

/// A run, or the defaults every run starts from.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRun {
    label: Option<Spanned<String>>,
    model: Option<Spanned<toml::Value>>,
    input: Option<Spanned<Vec<usize>>>,
    hidden: Option<Spanned<Vec<usize>>>,
    classes: Option<Spanned<usize>>,
    activation: Option<Spanned<Activation>>,
    init: Option<Spanned<Init>>,
    batch_norm: Option<Spanned<bool>>,
    dropout: Option<Spanned<f64>>,
    weight_decay: Option<Spanned<Penalty>>,
    activity_penalty: Option<Spanned<[f64; 2]>>,
    norm: Option<Spanned<NormKind>>,
    layers: Option<Spanned<Vec<NamedLayer>>>,
    optimizer: Option<Spanned<toml::Value>>,
    lr: Option<Spanned<f64>>,
    penalty: Option<Spanned<Penalty>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    claim: Option<String>,
    expect: Spanned<String>,
}

/// Fills every key a run leaves out from the defaults.
macro_rules! overlay {
    ($run:expr, $defaults:expr, $($field:ident),*) => {
        RawRun { $($field: $run.$field.or_else(|| $defaults.$field.clone()),)* }
    };
}

fn with_defaults(run: RawRun, d: &RawRun) -> RawRun {
    overlay!(
        run,
        d,
        label,
        model,
        input,
        hidden,
        classes,
        activation,
        init,
        batch_norm,
        dropout,
        weight_decay,
        activity_penalty,
        norm,
        layers,
        optimizer,
        lr,
        penalty
    )
}

fn span<T>(s: &Option<Spanned<T>>) -> Option<Range<usize>> {
    s.as_ref().map(Spanned::span)
}

/// The data a file names, with the shape of one sample.
struct Data {
    kind: DataKind,
    /// One sample's shape as the model sees it.
    sample: Vec<usize>,
}

enum DataKind {
    Iterations(DataSpec),
    Epochs(Vec<&'static str>),
}

const DATASETS: [&str; 3] = ["mnist", "fashion-mnist", "cifar10"];

fn resolve(raw: RawFile, at: &Locator<'_>) -> Result<Experiment, FileError> {
    let name = match &raw.name {
        Some(n) if n.get_ref().trim().is_empty() || n.get_ref().contains(['/', '\\']) => {
            return Err(at.error(
                Some(n.span()),
                "name",
                "expected a non-empty name without slashes (it names the results folder)",
            ));
        }
        Some(n) => n.get_ref().clone(),
        None => at
            .file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let epochs = match (&raw.iterations, &raw.epochs) {
        (Some(_), Some(e)) => {
            return Err(at.error(
                Some(e.span()),
                "epochs",
                "expected `iterations` or `epochs`, not both",
            ));
        }
        (None, None) => {
            return Err(at.error(
                None,
                "iterations",
                "expected `iterations = N` (mini-batch iterations) or `epochs = N`",
            ));
        }
        (_, e) => e.is_some(),
    };
    let data = resolve_data(raw.data.as_ref(), epochs, at)?;
    if epochs {
        let only_iterations = [
            ("eval_every", span(&raw.eval_every)),
            ("eval_batch", span(&raw.eval_batch)),
            ("train_metric", span(&raw.train_metric)),
        ];
        if let Some((key, s)) = only_iterations.into_iter().find(|(_, s)| s.is_some()) {
            return Err(at.error(
                s,
                key,
                "applies to `iterations` experiments only (epochs evaluate once per epoch)",
            ));
        }
    }
    if raw.defaults.label.is_some() {
        return Err(at.error(
            span(&raw.defaults.label),
            "defaults.label",
            "expected a label in each [[runs]], not in [defaults]",
        ));
    }
    if raw.runs.is_empty() {
        return Err(at.error(None, "runs", "expected at least one [[runs]] table"));
    }
    let mut runs: Vec<RunSpec> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, run) in raw.runs.into_iter().enumerate() {
        let own = run.clone();
        let run = with_defaults(run, &raw.defaults);
        let key = |k: &str| format!("runs[{}].{k}", i + 1);
        let Some(label) = &run.label else {
            return Err(at.error(
                span(&run.model).or(span(&run.optimizer)),
                key("label"),
                "expected a label for every run (its legend and the name checks use)",
            ));
        };
        if let Some(first) = seen.insert(label.get_ref().clone(), i + 1) {
            return Err(at.error(
                Some(label.span()),
                key("label"),
                format!(
                    "duplicate label `{}` (run {first} has it too); labels must differ",
                    label.get_ref()
                ),
            ));
        }
        runs.push(run::resolve(&run, &own, i, &data, at)?);
    }
    let labels: Vec<&str> = runs.iter().map(|r| r.label.as_str()).collect();
    let mut checks = Vec::new();
    for (i, c) in raw.checks.into_iter().enumerate() {
        let condition = Condition::parse(c.expect.get_ref(), &labels).map_err(|m| {
            at.error(
                Some(c.expect.span()),
                format!("checks[{}].expect", i + 1),
                m,
            )
        })?;
        let claim = c.claim.unwrap_or_else(|| c.expect.get_ref().clone());
        checks.push(Check::new(claim, move |r| condition.verdict(r)));
    }
    let batch_size = raw.batch_size.map(Spanned::into_inner).unwrap_or(100);
    let kind = match data.kind {
        DataKind::Iterations(data) => Kind::Iterations(IterSpec {
            data,
            iterations: positive(raw.iterations, "iterations", at)?.unwrap_or_default(),
            batch_size,
            eval_every: positive(raw.eval_every, "eval_every", at)?.unwrap_or(10),
            train_metric: raw
                .train_metric
                .map(Spanned::into_inner)
                .unwrap_or(TrainMetric::Full),
            eval_batch: positive(raw.eval_batch, "eval_batch", at)?.unwrap_or(1000),
            runs,
            checks,
        }),
        DataKind::Epochs(datasets) => Kind::Epochs(EpochSpec {
            datasets,
            epochs: positive(raw.epochs, "epochs", at)?.unwrap_or_default(),
            batch_size,
            runs,
            checks,
        }),
    };
    Ok(Experiment {
        section: raw
            .section
            .unwrap_or_else(|| format!("experiment file {}", at.file.display())),
        summary: raw.summary.unwrap_or_default(),
        name,
        kind,
    })
}

/// A count that must be at least 1.
fn positive(
    value: Option<Spanned<usize>>,
    key: &str,
    at: &Locator<'_>,
) -> Result<Option<usize>, FileError> {
    match value {
        Some(v) if *v.get_ref() == 0 => Err(at.error(Some(v.span()), key, "expected at least 1")),
        v => Ok(v.map(Spanned::into_inner)),
    }
}

fn dataset_name(v: &toml::Value) -> Option<&'static str> {
    let s = v.as_str()?;
    DATASETS.iter().copied().find(|d| *d == s)
}

/// The shape of one image of a data set.
fn image_shape(dataset: &str) -> Vec<usize> {
    match dataset {
        "cifar10" => vec![3, 32, 32],
        _ => vec![1, 28, 28],
    }
}

fn resolve_data(
    raw: Option<&Spanned<RawData>>,
    epochs: bool,
    at: &Locator<'_>,
) -> Result<Data, FileError> {
    let expected = "expected one of \"mnist\", \"fashion-mnist\", \"cifar10\"";
    let dataset = raw.and_then(|d| d.get_ref().dataset.as_ref());
    let names: Vec<&'static str> = match dataset {
        None => vec!["mnist"],
        Some(v) => match v.get_ref() {
            toml::Value::String(_) => vec![
                dataset_name(v.get_ref())
                    .ok_or_else(|| at.error(Some(v.span()), "data.dataset", expected))?,
            ],
            toml::Value::Array(list) if epochs && !list.is_empty() => list
                .iter()
                .map(|d| {
                    dataset_name(d).ok_or_else(|| {
                        at.error(
                            Some(v.span()),
                            "data.dataset",
                            format!("{expected} in each entry"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            _ if epochs => {
                return Err(at.error(
                    Some(v.span()),
                    "data.dataset",
                    format!("{expected}, or a list of them in order of preference"),
                ));
            }
            _ => return Err(at.error(Some(v.span()), "data.dataset", expected)),
        },
    };
    let image = image_shape(names[0]);
    if epochs {
        if let Some(d) = raw {
            let d = d.get_ref();
            let keys = [
                ("data.train_first", span(&d.train_first)),
                ("data.test_first", span(&d.test_first)),
                ("data.flatten", span(&d.flatten)),
            ];
            if let Some((key, s)) = keys.into_iter().find(|(_, s)| s.is_some()) {
                return Err(at.error(
                    s,
                    key,
                    "applies to `iterations` experiments only (epochs use every image, as images)",
                ));
            }
        }
        return Ok(Data {
            kind: DataKind::Epochs(names),
            sample: image,
        });
    }
    let d = raw.map(Spanned::get_ref);
    let flatten = d
        .and_then(|d| d.flatten.as_ref())
        .is_none_or(|f| *f.get_ref());
    let first =
        |f: Option<&Option<Spanned<usize>>>| f.and_then(|v| v.as_ref()).map(|v| *v.get_ref());
    Ok(Data {
        kind: DataKind::Iterations(DataSpec {
            dataset: names[0],
            train_first: first(d.map(|d| &d.train_first)),
            test_first: first(d.map(|d| &d.test_first)),
            flatten,
        }),
        sample: if flatten {
            vec![image.iter().product()]
        } else {
            image
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Model;

    #[test]
    fn every_built_in_file_makes_its_experiment() {
        assert_eq!(crate::experiments::all_with(false).len(), 12);
        assert_eq!(crate::experiments::all_with(true).len(), 12);
    }

    #[test]
    fn the_documented_example_makes_an_experiment() {
        let text = include_str!("../../examples/experiment.toml");
        let e = parse(text, Path::new("examples/experiment.toml")).unwrap();
        assert_eq!(e.name, "my-activations");
        let Kind::Iterations(spec) = &e.kind else {
            panic!("an iterations experiment")
        };
        assert_eq!(spec.runs.len(), 5);
        assert_eq!(spec.checks.len(), 3);
        assert!(matches!(spec.runs[4].model, Model::Network(_)));
    }

    #[test]
    fn a_key_inside_an_inline_table_is_named() {
        let text = "[[runs]]\nlayers = [{ name = \"r\", type = \"rellu\" }]\n";
        let at = Locator {
            text,
            file: Path::new("x.toml"),
        };
        let offset = text.find("\"rellu\"").unwrap();
        assert_eq!(at.key_at(offset).as_deref(), Some("type"));
        assert_eq!(at.line(offset), 2);
        assert_eq!(at.key_at(0).as_deref(), Some("runs"));
    }

    #[test]
    fn a_defaults_key_another_model_does_not_take_is_ignored() {
        let text = r#"
iterations = 10
[defaults]
model = "mlp"
hidden = [10]
optimizer = "sgd"
lr = 0.1
[[runs]]
label = "mlp"
[[runs]]
label = "layers"
layers = [{ name = "affine1", type = "affine", outputs = 10, init = "he" }]
"#;
        let e = parse(text, Path::new("x.toml")).expect("parses");
        assert_eq!(e.name, "x");
        let own = text.replace("label = \"layers\"\n", "label = \"layers\"\nhidden = [5]\n");
        let e = parse(&own, Path::new("x.toml")).err().expect("refused");
        assert_eq!(e.line, Some(12));
        assert_eq!(e.key.as_deref(), Some("runs[2].hidden"));
        assert!(
            e.message.contains("does not apply to model `layers`"),
            "{e}"
        );
    }
}
