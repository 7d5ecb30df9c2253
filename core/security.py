"""HTTP hardening and network rules (being written): request ids, client IP behind a trusted
proxy, network allow-lists, security headers with CSP nonces, CSRF, rate limits."""
from __future__ import annotations

import ipaddress

from flask import Flask, request


def client_ip() -> str:
    """The client's address (ProxyFix has already applied TRUSTED_PROXY_COUNT)."""
    return request.remote_addr or ""


def in_networks(ip: str, networks: str) -> bool:
    """Is ``ip`` inside one of the comma-separated CIDR ``networks``?"""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(addr in ipaddress.ip_network(n.strip(), strict=False) for n in networks.split(",") if n.strip())


def init_security(app: Flask) -> None:
    return None
