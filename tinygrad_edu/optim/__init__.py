"""Optimizers and learning-rate schedules, laid out as ``torch.optim``.

    import tinygrad_edu.optim as optim
    opt = optim.Adam([W, b], lr=1e-3)
    sched = optim.lr_scheduler.StepLR(opt, step_size=10)
    for epoch in range(epochs):
        opt.zero_grad()
        loss = loss_fn(...)
        loss.backward()
        opt.step()          # p.data updated in place, under no_grad
        sched.step()

Every optimizer's docstring writes its update rule; the rules are PyTorch's, so trajectories
match ``torch.optim`` to float tolerance (tests/optim/test_torch_trajectories.py).
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "lr_scheduler",
]
