//! Loads the data an experiment declares, applying `--quick`, `--data-dir` and `--dataset`.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
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
    let mut opts = LoadOptions::default()
        .flatten(flatten)
        .allow_noncanonical(ctx.allow_noncanonical_data);
    if let Some(dir) = &ctx.data_dir {
        opts = opts.data_dir(dir.clone());
    }
    let splits = dl_data::load(name, &opts)?;
    cache.insert((name, flatten), splits.clone());
    Ok(splits)
}

/// What an experiment's data was, as `summary.json` records it: the data set, where it was
/// read from (never an absolute path of this machine), how many images were used, and the
/// SHA-256 of each file read.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DataRecord {
    /// The data set (`mnist`).
    pub dataset: String,
    /// Where it was read from (`datasets/mnist`; see [`crate::place::portable`]).
    pub from: String,
    /// Training images used.
    pub train_images: usize,
    /// Training images in the set.
    pub train_available: usize,
    /// Test images used.
    pub test_images: usize,
    /// Test images in the set.
    pub test_available: usize,
    /// The SHA-256 of each file read, as stored (a `.gz` file's compressed bytes).
    pub sha256: BTreeMap<String, String>,
    /// Why this data set and not the notes' (a fallback), if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl DataRecord {
    fn new(splits: &Splits, train_images: usize, test_images: usize) -> Self {
        DataRecord {
            dataset: splits.name.as_str().to_string(),
            from: crate::place::portable(&splits.dir),
            train_images,
            train_available: splits.train.len(),
            test_images,
            test_available: splits.test.len(),
            sha256: file_digests(splits),
            note: None,
        }
    }

    /// One line: `mnist from datasets/mnist (60000 of 60000 training and 10000 of 10000 test
    /// images)`, and the note if any.
    pub fn describe(&self) -> String {
        let mut line = format!(
            "{} from {} ({} of {} training and {} of {} test images)",
            self.dataset,
            self.from,
            self.train_images,
            self.train_available,
            self.test_images,
            self.test_available
        );
        if let Some(note) = &self.note {
            line.push_str("; ");
            line.push_str(note);
        }
        line
    }
}

/// The files a load of `splits` read, found again in its folder.
fn files_read(splits: &Splits) -> Vec<PathBuf> {
    let dir = &splits.dir;
    match splits.name {
        DatasetName::Cifar10 => {
            let names = dl_data::CIFAR10_TRAIN_FILES
                .iter()
                .chain([&dl_data::CIFAR10_TEST_FILE]);
            names
                .filter_map(|n| {
                    [dir.join(n), dir.join(dl_data::CIFAR10_SUBDIR).join(n)]
                        .into_iter()
                        .find(|p| p.is_file())
                })
                .collect()
        }
        _ => dl_data::IDX_FILES
            .iter()
            .filter_map(|stem| dl_data::find_file(dir, stem))
            .collect(),
    }
}

/// The SHA-256 of each file read, keyed by file name; computed once per folder.
fn file_digests(splits: &Splits) -> BTreeMap<String, String> {
    static DIGESTS: Mutex<Option<HashMap<PathBuf, BTreeMap<String, String>>>> = Mutex::new(None);
    let mut cache = DIGESTS.lock().unwrap_or_else(|e| e.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    cache
        .entry(splits.dir.clone())
        .or_insert_with(|| {
            files_read(splits)
                .into_iter()
                .filter_map(|path| {
                    let bytes = std::fs::read(&path).ok()?;
                    let name = path.file_name()?.to_string_lossy().into_owned();
                    Some((name, dl_data::sha256_hex(&bytes)))
                })
                .collect()
        })
        .clone()
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
        record: DataRecord::new(&splits, train_n, test_n),
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
                let mut record = DataRecord::new(&splits, train_n, test_n);
                if i > 0 {
                    record.note = Some(format!(
                        "the notes used CIFAR-10, which was not found, so this runs on {} \
                         instead ({})",
                        name.as_str(),
                        tried.join("; ")
                    ));
                }
                return Ok(Data {
                    record,
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
