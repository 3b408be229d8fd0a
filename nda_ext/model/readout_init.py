"""Place each unit's readout where the core features explain its responses best (ridge regression per position).

Gradient descent on a point readout only sees the features next to the current position, so readouts that start
far from a unit's receptive field rarely find it. This step regresses every unit's training responses on the core
features at every position of the core's output grid at once (ridge, vectorised over positions and units) and
moves each readout to the grid cell with the highest explained variance.
"""

from __future__ import annotations

import torch

from nda_ext.model.network import TwinModel


@torch.no_grad()
def explained_variance_maps(features: torch.Tensor, responses: torch.Tensor, ridge: float = 1e-2) -> torch.Tensor:
    """Fraction of each unit's response variance explained by the features at each position.

    Args:
        features: (T, C, h, w) core features of T training frames.
        responses: (T, U) responses on the same frames.
        ridge: ridge penalty relative to the mean feature variance times T.

    Returns:
        (U, h, w) explained variance (in-sample R^2 of a ridge fit with intercept).
    """
    t, c, h, w = features.shape
    x = features.permute(2, 3, 0, 1).reshape(h * w, t, c).double()
    x = x - x.mean(dim=1, keepdim=True)
    y = (responses - responses.mean(dim=0)).double()
    gram = x.transpose(1, 2) @ x  # (P, C, C)
    penalty = ridge * gram.diagonal(dim1=1, dim2=2).mean(dim=1)  # (P,)
    gram = gram + penalty[:, None, None] * torch.eye(c, dtype=gram.dtype, device=gram.device)
    cross = x.transpose(1, 2) @ y  # (P, C, U)
    weights = torch.linalg.solve(gram, cross)
    explained = (weights * cross).sum(dim=1)  # (P, U): y' X b, the explained sum of squares
    return (explained / (y * y).sum(dim=0).clamp_min(1e-12)).T.reshape(-1, h, w).float()


@torch.no_grad()
def locate_readouts(model: TwinModel, scan_key, frames: torch.Tensor, behaviour: torch.Tensor | None,
                    responses: torch.Tensor, mask: torch.Tensor, chunk: int = 256) -> None:
    """Move the readout of every unit of ``scan_key`` to its best grid cell (see module docstring).

    Args:
        model: the model (its core as trained so far).
        scan_key: the scan.
        frames: (T, h, w) frames of the whole scan (state carried across them, as in the recording).
        behaviour: (T, 4) raw behaviour or None.
        responses: (T, U) standardised responses.
        mask: (T,) float, 1 for training frames.
        chunk: frames per core call.
    """
    was_training = model.training
    model.eval()
    state, parts = None, []
    for s in range(0, frames.shape[0], chunk):
        beh = None if behaviour is None else behaviour[None, s:s + chunk]
        core, _, state = model.features(scan_key, frames[None, s:s + chunk].float(), beh, state)
        parts.append(core[0])
    keep = mask > 0
    maps = explained_variance_maps(torch.cat(parts)[keep], responses[keep])
    n_units, h, w = maps.shape
    best = maps.reshape(n_units, -1).argmax(dim=1)
    grid_x = (2 * (best % w).float() + 1) / w - 1
    grid_y = (2 * torch.div(best, w, rounding_mode="floor").float() + 1) / h - 1
    position = torch.atanh(torch.stack([grid_x, grid_y], dim=1).clamp(-0.95, 0.95))
    model.scan(scan_key).readout.position.copy_(position.to(model.scan(scan_key).readout.position))
    model.train(was_training)
