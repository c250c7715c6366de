"""The measured GraphQL queries, as clients send them.

The floor (bench/floor.py) recognises these exact texts and answers each with one SQL statement.
"""

__all__ = ["PROJECT_DETAIL", "PROJECT_PAGE", "SEARCH", "TIMELINE", "project_page"]

_PROJECT_FIELDS = (
    "id title status actual { value precision lower upper } "
    "participants { role organization { name country { code name } } } "
    "citations { excerpt source { title } }"
)


def project_page(first: int) -> str:
    """Q1: a page of projects with participants and citations (`first` varies only to count statements)."""
    return (
        f"query($after: String){{ projects(first: {first}, after: $after) {{ "
        f"edges {{ node {{ {_PROJECT_FIELDS} }} }} pageInfo {{ endCursor hasNextPage }} }} }}"
    )


PROJECT_PAGE = project_page(50)

# Q2: one project by global id, with what Q1 shows plus its agreements and events.
PROJECT_DETAIL = (
    f"query($id: ID!){{ node(id: $id) {{ ... on Project {{ {_PROJECT_FIELDS} "
    "agreements { agreement { title signed { value } } } events { event { title date { value } } } } } }"
)

# Q3: the search box (20 hits, the server's default).
SEARCH = (
    "query($query: String!){ search(query: $query) { matchedName score node { id "
    "... on Organization { name } ... on Person { displayName } ... on Project { title } "
    "... on Agreement { title } ... on Event { title } ... on Source { title } } } }"
)

# Q4: one page of the timeline over a window.
TIMELINE = (
    "query($from: String, $to: String){ timeline(from: $from, to: $to, first: 50) { "
    "kind title date { value precision lower upper } node { id } } }"
)
