//! A run of an experiment file: its model (a preset by name, a preset table, or a layer list)
//! checked against the data's samples, and its optimizer.

use std::ops::Range;

use dl_models::{KerasCnnConfig, MultiLayerNetConfig, NetworkSpec, OptimizerKind, Preset};
use toml::Spanned;

use super::{Data, FileError, Locator, RawRun, span};
use crate::spec::{Model, RunSpec};

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
pub(super) fn resolve(
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
