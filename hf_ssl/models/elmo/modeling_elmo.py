"""ELMo: a character-based bidirectional LSTM language model whose layers are mixed into word vectors.

Peters et al. 2018 ("Deep contextualized word representations", §3); reference code allenai/bilm-tf
(bilm/model.py, bilm/training.py) and AllenNLP (allennlp/modules/elmo.py, elmo_lstm.py).

- Token encoder: char CNN (max-pool, then relu) -> highway layers -> linear projection to P.
- biLM: a forward and a backward stack of projected, clipped LSTMs (separate weights), skip
  connections around layers 2..L; one softmax over the word vocabulary shared by both directions.
- ELMo layers per word: layer 0 is the token embedding duplicated [x; x], layer j is [h_jf; h_jb];
  each scalar mix is γ Σ softmax(w)_j layer_j.

Input convention (AllenNLP's biLM): `input_ids` are *character* ids of shape (b, t, c), one row of
c = 50 ids per word, without sentence boundaries (`hf_ssl.data.characters.batch_to_char_ids`).
The model wraps each sentence in the `<S>`/`</S>` pseudo-words itself, runs the biLM over
`<S> w_1 ... w_n </S>` and strips the boundaries from the returned layers, so every output is
aligned with the input words. Rows must be right-padded; a padding word is all zeros.

The reference LSTMs are stateful across batches (bilm-tf README, AllenNLP `_EncoderBase`); here
every call starts from zeros unless `lstm_states` from a previous call are passed in, which
reproduces the stateful reference exactly when threaded through batches of the same rows.

Shapes: b batch, t words, T = t + 2 with boundaries, c characters per word, P projection width,
C LSTM cell width, L LSTM layers, V word vocabulary, D = 2P ELMo width.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn
from transformers import initialization as init
from transformers.modeling_outputs import SequenceClassifierOutput, TokenClassifierOutput
from transformers.utils import ModelOutput

from ...constants import IGNORE_INDEX
from ...data.characters import sentence_boundary_char_ids
from ...heads import cross_entropy, num_classes, sequence_classification_loss
from ...layers.char_cnn import CharacterCNN
from ...layers.highway import TRANSFORM_GATE_BIAS, Highway
from ...layers.lstm import FORGET_GATE_BIAS, LSTMStack, ProjectedLSTM
from ...layers.scalar_mix import ScalarMix
from ..base import HfSslPreTrainedModel
from ..validation import check_attention_mask, check_integer_tensor, check_unused_inputs
from .configuration_elmo import ElmoConfig

LSTMStates = tuple[torch.Tensor, torch.Tensor]
"""(h (2, L, b, P), c (2, L, b, C)): direction 0 forward, 1 backward."""


class ElmoTokenEncoder(nn.Module):
    """Context-independent word vectors: char ids (..., c) -> (..., P)."""

    def __init__(self, config: ElmoConfig) -> None:
        super().__init__()
        self.char_cnn = CharacterCNN(
            config.n_characters, config.char_embedding_dim, config.char_filters, config.char_activation
        )
        # bilm-tf's highway transform is always relu, whatever the CNN activation (model.py:417-420).
        self.highway = Highway(self.char_cnn.output_dim, config.n_highway, activation="relu")
        self.projection = nn.Linear(self.char_cnn.output_dim, config.projection_dim)

    def forward(self, char_ids: torch.Tensor) -> torch.Tensor:
        return self.projection(self.highway(self.char_cnn(char_ids)))  # (..., P)


class ElmoBiLM(nn.Module):
    """Token encoder + forward and backward LSTM stacks over sequences that include `<S>`/`</S>`."""

    def __init__(self, config: ElmoConfig) -> None:
        super().__init__()
        self.token_encoder = ElmoTokenEncoder(config)
        self.forward_lstm = self._stack(config, reverse=False)
        self.backward_lstm = self._stack(config, reverse=True)

    @staticmethod
    def _stack(config: ElmoConfig, reverse: bool) -> LSTMStack:
        return LSTMStack(
            config.n_layers,
            config.projection_dim,
            config.lstm_dim,
            config.projection_dim,
            cell_clip=config.cell_clip,
            proj_clip=config.proj_clip,
            skip_connections=config.use_skip_connections,
            dropout=config.dropout,
            reverse=reverse,
        )

    def forward(
        self, char_ids: torch.Tensor, mask: torch.Tensor, lstm_states: LSTMStates | None = None
    ) -> tuple[list[torch.Tensor], LSTMStates]:
        """char_ids (b, T, c) with boundaries, mask (b, T) -> L + 1 layers (b, T, D), final states."""
        tokens = self.token_encoder(char_ids)  # (b, T, P)
        keep = mask.to(tokens.dtype)[..., None]  # (b, T, 1)
        states: list[Any] = [None, None]
        if lstm_states is not None:
            h, c = lstm_states
            states = [list(zip(h[d], c[d], strict=True)) for d in range(2)]
        forward_outputs, forward_finals = self.forward_lstm(tokens, mask, states[0])
        backward_outputs, backward_finals = self.backward_lstm(tokens, mask, states[1])
        layers = [torch.cat([tokens, tokens], dim=-1) * keep]  # (b, T, D): layer 0 is [x; x]
        layers += [torch.cat(pair, dim=-1) for pair in zip(forward_outputs, backward_outputs, strict=True)]
        finals = (forward_finals, backward_finals)
        final_h = torch.stack([torch.stack([h for h, _ in f]) for f in finals])  # (2, L, b, P)
        final_c = torch.stack([torch.stack([c for _, c in f]) for f in finals])  # (2, L, b, C)
        return layers, (final_h, final_c)


@dataclass
class ElmoModelOutput(ModelOutput):
    """ELMo outputs, aligned with the input words (boundaries stripped, padding zero).

    last_hidden_state: the top biLM layer [h_Lf; h_Lb], (b, t, D).
    elmo_representations: one scalar mix per config.num_output_representations, each (b, t, D).
    hidden_states: all L + 1 layers ([x; x], then each LSTM layer), each (b, t, D).
    lstm_states: final LSTM states, to continue statefully on the next batch of the same rows.
    """

    last_hidden_state: torch.Tensor | None = None
    elmo_representations: tuple[torch.Tensor, ...] | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    lstm_states: LSTMStates | None = None


class ElmoPreTrainedModel(HfSslPreTrainedModel):
    config: ElmoConfig
    config_class = ElmoConfig
    base_model_prefix = "elmo"
    main_input_name = "input_ids"
    supports_gradient_checkpointing = False
    _no_split_modules: list[str] = ["ElmoBiLM"]

    init_modules_without_parameters: ClassVar[bool] = True

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        """bilm-tf's initialisers (bilm/training.py), so a fresh model trains like the reference."""
        super()._init_weights(module)
        # nn.Module.apply visits children first, so these override the generic Linear/Embedding init.
        if isinstance(module, CharacterCNN):
            init.uniform_(module.embedding.weight, -1.0, 1.0)
            if not getattr(module.embedding.weight, "_is_hf_initialized", False):
                module.embedding.weight[0].zero_()  # id 0 is a padding word: no character
            for conv in module.convolutions:  # relu CNN: N(0, 1 / (width * d))
                assert isinstance(conv, nn.Conv1d)
                init.normal_(conv.weight, 0.0, math.sqrt(1.0 / (conv.kernel_size[0] * conv.in_channels)))
        elif isinstance(module, Highway):
            for linear in (*module.transforms, *module.gates):
                init.normal_(linear.weight, 0.0, math.sqrt(1.0 / linear.in_features))
            for gate in module.gates:
                assert isinstance(gate, nn.Linear)
                init.constant_(gate.bias, TRANSFORM_GATE_BIAS)
        elif isinstance(module, ElmoTokenEncoder):
            init.normal_(module.projection.weight, 0.0, math.sqrt(1.0 / module.projection.in_features))
        elif isinstance(module, ProjectedLSTM):
            for linear in (module.input_linear, module.state_linear, module.projection):
                init.xavier_uniform_(linear.weight)  # TF's LSTMCell default (glorot uniform)
            if not getattr(module.state_linear.bias, "_is_hf_initialized", False):
                module.reset_forget_bias(FORGET_GATE_BIAS)
        elif isinstance(module, ScalarMix):
            init.zeros_(module.weights)
            init.ones_(module.gamma)
        elif isinstance(module, ElmoForPreTraining):
            init.normal_(module.softmax.weight, 0.0, 1.0 / math.sqrt(module.softmax.in_features))

    def _bilm_owner(self) -> ElmoModel:
        return self if isinstance(self, ElmoModel) else self.elmo  # type: ignore[return-value]

    def get_input_embeddings(self) -> nn.Embedding:
        return self._bilm_owner().bilm.token_encoder.char_cnn.embedding

    @classmethod
    def from_bilm_tf(
        cls,
        options_file: str | os.PathLike[str],
        weight_file: str | os.PathLike[str],
        **config_overrides: Any,
    ) -> Any:
        """A model from bilm-tf/AllenNLP files: options.json + the hdf5 weights (needs h5py).

        The softmax is not in bilm-tf weight files: ElmoForPreTraining gets a fresh one (set vocab_size).
        Scalar mixes and task layers start from their initial values.
        """
        from .convert_elmo import load_bilm_tf

        return load_bilm_tf(cls, options_file, weight_file, **config_overrides)


def add_sentence_boundaries(
    char_ids: torch.Tensor, mask: torch.Tensor, bos: torch.Tensor, eos: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(b, t, c), (b, t) right-padded -> `<S> w_1 .. w_n </S>` ids (b, T, c) and mask (b, T)."""
    batch, length, width = char_ids.shape
    lengths = mask.long().sum(-1)  # (b,)
    rows = torch.arange(batch, device=char_ids.device)
    ids = char_ids.new_zeros(batch, length + 2, width)  # (b, T, c)
    ids[:, 1:-1] = char_ids * mask[..., None].to(char_ids.dtype)
    ids[:, 0] = bos
    ids[rows, lengths + 1] = eos
    new_mask = torch.arange(length + 2, device=mask.device) < (lengths + 2)[:, None]  # (b, T)
    return ids, new_mask.long()


def remove_sentence_boundaries(layer: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(b, T, D) over `<S> w </S>` -> (b, t, D) over the words; padding (and the moved `</S>`) zeroed."""
    return layer[:, 1:-1] * mask[..., None].to(layer.dtype)


def validate_char_inputs(
    input_ids: torch.Tensor | None, attention_mask: torch.Tensor | None, config: ElmoConfig
) -> torch.Tensor:
    """Check character ids (b, t, c) and a right-padded mask; return the mask (b, t) (derived if absent)."""
    if input_ids is None:
        raise ValueError("input_ids (character ids of shape (batch, words, characters)) is required")
    check_integer_tensor("input_ids", input_ids, "character ids")
    if input_ids.numel() == 0:
        raise ValueError(f"input_ids is empty (shape {tuple(input_ids.shape)}); expected at least one word")
    if input_ids.dim() != 3 or input_ids.shape[-1] != config.max_characters_per_token:
        raise ValueError(
            f"input_ids has shape {tuple(input_ids.shape)}; expected character ids (batch, words, "
            f"{config.max_characters_per_token}) from hf_ssl.data.characters.batch_to_char_ids"
        )
    if input_ids.numel() and (int(input_ids.min()) < 0 or int(input_ids.max()) >= config.n_characters):
        bad = int(input_ids.min()) if int(input_ids.min()) < 0 else int(input_ids.max())
        raise ValueError(f"input_ids contains {bad}; expected character ids in [0, {config.n_characters})")
    if attention_mask is None:
        mask = (input_ids > 0).any(-1).long()  # (b, t): a padding word is all zeros
    else:
        check_attention_mask(attention_mask, (input_ids.shape[0], input_ids.shape[1]))
        mask = attention_mask.long()
    if bool((mask[:, 1:] > mask[:, :-1]).any()):
        raise ValueError("rows must be right-padded: a padding word is followed by a real word")
    return mask


class ElmoModel(ElmoPreTrainedModel):
    """The biLM and the scalar mixes: char ids (b, t, c) -> ELMo layers and representations (b, t, D)."""

    def __init__(self, config: ElmoConfig) -> None:
        super().__init__(config)
        self.bilm = ElmoBiLM(config)
        self.scalar_mixes = nn.ModuleList(
            ScalarMix(config.num_representation_layers, do_layer_norm=config.do_layer_norm)
            for _ in range(config.num_output_representations)
        )
        self.post_init()

    def encode_with_boundaries(
        self,
        input_ids: torch.Tensor | None,
        attention_mask: torch.Tensor | None = None,
        lstm_states: LSTMStates | None = None,
    ) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor, LSTMStates]:
        """Run the biLM over `<S> w </S>`: L + 1 layers (b, T, D), mask (b, T), word mask (b, t), states."""
        mask = validate_char_inputs(input_ids, attention_mask, self.config)
        assert input_ids is not None
        bilm = self.bilm
        bos, eos = (ids.to(input_ids.device) for ids in sentence_boundary_char_ids(input_ids.shape[-1]))
        char_ids, boundary_mask = add_sentence_boundaries(input_ids, mask, bos, eos)  # (b, T, c), (b, T)
        # A frozen biLM (task heads) needs no autograd graph: skip it, it is most of the memory.
        needs_grad = torch.is_grad_enabled() and any(p.requires_grad for p in bilm.parameters())
        with torch.set_grad_enabled(needs_grad):
            layers, states = bilm(char_ids, boundary_mask, lstm_states)
        return layers, boundary_mask, mask, states

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        lstm_states: LSTMStates | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> ElmoModelOutput | tuple[Any, ...]:
        """input_ids: character ids (b, t, c); attention_mask (b, t), derived from the ids if absent."""
        check_unused_inputs(type(self).__name__, kwargs)
        layers, boundary_mask, mask, states = self.encode_with_boundaries(
            input_ids, attention_mask, lstm_states
        )
        # Mix before stripping, as AllenNLP: with do_layer_norm the statistics include <S> and </S>.
        mixes = tuple(
            remove_sentence_boundaries(mix(layers, boundary_mask), mask) for mix in self.scalar_mixes
        )  # each (b, t, D)
        hidden = tuple(remove_sentence_boundaries(layer, mask) for layer in layers)  # each (b, t, D)
        output = ElmoModelOutput(
            last_hidden_state=hidden[-1], elmo_representations=mixes, hidden_states=hidden, lstm_states=states
        )
        return (
            output if (self.config.return_dict if return_dict is None else return_dict) else output.to_tuple()
        )


@dataclass
class ElmoForPreTrainingOutput(ModelOutput):
    """loss = (forward_loss + backward_loss) / 2; logits over `<S> w </S>` positions, (b, T, V)."""

    loss: torch.Tensor | None = None
    forward_loss: torch.Tensor | None = None
    backward_loss: torch.Tensor | None = None
    forward_logits: torch.Tensor | None = None
    backward_logits: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None


class ElmoForPreTraining(ElmoPreTrainedModel):
    """The biLM with one word softmax shared by both directions (bilm-tf training.py:464-480).

    Loss: the mean of the forward and the backward token-level NLL, as bilm-tf's training loss
    (training.py:523-528, `0.5 * (forward + backward)`); the paper writes the sum of the two
    log-likelihoods (Eq. in §3.1), which differs by the constant factor 2. bilm-tf trains with a
    sampled softmax (8192 negatives); here the softmax is full, meant for small vocabularies.
    Labels come from `CharLMCollator`: next / previous word ids over `<S> w </S>`, (b, T).
    """

    # The loss is a mean per micro-batch: Trainer must divide by the accumulation steps itself.
    accepts_loss_kwargs = False

    def __init__(self, config: ElmoConfig) -> None:
        super().__init__(config)
        self.elmo = ElmoModel(config)
        self.dropout = nn.Dropout(config.dropout)
        self.softmax = nn.Linear(config.projection_dim, config.vocab_size)
        self.post_init()

    def get_output_embeddings(self) -> nn.Linear:
        return self.softmax

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        forward_labels: torch.Tensor | None = None,
        backward_labels: torch.Tensor | None = None,
        lstm_states: LSTMStates | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> ElmoForPreTrainingOutput | tuple[Any, ...]:
        check_unused_inputs(type(self).__name__, kwargs)
        layers, boundary_mask, _, _ = self.elmo.encode_with_boundaries(input_ids, attention_mask, lstm_states)
        top = self.dropout(layers[-1])  # (b, T, D)
        forward_states, backward_states = top.chunk(2, dim=-1)  # 2 x (b, T, P)
        forward_logits = self.softmax(forward_states)  # (b, T, V)
        backward_logits = self.softmax(backward_states)  # (b, T, V)
        loss = forward_loss = backward_loss = None
        if (forward_labels is None) != (backward_labels is None):
            raise ValueError("give both forward_labels and backward_labels, or neither")
        if forward_labels is not None and backward_labels is not None:
            for name, labels in (("forward_labels", forward_labels), ("backward_labels", backward_labels)):
                if tuple(labels.shape) != tuple(boundary_mask.shape):
                    raise ValueError(
                        f"{name} has shape {tuple(labels.shape)}; expected {tuple(boundary_mask.shape)} "
                        "(one label per position of <S> w_1 .. w_n </S>, from CharLMCollator)"
                    )
            forward_loss = cross_entropy(forward_logits, forward_labels)
            backward_loss = cross_entropy(backward_logits, backward_labels)
            loss = (forward_loss + backward_loss) / 2
        output = ElmoForPreTrainingOutput(
            loss=loss,
            forward_loss=forward_loss,
            backward_loss=backward_loss,
            forward_logits=forward_logits,
            backward_logits=backward_logits,
            hidden_states=tuple(layers),
        )
        return (
            output if (self.config.return_dict if return_dict is None else return_dict) else output.to_tuple()
        )


class _ElmoTaskModel(ElmoPreTrainedModel):
    """ELMo + a task layer on the first scalar mix; with config.freeze_bilm only the mix and the task
    layer learn (AllenNLP `Elmo(requires_grad=False)`), and the biLM stays in eval mode (no dropout)."""

    def __init__(self, config: ElmoConfig) -> None:
        super().__init__(config)
        self.elmo = ElmoModel(config)
        self.dropout = nn.Dropout(config.representation_dropout)
        self.classifier = nn.Linear(config.output_dim, num_classes(config))
        self.post_init()
        self._freeze_bilm()

    def _freeze_bilm(self) -> None:
        if self.config.freeze_bilm:
            self.elmo.bilm.requires_grad_(False)
            self.elmo.bilm.eval()

    def train(self, mode: bool = True) -> _ElmoTaskModel:
        # from_pretrained replaces the parameters (requires_grad back to True) and ends with eval():
        # freezing again here keeps a loaded biLM frozen too.
        super().train(mode)
        self._freeze_bilm()
        return self

    def _representation(
        self, input_ids: torch.Tensor | None, attention_mask: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor, ElmoModelOutput]:
        out = self.elmo(input_ids, attention_mask=attention_mask, return_dict=True)
        mask = validate_char_inputs(input_ids, attention_mask, self.config)
        return self.dropout(out.elmo_representations[0]), mask, out  # (b, t, D)

    def _regularised(
        self, loss: torch.Tensor | None, labels: torch.Tensor | None, num_items_in_batch: Any
    ) -> torch.Tensor | None:
        """loss + λ Σ w², the penalty shared across micro-batches by their label counts when Trainer
        accumulates (it then sums the micro-batch losses), so each optimizer step adds it once."""
        if loss is None or labels is None or self.config.scalar_mix_l2_coef == 0:
            return loss
        share: torch.Tensor | float = 1.0
        if num_items_in_batch is not None:
            share = labels.ne(IGNORE_INDEX).sum() / torch.as_tensor(num_items_in_batch, device=loss.device)
        penalty = sum(mix.l2_penalty() for mix in self.elmo.scalar_mixes if isinstance(mix, ScalarMix))
        return loss + self.config.scalar_mix_l2_coef * share * penalty


class ElmoForTokenClassification(_ElmoTaskModel):
    """A linear tagger on the ELMo representation of every word; labels (b, t), -100 ignored."""

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
        **kwargs: Any,
    ) -> TokenClassifierOutput | tuple[Any, ...]:
        check_unused_inputs(type(self).__name__, kwargs)
        representation, _, out = self._representation(input_ids, attention_mask)
        logits = self.classifier(representation)  # (b, t, num_labels)
        loss = None if labels is None else cross_entropy(logits, labels, num_items_in_batch)
        output = TokenClassifierOutput(
            loss=self._regularised(loss, labels, num_items_in_batch),
            logits=logits,
            hidden_states=out.hidden_states,
        )
        return (
            output if (self.config.return_dict if return_dict is None else return_dict) else output.to_tuple()
        )


class ElmoForSequenceClassification(_ElmoTaskModel):
    """A linear classifier on the mean (or max, config.classifier_pooling) of the words' ELMo vectors.

    The paper's sentence tasks use larger task models (BCN for SST-5, ESIM for SNLI); pooling plus a
    linear layer is the simplest head that keeps the biLM frozen and is easy to compare across models.
    """

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
        **kwargs: Any,
    ) -> SequenceClassifierOutput | tuple[Any, ...]:
        check_unused_inputs(type(self).__name__, kwargs)
        representation, mask, out = self._representation(input_ids, attention_mask)
        keep = mask.bool()[..., None]  # (b, t, 1)
        if self.config.classifier_pooling == "max":
            pooled = representation.masked_fill(~keep, torch.finfo(representation.dtype).min).amax(
                1
            )  # (b, D)
        else:
            pooled = (representation * keep).sum(1) / keep.sum(1).clamp(min=1)  # (b, D)
        logits = self.classifier(pooled)  # (b, num_labels)
        loss = None
        if labels is not None:
            loss, self.config.problem_type = sequence_classification_loss(
                logits, labels, self.config.problem_type, num_items_in_batch
            )
        output = SequenceClassifierOutput(
            loss=self._regularised(loss, labels, num_items_in_batch),
            logits=logits,
            hidden_states=out.hidden_states,
        )
        return (
            output if (self.config.return_dict if return_dict is None else return_dict) else output.to_tuple()
        )


__all__ = [
    "ElmoBiLM",
    "ElmoForPreTraining",
    "ElmoForPreTrainingOutput",
    "ElmoForSequenceClassification",
    "ElmoForTokenClassification",
    "ElmoModel",
    "ElmoModelOutput",
    "ElmoPreTrainedModel",
    "ElmoTokenEncoder",
    "add_sentence_boundaries",
    "remove_sentence_boundaries",
]
