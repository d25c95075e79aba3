"""The action server's API client keeps user ids and health data out of its logs."""

from __future__ import annotations

import logging

import pytest

from actions import api_client


async def test_an_unreachable_api_is_logged_without_the_user_id(api_down, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(api_client.ApiUnavailable):
        await api_client.insights("u-7f3a9c1e")
    assert caplog.records, "the outage was not logged at all"
    assert "u-7f3a9c1e" not in caplog.text
    assert "/users/{user_id}/insights" in caplog.text
