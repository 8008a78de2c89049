"""Thin routers, one per v2beta1 service: parse the request, call service/, shape the answer."""
