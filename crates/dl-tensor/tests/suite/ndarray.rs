//! Conversions between `Tensor` and `ndarray` arrays (the `ndarray` feature): element order,
//! strided views and the rank check of `to_ndarray_dim`.

use dl_tensor::ndarray::{Array, Array2, ArrayD, Ix1, Ix2, Ix3, IxDyn, array, s};
use dl_tensor::{RankMismatch, Tensor};

fn arange(shape: &[usize]) -> Tensor<f64> {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|i| i as f64).collect(), shape)
}

#[test]
fn array2_round_trip() {
    let a: Array2<f32> = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let t = Tensor::from(a.clone());
    assert_eq!(t.shape(), &[2, 3]);
    assert_eq!(t.to_vec(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(t.to_ndarray_dim::<Ix2>().unwrap(), a);
    assert_eq!(t.to_ndarray_dim::<IxDyn>().unwrap(), a.into_dyn());
}

#[test]
fn transposed_and_stepped_views_copy_in_logical_order() {
    let a: Array2<f64> = Array::from_shape_fn((3, 4), |(i, j)| (10 * i + j) as f64);
    let t = Tensor::from(a.t());
    assert_eq!(t.shape(), &[4, 3]);
    assert_eq!(t.at(&[3, 1]), 13.0);
    assert_eq!(t.to_ndarray_dim::<Ix2>().unwrap(), a.t());

    // Every other column, reversed rows: negative and non-unit strides.
    let stepped = a.slice(s![..;-1, ..;2]);
    let t = Tensor::from(stepped);
    assert_eq!(t.shape(), &[3, 2]);
    assert_eq!(t.to_vec(), vec![20.0, 22.0, 10.0, 12.0, 0.0, 2.0]);
}

#[test]
fn owned_arrays_in_any_layout() {
    // A sliced owned array is in standard layout but starts inside its buffer.
    let sliced = Array::from_shape_fn((3, 4), |(i, j)| (10 * i + j) as f64).slice_move(s![1.., ..]);
    assert_eq!(
        Tensor::from(sliced).to_vec(),
        vec![10.0, 11.0, 12.0, 13.0, 20.0, 21.0, 22.0, 23.0]
    );

    let a = arange(&[2, 3, 2]);
    let reversed: Tensor<f64> = a.to_ndarray().reversed_axes().into();
    assert_eq!(reversed.shape(), &[2, 3, 2]);
    assert_eq!(reversed.at(&[1, 2, 0]), a.at(&[0, 2, 1]));

    let vector = Tensor::from(array![1.0f32, 2.0, 3.0]);
    assert_eq!(vector.shape(), &[3]);
    assert_eq!(
        vector.to_ndarray_dim::<Ix1>().unwrap(),
        array![1.0, 2.0, 3.0]
    );
}

#[test]
fn arrayd_round_trip_of_a_strided_tensor() {
    let a = arange(&[2, 3, 4]);
    let view = a.permute(&[2, 0, 1]).narrow(0, 1, 2);
    let arr: ArrayD<f64> = view.to_ndarray();
    assert_eq!(arr.shape(), &[2, 2, 3]);
    for i in 0..2 {
        for j in 0..2 {
            for k in 0..3 {
                assert_eq!(arr[[i, j, k]], view.at(&[i, j, k]));
            }
        }
    }
    let back = Tensor::from(arr.clone());
    assert_eq!(back, view);
    assert_eq!(ArrayD::from(back), arr);
}

#[test]
fn rank_mismatch_names_the_shape_and_the_wanted_rank() {
    let t = arange(&[2, 3]);
    let err = t.to_ndarray_dim::<Ix3>().unwrap_err();
    assert_eq!(
        err,
        RankMismatch {
            shape: vec![2, 3],
            wanted_rank: 3
        }
    );
    assert_eq!(
        err.to_string(),
        "a tensor of shape [2, 3] (rank 2) cannot become a rank-3 array"
    );
}
