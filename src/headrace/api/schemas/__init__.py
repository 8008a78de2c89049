"""Pydantic shapes of the v2beta1 API, field for field as the `kfp-server-api` models."""
