"""The graphql-http audit (.ci/graphql-http) against the live registry on each engine: `make audit`.

Node runs the audit, so it lives outside pytest; like the tests, it covers PostgreSQL when
REGISTRY_TEST_POSTGRES_URL is set. Exits non-zero when any engine fails a MUST or SHOULD audit.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from registry.config import REPO_ROOT
from tests.utils.databases import BACKENDS
from tests.utils.servers import seeded_registry_server

AUDIT_DIR = REPO_ROOT / ".ci" / "graphql-http"
AUDIT_WITHIN = 300  # seconds: a liveness guard, the audit takes a few seconds


def audit(backend: str) -> bool:
    with tempfile.TemporaryDirectory() as directory:
        with seeded_registry_server(backend, Path(directory)) as base_url:
            print(f"== graphql-http audit, registry on {backend}", flush=True)
            done = subprocess.run(["node", "audit.mjs", f"{base_url}/graphql"], cwd=AUDIT_DIR,
                                  timeout=AUDIT_WITHIN)
            return done.returncode == 0


def main() -> int:
    failed = [backend for backend in BACKENDS if not audit(backend)]
    if failed:
        print(f"graphql-http audit failed on: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
