"""The backbone's forward pass on ONNX Runtime (FP32 or int8), the rest on PyTorch.

On a CPU the backbone (every convolution) is nearly all of a forward pass, and ONNX Runtime
runs it several times faster than eager PyTorch at the small batches a service sees. Only
`forward_features` moves: the heads, pooling and clinical branch stay PyTorch modules with
the package's weights, so Grad-CAM++ keeps working the way the service runs it (the feature
map from the forward pass, gradients through the small rest, see `mtecg.model.explain`).

The graph is exported from the loaded, verified network in this process, never read from
elsewhere. It may be cached beside other runtime files (`cache_dir`), keyed by the weights'
sha256; a cached graph is used only when its own sha256 and the weights' sha256 it was made
from match (a changed package or a damaged file is exported again). A fresh export is checked
against PyTorch on synthetic canonical images before it is kept: any probability more than
`PROBABILITY_TOLERANCE` away refuses the runtime (a misread is worse than a slow answer).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, cast

import numpy as np
import onnxruntime as ort
import torch
from torch import nn

from mtecg.errors import Rejection
from mtecg.model import head_only
from mtecg.model.explain import Explainer
from mtecg.model.input_transform import to_batch
from mtecg.model.manifest import ModelManifest
from mtecg.model.network import Network
from mtecg.model.package import ModelPackage, ModelPackageError
from mtecg.model.runtime import PROBABILITY_TOLERANCE, Runtime

log = logging.getLogger(__name__)

#: Bumped whenever the export or its record changes, so older cached graphs are made again.
EXPORT_FORMAT: Final = 2
#: Synthetic canonical images checked (and, for int8, calibrated on) at export.
CHECK_IMAGES: Final = 8
CHECK_SEED: Final = 16


class RuntimeRefused(ModelPackageError):
    """The faster runtime does not give PyTorch's answers for this package (or cannot run it)."""


class OnnxBackbone(nn.Module):
    """Stands in for the timm backbone: `forward_features` on ONNX Runtime, the head on torch.

    The map passes through `feature_map` (an identity module) so that Grad-CAM++ has a layer
    whose output is the very tensor `forward_features` returns.
    """

    def __init__(self, backbone: nn.Module, session: ort.InferenceSession) -> None:
        super().__init__()
        self.backbone = backbone
        self.session = session
        self.feature_map = nn.Identity()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        image = np.ascontiguousarray(x.detach().cpu().numpy(), dtype=np.float32)
        (features,) = self.session.run(None, {"image": image})
        result: torch.Tensor = self.feature_map(torch.from_numpy(features))
        return result

    def forward_head(self, feature_map: torch.Tensor) -> torch.Tensor:
        pooled: torch.Tensor = cast(Any, self.backbone).forward_head(feature_map)
        return pooled


class OnnxNetwork(nn.Module):
    """A package's network whose backbone runs on ONNX Runtime; same calls as `Network`."""

    def __init__(
        self,
        network: Network,
        session: ort.InferenceSession,
        runtime: Runtime,
        maps_from_features: bool,
    ) -> None:
        super().__init__()
        self.torch_network = network
        self.model = OnnxBackbone(network.model, session)
        self.runtime = runtime
        #: Whether Grad-CAM++ may be taken from this backbone's feature map (`maps_from_features`).
        self.maps_from_features = maps_from_features

    def forward(
        self, x: torch.Tensor, *clinical: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.from_features(self.model.forward_features(x), *clinical)

    def from_features(
        self, feature_map: torch.Tensor, *clinical: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        logits: tuple[torch.Tensor, torch.Tensor] = cast(Any, self.torch_network).from_features(
            feature_map, *clinical
        )
        return logits


def session_options(threads: int) -> ort.SessionOptions:
    """One session, `threads` intra-op threads that sleep when idle, no memory arena.

    ONNX Runtime's threads spin for a while after each run by default; on a small machine that
    takes the cores the sandbox workers need to read the next upload. Its CPU arena keeps the
    largest activations any batch ever needed and never gives them back (a 384 px resnet34d
    server held about 350 MB more after a few batches of 4 and 13); without it activations
    are allocated per run and freed after it, at a cost within the run-to-run noise
    (benchmarks/README.md, issue 16).
    """
    options = ort.SessionOptions()
    options.enable_cpu_mem_arena = False
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def accelerate(
    package: ModelPackage, network: Network, runtime: Runtime, cache_dir: Path | None = None
) -> OnnxNetwork:
    """`network` (the package's, on the CPU) with its backbone on the runtime, verified."""
    if runtime == "torch":
        raise ValueError("accelerate() is for the ONNX runtimes")
    weights = package.manifest.weights
    if weights is None:
        raise RuntimeRefused("the package has no weights entry to key an exported graph by")
    key = _key(package.manifest, runtime)
    cached = _cached(cache_dir, key) if cache_dir is not None else None
    if cached is None:
        try:
            graph = export(network, package, runtime)
        except Exception as error:  # the exporter's and quantizer's errors have no common base
            raise RuntimeRefused(f"{runtime}: cannot export the network ({error})") from error
        maps = maps_from_features(network, package)
    else:
        graph, maps = cached
    session = _session(graph)
    fast = OnnxNetwork(network, session, runtime, maps)
    if cached is not None:
        return fast
    try:
        images = check_images()
    except Rejection as error:
        raise RuntimeRefused(f"{runtime}: cannot make the check images ({error})") from error
    # The head-only network (no timm backbone, `mtecg.model.head_only`) is what later starts
    # serve from the cache, so it is what is checked, and served now too, when it exists.
    served, classifier = fast, head_only.classifier_path(network) if maps else None
    if classifier is not None:
        rest = head_only.head_only_network(package.manifest, network.state_dict(), classifier)
        served = OnnxNetwork(rest, session, runtime, maps)
    gap = probability_gap(package, network, served, images)
    if gap > PROBABILITY_TOLERANCE and served is not fast:  # its head is not pooling + linear
        served, classifier = fast, None
        gap = probability_gap(package, network, fast, images)
    if gap > PROBABILITY_TOLERANCE:
        raise RuntimeRefused(
            f"{runtime}: probabilities differ from PyTorch by {gap:.4f} on synthetic "
            f"canonical images (at most {PROBABILITY_TOLERANCE} allowed); "
            "use MTECG_RUNTIME=torch"
        )
    if cache_dir is not None:
        check = {"max_difference": gap, "tolerance": PROBABILITY_TOLERANCE}
        _store(cache_dir, key, graph, package.manifest, maps, classifier, check)
    return served


def from_cache(
    manifest: ModelManifest,
    state: dict[str, torch.Tensor],
    runtime: Runtime,
    cache_dir: Path,
) -> OnnxNetwork | None:
    """The served network straight from a cached graph, with no timm backbone built, when the
    graph's record vouches for it; else None (the caller loads the package and `accelerate`s).

    It vouches when it was written for this package (`package_sha256`) after the head-only
    network passed the export check within today's `PROBABILITY_TOLERANCE`, and the graph's
    bytes still hash to the recorded sha256. `state` must come from the verified weights
    (`mtecg.model.package.read_verified`).
    """
    key = _key(manifest, runtime)
    cached = _cached(cache_dir, key)
    record = _record(cache_dir, key)
    if cached is None or record is None or record.get("package_sha256") != package_sha256(manifest):
        return None
    graph, maps = cached
    classifier, check = record.get("head_only"), record.get("check")
    if not (maps and isinstance(classifier, str) and isinstance(check, dict)):
        return None
    if not all(
        isinstance(check.get(name), float | int) and check[name] <= PROBABILITY_TOLERANCE
        for name in ("max_difference", "tolerance")
    ):
        return None
    try:
        rest = head_only.head_only_network(manifest, state, classifier)
    except (KeyError, RuntimeError, ValueError):  # not the weights the record was made from
        return None
    return OnnxNetwork(rest, _session(graph), runtime, maps)


def _session(graph: bytes) -> ort.InferenceSession:
    threads = torch.get_num_threads()
    return ort.InferenceSession(graph, session_options(threads), providers=["CPUExecutionProvider"])


def package_sha256(manifest: ModelManifest) -> str:
    """sha256 of what a network's answers depend on: the manifest's architecture, input,
    clinical inputs and weights entry (not its metrics or texts, which `evaluate` rewrites)."""
    facts = manifest.to_json()
    wanted = {name: facts.get(name) for name in ("architecture", "input", "clinical_inputs")}
    wanted["weights"] = facts.get("weights")
    return hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()


def _key(manifest: ModelManifest, runtime: Runtime) -> str:
    assert manifest.weights is not None
    return f"{manifest.weights.sha256.lower()}-{runtime}-f{EXPORT_FORMAT}"


def export(network: Network, package: ModelPackage, runtime: Runtime) -> bytes:
    """The backbone's `forward_features` as an ONNX graph (batch axis dynamic), int8 if asked."""
    spec = package.manifest.input
    sample = torch.zeros(1, 3, spec.height, spec.width)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # The TorchScript exporter: the dynamo one needs onnxscript and gives the same graph here.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Features(network.model).eval(),
            (sample,),
            cast(Any, buffer),  # a file object works; the stubs name paths only
            input_names=["image"],
            output_names=["features"],
            dynamic_axes={"image": {0: "batch"}, "features": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    graph = buffer.getvalue()
    if runtime == "onnx-int8":
        graph = quantize_int8(graph, package)
    return graph


class _Features(nn.Module):
    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features: torch.Tensor = cast(Any, self.backbone).forward_features(x)
        return features


def quantize_int8(graph: bytes, package: ModelPackage) -> bytes:
    """Static int8 quantization (QDQ, per-channel weights) calibrated on synthetic images."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    batches = [
        {"image": to_batch([image], package.manifest.input).numpy()} for image in check_images()
    ]

    class Calibration(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self.batches = iter(batches)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.batches, None)

    with tempfile.TemporaryDirectory(prefix="mtecg-int8-") as folder:
        source, prepared, target = (Path(folder) / name for name in ("f.onnx", "p.onnx", "q.onnx"))
        source.write_bytes(graph)
        quant_pre_process(str(source), str(prepared))
        quantize_static(
            str(prepared),
            str(target),
            Calibration(),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
        )
        return target.read_bytes()


@functools.cache
def check_images() -> tuple[np.ndarray, ...]:
    """The synthetic canonical images a fresh export is checked (and calibrated) on.

    Made once per process (reading the printouts is most of an export's check), in a sandbox
    worker that exits afterwards: the server keeps none of the reading's memory.
    """
    from mtecg.ingest.sandbox import Sandbox
    from mtecg.synth.canonical import panel_mix, read_canonicals

    with Sandbox(workers=1) as sandbox:
        bases = read_canonicals(3, CHECK_SEED, sandbox)
    return (*bases, *panel_mix(bases, CHECK_IMAGES - len(bases), CHECK_SEED))


def probability_gap(
    package: ModelPackage,
    reference: Network,
    candidate: nn.Module,
    images: Sequence[np.ndarray],
    batch: int = 8,
) -> float:
    """Largest |p_candidate - p_reference| over `images`, both tasks (image-only inputs).

    Clinical networks are compared with every clinical input at zero: the clinical branch is
    PyTorch in both, so only the image path can differ.
    """
    spec = package.manifest.input
    worst = 0.0
    for start in range(0, len(images), batch):
        x = to_batch(images[start : start + batch], spec)
        clinical = _zero_clinical(package, len(x))
        with torch.inference_mode():
            p = [
                torch.softmax(torch.stack(net(x, *clinical), dim=1).float(), dim=2)[..., 1]
                for net in (reference, candidate)
            ]
        worst = max(worst, float((p[0] - p[1]).abs().max()))
    return worst


def _zero_clinical(package: ModelPackage, count: int) -> tuple[torch.Tensor, ...]:
    inputs = package.manifest.clinical_inputs
    if inputs is None:
        return ()
    return (
        torch.zeros(count, len(inputs.categorical), dtype=torch.long),
        torch.zeros(count, len(inputs.numerical), dtype=torch.float32),
    )


def maps_from_features(network: Network, package: ModelPackage) -> bool:
    """Whether the network's Grad-CAM++ layer is its last feature map (one probe pass, at
    export; the cache keeps the answer).

    Only then may the maps be taken from the ONNX feature map; otherwise they stay on PyTorch.
    """
    spec = package.manifest.input
    probe = torch.zeros(1, 3, spec.height, spec.width)
    categorical, numerical = _zero_clinical(package, 1) or (None, None)
    return Explainer(network).forward_explained(probe, categorical, numerical) is not None


def _paths(cache_dir: Path, key: str) -> tuple[Path, Path]:
    return cache_dir / f"{key}.onnx", cache_dir / f"{key}.json"


def _record(cache_dir: Path, key: str) -> dict[str, Any] | None:
    try:
        record = json.loads(_paths(cache_dir, key)[1].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _cached(cache_dir: Path, key: str) -> tuple[bytes, bool] | None:
    """The cached graph for `key` and its `maps_from_features`, if its record vouches for these
    exact bytes; else None."""
    record = _record(cache_dir, key)
    try:
        graph = _paths(cache_dir, key)[0].read_bytes()
    except OSError:
        return None
    if record is None:
        return None
    weights_ok = record.get("weights_sha256") == key.split("-", 1)[0]
    graph_ok = record.get("graph_sha256") == hashlib.sha256(graph).hexdigest()
    maps = record.get("maps_from_features")
    valid = weights_ok and graph_ok and record.get("format") == EXPORT_FORMAT
    return (graph, maps) if valid and isinstance(maps, bool) else None


def _store(
    cache_dir: Path,
    key: str,
    graph: bytes,
    manifest: ModelManifest,
    maps: bool,
    classifier: str | None,
    check: dict[str, float],
) -> None:
    """Writes graph then record, each atomically; a cache that cannot be written is skipped.

    The record says what was checked: the package, the graph's bytes, whether the head-only
    network (`classifier`, None when it is not used) passed, and the check's largest difference.
    """
    graph_path, record_path = _paths(cache_dir, key)
    record = {
        "weights_sha256": key.split("-", 1)[0],
        "package_sha256": package_sha256(manifest),
        "graph_sha256": hashlib.sha256(graph).hexdigest(),
        "format": EXPORT_FORMAT,
        "maps_from_features": maps,
        "head_only": classifier,
        "check": check,
        "torch": torch.__version__,
        "onnxruntime": ort.__version__,
    }
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for path, data in ((graph_path, graph), (record_path, json.dumps(record).encode())):
            temporary = path.with_name(f".{path.name}.{os.getpid()}")
            temporary.write_bytes(data)
            os.replace(temporary, path)
    except OSError as error:
        log.warning(
            "runtime cache %s not written (%s): the graph is exported at every start",
            cache_dir,
            error,
        )


def release_torch_backbone(fast: OnnxNetwork) -> int:
    """Frees the PyTorch backbone's weights that nothing runs any more; the bytes freed.

    Once the graph is verified, every convolution runs on ONNX Runtime: of the timm backbone
    only `forward_head` (pooling) still runs on PyTorch, in the prediction and in the maps'
    backward pass (`maps_from_features`). Its modules are found by running it once on a zero
    feature map of the graph's output shape; every other module's parameters and buffers become
    empty tensors, so that a stray PyTorch pass through them fails loudly rather than answering.
    Nothing is freed when the maps still need the whole PyTorch network, or the graph's output
    shape is not fixed. For a long-lived server only: the package can no longer be written, and
    the check images (about 70 MB at 384 px) are dropped, since the server checks no other graph.
    """
    check_images.cache_clear()
    dims = fast.model.session.get_outputs()[0].shape[1:]
    if not fast.maps_from_features or not all(isinstance(d, int) for d in dims):
        return 0
    backbone = fast.model.backbone
    used: set[nn.Module] = set()
    handles = [
        module.register_forward_hook(lambda m, _i, _o: used.add(m)) for module in backbone.modules()
    ]
    try:
        with torch.inference_mode():
            fast.model.forward_head(torch.zeros(1, *dims))
    finally:
        for handle in handles:
            handle.remove()
    freed = 0
    for module in backbone.modules():
        if module in used:
            continue
        for param in module.parameters(recurse=False):
            freed += param.numel() * param.element_size()
            param.data = torch.empty(0, dtype=param.dtype)
        for name, buffer in list(module.named_buffers(recurse=False)):
            freed += buffer.numel() * buffer.element_size()
            setattr(module, name, torch.empty(0, dtype=buffer.dtype))
    return freed
