"""The HTTP layer of `/graphql`: GraphQL over HTTP (router), the GET response cache, middleware."""

from .cache import GraphQLResponseCache
from .middleware import RequestBodyLimit, SecurityHeaders
from .router import GraphQLHttpRouter

__all__ = ["GraphQLHttpRouter", "GraphQLResponseCache", "RequestBodyLimit", "SecurityHeaders"]
