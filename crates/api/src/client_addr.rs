//! The client's address, decided in one place for every per-address limit, the access log and
//! the sessions list.
//!
//! It is the TCP peer, unless the peer is a proxy listed in `TRUSTED_PROXIES`: then it is the
//! rightmost address of `X-Forwarded-For` (or RFC 7239 `Forwarded: for=`) that is not itself a
//! trusted proxy. The rightmost, because each proxy appends what it saw and a client can write
//! anything to the left of that; a forged leftmost entry is never reached. A header that does
//! not parse falls back to the peer: a request is never refused for it.
//!
//! Limits count a client by its *network*: an IPv4 address alone, an IPv6 address by its
//! prefix (a /64 by default — one subscriber commonly holds a whole /64, 2^64 addresses).
//! IPv4-mapped IPv6 peers (`::ffff:192.0.2.1`, a dual-stack socket) count as IPv4.

use std::net::IpAddr;

use actix_web::http::header::HeaderMap;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// Which peers are proxies whose forwarded headers we believe, and how IPv6 clients group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddressPolicy {
    /// Addresses and ranges of our own proxies (`TRUSTED_PROXIES`); empty trusts none.
    pub trusted_proxies: Vec<IpNet>,
    /// The prefix length an IPv6 client is counted by (`CLIENT_IPV6_PREFIX`, 64).
    pub ipv6_prefix: u8,
}

impl Default for ClientAddressPolicy {
    fn default() -> Self {
        Self {
            trusted_proxies: Vec::new(),
            ipv6_prefix: 64,
        }
    }
}

/// The client of one request, put into the request's extensions by `middleware::request_span`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr {
    /// The address itself (shown in the sessions list, written to the log).
    pub ip: IpAddr,
    /// What per-address limits count: the address, or its IPv6 network.
    pub network: IpNet,
}

impl ClientAddressPolicy {
    /// Parses `TRUSTED_PROXIES`: comma-separated addresses (`10.0.0.7`, `::1`) and CIDR ranges
    /// (`10.0.0.0/8`, `fd00::/8`). Blank entries are skipped.
    pub fn parse_proxies(list: &str) -> Result<Vec<IpNet>, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map(|net| net.trunc())
                    .map_err(|_| format!("`{entry}` is not an IP address or a CIDR range"))
            })
            .collect()
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }

    /// The client of a request that arrived from `peer` with `headers`.
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<ClientAddr> {
        let peer = peer.map(|ip| ip.to_canonical())?;
        let ip = if self.is_trusted(peer) {
            self.forwarded_client(headers).unwrap_or(peer)
        } else {
            peer
        };
        Some(ClientAddr {
            ip,
            network: self.network(ip),
        })
    }

    /// The rightmost untrusted hop of the forwarded chain; all hops trusted: the first one.
    /// `None` when there is no chain or any part of it does not parse.
    fn forwarded_client(&self, headers: &HeaderMap) -> Option<IpAddr> {
        let chain = forwarded_chain(headers)?;
        chain
            .iter()
            .rev()
            .find(|ip| !self.is_trusted(**ip))
            .or_else(|| chain.first())
            .copied()
    }

    /// What limits count for `ip`: an IPv4 address alone, an IPv6 address by its prefix.
    pub fn network(&self, ip: IpAddr) -> IpNet {
        match ip.to_canonical() {
            IpAddr::V4(v4) => IpNet::V4(Ipv4Net::from(v4)),
            IpAddr::V6(v6) => Ipv6Net::new(v6, self.ipv6_prefix.min(128))
                .map(|net| IpNet::V6(net.trunc()))
                .unwrap_or_else(|_| IpNet::V6(Ipv6Net::from(v6))),
        }
    }
}

/// The forwarded addresses, client first: every `X-Forwarded-For` header in order, or else every
/// `Forwarded` header's `for=`. `None` when absent, empty or malformed anywhere.
fn forwarded_chain(headers: &HeaderMap) -> Option<Vec<IpAddr>> {
    let xff: Vec<_> = headers.get_all("x-forwarded-for").collect();
    if !xff.is_empty() {
        let mut chain = Vec::new();
        for value in xff {
            for part in value.to_str().ok()?.split(',') {
                chain.push(parse_node(part.trim())?);
            }
        }
        return (!chain.is_empty()).then_some(chain);
    }
    let mut chain = Vec::new();
    for value in headers.get_all("forwarded") {
        for element in value.to_str().ok()?.split(',') {
            let node = element.split(';').find_map(|pair| {
                let (key, value) = pair.trim().split_once('=')?;
                key.trim()
                    .eq_ignore_ascii_case("for")
                    .then_some(value.trim())
            })?;
            chain.push(parse_node(node.trim_matches('"'))?);
        }
    }
    (!chain.is_empty()).then_some(chain)
}

/// `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Some(rest) = node.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        return ip.parse::<IpAddr>().ok().map(|ip| ip.to_canonical());
    }
    let (ip, port) = node.rsplit_once(':')?;
    let ip = ip.parse::<std::net::Ipv4Addr>().ok()?;
    is_port(port).then_some(IpAddr::V4(ip))
}

fn is_port(s: &str) -> bool {
    !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn policy(trusted: &str) -> ClientAddressPolicy {
        ClientAddressPolicy {
            trusted_proxies: ClientAddressPolicy::parse_proxies(trusted).unwrap(),
            ipv6_prefix: 64,
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn client(policy: &ClientAddressPolicy, peer: &str, pairs: &[(&'static str, &str)]) -> String {
        policy
            .client(Some(peer.parse().unwrap()), &headers(pairs))
            .unwrap()
            .ip
            .to_string()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let p = policy("");
        assert_eq!(
            client(&p, "198.51.100.9", &[("x-forwarded-for", "1.2.3.4")]),
            "198.51.100.9"
        );
        let p = policy("10.0.0.0/8");
        assert_eq!(
            client(&p, "198.51.100.9", &[("forwarded", "for=1.2.3.4")]),
            "198.51.100.9"
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() {
        let p = policy("10.0.0.0/8, 127.0.0.1");
        let forged = [("x-forwarded-for", "6.6.6.6, 203.0.113.5, 10.1.2.3")];
        assert_eq!(client(&p, "127.0.0.1", &forged), "203.0.113.5");
        let split = [
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "203.0.113.5"),
        ];
        assert_eq!(client(&p, "127.0.0.1", &split), "203.0.113.5");
        assert_eq!(
            client(&p, "127.0.0.1", &[("x-forwarded-for", "10.9.9.9")]),
            "10.9.9.9"
        );
    }

    #[test]
    fn rfc_7239_forwarded_is_read_with_quotes_ports_and_ipv6() {
        let p = policy("127.0.0.1");
        let value = "for=6.6.6.6;proto=http, For=\"[2001:db8:cafe::17]:4711\";by=x";
        assert_eq!(
            client(&p, "127.0.0.1", &[("forwarded", value)]),
            "2001:db8:cafe::17"
        );
        assert_eq!(
            client(&p, "127.0.0.1", &[("forwarded", "for=192.0.2.60:80")]),
            "192.0.2.60"
        );
    }

    #[test]
    fn a_malformed_chain_falls_back_to_the_peer() {
        let p = policy("127.0.0.1");
        for bad in [
            "",
            "not-an-ip",
            "1.2.3.4,,",
            "1.2.3.4, 999.1.1.1",
            "[::1",
            "1.2.3.4:x",
        ] {
            assert_eq!(
                client(&p, "127.0.0.1", &[("x-forwarded-for", bad)]),
                "127.0.0.1",
                "{bad}"
            );
        }
        assert_eq!(
            client(&p, "127.0.0.1", &[("forwarded", "for=unknown")]),
            "127.0.0.1"
        );
        assert_eq!(
            client(&p, "127.0.0.1", &[("forwarded", "proto=https")]),
            "127.0.0.1"
        );
    }

    #[test]
    fn ipv6_clients_count_by_network_and_mapped_ipv4_as_ipv4() {
        let p = policy("");
        let a = p.network("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = p.network("2001:db8:1:2:bbbb::9".parse().unwrap());
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "2001:db8:1:2::/64");
        assert_ne!(a, p.network("2001:db8:1:3::1".parse().unwrap()));
        let mapped = p.client(Some("::ffff:192.0.2.1".parse().unwrap()), &HeaderMap::new());
        assert_eq!(mapped.unwrap().network.to_string(), "192.0.2.1/32");
    }

    #[test]
    fn trusted_proxies_parse_addresses_and_ranges_and_name_a_bad_entry() {
        let nets =
            ClientAddressPolicy::parse_proxies(" 10.0.0.1 , fd00::/8,192.168.0.0/16 ").unwrap();
        assert_eq!(nets.len(), 3);
        let err = ClientAddressPolicy::parse_proxies("10.0.0.1, nginx").unwrap_err();
        assert!(err.contains("nginx"), "{err}");
    }
}
