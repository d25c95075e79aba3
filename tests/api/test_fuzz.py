"""Hostile input never produces a 5xx, and the conversation still works afterwards.

About 2,100 examples in all, derandomized so CI runs are repeatable. The fake Rasa offers
no buttons, so no payload is ever valid and Rasa must never receive text starting with "/".
"""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import SERVICE, checkin_body, start_session

WJ = "\u2060"


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


HOSTILE = [
    "",
    " ",
    "\t\n\r ",
    "\u00a0\u2000\u3000",
    "\x1c\x1d/greet",
    "\x00/restart",
    "/restart",
    "  /restart",
    "/stop",
    '/inform{"pain": 99}',
    '/inform{"score": 7}',
    "/start_checkin",
    WJ + "/greet",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE users; --",
    "1 OR 1=1",
    '{"message": "hi", "sender": "admin"}',
    "[[[[[[[[[[]]]]]]]]]]",
    "\u202eevil\u202c",
    "\u200b\u200c\u200d\ufeff",
    "مرحبا بالعالم",
    "😀" * 500,
    "👩‍👩‍👧‍👦" * 200,
    "\x00\x01\x02\x1b[31mred\x7f\x85",
    "\ud7ff\ue000\uffff",
    "x" * 2000,
    "x" * 2001,
    "y" * 100_000,
    "😀" * 30_000,
    "%s%n%x",
    "${jndi:ldap://x}",
    "../../etc/passwd",
]

hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=200),
    st.builds(lambda a, b: a + b, st.sampled_from(HOSTILE[:22]), st.text(max_size=30)),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), hostile_text),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)
    ),
    max_leaves=8,
)


def post_json(client, url, body, headers):
    # allow_nan: Python's json accepts NaN and Infinity, so the server must cope with them.
    content = json.dumps(body, allow_nan=True).encode()
    response = client.post(
        url, content=content, headers={**headers, "Content-Type": "application/json"}
    )
    return response, content


def conversation_still_works(client, person, rasa):
    response = client.post("/api/v1/chat", json={"message": "hello again"}, headers=person.headers)
    assert response.status_code == 200
    assert rasa.received[-1]["message"] == "hello again"
    assert client.get("/api/v1/me/conversation", headers=person.headers).status_code == 200


def no_typed_intent_reached_rasa(rasa):
    for body in rasa.received:
        # Rasa strips with str.strip() and then looks for "/": check exactly that.
        assert not body["message"].strip().startswith("/"), body["message"][:80]
        assert "\x00" not in body["message"]


chat_bodies = st.one_of(
    st.fixed_dictionaries({"message": hostile_text}),
    st.fixed_dictionaries({"payload": hostile_text}),
    st.fixed_dictionaries(
        {"message": hostile_text},
        optional={
            "metadata": st.fixed_dictionaries(
                {}, optional={"locale": hostile_text, "timezone": hostile_text}
            ),
            "sender": hostile_text,
            "payload": hostile_text,
        },
    ),
    st.dictionaries(
        st.sampled_from(["message", "payload", "metadata", "sender"]), json_values, max_size=4
    ),
    json_values,
)


def test_chat_json_fuzz(client, rasa):
    person = start_session(client)

    @fuzz(900)
    @given(body=chat_bodies)
    def check(body):
        response, content = post_json(client, "/api/v1/chat", body, person.headers)
        assert response.status_code in (200, 413, 422), (response.status_code, content[:200])
        if len(content) > 64 * 1024:
            assert response.status_code == 413
        if response.status_code == 200:
            assert isinstance(body, dict) and isinstance(body["message"], str)
            assert body.get("payload") is None
            sent = rasa.received[-1]
            assert sent["sender"] == person.user_id
            assert sent["message"].removeprefix(WJ).strip()
        else:
            assert "detail" in response.json()

    check()
    no_typed_intent_reached_rasa(rasa)
    conversation_still_works(client, person, rasa)


raw_bodies = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(
        [
            b"\xff\xfe\xfd",
            b'{"message": "\xc3\x28"}',
            b'{"message": "\xed\xa0\x80"}',
            b'{"message": "\\ud800"}',
            b'{"message": "\\u0000/restart"}',
            b'{"message": "hi"',
            b'{"message": NaN}',
            b"null",
            b"[]",
            b'"just a string"',
            b'{"message": "' + b"a" * 70_000 + b'"}',
            b"\x00" * 1000,
        ]
    ),
    st.text(max_size=200).map(str.encode),
)
content_types = st.sampled_from(
    [
        "application/json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        None,
    ]
)


def test_chat_raw_body_fuzz(client, rasa):
    person = start_session(client)

    @fuzz(500)
    @given(body=raw_bodies, content_type=content_types)
    def check(body, content_type):
        headers = dict(person.headers)
        if content_type:
            headers["Content-Type"] = content_type
        response = client.post("/api/v1/chat", content=body, headers=headers)
        assert response.status_code < 500, (response.status_code, body[:100])
        assert response.status_code in (200, 400, 413, 415, 422)

    check()
    no_typed_intent_reached_rasa(rasa)
    conversation_still_works(client, person, rasa)


checkin_values = st.one_of(
    st.integers(-5, 15),
    st.floats(allow_nan=True, allow_infinity=True),
    hostile_text,
    st.none(),
    st.lists(st.integers(), max_size=3),
)


# Any moment from year 1 to 9999 at any UTC offset (or none): the edges overflow a shift to
# UTC or to the person's zone if they are not refused first.
recorded_at_values = st.one_of(
    st.none(),
    hostile_text,
    json_values,
    st.datetimes(
        timezones=st.one_of(
            st.none(),
            st.timedeltas(
                min_value=dt.timedelta(hours=-23, minutes=-59),
                max_value=dt.timedelta(hours=23, minutes=59),
            ).map(dt.timezone),
        )
    ).map(dt.datetime.isoformat),
)


def test_internal_checkin_fuzz(client, internal, rasa):
    person = start_session(client)

    @fuzz(450)
    @given(
        pain=checkin_values,
        fatigue=checkin_values,
        key=hostile_text,
        note=st.one_of(st.none(), hostile_text, json_values),
        locations=st.one_of(st.none(), st.lists(hostile_text, max_size=25), json_values),
        timezone=st.one_of(st.none(), hostile_text),
        user_id=st.one_of(st.just(person.user_id), hostile_text),
        recorded_at=recorded_at_values,
    )
    def check(pain, fatigue, key, note, locations, timezone, user_id, recorded_at):
        body = checkin_body(
            user_id,
            key,
            pain=pain,
            fatigue=fatigue,
            note=note,
            locations=locations,
            timezone=timezone,
            recorded_at=recorded_at,
        )
        response, content = post_json(internal, "/api/v1/internal/checkins", body, SERVICE)
        assert response.status_code in (200, 201, 404, 413, 422), response.status_code
        if response.status_code in (200, 201):
            row = response.json()
            for field in ("pain", "fatigue", "sleep_quality", "stress"):
                assert isinstance(row[field], int) and 0 <= row[field] <= 10
            assert "\x00" not in (row["note"] or "")

    check()
    rows = client.get("/api/v1/me/checkins", headers=person.headers)
    assert rows.status_code == 200
    assert client.get("/api/v1/me/insights", headers=person.headers).status_code == 200
    assert client.get("/api/v1/me/export?format=csv", headers=person.headers).status_code == 200


def test_other_endpoints_fuzz(client, internal, rasa):
    person = start_session(client)
    latin1 = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=200)

    @fuzz(300)
    @given(
        token=latin1,
        kind=hostile_text,
        user_id=st.one_of(st.just(person.user_id), latin1),
        technique=json_values,
        helped=json_values,
        limit=st.one_of(st.integers(), latin1),
    )
    def check(token, kind, user_id, technique, helped, limit):
        # Any made-up bearer token is refused.
        # Bytes, so values from 0x80 to 0xFF reach the server as raw latin-1 bytes.
        auth = {"Authorization": b"Bearer " + token.encode("latin-1")}
        assert client.get("/api/v1/me/conversation", headers=auth).status_code == 401
        response, _ = post_json(
            internal, "/api/v1/internal/safety-events", {"user_id": user_id, "kind": kind}, SERVICE
        )
        assert response.status_code in (201, 404, 413, 422)
        response, _ = post_json(
            internal,
            "/api/v1/internal/technique-feedback",
            {"user_id": user_id, "technique_id": technique, "helped": helped},
            SERVICE,
        )
        assert response.status_code in (201, 404, 413, 422)
        response = internal.get(
            f"/api/v1/internal/users/{person.user_id}/checkins",
            params={"limit": limit},
            headers=SERVICE,
        )
        assert response.status_code in (200, 422)

    check()
    conversation_still_works(client, person, rasa)
