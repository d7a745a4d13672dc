"""A variational autoencoder on MNIST, in the style of pytorch/examples' ``vae/main.py``.

Written for PyTorch + torchvision; with its imports changed it runs on tinygrad_edu
(see README.md here). The encoder maps an image to the mean and log-variance of a
20-dimensional Gaussian; a sample drawn with the reparameterization trick is decoded back to
784 pixel probabilities. The loss is the binary cross-entropy of the reconstruction plus the
KL divergence of the Gaussian from N(0, I) (Kingma and Welling, 2014, appendix B), summed.

    python vae.py --data ../data --epochs 5 --results results
    python vae.py --max-batches 10             # at most 10 train and 10 test batches an epoch
"""

import argparse
import os
import time

import torch
import torch.utils.data
from torch import nn, optim
from torch.nn import functional as F
from torchvision import datasets, transforms
from torchvision.utils import save_image

LATENT = 20


class VAE(nn.Module):
    def __init__(self, hidden=400, latent=LATENT):
        super().__init__()
        self.encoder = nn.Linear(784, hidden)
        self.to_mu = nn.Linear(hidden, latent)
        self.to_logvar = nn.Linear(hidden, latent)
        self.decoder_hidden = nn.Linear(latent, hidden)
        self.decoder_out = nn.Linear(hidden, 784)

    def encode(self, x):
        h = F.relu(self.encoder(x))
        return self.to_mu(h), self.to_logvar(h)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)  # the noise is an input: gradients reach mu and std
        return mu + eps * std

    def decode(self, z):
        return torch.sigmoid(self.decoder_out(F.relu(self.decoder_hidden(z))))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    """Reconstruction (BCE) + KL divergence, both summed over the batch."""
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def train(args, model, device, loader, optimizer, epoch):
    model.train()
    train_loss, seen = 0.0, 0
    for batch_idx, (data, _) in enumerate(loader):
        if args.max_batches is not None and batch_idx >= args.max_batches:
            break
        data = data.to(device)
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        seen += len(data)
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            done = 100.0 * batch_idx / len(loader)
            print(
                f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(loader.dataset)} "
                f"({done:.0f}%)]\tLoss: {loss.item() / len(data):.6f}"
            )
    print(f"====> Epoch: {epoch} Average loss: {train_loss / seen:.4f}")
    return train_loss / seen


def test(args, model, device, loader, epoch):
    model.eval()
    test_loss, seen = 0.0, 0
    with torch.no_grad():
        for i, (data, _) in enumerate(loader):
            if args.max_batches is not None and i >= args.max_batches:
                break
            data = data.to(device)
            recon_batch, mu, logvar = model(data)
            test_loss += loss_function(recon_batch, data, mu, logvar).item()
            seen += len(data)
            if i == 0:  # originals above their reconstructions
                n = min(data.size(0), 8)
                comparison = torch.cat([data[:n], recon_batch.view(-1, 1, 28, 28)[:n]])
                path = os.path.join(args.results, f"reconstruction_{epoch}.png")
                save_image(comparison.cpu(), path, nrow=n)
    test_loss /= seen
    print(f"====> Test set loss: {test_loss:.4f}")
    return test_loss


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="VAE MNIST (pytorch/examples style)")
    parser.add_argument("--batch-size", type=int, default=128, metavar="N",
                        help="input batch size for training (default: 128)")
    parser.add_argument("--epochs", type=int, default=5, metavar="N",
                        help="number of epochs to train (default: 5)")
    parser.add_argument("--lr", type=float, default=1e-3, metavar="LR",
                        help="Adam learning rate (default: 1e-3)")
    parser.add_argument("--no-accel", action="store_true", help="disables the accelerator")
    parser.add_argument("--max-batches", type=int, default=None, metavar="N",
                        help="at most N training and N test batches per epoch")
    parser.add_argument("--seed", type=int, default=1, metavar="S",
                        help="random seed (default: 1)")
    parser.add_argument("--log-interval", type=int, default=10, metavar="N",
                        help="how many batches to wait before logging training status")
    parser.add_argument("--data", default="../data", metavar="DIR",
                        help="dataset root, torchvision's layout (default: ../data)")
    parser.add_argument("--results", default="results", metavar="DIR",
                        help="where the reconstruction and sample pictures go")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    use_accel = not args.no_accel and torch.accelerator.is_available()
    torch.manual_seed(args.seed)
    device = torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")
    print(f"Using device: {device}")
    os.makedirs(args.results, exist_ok=True)

    kwargs = {"num_workers": 1, "pin_memory": True} if use_accel else {}
    train_loader = torch.utils.data.DataLoader(
        datasets.MNIST(args.data, train=True, download=True, transform=transforms.ToTensor()),
        batch_size=args.batch_size,
        shuffle=True,
        **kwargs,
    )
    test_loader = torch.utils.data.DataLoader(
        datasets.MNIST(args.data, train=False, transform=transforms.ToTensor()),
        batch_size=args.batch_size,
        shuffle=False,
        **kwargs,
    )

    model = VAE().to(device)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        train_loss = train(args, model, device, train_loader, optimizer, epoch)
        test_loss = test(args, model, device, test_loader, epoch)
        with torch.no_grad():
            sample = model.decode(torch.randn(64, LATENT).to(device)).cpu()
            path = os.path.join(args.results, f"sample_{epoch}.png")
            save_image(sample.view(64, 1, 28, 28), path)
    seconds = time.perf_counter() - start
    print(f"Final: train loss {train_loss:.4f}, test loss {test_loss:.4f}, {seconds:.1f} s")


if __name__ == "__main__":
    main()
