"""Our digital-twin network: a shared convolutional-recurrent core with per-scan readouts.

Same family as the MICrONS foundation model (``docs/fnn_release.md`` §1), small by default:

* per scan, **perspective**: an MLP maps z-scored pupil centre (x, y) to a shift of the image (the eye looks
  elsewhere), applied with ``grid_sample`` before the core;
* shared **core** (``core.`` keys): strided 2-D convolutions (feedforward; the first one sees the last
  ``temporal_kernel`` frames, a causal spatio-temporal filter) followed by a convolutional GRU over time
  (recurrent); its output is the concatenation of feedforward and recurrent feature maps;
* per scan, **readout**: one learned position per unit (x, y in [-1, 1], bilinear ``grid_sample`` of the core
  output, border padding) and a feature vector + bias per unit, then ``elu + 1`` (strictly positive);
* per scan, **modulation**: an MLP maps z-scored pupil radius and treadmill speed to a multiplicative gain
  per unit (``exp``), so rates stay non-negative.

Behaviour columns are ``BEHAVIOUR_COLUMNS`` (raw units of the scan); each scan module stores the mean/std used to
z-score them and the per-unit response scale (std of the training traces), so predictions come back in the units
of the recorded traces. A scan module's ``state_dict()`` holds everything scan-specific (``perspective.``,
``modulation.``, ``readout.``, ``behaviour.``) and can be saved alone.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nda_ext.model.video import resize_frames

BEHAVIOUR_COLUMNS = ("pupil_x", "pupil_y", "pupil_radius", "treadmill")
"""Behaviour columns, in order: perspective = pupil centre x/y, modulation = pupil radius, treadmill speed."""

FRAME_MEAN, FRAME_STD = 0.5, 0.25
"""Stimulus normalisation: frames / 255 are shifted and scaled by these before the core."""


@dataclass(frozen=True)
class TwinConfig:
    """Hyper-parameters of ``TwinModel``.

    Attributes:
        height: model input height (pixels); frames of another size are resized (antialiased bilinear).
        width: model input width (pixels).
        temporal_kernel: frames (current and previous) the first feedforward layer sees; frames before the
            first one are mean grey.
        channels: output channels of each feedforward conv layer.
        kernels: spatial kernel size of each feedforward conv layer.
        strides: stride of each feedforward conv layer.
        hidden: channels of the convolutional GRU state.
        recurrent_kernel: spatial kernel size of the GRU convolutions.
        perspective_hidden: hidden features of the per-scan perspective MLP.
        max_shift: largest image shift the perspective can apply, in normalised image units (2 = full width).
        modulation_hidden: hidden features of the per-scan modulation MLP.
    """

    height: int = 36
    width: int = 64
    temporal_kernel: int = 1
    channels: tuple[int, ...] = (16, 32)
    kernels: tuple[int, ...] = (7, 3)
    strides: tuple[int, ...] = (2, 2)
    hidden: int = 32
    recurrent_kernel: int = 3
    perspective_hidden: int = 8
    max_shift: float = 0.2
    modulation_hidden: int = 16

    def __post_init__(self):
        for name in ("channels", "kernels", "strides"):
            object.__setattr__(self, name, tuple(int(v) for v in getattr(self, name)))
        if int(self.temporal_kernel) < 1:
            raise ValueError(f"temporal_kernel must be >= 1, got {self.temporal_kernel}")
        if not len(self.channels) == len(self.kernels) == len(self.strides) > 0:
            raise ValueError(f"channels, kernels and strides must be non-empty and of equal length, got "
                             f"{self.channels}, {self.kernels}, {self.strides}")

    @property
    def core_channels(self) -> int:
        """Channels of the core output (last feedforward layer + GRU state)."""
        return self.channels[-1] + self.hidden

    def to_dict(self) -> dict:
        """JSON-serialisable dict of the hyper-parameters."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, values: dict) -> TwinConfig:
        """Build from ``to_dict`` output; unknown keys raise ``ValueError`` naming them."""
        unknown = set(values) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown TwinConfig hyper-parameters: {sorted(unknown)}")
        return cls(**values)


def default_device() -> torch.device:
    """CUDA when available, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def scan_name(scan_key) -> str:
    """Module name of a scan, ``"{session}_{scan_idx}"``.

    Args:
        scan_key: a mapping with ``session`` and ``scan_idx`` (e.g. a DataJoint key; extra keys ignored), a
            ``(session, scan_idx)`` tuple, an object with those attributes (``ScanData``), or the name itself
            (``"4_7"``; ``"4-7"`` is accepted too).
    """
    if isinstance(scan_key, str):
        parts = scan_key.replace("-", "_").split("_")
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            return f"{int(parts[0])}_{int(parts[1])}"
        raise ValueError(f"scan_key string must look like '4_7' (session_scan-idx), got {scan_key!r}")
    if isinstance(scan_key, dict):
        try:
            return f"{int(scan_key['session'])}_{int(scan_key['scan_idx'])}"
        except KeyError as err:
            raise ValueError(f"scan_key mapping needs 'session' and 'scan_idx', got keys {sorted(scan_key)}") from err
    if hasattr(scan_key, "session") and hasattr(scan_key, "scan_idx"):
        return f"{int(scan_key.session)}_{int(scan_key.scan_idx)}"
    if isinstance(scan_key, (tuple, list)) and len(scan_key) == 2:
        return f"{int(scan_key[0])}_{int(scan_key[1])}"
    raise ValueError(f"cannot read a scan key (session, scan_idx) from {scan_key!r}")


class ConvGRU(nn.Module):
    """Convolutional GRU whose input convolutions run on all frames at once, only the hidden path per step."""

    def __init__(self, in_channels: int, hidden: int, kernel: int):
        super().__init__()
        self.hidden = hidden
        self.input = nn.Conv2d(in_channels, 3 * hidden, kernel, padding=kernel // 2)
        self.gates = nn.Conv2d(hidden, 2 * hidden, kernel, padding=kernel // 2, bias=False)
        self.candidate = nn.Conv2d(hidden, hidden, kernel, padding=kernel // 2, bias=False)

    def forward(self, x: torch.Tensor, state: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Run over time.

        Args:
            x: (B, T, C, h, w) input features.
            state: (B, hidden, h, w) previous state or None (zeros).

        Returns:
            (B, T, hidden, h, w) states at every frame, and the last state.
        """
        b, t = x.shape[:2]
        xz, xr, xc = self.input(x.flatten(0, 1)).unflatten(0, (b, t)).chunk(3, dim=2)
        h = x.new_zeros(b, self.hidden, *x.shape[-2:]) if state is None else state
        out = []
        for i in range(t):
            hz, hr = self.gates(h).chunk(2, dim=1)
            z = torch.sigmoid(xz[:, i] + hz)
            r = torch.sigmoid(xr[:, i] + hr)
            h = (1 - z) * h + z * torch.tanh(xc[:, i] + self.candidate(r * h))
            out.append(h)
        return torch.stack(out, dim=1), h


class Core(nn.Module):
    """Shared core: strided convolutions (feedforward, the first over the last ``temporal_kernel`` frames) then a
    convolutional GRU (recurrent). Its state is (previous frames, GRU state)."""

    def __init__(self, config: TwinConfig):
        super().__init__()
        self.temporal_kernel = config.temporal_kernel
        layers, c_in = [], config.temporal_kernel
        for c_out, k, s in zip(config.channels, config.kernels, config.strides):
            layers += [nn.Conv2d(c_in, c_out, k, stride=s, padding=k // 2), nn.ELU()]
            c_in = c_out
        self.feedforward = nn.Sequential(*layers)
        self.recurrent = ConvGRU(c_in, config.hidden, config.recurrent_kernel)

    def forward(self, x: torch.Tensor, state: tuple | None) -> tuple[torch.Tensor, tuple]:
        """Args: x (B, T, 1, H, W) normalised frames (0 = mean grey); state from the previous call or None (rest).

        Returns:
            (B, T, core_channels, h, w) features and the new state (last ``temporal_kernel - 1`` frames, GRU state).
        """
        b, t = x.shape[:2]
        previous, hidden = (None, None) if state is None else state
        lags = self.temporal_kernel - 1
        if previous is None:
            previous = x.new_zeros(b, lags, *x.shape[2:])
        full = torch.cat([previous, x], dim=1)  # (B, lags + T, 1, H, W)
        stacked = full[:, :, 0].unfold(1, lags + 1, 1).permute(0, 1, 4, 2, 3)  # (B, T, lags + 1, H, W), oldest first
        ff = self.feedforward(stacked.flatten(0, 1)).unflatten(0, (b, t))
        rec, hidden = self.recurrent(ff, hidden)
        return torch.cat([ff, rec], dim=2), (full[:, full.shape[1] - lags:], hidden)


class Mlp(nn.Sequential):
    """Two-layer MLP (ELU) whose last layer starts at zero, so the module starts as the identity transform."""

    def __init__(self, n_in: int, hidden: int, n_out: int):
        super().__init__(nn.Linear(n_in, hidden), nn.ELU(), nn.Linear(hidden, n_out))
        nn.init.zeros_(self[2].weight)
        nn.init.zeros_(self[2].bias)


class BehaviourNorm(nn.Module):
    """Z-scores raw behaviour with the scan's stored statistics; missing values (NaN) become the mean (0)."""

    def __init__(self, mean: np.ndarray | None = None, std: np.ndarray | None = None):
        super().__init__()
        k = len(BEHAVIOUR_COLUMNS)
        self.register_buffer("mean", torch.zeros(k) if mean is None else torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.ones(k) if std is None else torch.as_tensor(std, dtype=torch.float32))

    def forward(self, behaviour: torch.Tensor) -> torch.Tensor:
        return torch.nan_to_num((behaviour - self.mean) / self.std, nan=0.0)


class Readout(nn.Module):
    """Per-unit position (x, y in [-1, 1] via tanh; grid_sample convention, y = -1 at the top row), features, bias.

    ``scale`` (buffer) is the per-unit response scale: model rates times ``scale`` are in recorded-trace units.
    """

    def __init__(self, n_units: int, channels: int, generator: torch.Generator | None = None):
        super().__init__()
        start = torch.rand(n_units, 2, generator=generator) * 1.6 - 0.8
        self.position = nn.Parameter(torch.atanh(start))
        self.features = nn.Parameter(torch.randn(n_units, channels, generator=generator) / channels ** 0.5)
        self.bias = nn.Parameter(torch.zeros(n_units))
        self.register_buffer("scale", torch.ones(n_units))

    @property
    def grid(self) -> torch.Tensor:
        """(U, 2) positions in grid_sample coordinates (x right, y down), each in [-1, 1]."""
        return torch.tanh(self.position)

    def forward(self, core: torch.Tensor) -> torch.Tensor:
        """Args: core (M, C, h, w) features of M frames. Returns: (M, U) pre-nonlinearity responses."""
        grid = self.grid[None, :, None, :].expand(core.shape[0], -1, -1, -1)
        sampled = F.grid_sample(core, grid, mode="bilinear", padding_mode="border", align_corners=False)
        return torch.einsum("mcu,uc->mu", sampled[..., 0], self.features) + self.bias


class ScanModule(nn.Module):
    """Everything scan-specific: behaviour statistics, perspective shift, modulation gain and readout.

    Attributes (not in the state dict): ``session``, ``scan_idx``, ``fps`` (scan frame rate, Hz or None) and
    ``unit_ids`` (int array (U,), readout_id order, or None).
    """

    def __init__(self, config: TwinConfig, n_units: int, *, session: int, scan_idx: int, fps: float | None = None,
                 unit_ids: np.ndarray | None = None, behaviour_mean=None, behaviour_std=None, response_scale=None,
                 generator: torch.Generator | None = None):
        super().__init__()
        self.session, self.scan_idx, self.fps = int(session), int(scan_idx), fps
        self.unit_ids = None if unit_ids is None else np.asarray(unit_ids, dtype=np.int64)
        if self.unit_ids is not None and len(self.unit_ids) != n_units:
            raise ValueError(f"unit_ids has {len(self.unit_ids)} entries for a readout of {n_units} units")
        self.max_shift = config.max_shift
        self.behaviour = BehaviourNorm(behaviour_mean, behaviour_std)
        self.perspective = Mlp(2, config.perspective_hidden, 2)
        self.modulation = Mlp(2, config.modulation_hidden, n_units)
        self.readout = Readout(n_units, config.core_channels, generator)
        if response_scale is not None:
            self.readout.scale.copy_(torch.as_tensor(response_scale, dtype=torch.float32))

    @property
    def n_units(self) -> int:
        return self.readout.bias.shape[0]

    def look(self, frames: torch.Tensor, behaviour: torch.Tensor) -> torch.Tensor:
        """Shift frames (M, 1, H, W) by the perspective of z-scored behaviour (M, 4); zeros padding."""
        shift = self.max_shift * torch.tanh(self.perspective(behaviour[:, :2]))
        theta = torch.zeros(frames.shape[0], 2, 3, dtype=frames.dtype, device=frames.device)
        theta[:, 0, 0] = theta[:, 1, 1] = 1.0
        theta[:, :, 2] = shift
        grid = F.affine_grid(theta, list(frames.shape), align_corners=False)
        return F.grid_sample(frames, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    def respond(self, core: torch.Tensor, behaviour: torch.Tensor) -> torch.Tensor:
        """Rates (M, U) >= 0 in standardised units from core features (M, C, h, w) and z-scored behaviour (M, 4)."""
        gain = torch.exp(self.modulation(behaviour[:, 2:]))
        return (F.elu(self.readout(core)) + 1.0) * gain


class TwinModel(nn.Module):
    """Shared core (``core.`` keys) plus one ``ScanModule`` per scan in ``scans``
    (keys ``scans.{session}_{scan_idx}.``).

    Args:
        config: hyper-parameters (defaults are small: trains on CPU in minutes).
    """

    def __init__(self, config: TwinConfig | None = None):
        super().__init__()
        self.config = config or TwinConfig()
        self.core = Core(self.config)
        self.scans = nn.ModuleDict()

    @property
    def device(self) -> torch.device:
        return next(self.core.parameters()).device

    def add_scan(self, session: int, scan_idx: int, n_units: int, **kwargs) -> ScanModule:
        """Add a freshly initialised scan module (keyword arguments as ``ScanModule``) and return it."""
        name = scan_name((session, scan_idx))
        if name in self.scans:
            raise ValueError(f"scan {name} is already part of the model")
        self.scans[name] = ScanModule(self.config, n_units, session=session, scan_idx=scan_idx, **kwargs)
        self.scans[name].to(self.device)
        return self.scans[name]

    def scan(self, scan_key) -> ScanModule:
        """The ``ScanModule`` of a scan key (see ``scan_name``); ``KeyError`` lists the known scans."""
        name = scan_name(scan_key)
        if name not in self.scans:
            raise KeyError(f"scan {name} is not part of the model (scans: {sorted(self.scans)})")
        return self.scans[name]

    def forward(self, scan_key, frames: torch.Tensor, behaviour: torch.Tensor | None = None,
                state: tuple | None = None) -> tuple[torch.Tensor, tuple]:
        """Predict rates for a batch of clips.

        Args:
            scan_key: which scan's readout to use (see ``scan_name``).
            frames: (B, T, H, W) float tensor of pixel values in [0, 255]; resized to the config size if needed.
            behaviour: (B, T, 4) raw behaviour (``BEHAVIOUR_COLUMNS``) or None (the scan's mean behaviour).
            state: recurrent state from a previous call, or None to start from rest.

        Returns:
            Rates (B, T, U) >= 0 in standardised response units (multiply by ``readout.scale`` for trace
            units), and the recurrent state after the last frame.
        """
        core, beh, state = self.features(scan_key, frames, behaviour, state)
        b, t = frames.shape[:2]
        return self.scan(scan_key).respond(core.flatten(0, 1), beh).unflatten(0, (b, t)), state

    def features(self, scan_key, frames: torch.Tensor, behaviour: torch.Tensor | None = None,
                 state: tuple | None = None) -> tuple[torch.Tensor, torch.Tensor, tuple]:
        """Core features as a scan's readout sees them (arguments as ``forward``).

        Returns:
            (B, T, core_channels, h, w) features, (B * T, 4) z-scored behaviour, and the recurrent state.
        """
        module = self.scan(scan_key)
        b, t = frames.shape[:2]
        x = resize_frames(frames, (self.config.height, self.config.width))
        x = (x.reshape(b * t, 1, self.config.height, self.config.width) / 255.0 - FRAME_MEAN) / FRAME_STD
        beh = (torch.full((b * t, len(BEHAVIOUR_COLUMNS)), float("nan"), device=x.device) if behaviour is None
               else behaviour.reshape(b * t, -1).to(x.dtype))
        beh = module.behaviour(beh)
        core, state = self.core(module.look(x, beh).unflatten(0, (b, t)), state)
        return core, beh, state


def readout_locations(model: TwinModel, scan_key) -> tuple[np.ndarray, np.ndarray]:
    """Readout position of every unit of a scan, in readout_id order.

    Returns:
        (x, y), each float array (U,) in [-1, 1] with (-1, -1) at the bottom-left and (1, 1) at the top-right of
        the (perspective-corrected) stimulus, the convention of the MICrONS digital-twin properties release
        (``readout_loc_x``, ``readout_loc_y``); y is the grid_sample y negated.
    """
    grid = model.scan(scan_key).readout.grid.detach().cpu().numpy()
    return grid[:, 0].copy(), -grid[:, 1]
