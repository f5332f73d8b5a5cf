"""The steps of `cargo xtask bench` in PyTorch, eager mode on the CPU, f32.

    python torch_steps.py [STEP…] --threads T --reps N

Same networks, batch shapes, losses and optimizers as `benches/src/lib.rs`: random pixels in
[0, 1), labels `(i·7 + 3) mod classes`, softmax cross-entropy; a training step is
`zero_grad`, forward, loss, backward, `optimizer.step()`. `alexnet-forward` runs in `eval()`
mode under `torch.no_grad()`. Dropout is PyTorch's (scaled by 1/(1−p) in training; the course's
is not scaled: the same work). Plus `sgemm-N`: `torch.matmul` of two N×N f32 matrices.
"""

import sys

import torch
from torch import nn
import torch.nn.functional as F

from timing import main, sgemm_about


def mlp(sizes, activation):
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(nn.Flatten(), *layers)


def deep_conv_net():
    def conv(c_in, c_out, pad):
        return [nn.Conv2d(c_in, c_out, 3, padding=pad), nn.ReLU()]

    return nn.Sequential(
        *conv(1, 16, 1), *conv(16, 16, 1), nn.MaxPool2d(2),
        *conv(16, 32, 1), *conv(32, 32, 2), nn.MaxPool2d(2),  # conv4's pad 2: 14 → 16
        *conv(32, 64, 1), *conv(64, 64, 1), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 4 * 4, 50), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(50, 10), nn.Dropout(0.5),
    )


def alexnet(classes=1000):
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(), nn.Dropout(0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
        nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, classes),
    )


def keras_cnn():
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 15 * 15, 512), nn.ReLU(), nn.Linear(512, 10),
    )


def batch(shape, classes):
    g = torch.Generator().manual_seed(0x5EED)
    x = torch.rand(shape, generator=g)
    t = torch.tensor([(i * 7 + 3) % classes for i in range(shape[0])])
    return x, t


def training(model, shape, optimizer, classes=10):
    def build():
        torch.manual_seed(0)
        net = model()
        net.train()
        opt = optimizer(net.parameters())
        x, t = batch(shape, classes)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(x), t)
            loss.backward()
            opt.step()
            return loss.item()

        return step

    return build


def inference(model, shape):
    def build():
        torch.manual_seed(0)
        net = model()
        net.eval()
        x, _ = batch(shape, 1)

        def step():
            with torch.no_grad():
                return net(x)

        return step

    return build


def sgemm(n):
    def build():
        g = torch.Generator().manual_seed(1)
        a, b = torch.rand(n, n, generator=g), torch.rand(n, n, generator=g)
        return lambda: torch.matmul(a, b)

    return build


def sgd(lr):
    return lambda params: torch.optim.SGD(params, lr=lr)


def adam(lr):
    return lambda params: torch.optim.Adam(params, lr=lr, eps=1e-7)


STEPS = {
    "mlp-sigmoid": ("MLP 784-40-20-10 sigmoid, SGD, batch 100",
                    training(lambda: mlp([784, 40, 20, 10], nn.Sigmoid), (100, 784), sgd(0.1))),
    "mlp-relu-deep": ("MLP 784-100x6-10 ReLU, SGD, batch 100",
                      training(lambda: mlp([784] + [100] * 6 + [10], nn.ReLU), (100, 784),
                               sgd(0.01))),
    "deep-conv-net": ("DeepConvNet, Adam, batch 100, 1x28x28",
                      training(deep_conv_net, (100, 1, 28, 28), adam(0.001))),
    "alexnet-forward": ("AlexNet forward (inference), batch 8, 3x224x224",
                        inference(alexnet, (8, 3, 224, 224))),
    "alexnet-step": ("AlexNet training step, SGD, batch 8, 3x224x224",
                     training(alexnet, (8, 3, 224, 224), sgd(0.01), classes=1000)),
    "keras-cnn": ("Keras CNN of 2_9-2_11, Adam, batch 256, 3x32x32",
                  training(keras_cnn, (256, 3, 32, 32), adam(0.001))),
}
for _n in (512, 1024, 2048):
    STEPS[f"sgemm-{_n}"] = (sgemm_about(_n) + ", torch.matmul", sgemm(_n))


if __name__ == "__main__":
    sys.exit(main(STEPS, torch.set_num_threads, f"PyTorch {torch.__version__}"))
