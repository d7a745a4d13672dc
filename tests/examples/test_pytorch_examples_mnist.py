"""pytorch/examples' ``mnist/main.py`` CNN, written in the same style with only the imports
changed, trains on the MNIST subset (Conv2d 1-32-64 k3, max_pool2d, dropout, log_softmax,
nll_loss, Adadelta, StepLR).

The script's structure is kept: a ``Net`` module, ``train(args, model, device, loader,
optimizer, epoch)`` and ``test(model, device, loader)``, ``device`` included. Budget: 3,000
training images for one epoch at batch 64, then the first 1,000 test images.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import tinygrad_edu as torch
import tinygrad_edu.nn as nn
import tinygrad_edu.nn.functional as F
import tinygrad_edu.optim as optim
from tinygrad_edu.data import MNIST, DataLoader, TensorDataset
from tinygrad_edu.optim.lr_scheduler import StepLR

MNIST_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mnist-10k"
pytestmark = pytest.mark.skipif(not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").is_file(),
                                reason=f"MNIST subset not found in {MNIST_DIR}")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    losses = []
    for batch_idx, (data, target) in enumerate(train_loader):
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if batch_idx % args.log_interval == 0:
            print(f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(train_loader.dataset)}]"
                  f"\tLoss: {loss.item():.6f}")
    return losses


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    return test_loss, correct / len(test_loader.dataset)


test.__test__ = False  # the script's name for its evaluation, not a pytest test


def _images(train: bool, n: int):
    x, y = MNIST(root=MNIST_DIR, train=train, download=False).arrays()
    x = ((x[:n] - 0.1307) / 0.3081).reshape(-1, 1, 28, 28).astype(np.float32)
    return TensorDataset(x, y[:n])


def test_the_pytorch_examples_mnist_cnn_trains():
    args = SimpleNamespace(batch_size=64, test_batch_size=1000, epochs=1, lr=1.0, gamma=0.7,
                           log_interval=10, seed=1)
    torch.manual_seed(args.seed)
    device = "cpu"
    train_loader = DataLoader(_images(True, 1280), batch_size=args.batch_size, shuffle=True,
                              seed=args.seed)
    test_loader = DataLoader(_images(False, 500), batch_size=args.test_batch_size)
    model = Net()
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    _, before = test(model, device, test_loader)
    for epoch in range(1, args.epochs + 1):
        losses = train(args, model, device, train_loader, optimizer, epoch)
        test_loss, accuracy = test(model, device, test_loader)
        scheduler.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.7)
    assert before < 0.3 and np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    assert accuracy >= 0.85, f"test accuracy {accuracy:.2%} after 20 steps"
    assert test_loss < 0.6
