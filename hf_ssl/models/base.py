"""`HfSslPreTrainedModel`: the base every hf_ssl model family's PreTrainedModel derives from.

It adds to transformers' PreTrainedModel what every family here shares:
- `save_pretrained` in one committed step (`hf_ssl.io.AtomicSaveMixin`, `hf_ssl.saving`);
- `from_pretrained` that checks the files first, is strict about the core network and loads
  transformers' checkpoints of the family directly (`hf_ssl.conversion.LoadsTransformersCheckpoints`);
- `segment_embeddings`: whether the family has token types (the BERT family) or refuses non-zero
  `token_type_ids` (everyone else);
- `init_modules_without_parameters`: run `_init_weights` on every module, see below.
"""

from __future__ import annotations

from typing import ClassVar

from torch import nn
from transformers import PreTrainedModel

from ..conversion import LoadsTransformersCheckpoints
from ..io import AtomicSaveMixin


class HfSslPreTrainedModel(AtomicSaveMixin, LoadsTransformersCheckpoints, PreTrainedModel):
    segment_embeddings: ClassVar[bool] = False
    # transformers, for model code outside its own tree, marks every module without parameters of
    # its own as initialised and skips it. A family whose `_init_weights` initialises by role at the
    # level of such a module (GPT-2's scaled residual projections per layer, T5's per-role inits) sets
    # this, so those branches run; every init then goes through transformers.initialization, which
    # leaves loaded weights alone.
    init_modules_without_parameters: ClassVar[bool] = False

    def _initialize_weights(self, module: nn.Module, is_custom_code: bool = False) -> None:
        custom = is_custom_code and not self.init_modules_without_parameters
        super()._initialize_weights(module, is_custom_code=custom)


__all__ = ["HfSslPreTrainedModel"]
