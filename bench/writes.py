"""The write measurements: partner-style upserts through GraphQL, with an API key.

    W1-upsert  POST upsertOrganizationByIdentifier, one record per request: each connection's
               n-th write names the key "<connection>-<n // 2>", so each record is created once
               and then updated once (its city changes), the way a partner's sync pushes records
    W2-bulk    POST bulkUpsert of 500 new organizations per request

Every write goes through the server's services (validation, version, change log, search index).
The records carry the identifier scheme "bench" and a run token, so runs on one database do not
collide (the benchmark database grows by what they write; `make bench` generates it anew).
"""

import time

import sqlalchemy as sa

from registry.db import create_engine, create_sessionmaker
from registry.models import Source
from registry.services.api_keys import create_api_key

from .load import WRITE_COUNT, WRITE_KEY
from .workload import HttpRequest

__all__ = ["BULK_SIZE", "WRITE_MEASUREMENTS", "build_writes"]

WRITE_MEASUREMENTS = ["W1-upsert", "W2-bulk"]
BULK_SIZE = 500
RECORD_FIELDS = "record { version } userErrors { field code message }"

UPSERT = (
    "mutation ($value: String!, $input: OrganizationPatchInput!) { "
    f'upsertOrganizationByIdentifier(scheme: "bench", value: $value, input: $input) {{ {RECORD_FIELDS} }} }}'
)
BULK = "mutation ($records: [BulkRecordInput!]!) { bulkUpsert(records: $records) { userErrors { field code message } } }"


def _organization(name: str, city: str, source: str) -> dict:
    return {"name": name, "kind": "COMPANY", "country": "KZ", "city": city,
            "citations": [{"source": source, "excerpt": "a benchmark statement"}]}


async def build_writes(url: str) -> dict[str, list[HttpRequest]]:
    """The write requests, with a new API key (write scope) in their Authorization header."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            source = await session.scalar(sa.select(Source.slug).order_by(Source.slug).limit(1))
            run = time.strftime("%Y%m%d%H%M%S")
            _, key = await create_api_key(session, f"bench-{run}", ["read", "write"])
    finally:
        await engine.dispose()
    headers = (f"Authorization: Bearer {key}",)
    single = {"value": f"{run}-{WRITE_KEY}",
              "input": _organization(f"Bench organization {run} {WRITE_KEY}", f"City {WRITE_COUNT}", source)}
    # bulk: every request's 500 records are new (the connection's n-th batch is key "<c>-<n // 2>",
    # so records are suffixed by the write count as well)
    bulk = {"records": [
        {"scheme": "bench", "value": f"{run}-bulk-{WRITE_COUNT}-{WRITE_KEY}-{i}",
         "organization": _organization(f"Bench bulk {run} {WRITE_COUNT} {WRITE_KEY} {i}", "Astana", source)}
        for i in range(BULK_SIZE)
    ]}
    return {
        "W1-upsert": [HttpRequest.post_with(headers, UPSERT, single)],
        "W2-bulk": [HttpRequest.post_with(headers, BULK, bulk)],
    }
