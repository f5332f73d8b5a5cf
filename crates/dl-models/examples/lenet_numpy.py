#!/usr/bin/env python3
# Usage: pip install numpy safetensors; cargo run --release -p dl-models --example lenet -- --quick;
#        python3 crates/dl-models/examples/lenet_numpy.py /tmp/lenet.safetensors
# Reads the LeNet example's checkpoint with safetensors (NumPy), rebuilds the forward pass with
# PyTorch's layouts (nn.Conv2d weight (out, in, kh, kw); nn.Linear weight (out, in) = our W.T),
# and measures the accuracy on the first 1,000 MNIST test digits padded to 32x32.
import gzip, json, os, sys
import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

path = sys.argv[1]
with safe_open(path, "np") as f:
    spec = json.loads(f.metadata()["dl_models.network"])
print([l["name"] for l in spec["layers"]])
t = load_file(path)

def idx(p):
    op = gzip.open if p.endswith(".gz") else open
    with op(p, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)

d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../datasets/mnist/")
name = lambda s: d + s if os.path.exists(d + s) else d + s + ".gz"
x = idx(name("t10k-images-idx3-ubyte"))[:1000].astype(np.float32) / 255.0
y = idx(name("t10k-labels-idx1-ubyte"))[:1000]
x = np.pad(x[:, None], ((0, 0), (0, 0), (2, 2), (2, 2)))

def conv(x, w, b):  # w as nn.Conv2d.weight: (out, in, kh, kw); stride 1, no pad
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    cols = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))  # n c oh ow kh kw
    return np.einsum("nchwij,ocij->nohw", cols, w) + b[None, :, None, None]

def pool(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))

relu = lambda v: np.maximum(v, 0)
h = pool(relu(conv(x, t["conv1.W"], t["conv1.b"])))
h = pool(relu(conv(h, t["conv2.W"], t["conv2.b"])))
h = h.reshape(len(h), -1)  # nn.Flatten: C, H, W order
for name_, act in [("affine1", True), ("affine2", True), ("affine3", False)]:
    linear_weight = t[f"{name_}.W"].T  # what nn.Linear.weight would hold: (out, in)
    h = h @ linear_weight.T + t[f"{name_}.b"]
    if act:
        h = relu(h)
print("accuracy", (h.argmax(1) == y).mean())
