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

use dl_models::{
    Activation, Init, KerasCnnConfig, MultiLayerNetConfig, NamedLayer, NetworkSpec, NormKind,
    OptimizerKind, Penalty, Preset,
};
use serde::Deserialize;
use toml::Spanned;

use crate::spec::{
    Check, DataSpec, EpochSpec, Experiment, IterSpec, Kind, Model, RunSpec, TrainMetric,
};

mod expr;

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
        runs.push(resolve_run(&run, &own, i, &data, at)?);
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

/// The presets a file names by a string, and the model keys each takes.
const PRESETS: [(&str, &[&str]); 8] = [
    (
        "mlp",
        &[
            "input",
            "hidden",
            "classes",
            "activation",
            "init",
            "batch_norm",
            "dropout",
            "weight_decay",
        ],
    ),
    ("simple_conv_net", &[]),
    ("double_conv_net", &[]),
    ("deep_conv_net", &["dropout"]),
    ("lenet", &[]),
    ("alexnet", &["classes"]),
    (
        "keras_cnn",
        &["classes", "activity_penalty", "dropout", "norm"],
    ),
    ("layers", &["input", "layers", "weight_decay"]),
];

/// A run from its keys with the defaults (`run`) and its own (`own`: a model key of its own
/// that its model does not take is refused; one from the defaults is ignored).
fn resolve_run(
    run: &RawRun,
    own: &RawRun,
    i: usize,
    data: &Data,
    at: &Locator<'_>,
) -> Result<RunSpec, FileError> {
    let key = |k: &str| format!("runs[{}].{k}", i + 1);
    let label = run
        .label
        .as_ref()
        .map(|l| l.get_ref().clone())
        .unwrap_or_default();
    let label_span = span(&run.label);
    let model = resolve_model(run, own, data, at, &key, label_span.clone())?;
    let optimizer = resolve_optimizer(run, at, &key, label_span)?;
    Ok(RunSpec {
        label,
        model,
        optimizer,
        penalty: run.penalty.as_ref().map(|p| *p.get_ref()),
    })
}

fn resolve_model(
    run: &RawRun,
    own: &RawRun,
    data: &Data,
    at: &Locator<'_>,
    key: &dyn Fn(&str) -> String,
    label_span: Option<Range<usize>>,
) -> Result<Model, FileError> {
    // The model keys the run gives itself, with their spans, to refuse those the model does not take.
    let given: Vec<(&str, Option<Range<usize>>)> = [
        ("input", span(&own.input)),
        ("hidden", span(&own.hidden)),
        ("classes", span(&own.classes)),
        ("activation", span(&own.activation)),
        ("init", span(&own.init)),
        ("batch_norm", span(&own.batch_norm)),
        ("dropout", span(&own.dropout)),
        ("weight_decay", span(&own.weight_decay)),
        ("activity_penalty", span(&own.activity_penalty)),
        ("norm", span(&own.norm)),
        ("layers", span(&own.layers)),
    ]
    .into_iter()
    .filter(|(_, s)| s.is_some())
    .collect();
    let names = PRESETS.map(|p| p.0).join(", ");
    // A run's own layer list makes it a `layers` model whatever the defaults' model.
    let model = if own.model.is_none() && own.layers.is_some() {
        &None
    } else {
        &run.model
    };
    let (model_name, model_span) = match model {
        None if run.layers.is_some() => ("layers".to_string(), span(&run.layers)),
        None => {
            return Err(at.error(
                label_span,
                key("model"),
                format!("expected a model: one of {names}, or a preset table"),
            ));
        }
        Some(m) => match m.get_ref() {
            toml::Value::String(s) => (s.clone(), Some(m.span())),
            toml::Value::Table(_) => {
                if let Some((k, s)) = given.first() {
                    return Err(at.error(
                        s.clone(),
                        key(k),
                        "does not apply to a model given as a preset table (put it in the table)",
                    ));
                }
                let preset: Preset =
                    m.get_ref()
                        .clone()
                        .try_into()
                        .map_err(|e: toml::de::Error| {
                            at.error(
                                Some(m.span()),
                                key("model"),
                                format!("not a preset: {}", e.message().trim()),
                            )
                        })?;
                let model = Model::Preset(preset);
                check_shapes(&model, data, at, key("model"), Some(m.span()))?;
                return Ok(model);
            }
            _ => {
                return Err(at.error(
                    Some(m.span()),
                    key("model"),
                    format!("expected a model name ({names}) or a preset table"),
                ));
            }
        },
    };
    let Some((_, takes)) = PRESETS.iter().find(|p| p.0 == model_name) else {
        return Err(at.error(
            model_span,
            key("model"),
            format!("unknown model `{model_name}`; expected one of {names}"),
        ));
    };
    if let Some((k, s)) = given.iter().find(|(k, _)| !takes.contains(k)) {
        return Err(at.error(
            s.clone(),
            key(k),
            format!(
                "does not apply to model `{model_name}` (it takes {})",
                if takes.is_empty() {
                    "no options".to_string()
                } else {
                    takes.join(", ")
                }
            ),
        ));
    }
    let get = |o: &Option<Spanned<f64>>| o.as_ref().map(|v| *v.get_ref());
    let classes = run.classes.as_ref().map(|c| *c.get_ref());
    let input = run.input.as_ref().map(|v| v.get_ref().clone());
    let model = match model_name.as_str() {
        "mlp" => {
            let Some(hidden) = &run.hidden else {
                return Err(at.error(
                    model_span,
                    key("hidden"),
                    "expected the hidden layer widths of model `mlp` (hidden = [40, 20])",
                ));
            };
            let input_size = input.map_or(data.sample.iter().product(), |v| v.iter().product());
            let mut c =
                MultiLayerNetConfig::new(input_size, hidden.get_ref(), classes.unwrap_or(10));
            if let Some(a) = &run.activation {
                c = c.activation(*a.get_ref());
            }
            if let Some(init) = &run.init {
                c = c.init(*init.get_ref());
            }
            if let Some(bn) = &run.batch_norm {
                c = c.batch_norm(*bn.get_ref());
            }
            if let Some(p) = get(&run.dropout) {
                c = c.dropout(p);
            }
            if let Some(p) = &run.weight_decay {
                c = c.weight_penalty(*p.get_ref());
            }
            Model::Preset(Preset::MultiLayerNet(c))
        }
        "simple_conv_net" => Model::Preset(Preset::SimpleConvNet),
        "double_conv_net" => Model::Preset(Preset::DoubleConvNet),
        "deep_conv_net" => Model::Preset(Preset::DeepConvNet {
            dropout: get(&run.dropout).unwrap_or(0.5),
        }),
        "lenet" => Model::Preset(Preset::LeNet),
        "alexnet" => Model::Preset(Preset::AlexNet {
            classes: classes.unwrap_or(10),
            in_channels: data.sample.first().copied().unwrap_or(1),
        }),
        "keras_cnn" => Model::Preset(Preset::KerasCnn(KerasCnnConfig {
            in_channels: data.sample.first().copied().unwrap_or(1),
            image_size: data.sample.get(1).copied().unwrap_or(28),
            classes: classes.unwrap_or(10),
            activity_penalty: run
                .activity_penalty
                .as_ref()
                .map(|p| (p.get_ref()[0], p.get_ref()[1])),
            dropout: get(&run.dropout),
            norm: run.norm.as_ref().map(|n| *n.get_ref()),
        })),
        _ => {
            let Some(layers) = &run.layers else {
                return Err(at.error(
                    model_span,
                    key("layers"),
                    "expected the layer list of model `layers` (layers = [{ name = \"affine1\", type = \"affine\", … }])",
                ));
            };
            Model::Network(NetworkSpec {
                input: input.unwrap_or_else(|| data.sample.clone()),
                layers: layers.get_ref().clone(),
                weight_penalty: run.weight_decay.as_ref().map(|p| *p.get_ref()),
            })
        }
    };
    let (shape_key, shape_span) = match &model {
        Model::Network(_) => (key("layers"), span(&run.layers)),
        Model::Preset(_) => (key("model"), model_span),
    };
    check_shapes(&model, data, at, shape_key, shape_span)?;
    Ok(model)
}

/// Refuses a model whose layers do not fit together or do not take the data's samples.
fn check_shapes(
    model: &Model,
    data: &Data,
    at: &Locator<'_>,
    key: String,
    s: Option<Range<usize>>,
) -> Result<(), FileError> {
    let spec = model
        .spec()
        .and_then(|spec| spec.output_shapes().map(|_| spec))
        .map_err(|e| at.error(s.clone(), key.clone(), e.to_string()))?;
    // The Keras CNN is fitted to the data when it runs.
    let fitted = matches!(model, Model::Preset(Preset::KerasCnn(_)));
    if !fitted && spec.input != data.sample {
        return Err(at.error(
            s,
            key,
            format!(
                "the model takes samples of shape {:?} but the data gives {:?}{}",
                spec.input,
                data.sample,
                match (spec.input.len(), data.sample.len()) {
                    (1, 1) | (2.., 2..) => "",
                    (1, _) => " (set `flatten = true` in [data])",
                    _ => " (set `flatten = false` in [data] for images)",
                }
            ),
        ));
    }
    Ok(())
}

fn resolve_optimizer(
    run: &RawRun,
    at: &Locator<'_>,
    key: &dyn Fn(&str) -> String,
    label_span: Option<Range<usize>>,
) -> Result<OptimizerKind, FileError> {
    let names = "sgd, momentum, adagrad, rmsprop, adam";
    let Some(o) = &run.optimizer else {
        return Err(at.error(
            label_span,
            key("optimizer"),
            format!("expected an optimizer: one of {names}, with `lr`"),
        ));
    };
    let lr = run.lr.as_ref().map(|l| *l.get_ref());
    if let Some(l) = &run.lr
        && !(l.get_ref().is_finite() && *l.get_ref() > 0.0)
    {
        return Err(at.error(
            Some(l.span()),
            key("lr"),
            "expected a positive learning rate",
        ));
    }
    match o.get_ref() {
        toml::Value::String(name) => {
            let Some(lr) = lr else {
                return Err(at.error(
                    Some(o.span()),
                    key("lr"),
                    format!("expected a learning rate for optimizer `{name}` (lr = 0.01)"),
                ));
            };
            match name.as_str() {
                "sgd" => Ok(OptimizerKind::sgd(lr)),
                "momentum" => Ok(OptimizerKind::momentum(lr, 0.9)),
                "adagrad" => Ok(OptimizerKind::adagrad(lr)),
                "rmsprop" => Ok(OptimizerKind::rmsprop(lr)),
                "adam" => Ok(OptimizerKind::adam(lr)),
                other => Err(at.error(
                    Some(o.span()),
                    key("optimizer"),
                    format!("unknown optimizer `{other}`; expected one of {names}, or a table such as {{ momentum = {{ lr = 0.3, momentum = 0.5 }} }}"),
                )),
            }
        }
        toml::Value::Table(_) => {
            let kind: OptimizerKind =
                o.get_ref()
                    .clone()
                    .try_into()
                    .map_err(|e: toml::de::Error| {
                        at.error(
                            Some(o.span()),
                            key("optimizer"),
                            format!("not an optimizer: {}", e.message().trim()),
                        )
                    })?;
            Ok(lr.map_or(kind, |lr| kind.with_lr(lr)))
        }
        _ => Err(at.error(
            Some(o.span()),
            key("optimizer"),
            format!("expected an optimizer name ({names}) or a table"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
