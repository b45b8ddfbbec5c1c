"""Fuzzes the running GraphQL API with schemathesis: every query and mutation, with generated
arguments, as an ADMIN of the demo organization. A case fails when the server answers 5xx, an
error with code INTERNAL, or any text that belongs inside (SQL, driver or panic messages).

Run through fuzz/run.sh, which starts the server; by hand:
    TAHSILAT_FUZZ_URL=http://127.0.0.1:8080/graphql TAHSILAT_FUZZ_TOKEN=tsk_... \
    TAHSILAT_FUZZ_EXAMPLES=120 python -m pytest -q fuzz/graphql_fuzz.py
"""

import os
import re

import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

URL = os.environ["TAHSILAT_FUZZ_URL"]
TOKEN = os.environ["TAHSILAT_FUZZ_TOKEN"]
EXAMPLES = int(os.environ.get("TAHSILAT_FUZZ_EXAMPLES", "120"))
HEADERS = {"Authorization": f"Bearer {TOKEN}"}

# The custom scalars, taught to the generator: valid values most of the time, and the edges.
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        st.from_regex(r"\A-?[0-9]{1,20}(\.[0-9]{1,4})?\Z", fullmatch=True),
        st.sampled_from(["0", "0.01", "1250.50", "10000000000000.00", "10000000000000.01",
                         "79228162514264337593543950335", "1e3", "", " 1", "-0.00"]),
        st.text(max_size=30),
    ).map(nodes.String),
)
schemathesis.graphql.scalar(
    "Date",
    st.one_of(
        st.dates().map(lambda d: d.isoformat()),
        st.sampled_from(["0000-01-01", "9999-12-31", "+10000-01-30", "2026-02-30", ""]),
        st.text(max_size=12),
    ).map(nodes.String),
)
schemathesis.graphql.scalar(
    "DateTime",
    st.one_of(
        st.datetimes().map(lambda d: d.isoformat() + "Z"),
        st.text(max_size=30),
    ).map(nodes.String),
)
schemathesis.graphql.scalar("JSON", st.text(max_size=30).map(nodes.String))

schema = schemathesis.graphql.from_url(URL, headers=HEADERS)

# What must never reach a caller: database, driver and runtime internals.
LEAKS = re.compile(
    r"SELECT |INSERT INTO|UPDATE \w+ SET|sqlx|sea_orm|SqlxError|panicked|RUST_BACKTRACE"
    r"|no such table|syntax error|violates|constraint|stack backtrace|src/\w+\.rs",
    re.IGNORECASE,
)

CASES = {"count": 0}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_never_fails_inside(case):
    CASES["count"] += 1
    response = case.call(headers=HEADERS, timeout=30)
    text = response.text
    assert response.status_code < 500, f"{response.status_code}: {case.body}\n{text[:500]}"
    assert not LEAKS.search(text), f"internal text leaked for {case.body}:\n{text[:800]}"
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        for error in body.get("errors") or []:
            code = (error.get("extensions") or {}).get("code")
            assert code != "INTERNAL", f"INTERNAL for {case.body}:\n{text[:800]}"


def teardown_module(module):
    print(f"\nfuzz cases: {CASES['count']}")
