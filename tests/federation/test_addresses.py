import ipaddress

import pytest

from federation.addresses import (
    BlockedAddressError,
    ResolutionError,
    blocked_reason,
    check_host,
    is_public_ip,
)


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.254",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        "198.18.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "fec0::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:192.168.0.1",
        "64:ff9b::a00:1",
        "64:ff9b:1::1",
        "2002:a00:1::",
        "2001::1",
        "2001:db8::1",
        "100::1",
    ],
)
def test_non_public_addresses(ip):
    assert not is_public_ip(ip)
    assert blocked_reason(ipaddress.ip_address(ip))


@pytest.mark.parametrize(
    "ip", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses(ip):
    assert is_public_ip(ip)


def test_reasons_are_specific():
    assert blocked_reason("127.0.0.1") == "loopback"
    assert blocked_reason("::ffff:10.0.0.1") == "IPv4-mapped private"
    assert blocked_reason("100.64.0.1").startswith("carrier-grade NAT")
    assert blocked_reason("not an ip") == "not an IP address"


def resolver_for(mapping):
    async def resolve(host, port):
        if host not in mapping:
            raise ResolutionError(f"cannot resolve {host}")
        return mapping[host]

    return resolve


async def test_check_host_literals_and_names():
    resolve = resolver_for(
        {
            "public.example": ["93.184.216.34", "2606:4700::1"],
            "mixed.example": ["93.184.216.34", "10.0.0.1"],
        }
    )
    assert await check_host("93.184.216.34", allow_private=False) == [
        ipaddress.ip_address("93.184.216.34")
    ]
    assert len(await check_host("public.example", allow_private=False, resolver=resolve)) == 2
    for host in (
        "127.0.0.1",
        "[::1]",
        "localhost",
        "api.localhost",
        "mixed.example",
        "fe80::1%eth0",
        "",
    ):
        with pytest.raises(BlockedAddressError) as err:
            await check_host(host, allow_private=False, resolver=resolve)
        assert err.value.reason
    with pytest.raises(ResolutionError):
        await check_host("nowhere.example", allow_private=False, resolver=resolve)


async def test_allow_private_switch():
    resolve = resolver_for({"mixed.example": ["10.0.0.1"]})
    assert await check_host("127.0.0.1", allow_private=True) == [ipaddress.ip_address("127.0.0.1")]
    assert await check_host("mixed.example", allow_private=True, resolver=resolve) == [
        ipaddress.ip_address("10.0.0.1")
    ]


async def test_system_resolver_on_localhost():
    with pytest.raises(BlockedAddressError):
        await check_host("localhost", allow_private=False)
    addresses = await check_host("localhost", allow_private=True)
    assert addresses and all(a.is_loopback for a in addresses)
