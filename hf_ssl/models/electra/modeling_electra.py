"""ELECTRA as a diff over hf_ssl's BERT, and its joint generator-discriminator pretraining.

Clark et al. 2020; reference code google-research/electra (run_pretraining.py,
pretrain/pretrain_helpers.py). What changes relative to BERT:
  - factorized embeddings (width E, projected to H when they differ) and no pooler;
  - `ElectraForMaskedLM` is the generator (an MLM head through the E-wide tied table);
  - `ElectraForReplacedTokenDetection` is the discriminator (a per-token binary head; transformers
    calls this class ElectraForPreTraining);
  - `ElectraForPreTraining` joins the two: the generator fills the masked positions by sampling,
    the discriminator tells original from replaced tokens, loss = MLM + λ·RTD (λ = 50).
Sentence classification reads the first token through a GELU head (transformers'
ElectraClassificationHead). Fine-tuning uses the discriminator alone (`save_discriminator`).

Shapes: b batch, t length, n masked positions, V vocabulary.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from transformers.utils import ModelOutput

from ...constants import IGNORE_INDEX
from ...heads import (
    FirstTokenClassifier,
    ReplacedTokenHead,
    gumbel_max_sample,
    num_classes,
    replaced_token_loss,
)
from ...layers.embeddings import as_embedding
from ..bert import modeling_bert as bert
from .configuration_electra import ElectraConfig


class ElectraPreTrainedModel(bert.BertPreTrainedModel):
    config: ElectraConfig
    config_class = ElectraConfig
    base_model_prefix = "electra"

    def _attach_encoder(self, config: bert.BertConfig, add_pooling_layer: bool) -> None:
        # ELECTRA has no pooler: its heads read token states directly.
        super()._attach_encoder(config, add_pooling_layer=False)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Any, *args: Any, **kwargs: Any) -> Any:
        """A joint ElectraForPreTraining checkpoint holds two networks; every other class (the bare
        model, the fine-tuning heads) loads its discriminator, the network ELECTRA fine-tunes
        (Clark et al. 2020 §3.1). The generator's weights are then reported as unused."""
        from transformers import PreTrainedConfig

        found: dict[str, Any] = {}
        if pretrained_model_name_or_path is not None:  # None: weights from `state_dict`, nothing to read
            with contextlib.suppress(OSError, ValueError):
                found, _ = PreTrainedConfig.get_config_dict(
                    pretrained_model_name_or_path, **_hub_kwargs(kwargs)
                )
        joint = found.get("architectures") == ["ElectraForPreTraining"]
        if cls.__name__ == "ElectraForPreTraining":
            if found.get("model_type") == "hf_ssl_electra" and found.get("architectures") and not joint:
                raise ValueError(
                    f"{pretrained_model_name_or_path} holds {found['architectures'][0]} weights: the discriminator "
                    "alone; ElectraForPreTraining loads joint generator + discriminator checkpoints. Load "
                    "this one with ElectraModel, AutoModel or a fine-tuning head"
                )
        elif joint and "key_mapping" not in kwargs:
            prefix = "" if cls is ElectraModel else "electra."
            kwargs["key_mapping"] = {r"^discriminator\.electra\.": prefix}
        return super().from_pretrained(pretrained_model_name_or_path, *args, **kwargs)


def _hub_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The download options from_pretrained shares with reading the config."""
    names = ("cache_dir", "force_download", "local_files_only", "token", "revision", "subfolder")
    return {k: kwargs[k] for k in names if k in kwargs}


class ElectraModel(ElectraPreTrainedModel, bert.BertModel):
    """The bare ELECTRA encoder (generator or discriminator body)."""

    def __init__(self, config: ElectraConfig, add_pooling_layer: bool = False) -> None:
        super().__init__(config, add_pooling_layer=False)


ElectraPreTrainedModel.base_model_class = ElectraModel


class ElectraForMaskedLM(ElectraPreTrainedModel, bert.BertForMaskedLM):
    """The generator: encoder + MLM head H -> E -> tied E x V table (exact GELU, as the reference)."""

    _tied_weights_keys: dict[str, str] = {
        "lm_head.decoder.weight": "electra.embeddings.word_embeddings.weight"
    }

    def _make_lm_head(self, config: bert.BertConfig) -> bert.MaskedLMHead:
        return bert.MaskedLMHead(
            config.hidden_size,
            config.vocab_size,
            embedding_size=config.embedding_size,
            activation="gelu",
            norm_eps=config.layer_norm_eps,
        )


@dataclass
class ReplacedTokenDetectionOutput(ModelOutput):
    """logits (b, t): score that each token was replaced; loss over real tokens when labels are given."""

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


class ElectraForReplacedTokenDetection(ElectraPreTrainedModel):
    """The discriminator: is each token the original (0) or a replacement (1)?"""

    def __init__(self, config: ElectraConfig) -> None:
        super().__init__(config)
        self._attach_encoder(config, add_pooling_layer=False)
        self.rtd_head = ReplacedTokenHead(config.hidden_size, config.hidden_act)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
        **kwargs: Any,
    ) -> ReplacedTokenDetectionOutput | tuple[Any, ...]:
        """labels (b, t): 1 replaced, 0 original, -100 ignored (padding is ignored automatically)."""
        out = self.encoder_model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self.rtd_head(out.last_hidden_state)  # (b, t)
        loss = None
        if labels is not None:
            if attention_mask is not None:
                labels = labels.masked_fill(attention_mask.eq(0), IGNORE_INDEX)
            loss = replaced_token_loss(logits, labels, num_items_in_batch)
        output = ReplacedTokenDetectionOutput(
            loss=loss, logits=logits, hidden_states=out.hidden_states, attentions=out.attentions
        )
        return bert._with_tuple(output, return_dict, self.config)


class ElectraForSequenceClassification(ElectraPreTrainedModel, bert.BertForSequenceClassification):
    """Sentence and sentence-pair classification from the first token through a GELU head."""

    def __init__(self, config: ElectraConfig) -> None:
        bert._PooledHeadModel.__init__(self, config, add_pooling_layer=False)
        dropout = (
            config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob
        )
        self.classifier: nn.Module = FirstTokenClassifier(
            config.hidden_size, num_classes(config), dropout, "gelu"
        )
        self.post_init()

    def _logits(self, out: bert.BaseModelOutputWithPoolingAndCrossAttentions) -> torch.Tensor:
        return self.classifier(out.last_hidden_state)  # (b, c)


class ElectraForTokenClassification(ElectraPreTrainedModel, bert.BertForTokenClassification):
    """A label per token."""


class ElectraForQuestionAnswering(ElectraPreTrainedModel, bert.BertForQuestionAnswering):
    """Extractive QA with start/end vectors."""


@dataclass
class ElectraForPreTrainingOutput(ModelOutput):
    """Joint pretraining outputs; `loss` = mlm_weight · generator_loss + rtd_weight · discriminator_loss.

    `logits` (b, t) are the discriminator's; `replaced` (b, t) marks tokens the generator changed;
    `generator_logits` are (n, V) at the masked positions; `hidden_states` and `attentions` are the
    discriminator's.
    """

    loss: torch.Tensor | None = None
    generator_loss: torch.Tensor | None = None
    discriminator_loss: torch.Tensor | None = None
    discriminator_accuracy: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    generator_logits: torch.Tensor | None = None
    replaced: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


_SHARED_EMBEDDINGS = (
    "word_embeddings.weight",
    "position_embeddings.weight",
    "token_type_embeddings.weight",
    "norm.weight",
    "norm.bias",
)


class ElectraForPreTraining(ElectraPreTrainedModel):
    """Generator + discriminator trained jointly with replaced-token detection (ELECTRA §2).

    Inputs are a MaskedLMCollator batch: `labels` hold the original ids at masked positions. The
    generator predicts them (MLM loss); replacements are sampled from its distribution without
    gradient (Gumbel-max at `sampling_temperature`); the discriminator labels every real token
    original/replaced, where a sample equal to the original counts as original
    (run_pretraining.py:234-235). The two models share token, position and type embeddings and the
    embedding LayerNorm (`untied_generator_embeddings=False` in the reference).
    """

    _tied_weights_keys: dict[str, str] = {
        **{
            f"generator.electra.embeddings.{name}": f"discriminator.electra.embeddings.{name}"
            for name in _SHARED_EMBEDDINGS
        },
        "generator.lm_head.decoder.weight": "discriminator.electra.embeddings.word_embeddings.weight",
    }

    def __init__(self, config: ElectraConfig) -> None:
        super().__init__(config)
        generator_config = config.generator_config()
        generator_config._attn_implementation = config._attn_implementation
        # Its output matrix is tied to the discriminator's embeddings (the owner), not to its own copy:
        # transformers leaves a chain of ties (decoder -> generator -> discriminator) unloaded.
        generator_config.tie_word_embeddings = False
        self.discriminator = ElectraForReplacedTokenDetection(config)
        self.generator = ElectraForMaskedLM(generator_config)
        # The shared embeddings are tied parameter by parameter (_tied_weights_keys, by post_init and
        # after every load), never by sharing modules: transformers would take a module shared
        # between two paths as loaded when a checkpoint lacks it, and leave it uninitialised.
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.discriminator.encoder_model.embeddings.word_embeddings

    def set_input_embeddings(self, value: nn.Module) -> None:
        embedding = as_embedding(value)
        self.discriminator.encoder_model.embeddings.word_embeddings = embedding
        self.generator.encoder_model.embeddings.word_embeddings = embedding

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
        inputs_embeds: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> ElectraForPreTrainingOutput | tuple[Any, ...]:
        """input_ids (b, t) with [MASK]s; labels (b, t): original ids at masked positions, -100 elsewhere.

        Without labels there is nothing to sample: the discriminator scores the input as given
        (`logits` > 0: replaced), as transformers' discriminator-only ElectraForPreTraining does.
        """
        common = {
            "attention_mask": attention_mask,
            "token_type_ids": token_type_ids,
            "position_ids": position_ids,
            "output_attentions": output_attentions,
            "output_hidden_states": output_hidden_states,
        }
        if labels is None:
            scored = self.discriminator(input_ids, inputs_embeds=inputs_embeds, return_dict=True, **common)
            scores = ElectraForPreTrainingOutput(
                logits=scored.logits, hidden_states=scored.hidden_states, attentions=scored.attentions
            )
            return bert._with_tuple(scores, return_dict, self.config)
        if input_ids is None:
            raise ValueError(
                "ElectraForPreTraining trains on input_ids with labels (the masked positions, e.g. from "
                "MaskedLMCollator); inputs_embeds cannot be corrupted with sampled tokens"
            )
        if labels.shape != input_ids.shape:
            raise ValueError(f"labels has shape {tuple(labels.shape)}; expected {tuple(input_ids.shape)}")
        generated = self.generator(
            input_ids,
            labels=labels,
            num_items_in_batch=num_items_in_batch,
            return_dict=True,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
        )
        masked = labels.ne(IGNORE_INDEX)  # (b, t)
        # In training the sparse MLM head already returns only the masked rows (n, V).
        generator_logits = generated.logits if generated.logits.dim() == 2 else generated.logits[masked]
        with torch.no_grad():
            sampled = gumbel_max_sample(generator_logits.detach(), self.config.sampling_temperature)  # (n,)
        corrupted = input_ids.masked_scatter(masked, sampled.to(input_ids.dtype))  # (b, t)
        original = torch.where(masked, labels, input_ids)
        replaced = corrupted.ne(original)  # a sample equal to the original counts as original
        real = attention_mask.bool() if attention_mask is not None else torch.ones_like(replaced)
        rtd_labels = replaced.long().masked_fill(~real, IGNORE_INDEX)
        detected = self.discriminator(corrupted, labels=rtd_labels, return_dict=True, **common)
        rtd_loss = detected.loss
        if num_items_in_batch is not None:
            # Trainer passes num_items_in_batch (the accumulated MLM targets) and stops dividing by the
            # accumulation steps: weight this micro-batch's token mean by its share of those targets.
            rtd_loss = rtd_loss * masked.sum() / num_items_in_batch
        loss = self.config.mlm_weight * generated.loss + self.config.rtd_weight * rtd_loss
        with torch.no_grad():
            accuracy = ((detected.logits > 0) == replaced)[real].float().mean()
        output = ElectraForPreTrainingOutput(
            loss=loss,
            generator_loss=generated.loss.detach(),
            discriminator_loss=detected.loss.detach(),
            discriminator_accuracy=accuracy,
            logits=detected.logits,
            generator_logits=generator_logits,
            replaced=replaced,
            hidden_states=detected.hidden_states,
            attentions=detected.attentions,
        )
        self._last_losses = {
            "generator_loss": float(generated.loss),
            "discriminator_loss": float(detected.loss),
            "discriminator_accuracy": float(accuracy),
        }
        return bert._with_tuple(output, return_dict, self.config)

    def save_discriminator(self, save_directory: str | os.PathLike[str], **kwargs: Any) -> None:
        """Write the discriminator alone as an encoder checkpoint for fine-tuning.

        AutoModelForSequenceClassification / ...TokenClassification / ...QuestionAnswering load it;
        ELECTRA fine-tunes the discriminator and discards the generator (§2).
        """
        self.discriminator.save_pretrained(save_directory, **kwargs)
