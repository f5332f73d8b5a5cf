//! A labelled image set in memory, and the train/test pair a loader returns.

use std::path::PathBuf;

use dl_tensor::Tensor;

use crate::name::DatasetName;

/// Images and their class labels.
///
/// # Shapes
/// `images` is `(N, D)` (flattened) or `(N, C, H, W)`; `labels` has `N` entries in
/// `0..classes`; `one_hot_labels`, when present, is `(N, classes)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// The images, one per row of axis 0.
    pub images: Tensor<f32>,
    /// The class index of each image.
    pub labels: Vec<usize>,
    /// The labels one-hot encoded, when the loader was asked for them.
    pub one_hot_labels: Option<Tensor<f32>>,
    /// The number of classes.
    pub classes: usize,
}

impl Dataset {
    /// A dataset of `images` labelled `labels` (no one-hot labels).
    ///
    /// # Panics
    /// If the number of labels differs from the number of images, or a label is not below
    /// `classes`.
    #[track_caller]
    pub fn new(images: Tensor<f32>, labels: Vec<usize>, classes: usize) -> Self {
        let n = images.shape().first().copied().unwrap_or(0);
        if images.ndim() == 0 || n != labels.len() {
            panic!(
                "Dataset::new: images of shape {:?} but {} labels",
                images.shape(),
                labels.len()
            );
        }
        if let Some((i, &l)) = labels.iter().enumerate().find(|&(_, &l)| l >= classes) {
            panic!("Dataset::new: label {l} at index {i} is not below the {classes} classes");
        }
        Dataset {
            images,
            labels,
            one_hot_labels: None,
            classes,
        }
    }

    /// The same dataset with `one_hot_labels` filled in.
    pub fn with_one_hot(mut self) -> Self {
        self.one_hot_labels = Some(self.one_hot(&self.labels));
        self
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The shape of one sample (the image shape without axis 0).
    pub fn sample_shape(&self) -> &[usize] {
        &self.images.shape()[1..]
    }

    /// The first `n` samples, like NumPy's `x[:n]`: a view sharing storage, no copy. Asking
    /// for more than [`Dataset::len`] gives all of them.
    pub fn take_first(&self, n: usize) -> Dataset {
        let n = n.min(self.len());
        Dataset {
            images: self.images.narrow(0, 0, n),
            labels: self.labels[..n].to_vec(),
            one_hot_labels: self.one_hot_labels.as_ref().map(|t| t.narrow(0, 0, n)),
            classes: self.classes,
        }
    }

    /// The same samples with `pad` zeros around each image (`(N, C, H, W)` →
    /// `(N, C, H + 2·pad, W + 2·pad)`), as LeNet-5 takes MNIST's 28×28 digits at 32×32.
    ///
    /// # Panics
    /// If the images are not `(N, C, H, W)`.
    ///
    /// ```
    /// use dl_data::Dataset;
    /// use dl_tensor::Tensor;
    /// let set = Dataset::new(Tensor::ones([2, 1, 28, 28]), vec![3, 7], 10);
    /// let padded = set.padded(2);
    /// assert_eq!(padded.images.shape(), &[2, 1, 32, 32]);
    /// assert_eq!(padded.images.at(&[0, 0, 0, 0]), 0.0);
    /// assert_eq!(padded.images.at(&[0, 0, 2, 2]), 1.0);
    /// assert_eq!(padded.labels, set.labels);
    /// ```
    #[track_caller]
    pub fn padded(&self, pad: usize) -> Dataset {
        let &[n, c, h, w] = self.images.shape() else {
            dl_tensor::shape_mismatch(
                "Dataset::padded (images must be (N, C, H, W))",
                self.images.shape(),
                &[0, 0, 0, 0],
            );
        };
        let (ph, pw) = (h + 2 * pad, w + 2 * pad);
        let source = self.images.to_vec();
        let mut out = vec![0.0f32; n * c * ph * pw];
        for (plane, src) in source.chunks_exact(h * w).enumerate() {
            let dst = &mut out[plane * ph * pw..(plane + 1) * ph * pw];
            for (row, line) in src.chunks_exact(w).enumerate() {
                let start = (row + pad) * pw + pad;
                dst[start..start + w].copy_from_slice(line);
            }
        }
        Dataset {
            images: Tensor::from_vec(out, [n, c, ph, pw]),
            labels: self.labels.clone(),
            one_hot_labels: self.one_hot_labels.clone(),
            classes: self.classes,
        }
    }

    /// The samples at `indices` (repeats allowed), gathered into a new contiguous tensor, with
    /// their labels.
    ///
    /// # Panics
    /// If an index is out of range.
    #[track_caller]
    pub fn batch(&self, indices: &[usize]) -> (Tensor<f32>, Vec<usize>) {
        if let Some(&bad) = indices.iter().find(|&&i| i >= self.len()) {
            panic!(
                "Dataset::batch: index {bad} is out of range for {} samples (images {:?})",
                self.len(),
                self.images.shape()
            );
        }
        let x = self.images.select_rows(indices);
        let t = indices.iter().map(|&i| self.labels[i]).collect();
        (x, t)
    }

    /// `labels` one-hot encoded over this dataset's classes: `(labels.len(), classes)`.
    ///
    /// # Panics
    /// If a label is not below `classes`.
    #[track_caller]
    pub fn one_hot(&self, labels: &[usize]) -> Tensor<f32> {
        one_hot(labels, self.classes)
    }

    /// How many samples each class has.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for &l in &self.labels {
            counts[l] += 1;
        }
        counts
    }
}

/// `labels` one-hot encoded: row `i` is all zeros but a one at column `labels[i]`.
///
/// # Panics
/// If a label is not below `classes`.
///
/// # Example
/// ```
/// let t = dl_data::one_hot(&[2, 0], 3);
/// assert_eq!(t.shape(), &[2, 3]);
/// assert_eq!(t.to_vec(), vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
/// ```
#[track_caller]
pub fn one_hot(labels: &[usize], classes: usize) -> Tensor<f32> {
    let mut data = vec![0.0f32; labels.len() * classes];
    for (i, &l) in labels.iter().enumerate() {
        if l >= classes {
            panic!("one_hot: label {l} at index {i} is not below {classes} classes");
        }
        data[i * classes + l] = 1.0;
    }
    Tensor::from_vec(data, [labels.len(), classes])
}

/// A training set and a test set, as the loaders return them.
#[derive(Clone, Debug, PartialEq)]
pub struct Splits {
    /// Which dataset.
    pub name: DatasetName,
    /// The folder the files were read from.
    pub dir: PathBuf,
    /// The training set.
    pub train: Dataset,
    /// The test set.
    pub test: Dataset,
}

impl Splits {
    /// A one-line description: name, folder and sizes.
    pub fn describe(&self) -> String {
        format!(
            "{} from {} ({} train / {} test, samples {:?})",
            self.name,
            self.dir.display(),
            self.train.len(),
            self.test.len(),
            self.train.sample_shape()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Dataset {
        // Sample i is the row [10i, 10i + 1], label i % 3.
        let images = Tensor::from_fn([5, 2], |ix| (10 * ix[0] + ix[1]) as f32);
        Dataset::new(images, vec![0, 1, 2, 0, 1], 3)
    }

    #[test]
    fn batch_gathers_rows_and_labels_with_repeats() {
        let d = tiny();
        let (x, t) = d.batch(&[4, 0, 4]);
        assert_eq!(x.shape(), &[3, 2]);
        assert_eq!(x.to_vec(), vec![40.0, 41.0, 0.0, 1.0, 40.0, 41.0]);
        assert_eq!(t, vec![1, 0, 1]);
    }

    #[test]
    #[should_panic(expected = "index 5 is out of range for 5 samples")]
    fn batch_out_of_range_panics() {
        tiny().batch(&[5]);
    }

    #[test]
    fn take_first_shares_storage_and_clamps() {
        let d = tiny().with_one_hot();
        let first = d.take_first(2);
        assert_eq!(first.len(), 2);
        assert!(first.images.shares_storage(&d.images));
        assert_eq!(first.images.to_vec(), vec![0.0, 1.0, 10.0, 11.0]);
        assert_eq!(first.labels, vec![0, 1]);
        assert_eq!(
            first.one_hot_labels.unwrap().to_vec(),
            vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        );
        assert_eq!(d.take_first(99).len(), 5);
    }

    #[test]
    fn one_hot_and_counts() {
        let d = tiny();
        assert_eq!(d.class_counts(), vec![2, 2, 1]);
        let t = d.one_hot(&[1]);
        assert_eq!(t.to_vec(), vec![0.0, 1.0, 0.0]);
    }

    #[test]
    #[should_panic(expected = "label 3 at index 1 is not below 3 classes")]
    fn one_hot_rejects_large_labels() {
        one_hot(&[0, 3], 3);
    }

    #[test]
    #[should_panic(expected = "images of shape [5, 2] but 4 labels")]
    fn new_checks_counts() {
        Dataset::new(Tensor::zeros([5, 2]), vec![0; 4], 3);
    }
}
