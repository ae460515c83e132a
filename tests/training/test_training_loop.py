"""The training loop learns a learnable toy task, keeps the best epoch and stops early."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from mtecg.training.loop import LoopConfig, fit, seed_everything


class Toy(nn.Module):
    """Two heads on a linear embedding: scar from channel 0's mean, LVEF from channel 1's."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 8))
        self.scar_head = nn.Linear(8, 2)
        self.lvef_head = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = torch.relu(self.body(x))
        return self.scar_head(z), self.lvef_head(z)


def _data(n: int, seed: int) -> TensorDataset:
    g = torch.Generator().manual_seed(seed)
    scar = torch.randint(0, 2, (n,), generator=g)
    lvef = torch.randint(0, 2, (n,), generator=g)
    x = torch.randn(n, 3, 8, 8, generator=g) * 0.3
    x[:, 0] += scar[:, None, None] * 1.5
    x[:, 1] += lvef[:, None, None] * 1.5
    return TensorDataset(x, scar, lvef)


def test_fit_learns_and_returns_the_best_epoch() -> None:
    train = DataLoader(_data(256, 0), batch_size=32, shuffle=True)
    val = DataLoader(_data(128, 1), batch_size=64)
    network = Toy()
    config = LoopConfig(epochs=15, learning_rate=3e-2, patience=15, progress=False)
    result = fit(network, train, val, config, torch.device("cpu"))
    losses = [h["val_loss"] for h in result.history]
    assert min(losses) < 0.5 * losses[0]
    assert result.best_epoch == losses.index(min(losses))
    best = result.history[result.best_epoch]  # the history shows that it learned, per task
    assert best["val_auc_scar"] > 0.9 and best["val_auc_lvef"] > 0.9
    network.eval()
    x, scar, lvef = _data(200, 2).tensors
    with torch.no_grad():
        scar_logits, lvef_logits = network(x)
    assert (scar_logits.argmax(1) == scar).float().mean() > 0.9
    assert (lvef_logits.argmax(1) == lvef).float().mean() > 0.9


def test_early_stopping_and_reproducibility() -> None:
    train = DataLoader(_data(64, 0), batch_size=16, shuffle=True)
    x, scar, lvef = _data(64, 1).tensors
    unrelated = TensorDataset(x, scar.flip(0), lvef.roll(7))  # labels that x cannot predict
    val = DataLoader(unrelated, batch_size=64)
    config = LoopConfig(epochs=30, learning_rate=3e-2, patience=2, progress=False, seed=4)
    seed_everything(config.seed)  # the network's initial weights come from the seed too
    first = fit(Toy(), train, val, config, torch.device("cpu"))
    assert len(first.history) < 30  # validation stops improving, so training stops
    assert len(first.history) - 1 - first.best_epoch == config.patience
    torch.manual_seed(123)  # whatever ran in between, the same seed gives the same run
    seed_everything(config.seed)
    second = fit(Toy(), train, val, config, torch.device("cpu"))
    assert first.history == second.history
