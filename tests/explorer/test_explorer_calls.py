"""The call list, its CSV and facets on DuckDB (the snapshot) and PostgreSQL, from real rows."""

import csv
import io

import pytest
from explorer_rows import DAY1, DAY2, filled_reader
from pydantic import ValidationError

from callintel_dagster.explorer.calls import CallFilters, calls_csv, facets, list_calls
from conftest import requires_postgres

BACKENDS = ["duckdb", pytest.param("postgres", marks=requires_postgres)]


@pytest.fixture(scope="module", params=BACKENDS)
def reader(request, tmp_path_factory):
    with filled_reader(request.param, tmp_path_factory.mktemp(request.param)) as (r, _home):
        yield r


def ids(reader, tenant="acme", **filters):
    return [r["call_id"] for r in list_calls(reader, tenant, CallFilters(**filters)).rows]


def test_a_page_of_one_tenant_newest_first_with_its_analysis(reader):
    page = list_calls(reader, "acme", CallFilters())
    assert (page.total, page.page, page.per_page, page.pages) == (3, 1, 50, 1)
    assert [r["call_id"] for r in page.rows] == ["acme-c3", "call-0001", "acme-c2"]
    first = page.rows[1]
    assert first["agent_name"] == "Asha"  # not globex's Gina: the shared id stays in its tenant
    assert first["day"] == DAY1 and first["quality_score"] == 80.0
    assert first["sentiment_label"] == "positive" and first["qualification_stage"] == "qualified"
    assert first["has_recording"] is True and page.rows[0]["has_recording"] is False
    assert page.rows[0]["language"] == "hi-en"  # the transcript's language wins
    assert set(first) >= {"started_at_utc", "direction", "phone_e164", "duration_seconds"}
    assert set(first) >= {"call_status", "contact_tag", "lead_score", "summary"}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"day_from": DAY2}, ["acme-c3"]),
        ({"day_to": DAY1}, ["call-0001", "acme-c2"]),
        ({"agent": "Ravi"}, ["acme-c3", "acme-c2"]),
        ({"status": "no_answer"}, ["acme-c2"]),
        ({"sentiment": "positive"}, ["call-0001"]),
        ({"contact_tag": "follow_up"}, ["acme-c3"]),
        ({"language": "en"}, ["call-0001", "acme-c2"]),  # c2: the record's language
        ({"stage": "exploring"}, ["acme-c3"]),
        ({"quality_min": 50}, ["call-0001"]),
        ({"quality_max": 50}, ["acme-c3"]),
        ({"text": "site visit"}, ["call-0001"]),  # the summary
        ({"text": "ASHA"}, ["call-0001"]),  # the agent, any case
        ({"text": "800000002"}, ["acme-c2"]),  # the phone
        ({"text": "acme-c"}, ["acme-c3", "acme-c2"]),  # the call id
        ({"text": "50%_off"}, ["acme-c3"]),
        ({"text": "5_%"}, []),  # wildcards are literal characters
        ({"text": "<script>alert(1)</script>"}, ["acme-c3"]),
        ({"text": "' OR 1=1 --"}, []),
        ({"agent": "Gina"}, []),  # another tenant's agent
        ({"sort": "quality", "order": "asc"}, ["acme-c3", "call-0001", "acme-c2"]),  # NULL last
        ({"sort": "duration", "order": "desc"}, ["call-0001", "acme-c3", "acme-c2"]),
        ({"sort": "agent", "order": "asc"}, ["call-0001", "acme-c2", "acme-c3"]),
        ({"sort": "lead_score"}, ["call-0001", "acme-c3", "acme-c2"]),
        ({"sort": "started", "order": "asc"}, ["acme-c2", "call-0001", "acme-c3"]),
    ],
)
def test_filters_and_sorts(reader, filters, expected):
    assert ids(reader, **filters) == expected


def test_paging_and_a_page_past_the_last(reader):
    second = list_calls(reader, "acme", CallFilters(per_page=2, page=2))
    assert (second.total, second.pages, [r["call_id"] for r in second.rows]) == (
        3,
        2,
        ["acme-c2"],
    )
    far = list_calls(reader, "acme", CallFilters(page=100_000, per_page=200))
    assert far.rows == [] and far.total == 3 and far.page == 100_000
    none = list_calls(reader, "acme", CallFilters(agent="nobody"))
    assert (none.rows, none.total, none.pages) == ([], 0, 1)
    assert list_calls(reader, "no_such_tenant", CallFilters()).total == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"day_from": "2026-11-20", "day_to": "2026-11-19"},
        {"day_from": "yesterday"},
        {"page": 0},
        {"page": 100_001},
        {"per_page": 201},
        {"sort": "call_id; DROP TABLE raw.call_records"},
        {"order": "sideways"},
        {"quality_min": 101},
        {"quality_min": 80, "quality_max": 20},
        {"text": "x" * 201},
        {"tenant_id": "globex"},  # not a filter: no way to widen the scope
    ],
)
def test_bad_filters_are_refused_with_a_reason(bad):
    with pytest.raises(ValidationError) as err:
        CallFilters(**bad)
    assert err.value.errors()[0]["msg"]


def test_blank_boxes_mean_any():
    f = CallFilters(agent="  ", text="", page="2")
    assert (f.agent, f.text, f.page) == (None, None, 2)


def test_csv_has_every_matching_row_and_defuses_formulas(reader):
    text = "".join(calls_csv(reader, "acme", CallFilters(per_page=1, page=3)))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["call_id"] for r in rows] == ["acme-c3", "call-0001", "acme-c2"]  # paging ignored
    assert rows[0]["summary"].startswith("'=1+1")  # a spreadsheet shows it, never runs it
    assert rows[1]["phone_e164"] == "+919800000001"  # a phone stays a phone
    assert rows[2]["quality_score"] == "" and rows[1]["has_recording"] == "True"
    only = "".join(calls_csv(reader, "globex", CallFilters(status="no_answer")))
    assert list(csv.reader(io.StringIO(only)))[1][0] == "globex-c2"
    assert "acme" not in only


def test_facets_list_one_tenants_values(reader):
    got = facets(reader, "acme")
    assert got["agents"] == ["Asha", "Ravi"]
    assert got["statuses"] == ["completed", "no_answer"]
    assert got["sentiments"] == ["negative", "positive"]
    assert got["contact_tags"] == ["follow_up", "interested"]
    assert got["languages"] == ["en", "hi-en"]
    assert got["stages"] == ["exploring", "qualified"]
    assert (got["first_day"], got["last_day"]) == (DAY1, DAY2)
    empty = facets(reader, "nobody")
    assert empty["agents"] == [] and empty["first_day"] is None
