//! Mini-batch sampling, seeded: with replacement (the course's
//! `np.random.choice(train_size, batch_size)`) and shuffled epochs without replacement (Keras's
//! `shuffle=True`).

use dl_tensor::Rng;
use rand::RngExt;
use rand::seq::SliceRandom;

/// `batch` indices drawn uniformly from `0..n` with replacement, as
/// `np.random.choice(n, batch)`.
///
/// # Panics
/// If `n == 0` and `batch > 0` (nothing to draw from).
///
/// # Example
/// ```
/// let mut rng = dl_tensor::rng_from_seed(7);
/// let idx = dl_data::sample_with_replacement(60_000, 100, &mut rng);
/// assert_eq!(idx.len(), 100);
/// assert!(idx.iter().all(|&i| i < 60_000));
/// ```
#[track_caller]
pub fn sample_with_replacement(n: usize, batch: usize, rng: &mut Rng) -> Vec<usize> {
    if n == 0 && batch > 0 {
        panic!("sample_with_replacement: cannot draw {batch} indices from an empty set");
    }
    (0..batch).map(|_| rng.random_range(0..n)).collect()
}

/// A uniformly random permutation of `0..n` (Fisher–Yates).
pub fn permutation(n: usize, rng: &mut Rng) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    p.shuffle(rng);
    p
}

/// The mini-batches of one epoch: a fresh permutation of `0..n` cut into batches of
/// `batch_size`; the last batch holds the remainder (as Keras does).
///
/// # Panics
/// If `batch_size == 0`.
///
/// # Example
/// ```
/// let mut rng = dl_tensor::rng_from_seed(1);
/// let batches: Vec<Vec<usize>> = dl_data::epoch_batches(10, 4, &mut rng).collect();
/// assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4, 2]);
/// let mut all: Vec<usize> = batches.concat();
/// all.sort();
/// assert_eq!(all, (0..10).collect::<Vec<_>>());
/// ```
#[track_caller]
pub fn epoch_batches(n: usize, batch_size: usize, rng: &mut Rng) -> EpochBatches {
    if batch_size == 0 {
        panic!("epoch_batches: batch size must be positive (n = {n})");
    }
    EpochBatches {
        order: permutation(n, rng),
        batch_size,
        next: 0,
    }
}

/// The iterator of [`epoch_batches`]: index batches covering `0..n` once.
#[derive(Clone, Debug)]
pub struct EpochBatches {
    order: Vec<usize>,
    batch_size: usize,
    next: usize,
}

impl EpochBatches {
    /// The number of batches in the epoch, `⌈n / batch_size⌉`.
    pub fn num_batches(&self) -> usize {
        self.order.len().div_ceil(self.batch_size)
    }

    /// The whole epoch's order.
    pub fn order(&self) -> &[usize] {
        &self.order
    }
}

impl Iterator for EpochBatches {
    type Item = Vec<usize>;

    fn next(&mut self) -> Option<Vec<usize>> {
        if self.next >= self.order.len() {
            return None;
        }
        let end = (self.next + self.batch_size).min(self.order.len());
        let batch = self.order[self.next..end].to_vec();
        self.next = end;
        Some(batch)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.order.len() - self.next).div_ceil(self.batch_size);
        (left, Some(left))
    }
}

impl ExactSizeIterator for EpochBatches {}

#[cfg(test)]
mod tests {
    use super::*;
    use dl_tensor::rng_from_seed;

    #[test]
    fn same_seed_same_indices_and_seeds_differ() {
        let a = sample_with_replacement(1000, 50, &mut rng_from_seed(3));
        let b = sample_with_replacement(1000, 50, &mut rng_from_seed(3));
        let c = sample_with_replacement(1000, 50, &mut rng_from_seed(4));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn with_replacement_repeats_and_covers_uniformly() {
        // 100 draws from 10 values: by pigeonhole some value repeats.
        let idx = sample_with_replacement(10, 100, &mut rng_from_seed(0));
        let mut counts = [0usize; 10];
        idx.iter().for_each(|&i| counts[i] += 1);
        assert!(counts.iter().any(|&c| c > 1));
        // 100,000 draws from 0..10: each count ~ Binomial(1e5, 0.1), sd ≈ 95; allow 6 sd.
        let idx = sample_with_replacement(10, 100_000, &mut rng_from_seed(1));
        let mut counts = [0usize; 10];
        idx.iter().for_each(|&i| counts[i] += 1);
        for c in counts {
            assert!((c as f64 - 10_000.0).abs() < 6.0 * 94.9, "count {c}");
        }
    }

    #[test]
    fn epochs_are_permutations_and_differ_between_epochs() {
        let mut rng = rng_from_seed(9);
        let e1: Vec<usize> = epoch_batches(100, 32, &mut rng).flatten().collect();
        let e2: Vec<usize> = epoch_batches(100, 32, &mut rng).flatten().collect();
        for e in [&e1, &e2] {
            let mut s = e.clone();
            s.sort();
            assert_eq!(s, (0..100).collect::<Vec<_>>());
        }
        assert_ne!(e1, e2);
        let it = epoch_batches(100, 32, &mut rng);
        assert_eq!(it.num_batches(), 4);
        assert_eq!(it.len(), 4);
    }

    #[test]
    #[should_panic(expected = "empty set")]
    fn drawing_from_nothing_panics() {
        sample_with_replacement(0, 1, &mut rng_from_seed(0));
    }
}
