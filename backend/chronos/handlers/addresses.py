"""Which addresses an `http` job may reach: pure functions, no I/O.

A job's URL is user input, and the worker sits inside the operator's network, so without a rule a
job could read cloud metadata, an admin port on localhost or a database on the private network
(SSRF). The rule: only public unicast addresses, unless the operator's allow-list
(`HTTP_ALLOWLIST`: comma-separated host names, IPs or CIDRs) admits the host name or the address.

The `http` handler applies it to the *resolved* address at connection time (see `handlers/http.py`);
this module only judges addresses and parses host strings.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services; judged before link-local / private so the reason says what they are.
METADATA_ADDRESSES = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack, …
        ipaddress.ip_address("fd00:ec2::254"),  # AWS IMDS over IPv6
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    }
)
CGNAT = ipaddress.ip_network("100.64.0.0/10")
SITE_LOCAL = ipaddress.ip_network("fec0::/10")
UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
# RFC 6052 well-known NAT64 prefix: the last 32 bits are an IPv4 address the gateway will reach.
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# IPv4-compatible IPv6 (deprecated ::a.b.c.d); some stacks still route it to the IPv4 address.
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")

_LEGACY_IPV4 = re.compile(r"^[0-9a-fA-FxX.]+$")


def _local_reason(ip: IPAddress) -> str | None:
    """The rules IPv4 and IPv6 share: nowhere, this host, or this link."""
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    return None


def _ipv4_reason(ip: ipaddress.IPv4Address) -> str | None:
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    reason = _local_reason(ip)
    if reason:
        return reason
    if ip in CGNAT:
        return "a shared (CGNAT) address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_reserved:  # 240/4 (and broadcast), which Python also counts as private
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    # Anything else that is not globally routable (benchmarking, documentation ranges, …).
    if not ip.is_global:
        return "a non-public address"
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), if any."""
    if ip.ipv4_mapped is not None:
        return "IPv4-mapped", ip.ipv4_mapped
    if ip in NAT64:
        return "NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return "6to4", ip.sixtofour
    if ip in IPV4_COMPATIBLE and int(ip) > 1:  # :: and ::1 are judged as themselves
        return "IPv4-compatible", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why `ip` may not be called without an allow-list entry (e.g. "a loopback address"), or None."""
    if isinstance(ip, ipaddress.IPv4Address):
        return _ipv4_reason(ip)
    if ip.scope_id:  # fe80::1%eth0: the zone does not change what the address is
        ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        # Judged as the IPv4 address it carries: that is where the packets end up.
        kind, v4 = embedded
        reason = _ipv4_reason(v4)
        return f"{_article(kind)} {kind} address of {v4}, {reason}" if reason else None
    if ip.teredo is not None:
        server, client = ip.teredo
        for v4 in (client, server):
            reason = _ipv4_reason(v4)
            if reason:
                return f"a Teredo address of {v4}, {reason}"
    reason = _local_reason(ip)
    if reason:
        return reason
    if ip in SITE_LOCAL:
        return "a site-local address"
    if ip in UNIQUE_LOCAL:
        return "a unique local (private) address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:
        return "a non-public address"
    return None


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def is_forbidden_address(ip: IPAddress) -> bool:
    """True when `ip` is loopback, private, link-local, CGNAT, metadata or otherwise non-public."""
    return forbidden_reason(ip) is not None


@dataclass(frozen=True)
class Allowlist:
    """The operator's exceptions to the address rule: host names (exact or `*.suffix`) and networks."""

    hostnames: frozenset[str] = field(default_factory=frozenset)
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    def admits_host(self, host: str | None) -> bool:
        """True when the host name itself is listed (exactly, or under a `*.suffix` entry)."""
        if not host:
            return False
        name = normalise_hostname(host)
        if name in self.hostnames:
            return True
        return any(entry.startswith("*.") and name.endswith(entry[1:]) for entry in self.hostnames)

    def admits_address(self, ip: IPAddress) -> bool:
        """True when `ip` (or the IPv4 address it carries) lies in a listed network."""
        candidates: list[IPAddress] = [ip]
        if isinstance(ip, ipaddress.IPv6Address):
            embedded = _embedded_ipv4(ip)
            if embedded is not None:
                candidates.append(embedded[1])
        return any(c.version == net.version and c in net for c in candidates for net in self.networks)


def normalise_hostname(host: str) -> str:
    """Lower-case ASCII (IDNA), without the root's trailing dot, so `LOCALHOST.` matches `localhost`."""
    name = host.strip().rstrip(".").lower()
    try:
        # The resolver sees the punycode form of an internationalised name; compare like with like.
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


def parse_allowlist(entries: Iterable[str] | str | None) -> Allowlist:
    """Build an Allowlist from `HTTP_ALLOWLIST` entries (a list, or one comma-separated string)."""
    if entries is None:
        return Allowlist()
    if isinstance(entries, str):
        entries = entries.split(",")
    hostnames: set[str] = set()
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            hostnames.add(normalise_hostname(entry))
    return Allowlist(frozenset(hostnames), tuple(networks))


def check_address(ip: IPAddress, allowlist: Allowlist | None = None, host: str | None = None) -> str | None:
    """None when `ip` may be called, else the reason ("127.0.0.2 is a loopback address (not in …)").

    `host` is the name the address was resolved from; listing that name admits every address it
    resolves to (the operator vouches for the name, e.g. an internal service).
    """
    allowlist = allowlist or Allowlist()
    reason = forbidden_reason(ip)
    if reason is None or allowlist.admits_address(ip) or allowlist.admits_host(host):
        return None
    return f"{ip} is {reason} (not in HTTP_ALLOWLIST)"


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address a URL host denotes when it is an IP literal, else None (a name to resolve).

    Besides the canonical forms this accepts what the C library's `inet_aton` (and so the system
    resolver) accepts: decimal `2130706433`, octal `0177.0.0.1`, hex `0x7f.0.0.1`, short `127.1`.
    Judging the number the resolver would produce keeps those spellings from slipping past the rule.
    """
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text)
        except ValueError:
            return None
    text = text.removesuffix(".")
    if not text or not _LEGACY_IPV4.match(text):
        return None
    try:
        return ipaddress.IPv4Address(text)
    except ValueError:
        pass
    # A host such as `cafe.be` or `deadbeef` is made of hex letters but is a name: only all-numeric
    # parts (decimal, 0-octal or 0x-hex) make an address, exactly as inet_aton decides.
    if not all(re.fullmatch(r"0[xX][0-9a-fA-F]*|[0-9]+", part) for part in text.split(".")):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        return None
