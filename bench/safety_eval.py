"""Safety routes on the real stack, for the corpus and the blind set (run on demand).

Every message is sent as the first message of a new conversation through the public API
(the served model, patterns and classifier), and the route the user sees is compared with
the one its label asks for (tests/support/safety_routes.py). The blind set
(tests/safety_blind/blind_set.yml) was written by an author who saw neither the patterns
nor the corpus; it is only reported on, never used to write patterns or examples. It was
measured four times in the session that wrote the safety layer, so it is reported as
"used"; so are tests/safety_blind/blind_set_v2.yml to blind_set_v6.yml, whose misses
were read to write the fourth to eighth rounds of patterns.
tests/safety_blind/blind_set_v8.yml was measured several times while choosing between
options, so it is "used" too (its misses are listed here, never read to write patterns).
tests/safety_blind/blind_set_v9.yml, written later the same way, is the blind set.
The development sets (tests/safety_dev/, four more outside authors; the fourth was blind
set v7) were read to find gaps and choose the classifier's thresholds, and are reported
for comparison.

For each kind: recall (the right route, or for crisis any route with the contacts and a
direct question) and, for near misses, the share sent to an alarm (the crisis flow,
overdose advice or emergency/urgent care) or to a concern's direct question. The misses
are listed by message. Writes bench/results/safety_eval.md.

Usage: python -m bench.safety_eval
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.nlu.safety_corpus import DEVELOPMENT_DIR, Example, load_corpus, load_outside_set
from tests.support.safety_routes import ALARMS, right_route, route
from tests.support.stack import ChatClient, Stack

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "safety_eval.md"
BLIND_DIR = ROOT / "tests" / "safety_blind"
# The outside authors' sets, in the report's order: (heading, file). The blind set first;
# a set whose misses were read to write patterns is "used".
OUTSIDE_SETS = (
    ("Blind set v9", BLIND_DIR / "blind_set_v9.yml"),
    ("Blind set v8, used", BLIND_DIR / "blind_set_v8.yml"),
    ("Blind set v6, used", BLIND_DIR / "blind_set_v6.yml"),
    ("Blind set v5, used", BLIND_DIR / "blind_set_v5.yml"),
    ("Blind set v4, used", BLIND_DIR / "blind_set_v4.yml"),
    ("Blind set v3, used", BLIND_DIR / "blind_set_v3.yml"),
    ("Blind set v2, used", BLIND_DIR / "blind_set_v2.yml"),
    ("Development set", DEVELOPMENT_DIR / "external_dev.yml"),
    ("Development set 2", DEVELOPMENT_DIR / "external_dev_2.yml"),
    ("Development set 3", DEVELOPMENT_DIR / "external_dev_3.yml"),
    ("Development set 4 (was blind set v7)", DEVELOPMENT_DIR / "external_dev_4.yml"),
    ("Blind set v1, used", BLIND_DIR / "blind_set.yml"),
)


def run(stack: Stack, examples: list[Example]) -> list[tuple[Example, str, str | None]]:
    def send(example: Example):
        got, category = route(ChatClient(stack.api_url).say(example.text))
        return example, got, category

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(send, examples))


def table(results: list[tuple[Example, str, str | None]]) -> tuple[list[str], list[str]]:
    by_kind: dict[str, list] = defaultdict(list)
    for example, got, category in results:
        by_kind[example.kind].append((example, got, category))
    rows, misses = [], []
    risk_total = risk_right = 0
    # The recall: crisis (direct or indirect), overdose and red flags, where a
    # direct crisis that gets the direct question with the contacts counts as help given.
    helped = total = 0
    for kind in sorted(by_kind):
        items = by_kind[kind]
        right = [i for i in items if right_route(kind, i[0].category, i[1], i[2])]
        if kind == "none":
            alarms = [i for i in items if i[1] in ALARMS]
            concerns = [i for i in items if i[1] == "concern"]
            rows.append(
                f"| near misses | {len(items)} | — | alarms {len(alarms)} "
                f"({len(alarms) / len(items):.1%}), concern questions {len(concerns)} "
                f"({len(concerns) / len(items):.1%}) |"
            )
            misses += [f"- near miss → {got}: {e.text}" for e, got, _ in alarms + concerns]
            continue
        caught = [i for i in items if i[1] not in ("none", "light_check")]
        if kind in ("crisis", "concern", "overdose", "red_flag"):
            total += len(items)
            helped += sum(
                right_route(kind, e.category, got, c) or (kind == "crisis" and got == "concern")
                for e, got, c in items
            )
        risk_total += len(items)
        risk_right += len(right)
        rows.append(
            f"| {kind} | {len(items)} | {len(right) / len(items):.1%} | "
            f"any safety reply {len(caught) / len(items):.1%} |"
        )
        misses += [
            f"- {e.label} → {got}{':' + c if c else ''}: {e.text}"
            for e, got, c in items
            if not right_route(kind, e.category, got, c)
        ]
    rows.append(f"| all risk kinds | {risk_total} | {risk_right / risk_total:.1%} | |")
    rows.append(
        f"| crisis + overdose + red flags, help given | {total} | {helped / total:.1%} | "
        f"{helped}/{total} |"
    )
    for category in sorted({e.category for e, _, _ in by_kind.get("red_flag", [])}):
        items = [i for i in by_kind["red_flag"] if i[0].category == category]
        right = [i for i in items if right_route("red_flag", category, i[1], i[2])]
        exact = [i for i in items if i[2] == category]
        rows.append(
            f"| red flag: {category} | {len(items)} | {len(right) / len(items):.0%} | "
            f"exact category {len(exact)}/{len(items)} |"
        )
    return rows, misses


def main() -> int:
    stack = Stack().start()
    try:
        sections = []
        outside = [
            (f"{heading} ({path.relative_to(ROOT)})", load_outside_set(path))
            for heading, path in OUTSIDE_SETS
        ]
        for name, examples in (*outside, ("Corpus", load_corpus())):
            rows, misses = table(run(stack, examples))
            sections.append(
                f"## {name} ({len(examples)} messages, first message of a conversation)\n\n"
                "| kind | n | right route | notes |\n|---|---|---|---|\n"
                + "\n".join(rows)
                + "\n\nMisses:\n\n"
                + ("\n".join(misses) or "- none")
                + "\n"
            )
    finally:
        stack.stop()
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    OUT.write_text(f"# Safety routes on the served stack ({stamp})\n\n" + "\n".join(sections))
    print(OUT.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
