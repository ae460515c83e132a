"""Grad-CAM++ explanations: they point where the evidence is, and leave the network alone."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest
import timm
import torch
from torch import nn

from mtecg.geometry import CANONICAL_COLUMNS, CANONICAL_H_PX, CANONICAL_W_PX, PANEL_H_PX, PANEL_W_PX
from mtecg.model.explain import Explainer, PositiveLogits, default_target_layer, to_canonical

MEAN = torch.tensor((0.485, 0.456, 0.406)).view(1, 3, 1, 1)
STD = torch.tensor((0.229, 0.224, 0.225)).view(1, 3, 1, 1)
SCAR_LEAD = "V2"  # drawn in red
LVEF_LEAD = "aVF"  # drawn in blue


def panel_box(lead: str) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of a lead's panel on the canonical image."""
    col = next(c for c, leads in enumerate(CANONICAL_COLUMNS) if lead in leads)
    row = CANONICAL_COLUMNS[col].index(lead)
    return col * PANEL_W_PX, row * PANEL_H_PX, (col + 1) * PANEL_W_PX, (row + 1) * PANEL_H_PX


def ecg_canonical() -> np.ndarray:
    """White canonical page, a black trace in every panel, except V2 in red and aVF in blue."""
    image = np.full((CANONICAL_H_PX, CANONICAL_W_PX, 3), 255, np.uint8)
    colours = {SCAR_LEAD: (220, 0, 0), LVEF_LEAD: (0, 0, 220)}
    for leads in CANONICAL_COLUMNS:
        for lead in leads:
            left, top, right, _ = panel_box(lead)
            xs = np.arange(left + 20, right - 20)
            ys = (
                top
                + PANEL_H_PX / 2
                - 80 * np.sin((xs - left) / 25.0) * np.exp(-(((xs - left - 350) / 60.0) ** 2))
            )
            points = np.stack([xs, ys], axis=1).round().astype(np.int32)
            cv2.polylines(image, [points], False, colours.get(lead, (0, 0, 0)), thickness=5)
    return image


def to_input(canonical: np.ndarray, size: int) -> torch.Tensor:
    """The model's preprocessing: square resize (aspect not kept), [0, 1], ImageNet normalised."""
    resized = cv2.resize(canonical, (size, size), interpolation=cv2.INTER_LINEAR)
    x = torch.from_numpy(resized).permute(2, 0, 1)[None].float() / 255.0
    return (x - MEAN) / STD


class ColourNet(nn.Module):
    """A hand-built two-head network: scar evidence is red ink, LVEF evidence is blue ink.

    `model` turns RGB into two feature maps (redness, blueness) at 1/8 resolution; the heads
    read their global averages. So each task's logit depends only on the panel of that colour.
    """

    def __init__(self) -> None:
        super().__init__()
        colour = nn.Conv2d(3, 2, kernel_size=1, bias=False)
        with torch.no_grad():
            colour.weight.copy_(
                torch.tensor([[1.0, -0.5, -0.5], [-0.5, -0.5, 1.0]]).view(2, 3, 1, 1)
            )
        self.model = nn.Sequential(colour, nn.ReLU(), nn.AvgPool2d(8), nn.ReLU())

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        rgb = x * STD + MEAN
        pooled = self.model(rgb).mean(dim=(2, 3)) * 100.0
        zero = torch.zeros_like(pooled[:, 0])
        scar = torch.stack((zero, pooled[:, 0] - 1.0), dim=1)
        lvef = torch.stack((zero, pooled[:, 1] - 1.0), dim=1)
        return scar, lvef


class ClinicalColourNet(ColourNet):
    """The same network with the clinical signature: clinical inputs shift both logits."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding_layer = nn.Embedding(2, 1)

    def forward(  # type: ignore[override]
        self, x: torch.Tensor, categorical: torch.Tensor, numerical: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        scar, lvef = super().forward(x)
        shift = self.embedding_layer(categorical).sum(dim=1) + numerical
        return scar + shift, lvef - shift


class TimmNet(nn.Module):
    """The published multi-task shape on a small timm backbone with random weights."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.model = timm.create_model("resnet18", pretrained=False, num_classes=64)
        self.scar_head = nn.Linear(64, 2)
        self.lvef_head = nn.Linear(64, 2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        embedding = torch.relu(self.model(x))
        return self.scar_head(embedding), self.lvef_head(embedding)


def panel_mass(heatmap: np.ndarray, lead: str) -> float:
    """Share of the (canonical-resolution) heatmap's total mass inside one lead's panel."""
    full = to_canonical(heatmap)
    left, top, right, bottom = panel_box(lead)
    return float(full[top:bottom, left:right].sum() / full.sum())


def test_each_map_puts_its_mass_on_the_panel_that_carries_its_signal() -> None:
    canonical = ecg_canonical()
    x = to_input(canonical, 384)
    maps = Explainer(ColourNet().eval()).explain(x)
    scar_in_scar = panel_mass(maps["scar"], SCAR_LEAD)
    lvef_in_lvef = panel_mass(maps["lvef"], LVEF_LEAD)
    print(f"scar map mass in {SCAR_LEAD}: {scar_in_scar:.3f}")
    print(f"lvef map mass in {LVEF_LEAD}: {lvef_in_lvef:.3f}")
    assert scar_in_scar > 0.8
    assert lvef_in_lvef > 0.8
    # Distinct maps: each is nearly empty on the other's panel.
    assert panel_mass(maps["scar"], LVEF_LEAD) < 0.05
    assert panel_mass(maps["lvef"], SCAR_LEAD) < 0.05


def test_clinical_variant_explains_with_fixed_clinical_inputs() -> None:
    with torch.inference_mode():  # as the inference path would have made them
        x = to_input(ecg_canonical(), 192)
        categorical = torch.tensor([[1, 0, 1, 0, 0]])
        numerical = torch.tensor([[0.6]])
    maps = Explainer(ClinicalColourNet().eval()).explain(x, categorical, numerical)
    assert panel_mass(maps["scar"], SCAR_LEAD) > 0.8
    assert panel_mass(maps["lvef"], LVEF_LEAD) > 0.8
    with pytest.raises(ValueError):
        PositiveLogits(ClinicalColourNet(), categorical=categorical)


def test_positive_logits_are_the_log_odds_of_each_head() -> None:
    net = TimmNet().eval()
    x = torch.randn(3, 3, 64, 64)
    with torch.no_grad():
        scar, lvef = net(x)
        out = PositiveLogits(net)(x)
    assert out.shape == (3, 2)
    torch.testing.assert_close(torch.sigmoid(out[:, 0]), scar.softmax(1)[:, 1])
    torch.testing.assert_close(torch.sigmoid(out[:, 1]), lvef.softmax(1)[:, 1])


def hook_count(net: nn.Module) -> int:
    return sum(
        len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
        for m in net.modules()
    )


def test_maps_are_unit_range_at_input_size_and_the_network_is_untouched() -> None:
    net = TimmNet()
    net.train()
    net.model.conv1.requires_grad_(False)
    assert default_target_layer(net) is net.model.layer4
    state = {k: v.clone() for k, v in net.state_dict().items()}
    flags = {k: p.requires_grad for k, p in net.named_parameters()}
    modes = {k: m.training for k, m in net.named_modules()}
    hooks = hook_count(net)

    maps = Explainer(net).explain(torch.randn(1, 3, 160, 128))

    assert set(maps) == {"scar", "lvef"}
    for heat in maps.values():
        assert heat.shape == (160, 128)
        assert heat.dtype == np.float32
        assert heat.min() >= 0.0 and heat.max() <= 1.0
        assert heat.max() > 0.5  # a real map, not all zeros
    assert not np.allclose(maps["scar"], maps["lvef"])
    # BatchNorm running stats would move if explain had run in training mode.
    for key, value in net.state_dict().items():
        torch.testing.assert_close(value, state[key], rtol=0, atol=0)
    assert {k: p.requires_grad for k, p in net.named_parameters()} == flags
    assert {k: m.training for k, m in net.named_modules()} == modes
    assert all(p.grad is None for p in net.parameters())
    assert hook_count(net) == hooks


def test_one_image_at_a_time() -> None:
    with pytest.raises(ValueError):
        Explainer(TimmNet().eval()).explain(torch.randn(2, 3, 64, 64))


def test_explain_concurrent_with_inference_matches_sequential() -> None:
    """Inference that holds the explainer's lock (as `Predictor` does) runs beside explanations
    and neither disturbs the other."""
    net = TimmNet().eval()
    explainer = Explainer(net)
    image = torch.randn(1, 3, 128, 128)
    batch = torch.randn(4, 3, 128, 128)
    expected_maps = explainer.explain(image)
    with torch.inference_mode():
        expected_logits = net(batch)

    maps: list[dict[str, np.ndarray]] = []
    logits: list[tuple[torch.Tensor, torch.Tensor]] = []
    errors: list[BaseException] = []

    def explain_loop() -> None:
        try:
            maps.extend(explainer.explain(image) for _ in range(4))
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    def infer_loop() -> None:
        try:
            for _ in range(8):
                with explainer.lock, torch.inference_mode():
                    logits.append(net(batch))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=explain_loop), threading.Thread(target=infer_loop)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert len(maps) == 4 and len(logits) == 8
    for got in maps:
        for task in ("scar", "lvef"):
            np.testing.assert_allclose(got[task], expected_maps[task], atol=1e-4)
    for scar, lvef in logits:
        torch.testing.assert_close(scar, expected_logits[0])
        torch.testing.assert_close(lvef, expected_logits[1])


def test_to_canonical_inverts_the_square_resize() -> None:
    heat = np.zeros((384, 384), np.float32)
    heat[:64, :192] = 1.0  # top-left panel (lead I) in model input space
    full = to_canonical(heat)
    assert full.shape == (CANONICAL_H_PX, CANONICAL_W_PX)
    assert full.dtype == np.float32
    assert full.min() >= 0.0 and full.max() <= 1.0
    assert panel_mass(heat, "I") > 0.97
    assert full[: PANEL_H_PX - 10, : PANEL_W_PX - 10].min() == 1.0
    assert full[PANEL_H_PX + 10 :, :].max() == 0.0
