//! Views, copy-on-write, broadcasting, reductions and matmul of `Tensor`, against values
//! written out by hand or computed with plain loops in the test.

use dl_tensor::{Tensor, rng_from_seed};

fn arange(shape: &[usize]) -> Tensor<f64> {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|i| i as f64).collect(), shape)
}

#[test]
fn transpose_and_permute_are_views() {
    let a = arange(&[2, 3, 4]);
    let p = a.permute(&[2, 0, 1]);
    assert!(p.shares_storage(&a));
    assert_eq!(p.shape(), &[4, 2, 3]);
    for i in 0..4 {
        for j in 0..2 {
            for k in 0..3 {
                assert_eq!(p.at(&[i, j, k]), a.at(&[j, k, i]));
            }
        }
    }
    let t = arange(&[2, 3]).t();
    assert_eq!(t.to_vec(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    assert!(!t.is_contiguous());
    assert!(t.to_contiguous().is_contiguous());
}

#[test]
fn reshape_is_a_view_when_contiguous_and_copies_otherwise() {
    let a = arange(&[4, 6]);
    let r = a.reshape([2, 12]);
    assert!(r.shares_storage(&a));
    assert_eq!(r.at(&[1, 0]), 12.0);
    let t = a.t().reshape([24]);
    assert!(!t.shares_storage(&a));
    assert_eq!(&t.to_vec()[..5], &[0.0, 6.0, 12.0, 18.0, 1.0]);
    assert_eq!(a.flatten_2d().shape(), &[4, 6]);
    assert_eq!(arange(&[2, 3, 4]).flatten_2d().shape(), &[2, 12]);
}

#[test]
fn narrow_index_axis_and_select_rows() {
    let a = arange(&[5, 3]);
    let n = a.narrow(0, 1, 2);
    assert!(n.shares_storage(&a));
    assert_eq!(n.to_vec(), vec![3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
    let col = a.narrow(1, 2, 1);
    assert_eq!(col.to_vec(), vec![2.0, 5.0, 8.0, 11.0, 14.0]);
    assert_eq!(a.index_axis(1, 0).to_vec(), vec![0.0, 3.0, 6.0, 9.0, 12.0]);
    let s = a.select_rows(&[4, 0, 4]);
    assert_eq!(s.shape(), &[3, 3]);
    assert_eq!(
        s.to_vec(),
        vec![12.0, 13.0, 14.0, 0.0, 1.0, 2.0, 12.0, 13.0, 14.0]
    );
}

#[test]
fn writing_through_one_tensor_never_changes_another() {
    let a = arange(&[3, 3]);
    let mut view = a.narrow(0, 1, 1);
    view.as_mut_slice()[0] = 100.0;
    assert_eq!(a.at(&[1, 0]), 3.0, "the original is untouched");
    assert_eq!(view.at(&[0, 0]), 100.0);
    let mut b = a.clone();
    b.set(&[0, 0], -1.0);
    assert_eq!(a.at(&[0, 0]), 0.0);
    assert_eq!(b.at(&[0, 0]), -1.0);
    // A sole, dense owner is written in place.
    let mut c = arange(&[2, 2]);
    let before = c.as_slice().as_ptr();
    c.as_mut_slice()[0] = 9.0;
    assert_eq!(c.as_slice().as_ptr(), before);
}

#[test]
fn broadcasting_follows_numpy() {
    let a = arange(&[2, 3]);
    let row = Tensor::from_vec(vec![10.0, 20.0, 30.0], [3]);
    let col = Tensor::from_vec(vec![1.0, 2.0], [2, 1]);
    assert_eq!(
        a.add(&row).to_vec(),
        vec![10.0, 21.0, 32.0, 13.0, 24.0, 35.0]
    );
    assert_eq!(a.mul(&col).to_vec(), vec![0.0, 1.0, 2.0, 6.0, 8.0, 10.0]);
    assert_eq!(row.sub(&col).shape(), &[2, 3]);
    let b = row.broadcast_to([4, 3]);
    assert_eq!(b.strides(), &[0, 1]);
    assert_eq!(b.sum_axis(0, false).to_vec(), vec![40.0, 80.0, 120.0]);
    let mut acc = a.clone();
    acc.add_inplace(&row);
    assert_eq!(acc, a.add(&row));
    acc.axpy(-1.0, &row);
    assert_eq!(acc, a);
}

#[test]
#[should_panic(expected = "add: shape mismatch between [2, 3] and [4]")]
fn incompatible_shapes_panic_naming_both() {
    let _ = arange(&[2, 3]).add(&arange(&[4]));
}

#[test]
#[should_panic(expected = "matmul: shape mismatch between [2, 3] and [2, 3]")]
fn matmul_mismatch_panics_naming_both() {
    let _ = arange(&[2, 3]).matmul(&arange(&[2, 3]));
}

#[test]
fn unary_ops() {
    let x = Tensor::from_vec(vec![-2.0, 0.0, 3.0], [3]);
    assert_eq!(x.abs().to_vec(), vec![2.0, 0.0, 3.0]);
    assert_eq!(x.sign().to_vec(), vec![-1.0, 0.0, 1.0]);
    assert_eq!(x.max_scalar(0.0).to_vec(), vec![0.0, 0.0, 3.0]);
    assert_eq!(x.min_scalar(0.0).to_vec(), vec![-2.0, 0.0, 0.0]);
    assert_eq!(x.powi(2).to_vec(), vec![4.0, 0.0, 9.0]);
    assert!(x.exp().ln().max_abs_diff(&x) < 1e-12);
    assert_eq!(x.powi(2).sqrt(), x.abs());
    assert_eq!((&x * 2.0).to_vec(), vec![-4.0, 0.0, 6.0]);
    assert_eq!((-&x).to_vec(), vec![2.0, 0.0, -3.0]);
}

#[test]
fn reductions_match_loops() {
    let mut rng = rng_from_seed(3);
    let a = Tensor::<f64>::randn([3, 4, 5], 1.0, &mut rng);
    for axis in 0..3 {
        let s = a.sum_axis(axis, false);
        let m = a.max_axis(axis, true);
        let am = a.argmax_axis(axis);
        let v = a.var_axis(axis, false);
        let dims = a.shape().to_vec();
        let mut out_dims = dims.clone();
        out_dims.remove(axis);
        for i in 0..out_dims[0] {
            for j in 0..out_dims[1] {
                let idx = |k: usize| {
                    let mut full = vec![i, j];
                    full.insert(axis, k);
                    full
                };
                let vals: Vec<f64> = (0..dims[axis]).map(|k| a.at(&idx(k))).collect();
                let sum: f64 = vals.iter().sum();
                let mean = sum / vals.len() as f64;
                let var = vals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / vals.len() as f64;
                let (arg, max) = vals
                    .iter()
                    .enumerate()
                    .fold((0, f64::MIN), |b, (k, &x)| if x > b.1 { (k, x) } else { b });
                assert!((s.at(&[i, j]) - sum).abs() < 1e-12);
                assert!((v.at(&[i, j]) - var).abs() < 1e-12);
                assert_eq!(am.at(&[i, j]), arg);
                let mut keep = vec![i, j];
                keep.insert(axis, 0);
                assert_eq!(m.at(&keep), max);
            }
        }
    }
    assert!((a.sum_all() - a.to_vec().iter().sum::<f64>()).abs() < 1e-12);
    assert_eq!(
        a.max_all(),
        a.to_vec().iter().cloned().fold(f64::MIN, f64::max)
    );
}

#[test]
fn matmul_2d_3d_and_transposed_operands() {
    let mut rng = rng_from_seed(5);
    let a = Tensor::<f64>::randn([4, 6], 1.0, &mut rng);
    let b = Tensor::<f64>::randn([6, 3], 1.0, &mut rng);
    let naive = Tensor::from_fn([4, 3], |ix| {
        (0..6).map(|k| a.at(&[ix[0], k]) * b.at(&[k, ix[1]])).sum()
    });
    assert!(a.matmul(&b).max_abs_diff(&naive) < 1e-12);
    // Aᵀ as a view, multiplied without a copy.
    let at = a.t().to_contiguous();
    assert!(at.t().matmul(&b).max_abs_diff(&naive) < 1e-12);
    let batch = Tensor::stack(&[a.clone(), a.mul_scalar(2.0)]);
    let out = batch.matmul(&b);
    assert_eq!(out.shape(), &[2, 4, 3]);
    assert!(out.index_axis(0, 1).max_abs_diff(&naive.mul_scalar(2.0)) < 1e-12);
    let bb = Tensor::stack(&[b.clone(), b.clone()]);
    assert!(batch.matmul(&bb).max_abs_diff(&out) < 1e-12);
}

#[test]
fn seeded_random_is_reproducible_and_has_the_right_moments() {
    let a = Tensor::<f32>::randn([10000], 2.0, &mut rng_from_seed(11));
    let b = Tensor::<f32>::randn([10000], 2.0, &mut rng_from_seed(11));
    assert_eq!(a, b);
    let mean = a.mean_all();
    let std = a.var_axis(0, false).at(&[]).sqrt();
    assert!(mean.abs() < 0.06, "mean {mean}");
    assert!((std - 2.0).abs() < 0.06, "std {std}");
    let u = Tensor::<f64>::rand_uniform([1000], -1.0, 1.0, &mut rng_from_seed(2));
    assert!(u.min_all() >= -1.0 && u.max_all() < 1.0);
}
