"""Reference computations the tests compare grokbook with, written with plain torch."""
import torch
from torch import nn


def plain_adamw_quadratic_net(start, data, *, lr, table_lr=None, in_scale=1.0, out_scale=1.0,
                              steps=5, **adamw):
    """Gromov's two-layer network ``out_scale · W₂ φ(in_scale · W₁ [e_a; e_b])``, φ(x) = x², trained on
    the mean squared error to one-hot targets by ``torch.optim.AdamW`` for ``steps`` full-batch steps,
    from ``start``'s weights (``table_lr``: W₁'s own learning rate). Returns (W₁, W₂)."""
    p = data.n_outputs
    w1 = start.first.detach().reshape(2 * p, -1).clone().requires_grad_()
    w2 = start.readout.detach().clone().requires_grad_()
    opt = torch.optim.AdamW([{"params": [w1], "lr": table_lr or lr}, {"params": [w2], "lr": lr}],
                            **adamw)
    x = data.x_train
    one_hot = torch.cat([nn.functional.one_hot(x[:, 0], p), nn.functional.one_hot(x[:, 1], p)], 1).float()
    target = nn.functional.one_hot(data.y_train, p).float()
    for _ in range(steps):
        opt.zero_grad()
        out = (in_scale * (one_hot @ w1)).square() @ w2 * out_scale
        nn.functional.mse_loss(out, target).backward()
        opt.step()
    return w1.detach(), w2.detach()
