//! What of the machine a plugin's guests may reach through WASI: nothing,
//! unless `[plugin.NAME.wasi]` grants a folder, environment variables or
//! outbound addresses. The conventions are Spin's (`files`,
//! `allowed_outbound_hosts`) and Extism's (`allowed_paths`).

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;

/// A plugin's WASI grants. The default grants nothing: no files, no
/// environment, no sockets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WasiGrants {
    /// Host folders the guest sees, each at a path of its own.
    pub dirs: Vec<DirGrant>,
    /// Environment variables the guest sees (none of the host's).
    pub env: BTreeMap<String, String>,
    /// Addresses the guest may open TCP connections or send UDP to.
    pub outbound: Vec<OutboundRule>,
}

impl WasiGrants {
    /// True if it grants nothing.
    pub fn is_empty(&self) -> bool {
        self.dirs.is_empty() && self.env.is_empty() && self.outbound.is_empty()
    }

    /// Whether a connection (or datagram) to `addr` over `protocol` is
    /// allowed.
    pub fn allows(&self, protocol: Protocol, addr: SocketAddr) -> bool {
        self.outbound.iter().any(|rule| rule.allows(protocol, addr))
    }

    /// Whether any rule allows `protocol` at all.
    pub fn uses(&self, protocol: Protocol) -> bool {
        self.outbound.iter().any(|rule| rule.protocol == protocol)
    }
}

/// A host folder preopened for the guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirGrant {
    /// The folder on the host (resolved against the manifest's folder).
    pub host: PathBuf,
    /// Where the guest sees it, e.g. `/data`.
    pub guest: String,
    /// Whether the guest may write (create, change, remove) in it.
    pub write: bool,
}

/// TCP or UDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// TCP connections.
    Tcp,
    /// UDP datagrams.
    Udp,
}

/// One allowed outbound address: `tcp://127.0.0.1:8080`, `udp://[::1]:53`,
/// `tcp://10.0.0.5:*` (any port). Addresses are IP literals: a guest gets
/// no name lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRule {
    /// TCP or UDP.
    pub protocol: Protocol,
    /// The address.
    pub ip: IpAddr,
    /// The port; None for any.
    pub port: Option<u16>,
}

impl OutboundRule {
    fn allows(&self, protocol: Protocol, addr: SocketAddr) -> bool {
        self.protocol == protocol
            && self.ip == addr.ip()
            && self.port.is_none_or(|port| port == addr.port())
    }
}

/// Why an outbound rule did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not an outbound address: write tcp://IP:PORT or udp://IP:PORT (PORT may be *; IP a literal, [..] for IPv6)"
)]
pub struct BadOutbound(String);

impl FromStr for OutboundRule {
    type Err = BadOutbound;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BadOutbound(text.to_string());
        let (protocol, rest) = if let Some(rest) = text.strip_prefix("tcp://") {
            (Protocol::Tcp, rest)
        } else if let Some(rest) = text.strip_prefix("udp://") {
            (Protocol::Udp, rest)
        } else {
            return Err(bad());
        };
        let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let ip = host.parse::<IpAddr>().map_err(|_| bad())?;
        let port = match port {
            "*" => None,
            port => Some(port.parse::<u16>().map_err(|_| bad())?),
        };
        Ok(OutboundRule { protocol, ip, port })
    }
}

impl fmt::Display for OutboundRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.protocol {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        };
        let port = self.port.map_or("*".to_string(), |p| p.to_string());
        match self.ip {
            IpAddr::V4(ip) => write!(f, "{scheme}://{ip}:{port}"),
            IpAddr::V6(ip) => write!(f, "{scheme}://[{ip}]:{port}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbound_rules_parse_and_match() {
        let rule: OutboundRule = "tcp://127.0.0.1:8080".parse().expect("parses");
        let grants = WasiGrants {
            outbound: vec![rule, "udp://[::1]:*".parse().expect("parses")],
            ..WasiGrants::default()
        };
        let addr = |s: &str| s.parse::<SocketAddr>().expect("an address");
        assert!(grants.allows(Protocol::Tcp, addr("127.0.0.1:8080")));
        assert!(!grants.allows(Protocol::Tcp, addr("127.0.0.1:8081")));
        assert!(!grants.allows(Protocol::Udp, addr("127.0.0.1:8080")));
        assert!(grants.allows(Protocol::Udp, addr("[::1]:53")));
        assert_eq!(grants.outbound[1].to_string(), "udp://[::1]:*");
        for bad in [
            "127.0.0.1:80",
            "tcp://example.com:80",
            "tcp://1.2.3.4",
            "tcp://1.2.3.4:x",
        ] {
            assert!(bad.parse::<OutboundRule>().is_err(), "{bad}");
        }
    }
}
