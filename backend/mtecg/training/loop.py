"""The training loop: two weighted cross-entropy losses, best model by validation loss.

Kept free of files and packages so it can be tested on tiny tensors: `fit` takes a network
and data loaders and returns the best weights and the per-epoch history. Mixed precision is
used on CUDA only (on CPU it would be slower and less exact).

The learning rate follows one cycle (a short warm-up, then cosine decay): networks trained
from random weights, as every mtecg model is, learn markedly faster with it than at a constant
rate. Each epoch also records the validation AUC of both tasks, so a run that does not learn
shows it in its history, not only in a loss that is hard to read.
"""

from __future__ import annotations

import copy
import random
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm import tqdm

from mtecg.tasks import TASKS
from mtecg.training.config import OptimiserSettings
from mtecg.training.metrics import auc


class LoopConfig(OptimiserSettings):
    """Optimisation settings: the JSON config's (with its defaults) and the loop's own."""

    weight_decay: float = 1e-4
    scar_class_weights: tuple[float, float] = (1.0, 1.0)
    lvef_class_weights: tuple[float, float] = (1.0, 1.0)
    progress: bool = True


@dataclass
class FitResult:
    """The weights of the best epoch and what each epoch measured."""

    state_dict: dict[str, torch.Tensor]
    best_epoch: int
    history: list[dict[str, float]] = field(default_factory=list)


def seed_everything(seed: int) -> None:
    """Fixes every random source training touches, for a reproducible run."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


Batch = tuple[torch.Tensor, ...]


def _forward(network: nn.Module, batch: Batch, device: torch.device) -> tuple[torch.Tensor, ...]:
    tensors = [t.to(device) for t in batch]
    images, scar, lvef, *clinical = tensors
    scar_logits, lvef_logits = network(images, *clinical)
    return scar_logits, lvef_logits, scar, lvef


@dataclass
class _Pass:
    """What one pass over a loader measured: mean weighted loss and, when scoring, the scores."""

    loss: float
    labels: list[np.ndarray] = field(default_factory=list)
    scores: list[np.ndarray] = field(default_factory=list)

    def aucs(self) -> dict[str, float]:
        """Validation AUC per task, for the tasks whose labels hold both classes."""
        out = {}
        for head, task in enumerate(TASKS):
            labels = np.concatenate([batch[head] for batch in self.labels])
            if labels.min() != labels.max():
                scores = np.concatenate([batch[head] for batch in self.scores])
                out[f"val_auc_{task}"] = round(auc(labels, scores), 4)
        return out


def _epoch(
    network: nn.Module,
    batches: Iterable[Batch],
    losses: tuple[nn.Module, nn.Module],
    config: LoopConfig,
    device: torch.device,
    step: _Step | None,
) -> _Pass:
    """One pass; trains when `step` is given, else keeps the scores for the AUC."""
    total, count = 0.0, 0
    result = _Pass(0.0)
    for batch in batches:
        with torch.autocast(device.type, enabled=step is not None and step.scaler is not None):
            scar_logits, lvef_logits, scar, lvef = _forward(network, batch, device)
            loss = config.loss_ratio[0] * losses[0](scar_logits.float(), scar) + config.loss_ratio[
                1
            ] * losses[1](lvef_logits.float(), lvef)
        if step is not None:
            step(loss)
        else:
            result.labels.append(np.stack([scar.cpu().numpy(), lvef.cpu().numpy()]))
            result.scores.append(
                np.stack(
                    [
                        torch.softmax(logits.float(), 1)[:, 1].cpu().numpy()
                        for logits in (scar_logits, lvef_logits)
                    ]
                )
            )
        total += float(loss.detach()) * len(scar)
        count += len(scar)
    result.loss = total / max(count, 1)
    return result


@dataclass
class _Step:
    """One optimisation step: backward (scaled under CUDA AMP), update, learning-rate step."""

    optimiser: torch.optim.Optimizer
    schedule: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler | None

    def __call__(self, loss: torch.Tensor) -> None:
        self.optimiser.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimiser)
            self.scaler.update()
        else:
            loss.backward()
            self.optimiser.step()
        self.schedule.step()


def fit(
    network: nn.Module,
    train: DataLoader[Batch],
    val: Iterable[Batch],
    config: LoopConfig,
    device: torch.device,
) -> FitResult:
    """Trains with AdamW, keeps the weights of the epoch with the lowest validation loss."""
    seed_everything(config.seed)
    network.to(device)
    losses = (
        nn.CrossEntropyLoss(weight=torch.tensor(config.scar_class_weights, device=device)),
        nn.CrossEntropyLoss(weight=torch.tensor(config.lvef_class_weights, device=device)),
    )
    optimiser = torch.optim.AdamW(
        network.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    step = _Step(
        optimiser,
        torch.optim.lr_scheduler.OneCycleLR(
            optimiser,
            max_lr=config.learning_rate,
            total_steps=config.epochs * max(len(train), 1),
            pct_start=0.15,
        ),
        torch.amp.GradScaler("cuda") if device.type == "cuda" else None,
    )
    best = FitResult(copy.deepcopy(network.state_dict()), best_epoch=-1)
    best_loss = float("inf")
    for epoch in range(config.epochs):
        set_epoch = getattr(getattr(train, "dataset", None), "set_epoch", None)
        if set_epoch is not None:
            set_epoch(epoch)
        network.train()
        bar = tqdm(train, desc=f"epoch {epoch + 1}/{config.epochs}", disable=not config.progress)
        train_loss = _epoch(network, bar, losses, config, device, step).loss
        network.eval()
        with torch.no_grad():
            scored = _epoch(network, val, losses, config, device, None)
        val_loss = scored.loss
        best.history.append(
            {
                "epoch": epoch,
                "train_loss": train_loss,
                "val_loss": val_loss,
                **scored.aucs(),
            }
        )
        if config.progress:
            line = " ".join(f"{k}={v:.4g}" for k, v in best.history[-1].items())
            tqdm.write(line, file=sys.stderr)  # stdout is for --json
        if val_loss < best_loss:
            best_loss = val_loss
            best.state_dict = copy.deepcopy(network.state_dict())
            best.best_epoch = epoch
        elif epoch - best.best_epoch >= config.patience:
            break
    network.load_state_dict(best.state_dict)
    return best
