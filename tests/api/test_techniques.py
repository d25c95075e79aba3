"""Technique feedback and Thompson-sampling suggestions."""

from __future__ import annotations

import random
from collections import Counter
from types import SimpleNamespace

import pytest
import yaml

from api.services import ranking
from tests.api.conftest import REPO_ROOT, SERVICE, checkin_body

CATALOGUE = {
    "schema_version": 1,
    "techniques": [
        {
            "id": "breathing",
            "title": "Paced breathing",
            "targets": ["stress", "sleep"],
            "evidence_prior": {"alpha": 2, "beta": 2},
            "requires_no_pem": False,
        },
        {
            "id": "pacing",
            "title": "Energy envelope",
            "targets": ["fatigue"],
            "evidence_prior": {"alpha": 2, "beta": 2},
            "requires_no_pem": False,
        },
        {
            "id": "walk",
            "title": "Gentle movement",
            "targets": ["pain"],
            "evidence_prior": {"alpha": 2, "beta": 2},
            "requires_no_pem": True,
        },
        {
            "id": "heat",
            "title": "Heat",
            "targets": ["pain"],
            "evidence_prior": {"alpha": 2, "beta": 2},
            "requires_no_pem": False,
        },
    ],
}
TECHNIQUES = ranking.parse_catalogue(CATALOGUE)


def top(feedback=None, targets=frozenset(), pem=False, seed=0, limit=1):
    ranked = ranking.rank(
        TECHNIQUES, feedback or {}, set(targets), pem=pem, rng=random.Random(seed), limit=limit
    )
    return [r["id"] for r in ranked]


def how_often_first(**kwargs) -> Counter:
    return Counter(top(seed=seed, **kwargs)[0] for seed in range(300))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"stress": 6, "sleep_quality": 5, "fatigue": 6, "pain": 6}, {"stress"}),
        ({"stress": 5, "sleep_quality": 4, "fatigue": 6, "pain": 6}, {"sleep"}),
        ({"stress": 5, "sleep_quality": 5, "fatigue": 7, "pain": 6}, {"fatigue"}),
        ({"stress": 5, "sleep_quality": 5, "fatigue": 6, "pain": 7}, {"pain"}),
        (
            {"stress": 10, "sleep_quality": 0, "fatigue": 10, "pain": 10},
            {"stress", "sleep", "fatigue", "pain"},
        ),
        ({"stress": 0, "sleep_quality": 10, "fatigue": 0, "pain": 0}, set()),
    ],
)
def test_targets_from_latest_checkin(values, expected):
    assert ranking.targets_for(SimpleNamespace(**values)) == expected


def test_no_checkin_means_no_targets():
    assert ranking.targets_for(None) == set()


def test_posterior_is_prior_plus_user_feedback():
    class Recording(random.Random):
        calls: list[tuple[float, float]] = []

        def betavariate(self, alpha, beta):
            self.calls.append((alpha, beta))
            return 0.5

    rng = Recording()
    ranking.rank(
        TECHNIQUES, {"breathing": (3, 1), "heat": (0, 4)}, set(), pem=False, rng=rng, limit=4
    )
    assert rng.calls == [(5, 3), (2, 2), (2, 2), (2, 6)]


def test_same_seed_same_order():
    assert top(seed=7, limit=4) == top(seed=7, limit=4)
    orders = {tuple(top(seed=s, limit=4)) for s in range(20)}
    assert len(orders) > 1  # it really samples


def test_pem_excludes_activity_techniques():
    for seed in range(50):
        assert "walk" not in top(pem=True, seed=seed, limit=4)
    assert len(top(pem=True, limit=10)) == 3
    assert "walk" in top(pem=False, limit=4)


def test_feedback_moves_the_ranking():
    plain = how_often_first()
    liked = how_often_first(feedback={"heat": (12, 0)})
    assert plain["heat"] < 100  # about a quarter without feedback
    assert liked["heat"] > 225
    disliked = how_often_first(feedback={"breathing": (0, 12)})
    assert disliked["breathing"] < 5


def test_targets_boost_relevant_techniques():
    plain = how_often_first()
    boosted = how_often_first(targets={"fatigue"})
    assert boosted["pacing"] > plain["pacing"] + 40


def test_all_but_one_suggestion_match_todays_checkin():
    for seed in range(300):
        assert set(top(targets={"pain"}, seed=seed, limit=3)) >= {"walk", "heat"}
        assert top(targets={"fatigue"}, seed=seed, limit=2).count("pacing") == 1


def test_the_open_place_keeps_a_technique_the_user_says_helps():
    def shown(feedback):
        return sum(
            "breathing" in top(targets={"pain"}, feedback=feedback, seed=seed, limit=2)
            for seed in range(300)
        )

    assert shown({}) < 150  # it matches nothing today, so it competes for one place
    assert shown({"breathing": (12, 0)}) > 240


def test_limit_and_shape():
    ranked = ranking.rank(
        TECHNIQUES, {"heat": (1, 2)}, {"pain"}, pem=False, rng=random.Random(1), limit=2
    )
    assert len(ranked) == 2
    assert set(ranked[0]) == {
        "id",
        "title",
        "score",
        "matched_targets",
        "requires_no_pem",
        "helped",
        "not_helped",
    }
    assert ranked[0]["score"] >= ranked[1]["score"]


def test_the_project_catalogue_parses():
    path = REPO_ROOT / "data" / "knowledge" / "techniques.yml"
    if not path.exists():
        pytest.skip("catalogue not written yet")
    techniques = ranking.load_catalogue(path)
    assert techniques
    assert len({t.id for t in techniques}) == len(techniques)
    for technique in techniques:
        assert technique.alpha > 0 and technique.beta > 0
        assert technique.targets


def test_missing_catalogue_is_empty(tmp_path):
    assert ranking.load_catalogue(tmp_path / "nope.yml") == []


# --- endpoints --------------------------------------------------------------------------


@pytest.fixture
def catalogue_file(tmp_path):
    path = tmp_path / "techniques.yml"
    path.write_text(yaml.safe_dump(CATALOGUE))
    return path


@pytest.fixture
def tclient(make_client, catalogue_file):
    return make_client(techniques_file=catalogue_file)


@pytest.fixture
def tinternal(make_internal, catalogue_file):
    """The internal app on the same catalogue: the routes the action server calls."""
    return make_internal(techniques_file=catalogue_file)


def _session(client):
    body = client.post("/api/v1/sessions").json()
    return body["user_id"], {"Authorization": f"Bearer {body['token']}"}


def test_feedback_endpoint(tclient, tinternal):
    user_id, _ = _session(tclient)
    url = "/api/v1/internal/technique-feedback"
    response = tinternal.post(
        url, json={"user_id": user_id, "technique_id": "heat", "helped": True}, headers=SERVICE
    )
    assert response.status_code == 201
    assert response.json()["technique_id"] == "heat" and response.json()["helped"] is True
    for body, code in [
        ({"user_id": user_id, "technique_id": "unknown", "helped": True}, 422),
        ({"user_id": user_id, "technique_id": "Heat!", "helped": True}, 422),
        ({"user_id": user_id, "technique_id": "heat", "helped": "maybe"}, 422),
        ({"user_id": "nobody", "technique_id": "heat", "helped": True}, 404),
    ]:
        assert tinternal.post(url, json=body, headers=SERVICE).status_code == code
    assert (
        tinternal.post(
            url, json={"user_id": user_id, "technique_id": "heat", "helped": True}
        ).status_code
        == 401
    )


def test_suggestions_endpoint(tclient, tinternal):
    user_id, _ = _session(tclient)
    url = f"/api/v1/internal/users/{user_id}/suggestions"
    tinternal.post(
        "/api/v1/internal/checkins",
        json=checkin_body(user_id, pain=8, fatigue=2, stress=1, sleep_quality=9),
        headers=SERVICE,
    )
    for _ in range(10):
        tinternal.post(
            "/api/v1/internal/technique-feedback",
            json={"user_id": user_id, "technique_id": "heat", "helped": True},
            headers=SERVICE,
        )
    first = tinternal.get(url, params={"seed": 3}, headers=SERVICE).json()
    assert first == tinternal.get(url, params={"seed": 3}, headers=SERVICE).json()
    assert first["targets"] == ["pain"]
    assert len(first["suggestions"]) == 3
    top_pick = first["suggestions"][0]
    assert top_pick["id"] == "heat" and top_pick["helped"] == 10
    assert top_pick["matched_targets"] == ["pain"]

    with_pem = tinternal.get(url, params={"pem": "true", "limit": 10}, headers=SERVICE).json()
    assert "walk" not in [s["id"] for s in with_pem["suggestions"]]
    assert tinternal.get(url, params={"limit": 0}, headers=SERVICE).status_code == 422
    assert tinternal.get(url).status_code == 401
    unknown = tinternal.get("/api/v1/internal/users/nobody/suggestions", headers=SERVICE)
    assert unknown.status_code == 404


def test_erase_removes_feedback(tclient, tinternal):
    user_id, headers = _session(tclient)
    tinternal.post(
        "/api/v1/internal/technique-feedback",
        json={"user_id": user_id, "technique_id": "heat", "helped": False},
        headers=SERVICE,
    )
    assert tclient.delete("/api/v1/me", headers=headers).status_code == 204
    from sqlalchemy import func, select

    from api.models import TechniqueFeedback

    with tclient.app.state.sessionmaker() as db:
        assert db.scalar(select(func.count()).select_from(TechniqueFeedback)) == 0
