"""MASS (Song et al. 2019): masked sequence-to-sequence pretraining on BART's encoder-decoder."""

from .configuration_mass import MassConfig
from .modeling_mass import MassForConditionalGeneration, MassModel

__all__ = ["MassConfig", "MassForConditionalGeneration", "MassModel"]
