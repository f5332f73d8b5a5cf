"""The course's layers in NumPy, f32: each layer keeps what its backward needs.

The style of the course's `layers.py` and `util.py` (our own code): a convolution unrolls its
input with `im2col` and does one matrix product; its backward folds the columns back with
`col2im`, adding where windows overlap; max pooling reuses `im2col` and keeps the argmax.
Everything stays in the input's dtype (the course's code is f64; ours and PyTorch's steps are f32).
"""

import math

import numpy as np


def out_size(size, kernel, stride, pad):
    return (size + 2 * pad - kernel) // stride + 1


def im2col(x, kh, kw, stride=1, pad=0):
    """`(N, C, H, W)` → `(N·OH·OW, C·kh·kw)`: one row per output position."""
    n, c, h, w = x.shape
    oh, ow = out_size(h, kh, stride, pad), out_size(w, kw, stride, pad)
    padded = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)]) if pad else x
    col = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            col[:, :, i, j] = padded[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(n * oh * ow, -1)


def col2im(col, shape, kh, kw, stride=1, pad=0):
    """The adjoint of `im2col`: sums each column entry back into the pixel it was read from."""
    n, c, h, w = shape
    oh, ow = out_size(h, kh, stride, pad), out_size(w, kw, stride, pad)
    col = col.reshape(n, oh, ow, c, kh, kw).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((n, c, h + 2 * pad + stride - 1, w + 2 * pad + stride - 1), dtype=col.dtype)
    for i in range(kh):
        for j in range(kw):
            img[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride] += col[:, :, i, j]
    return img[:, :, pad:pad + h, pad:pad + w]


class Affine:
    def __init__(self, fan_in, fan_out, std, rng, dtype=np.float32):
        self.W = (std * rng.standard_normal((fan_in, fan_out))).astype(dtype)
        self.b = np.zeros(fan_out, dtype=dtype)

    def forward(self, x, train=True):
        self.shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return (dout @ self.W.T).reshape(self.shape)

    def params(self):
        return [(self.W, "dW"), (self.b, "db")]


class Relu:
    def forward(self, x, train=True):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout = dout.copy()
        dout[self.mask] = 0
        return dout

    def params(self):
        return []


class Sigmoid:
    def forward(self, x, train=True):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * (1 - self.out) * self.out

    def params(self):
        return []


class Dropout:
    """The course's dropout: a random mask in training, scaling by `1 − ratio` in inference."""

    def __init__(self, ratio, rng):
        self.ratio, self.rng = ratio, rng

    def forward(self, x, train=True):
        if train:
            self.mask = self.rng.random(x.shape, dtype=np.float32) > self.ratio
            return x * self.mask
        return x * (1 - self.ratio)

    def backward(self, dout):
        return dout * self.mask

    def params(self):
        return []


class Convolution:
    def __init__(self, filters, channels, k, stride, pad, std, rng, dtype=np.float32):
        self.W = (std * rng.standard_normal((filters, channels, k, k))).astype(dtype)
        self.b = np.zeros(filters, dtype=dtype)
        self.stride, self.pad = stride, pad

    def forward(self, x, train=True):
        fn, _, kh, kw = self.W.shape
        n, _, h, w = x.shape
        oh, ow = out_size(h, kh, self.stride, self.pad), out_size(w, kw, self.stride, self.pad)
        self.shape = x.shape
        self.col = im2col(x, kh, kw, self.stride, self.pad)
        self.col_W = self.W.reshape(fn, -1).T
        out = self.col @ self.col_W + self.b
        return out.reshape(n, oh, ow, fn).transpose(0, 3, 1, 2)

    def backward(self, dout):
        fn, c, kh, kw = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, fn)
        self.db = dout.sum(axis=0)
        self.dW = (self.col.T @ dout).T.reshape(fn, c, kh, kw)
        dcol = dout @ self.col_W.T
        return col2im(dcol, self.shape, kh, kw, self.stride, self.pad)

    def params(self):
        return [(self.W, "dW"), (self.b, "db")]


class Pooling:
    def __init__(self, size, stride):
        self.size, self.stride = size, stride

    def forward(self, x, train=True):
        n, c, h, w = x.shape
        k, s = self.size, self.stride
        oh, ow = out_size(h, k, s, 0), out_size(w, k, s, 0)
        self.shape = x.shape
        col = im2col(x, k, k, s).reshape(-1, k * k)
        self.argmax = col.argmax(axis=1)
        out = col.max(axis=1)
        return out.reshape(n, oh, ow, c).transpose(0, 3, 1, 2)

    def backward(self, dout):
        k = self.size
        dout = dout.transpose(0, 2, 3, 1)
        dmax = np.zeros((dout.size, k * k), dtype=dout.dtype)
        dmax[np.arange(dout.size), self.argmax] = dout.ravel()
        dcol = dmax.reshape(-1, self.shape[1] * k * k)
        return col2im(dcol, self.shape, k, k, self.stride)

    def params(self):
        return []


class SoftmaxWithLoss:
    def forward(self, x, t):
        z = x - x.max(axis=1, keepdims=True)
        e = np.exp(z)
        self.y, self.t = e / e.sum(axis=1, keepdims=True), t
        rows = np.arange(x.shape[0])
        return -np.mean(np.log(self.y[rows, t] + 1e-7))

    def backward(self):
        dx = self.y.copy()
        dx[np.arange(dx.shape[0]), self.t] -= 1
        return dx / dx.shape[0]


class Network:
    """Layers in order, then softmax with cross-entropy."""

    def __init__(self, layers):
        self.layers, self.last = layers, SoftmaxWithLoss()

    def predict(self, x, train=False):
        for layer in self.layers:
            x = layer.forward(x, train)
        return x

    def loss(self, x, t):
        return self.last.forward(self.predict(x, train=True), t)

    def backward(self):
        dout = self.last.backward()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)

    def params(self):
        """`(array, gradient)` of every parameter, in layer order."""
        return [(p, getattr(layer, g)) for layer in self.layers for p, g in layer.params()]


class SGD:
    def __init__(self, lr):
        self.lr = lr

    def update(self, params):
        for p, g in params:
            p -= self.lr * g


class Adam:
    """The course's Adam: bias correction folded into the learning rate."""

    def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-7):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.iter, self.m, self.v = 0, None, None

    def update(self, params):
        if self.m is None:
            self.m = [np.zeros_like(p) for p, _ in params]
            self.v = [np.zeros_like(p) for p, _ in params]
        self.iter += 1
        # A Python float, so that the update stays in the parameters' f32.
        lr_t = self.lr * math.sqrt(1 - self.beta2 ** self.iter) / (1 - self.beta1 ** self.iter)
        for (p, g), m, v in zip(params, self.m, self.v):
            m += (1 - self.beta1) * (g - m)
            v += (1 - self.beta2) * (g * g - v)
            p -= lr_t * m / (np.sqrt(v) + self.eps)
