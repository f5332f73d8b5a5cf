//! Loads the data an experiment declares, applying `--quick`, `--data-dir` and `--dataset`.

use std::collections::HashMap;
use std::sync::Mutex;

use dl_data::{DatasetName, LoadOptions, Splits};

use crate::context::Context;
use crate::error::XtaskError;
use crate::spec::DataSpec;
use crate::train::Data;

/// Loaded datasets, kept for the experiments that follow in the same invocation.
static CACHE: Mutex<Option<HashMap<(DatasetName, bool), Splits>>> = Mutex::new(None);

fn name_of(s: &str) -> Result<DatasetName, XtaskError> {
    match s {
        "mnist" => Ok(DatasetName::Mnist),
        "fashion-mnist" => Ok(DatasetName::FashionMnist),
        "cifar10" => Ok(DatasetName::Cifar10),
        other => Err(XtaskError::InvalidFlag {
            flag: "--dataset",
            reason: format!("`{other}` is not one of mnist, fashion-mnist, cifar10"),
        }),
    }
}

fn load_cached(ctx: &Context, name: DatasetName, flatten: bool) -> Result<Splits, XtaskError> {
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    if let Some(s) = cache.get(&(name, flatten)) {
        return Ok(s.clone());
    }
    let mut opts = LoadOptions::default().flatten(flatten);
    if let Some(dir) = &ctx.data_dir {
        opts = opts.data_dir(dir.clone());
    }
    let splits = dl_data::load(name, &opts)?;
    cache.insert((name, flatten), splits.clone());
    Ok(splits)
}

fn describe(splits: &Splits, train_len: usize, test_len: usize) -> String {
    format!(
        "{} from {} ({} of {} training and {} of {} test images)",
        splits.name.as_str(),
        splits.dir.display(),
        train_len,
        splits.train.len(),
        test_len,
        splits.test.len()
    )
}

/// The data of a mini-batch-iteration experiment.
pub fn load_iter_data(ctx: &Context, spec: &DataSpec) -> Result<Data, XtaskError> {
    let name = name_of(ctx.dataset.as_deref().unwrap_or(spec.dataset))?;
    let splits = load_cached(ctx, name, spec.flatten)?;
    let train_n = ctx
        .samples(spec.train_first, 10_000)
        .unwrap_or(splits.train.len())
        .min(splits.train.len());
    let test_n = ctx
        .samples(spec.test_first, 2_000)
        .unwrap_or(splits.test.len())
        .min(splits.test.len());
    Ok(Data {
        description: describe(&splits, train_n, test_n),
        train: splits.train.take_first(train_n),
        test: splits.test.take_first(test_n),
    })
}

/// The data of an epoch experiment: the first of `preferred` that is found (CIFAR-10, then
/// Fashion-MNIST), unless `--dataset` names one.
pub fn load_epoch_data(ctx: &Context, preferred: &[&str]) -> Result<Data, XtaskError> {
    let mut tried = Vec::new();
    let candidates: Vec<&str> = match &ctx.dataset {
        Some(d) => vec![d.as_str()],
        None => preferred.to_vec(),
    };
    for (i, candidate) in candidates.iter().enumerate() {
        let name = name_of(candidate)?;
        match load_cached(ctx, name, false) {
            Ok(splits) => {
                let (train_n, test_n) = if ctx.quick {
                    (2_000, 1_000)
                } else {
                    (splits.train.len(), splits.test.len())
                };
                let (train_n, test_n) = (
                    train_n.min(splits.train.len()),
                    test_n.min(splits.test.len()),
                );
                let mut description = describe(&splits, train_n, test_n);
                if i > 0 {
                    description.push_str(&format!(
                        "; the notes used CIFAR-10, which was not found, so this runs on {} \
                         instead ({})",
                        name.as_str(),
                        tried.join("; ")
                    ));
                }
                return Ok(Data {
                    description,
                    train: splits.train.take_first(train_n),
                    test: splits.test.take_first(test_n),
                });
            }
            Err(XtaskError::Data(e)) if i + 1 < candidates.len() => tried.push(why_missing(&e)),
            Err(e) => return Err(e),
        }
    }
    Err(XtaskError::Other("no dataset candidates".into()))
}

/// Why a candidate dataset was passed over, on one line: the folders looked in when it was not
/// found, else the error.
fn why_missing(e: &dl_data::DataError) -> String {
    match e {
        dl_data::DataError::NotFound { dataset, tried, .. } => {
            let folders: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
            format!("no `{dataset}` in {}", folders.join(", "))
        }
        other => other.to_string().replace('\n', "; "),
    }
}

#[cfg(test)]
mod tests {
    use super::why_missing;
    use std::path::PathBuf;

    #[test]
    fn a_missing_dataset_is_explained_on_one_line() {
        let e = dl_data::DataError::NotFound {
            dataset: "cifar10".into(),
            tried: vec![
                PathBuf::from("datasets/cifar10"),
                PathBuf::from("/usr/share/datasets/cifar10"),
            ],
            hint: "run `cargo xtask fetch cifar10`".into(),
        };
        assert_eq!(
            why_missing(&e),
            "no `cifar10` in datasets/cifar10, /usr/share/datasets/cifar10"
        );
    }
}
