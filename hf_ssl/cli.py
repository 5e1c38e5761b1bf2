"""The `hf-ssl` command: pretrain, finetune, evaluate, convert, push, bench, and the demo that chains
pretraining and fine-tuning on the embedded corpus."""

# The module docstring is the `hf-ssl --help` description. This module only reads the command line:
# each verb is a function of hf_ssl.recipes (or of the Hub, conversion and bench modules).

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

from .logging import set_format, set_verbosity_info
from .recipes import (
    CURVES,
    PRETRAINABLE,
    RESULTS,
    FinetuneSettings,
    PretrainSettings,
    default_output,
    demo,
    evaluate_classifier,
    finetune,
    pretrain,
    results_table,
    task_directory,
)


def _add_overwrite(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a non-empty output directory: the run's files replace their namesakes, others stay",
    )


def _add_pretrain_args(parser: argparse.ArgumentParser) -> None:
    d = PretrainSettings()
    parser.add_argument("--model", choices=list(PRETRAINABLE), default=d.model)
    parser.add_argument("--preset", default=d.preset, help="size: tiny, mini, small, medium, base, large")
    parser.add_argument(
        "--corpus", default=None, help="a .txt/.jsonl file or a folder (default: embedded Moby-Dick)"
    )
    parser.add_argument("--output", default=None, help="model directory (default runs/<model>-<preset>)")
    parser.add_argument("--vocab-size", type=int, default=d.vocab_size)
    parser.add_argument("--seq-len", type=int, default=d.seq_len)
    parser.add_argument("--batch-size", type=int, default=d.batch_size)
    parser.add_argument("--steps", type=int, default=d.steps)
    parser.add_argument("--learning-rate", type=float, default=d.learning_rate)
    parser.add_argument(
        "--dropout",
        type=_dropout,
        default=d.dropout,
        help="the network's dropout while pretraining; 'family' keeps the family's own",
    )
    parser.add_argument("--seed", type=int, default=d.seed)
    _add_overwrite(parser)


def _dropout(text: str) -> float | None:
    """--dropout: a probability, or 'family' for the family's own default."""
    if text == "family":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a probability; expected a number in [0, 1), or 'family'"
        ) from None


def _pretrain_settings(args: argparse.Namespace) -> PretrainSettings:
    return PretrainSettings(
        model=args.model,
        preset=args.preset,
        corpus=args.corpus,
        output=args.output or default_output(args.model, args.preset),
        vocab_size=args.vocab_size,
        seq_len=args.seq_len,
        batch_size=args.batch_size,
        steps=args.steps,
        learning_rate=args.learning_rate,
        dropout=args.dropout,
        seed=args.seed,
        overwrite=args.overwrite,
    )


def _add_finetune_args(parser: argparse.ArgumentParser, *, files: bool = True) -> None:
    d = FinetuneSettings()
    if files:
        parser.add_argument("--model-dir", required=True, help="a directory written by `hf-ssl pretrain`")
        parser.add_argument("--train-file", required=True, help="CSV/TSV/JSONL with text and label columns")
        parser.add_argument("--eval-file", required=True)
        parser.add_argument("--output", required=True)
        parser.add_argument("--text-column", default=d.text_column)
        parser.add_argument("--text-pair-column", default=None, help="second segment for sentence-pair tasks")
        parser.add_argument("--label-column", default=d.label_column)
        parser.add_argument("--seed", type=int, default=d.seed)
        _add_overwrite(parser)
    parser.add_argument("--epochs", type=float, default=d.epochs)
    parser.add_argument("--finetune-batch-size", type=int, default=d.batch_size)
    parser.add_argument("--finetune-learning-rate", type=float, default=d.learning_rate)


class _DefaultsShown(argparse.HelpFormatter):
    """--help lists every option's default, with or without a help text (argparse's own
    ArgumentDefaultsHelpFormatter skips options that have none, and prints "default: None")."""

    def _format_action(self, action: argparse.Action) -> str:
        if action.option_strings and action.default not in (None, False, argparse.SUPPRESS):
            text = action.help or ""
            if "default" not in text:
                action = copy.copy(action)
                action.help = f"{text} (default: %(default)s)".strip()
        return super()._format_action(action)


def _verb(commands: Any, name: str, *, help: str) -> argparse.ArgumentParser:
    """A subcommand whose --help shows every option's default and takes --json FILE."""
    parser: argparse.ArgumentParser = commands.add_parser(name, help=help, formatter_class=_DefaultsShown)
    parser.add_argument(
        "--json",
        default=None,
        metavar="FILE",
        help="also write the results here as JSON (atomically), apart from the progress on stderr",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hf-ssl", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    _add_pretrain_args(_verb(commands, "pretrain", help="train a tokenizer and a model from scratch"))
    _add_finetune_args(
        _verb(commands, "finetune", help="fine-tune a pretrained directory on a classification task")
    )
    bench = _verb(commands, "bench", help="speed and memory against the transformers twin, as ratios")
    bench.add_argument(
        "--model", action="append", required=True, help="repeatable; e.g. bert-small, gpt2-small"
    )
    bench.add_argument("--quick", action="store_true", help="3 rounds instead of 7 (under 3 minutes a model)")
    bench.add_argument("--markdown", default=None, help="write a table of the ratios here")
    evaluate = _verb(
        commands, "evaluate", help="score a fine-tuned classifier on a labelled file with offline metrics"
    )
    evaluate.add_argument("--model-dir", required=True, help="a directory written by `hf-ssl finetune`")
    evaluate.add_argument("--eval-file", required=True, help="CSV/TSV/JSONL with text and label columns")
    evaluate.add_argument("--text-column", default="text")
    evaluate.add_argument("--text-pair-column", default=None, help="second segment for sentence-pair tasks")
    evaluate.add_argument("--label-column", default="label")
    evaluate.add_argument(
        "--task", default=None, help="a GLUE task name (cola, mrpc, stsb, ...) for its metrics"
    )
    push = _verb(commands, "push", help="upload a saved checkpoint directory to the Hub (checked first)")
    push.add_argument("model_dir", help="a directory written by save_pretrained or `hf-ssl pretrain`")
    push.add_argument("repo_id", help="org/name on the Hub")
    push.add_argument("--private", action="store_true")
    push.add_argument("--revision", default=None, help="branch to commit to (default: main)")
    push.add_argument("--commit-message", default=None)
    convert = _verb(
        commands,
        "convert",
        help="convert a checkpoint directory between transformers and hf_ssl (same numbers)",
    )
    convert.add_argument("source", help="a directory written by save_pretrained")
    convert.add_argument("output", help="where to write the converted checkpoint (atomically)")
    convert.add_argument(
        "--to",
        choices=["hf_ssl", "transformers"],
        default="hf_ssl",
        help="hf_ssl: read a transformers checkpoint (default); transformers: export an hf_ssl one",
    )
    _add_overwrite(convert)
    demo_command = _verb(
        commands,
        "demo",
        help="pretrain on the embedded corpus, then fine-tune on sentence mood from it and from scratch (3 seeds)",
    )
    _add_pretrain_args(demo_command)
    _add_finetune_args(demo_command, files=False)
    args = parser.parse_args(argv)
    # hf_ssl's own progress at INFO; the root logger stays untouched, so the Hub client's and other
    # libraries' INFO records (one per HTTP request) are not echoed.
    set_verbosity_info()
    set_format("%(asctime)s %(name)s: %(message)s")

    result: Any
    if args.command == "pretrain":
        result = pretrain(_pretrain_settings(args))
    elif args.command == "finetune":
        result = finetune(
            _finetune_settings(
                args,
                model_dir=args.model_dir,
                train_file=args.train_file,
                eval_file=args.eval_file,
                output=args.output,
                text_column=args.text_column,
                text_pair_column=args.text_pair_column,
                label_column=args.label_column,
            )
        )
    elif args.command == "bench":
        result = _bench(args)
    elif args.command == "evaluate":
        result = evaluate_classifier(
            args.model_dir,
            args.eval_file,
            text_column=args.text_column,
            text_pair_column=args.text_pair_column,
            label_column=args.label_column,
            task=args.task,
        )
    elif args.command == "push":
        from .hub.push import push_directory

        result = push_directory(
            args.model_dir,
            args.repo_id,
            private=args.private,
            revision=args.revision,
            commit_message=args.commit_message,
        )
    elif args.command == "convert":
        from .conversion import convert_directory

        result = convert_directory(args.source, args.output, to=args.to, overwrite=args.overwrite)
    else:
        settings = _pretrain_settings(args)
        result = demo(
            settings,
            epochs=args.epochs,
            batch_size=args.finetune_batch_size,
            learning_rate=args.finetune_learning_rate,
        )
    text = json.dumps(result, indent=2, default=str)
    if args.json:
        _write_text(args.json, text + "\n")
    if args.command == "demo":
        print(results_table(result["summary"]))
        print(f"\nmodel: {settings.output}; runs, {CURVES} and {RESULTS}: {task_directory(settings.output)}")
    else:
        print(text)
    return 0


def _finetune_settings(args: argparse.Namespace, **fields: str | None) -> FinetuneSettings:
    """Fine-tuning settings from the shared command-line options plus the given files and paths."""
    return FinetuneSettings(
        epochs=args.epochs,
        batch_size=args.finetune_batch_size,
        learning_rate=args.finetune_learning_rate,
        seed=args.seed,
        overwrite=args.overwrite,
        **fields,  # type: ignore[arg-type]
    )


def _bench(args: argparse.Namespace) -> dict | list:
    from .bench import benchmark, markdown_table

    results = [benchmark(name, quick=args.quick) for name in args.model]
    if args.markdown:
        _write_text(args.markdown, markdown_table(results) + "\n")
    return results if len(results) > 1 else results[0]


def _write_text(path: str, text: str) -> None:
    """Write `text` to `path` atomically: a reader sees the old file or the new one, whole."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(text)
    temporary.replace(target)


def run(argv: list[str] | None = None) -> int:
    """The console entry point: `main`, with a user's mistake (a missing file, a bad value, a
    damaged checkpoint) reported in one line instead of a traceback. Programs call `main`, which raises."""
    try:
        return main(argv)
    except (ValueError, OSError) as error:
        command = (argv if argv is not None else sys.argv[1:])[:1]
        print(f"hf-ssl {' '.join(command)}: error: {error}".replace("  ", " "), file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(run())
