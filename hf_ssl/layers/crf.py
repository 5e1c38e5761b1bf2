"""Linear-chain conditional random field: log-likelihood, Viterbi decoding, forward-backward marginals.

Lafferty, McCallum & Pereira 2001; the tagger output layer of Lample et al. 2016 §2.2 and of TagLM
(Peters et al. 2017 §2.2). Scores as in allenai/allennlp `allennlp/modules/conditional_random_field.py`:
a path y_1..y_n scores start[y_1] + Σ_i emission[i, y_i] + Σ_i transition[y_i, y_{i+1}] + end[y_n].

Additions over the textbook layer:
- partially labelled sequences: a tag < 0 (IGNORE_INDEX) leaves that position free, and the
  likelihood sums over every path through the observed tags (Tsuboi et al. 2008). Subword
  continuations labelled -100 by the usual alignment are then latent, not a hole in the chain;
- optional hard constraints (`allowed_transitions` for BIO / IOBES label sets), so Viterbi paths
  and marginals never hold an I-X that follows O.

Masks must be left-aligned (each row a prefix of ones); a row with no position scores 0.

Shapes: b batch, t length, L tags.
"""

from __future__ import annotations

import torch
from torch import nn

from ..constants import IGNORE_INDEX

IMPOSSIBLE = -1e4
"""Score of a forbidden tag or transition: exp(-1e4) is 0 in float32, and unlike -inf it never
produces NaN in sums or gradients."""

TAGGING_SCHEMES = ("BIO", "IOBES")


def _split(label: str) -> tuple[str, str]:
    """'B-PER' -> ('B', 'PER'); 'O' -> ('O', '')."""
    if label == "O":
        return "O", ""
    prefix, _, kind = label.partition("-")
    return prefix, kind


Constraints = tuple[list[bool], list[list[bool]], list[bool]]
"""(may start (L,), may follow [from][to] (L, L), may end (L,)) as plain lists, so they can be built
while transformers constructs a model on the meta device."""


def allowed_transitions(labels: list[str], scheme: str) -> Constraints:
    """Which tags may start, follow each other and end, under BIO or IOBES.

    BIO: I-X only after B-X or I-X, and never first. IOBES additionally: B-X and I-X must continue
    with I-X or E-X; a sequence ends only on O, E-X or S-X.
    """
    if scheme not in TAGGING_SCHEMES:
        raise ValueError(f"scheme={scheme!r}; expected one of {TAGGING_SCHEMES}")
    parts = [_split(label) for label in labels]
    prefixes = {"BIO": "BIO", "IOBES": "BIOES"}[scheme]
    for label, (prefix, kind) in zip(labels, parts, strict=True):
        if prefix not in prefixes or (prefix == "O") != (kind == ""):
            raise ValueError(
                f"label {label!r} is not a {scheme} label (expected O or one of {prefixes}-TYPE)"
            )
    opens = {"BIO": "BO", "IOBES": "BSO"}[scheme]  # prefixes that may follow anything complete
    start = [p in opens for p, _ in parts]
    end = [p in ("BIO" if scheme == "BIO" else "ESO") for p, _ in parts]
    transitions = []
    for p, k in parts:
        row = []
        for q, m in parts:
            inside = p in "BI" and k == m  # the next tag may continue an open entity of the same type
            if scheme == "BIO":
                row.append(q in "BO" or (q == "I" and inside))
            elif p in "BI":
                row.append(q in "IE" and k == m)
            else:
                row.append(q in "BSO")
        transitions.append(row)
    return start, transitions, end


class LinearChainCRF(nn.Module):
    """CRF over `num_tags` tags with learned start, end and transition scores."""

    start_penalty: torch.Tensor
    transition_penalty: torch.Tensor
    end_penalty: torch.Tensor

    def __init__(self, num_tags: int, constraints: Constraints | None = None) -> None:
        super().__init__()
        if num_tags < 1:
            raise ValueError(f"num_tags={num_tags}; expected >= 1")
        self.num_tags = num_tags
        self.start_transitions = nn.Parameter(torch.zeros(num_tags))
        self.end_transitions = nn.Parameter(torch.zeros(num_tags))
        self.transitions = nn.Parameter(torch.zeros(num_tags, num_tags))  # [from, to]
        if constraints is not None:
            start, transitions, end = constraints
            if len(start) != num_tags or len(end) != num_tags or any(len(r) != num_tags for r in transitions):
                raise ValueError(
                    f"constraints must be lists of {num_tags}, {num_tags} x {num_tags} and {num_tags} bools"
                )
        # Kept as Python lists: `reset_penalties` refills the buffers from them once real memory
        # exists (transformers' from_pretrained builds the model on the meta device first).
        self.constraints = constraints
        # Derived from the label set, so not saved: the config rebuilds them.
        self.register_buffer("start_penalty", torch.zeros(num_tags), persistent=False)
        self.register_buffer("transition_penalty", torch.zeros(num_tags, num_tags), persistent=False)
        self.register_buffer("end_penalty", torch.zeros(num_tags), persistent=False)
        self.reset_penalties()

    @torch.no_grad()
    def reset_penalties(self) -> None:
        """Fill the constraint buffers (IMPOSSIBLE where forbidden); models call it from `_init_weights`."""
        buffers = (self.start_penalty, self.transition_penalty, self.end_penalty)
        if self.start_penalty.is_meta:
            return
        for buffer, allowed in zip(buffers, self.constraints or (None, None, None), strict=True):
            if allowed is None:
                buffer.zero_()
            else:
                forbidden = ~torch.tensor(allowed, dtype=torch.bool, device=buffer.device)
                buffer.copy_(forbidden.to(buffer.dtype) * IMPOSSIBLE)

    def _scores(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return (
            self.start_transitions + self.start_penalty,
            self.transitions + self.transition_penalty,
            self.end_transitions + self.end_penalty,
        )

    def _check(self, emissions: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        if emissions.dim() != 3 or emissions.shape[-1] != self.num_tags:
            raise ValueError(
                f"emissions have shape {tuple(emissions.shape)}; expected (b, t, {self.num_tags})"
            )
        if mask is None:
            mask = torch.ones(emissions.shape[:2], dtype=torch.bool, device=emissions.device)
        if mask.shape != emissions.shape[:2]:
            raise ValueError(f"mask has shape {tuple(mask.shape)}; expected {tuple(emissions.shape[:2])}")
        mask = mask.bool()
        if bool((mask[:, 1:] & ~mask[:, :-1]).any()):
            raise ValueError(
                "mask rows must be left-aligned (ones, then zeros): compact the tagged positions"
            )
        return emissions.float(), mask

    def _forward_algorithm(
        self, emissions: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """alphas (b, t, L): log-sum of path prefixes ending in each tag; log Z (b,)."""
        start, transitions, end = self._scores()
        alpha = start + emissions[:, 0]  # (b, L)
        alphas = [alpha]
        for i in range(1, emissions.shape[1]):
            step = torch.logsumexp(alpha.unsqueeze(2) + transitions, dim=1) + emissions[:, i]  # (b, L)
            alpha = torch.where(mask[:, i, None], step, alpha)
            alphas.append(alpha)
        log_z = torch.logsumexp(alpha + end, dim=-1)  # (b,)
        return torch.stack(alphas, 1), log_z.masked_fill(~mask[:, 0], 0.0)

    def log_partition(self, emissions: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """log Z (b,): log-sum-exp of the scores of every path."""
        emissions, mask = self._check(emissions, mask)
        return self._forward_algorithm(emissions, mask)[1]

    def log_likelihood(
        self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """log p(tags | emissions) (b,); positions with a tag < 0 (IGNORE_INDEX) are summed over."""
        emissions, mask = self._check(emissions, mask)
        if tags.shape != emissions.shape[:2]:
            raise ValueError(f"tags have shape {tuple(tags.shape)}; expected {tuple(emissions.shape[:2])}")
        if bool((tags >= self.num_tags).any()):
            raise ValueError(f"tags contain {int(tags.max())}; expected tags in [0, {self.num_tags}) or < 0")
        observed = (tags >= 0) & mask  # (b, t)
        one_hot = nn.functional.one_hot(tags.clamp(min=0), self.num_tags).bool()  # (b, t, L)
        allowed = one_hot | ~observed.unsqueeze(-1)  # (b, t, L)
        constrained = emissions + (~allowed).float() * IMPOSSIBLE  # (b, t, L)
        _, log_z = self._forward_algorithm(emissions, mask)
        _, log_numerator = self._forward_algorithm(constrained, mask)
        return log_numerator - log_z

    def marginals(self, emissions: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """log p(y_i = tag | emissions) (b, t, L) by forward-backward; 0 at masked positions."""
        emissions, mask = self._check(emissions, mask)
        _, transitions, end = self._scores()
        alphas, log_z = self._forward_algorithm(emissions, mask)
        beta = end.expand(emissions.shape[0], -1)  # (b, L)
        betas = [beta]
        for i in range(emissions.shape[1] - 2, -1, -1):
            step = torch.logsumexp(transitions + (emissions[:, i + 1] + beta).unsqueeze(1), dim=2)  # (b, L)
            # Position i is the row's last when i + 1 is masked: its continuation is the end score.
            beta = torch.where(mask[:, i + 1, None], step, end.expand_as(step))
            betas.append(beta)
        backward = torch.stack(betas[::-1], 1)  # (b, t, L)
        log_marginals = alphas + backward - log_z[:, None, None]  # (b, t, L)
        return log_marginals.masked_fill(~mask.unsqueeze(-1), 0.0)

    def viterbi_decode(
        self, emissions: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Best paths (b, t), IGNORE_INDEX at masked positions, and their scores (b,)."""
        emissions, mask = self._check(emissions, mask)
        start, transitions, end = self._scores()
        b, t, num_tags = emissions.shape
        score = start + emissions[:, 0]  # (b, L)
        identity = torch.arange(num_tags, device=emissions.device).expand(b, -1)  # (b, L)
        backpointers = []
        for i in range(1, t):
            best, previous = (score.unsqueeze(2) + transitions).max(dim=1)  # (b, L) each
            score = torch.where(mask[:, i, None], best + emissions[:, i], score)
            # Past a row's end the pointer is the identity, so backtracking carries its last tag back.
            backpointers.append(torch.where(mask[:, i, None], previous, identity))
        best_score, last = (score + end).max(dim=-1)  # (b,)
        path = [last]
        for pointers in reversed(backpointers):
            last = pointers.gather(1, last.unsqueeze(1)).squeeze(1)  # (b,)
            path.append(last)
        tags = torch.stack(path[::-1], 1)  # (b, t)
        return tags.masked_fill(~mask, IGNORE_INDEX), best_score.masked_fill(~mask[:, 0], 0.0)
