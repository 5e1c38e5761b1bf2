"""Saved checkpoints carry a full auto_map and their modeling code: they load through remote code on
a machine that has only transformers and torch, with the outputs hf_ssl computes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM
from transformers.dynamic_module_utils import get_imports, get_relative_import_files

import hf_ssl
from hf_ssl.hub import REMOTE_MODULE, auto_map_for
from hf_ssl.hub.remote_code import remote_code_files
from tests.models.tiny import LENGTHS, TINY_CONFIGS, make_inputs, make_model

from .isolated import run_python

# Families checked end to end without hf_ssl (every head, forward with labels, generate, re-save).
# TagLM is left out: its tagger builds its language model by model_type through transformers' Auto
# registry (`CONFIG_MAPPING`), which knows hf_ssl's families only once hf_ssl is imported.
FAMILIES = tuple(family for family in TINY_CONFIGS if family != "taglm")
# The same code and weights; Switch's routed logits (magnitude ~2) differ in the last bits between
# two processes, hence a relative tolerance of the same size.
ATOL = RTOL = 1e-6

# Runs in the isolated interpreter: load every case through remote code, write its outputs.
LOAD_AND_RUN = """
import json
import sys

import torch
import transformers

cases = json.loads(open(sys.argv[1]).read())


def tensors(output, prefix=""):
    found = {}
    for key, value in (output.items() if hasattr(output, "items") else enumerate(output)):
        if isinstance(value, torch.Tensor):
            found[f"{prefix}{key}"] = value
        elif isinstance(value, (tuple, list)):
            found.update(tensors(value, f"{prefix}{key}."))
    return found


for case in cases:
    auto_class = getattr(transformers, case["auto_class"])
    model = auto_class.from_pretrained(case["directory"], trust_remote_code=True).eval()
    assert type(model).__module__.startswith("transformers_modules."), type(model).__module__
    assert type(model).__name__ == case["model_class"], type(model).__name__
    inputs = torch.load(case["inputs"], weights_only=True)
    torch.manual_seed(0)  # ELECTRA's generator samples its replacements
    with torch.no_grad():
        found = tensors(model(**inputs))
        if case["generate"]:
            prompt = inputs["input_ids"][:1, : case["prompt_length"]]
            found["generated"] = model.generate(
                input_ids=prompt, max_new_tokens=4, do_sample=False, num_beams=1
            )
    if case["resave"]:  # transformers' own save of the remote class, then a second load from it
        model.save_pretrained(case["resave"])
        again = auto_class.from_pretrained(case["resave"], trust_remote_code=True).eval()
        torch.manual_seed(0)
        with torch.no_grad():
            found.update({f"resaved.{k}": v for k, v in tensors(again(**inputs)).items()})
    torch.save(found, case["outputs"])
assert "hf_ssl" not in sys.modules
print("ran", len(cases))
"""


def _tensors(output: object, prefix: str = "") -> dict[str, torch.Tensor]:
    found: dict[str, torch.Tensor] = {}
    items = output.items() if hasattr(output, "items") else enumerate(output)  # type: ignore[attr-defined]
    for key, value in items:
        if isinstance(value, torch.Tensor):
            found[f"{prefix}{key}"] = value
        elif isinstance(value, (tuple, list)):
            found.update(_tensors(value, f"{prefix}{key}."))
    return found


def _cases(family: str, root: Path) -> tuple[list[dict], dict[str, dict[str, torch.Tensor]]]:
    """Save one checkpoint per head of `family`; the cases for LOAD_AND_RUN and the expected outputs."""
    cases, expected = [], {}
    heads = hf_ssl.AUTO_CLASSES[type(TINY_CONFIGS[family])]
    seen: set[type] = set()
    for auto_class, model_class in heads.items():
        if model_class in seen:
            continue
        seen.add(model_class)
        name = model_class.__name__
        model = make_model(family, model_class).eval()
        inputs = make_inputs(model, labels=True)
        model.save_pretrained(root / name)
        generate = auto_class in (AutoModelForCausalLM, AutoModelForSeq2SeqLM)
        torch.manual_seed(0)  # ELECTRA's generator samples its replacements
        with torch.no_grad():
            expected[name] = _tensors(model(**inputs))
            if generate:
                prompt = inputs["input_ids"][:1, : LENGTHS[0]]
                expected[name]["generated"] = model.generate(
                    input_ids=prompt, max_new_tokens=4, do_sample=False, num_beams=1
                )
        torch.save(inputs, root / f"{name}.inputs.pt")
        cases.append(
            {
                "auto_class": auto_class.__name__,
                "model_class": name,
                "directory": str(root / name),
                "inputs": str(root / f"{name}.inputs.pt"),
                "outputs": str(root / f"{name}.outputs.pt"),
                "generate": generate,
                "prompt_length": LENGTHS[0],
                "resave": str(root / f"{name}.resaved") if not cases else "",
            }
        )
    return cases, expected


def _named(case: dict, key: str):
    return lambda detail: f"{case['model_class']} {key}: {detail}"


def _run_cases(cases: list[dict], workdir: Path):
    (workdir / "cases.json").parent.mkdir(parents=True, exist_ok=True)
    (workdir / "cases.json").write_text(json.dumps(cases))
    return run_python(LOAD_AND_RUN, workdir / "isolated", args=(str(workdir / "cases.json"),))


@pytest.mark.parametrize("config_class", list(hf_ssl.AUTO_CLASSES))
def test_auto_map_names_the_config_and_every_registered_head(config_class):
    auto_map = auto_map_for(config_class)
    heads = hf_ssl.AUTO_CLASSES[config_class]
    assert auto_map["AutoConfig"] == f"{REMOTE_MODULE}.{config_class.__name__}"
    assert {k for k in auto_map if k not in ("AutoConfig", "AutoTokenizer")} == {
        auto.__name__ for auto in heads
    }
    tokenizer = auto_map.get("AutoTokenizer")
    assert tokenizer == (
        [f"{REMOTE_MODULE}.ElmoTokenizer", None] if config_class is hf_ssl.ElmoConfig else None
    )


@pytest.mark.parametrize("family", FAMILIES)
def test_the_remote_code_files_import_no_hf_ssl_and_carry_every_relative_import(family, tmp_path):
    config_class = type(TINY_CONFIGS[family])
    files = remote_code_files(config_class)
    assert files == remote_code_files(config_class)  # deterministic
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    for name in files:
        assert "hf_ssl" not in get_imports(tmp_path / name), name
    reached = {Path(p).name for p in get_relative_import_files(tmp_path / f"{REMOTE_MODULE}.py")}
    assert reached | {f"{REMOTE_MODULE}.py"} == set(files)
    entry = files[f"{REMOTE_MODULE}.py"]
    for value in auto_map_for(config_class).values():
        class_name = value[0] if isinstance(value, list) else value
        assert f" {class_name.split('.')[1]}" in entry


def test_remote_code_leaves_out_the_hub_the_recipes_and_the_conversion_layers():
    names = set(remote_code_files(hf_ssl.BertConfig))
    assert not {n for n in names if n.startswith(("hf_ssl_hub", "hf_ssl_recipes", "hf_ssl_conversion"))}
    assert "hf_ssl_io.py" not in names and "hf_ssl___init__.py" not in names and "hf_ssl.py" not in names
    assert "hf_ssl_models_bert___init__.py" not in names and "hf_ssl_models_bert.py" not in names
    base = remote_code_files(hf_ssl.BertConfig)["hf_ssl_models_base.py"]
    assert "class HfSslPreTrainedModel(PreTrainedModel):" in base


def test_the_isolated_interpreter_cannot_import_hf_ssl(tmp_path):
    script = "import hf_ssl\nprint(hf_ssl.__file__)\n"
    assert run_python(script, tmp_path / "open", block_hf_ssl=False).returncode == 0  # installed here
    blocked = run_python(script, tmp_path / "blocked")
    assert blocked.returncode != 0
    assert "ModuleNotFoundError: No module named 'hf_ssl'" in blocked.stderr
    submodule = run_python("import hf_ssl.layers.attention\n", tmp_path / "submodule")
    assert "No module named 'hf_ssl" in submodule.stderr


@pytest.mark.parametrize("family", FAMILIES)
def test_every_head_loads_without_hf_ssl_with_identical_outputs(family, tmp_path):
    cases, expected = _cases(family, tmp_path)
    done = _run_cases(cases, tmp_path)
    assert done.returncode == 0, done.stderr[-4000:]
    for case in cases:
        found = torch.load(case["outputs"], weights_only=True)
        want = expected[case["model_class"]]
        assert set(want) <= set(found), (case["model_class"], sorted(set(want) - set(found)))
        for key, value in want.items():
            torch.testing.assert_close(found[key], value, rtol=RTOL, atol=ATOL, msg=_named(case, key))
            if case["resave"] and f"resaved.{key}" in found:
                torch.testing.assert_close(found[f"resaved.{key}"], value, rtol=RTOL, atol=ATOL)
        if case["resave"]:
            assert any(k.startswith("resaved.") for k in found)
            assert (Path(case["resave"]) / f"{REMOTE_MODULE}.py").is_file()


def test_a_checkpoint_with_the_one_line_module_fails_without_hf_ssl(tmp_path):
    """The check above can fail: the former `from hf_ssl import *` module needs the package."""
    cases, _ = _cases("bert", tmp_path)
    cases = cases[:1]
    remote = Path(cases[0]["directory"]) / f"{REMOTE_MODULE}.py"
    remote.write_text("from hf_ssl import *  # noqa: F403\n")
    done = _run_cases(cases, tmp_path)
    assert done.returncode != 0
    assert "requires the following packages that were not found in your environment: hf_ssl" in done.stderr


def test_a_saved_checkpoint_loads_its_own_code_where_hf_ssl_is_installed_but_not_imported(tmp_path):
    model = hf_ssl.BertForMaskedLM(TINY_CONFIGS["bert"])
    model.save_pretrained(tmp_path / "model")
    saved = json.loads((tmp_path / "model" / "config.json").read_text())
    assert (
        saved["auto_map"]["AutoModelForSequenceClassification"]
        == f"{REMOTE_MODULE}.BertForSequenceClassification"
    )
    assert set(remote_code_files(hf_ssl.BertConfig)) <= {p.name for p in (tmp_path / "model").iterdir()}
    script = (
        "import sys\n"
        "from transformers import AutoModelForSequenceClassification\n"
        f"model = AutoModelForSequenceClassification.from_pretrained({str(tmp_path / 'model')!r}, "
        "trust_remote_code=True, num_labels=3)\n"
        "assert 'hf_ssl' not in sys.modules  # the checkpoint's code, not the installed package\n"
        "print(type(model).__module__ + '.' + type(model).__name__)\n"
    )
    done = run_python(script, tmp_path / "run", block_hf_ssl=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().startswith("transformers_modules.")
    assert done.stdout.strip().endswith(f"{REMOTE_MODULE}.BertForSequenceClassification")


def test_where_hf_ssl_is_imported_its_registered_classes_are_used(tmp_path):
    from transformers import AutoModelForMaskedLM

    hf_ssl.BertForMaskedLM(TINY_CONFIGS["bert"]).save_pretrained(tmp_path / "model")
    loaded = AutoModelForMaskedLM.from_pretrained(tmp_path / "model", trust_remote_code=True)
    assert type(loaded) is hf_ssl.BertForMaskedLM


def test_an_elmo_checkpoint_carries_its_tokenizer(tmp_path):
    """AutoTokenizer on an ELMo directory, on a machine without hf_ssl: the same character ids."""
    model = hf_ssl.ElmoModel(TINY_CONFIGS["elmo"])
    model.save_pretrained(tmp_path / "elmo")
    script = (
        "import sys, torch\n"
        "from transformers import AutoTokenizer\n"
        "tokenizer = AutoTokenizer.from_pretrained(sys.argv[1], trust_remote_code=True)\n"
        "torch.save(dict(tokenizer(['Call me Ishmael.', 'Some years ago'], padding=True, return_tensors='pt')), sys.argv[2])\n"
    )
    done = run_python(script, tmp_path / "isolated", args=(str(tmp_path / "elmo"), str(tmp_path / "ids.pt")))
    assert done.returncode == 0, done.stderr[-4000:]
    found = torch.load(tmp_path / "ids.pt", weights_only=True)
    expected = hf_ssl.ElmoTokenizer()(
        ["Call me Ishmael.", "Some years ago"], padding=True, return_tensors="pt"
    )
    for key in ("input_ids", "attention_mask"):
        torch.testing.assert_close(found[key], expected[key], rtol=0, atol=0)
