"""Classify MNIST digits with a small CNN, in the style of pytorch/examples' ``mnist/main.py``.

Written for PyTorch + torchvision; with its imports changed it runs on tinygrad_edu
(see README.md here). Two 5x5 convolutions with max-pooling, then two linear layers with
dropout, trained with Adadelta and a StepLR schedule on ``nll_loss`` of ``log_softmax``.

    python mnist.py --data ../data --epochs 3
    python mnist.py --dry-run                  # one logged batch per epoch
    python mnist.py --max-batches 20           # at most 20 train and 20 test batches an epoch
"""

import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torchvision import datasets, transforms

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


class ConvNet(nn.Module):
    """1x28x28 -> conv5 (16) -> pool -> conv5 (32) -> pool -> 128 -> 10 log-probabilities."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=5, padding=2),  # 16 x 28 x 28
            nn.ReLU(),
            nn.MaxPool2d(2),  # 16 x 14 x 14
            nn.Conv2d(16, 32, kernel_size=5),  # 32 x 10 x 10
            nn.ReLU(),
            nn.MaxPool2d(2),  # 32 x 5 x 5
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(0.25),
            nn.Linear(32 * 5 * 5, 128),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(128, 10),
        )

    def forward(self, x):
        return F.log_softmax(self.classifier(self.features(x)), dim=1)


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        if args.max_batches is not None and batch_idx >= args.max_batches:
            break
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            done = 100.0 * batch_idx / len(train_loader)
            print(
                f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(train_loader.dataset)} "
                f"({done:.0f}%)]\tLoss: {loss.item():.6f}"
            )
            if args.dry_run:
                break


def test(args, model, device, test_loader):
    """Average loss and accuracy over the test batches seen (all, unless --max-batches)."""
    model.eval()
    test_loss, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for batch_idx, (data, target) in enumerate(test_loader):
            if args.max_batches is not None and batch_idx >= args.max_batches:
                break
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)  # the most probable class
            correct += pred.eq(target.view_as(pred)).sum().item()
            seen += len(data)
    test_loss /= seen
    print(
        f"\nTest set: Average loss: {test_loss:.4f}, "
        f"Accuracy: {correct}/{seen} ({100.0 * correct / seen:.2f}%)\n"
    )
    return test_loss, correct / seen


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="MNIST CNN (pytorch/examples style)")
    parser.add_argument("--batch-size", type=int, default=64, metavar="N",
                        help="input batch size for training (default: 64)")
    parser.add_argument("--test-batch-size", type=int, default=1000, metavar="N",
                        help="input batch size for testing (default: 1000)")
    parser.add_argument("--epochs", type=int, default=3, metavar="N",
                        help="number of epochs to train (default: 3)")
    parser.add_argument("--lr", type=float, default=1.0, metavar="LR",
                        help="Adadelta learning rate (default: 1.0)")
    parser.add_argument("--gamma", type=float, default=0.7, metavar="M",
                        help="learning rate step gamma (default: 0.7)")
    parser.add_argument("--no-accel", action="store_true", help="disables the accelerator")
    parser.add_argument("--dry-run", action="store_true", help="quickly check a single pass")
    parser.add_argument("--max-batches", type=int, default=None, metavar="N",
                        help="at most N training and N test batches per epoch")
    parser.add_argument("--workers", type=int, default=0, metavar="N",
                        help="DataLoader worker processes (default: 0)")
    parser.add_argument("--seed", type=int, default=1, metavar="S",
                        help="random seed (default: 1)")
    parser.add_argument("--log-interval", type=int, default=10, metavar="N",
                        help="how many batches to wait before logging training status")
    parser.add_argument("--save-model", action="store_true",
                        help="save the trained weights to mnist_cnn.pt")
    parser.add_argument("--data", default="../data", metavar="DIR",
                        help="dataset root, torchvision's layout (default: ../data)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    use_accel = not args.no_accel and torch.accelerator.is_available()
    torch.manual_seed(args.seed)
    device = torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")
    print(f"Using device: {device}")

    train_kwargs = {"batch_size": args.batch_size, "shuffle": True}
    test_kwargs = {"batch_size": args.test_batch_size}
    if args.workers > 0:
        loader_kwargs = {"num_workers": args.workers, "persistent_workers": True}
        train_kwargs.update(loader_kwargs)
        test_kwargs.update(loader_kwargs)
    if use_accel:
        train_kwargs["pin_memory"] = test_kwargs["pin_memory"] = True

    transform = transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))]
    )
    train_set = datasets.MNIST(args.data, train=True, download=True, transform=transform)
    test_set = datasets.MNIST(args.data, train=False, transform=transform)
    train_loader = torch.utils.data.DataLoader(train_set, **train_kwargs)
    test_loader = torch.utils.data.DataLoader(test_set, **test_kwargs)

    model = ConvNet().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        test_loss, accuracy = test(args, model, device, test_loader)
        scheduler.step()
    seconds = time.perf_counter() - start
    print(f"Final: test loss {test_loss:.4f}, accuracy {accuracy:.4f}, {seconds:.1f} s")

    if args.save_model:
        torch.save(model.state_dict(), "mnist_cnn.pt")


if __name__ == "__main__":
    main()
