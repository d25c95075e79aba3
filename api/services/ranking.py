"""Which techniques to suggest: Thompson sampling on the user's own feedback.

Each technique's chance of helping is a Beta distribution: the catalogue's evidence prior
plus this user's "helped" (successes) and "didn't help" (failures). Sampling from it,
rather than taking the mean, keeps trying less-known techniques now and then instead of
repeating the first one that worked.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

log = logging.getLogger("cadence.api.ranking")

TARGETS = ("stress", "sleep", "fatigue", "pain", "mood")
# Added to the sampled probability per target that matches today's check-in: enough to
# favour relevant techniques, not enough to override consistent feedback.
TARGET_BOOST = 0.15


@dataclass(frozen=True)
class Technique:
    id: str
    title: str
    targets: tuple[str, ...]
    alpha: float
    beta: float
    requires_no_pem: bool


class LatestCheckin(Protocol):
    pain: int
    fatigue: int
    sleep_quality: int
    stress: int


# The priors are content, so they live in data/knowledge/techniques.yml (`evidence_prior`),
# next to each technique's sources. A prior Beta(alpha, beta) counts like alpha people saying
# "it helped" and beta saying "it didn't" before this user has answered. The total is 4 to 6
# on purpose: a handful of this person's own answers outweighs it, because what helps them
# matters more than the average trial. How the catalogue's levels line up with its sources
# (the file does not say why it chose each one; this is the reading it follows):
#   4:2 (mean 0.67)  overview of Cochrane reviews plus a NICE NG193 recommendation
#                    (gentle movement; offered only without PEM, see `rank`)
#   3:2 (mean 0.60)  a systematic review or meta-analysis for the symptom it targets, or
#                    a NICE recommendation of the practice itself (energy envelope, NG206)
#   2:2 (mean 0.50)  pilot or preliminary trials, or guideline advice without trials of
#                    the practice itself (worry time, self-compassion, diary, flare plan)
#   2:3 (mean 0.40)  evidence borrowed from a related practice (5-4-3-2-1 grounding,
#                    sourced to mindfulness trials)
# A technique without a prior gets Beta(1, 1): uniform, no claim either way.
def parse_catalogue(document: Any) -> list[Technique]:
    """Accept `{"techniques": [...]}` (the file's shape) or a bare list."""
    entries = document.get("techniques", []) if isinstance(document, dict) else document
    techniques = []
    for entry in entries or []:
        prior = entry.get("evidence_prior") or {}
        techniques.append(
            Technique(
                id=str(entry["id"]),
                title=str(entry.get("title", entry["id"])),
                targets=tuple(t for t in entry.get("targets") or [] if t in TARGETS),
                alpha=float(prior.get("alpha", 1)),
                beta=float(prior.get("beta", 1)),
                requires_no_pem=bool(entry.get("requires_no_pem", False)),
            )
        )
    return techniques


_cache: dict[Path, tuple[float, list[Technique]]] = {}


def load_catalogue(path: Path) -> list[Technique]:
    """The catalogue, re-read only when the file changes; empty if it does not exist yet."""
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        log.warning("technique catalogue %s not found", path)
        return []
    cached = _cache.get(path)
    if cached is None or cached[0] != mtime:
        with path.open(encoding="utf-8") as handle:
            cached = (mtime, parse_catalogue(yaml.safe_load(handle)))
        _cache[path] = cached
    return cached[1]


def targets_for(latest: LatestCheckin | None) -> set[str]:
    if latest is None:
        return set()
    rules = {
        "stress": latest.stress >= 6,
        "sleep": latest.sleep_quality <= 4,
        "fatigue": latest.fatigue >= 7,
        "pain": latest.pain >= 7,
    }
    return {target for target, applies in rules.items() if applies}


def rank(
    catalogue: Sequence[Technique],
    feedback: Mapping[str, tuple[int, int]],
    targets: set[str],
    *,
    pem: bool,
    rng: random.Random,
    limit: int,
) -> list[dict[str, Any]]:
    """Top `limit` techniques, best first. `feedback` maps id → (helped, didn't help)."""
    scored = []
    for technique in catalogue:
        if pem and technique.requires_no_pem:
            continue  # NICE NG206: no activity increases for people with PEM
        helped, not_helped = feedback.get(technique.id, (0, 0))
        sample = rng.betavariate(technique.alpha + helped, technique.beta + not_helped)
        matched = [t for t in technique.targets if t in targets]
        scored.append(
            (sample + TARGET_BOOST * len(matched), technique, matched, helped, not_helped)
        )
    scored.sort(key=lambda item: item[0], reverse=True)
    # Today's check-in decides most of the list: all but one place go to techniques that
    # match its targets (when there are that many). The last place is open to every
    # technique, so one the user keeps saying helps, or an untried one, still shows up.
    relevant, others = [], []
    for item in scored:
        matches_today = bool(item[2])
        (relevant if matches_today and len(relevant) < limit - 1 else others).append(item)
    chosen = sorted(relevant + others[: limit - len(relevant)], key=lambda item: item[0],
                    reverse=True)
    return [
        {
            "id": technique.id,
            "title": technique.title,
            "score": round(score, 4),
            "matched_targets": matched,
            "requires_no_pem": technique.requires_no_pem,
            "helped": helped,
            "not_helped": not_helped,
        }
        for score, technique, matched, helped, not_helped in chosen
    ]
