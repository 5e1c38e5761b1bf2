"""ELMo configuration: the fields of bilm-tf's options.json, plus the downstream (mix and head) settings.

Peters et al. 2018 ("Deep contextualized word representations"); options.json of the released
models (bilm-tf bin/train_elmo.py:21-55). Defaults are the original
model `2x4096_512_2048cnn_2xhighway` (93.6M parameters); ELMo Small is lstm_dim=1024,
projection_dim=128, n_highway=1.
"""

from __future__ import annotations

from typing import Any

from transformers import PreTrainedConfig

from ...layers.char_cnn import ACTIVATIONS, validate_filters
from ..config_rules import refuse_misspelled_fields, require

ORIGINAL_FILTERS = [[1, 32], [2, 32], [3, 64], [4, 128], [5, 256], [6, 512], [7, 1024]]
"""The char CNN of every released ELMo: 7 widths, 2048 filters (bilm-tf train_elmo.py)."""
POOLINGS = ("mean", "max")


class ElmoConfig(PreTrainedConfig):
    """Configuration of an hf_ssl ELMo biLM and its task heads.

    biLM (options.json names in brackets):
        n_characters: character ids incl. the +1 shift [char_cnn.n_characters, 262 at inference].
        max_characters_per_token: characters per word [char_cnn.max_characters_per_token, 50].
        char_embedding_dim: [char_cnn.embedding.dim, 16].
        filters: [[width, count], ...] [char_cnn.filters].
        char_activation: "relu" or "tanh" [char_cnn.activation].
        n_highway: highway layers after the CNN [char_cnn.n_highway].
        projection_dim: token embedding and LSTM output width P [lstm.projection_dim].
        lstm_dim: LSTM memory width C [lstm.dim].
        n_layers: LSTM layers per direction L [lstm.n_layers].
        cell_clip, proj_clip: clipping of the memory and the projected state (None: off) [lstm.*].
        use_skip_connections: residual around LSTM layers 2..L [lstm.use_skip_connections].
        vocab_size: word vocabulary of the LM softmax (not stored in bilm-tf weight files) [n_tokens_vocab].
        dropout: dropout on each LSTM layer's input while pretraining [dropout, 0.1].
    Downstream (AllenNLP `Elmo` arguments):
        num_output_representations: number of scalar mixes (one per place a task uses ELMo).
        do_layer_norm: masked layer norm of each layer before mixing.
        representation_dropout: dropout on the mixed representation in task heads (AllenNLP: 0.5).
        freeze_bilm: task heads keep the biLM fixed and learn only the mix and their own layers.
        scalar_mix_l2_coef: λ of the L2 penalty on the mix weights added to task losses (paper §3.3).
        classifier_pooling: "mean" or "max" over words for sequence classification.
    """

    model_type = "hf_ssl_elmo"

    n_characters: int = 262
    max_characters_per_token: int = 50
    char_embedding_dim: int = 16
    filters: list | None = None
    char_activation: str = "relu"
    n_highway: int = 2
    projection_dim: int = 512
    lstm_dim: int = 4096
    n_layers: int = 2
    cell_clip: float | None = 3.0
    proj_clip: float | None = 3.0
    use_skip_connections: bool = True
    vocab_size: int = 793471  # bilm-tf's 1B Word Benchmark vocabulary (from memory: check the vocab file)
    dropout: float = 0.1
    num_output_representations: int = 1
    do_layer_norm: bool = False
    representation_dropout: float = 0.5
    freeze_bilm: bool = True
    scalar_mix_l2_coef: float = 0.0
    classifier_pooling: str = "mean"
    initializer_range: float = 0.02
    tie_word_embeddings: bool = False

    def __post_init__(self, **kwargs: Any) -> None:
        refuse_misspelled_fields(self, kwargs)
        if self.filters is None:
            self.filters = [list(f) for f in ORIGINAL_FILTERS]
        self.filters = [list(f) for f in validate_filters(self.filters)]
        for name in (
            "n_characters",
            "char_embedding_dim",
            "projection_dim",
            "lstm_dim",
            "n_layers",
            "vocab_size",
        ):
            value = getattr(self, name)
            require(isinstance(value, int) and value > 0, f"{name}={value!r}; expected a positive int")
        widest = max(width for width, _ in self.filters)
        require(
            self.max_characters_per_token >= max(3, widest),
            f"max_characters_per_token={self.max_characters_per_token}; expected >= 3 and >= the widest "
            f"filter ({widest})",
        )
        require(self.n_highway >= 0, f"n_highway={self.n_highway}; expected >= 0")
        require(
            self.char_activation in ACTIVATIONS,
            f"char_activation={self.char_activation!r}; expected one of {sorted(ACTIVATIONS)}",
        )
        for name in ("cell_clip", "proj_clip"):
            value = getattr(self, name)
            require(value is None or value >= 0, f"{name}={value}; expected None or >= 0")
        for name in ("dropout", "representation_dropout"):
            value = getattr(self, name)
            require(0.0 <= value < 1.0, f"{name}={value}; expected a probability in [0, 1)")
        require(
            self.num_output_representations >= 1,
            f"num_output_representations={self.num_output_representations}; expected >= 1",
        )
        require(self.scalar_mix_l2_coef >= 0, f"scalar_mix_l2_coef={self.scalar_mix_l2_coef}; expected >= 0")
        require(
            self.classifier_pooling in POOLINGS,
            f"classifier_pooling={self.classifier_pooling!r}; expected one of {POOLINGS}",
        )
        super().__post_init__(**kwargs)

    @property
    def char_filters(self) -> list[tuple[int, int]]:
        """filters as validated (width, count) pairs."""
        return validate_filters(self.filters or ORIGINAL_FILTERS)

    @property
    def num_representation_layers(self) -> int:
        """L + 1 layers [x; x], [h_1f; h_1b], ... (2L + 1 distinct representations per token)."""
        return self.n_layers + 1

    @property
    def output_dim(self) -> int:
        """Width of every ELMo layer: forward and backward states concatenated."""
        return 2 * self.projection_dim
