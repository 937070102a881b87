//! Which addresses a webhook may reach.
//!
//! A partner names the URL, so a delivery is a request the service makes on a stranger's
//! behalf: without this rule a URL (or a host whose DNS answer changes after registration)
//! could make the service post into its own network, the cloud's metadata service, or
//! anything else that trusts the network it sits on. Only addresses that are reachable on the
//! public internet pass; everything the IANA special-purpose registries set aside is refused,
//! and so is every IPv6 form that merely carries a refused IPv4 address.
//!
//! IPv6 is decided by an allow-list (global unicast `2000::/3`, minus its special blocks)
//! rather than by listing what to refuse, so a block that the registries add later, or that
//! was forgotten here, fails closed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// True when `ip` is an address of the public internet, which a webhook delivery may connect
/// to; false for private, loopback, link-local, multicast, unique-local, unspecified,
/// broadcast, documentation, shared (carrier-grade NAT), benchmarking and reserved addresses,
/// the metadata services (`169.254.169.254`, `fd00:ec2::254`), and the IPv4-mapped,
/// IPv4-compatible, NAT64 and 6to4 forms of any refused IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

/// IPv4 blocks that are not reachable on the public internet, as (network, prefix length).
const REFUSED_V4: [([u8; 4], u8); 15] = [
    ([0, 0, 0, 0], 8),       // "this network", the unspecified address among them
    ([10, 0, 0, 0], 8),      // private
    ([100, 64, 0, 0], 10),   // shared address space (carrier-grade NAT)
    ([127, 0, 0, 0], 8),     // loopback
    ([169, 254, 0, 0], 16),  // link-local, the metadata service 169.254.169.254 among them
    ([172, 16, 0, 0], 12),   // private
    ([192, 0, 0, 0], 24),    // IETF protocol assignments
    ([192, 0, 2, 0], 24),    // documentation (TEST-NET-1)
    ([192, 88, 99, 0], 24),  // 6to4 relay anycast (deprecated)
    ([192, 168, 0, 0], 16),  // private
    ([198, 18, 0, 0], 15),   // benchmarking
    ([198, 51, 100, 0], 24), // documentation (TEST-NET-2)
    ([203, 0, 113, 0], 24),  // documentation (TEST-NET-3)
    ([224, 0, 0, 0], 4),     // multicast
    ([240, 0, 0, 0], 4),     // reserved, the broadcast address 255.255.255.255 among them
];

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let address = u32::from(ip);
    !REFUSED_V4.iter().any(|&(network, prefix)| {
        let mask = u32::MAX << (32 - u32::from(prefix));
        address & mask == u32::from(Ipv4Addr::from(network)) & mask
    })
}

/// IPv6 blocks inside global unicast (`2000::/3`) that are still not public.
const REFUSED_V6: [([u16; 8], u8); 3] = [
    ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), // IETF protocol assignments (Teredo among them)
    ([0x2001, 0x0db8, 0, 0, 0, 0, 0, 0], 32), // documentation
    ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), // documentation (RFC 9637)
];

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let address = u128::from(ip);
    let within = |network: [u16; 8], prefix: u8| {
        let mask = u128::MAX << (128 - u32::from(prefix));
        address & mask == u128::from(Ipv6Addr::from(network)) & mask
    };
    within([0x2000, 0, 0, 0, 0, 0, 0, 0], 3)
        && !REFUSED_V6
            .iter()
            .any(|&(network, prefix)| within(network, prefix))
}

/// The IPv4 address that an IPv6 address stands for, when it is one of the forms that reach
/// an IPv4 host: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`, deprecated but
/// still routed by some stacks; `::` and `::1` fall here and are refused as `0.0.0.0/8`),
/// NAT64 (`64:ff9b::a.b.c.d`) and 6to4 (`2002:aabb:ccdd::/48`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let last_32 = Ipv4Addr::new(
        ip.octets()[12],
        ip.octets()[13],
        ip.octets()[14],
        ip.octets()[15],
    );
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0, 0, _, _] => Some(last_32),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(last_32),
        [0x2002, high, low, ..] => Some(Ipv4Addr::from((u32::from(high) << 16) | u32::from(low))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> IpAddr {
        IpAddr::V4(text.parse().unwrap())
    }

    fn v6(text: &str) -> IpAddr {
        IpAddr::V6(text.parse().unwrap())
    }

    /// The first and last address of every refused IPv4 block, and the addresses named in the
    /// rules.
    const REFUSED_V4_EXAMPLES: [&str; 34] = [
        "0.0.0.0",
        "0.255.255.255",
        "10.0.0.0",
        "10.255.255.255",
        "100.64.0.0",
        "100.127.255.255",
        "127.0.0.1",
        "127.255.255.255",
        "169.254.0.0",
        "169.254.169.254",
        "169.254.255.255",
        "172.16.0.0",
        "172.31.255.255",
        "192.0.0.0",
        "192.0.0.255",
        "192.0.2.0",
        "192.0.2.255",
        "192.88.99.1",
        "192.168.0.0",
        "192.168.255.255",
        "198.18.0.0",
        "198.19.255.255",
        "198.51.100.0",
        "198.51.100.255",
        "203.0.113.0",
        "203.0.113.255",
        "224.0.0.0",
        "224.0.0.251",
        "239.255.255.255",
        "240.0.0.0",
        "250.1.2.3",
        "255.255.255.254",
        "255.255.255.255",
        "10.1.2.3",
    ];

    /// Public addresses, among them the neighbours just outside the refused blocks.
    const PUBLIC_V4_EXAMPLES: [&str; 14] = [
        "1.1.1.1",
        "8.8.8.8",
        "9.255.255.255",
        "11.0.0.0",
        "100.63.255.255",
        "100.128.0.0",
        "126.255.255.255",
        "128.0.0.0",
        "169.253.255.255",
        "172.15.255.255",
        "172.32.0.0",
        "192.0.1.0",
        "198.20.0.0",
        "223.255.255.255",
    ];

    #[test]
    fn every_refused_ipv4_block_is_not_public() {
        // GIVEN the first and last address of each refused block
        for text in REFUSED_V4_EXAMPLES {
            // WHEN decided THEN refused
            assert!(!is_public(v4(text)), "{text} must be refused");
        }
    }

    #[test]
    fn public_ipv4_addresses_are_public() {
        // GIVEN public addresses, some just outside a refused block
        for text in PUBLIC_V4_EXAMPLES {
            // WHEN decided THEN allowed
            assert!(is_public(v4(text)), "{text} must be allowed");
        }
    }

    #[test]
    fn every_refused_ipv4_is_refused_in_its_ipv6_forms() {
        // GIVEN each refused IPv4 address written as IPv4-mapped, IPv4-compatible, NAT64 and 6to4
        for text in REFUSED_V4_EXAMPLES {
            let [a, b, c, d] = text.parse::<Ipv4Addr>().unwrap().octets();
            let (high, low) = (u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d]));
            for form in [
                format!("::ffff:{text}"),
                format!("::{text}"),
                format!("64:ff9b::{text}"),
                format!("2002:{high:x}:{low:x}::1"),
            ] {
                // WHEN decided THEN refused as the IPv4 address is
                assert!(!is_public(v6(&form)), "{form} must be refused");
            }
        }
    }

    #[test]
    fn public_ipv4_in_its_ipv6_forms_is_public() {
        // GIVEN public IPv4 addresses written as IPv4-mapped, IPv4-compatible and NAT64
        for text in PUBLIC_V4_EXAMPLES {
            for form in [
                format!("::ffff:{text}"),
                format!("::{text}"),
                format!("64:ff9b::{text}"),
            ] {
                // WHEN decided THEN allowed as the IPv4 address is
                assert!(is_public(v6(&form)), "{form} must be allowed");
            }
        }
    }

    #[test]
    fn every_refused_ipv6_block_is_not_public() {
        // GIVEN addresses of each IPv6 block that is not public
        for text in [
            "::",                                      // unspecified
            "::1",                                     // loopback
            "100::",                                   // discard-only
            "100::ffff:ffff:ffff:ffff",                // discard-only
            "64:ff9b:1::1",                            // local-use NAT64
            "2001::1",                                 // Teredo
            "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff",  // IETF protocol assignments
            "2001:2::1",                               // benchmarking
            "2001:db8::1",                             // documentation
            "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",  // documentation
            "3fff::1",                                 // documentation (RFC 9637)
            "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff",  // documentation (RFC 9637)
            "5f00::1",                                 // SRv6 SIDs
            "fc00::1",                                 // unique-local
            "fd00::1",                                 // unique-local
            "fd00:ec2::254",                           // the metadata service
            "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", // unique-local
            "fe80::1",                                 // link-local
            "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", // link-local
            "fec0::1",                                 // site-local (deprecated)
            "ff02::1",                                 // multicast
            "ff0e::1",                                 // multicast, global scope
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", // multicast
            "4000::1",                                 // not yet allocated
            "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", // not yet allocated
        ] {
            // WHEN decided THEN refused
            assert!(!is_public(v6(text)), "{text} must be refused");
        }
    }

    #[test]
    fn public_ipv6_addresses_are_public() {
        // GIVEN global unicast addresses, some just outside a refused block
        for text in [
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "2a00:1450:4001:80b::200e",
            "2001:200::1",
            "2001:db9::1",
            "2000::1",
            "3ffe:ffff::1",
            "3fff:1000::1",
            "2002:808:808::1", // 6to4 of 8.8.8.8
        ] {
            // WHEN decided THEN allowed
            assert!(is_public(v6(text)), "{text} must be allowed");
        }
    }
}
