"""The steps of `cargo xtask bench` in the course's NumPy style, f32 (`numpy_layers.py`).

    python numpy_steps.py [STEP…] --threads T --reps N

Same networks, batch shapes and optimizers as `benches/src/lib.rs`. NumPy's matrix products run
on the BLAS its wheel ships (OpenBLAS), whose thread count is read from `OPENBLAS_NUM_THREADS`
(and `OMP_NUM_THREADS`) when NumPy is imported: `--threads` sets them before the import. The
rest of NumPy runs on one thread. Plus `sgemm-N`: `a @ b` of two N×N f32 matrices.
"""

import math
import os
import sys


def _threads_from_argv():
    """`--threads T` of the command line, read before NumPy (and its BLAS) is imported."""
    argv = sys.argv
    if "--threads" in argv:
        i = argv.index("--threads")
        if i + 1 < len(argv):
            return argv[i + 1]
    return "1"


for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = _threads_from_argv()

import numpy as np  # noqa: E402

from numpy_layers import (  # noqa: E402
    Adam, Affine, Convolution, Dropout, Network, Pooling, Relu, SGD, Sigmoid,
)
from timing import main, sgemm_about  # noqa: E402


def he(fan_in):
    return math.sqrt(2.0 / fan_in)


def mlp(sizes, activation, init, rng):
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(Affine(fan_in, fan_out, init(fan_in), rng))
        if i < len(sizes) - 2:
            layers.append(activation())
    return Network(layers)


def deep_conv_net(rng):
    layers, channels = [], 1
    # (filters, pad) of the six 3×3 convolutions; conv4's pad 2 makes 14 → 16.
    for i, (filters, pad) in enumerate([(16, 1), (16, 1), (32, 1), (32, 2), (64, 1), (64, 1)]):
        layers += [Convolution(filters, channels, 3, 1, pad, he(channels * 9), rng), Relu()]
        if i % 2 == 1:
            layers.append(Pooling(2, 2))
        channels = filters
    layers += [Affine(64 * 4 * 4, 50, he(1024), rng), Relu(), Dropout(0.5, rng),
               Affine(50, 10, he(50), rng), Dropout(0.5, rng)]
    return Network(layers)


def alexnet(rng, classes=1000):
    def conv(filters, channels, k, stride, pad):
        return [Convolution(filters, channels, k, stride, pad, he(channels * k * k), rng), Relu()]

    return Network([
        *conv(64, 3, 11, 4, 2), Pooling(3, 2),
        *conv(192, 64, 5, 1, 2), Pooling(3, 2),
        *conv(384, 192, 3, 1, 1), *conv(256, 384, 3, 1, 1), *conv(256, 256, 3, 1, 1),
        Pooling(3, 2),
        Dropout(0.5, rng), Affine(256 * 6 * 6, 4096, he(9216), rng), Relu(),
        Dropout(0.5, rng), Affine(4096, 4096, he(4096), rng), Relu(),
        Affine(4096, classes, he(4096), rng),
    ])


def keras_cnn(rng):
    return Network([
        Convolution(32, 3, 3, 1, 1, he(27), rng), Relu(),
        Convolution(32, 32, 3, 1, 0, he(288), rng), Relu(), Pooling(2, 2),
        Affine(32 * 15 * 15, 512, he(7200), rng), Relu(), Affine(512, 10, he(512), rng),
    ])


def batch(shape, classes, rng):
    x = rng.random(shape, dtype=np.float32)
    t = np.array([(i * 7 + 3) % classes for i in range(shape[0])])
    return x, t


def training(model, shape, optimizer, classes=10):
    def build():
        rng = np.random.default_rng(0)
        net, opt = model(rng), optimizer()
        x, t = batch(shape, classes, rng)
        params = net.params

        def step():
            loss = net.loss(x, t)
            net.backward()
            opt.update(params())
            return loss

        return step

    return build


def inference(model, shape):
    def build():
        rng = np.random.default_rng(0)
        net = model(rng)
        x, _ = batch(shape, 1, rng)
        return lambda: net.predict(x, train=False)

    return build


def sgemm(n):
    def build():
        rng = np.random.default_rng(1)
        a = rng.random((n, n), dtype=np.float32)
        b = rng.random((n, n), dtype=np.float32)
        return lambda: a @ b

    return build


def sigmoid_mlp(rng):
    return mlp([784, 40, 20, 10], Sigmoid, lambda n: math.sqrt(1.0 / n), rng)


def relu_mlp(rng):
    return mlp([784] + [100] * 6 + [10], Relu, he, rng)


STEPS = {
    "mlp-sigmoid": ("MLP 784-40-20-10 sigmoid, SGD, batch 100",
                    training(sigmoid_mlp, (100, 784), lambda: SGD(0.1))),
    "mlp-relu-deep": ("MLP 784-100x6-10 ReLU, SGD, batch 100",
                      training(relu_mlp, (100, 784), lambda: SGD(0.01))),
    "deep-conv-net": ("DeepConvNet, Adam, batch 100, 1x28x28",
                      training(deep_conv_net, (100, 1, 28, 28), lambda: Adam(0.001))),
    "alexnet-forward": ("AlexNet forward (inference), batch 8, 3x224x224",
                        inference(alexnet, (8, 3, 224, 224))),
    "alexnet-step": ("AlexNet training step, SGD, batch 8, 3x224x224",
                     training(alexnet, (8, 3, 224, 224), lambda: SGD(0.01), classes=1000)),
    "keras-cnn": ("Keras CNN of 2_9-2_11, Adam, batch 256, 3x32x32",
                  training(keras_cnn, (256, 3, 32, 32), lambda: Adam(0.001))),
}
for _n in (512, 1024, 2048):
    STEPS[f"sgemm-{_n}"] = (sgemm_about(_n) + ", numpy @", sgemm(_n))


if __name__ == "__main__":
    sys.exit(main(STEPS, lambda _threads: None, f"NumPy {np.__version__}, course-style layers"))
