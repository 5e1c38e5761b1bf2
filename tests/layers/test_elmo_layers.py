"""ELMo's shared layers: char CNN, highway, projected/clipped LSTM (+ stack, reverse), scalar mix."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from hf_ssl.layers.char_cnn import CharacterCNN
from hf_ssl.layers.highway import TRANSFORM_GATE_BIAS, Highway
from hf_ssl.layers.lstm import LSTMStack, ProjectedLSTM, reverse_padded
from hf_ssl.layers.scalar_mix import ScalarMix


def test_char_cnn_max_pools_each_width_then_applies_the_activation():
    torch.manual_seed(0)
    cnn = CharacterCNN(20, 4, [[1, 3], [3, 5]], activation="tanh")
    ids = torch.randint(1, 20, (2, 6, 8))
    out = cnn(ids)
    assert out.shape == (2, 6, 8)
    chars = cnn.embedding(ids.view(-1, 8)).transpose(1, 2)  # (n, d, c)
    expected = torch.cat([torch.tanh(conv(chars).max(dim=-1).values) for conv in cnn.convolutions], -1)
    torch.testing.assert_close(out.view(-1, 8), expected)


def test_char_cnn_rejects_words_narrower_than_the_widest_filter_and_bad_filters():
    cnn = CharacterCNN(20, 4, [[1, 3], [5, 5]])
    with pytest.raises(ValueError, match="widest filter"):
        cnn(torch.ones(1, 2, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="width, count"):
        CharacterCNN(20, 4, [[0, 3]])
    with pytest.raises(ValueError, match="activation"):
        CharacterCNN(20, 4, [[1, 3]], activation="gelu")


def test_highway_is_the_identity_with_a_closed_gate_and_the_transform_with_an_open_one():
    torch.manual_seed(0)
    highway = Highway(6, 1)
    assert torch.all(highway.gates[0].bias == TRANSFORM_GATE_BIAS)
    x = torch.randn(3, 6)
    with torch.no_grad():
        highway.gates[0].weight.zero_()
        highway.gates[0].bias.fill_(-50.0)
        torch.testing.assert_close(highway(x), x)
        highway.gates[0].bias.fill_(50.0)
        torch.testing.assert_close(highway(x), torch.relu(highway.transforms[0](x)))


def _lstm_pair(cell_clip=None, proj_clip=None, seed=0):
    torch.manual_seed(seed)
    ours = ProjectedLSTM(5, 8, 4, cell_clip=cell_clip, proj_clip=proj_clip)
    reference = nn.LSTM(5, 8, proj_size=4, batch_first=True)
    with torch.no_grad():
        reference.weight_ih_l0.copy_(ours.input_linear.weight)
        reference.weight_hh_l0.copy_(ours.state_linear.weight)
        reference.bias_ih_l0.zero_()
        reference.bias_hh_l0.copy_(ours.state_linear.bias)
        reference.weight_hr_l0.copy_(ours.projection.weight)
    return ours, reference


@torch.no_grad()
def test_projected_lstm_without_clipping_equals_torch_lstm_with_proj_size():
    ours, reference = _lstm_pair()
    x = torch.randn(2, 7, 5)
    out, (h, c) = ours(x, torch.ones(2, 7))
    expected, (h_ref, c_ref) = reference(x)
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(h, h_ref[0], atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(c, c_ref[0], atol=1e-6, rtol=1e-5)


@torch.no_grad()
def test_projected_lstm_clips_the_cell_and_the_projected_state():
    ours, _ = _lstm_pair(cell_clip=0.3, proj_clip=0.05)
    for p in ours.parameters():
        p.mul_(20)  # saturate: unclipped values would be far larger
    x = torch.randn(2, 6, 5) * 5
    out, (h, c) = ours(x, torch.ones(2, 6))
    assert out.abs().max() <= 0.05 + 1e-7 and h.abs().max() <= 0.05 + 1e-7
    assert c.abs().max() <= 0.3 + 1e-7
    assert out.abs().max() > 0.04  # the clip is reached, not trivially satisfied
    unclipped, _ = _lstm_pair()
    unclipped.load_state_dict(ours.state_dict())
    assert unclipped(x, torch.ones(2, 6))[0].abs().max() > 0.05


def test_reverse_padded_reverses_within_each_length_and_is_its_own_inverse():
    x = torch.arange(8).view(2, 4, 1).float()
    lengths = torch.tensor([4, 2])
    reversed_ = reverse_padded(x, lengths)
    assert reversed_[:, :, 0].tolist() == [[3, 2, 1, 0], [5, 4, 6, 7]]
    torch.testing.assert_close(reverse_padded(reversed_, lengths), x)


@pytest.mark.parametrize("reverse", [False, True])
@torch.no_grad()
def test_lstm_stack_padded_batch_equals_each_row_run_alone(reverse):
    torch.manual_seed(0)
    stack = LSTMStack(2, 4, 8, 4, cell_clip=3.0, proj_clip=3.0, reverse=reverse).eval()
    lengths = [5, 3, 1]
    x = torch.randn(3, 5, 4)
    mask = (torch.arange(5) < torch.tensor(lengths)[:, None]).long()
    outputs, finals = stack(x, mask)
    for row, n in enumerate(lengths):
        alone, alone_finals = stack(x[row : row + 1, :n], mask[row : row + 1, :n])
        for layer, layer_alone in zip(outputs, alone, strict=True):
            torch.testing.assert_close(layer[row : row + 1, :n], layer_alone, atol=1e-6, rtol=1e-5)
            assert torch.all(layer[row, n:] == 0)
        for (h, c), (h1, c1) in zip(finals, alone_finals, strict=True):
            torch.testing.assert_close(h[row : row + 1], h1, atol=1e-6, rtol=1e-5)
            torch.testing.assert_close(c[row : row + 1], c1, atol=1e-6, rtol=1e-5)


@torch.no_grad()
def test_backward_stack_equals_the_forward_stack_on_the_flipped_sentence():
    torch.manual_seed(0)
    forward = LSTMStack(2, 4, 8, 4)
    backward = LSTMStack(2, 4, 8, 4, reverse=True)
    backward.load_state_dict(forward.state_dict())
    x = torch.randn(1, 6, 4)
    mask = torch.ones(1, 6)
    flipped = forward(x.flip(1), mask)[0]
    for a, b in zip(backward(x, mask)[0], flipped, strict=True):
        torch.testing.assert_close(a, b.flip(1))


@torch.no_grad()
def test_skip_connection_adds_each_layer_input_except_the_first():
    torch.manual_seed(0)
    skip = LSTMStack(3, 4, 8, 4, skip_connections=True)
    plain = LSTMStack(3, 4, 8, 4, skip_connections=False)
    plain.load_state_dict(skip.state_dict())
    x, mask = torch.randn(2, 5, 4), torch.ones(2, 5)
    outputs = skip(x, mask)[0]
    torch.testing.assert_close(outputs[0], plain(x, mask)[0][0])  # no skip from the input
    for index in (1, 2):
        layer_alone = skip.layers[index](outputs[index - 1], mask)[0]
        torch.testing.assert_close(outputs[index], layer_alone + outputs[index - 1])


def test_scalar_mix_starts_as_the_mean_and_learns_softmax_weights():
    torch.manual_seed(0)
    layers = [torch.randn(2, 3, 4) for _ in range(3)]
    mix = ScalarMix(3)
    torch.testing.assert_close(mix(layers), torch.stack(layers).mean(0))
    with torch.no_grad():
        mix.weights.copy_(torch.tensor([0.0, 1.0, 2.0]))
        mix.gamma.fill_(2.0)
    w = torch.softmax(torch.tensor([0.0, 1.0, 2.0]), 0)
    torch.testing.assert_close(mix(layers), 2.0 * sum(wi * li for wi, li in zip(w, layers, strict=True)))
    torch.testing.assert_close(mix.l2_penalty(), torch.tensor(5.0))


def test_scalar_mix_layer_norm_uses_the_masked_statistics_of_the_whole_batch():
    torch.manual_seed(0)
    layer = torch.randn(2, 4, 3)
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])
    mix = ScalarMix(1, do_layer_norm=True)
    real = layer[mask.bool()]  # (5, 3): every unmasked element of the batch
    expected = (layer - real.mean()) / torch.sqrt(real.var(unbiased=False) + 1e-12)
    torch.testing.assert_close(mix([layer], mask), expected)
    with pytest.raises(ValueError, match="needs the mask"):
        mix([layer])
