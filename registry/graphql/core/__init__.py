"""Shared GraphQL building blocks: types, pagination, filters, loaders, errors."""
