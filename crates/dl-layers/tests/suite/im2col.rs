//! im2col / col2im: the course's index order, adjointness, output sizes.

use crate::common::{randn, rng};
use dl_layers::{col2im, conv_output_size, im2col};
use dl_tensor::Tensor;

#[test]
fn output_size_formula() {
    // (H + 2·pad − FH) / stride + 1, by hand.
    assert_eq!(conv_output_size(28, 5, 1, 0), 24);
    assert_eq!(conv_output_size(6, 2, 1, 1), 7);
    assert_eq!(conv_output_size(7, 3, 2, 0), 3);
    assert_eq!(conv_output_size(8, 3, 2, 1), 4); // (8 + 2 − 3)/2 + 1 = 3.5 → 4
    assert_eq!(conv_output_size(224, 11, 4, 2), 55); // AlexNet's first layer
    assert_eq!(conv_output_size(14, 3, 1, 2), 16); // DeepConvNet's conv4
}

#[test]
#[should_panic(expected = "does not fit")]
fn filter_larger_than_input_panics() {
    conv_output_size(3, 6, 1, 1);
}

#[test]
fn column_order_is_course_order() {
    // Strides 1 and 2, pads 0 to 2, square and non-square windows, "same" and "valid" sizes.
    for &((h, w), fh, fw, stride, pad) in &[
        ((3, 4), 2, 3, 1, 1),
        ((5, 5), 3, 3, 1, 1),
        ((5, 6), 3, 3, 2, 0),
        ((4, 5), 2, 2, 2, 2),
        ((6, 4), 3, 2, 1, 0),
    ] {
        // x[n, c, h, w] = 1000n + 100c + 10h + w, so each value names its own index.
        let (n, c) = (2, 2);
        let x = Tensor::<f64>::from_fn([n, c, h, w], |i| {
            (1000 * i[0] + 100 * i[1] + 10 * i[2] + i[3]) as f64
        });
        let (oh, ow) = (
            (h + 2 * pad - fh) / stride + 1,
            (w + 2 * pad - fw) / stride + 1,
        );
        let col = im2col(&x, fh, fw, stride, pad);
        assert_eq!(col.shape(), &[n * oh * ow, c * fh * fw]);
        // Row (ni, oy, ox), column (ci, ky, kx) holds
        // x[ni, ci, oy·stride + ky − pad, ox·stride + kx − pad], or 0 in the padding.
        for ni in 0..n {
            for oy in 0..oh {
                for ox in 0..ow {
                    for ci in 0..c {
                        for ky in 0..fh {
                            for kx in 0..fw {
                                let row = (ni * oh + oy) * ow + ox;
                                let column = (ci * fh + ky) * fw + kx;
                                let (iy, ix) = (oy * stride + ky, ox * stride + kx);
                                let padding =
                                    iy < pad || ix < pad || iy - pad >= h || ix - pad >= w;
                                let want = if padding {
                                    0.0
                                } else {
                                    x.at(&[ni, ci, iy - pad, ix - pad])
                                };
                                assert_eq!(col.at(&[row, column]), want);
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn col2im_is_the_adjoint_of_im2col() {
    // ⟨im2col x, y⟩ = ⟨x, col2im y⟩ for every geometry.
    let mut r = rng(7);
    for &(shape, fh, fw, stride, pad) in &[
        ([2, 3, 5, 5], 3, 3, 1, 0),
        ([1, 2, 6, 7], 3, 2, 2, 1),
        ([2, 1, 7, 6], 2, 2, 1, 2),
        ([3, 2, 8, 8], 3, 3, 2, 1),
        ([1, 1, 4, 4], 4, 4, 1, 0),
    ] {
        let x = randn(&shape, &mut r);
        let col = im2col(&x, fh, fw, stride, pad);
        let y = randn(col.shape(), &mut r);
        let lhs = col.mul(&y).sum_all();
        let rhs = x.mul(&col2im(&y, &shape, fh, fw, stride, pad)).sum_all();
        assert!(
            (lhs - rhs).abs() <= 1e-12 * lhs.abs().max(1.0),
            "{shape:?} {fh}×{fw} s{stride} p{pad}: {lhs} vs {rhs}"
        );
    }
}

#[test]
fn col2im_counts_overlaps() {
    // col2im of all-ones counts how many windows cover each pixel: for 3×3 windows, stride 1,
    // over a 4×4 image, the corner is covered once and the centre four pixels four times.
    let ones = Tensor::<f64>::ones([4, 9]);
    let img = col2im(&ones, &[1, 1, 4, 4], 3, 3, 1, 0);
    assert_eq!(
        img.to_vec(),
        vec![
            1.0, 2.0, 2.0, 1.0, //
            2.0, 4.0, 4.0, 2.0, //
            2.0, 4.0, 4.0, 2.0, //
            1.0, 2.0, 2.0, 1.0,
        ]
    );
}

#[test]
#[should_panic(expected = "col2im")]
fn col2im_rejects_wrong_column_shape() {
    col2im(&Tensor::<f64>::ones([5, 9]), &[1, 1, 4, 4], 3, 3, 1, 0);
}
