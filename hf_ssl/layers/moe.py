"""Switch feed-forward: a top-1 mixture of experts with a capacity limit (Switch Transformer).

Fedus, Zoph and Shazeer 2021, "Switch Transformers" (JMLR 2022): §2.1 (top-1 routing, the expert's
output scaled by its gate value), §2.2 (expert capacity = capacity factor · tokens / experts;
tokens over capacity skip the layer and pass through on the residual), eq. 4-6 (load-balancing
loss N · Σ_i f_i · P_i), §2.4 (router in float32, multiplicative jitter on the router input);
router z-loss: Zoph et al. 2022 ("ST-MoE", eq. 5). Reference code: mesh_tensorflow
transformer/moe.py; transformers models/switch_transformers/modeling_switch_transformers.py
(`SwitchTransformersTop1Router`, `load_balancing_loss_func`, `router_z_loss_func`), whose eval
behaviour this module reproduces: a group is one batch row, and tokens claim capacity in position
order (the first tokens routed to an expert are kept).

The layer returns only its output, so it drops into TransformerLayer as the FFN. The router's
logits of the last call are kept on the module (`last_router_logits`), where the model collects
them for the auxiliary losses after the stack has run.

Shapes: b batch (groups), t tokens per group, D model width, E experts, n tokens of several layers.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .feed_forward import FeedForward


def expert_capacity(tokens_per_group: int, num_experts: int, capacity_factor: float) -> int:
    """Switch §2.2: ceil(capacity_factor · tokens_per_group / num_experts), at least 1."""
    return max(1, math.ceil(capacity_factor * tokens_per_group / num_experts))


def router_z_loss(router_logits: torch.Tensor) -> torch.Tensor:
    """ST-MoE eq. 5: mean over tokens of logsumexp(logits)^2; (b, n, E) -> scalar."""
    return torch.logsumexp(router_logits.float(), dim=-1).pow(2).mean()


def load_balancing_loss(router_logits: torch.Tensor) -> torch.Tensor:
    """Switch eq. 4-6 per group, averaged over groups: E · Σ_i f_i · P_i; (b, n, E) -> scalar.

    f_i is the fraction of the group's tokens whose top-1 choice is expert i (before capacity),
    P_i the mean router probability of expert i. It equals 1 under perfectly uniform routing.
    """
    num_experts = router_logits.shape[-1]
    probs = router_logits.float().softmax(dim=-1)  # (b, n, E)
    chosen = nn.functional.one_hot(probs.argmax(dim=-1), num_experts).float()  # (b, n, E)
    fraction = chosen.mean(dim=-2)  # (b, E)
    mean_prob = probs.mean(dim=-2)  # (b, E)
    return num_experts * (fraction * mean_prob).sum(dim=-1).mean()


class Top1Router(nn.Module):
    """Linear router computed in float32 (Switch §2.4: bf16 routing was unstable)."""

    def __init__(
        self, hidden_size: int, num_experts: int, *, jitter_noise: float = 0.0, bias: bool = False
    ) -> None:
        super().__init__()
        if not 0.0 <= jitter_noise < 1.0:
            raise ValueError(f"jitter_noise={jitter_noise}; expected a value in [0, 1)")
        self.jitter_noise = jitter_noise
        self.classifier = nn.Linear(hidden_size, num_experts, bias=bias)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """(b, t, D) -> router logits (b, t, E) in float32."""
        hidden_states = hidden_states.float()
        if self.training and self.jitter_noise > 0:
            # Multiplicative noise on the router input only; the experts see the clean states.
            noise = torch.empty_like(hidden_states).uniform_(1.0 - self.jitter_noise, 1.0 + self.jitter_noise)
            hidden_states = hidden_states * noise
        return nn.functional.linear(
            hidden_states,
            self.classifier.weight.float(),
            None if self.classifier.bias is None else self.classifier.bias.float(),
        )  # (b, t, E)


class SwitchFeedForward(nn.Module):
    """E expert FeedForwards behind a top-1 router; over-capacity tokens get a zero output.

    Args:
        hidden_size, intermediate_size, activation, gated, bias, dropout: each expert's FeedForward.
        num_experts: E.
        expert_capacity: tokens each expert takes per group (row); if None, computed from
            `capacity_factor` and the row length at every call.
        capacity_factor: Switch §2.2 (1.0-1.25 in the paper's runs).
        jitter_noise: router input noise in training (Switch §2.4: 1e-2).
        router_bias: a bias in the router's linear map (the released models have none).
    """

    def __init__(
        self,
        hidden_size: int,
        intermediate_size: int,
        num_experts: int,
        *,
        activation: str = "relu",
        gated: bool = False,
        bias: bool = False,
        dropout: float = 0.0,
        expert_capacity: int | None = None,
        capacity_factor: float = 1.0,
        jitter_noise: float = 0.0,
        router_bias: bool = False,
    ) -> None:
        super().__init__()
        if num_experts < 1:
            raise ValueError(f"num_experts={num_experts}; expected >= 1")
        if expert_capacity is not None and expert_capacity < 1:
            raise ValueError(f"expert_capacity={expert_capacity}; expected >= 1 or None")
        if capacity_factor <= 0:
            raise ValueError(f"capacity_factor={capacity_factor}; expected > 0")
        self.num_experts = num_experts
        self.expert_capacity = expert_capacity
        self.capacity_factor = capacity_factor
        self.router = Top1Router(hidden_size, num_experts, jitter_noise=jitter_noise, bias=router_bias)
        self.experts = nn.ModuleList(
            FeedForward(
                hidden_size, intermediate_size, activation=activation, bias=bias, gated=gated, dropout=dropout
            )
            for _ in range(num_experts)
        )
        self.last_router_logits: torch.Tensor | None = None
        self.last_dispatched: torch.Tensor | None = None

    def capacity(self, tokens_per_group: int) -> int:
        if self.expert_capacity is not None:
            return self.expert_capacity
        return expert_capacity(tokens_per_group, self.num_experts, self.capacity_factor)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """(b, t, D) -> (b, t, D); dropped tokens give zeros, so the residual carries them unchanged."""
        logits = self.router(hidden_states)  # (b, t, E)
        probs = logits.softmax(dim=-1)  # (b, t, E)
        gate, choice = probs.max(dim=-1)  # (b, t), (b, t)
        chosen = nn.functional.one_hot(choice, self.num_experts)  # (b, t, E)
        # A token's priority is its rank among the tokens of its row sent to the same expert.
        priority = (chosen.cumsum(dim=-2) * chosen).sum(dim=-1)  # (b, t)
        dispatched = priority <= self.capacity(hidden_states.shape[1])  # (b, t)
        self.last_router_logits, self.last_dispatched = logits, dispatched

        flat = hidden_states.reshape(-1, hidden_states.shape[-1])  # (b·t, D)
        flat_choice = choice.reshape(-1).masked_fill(~dispatched.reshape(-1), -1)  # (b·t,)
        weight = gate.reshape(-1, 1).to(hidden_states.dtype)  # (b·t, 1)
        output = torch.zeros_like(flat)  # (b·t, D)
        for index, expert in enumerate(self.experts):
            rows = (flat_choice == index).nonzero(as_tuple=True)[0]  # (m,)
            if rows.numel():
                output.index_add_(0, rows, expert(flat[rows]) * weight[rows])
        return output.view_as(hidden_states)  # (b, t, D)
