//! Checkpoints as `.safetensors` files: every parameter and buffer under its stable name
//! (`affine1.W`, `batchnorm1.running_mean`), and the network's [`NetworkSpec`] as JSON in the
//! file's metadata, so a file rebuilds its network without being told the architecture.
//!
//! Any [`Sequential`] whose layers all have a description saves: the presets and everything
//! [`Sequential::builder`] makes. Tensors are stored in the layers' own layouts: an Affine's
//! `W` is `(in, out)`, the transpose of PyTorch's `nn.Linear.weight` `(out, in)`; a
//! convolution's `W` is `(filters, channels, KH, KW)`, as `nn.Conv2d.weight`.
//!
//! ```
//! use dl_models::{Sequential, checkpoint};
//! let mut net = Sequential::builder([1, 8, 8]).conv(4, 3).relu().flatten().affine(3).build::<f32>(7)?;
//! let bytes = checkpoint::to_bytes(&mut net).unwrap();
//! let mut back = checkpoint::from_bytes::<f32>(&bytes, "memory".as_ref()).unwrap();
//! assert_eq!(back.spec()?, net.spec()?);
//! # Ok::<(), dl_models::BuildError>(())
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use dl_tensor::{Float, Tensor};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::presets::Preset;
use crate::sequential::Sequential;
use crate::spec::{BuildError, NetworkSpec};

/// Metadata key holding the network's [`NetworkSpec`] (JSON).
pub const SPEC_KEY: &str = "dl_models.network";
/// Metadata key of format 1 files, which held a [`Preset`] (JSON); still read.
pub const CONFIG_KEY: &str = "dl_models.config";
/// Metadata key holding the format version.
pub const FORMAT_KEY: &str = "dl_models.format";
const FORMAT: &str = "2";

/// Why a checkpoint could not be written or read. Every variant names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Not a readable safetensors file (truncated, corrupt header, …).
    #[error("{path}: not a valid safetensors file: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The network cannot be described, so it cannot be saved (a layer pushed by hand).
    #[error("{path}: cannot save: {source}")]
    Undescribed {
        /// The file.
        path: PathBuf,
        /// Which layer has no description.
        source: Box<BuildError>,
    },
    /// The file has no network description in its metadata.
    #[error("{path}: no `{SPEC_KEY}` metadata; was it written by dl-models?")]
    MissingConfig {
        /// The file.
        path: PathBuf,
    },
    /// The configuration metadata does not parse, or describes a model that cannot be built.
    #[error("{path}: invalid model configuration: {reason}")]
    BadConfig {
        /// The file.
        path: PathBuf,
        /// The parse error or what is wrong.
        reason: String,
    },
    /// The description needs more values than the file's tensor data holds: refused before
    /// anything is allocated.
    #[error(
        "{path}: its network description needs {needed} values but the file's tensor data holds at most {available}"
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Values the configuration needs (`u64::MAX` if the count overflows).
        needed: u64,
        /// Values the file's tensor data could hold.
        available: u64,
    },
    /// The file holds another model than the one it is loaded into.
    #[error("{path}: checkpoint of another model: the file holds {found}, expected {expected}")]
    ConfigMismatch {
        /// The file.
        path: PathBuf,
        /// The model loaded into.
        expected: String,
        /// The model in the file.
        found: String,
    },
    /// The header lists a tensor name twice.
    #[error("{path}: tensor `{name}` is listed twice in the header")]
    DuplicateTensor {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
    },
    /// A tensor the model needs is absent.
    #[error("{path}: tensor `{name}` is missing")]
    MissingTensor {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
    },
    /// A tensor the model does not have is present.
    #[error("{path}: unexpected tensor `{name}` (the model has no such parameter)")]
    UnexpectedTensor {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
    },
    /// A tensor has another element type.
    #[error("{path}: tensor `{name}` has dtype {found}, expected {expected}")]
    Dtype {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// The model's element type.
        expected: String,
        /// The file's element type.
        found: String,
    },
    /// A tensor has another shape.
    #[error("{path}: tensor `{name}` has shape {found:?}, expected {expected:?}")]
    Shape {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// The model's shape.
        expected: Vec<usize>,
        /// The file's shape.
        found: Vec<usize>,
    },
}

fn dtype_of<T: Float>() -> Dtype {
    if T::NAME == "f32" {
        Dtype::F32
    } else {
        Dtype::F64
    }
}

fn to_le_bytes<T: Float>(t: &Tensor<T>) -> Vec<u8> {
    let mut out = Vec::with_capacity(t.len() * std::mem::size_of::<T>());
    t.for_each(|x| {
        if T::NAME == "f32" {
            out.extend_from_slice(&(x.as_f64() as f32).to_le_bytes());
        } else {
            out.extend_from_slice(&x.as_f64().to_le_bytes());
        }
    });
    out
}

fn from_le_bytes<T: Float>(bytes: &[u8]) -> Vec<T> {
    if T::NAME == "f32" {
        bytes
            .chunks_exact(4)
            .map(|c| T::lit(f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64))
            .collect()
    } else {
        bytes
            .chunks_exact(8)
            .map(|c| {
                T::lit(f64::from_le_bytes([
                    c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
                ]))
            })
            .collect()
    }
}

/// Every named tensor of a network (parameters, then buffers), as `(name, tensor)`.
fn named_tensors<T: Float>(net: &mut Sequential<T>) -> Vec<(String, Tensor<T>)> {
    let mut out = Vec::new();
    net.visit_params(&mut |p| out.push((p.full_name(), p.value.clone())));
    net.visit_buffers(&mut |b| out.push((format!("{}.{}", b.layer, b.name), b.value.clone())));
    out
}

/// Serialises a network to safetensors bytes; an error if a layer has no description.
pub fn to_bytes<T: Float>(net: &mut Sequential<T>) -> Result<Vec<u8>, BuildError> {
    let spec = net.spec()?;
    let tensors = named_tensors(net);
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(n, t)| (n.clone(), t.shape().to_vec(), to_le_bytes(t)))
        .collect();
    let views: Vec<(String, TensorView<'_>)> = bytes
        .iter()
        .map(|(n, shape, data)| {
            (
                n.clone(),
                TensorView::new(dtype_of::<T>(), shape.clone(), data)
                    .expect("length matches shape"),
            )
        })
        .collect();
    let spec = serde_json::to_string(&spec).expect("descriptions serialise");
    let metadata = HashMap::from([
        (SPEC_KEY.to_string(), spec),
        (FORMAT_KEY.to_string(), FORMAT.to_string()),
    ]);
    Ok(safetensors::serialize(views, Some(metadata))
        .expect("in-memory serialisation does not fail"))
}

/// Saves a network to `path`, atomically (a temporary file renamed into place).
pub fn save<T: Float>(net: &mut Sequential<T>, path: &Path) -> Result<(), CheckpointError> {
    let io = |source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = to_bytes(net).map_err(|source| CheckpointError::Undescribed {
        path: path.to_path_buf(),
        source: Box::new(source),
    })?;
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Reads the network description stored in a checkpoint's bytes (format 2), or the preset a
/// format 1 file names.
pub fn read_spec(bytes: &[u8], path: &Path) -> Result<NetworkSpec, CheckpointError> {
    let bad = |reason: String| CheckpointError::BadConfig {
        path: path.to_path_buf(),
        reason,
    };
    let (_, meta) = SafeTensors::read_metadata(bytes).map_err(|e| CheckpointError::Format {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let metadata = meta.metadata().as_ref();
    if let Some(text) = metadata.and_then(|m| m.get(SPEC_KEY)) {
        return serde_json::from_str(text).map_err(|e| bad(e.to_string()));
    }
    if let Some(text) = metadata.and_then(|m| m.get(CONFIG_KEY)) {
        let preset: Preset = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        return preset.spec().map_err(|e| bad(e.to_string()));
    }
    Err(CheckpointError::MissingConfig {
        path: path.to_path_buf(),
    })
}

/// Loads a network from `path`, rebuilding it from the description stored in the file.
pub fn load<T: Float>(path: &Path) -> Result<Sequential<T>, CheckpointError> {
    let bytes = std::fs::read(path).map_err(|source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    from_bytes(&bytes, path)
}

/// Values a network may need beyond what the file's tensor data holds before it is refused
/// unbuilt.
const SLACK_VALUES: u64 = 1 << 20;

/// The bytes of tensor data after a safetensors header (0 if the header is unreadable).
fn tensor_data_len(bytes: &[u8]) -> u64 {
    let Some(prefix) = bytes.first_chunk::<8>() else {
        return 0;
    };
    let header = u64::from_le_bytes(*prefix);
    (bytes.len() as u64)
        .saturating_sub(8)
        .saturating_sub(header)
}

/// The first name a safetensors header lists twice. The `safetensors` crate reads the header
/// into a map, where a repeated name silently replaces the first entry.
fn duplicate_name(bytes: &[u8]) -> Option<String> {
    let header_len = usize::try_from(u64::from_le_bytes(*bytes.first_chunk::<8>()?)).ok()?;
    let header = bytes.get(8..8usize.checked_add(header_len)?)?;
    let keys: HeaderKeys = serde_json::from_slice(header).ok()?;
    let mut seen = std::collections::HashSet::new();
    keys.0.into_iter().find(|k| !seen.insert(k.clone()))
}

/// The keys of a JSON object, in order, repeats kept; values skipped.
struct HeaderKeys(Vec<String>);

impl<'de> serde::Deserialize<'de> for HeaderKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = HeaderKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<HeaderKeys, A::Error> {
                let mut keys = Vec::new();
                while let Some(k) = map.next_key::<String>()? {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    keys.push(k);
                }
                Ok(HeaderKeys(keys))
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// Loads a network from checkpoint bytes (`path` only names the source in errors).
pub fn from_bytes<T: Float>(bytes: &[u8], path: &Path) -> Result<Sequential<T>, CheckpointError> {
    let spec = read_spec(bytes, path)?;
    if let Some(name) = duplicate_name(bytes) {
        return Err(CheckpointError::DuplicateTensor {
            path: path.to_path_buf(),
            name,
        });
    }
    let bad = |e: BuildError| CheckpointError::BadConfig {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    // Refuse a description larger than the file's tensor data before building (and
    // allocating) it. Every stored value takes at least 4 bytes (F32); a file of the other
    // float type passes here and gets its dtype error below. A slack of 2^20 values (4 MiB)
    // lets a small network with a missing tensor reach the error that names the tensor.
    let available = tensor_data_len(bytes) / 4;
    match spec.stored_values().map_err(bad)? {
        Some(needed) if needed <= available.saturating_add(SLACK_VALUES) => {}
        needed => {
            return Err(CheckpointError::TooLarge {
                path: path.to_path_buf(),
                needed: needed.unwrap_or(u64::MAX),
                available,
            });
        }
    }
    let mut net = spec.build(0).map_err(bad)?;
    load_weights(&mut net, bytes, path)?;
    Ok(net)
}

/// Loads weights into an existing network; the file must hold the same architecture.
pub fn load_into<T: Float>(net: &mut Sequential<T>, path: &Path) -> Result<(), CheckpointError> {
    let bytes = std::fs::read(path).map_err(|source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let found = read_spec(&bytes, path)?;
    let expected = net.spec().map_err(|e| CheckpointError::BadConfig {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    if found != expected {
        return Err(CheckpointError::ConfigMismatch {
            path: path.to_path_buf(),
            expected: serde_json::to_string(&expected).unwrap_or_default(),
            found: serde_json::to_string(&found).unwrap_or_default(),
        });
    }
    load_weights(net, &bytes, path)
}

fn load_weights<T: Float>(
    net: &mut Sequential<T>,
    bytes: &[u8],
    path: &Path,
) -> Result<(), CheckpointError> {
    let file = SafeTensors::deserialize(bytes).map_err(|e| CheckpointError::Format {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let expected = named_tensors(net);
    let known: std::collections::HashSet<&str> = expected.iter().map(|(n, _)| n.as_str()).collect();
    let mut names: Vec<String> = file.names().into_iter().map(|s| s.to_string()).collect();
    names.sort();
    if let Some(extra) = names.iter().find(|n| !known.contains(n.as_str())) {
        return Err(CheckpointError::UnexpectedTensor {
            path: path.to_path_buf(),
            name: extra.clone(),
        });
    }
    let mut loaded: HashMap<String, Tensor<T>> = HashMap::new();
    for (name, current) in &expected {
        let view = file
            .tensor(name)
            .map_err(|_| CheckpointError::MissingTensor {
                path: path.to_path_buf(),
                name: name.clone(),
            })?;
        if view.dtype() != dtype_of::<T>() {
            return Err(CheckpointError::Dtype {
                path: path.to_path_buf(),
                name: name.clone(),
                expected: format!("{:?}", dtype_of::<T>()),
                found: format!("{:?}", view.dtype()),
            });
        }
        if view.shape() != current.shape() {
            return Err(CheckpointError::Shape {
                path: path.to_path_buf(),
                name: name.clone(),
                expected: current.shape().to_vec(),
                found: view.shape().to_vec(),
            });
        }
        loaded.insert(
            name.clone(),
            Tensor::from_vec(from_le_bytes::<T>(view.data()), current.dims()),
        );
    }
    net.visit_params(&mut |p| {
        if let Some(t) = loaded.remove(&p.full_name()) {
            *p.value = t;
        }
    });
    net.visit_buffers(&mut |b| {
        if let Some(t) = loaded.remove(&format!("{}.{}", b.layer, b.name)) {
            *b.value = t;
        }
    });
    Ok(())
}
