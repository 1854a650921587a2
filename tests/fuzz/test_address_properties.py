"""No spelling of a non-public address gets past the address rule with an empty allow-list.

Pure functions only: every spelling is judged by `parse_ip_literal` and `check_address`, and compared
with what the C library's own parsers (`inet_aton`, `inet_pton`: conversions, no socket) read from
it, so a spelling the resolver would take as an address is never taken for a name. No test opens a
socket to any address.
"""
from __future__ import annotations

import ipaddress
import socket

from hypothesis import given
from hypothesis import strategies as st

from chronos.handlers.addresses import Allowlist, check_address, parse_ip_literal

from .conftest import PROPERTY_SETTINGS, Tally

V4_FORBIDDEN = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4", "100.100.100.200/32")]
V6_FORBIDDEN = [ipaddress.ip_network(n) for n in (
    "::/128", "::1/128", "fe80::/10", "fc00::/7", "fec0::/10", "ff00::/8", "fd00:ec2::254/128")]

v4_forbidden = st.sampled_from(V4_FORBIDDEN).flatmap(
    lambda net: st.integers(int(net.network_address), int(net.broadcast_address)).map(ipaddress.IPv4Address))
v6_forbidden = st.sampled_from(V6_FORBIDDEN).flatmap(
    lambda net: st.integers(int(net.network_address), int(net.broadcast_address)).map(ipaddress.IPv6Address))


@st.composite
def v4_spellings(draw: st.DrawFn, ip: ipaddress.IPv4Address) -> str:
    """inet_aton's forms: 1 to 4 parts (the last one fills the rest), each decimal, 0-octal or 0x-hex."""
    value = int(ip)
    count = draw(st.integers(1, 4))
    parts = [(value >> shift) & 0xFF for shift in (24, 16, 8)][:count - 1]
    parts.append(value & ((1 << (8 * (5 - count))) - 1))
    text = ".".join(draw(number_spelling(part)) for part in parts)
    return text + draw(st.sampled_from(["", "", "."]))


@st.composite
def number_spelling(draw: st.DrawFn, n: int) -> str:
    style = draw(st.sampled_from(["dec", "oct", "hex", "HEX"]))
    zeros = "0" * draw(st.integers(0, 3))
    if style == "oct":
        return "0" + zeros + format(n, "o")
    if style == "hex":
        return "0x" + zeros + format(n, "x")
    if style == "HEX":
        return "0X" + zeros + format(n, "X")
    return str(n)


@st.composite
def v6_spellings(draw: st.DrawFn, ip: ipaddress.IPv6Address) -> str:
    """Compressed, exploded, upper-case, dotted tails, brackets and zone ids."""
    text = draw(st.sampled_from([ip.compressed, ip.exploded, ip.exploded.replace(":0000", ":0")]))
    if draw(st.booleans()):
        last = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        head = ipaddress.IPv6Address(int(ip) & ~0xFFFFFFFF).exploded.rsplit(":", 2)[0]
        text = f"{head}:{last}"
    if draw(st.booleans()):
        text = text.upper()
    if ip.is_link_local or ip.is_loopback or ip.is_multicast:
        text += draw(st.sampled_from(["", "%eth0", "%25lo", "%1"]))
    return f"[{text}]" if draw(st.booleans()) else text


def embedded(v4: ipaddress.IPv4Address, kind: str) -> ipaddress.IPv6Address:
    """An IPv6 address that carries `v4`, as each transition mechanism spells it."""
    value = int(v4)
    if kind == "mapped":
        return ipaddress.IPv6Address((0xFFFF << 32) | value)
    if kind == "compatible":
        return ipaddress.IPv6Address(value)
    if kind == "nat64":
        return ipaddress.IPv6Address((0x0064FF9B << 96) | value)
    if kind == "6to4":
        return ipaddress.IPv6Address((0x2002 << 112) | (value << 80))
    # Teredo: 2001:0::/32, server address, flags, port, and the client address inverted.
    return ipaddress.IPv6Address((0x20010000 << 96) | (value << 64) | (~value & 0xFFFFFFFF))


def what_the_c_library_reads(spelling: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address the system's own parsers make of a spelling (pure conversions, no socket)."""
    text = spelling.strip("[]").split("%", 1)[0]
    if ":" in text:
        return ipaddress.IPv6Address(socket.inet_pton(socket.AF_INET6, text))
    return ipaddress.IPv4Address(socket.inet_aton(text.removesuffix(".")))


def assert_refused(spelling: str, expected: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    assert what_the_c_library_reads(spelling) == expected, spelling
    parsed = parse_ip_literal(spelling)
    assert parsed is not None, f"{spelling!r} would be resolved as a name, but it is {expected}"
    assert ipaddress.ip_address(str(parsed).split("%", 1)[0]) == expected, (spelling, parsed)
    assert check_address(parsed, Allowlist()) is not None, f"{spelling!r} ({expected}) passed the rule"


@PROPERTY_SETTINGS
@given(data=st.data(), ip=v4_forbidden)
def test_no_ipv4_spelling_of_a_non_public_address_passes(data: st.DataObject, ip: ipaddress.IPv4Address,
                                                         tally: Tally) -> None:
    tally.count("hypothesis examples")
    assert_refused(data.draw(v4_spellings(ip)), ip)


@PROPERTY_SETTINGS
@given(data=st.data(), ip=v6_forbidden)
def test_no_ipv6_spelling_of_a_non_public_address_passes(data: st.DataObject, ip: ipaddress.IPv6Address,
                                                         tally: Tally) -> None:
    tally.count("hypothesis examples")
    assert_refused(data.draw(v6_spellings(ip)), ip)


@PROPERTY_SETTINGS
@given(data=st.data(), v4=v4_forbidden,
       kind=st.sampled_from(["mapped", "compatible", "nat64", "6to4", "teredo-client", "teredo-server"]))
def test_no_ipv6_address_carrying_a_non_public_ipv4_passes(data: st.DataObject, v4: ipaddress.IPv4Address,
                                                           kind: str, tally: Tally) -> None:
    tally.count("hypothesis examples")
    if kind == "teredo-client":
        ip = embedded(v4, "teredo")
    elif kind == "teredo-server":
        public = ipaddress.IPv4Address("93.184.216.34")
        ip = ipaddress.IPv6Address((0x20010000 << 96) | (int(v4) << 64) | (~int(public) & 0xFFFFFFFF))
    else:
        ip = embedded(v4, kind)
    if kind == "compatible" and int(v4) <= 1:
        return  # ::0.0.0.0 and ::0.0.0.1 are :: and ::1, judged as themselves (refused by the IPv6 test)
    assert_refused(data.draw(v6_spellings(ip)), ip)
