"""Unit checks of query validation that the gRPC wire types cannot reach (uint32 pages)."""

import pytest
from spaceone.core.error import ERROR_INVALID_ARGUMENT

from spaceone.api_key.manager import api_key_query


@pytest.mark.parametrize("page, field", [({"limit": -1}, "limit"), ({"start": -5}, "start"), ({"limit": "10"}, "limit"), ({"limit": 1.5}, "limit")])
def test_check_page_rejects_bad_values(page, field):
    with pytest.raises(ERROR_INVALID_ARGUMENT) as excinfo:
        api_key_query.check_page(page)

    assert f"key = query.page.{field}" in excinfo.value.message


def test_check_page_accepts_json_numbers():
    assert api_key_query.check_page({"start": 3.0, "limit": 10.0}) == (3, 10)
    assert api_key_query.check_page(None) == (1, 0)


def test_make_sort_ends_with_api_key_id():
    assert api_key_query.make_sort({"key": "name", "desc": True}) == ["-name", "api_key_id"]
    assert api_key_query.make_sort(None) == ["-created_at", "api_key_id"]
    assert api_key_query.make_sort({"keys": [{"key": "api_key_id", "desc": True}]}) == ["-api_key_id"]
