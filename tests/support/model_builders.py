"""Builders for the model tests: random-weight networks, packages and published folders."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from mtecg.model.architecture import ClinicalSpec, NetworkSpec
from mtecg.model.input_transform import IMAGENET_MEAN, IMAGENET_STD, imagenet_input
from mtecg.model.manifest import (
    ClinicalInputs,
    Metric,
    ModelManifest,
    RiskBand,
    TaskSpec,
)
from mtecg.model.network import Network, build_network

CATEGORICAL = ("female", "diabetes", "hypertension", "smoking", "dyslipidaemia")


def network_spec(
    backbone: str = "resnet18", clinical: bool = False, rnn: str = "lstm"
) -> NetworkSpec:
    return NetworkSpec(
        backbone=backbone,
        variant="multi-task-clinical" if clinical else "multi-task",
        latent_dim=32,
        bias_head=True,
        clinical=ClinicalSpec(5, rnn, 16, 1, 5, 1) if clinical else None,
    )


def random_network(spec: NetworkSpec, seed: int = 0) -> Network:
    """A network with random weights, BatchNorm statistics included (so they matter)."""
    torch.manual_seed(seed)
    network = build_network(spec)
    with torch.no_grad():
        for name, tensor in network.state_dict().items():
            if name.endswith("running_var"):
                tensor.uniform_(0.5, 2.0)
            elif name.endswith("running_mean"):
                tensor.normal_(0, 0.1)
    return network.eval()


def manifest(spec: NetworkSpec, size: int = 64, synthetic: bool = True) -> ModelManifest:
    return ModelManifest(
        id="test-model",
        version="0.0.1",
        architecture=spec,
        input=imagenet_input(size, "area"),
        tasks={
            "scar": TaskSpec(threshold=0.4, reference_marker=0.2),
            "lvef": TaskSpec(threshold=0.6, reference_marker=None),
        },
        risk_bands=(
            RiskBand(name="low", upper=0.3),
            RiskBand(name="moderate", upper=0.7),
            RiskBand(name="high", upper=None),
        ),
        intended_use="tests only",
        training_data="none: random weights",
        synthetic=synthetic,
        clinical_inputs=ClinicalInputs(categorical=CATEGORICAL, numerical=(("age", 100.0),))
        if spec.clinical
        else None,
        metrics=(Metric(task="scar", name="auc", value=0.5, data="nothing"),),
    )


def write_published(folder: Path, network: Network, spec: NetworkSpec, size: int) -> Path:
    """A published-layout model folder: configs.json, Lightning model.ckpt, transform.json."""
    folder.mkdir(parents=True)
    config: dict[str, object] = {
        "backbone": spec.backbone,
        "in_channels": 3,
        "latent_dim": spec.latent_dim,
        "scar_class": 2,
        "lvef_class": 2,
        "bias_head": spec.bias_head,
        "use_timm": True,
        "pretrained": True,
        "learning_rate": 1e-3,
        "loss_weights": [[0.3, 0.7], [0.4, 0.6]],
        "scar_lvef_loss_ratio": [0.7, 0.3],
    }
    if spec.clinical is not None:
        config.update(
            {k: v for k, v in spec.clinical.__dict__.items()}  # embedding_size, rnn_type, ...
        )
    (folder / "configs.json").write_text(json.dumps(config))
    state = dict(network.state_dict())
    state["scar_loss_fn.weight"] = torch.tensor([0.3, 0.7])
    state["lvef_loss_fn.weight"] = torch.tensor([0.4, 0.6])
    checkpoint = {
        "epoch": 7,
        "global_step": 1234,
        "pytorch-lightning_version": "1.9.0",
        "state_dict": state,
        "hyper_parameters": config,
        "optimizer_states": [
            {
                "state": {0: {"step": torch.tensor(3.0), "exp_avg": torch.zeros(3)}},
                "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0]}],
            }
        ],
        "lr_schedulers": [],
        "callbacks": {
            "ModelCheckpoint{'monitor': 'val_loss'}": {
                "best_model_score": torch.tensor(0.1),
                "best_model_path": "x.ckpt",
            }
        },
    }
    torch.save(checkpoint, folder / "model.ckpt")
    transform = {
        "__version__": "1.3.0",
        "transform": {
            "__class_fullname__": "Compose",
            "p": 1.0,
            "transforms": [
                {
                    "__class_fullname__": "Resize",
                    "always_apply": False,
                    "p": 1,
                    "height": size,
                    "width": size,
                    "interpolation": 1,
                },
                {
                    "__class_fullname__": "Normalize",
                    "always_apply": False,
                    "p": 1.0,
                    "mean": list(IMAGENET_MEAN),
                    "std": list(IMAGENET_STD),
                    "max_pixel_value": 255.0,
                },
                {
                    "__class_fullname__": "ToTensorV2",
                    "always_apply": True,
                    "p": 1.0,
                    "transpose_mask": False,
                },
            ],
            "bbox_params": None,
            "keypoint_params": None,
            "additional_targets": {},
        },
    }
    (folder / "transform.json").write_text(json.dumps(transform))
    return folder
