"""The README's training loop: softmax regression on synthetic 3-class data."""

import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F

rng = np.random.default_rng(0)                          # synthetic 3-class data
X = tg.Tensor(rng.normal(size=(300, 4)).astype(np.float32))
y = tg.tensor((X.numpy() @ rng.normal(size=(4, 3))).argmax(1))   # int64 labels
W = tg.zeros(4, 3, requires_grad=True)
b = tg.zeros(3, requires_grad=True)
for _ in range(100):
    loss = F.cross_entropy(X @ W + b, y)                # fused log-softmax + NLL
    W.grad = b.grad = None                              # zero_grad: grads accumulate
    loss.backward()
    with tg.no_grad():                                  # the SGD step records no graph
        W -= 1.0 * W.grad
        b -= 1.0 * b.grad
accuracy = ((X @ W + b).argmax(1) == y).float().mean().item()
print(f"loss {loss.item():.3f}, train accuracy {accuracy:.1%}")
