"""The address rule as pure functions: no socket is opened by any test here."""

from __future__ import annotations

import ipaddress

import pytest

from chronos.handlers.addresses import (
    check_address,
    forbidden_reason,
    is_forbidden_address,
    parse_allowlist,
    parse_ip_literal,
)

FORBIDDEN = {
    "10.0.0.1": "a private address",
    "172.16.0.1": "a private address",
    "192.168.1.1": "a private address",
    "100.64.0.1": "a shared (CGNAT) address",
    "169.254.169.254": "a cloud metadata address",
    "169.254.1.1": "a link-local address",
    "100.100.100.200": "a cloud metadata address",
    "fd00:ec2::254": "a cloud metadata address",
    "fd00::1": "a unique local (private) address",
    "::ffff:127.0.0.1": "an IPv4-mapped address of 127.0.0.1, a loopback address",
    "::ffff:10.1.2.3": "an IPv4-mapped address of 10.1.2.3, a private address",
    "::127.0.0.1": "an IPv4-compatible address of 127.0.0.1, a loopback address",
    "64:ff9b::a9fe:a9fe": "a NAT64 address of 169.254.169.254, a cloud metadata address",
    "0.0.0.0": "an unspecified address",
    "::": "an unspecified address",
    "::1": "a loopback address",
    "127.0.0.1": "a loopback address",
    "127.0.0.2": "a loopback address",
    "224.0.0.1": "a multicast address",
    "ff02::1": "a multicast address",
    "fe80::1": "a link-local address",
    "fec0::1": "a site-local address",
    "2002:7f00:1::": "a 6to4 address of 127.0.0.1, a loopback address",
    "2002:c0a8:101::": "a 6to4 address of 192.168.1.1, a private address",
    "240.0.0.1": "a reserved address",
    "255.255.255.255": "a reserved address",
    "198.18.0.1": "a private address",  # benchmarking range
}

ALLOWED = [
    "93.184.216.34",
    "8.8.8.8",
    "1.1.1.1",
    "2606:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",
    "2002:808:808::",
]


@pytest.mark.parametrize("address, reason", sorted(FORBIDDEN.items()))
def test_non_public_address_is_forbidden(address: str, reason: str) -> None:
    ip = ipaddress.ip_address(address)
    assert is_forbidden_address(ip)
    assert forbidden_reason(ip) == reason


@pytest.mark.parametrize("address", ALLOWED)
def test_public_address_is_allowed(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert not is_forbidden_address(ip)
    assert check_address(ip, parse_allowlist([])) is None


def test_teredo_address_is_forbidden() -> None:
    # 2001:0::/32 with an obfuscated client address; forbidden whatever it embeds.
    assert is_forbidden_address(ipaddress.ip_address("2001:0:4136:e378:8000:63bf:3fff:fdd2"))


def test_scoped_link_local_is_judged_without_its_zone() -> None:
    assert forbidden_reason(ipaddress.ip_address("fe80::1%eth0")) == "a link-local address"


@pytest.mark.parametrize(
    "host, expected",
    [
        ("2130706433", "127.0.0.1"),  # decimal
        ("0177.0.0.1", "127.0.0.1"),  # octal
        ("0x7f.0.0.1", "127.0.0.1"),  # hex octet
        ("0x7f000001", "127.0.0.1"),  # hex whole
        ("0X7F.1", "127.0.0.1"),  # hex, short form
        ("127.1", "127.0.0.1"),  # short form
        ("017700000001", "127.0.0.1"),  # octal whole
        ("0251.0376.0251.0376", "169.254.169.254"),
        ("127.0.0.1.", "127.0.0.1"),  # trailing root dot
        ("10.0.0.1", "10.0.0.1"),
        ("[::1]", "::1"),
        ("::ffff:7f00:1", "::ffff:127.0.0.1"),
    ],
)
def test_ip_literal_spellings_parse_to_the_address_the_resolver_would_use(host: str, expected: str) -> None:
    assert parse_ip_literal(host) == ipaddress.ip_address(expected)


@pytest.mark.parametrize(
    "host",
    [
        "example.com",
        "localhost",
        "cafe",
        "deadbeef.com",
        "1e1",
        "0x7g.0.0.1",
        "08.0.0.1",
        "256.256.256.256.256",
        "",
    ],
)
def test_names_are_not_ip_literals(host: str) -> None:
    assert parse_ip_literal(host) is None


def test_check_address_gives_the_refusal_reason() -> None:
    reason = check_address(ipaddress.ip_address("127.0.0.2"), parse_allowlist(["127.0.0.1"]))
    assert reason == "127.0.0.2 is a loopback address (not in HTTP_ALLOWLIST)"


def test_allowlist_by_ip() -> None:
    allowlist = parse_allowlist("127.0.0.1")
    assert check_address(ipaddress.ip_address("127.0.0.1"), allowlist) is None
    assert check_address(ipaddress.ip_address("127.0.0.2"), allowlist) is not None
    # The mapped IPv6 spelling of a listed IPv4 address reaches the same host: admitted too.
    assert check_address(ipaddress.ip_address("::ffff:127.0.0.1"), allowlist) is None


def test_allowlist_by_cidr() -> None:
    allowlist = parse_allowlist(" 10.20.0.0/16 , fd12::/16")
    assert check_address(ipaddress.ip_address("10.20.3.4"), allowlist) is None
    assert check_address(ipaddress.ip_address("fd12::9"), allowlist) is None
    assert (
        check_address(ipaddress.ip_address("10.21.0.1"), allowlist)
        == "10.21.0.1 is a private address (not in HTTP_ALLOWLIST)"
    )
    assert check_address(ipaddress.ip_address("169.254.169.254"), allowlist) is not None


def test_allowlist_by_hostname() -> None:
    allowlist = parse_allowlist(["Internal.Example.", "*.svc.cluster.local"])
    ip = ipaddress.ip_address("10.0.0.5")
    assert check_address(ip, allowlist, host="internal.example") is None
    assert check_address(ip, allowlist, host="INTERNAL.example.") is None
    assert check_address(ip, allowlist, host="api.svc.cluster.local") is None
    assert check_address(ip, allowlist, host="svc.cluster.local.evil.test") is not None
    assert check_address(ip, allowlist, host="other.example") is not None
    assert check_address(ip, allowlist) is not None  # the name, not the address, is listed


def test_empty_allowlist_admits_nothing_forbidden() -> None:
    for allowlist in (parse_allowlist(None), parse_allowlist(""), parse_allowlist([" ", ""])):
        assert check_address(ipaddress.ip_address("127.0.0.1"), allowlist) is not None


def test_allowlist_hostname_matches_its_punycode_form() -> None:
    allowlist = parse_allowlist(["bücher.example"])
    assert allowlist.admits_host("xn--bcher-kva.example")
