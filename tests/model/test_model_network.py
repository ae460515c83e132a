"""The networks match the published architecture: state-dict names, shapes, the clinical branch."""

from __future__ import annotations

import pytest
import torch
from support.model_builders import network_spec

from mtecg.model.architecture import ClinicalSpec, NetworkSpec
from mtecg.model.network import MultiTaskClinicalNet, build_network


def test_image_only_keys_and_shapes() -> None:
    spec = NetworkSpec("resnet34d", "multi-task", latent_dim=512, bias_head=True)
    network = build_network(spec)
    keys = set(network.state_dict())
    assert {k.split(".")[0] for k in keys} == {"model", "scar_head", "lvef_head"}
    assert network.state_dict()["model.fc.weight"].shape == (512, network.model.num_features)
    assert "model.fc.bias" not in keys
    assert network.state_dict()["scar_head.weight"].shape == (2, 512)
    assert "lvef_head.bias" in keys
    scar, lvef = network(torch.rand(3, 3, 64, 64))
    assert scar.shape == lvef.shape == (3, 2)


def test_image_embedding_goes_through_relu() -> None:
    network = build_network(network_spec())
    with torch.no_grad():
        network.scar_head.weight.fill_(1.0)
        network.scar_head.bias.zero_()
        network.model.get_classifier().weight.fill_(-1.0)  # all-negative latent
        scar, _ = network(torch.rand(1, 3, 64, 64))
    assert torch.equal(scar, torch.zeros_like(scar))


@pytest.mark.parametrize("rnn_type", ["rnn", "lstm", "birnn", "bilstm"])
def test_clinical_keys_and_shapes(rnn_type: str) -> None:
    spec = NetworkSpec(
        "resnet18",
        "multi-task-clinical",
        64,
        False,
        clinical=ClinicalSpec(5, rnn_type, 24, 1, 5, 1),
    )
    network = build_network(spec)
    assert isinstance(network, MultiTaskClinicalNet)
    state = network.state_dict()
    assert {k.split(".")[0] for k in state} == {
        "model",
        "embedding_layer",
        "clinical_rnn_layer",
        "scar_head",
        "lvef_head",
    }
    assert state["embedding_layer.weight"].shape == (2, 5)
    gates = 4 if "lstm" in rnn_type else 1
    assert state["clinical_rnn_layer.weight_ih_l0"].shape == (gates * 24, 5 + 1)
    assert ("clinical_rnn_layer.weight_ih_l0_reverse" in state) == rnn_type.startswith("bi")
    assert state["scar_head.weight"].shape == (2, 64 + 24)
    categorical = torch.randint(0, 2, (4, 5))
    scar, lvef = network(torch.rand(4, 3, 64, 64), categorical, torch.rand(4, 1))
    assert scar.shape == lvef.shape == (4, 2)


def test_clinical_embedding_is_final_state_summed_over_directions() -> None:
    spec = NetworkSpec(
        "resnet18", "multi-task-clinical", 8, True, clinical=ClinicalSpec(3, "bilstm", 6, 1, 5, 1)
    )
    network = build_network(spec)
    assert isinstance(network, MultiTaskClinicalNet)
    categorical, numerical = torch.randint(0, 2, (2, 5)), torch.rand(2, 1)
    with torch.no_grad():
        got = network.clinical_embedding(categorical, numerical)
        # Reference: run the sequence step by step, explicitly, from zero state.
        steps = torch.cat(
            [network.embedding_layer(categorical), numerical[:, None].expand(-1, 5, -1)], 2
        )
        output, _ = network.clinical_rnn_layer(steps.transpose(0, 1))
    hidden = 6
    forward_last = output[-1, :, :hidden]  # forward direction ends at the last step
    backward_last = output[0, :, hidden:]  # backward direction ends at the first step
    torch.testing.assert_close(got, forward_last + backward_last)


def test_unknown_variant_or_backbone_is_refused() -> None:
    with pytest.raises(ValueError, match="variant"):
        NetworkSpec("resnet18", "single-task", 8, True)
    with pytest.raises(ValueError, match="clinical"):
        NetworkSpec("resnet18", "multi-task-clinical", 8, True)
    with pytest.raises(ValueError, match="rnn_type"):
        ClinicalSpec(5, "gru", 8, 1, 5, 1)
