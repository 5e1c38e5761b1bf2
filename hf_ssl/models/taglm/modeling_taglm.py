"""TagLM: a bi-RNN + CRF sequence tagger that reads a frozen pretrained LM's states after its first layer.

Peters, Ammar, Bhagavatula & Power 2017, §2 and Fig. 1: token representation x_k = [c_k; w_k]
(character CNN feature; word embedding) -> bidirectional RNN layer 1 -> concatenate the LM
embedding h_k^LM (§2.3: "after the first RNN layer", the best of the positions they compared, §5)
-> bidirectional RNN layer 2 -> dense -> CRF. The LM is frozen: its parameters take no gradient and
it stays in eval mode (no dropout) while the tagger trains.

Design for the Hugging Face token-classification path:
- the model consumes `input_ids` from an ordinary tokenizer; the LM provider gets the same ids;
- the character feature comes from a saved buffer mapping each token id to its characters (UTF-8
  bytes), built from the tokenizer's vocabulary by `from_lm`, so no second input is needed;
- `logits` are per-token CRF marginal log-probabilities (forward-backward): the pipeline's softmax
  gives the exact marginals and its argmax is posterior decoding; `predictions` holds the Viterbi
  paths (use them for entity-level evaluation: `hf_ssl.metrics.compute_tagging_metrics`);
- special tokens ([CLS], [SEP]) and padding are not in the CRF chain (logits 0 there, i.e. uniform);
  positions labelled -100 inside the chain (subword continuations) are latent: the loss sums over
  their tags instead of cutting the chain.

Shapes: b batch, t tokens, n tagged tokens per row (compacted), c characters per token,
F char filters, W word embedding, H RNN units per direction, D LM state width, L labels.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from transformers import AutoModel, PreTrainedModel
from transformers import initialization as init
from transformers.models.auto.configuration_auto import CONFIG_MAPPING
from transformers.utils import ModelOutput

from ...constants import IGNORE_INDEX
from ...data.characters import word_to_char_ids
from ...layers.crf import LinearChainCRF, allowed_transitions
from ...layers.embeddings import as_embedding, resized
from ..base import HfSslPreTrainedModel
from ..validation import check_attention_mask, check_sequence, check_unused_inputs
from .configuration_taglm import TAGGING_SCHEMES, TagLMConfig

logger = logging.getLogger(__name__)

CHAR_PAD = 0
CHAR_VOCAB_SIZE = 257
"""UTF-8 bytes shifted by one (0 pads a word's character slots)."""


def encode_characters(words: list[str], max_chars: int) -> torch.Tensor:
    """Words -> (len(words), max_chars) byte ids + 1, truncated, 0-padded."""
    table = torch.full((len(words), max_chars), CHAR_PAD, dtype=torch.long)
    for row, word in enumerate(words):
        data = list(word.encode("utf-8"))[:max_chars]
        if data:
            table[row, : len(data)] = torch.tensor(data) + 1
    return table


def detect_scheme(labels: list[str]) -> str | None:
    """The first tagging scheme whose rules every label follows, or None."""
    for scheme in TAGGING_SCHEMES:
        try:
            allowed_transitions(labels, scheme)
        except ValueError:
            continue
        return scheme
    return None


def _left_align(keep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Gather indices (b, t) that move the kept positions of each row to its front, in order, and the
    resulting left-aligned mask (b, t)."""
    order = torch.argsort((~keep).to(torch.int8), dim=1, stable=True)  # (b, t)
    counts = keep.sum(1, keepdim=True)  # (b, 1)
    return order, torch.arange(keep.shape[1], device=keep.device) < counts


@dataclass
class TagLMTokenClassifierOutput(ModelOutput):
    """loss: CRF negative log-likelihood per labelled token; logits (b, t, L): CRF log-marginals;
    predictions (b, t): Viterbi tags, IGNORE_INDEX outside the chain; emissions (b, t, L): CRF inputs;
    hidden_states (with output_hidden_states): the two BiRNN layers' outputs, 2 x (b, t, 2H)."""

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    predictions: torch.Tensor | None = None
    emissions: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None


class TagLMPreTrainedModel(HfSslPreTrainedModel):
    config: TagLMConfig
    config_class = TagLMConfig
    base_model_prefix = "tagger"
    main_input_name = "input_ids"
    # The tagger has no attention; its LM provider may, and follows the tagger's choice of kernel.
    _supports_sdpa = True

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        # Buffers derived from the config are not in the checkpoint: refill them after from_pretrained
        # built the model on the meta device.
        if isinstance(module, LinearChainCRF):
            module.reset_penalties()
        elif isinstance(module, TagLMForTokenClassification):
            ids = sorted(set(self.config.special_token_ids or []))
            module.special_ids = torch.tensor(ids, dtype=torch.long, device=module.token_chars.device)
            # Each id's characters come from its tokenizer (from_lm) or the checkpoint; empty until then.
            init.zeros_(module.token_chars)
            if module.config.lm_reads_characters:
                init.zeros_(module.lm_char_ids)


class TagLMForTokenClassification(TagLMPreTrainedModel):
    """TagLM's tagger with its frozen LM provider in `self.lm`; build one with `from_lm`."""

    lm: Any
    token_chars: torch.Tensor
    lm_char_ids: torch.Tensor
    special_ids: torch.Tensor

    def __init__(self, config: TagLMConfig) -> None:
        super().__init__(config)
        if config.lm_config is None:
            raise ValueError(
                "TagLMConfig.lm_config is None; build the tagger with TagLMForTokenClassification.from_lm("
                "lm_model, tokenizer, label_names) or pass an LM provider's config.to_dict()"
            )
        lm_config = dict(config.lm_config)
        model_type = str(lm_config.get("model_type"))
        if model_type not in CONFIG_MAPPING:
            raise ValueError(f"lm_config model_type={model_type!r} is not registered (import hf_ssl first?)")
        provider_config = CONFIG_MAPPING[model_type].from_dict(lm_config)
        if config._attn_implementation == "eager":  # asked of the tagger: its LM follows (any LM has eager)
            provider_config._attn_implementation = "eager"
        self.lm = AutoModel.from_config(provider_config)
        self.lm.requires_grad_(False)
        lm_size = config.lm_output_size or getattr(self.lm.config, "hidden_size", None)
        if lm_size is None:
            raise ValueError(f"cannot tell the width of {model_type} states; set TagLMConfig.lm_output_size")

        self.register_buffer(
            "token_chars",
            torch.zeros(config.vocab_size, config.max_word_chars, dtype=torch.long),
            persistent=True,
        )
        if config.lm_reads_characters:
            # An ELMo provider reads characters: each token id's word as ELMo character ids (V, c).
            width = int(self.lm.config.max_characters_per_token)
            self.register_buffer(
                "lm_char_ids", torch.zeros(config.vocab_size, width, dtype=torch.long), persistent=True
            )
        self.char_embeddings = nn.Embedding(CHAR_VOCAB_SIZE, config.char_embedding_size, padding_idx=CHAR_PAD)
        self.char_cnn = nn.Conv1d(
            config.char_embedding_size,
            config.char_filters,
            config.char_kernel_size,
            padding=config.char_kernel_size // 2,
        )
        self.word_embeddings = nn.Embedding(
            config.vocab_size, config.word_embedding_size, padding_idx=config.pad_token_id
        )
        rnn = nn.GRU if config.rnn_type == "gru" else nn.LSTM
        hidden = config.rnn_hidden_size
        self.rnn1 = rnn(
            config.char_filters + config.word_embedding_size, hidden, batch_first=True, bidirectional=True
        )
        self.rnn2 = rnn(2 * hidden + lm_size, hidden, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(config.dropout)
        num_labels = int(config.num_labels)  # type: ignore[arg-type]
        self.dense = nn.Linear(2 * hidden, num_labels)
        id2label: dict[int, str] = config.id2label  # type: ignore[assignment]
        labels = [id2label[i] for i in range(num_labels)]
        constraints = allowed_transitions(labels, config.tagging_scheme) if config.tagging_scheme else None
        self.crf = LinearChainCRF(num_labels, constraints)
        self.register_buffer(
            "special_ids",
            torch.tensor(sorted(set(config.special_token_ids or [])), dtype=torch.long),
            persistent=False,
        )
        self.post_init()

    @classmethod
    def from_lm(
        cls,
        lm_model: PreTrainedModel,
        tokenizer: Any,
        label_names: list[str],
        *,
        word_vectors: torch.Tensor | nn.Module | None = None,
        tagging_scheme: str | None = "auto",
        **config_kwargs: Any,
    ) -> TagLMForTokenClassification:
        """A tagger on top of `lm_model` (its weights copied, then frozen) for `tokenizer`'s ids.

        Args:
            lm_model: any Auto-registered model returning `last_hidden_state`; a head model is
                reduced to its `base_model`.
            tokenizer: the tokenizer the LM was trained with; its vocabulary fills the characters table.
            label_names: the tag set, index = label id ("O", "B-PER", ...).
            word_vectors: optional (V, W) initial word embeddings, or a model whose input embeddings
                to copy (e.g. a trained `CBOWModel`, as the paper starts from pretrained vectors).
            tagging_scheme: "auto" detects BIO / IOBES from the labels; None disables constraints.
            config_kwargs: other TagLMConfig fields (sizes, rnn_type, dropout, ...).
        """
        if not label_names or len(set(label_names)) != len(label_names):
            raise ValueError(f"label_names must be a non-empty list of distinct tags, got {label_names}")
        lm: Any = lm_model.base_model
        vocab_size = len(tokenizer)
        reads_characters = hasattr(lm.config, "max_characters_per_token")  # ELMo's character input
        lm_vocab = getattr(lm.config, "vocab_size", None)
        if lm_vocab is not None and vocab_size > lm_vocab and not reads_characters:
            raise ValueError(
                f"the tokenizer has {vocab_size} tokens but the LM only {lm_vocab}: not the LM's tokenizer"
            )
        probe_ids = (
            torch.tensor([[word_to_char_ids("a", lm.config.max_characters_per_token)]], device=lm.device)
            if reads_characters
            else torch.zeros(1, 1, dtype=torch.long, device=lm.device)
        )
        was_training = lm.training
        with torch.no_grad():
            probe = lm.eval()(input_ids=probe_ids).last_hidden_state
        lm.train(was_training)
        if word_vectors is not None and not isinstance(word_vectors, torch.Tensor):
            word_vectors = word_vectors.get_input_embeddings().weight  # type: ignore[operator]
        assert word_vectors is None or isinstance(word_vectors, torch.Tensor)
        if word_vectors is not None:
            config_kwargs.setdefault("word_embedding_size", word_vectors.shape[1])
        config = TagLMConfig(
            vocab_size=vocab_size,
            lm_config=lm.config.to_dict(),
            lm_output_size=probe.shape[-1],
            lm_reads_characters=reads_characters,
            id2label=dict(enumerate(label_names)),
            label2id={label: i for i, label in enumerate(label_names)},
            tagging_scheme=detect_scheme(label_names) if tagging_scheme == "auto" else tagging_scheme,
            # [UNK] stands for a real word: it stays in the chain and gets a tag.
            special_token_ids=sorted(set(tokenizer.all_special_ids) - {tokenizer.unk_token_id}),
            pad_token_id=tokenizer.pad_token_id,
            **config_kwargs,
        )
        model = cls(config)
        # A head's encoder may lack parts the bare Auto model has (BertForMaskedLM's encoder has no
        # pooler); those parts never reach last_hidden_state, so only unexpected keys are an error.
        result = model.lm.load_state_dict(lm.state_dict(), strict=False)
        if result.unexpected_keys:
            raise ValueError(
                f"the LM has weights the rebuilt {type(model.lm).__name__} lacks: {result.unexpected_keys}"
            )
        if result.missing_keys:
            logger.info("LM provider lacks %s; left at their initial values (unused)", result.missing_keys)
        tokens = tokenizer.convert_ids_to_tokens(list(range(vocab_size)))
        specials = set(config.special_token_ids or [])
        # convert_tokens_to_string undoes the tokenizer's markers ("##ing" -> "ing", "Ġthe" -> " the").
        words = [
            "" if i in specials else tokenizer.convert_tokens_to_string([t]).strip()
            for i, t in enumerate(tokens)
        ]
        with torch.no_grad():
            model.token_chars.copy_(encode_characters(words, config.max_word_chars))
            if reads_characters:
                width = lm.config.max_characters_per_token
                model.lm_char_ids.copy_(
                    torch.tensor(
                        [
                            [0] * width
                            if i == tokenizer.pad_token_id
                            else word_to_char_ids(word or token, width)
                            for i, (word, token) in enumerate(zip(words, tokens, strict=True))
                        ]
                    )
                )
            if word_vectors is not None:
                if tuple(word_vectors.shape) != (vocab_size, config.word_embedding_size):
                    raise ValueError(
                        f"word_vectors have shape {tuple(word_vectors.shape)}; expected "
                        f"({vocab_size}, {config.word_embedding_size})"
                    )
                model.word_embeddings.weight.copy_(word_vectors)
        return model

    @classmethod
    def from_pretrained(cls, *args: Any, **kwargs: Any) -> Any:
        loaded = super().from_pretrained(*args, **kwargs)
        # Loading swaps in fresh Parameters (requires_grad=True): freeze the LM again.
        model = loaded[0] if isinstance(loaded, tuple) else loaded
        model.lm.requires_grad_(False)
        return loaded

    def train(self, mode: bool = True) -> TagLMForTokenClassification:
        super().train(mode)
        self.lm.eval()  # frozen: the LM's dropout stays off while the tagger trains (§2.3)
        return self

    def get_input_embeddings(self) -> nn.Embedding:
        return self.word_embeddings

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.word_embeddings = as_embedding(value)

    def resize_token_embeddings(
        self,
        new_num_tokens: int | None = None,
        pad_to_multiple_of: int | None = None,
        mean_resizing: bool = True,
    ) -> nn.Embedding:
        """Resize the word table and every per-id table with it: the ids' characters (new ids get no
        characters until `token_chars` is filled) and the LM provider's own ids, which are the same."""
        embeddings = super().resize_token_embeddings(new_num_tokens, pad_to_multiple_of, mean_resizing)
        size = embeddings.num_embeddings
        for name in ("token_chars", "lm_char_ids") if self.config.lm_reads_characters else ("token_chars",):
            self.register_buffer(name, resized(getattr(self, name), size), persistent=True)  # (V, c)
        if not self.config.lm_reads_characters:
            self.lm.resize_token_embeddings(size, mean_resizing=mean_resizing)
            self.config.lm_config = self.lm.config.to_dict()
        return embeddings

    def _lm_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        if self.config.lm_reads_characters:
            # ELMo: the words' character ids, all-zero (ELMo's padding) outside the mask.
            input_ids = self.lm_char_ids[input_ids] * attention_mask.unsqueeze(-1).to(
                input_ids.dtype
            )  # (b, t, c)
        with torch.no_grad():
            if self.config.lm_layer is None:
                return self.lm(
                    input_ids=input_ids, attention_mask=attention_mask
                ).last_hidden_state  # (b, t, D)
            out = self.lm(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
            return out.hidden_states[self.config.lm_layer]  # (b, t, D)

    def _bi_rnn(self, rnn: nn.RNNBase, inputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(
            inputs, lengths.cpu().clamp(min=1), batch_first=True, enforce_sorted=False
        )
        output, _ = rnn(packed)
        return pad_packed_sequence(output, batch_first=True, total_length=inputs.shape[1])[0]  # (b, t, 2H)

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        char_ids: torch.Tensor | None = None,
        return_dict: bool | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
        output_hidden_states: bool | None = None,
        **kwargs: Any,
    ) -> TagLMTokenClassifierOutput | tuple[Any, ...]:
        """input_ids, attention_mask (b, t), right-padded; labels (b, t) with -100 where untagged.

        token_type_ids is accepted all-zero (tokenizers return it): tagging reads one sentence.
        char_ids (b, t, c), optional: each token's characters (`encode_characters`), overriding the
        vocabulary table, so a word the tokenizer maps to [UNK] still gets its own character feature.
        """
        check_unused_inputs(type(self).__name__, {**kwargs, "token_type_ids": token_type_ids})
        if input_ids is None:
            raise ValueError("input_ids is required: TagLM looks words up, it has no inputs_embeds path")
        shape = check_sequence("input_ids", input_ids, None, self.config.vocab_size)
        check_attention_mask(attention_mask, shape)
        mask = (
            torch.ones_like(input_ids, dtype=torch.bool) if attention_mask is None else attention_mask.bool()
        )
        if bool((mask[:, 1:] & ~mask[:, :-1]).any()):
            raise ValueError("TagLM needs right padding (attention_mask rows: ones, then zeros)")
        if labels is not None and labels.shape != input_ids.shape:
            raise ValueError(f"labels have shape {tuple(labels.shape)}; expected {tuple(input_ids.shape)}")
        lengths = mask.sum(1)  # (b,)

        if char_ids is None:
            chars = self.token_chars[input_ids]  # (b, t, c)
        elif char_ids.dim() != 3 or char_ids.shape[:2] != input_ids.shape:
            raise ValueError(
                f"char_ids have shape {tuple(char_ids.shape)}; expected {tuple(input_ids.shape)} + (chars,)"
            )
        elif int(char_ids.min()) < 0 or int(char_ids.max()) >= CHAR_VOCAB_SIZE:
            raise ValueError(f"char_ids must lie in [0, {CHAR_VOCAB_SIZE}): UTF-8 bytes + 1, 0 for padding")
        else:
            chars = char_ids
        b, t, c = chars.shape
        char_vectors = self.char_embeddings(chars.view(b * t, c)).transpose(1, 2)  # (b·t, e, c)
        char_feature = self.char_cnn(char_vectors).max(dim=-1).values.view(b, t, -1)  # (b, t, F)
        tokens = torch.cat([char_feature, self.word_embeddings(input_ids)], dim=-1)  # (b, t, F + W)
        layer1 = self._bi_rnn(self.rnn1, self.dropout(tokens), lengths)  # (b, t, 2H)
        lm_states = self._lm_states(input_ids, mask.long()).to(layer1.dtype)  # (b, t, D)
        # §2.3: the LM embedding joins the tagger after its first RNN layer.
        joined = torch.cat([self.dropout(layer1), lm_states], dim=-1)  # (b, t, 2H + D)
        layer2 = self._bi_rnn(self.rnn2, joined, lengths)  # (b, t, 2H)
        emissions = self.dense(self.dropout(layer2))  # (b, t, L)

        tagged = mask & ~torch.isin(input_ids, self.special_ids)  # (b, t)
        order, chain_mask = _left_align(tagged)  # (b, t) each
        chain = emissions.gather(1, order.unsqueeze(-1).expand_as(emissions))  # (b, t, L) compacted
        loss = None
        if labels is not None:
            chain_labels = labels.gather(1, order).masked_fill(~chain_mask, IGNORE_INDEX)  # (b, t)
            total = -self.crf.log_likelihood(chain, chain_labels, chain_mask).sum()
            divisor = (
                num_items_in_batch
                if num_items_in_batch is not None
                else labels.ne(IGNORE_INDEX).sum().clamp(min=1)
            )
            loss = total / (divisor.to(total.device) if torch.is_tensor(divisor) else divisor)
        marginals = self.crf.marginals(chain, chain_mask)  # (b, t, L) compacted
        paths, _ = self.crf.viterbi_decode(chain, chain_mask)  # (b, t) compacted
        # Scatter back to token positions; positions outside the chain keep 0 / IGNORE_INDEX.
        logits = torch.zeros_like(marginals).scatter(1, order.unsqueeze(-1).expand_as(marginals), marginals)
        logits = logits.masked_fill(~tagged.unsqueeze(-1), 0.0)
        predictions = (
            torch.full_like(paths, IGNORE_INDEX).scatter(1, order, paths).masked_fill(~tagged, IGNORE_INDEX)
        )
        if self.config.output_hidden_states if output_hidden_states is None else output_hidden_states:
            hidden_states: tuple[torch.Tensor, ...] | None = (layer1, layer2)
        else:
            hidden_states = None
        output = TagLMTokenClassifierOutput(
            loss=loss,
            logits=logits,
            predictions=predictions,
            emissions=emissions,
            hidden_states=hidden_states,
        )
        return (
            output if (self.config.return_dict if return_dict is None else return_dict) else output.to_tuple()
        )

    def decode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> list[list[str]]:
        """Viterbi label names per row, for the tagged (non-special, non-padding) tokens in order."""
        was_training = self.training
        self.eval()
        with torch.no_grad():
            out = self(input_ids=input_ids, attention_mask=attention_mask, return_dict=True)
        self.train(was_training)
        id2label: dict[int, str] = self.config.id2label  # type: ignore[assignment]
        return [[id2label[int(i)] for i in row[row != IGNORE_INDEX]] for row in out.predictions]
