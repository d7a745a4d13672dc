"""The README's "Write a model" section: a Module, an optimizer, a checkpoint."""

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader, TensorDataset, make_spiral


class MLP(nn.Module):
    def __init__(self, hidden: int = 64) -> None:
        super().__init__()
        self.fc1 = nn.Linear(2, hidden)          # weight (64, 2), as PyTorch
        self.fc2 = nn.Linear(hidden, 3)

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        return self.fc2(self.fc1(x).relu())


tg.manual_seed(0)
X, y = make_spiral(100, 3, seed=0)                   # 300 points, 3 classes
loader = DataLoader(TensorDataset(X, y), batch_size=50, shuffle=True, seed=0)
model, loss_fn = MLP(), nn.CrossEntropyLoss()
optimizer = optim.Adam(model.parameters(), lr=0.02)
for _ in range(60):                               # epochs
    for inputs, targets in loader:
        optimizer.zero_grad()                     # grads accumulate otherwise
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
tg.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, "mlp.ckpt")

restored = MLP()                                  # later: a fresh model, the saved weights
restored.load_state_dict(tg.load("mlp.ckpt")["model"])
with tg.no_grad():
    accuracy = (restored(tg.Tensor(X)).argmax(1) == tg.tensor(y)).float().mean().item()
print(f"{[n for n, _ in model.named_parameters()]} -> train accuracy {accuracy:.1%}")
