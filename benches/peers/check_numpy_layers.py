"""Gradient check of `numpy_layers.py` in f64: backward against central differences.

    python benches/peers/check_numpy_layers.py

A small network with every layer the NumPy steps use (a strided, padded convolution, overlapping
max pooling, ReLU, sigmoid, affine, softmax with loss); prints the largest relative error over
all parameters and exits non-zero above 1e-4. Dropout is left out (its mask is redrawn each pass).
"""

import sys

import numpy as np

from numpy_layers import Affine, Convolution, Network, Pooling, Relu, Sigmoid


def main():
    rng = np.random.default_rng(3)
    f64 = np.float64
    net = Network([
        Convolution(3, 2, 3, 2, 1, 0.5, rng, f64), Relu(), Pooling(3, 2),  # 9 → 5 → 2
        Convolution(4, 3, 2, 1, 1, 0.5, rng, f64), Sigmoid(), Pooling(2, 2),  # 2 → 3 → 1
        Affine(4, 5, 0.5, rng, f64),
    ])
    for p, _ in [(layer.b, None) for layer in net.layers if hasattr(layer, "b")]:
        p[:] = rng.standard_normal(p.shape)
    x, t = rng.standard_normal((2, 2, 9, 9)), np.array([1, 3])
    net.loss(x, t)
    net.backward()
    worst, h = 0.0, 1e-5
    for p, grad in net.params():
        numeric = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + h
            up = net.loss(x, t)
            p[i] = old - h
            down = net.loss(x, t)
            p[i] = old
            numeric[i] = (up - down) / (2 * h)
        worst = max(worst, np.abs(numeric - grad).max() / (np.abs(numeric).max() + 1e-12))
    print(f"largest relative error: {worst:.2e}")
    return 0 if worst < 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
