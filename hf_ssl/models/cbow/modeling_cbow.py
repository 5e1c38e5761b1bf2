"""CBOW: static word vectors trained by predicting a centre word from the average of its context.

Mikolov et al. 2013a ("Efficient Estimation of Word Representations in Vector Space", §3.1) and
2013b ("Distributed Representations of Words and Phrases", §2.2 negative sampling); reference code
tmikolov/word2vec `word2vec.c` (TrainModelThread, the `cbow` branch): the hidden vector `neu1` is the
mean of the context's input vectors (`syn0`), scored against separate output vectors (`syn1neg`),
input vectors initialised uniform in [-0.5/d, 0.5/d] and output vectors at zero.

`CBOWModel` is the static baseline for the contextual models: `last_hidden_state` is each token's
input vector, whatever its neighbours. `CBOWForPreTraining` takes the windows that
`hf_ssl.objectives.CBOWCollator` builds: `input_ids` are the context words, `labels` the centre word.

Shapes: b batch (centre words), c context slots (2 * window), t tokens, k negatives, E embedding
size, V vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from transformers import initialization as init
from transformers.modeling_outputs import BaseModelOutput
from transformers.utils import ModelOutput

from ...constants import IGNORE_INDEX
from ...heads import cross_entropy
from ...layers.embeddings import as_embedding
from ..base import HfSslPreTrainedModel
from ..validation import check_attention_mask, check_sequence, check_unused_inputs, validate_input_ids
from .configuration_cbow import CBOWConfig


class CBOWPreTrainedModel(HfSslPreTrainedModel):
    config: CBOWConfig
    config_class = CBOWConfig
    base_model_prefix = "cbow"
    main_input_name = "input_ids"

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        # transformers initialises children before parents and then skips initialised parameters,
        # so each table is initialised as the module it is, not from its parent.
        if module is getattr(self, "embeddings", None):
            # word2vec.c InitNet: syn0 uniform in [-0.5/d, 0.5/d].
            bound = 0.5 / self.config.embedding_size
            init.uniform_(module.weight, -bound, bound)
            if self.config.pad_token_id is not None:
                module.weight[self.config.pad_token_id].zero_()
        elif module is getattr(self, "output_vectors", None):
            init.zeros_(module.weight)  # word2vec.c InitNet: syn1neg starts at zero.


class CBOWModel(CBOWPreTrainedModel):
    """The static embedding table: every token's vector, independent of its context."""

    def __init__(self, config: CBOWConfig) -> None:
        super().__init__(config)
        self.embeddings = nn.Embedding(
            config.vocab_size, config.embedding_size, padding_idx=config.pad_token_id
        )
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.embeddings = as_embedding(value)

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> BaseModelOutput | tuple[Any, ...]:
        """input_ids (b, t) -> last_hidden_state (b, t, E); the mask is accepted for API parity only:
        a static vector never looks at its neighbours, padded or not."""
        check_unused_inputs(type(self).__name__, kwargs)
        if input_ids is None:
            raise ValueError("input_ids is required: CBOW looks words up, it has no inputs_embeds path")
        validate_input_ids(input_ids, self.config.vocab_size)
        output = BaseModelOutput(last_hidden_state=self.embeddings(input_ids))  # (b, t, E)
        return (
            output if (self.config.return_dict if return_dict is None else return_dict) else output.to_tuple()
        )


@dataclass
class CBOWPreTrainingOutput(ModelOutput):
    """loss: mean per centre word; logits: (b, 1 + k) scores of [centre, negatives] for negative
    sampling, (b, V) for the softmax; context_vectors: (b, E) averaged context (word2vec's `neu1`)."""

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    context_vectors: torch.Tensor | None = None


class CBOWForPreTraining(CBOWPreTrainedModel):
    """Average of the context's input vectors predicts the centre word through separate output vectors."""

    def __init__(self, config: CBOWConfig) -> None:
        super().__init__(config)
        self.cbow = CBOWModel(config)
        # word2vec keeps input (syn0) and output (syn1neg) vectors apart: tying them hurts word2vec.
        self.output_vectors = nn.Embedding(config.vocab_size, config.embedding_size)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.cbow.embeddings

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.cbow.embeddings = as_embedding(value)

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        negative_ids: torch.Tensor | None = None,
        return_dict: bool | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
        **kwargs: Any,
    ) -> CBOWPreTrainingOutput | tuple[Any, ...]:
        """input_ids, attention_mask (b, c): context windows (mask 0 beyond a document edge or the
        sampled window); labels (b,): centre words (-100 skips a row); negative_ids (b, k): needed for
        the negative-sampling loss."""
        check_unused_inputs(type(self).__name__, kwargs)
        if input_ids is None:
            raise ValueError("input_ids (batch, context) windows are required")
        check_attention_mask(
            attention_mask,
            check_sequence(
                "input_ids", input_ids, None, self.config.vocab_size, layout="(batch, context) windows"
            ),
        )
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        vectors = self.cbow(input_ids, return_dict=True).last_hidden_state  # (b, c, E)
        weights = attention_mask.to(vectors.dtype).unsqueeze(-1)  # (b, c, 1)
        # word2vec.c: neu1 /= cw, the mean over the context words actually present.
        context = (vectors * weights).sum(1) / weights.sum(1).clamp(min=1)  # (b, E)

        if self.config.loss == "softmax":
            logits = context @ self.output_vectors.weight.T  # (b, V)
            loss = cross_entropy(logits, labels, num_items_in_batch) if labels is not None else None
        else:
            if labels is not None and negative_ids is None:
                raise ValueError(
                    "loss='negative_sampling' needs negative_ids (b, k); CBOWCollator draws them"
                )
            logits, loss = self._negative_sampling(context, labels, negative_ids, num_items_in_batch)
        output = CBOWPreTrainingOutput(loss=loss, logits=logits, context_vectors=context)
        return (
            output if (self.config.return_dict if return_dict is None else return_dict) else output.to_tuple()
        )

    def _negative_sampling(
        self,
        context: torch.Tensor,
        labels: torch.Tensor | None,
        negative_ids: torch.Tensor | None,
        num_items_in_batch: torch.Tensor | int | None,
    ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """Mikolov et al. 2013b eq. 4: log σ(u_centre·h) + Σ_negatives log σ(-u_n·h), negated."""
        if labels is None or negative_ids is None:
            return None, None
        if labels.dim() != 1 or negative_ids.dim() != 2 or negative_ids.shape[0] != labels.shape[0]:
            raise ValueError(
                f"labels {tuple(labels.shape)} and negative_ids {tuple(negative_ids.shape)}; "
                "expected (batch,) and (batch, negatives)"
            )
        keep = labels.ne(IGNORE_INDEX)  # (b,)
        if bool(keep.any()):
            validate_input_ids(labels[keep], self.config.vocab_size, "labels")
        validate_input_ids(negative_ids, self.config.vocab_size, "negative_ids")
        targets = torch.cat([labels.clamp(min=0).unsqueeze(1), negative_ids], dim=1)  # (b, 1 + k)
        logits = torch.einsum("be,bke->bk", context, self.output_vectors(targets))  # (b, 1 + k)
        signs = torch.ones_like(logits)
        signs[:, 1:] = -1
        per_row = -F.logsigmoid(signs * logits.float()).sum(-1) * keep  # (b,)
        divisor = num_items_in_batch if num_items_in_batch is not None else keep.sum().clamp(min=1)
        if torch.is_tensor(divisor):
            divisor = divisor.to(per_row.device)
        return logits, per_row.sum() / divisor
