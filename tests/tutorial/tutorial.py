"""A PyTorch beginner's tutorial, written for PyTorch (torch, torch.utils.data, torchvision).

Tensors, autograd, datasets and loaders, torchvision's MNIST and transforms, an MLP and a small
CNN trained on a few hundred images, evaluation, saving and loading, a learning-rate scheduler
and image grids. tests/tutorial/test_tutorial.py runs it cell by cell twice, as written and
with only its imports changed to tinygrad_edu, and compares what each cell prints. Each header
says how: ``exact`` (same text) or ``approx`` (same words, numbers within a tolerance; these
cells draw framework-specific random numbers), and ``vision`` when torchvision is needed.

Run it yourself: ``TUTORIAL_DATA=DIR python tests/tutorial/tutorial.py``, with DIR holding
torchvision's layout (``DIR/MNIST/raw/train-images-idx3-ubyte``, ...).
"""

# %% [exact] Imports, and where the data lives
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

DATA_ROOT = os.environ.get("TUTORIAL_DATA", "data")
OUT_DIR = os.environ.get("TUTORIAL_OUT", ".")
SEED = int(os.environ.get("TUTORIAL_SEED", "0"))  # the approx cells' torch.manual_seed

# %% [exact] Picking a device
device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
print(f"Using {device} device")
cpu = torch.device("cpu")
print(cpu, cpu.type)
print("cuda available:", torch.cuda.is_available())
print("mps available:", torch.backends.mps.is_available())
x = torch.ones(2, 3, device=device)
print(x.device, x.to(device).device, x.cpu().device)

# %% [exact] Creating tensors
data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
print(x_data)
np_array = np.array(data)
x_np = torch.from_numpy(np_array)
print(x_np)
print(torch.ones_like(x_data))
print(torch.zeros_like(x_data, dtype=torch.float))
shape = (2, 3)
print(torch.ones(shape))
print(torch.zeros(shape))
print(torch.full((2, 2), 7.0))
print(torch.arange(0, 10, 2))
print(torch.linspace(0, 1, 5))
print(torch.eye(3))
tensor = torch.zeros(3, 4)
print(f"Shape of tensor: {tensor.shape}")
print(f"Datatype of tensor: {tensor.dtype}")
print(f"Device tensor is stored on: {tensor.device}")
print(tensor.size(), tensor.size(1), tensor.dim(), tensor.ndim, tensor.numel())
print(x_data.new_zeros(2), x_data.new_ones((1, 2)), x_data.new_tensor([5, 6]))

# %% [exact] Data types
x = torch.tensor([1.5, -2.5, 3.7])
print(x.dtype == torch.float32, x.dtype == torch.float, torch.float == torch.float32)
print(torch.tensor([1, 2]).dtype == torch.int64, torch.long == torch.int64)
print(torch.double == torch.float64, torch.half == torch.float16, torch.int == torch.int32)
print(torch.short == torch.int16, (x > 0).dtype == torch.bool)
print(x.long(), x.int(), x.long().dtype)
print(x.double().dtype, x.half().dtype, x.to(torch.float64).dtype, x.float().dtype)
print(x.type(), x.long().type())
print(torch.tensor([0, 128, 255], dtype=torch.uint8), x.abs().to(torch.uint8))
y = torch.zeros(2, dtype=torch.float64)
print(x.to(y).dtype, x.to(device, torch.float64).dtype)
print(torch.tensor([1, 2]) / 2, torch.tensor([1, 2]) // 2)
print(torch.tensor([True, False]).int())

# %% [exact] Indexing and slicing
t = torch.arange(12).reshape(3, 4)
print(t)
print("First row:", t[0])
print("First column:", t[:, 0])
print("Last column:", t[..., -1])
print("Rows 1 and 2, every other column:", t[1:, ::2])
print("Picked rows:", t[[0, 2]])
print("Above 5:", t[t > 5])
print(t[1, 2], t[1, 2].item())
t[:, 1] = 0
print(t)
print(t.reshape(shape=(2, 6)))
print(t.view(4, 3)[0], t.flatten()[:5], t.T.shape, t.t().shape)
print(t.unsqueeze(0).shape, t.unsqueeze(0).squeeze(0).shape, t.permute(1, 0).shape)

# %% [exact] Joining and splitting
a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
b = torch.tensor([[5.0, 6.0]])
print(torch.cat([a, b], dim=0))
print(torch.cat([a, a], dim=1))
print(torch.stack([a, a]).shape, torch.stack([a, a], dim=2).shape)
v = torch.arange(10)
print(v.chunk(3))
print(torch.chunk(v, 2))
print(v.split(4))
print(torch.split(v, [2, 3, 5]))
print(a.unbind(0))

# %% [exact] Arithmetic and the torch.* function forms
a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
print(a + a, a * a, a @ a)
print(torch.add(a, 1), torch.mul(a, 2), torch.sub(a, a), torch.div(a, 2))
print(torch.sum(a), torch.sum(a, dim=0), a.sum(dim=1, keepdim=True))
print(torch.mean(a), torch.mean(a, dim=1), torch.std(a), a.var(dim=0))
print(torch.max(a), torch.min(a), torch.argmax(a), torch.argmin(a, dim=1))
values, indices = torch.max(a, dim=1)
print(values, indices)
print(torch.prod(a), a.prod(dim=0))
print(torch.mm(a, a), a.mm(a), torch.matmul(a, a[0]))
batch = torch.arange(12.0).reshape(3, 2, 2)
print(torch.bmm(batch, batch)[2], batch.bmm(batch).shape)
print(torch.t(a), a.t())
print(torch.sqrt(a), torch.exp(torch.zeros(2)), torch.log(torch.ones(2)))
print(torch.sin(torch.zeros(2)), torch.cos(torch.zeros(2)), torch.abs(-a))
print(torch.clamp(a, min=1.5, max=3.5), a.pow(2), a**0.5)
print(torch.maximum(a, a.t()), torch.where(a > 2, a, -a))
s = torch.tensor([1.0, 2.0])
s.add_(1)
s.mul_(2)
print(s)

# %% [exact] Sorting, top-k and scans
v = torch.tensor([3.0, 1.0, 4.0, 1.5, 5.0, 9.0, 2.0, 6.0])
top = torch.topk(v, 3)
print(top.values, top.indices)
print(v.topk(2, largest=False))
sorted_v, order = torch.sort(v)
print(sorted_v, order)
print(v.sort(descending=True).values, torch.argsort(v))
print(torch.cumsum(v, dim=0), v.cumprod(dim=0)[:4])
m = torch.arange(6).reshape(2, 3)
print(torch.flip(m, [1]), m.flip(0))
print(torch.roll(m, 1, 1), m.roll(shifts=1, dims=0))
print(m.repeat(2, 1), torch.tile(m, (1, 2)))

# %% [exact] gather, scatter, masked_fill and friends
src = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
idx = torch.tensor([[2, 0], [1, 1]])
print(torch.gather(src, 1, idx), src.gather(0, torch.tensor([[1, 0, 1]])))
print(torch.zeros(2, 3).scatter(1, idx, torch.ones(2, 2)))
print(torch.zeros(3).scatter_add(0, torch.tensor([0, 1, 0, 2]), torch.tensor([1.0, 2.0, 3.0, 4.0])))
print(src.index_select(1, torch.tensor([0, 2])), torch.index_select(src, 0, torch.tensor([1])))
print(src.masked_fill(src > 3, 0.0), src.masked_fill(src < 2, float("-inf")))
print(torch.nonzero(torch.tensor([0, 3, 0, 7])), torch.tensor([[0, 1], [1, 0]]).nonzero())

# %% [exact] Comparing tensors
a = torch.tensor([1.0, 2.0, 3.0])
b = a + 1e-7
print(torch.allclose(a, b), a.allclose(a + 1), torch.equal(a, a.clone()), a.equal(b))
print(torch.isclose(a, torch.tensor([1.0, 2.1, 3.0])))
print((a > 1).all(), (a > 1).any(), torch.all(a > 0), torch.any(a > 5))
print(a.eq(torch.tensor([1.0, 0.0, 3.0])), a == 2, a.ne(2).sum())

# %% [exact] Back to Python and NumPy
loss = torch.tensor(0.123456)
print(f"{loss:.3f}", f"{loss.item():.5f}", float(loss), round(loss.item(), 2))
t = torch.tensor([[1, 2], [3, 4]])
print(t.tolist(), t.numpy().sum(), type(t.numpy()).__name__)
n = np.ones(3, dtype=np.float32)
shared = torch.from_numpy(n)
np.add(n, 1, out=n)
print(shared)
print(torch.as_tensor([1.5, 2.5]), torch.tensor(np.arange(3)).dtype)

# %% [exact] Autograd: requires_grad, backward, .grad
x = torch.ones(5)
y = torch.zeros(3)
w = torch.tensor(np.linspace(-1, 1, 15, dtype=np.float32).reshape(5, 3), requires_grad=True)
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
z = torch.matmul(x, w) + b
loss = F.binary_cross_entropy_with_logits(z, y)
print(w.requires_grad, z.requires_grad, z.grad_fn is not None, x.requires_grad)
loss.backward()
print(f"loss {loss.item():.4f}")
print(w.grad)
print(b.grad)

# %% [exact] Autograd: no_grad, detach, accumulation
with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)
z_det = (torch.matmul(x, w) + b).detach()
print(z_det.requires_grad)
q = torch.tensor([2.0, 3.0], requires_grad=True)
for _ in range(2):
    (q * q).sum().backward()
print("accumulated:", q.grad)
q.grad.zero_()
(q**3).sum().backward()
print("after zero_:", q.grad)
r = torch.tensor(3.0, requires_grad=True)
(dr,) = torch.autograd.grad(r**2, r, create_graph=True)
(d2r,) = torch.autograd.grad(dr, r)
print(f"{dr.item():.1f} {d2r.item():.1f}")

# %% [exact] A custom Dataset
from torch.utils.data import (  # noqa: E402 (each section imports what it introduces)
    BatchSampler,
    DataLoader,
    Dataset,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    random_split,
)


class SquaresDataset(Dataset):
    """x in [0, n) with target x**2, as float tensors."""

    def __init__(self, n):
        self.x = torch.arange(n, dtype=torch.float32)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        return self.x[idx], self.x[idx] ** 2


squares = SquaresDataset(10)
print(len(squares), squares[3])
features = torch.tensor(np.arange(20, dtype=np.float32).reshape(10, 2))
labels = torch.tensor(np.arange(10) % 3)
pairs = TensorDataset(features, labels)
print(len(pairs), pairs[4])
print(Subset(pairs, [1, 3])[1])

# %% [exact] DataLoader: batches, drop_last, workers
loader = DataLoader(squares, batch_size=4)
for xb, yb in loader:
    print(xb, yb)
print(len(loader), len(DataLoader(squares, batch_size=4, drop_last=True)))
for xb, yb in DataLoader(pairs, batch_size=6, shuffle=False):
    print(xb.shape, yb)
serial = [yb.tolist() for _, yb in DataLoader(pairs, batch_size=3)]
parallel = [yb.tolist() for _, yb in DataLoader(pairs, batch_size=3, num_workers=2)]
print(serial, parallel == serial)
print(next(iter(DataLoader(squares, batch_size=None))))

# %% [exact] random_split with a generator, samplers
train_set, val_set = random_split(pairs, [0.8, 0.2], generator=torch.Generator().manual_seed(42))
print(len(train_set), len(val_set))
print(sorted(list(train_set.indices) + list(val_set.indices)) == list(range(10)))
again, _ = random_split(pairs, [8, 2], generator=torch.Generator().manual_seed(42))
print(list(again.indices) == list(train_set.indices))
sampler = SubsetRandomSampler([0, 2, 4, 6, 8], generator=torch.Generator().manual_seed(0))
seen = [yb.tolist() for _, yb in DataLoader(pairs, batch_size=2, sampler=sampler)]
print([len(s) for s in seen], sorted(sum(seen, [])))
print(list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False)))
g = torch.Generator().manual_seed(7)
shuffled = [
    int(i) for xb, _ in DataLoader(squares, batch_size=5, shuffle=True, generator=g) for i in xb
]
print(sorted(shuffled) == list(range(10)))

# %% [exact] nn.Linear with its weights set by hand
lin = nn.Linear(3, 2)
with torch.no_grad():
    lin.weight.copy_(torch.tensor([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]]))
    lin.bias.fill_(0.25)
with torch.no_grad():
    print(lin(torch.tensor([[1.0, 2.0, 3.0]])))
print(lin.weight.shape, lin.bias.shape, sum(p.numel() for p in lin.parameters()))
print(lin)
w = torch.empty(3, 5)
print(w.normal_(0, 1).shape, w.uniform_(-1, 1).abs().max() <= 1, w.clamp_(0, 0.5).max() <= 0.5)
print(torch.empty(2, 2).fill_(3.0))

# %% [exact] Training a model whose initial weights are fixed
rng = np.random.default_rng(0)
X = torch.tensor(rng.normal(size=(64, 4)).astype(np.float32))
true_w = torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
Y = X @ true_w + 0.1


def fixed_model():
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    init = np.random.default_rng(1)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.tensor(init.uniform(-0.5, 0.5, size=tuple(p.shape)).astype(np.float32)))
    return model


for name in ("SGD", "Adam"):
    model = fixed_model()
    if name == "SGD":
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = F.mse_loss(model(X), Y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    print(name, " ".join(f"{v:.3f}" for v in losses[::6]), f"final {losses[-1]:.3f}")

# %% [exact] A learning-rate scheduler
param = nn.Parameter(torch.zeros(1))
optimizer = torch.optim.SGD([param], lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
lrs = []
for _ in range(6):
    optimizer.step()
    lrs.append(f"{scheduler.get_last_lr()[0]:.4f}")
    scheduler.step()
print(lrs, f"{optimizer.param_groups[0]['lr']:.5f}")
optimizer = torch.optim.SGD([param], lr=1.0)
cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
for _ in range(4):
    optimizer.step()
    cosine.step()
    print(f"{optimizer.param_groups[0]['lr']:.4f}", end=" ")
print()

# %% [exact, vision] torchvision: MNIST and a transform pipeline
import torchvision  # noqa: E402 (CI's PyTorch has no torchvision: only the vision cells import it)
from torchvision import datasets, transforms  # noqa: E402
from torchvision.transforms import ToTensor  # noqa: E402

transform = transforms.Compose([ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
training_data = datasets.MNIST(root=DATA_ROOT, train=True, download=True, transform=transform)
test_data = datasets.MNIST(root=DATA_ROOT, train=False, download=False, transform=ToTensor())
print(len(training_data), len(test_data))
img, label = training_data[0]
print(img.shape, img.dtype, label, type(label).__name__)
print(f"{img.mean():.4f} {img.min():.4f} {img.max():.4f}")
raw, _ = test_data[0]
print(f"{raw.mean():.4f} {raw.max():.4f}")
print(training_data.data.shape, training_data.data.dtype, training_data.targets[:10])
print(training_data.classes[:2])

# %% [exact, vision] FashionMNIST
fashion = datasets.FashionMNIST(root=DATA_ROOT, train=False, download=True, transform=ToTensor())
image, label = fashion[0]
print(len(fashion), image.shape, label, fashion.classes[label])
print(f"{image.sum():.3f}")

# %% [exact, vision] Transforms on arrays
digit = training_data.data[0].numpy()
print(type(digit).__name__, digit.shape, digit.dtype)
as_tensor = ToTensor()(digit)
print(as_tensor.shape, f"{as_tensor.sum():.4f}")
flip = transforms.RandomHorizontalFlip(p=1.0)(as_tensor)
print(torch.equal(flip, as_tensor.flip(-1)))
centre = transforms.CenterCrop(20)(as_tensor)
print(centre.shape, f"{centre.sum():.4f}")
double = transforms.Lambda(lambda t: 2 * t)(as_tensor)
print(f"{double.sum():.4f}")
torch.manual_seed(0)
print(transforms.RandomCrop(28, padding=4)(as_tensor).shape)
print(transforms.RandomRotation(15)(as_tensor).shape)
print(transforms.Resize(14)(as_tensor).shape)

# %% [exact, vision] A DataLoader over MNIST
train_subset = Subset(training_data, range(512))
test_subset = Subset(test_data, range(500))
X, y = next(iter(DataLoader(train_subset, batch_size=64)))
print(f"Shape of X [N, C, H, W]: {X.shape}")
print(f"Shape of y: {y.shape} {y.dtype}")
print(y[:12].tolist(), f"{X.mean():.4f}")


# %% [exact, vision] Defining a neural network
class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 128),
            nn.ReLU(),
            nn.Linear(128, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


torch.manual_seed(SEED)
model = NeuralNetwork().to(device)
print(model)
print(sum(p.numel() for p in model.parameters()))
for name, param in model.named_parameters():
    print(name, param.shape, param.requires_grad)
logits = model(X)
print(logits.shape, nn.Softmax(dim=1)(logits).sum(dim=1).allclose(torch.ones(64)))


# %% [approx atol=0.15, vision] Training the MLP
def train(dataloader, model, loss_fn, optimizer):
    model.train()
    total = 0.0
    for X, y in dataloader:
        X, y = X.to(device), y.to(device)
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        total += loss.item() * len(X)
    return total / len(dataloader.dataset)


def test(dataloader, model, loss_fn):
    model.eval()
    test_loss, correct = 0.0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item() * len(X)
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    return test_loss / len(dataloader.dataset), correct / len(dataloader.dataset)


torch.manual_seed(SEED)
train_dataloader = DataLoader(train_subset, batch_size=32, shuffle=True)
test_dataloader = DataLoader(test_subset, batch_size=100)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
first_loss, _ = test(test_dataloader, model, loss_fn)
for _epoch in range(4):
    train_loss = train(train_dataloader, model, loss_fn, optimizer)
test_loss, accuracy = test(test_dataloader, model, loss_fn)
print(f"test loss before {first_loss:.2f}, after {test_loss:.2f}")
print(f"Accuracy: {accuracy:.2f}, above 0.6: {accuracy > 0.6}")
print("loss halved:", test_loss < first_loss / 2)


# %% [exact, vision] A small CNN
class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.dropout = nn.Dropout(0.25)
        self.fc = nn.Linear(16 * 5 * 5, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = self.dropout(torch.flatten(x, 1))
        return F.log_softmax(self.fc(x), dim=1)


torch.manual_seed(SEED)
cnn = SmallCNN().to(device)
print(cnn)
print(cnn(X).shape, sum(p.numel() for p in cnn.parameters()))

# %% [approx atol=0.12, vision] Training the CNN with Adam and StepLR
torch.manual_seed(SEED)
optimizer = torch.optim.Adam(cnn.parameters(), lr=0.01)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
for epoch in range(1, 3):
    cnn.train()
    for X_batch, y_batch in train_dataloader:
        optimizer.zero_grad()
        loss = F.nll_loss(cnn(X_batch), y_batch)
        loss.backward()
        optimizer.step()
    scheduler.step()
    print(f"epoch {epoch}: lr {scheduler.get_last_lr()[0]:.4f}")
cnn_loss, cnn_accuracy = test(test_dataloader, cnn, F.nll_loss)
print(f"Accuracy: {cnn_accuracy:.2f}, above 0.7: {cnn_accuracy > 0.7}")

# %% [exact, vision] Evaluation mode
cnn.eval()
with torch.no_grad():
    out1 = cnn(X)
    out2 = cnn(X)
print(cnn.training, out1.requires_grad, torch.equal(out1, out2))
cnn.train()
print(cnn.training, cnn.dropout.training)
cnn.eval()
pred = out1.argmax(dim=1, keepdim=True)
print(pred.shape, pred.eq(y.view_as(pred)).sum().item() <= 64)

# %% [exact, vision] Saving and loading a state_dict
path = os.path.join(OUT_DIR, "cnn_weights.pth")
torch.save(cnn.state_dict(), path)
print(list(cnn.state_dict().keys()))
restored = SmallCNN()
print(restored.load_state_dict(torch.load(path, weights_only=True)))
restored.eval()
with torch.no_grad():
    print(torch.equal(restored(X), out1))
state = torch.load(path, map_location="cpu", weights_only=True)
print(state["fc.bias"].shape, torch.equal(state["fc.bias"], cnn.fc.bias.detach()))
opt_path = os.path.join(OUT_DIR, "optimizer.pth")
torch.save(optimizer.state_dict(), opt_path)
print(sorted(torch.load(opt_path, weights_only=True).keys()))

# %% [exact, vision] make_grid and save_image
from torchvision.utils import make_grid, save_image  # noqa: E402

images = torch.stack([test_data[i][0] for i in range(16)])
grid = make_grid(images, nrow=4, padding=2)
print(grid.shape, f"{grid.sum():.3f}")
print(torchvision.utils.make_grid(images[:3], nrow=3, padding=0).shape)
picture = os.path.join(OUT_DIR, "digits.png")
save_image(images, picture, nrow=8)
from PIL import Image  # noqa: E402

with Image.open(picture) as png:
    print(png.size, png.mode)
