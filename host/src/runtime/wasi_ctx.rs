//! A guest's WASI context, from its plugin's grants: its output to the
//! per-process tail, and only the folders, variables and addresses the
//! manifest grants.

use std::sync::Arc;

use wasmtime_wasi::sockets::SocketAddrUse;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder};

use super::output::GuestOutput;
use crate::sandbox::{Protocol, WasiGrants};

/// The WASI context for one process of a plugin granted `grants`, or None
/// for a plugin granted nothing: most processes never call WASI, and
/// building a context costs a CSPRNG seeded from the thread's and a few
/// allocations, so theirs is made by [`ungranted_wasi_ctx`] when their
/// guest first asks.
///
/// # Errors
///
/// One line if a granted folder cannot be opened.
pub(crate) fn wasi_ctx(
    grants: &WasiGrants,
    output: &GuestOutput,
) -> Result<Option<WasiCtx>, String> {
    if grants.is_empty() {
        return Ok(None);
    }
    let mut builder = writing_to(output);
    for dir in &grants.dirs {
        let perms = if dir.write {
            FsPerms::ReadWrite
        } else {
            FsPerms::ReadOnly
        };
        builder
            .preopened_dir(&dir.host, &dir.guest, perms)
            .map_err(|e| format!("wasi: cannot open {}: {e:#}", dir.host.display()))?;
    }
    for (key, value) in &grants.env {
        builder.env(key, value);
    }
    builder
        .allow_tcp(grants.uses(Protocol::Tcp))
        .allow_udp(grants.uses(Protocol::Udp))
        .allow_ip_name_lookup(false);
    let grants = Arc::new(grants.clone());
    builder.socket_addr_check(move |addr, used| {
        let allowed = match used {
            SocketAddrUse::TcpConnect => grants.allows(Protocol::Tcp, addr),
            SocketAddrUse::UdpSend | SocketAddrUse::UdpReceive => {
                grants.allows(Protocol::Udp, addr)
            }
            // A socket is bound to any local port before it connects or
            // sends; binding anything else is for listening.
            SocketAddrUse::TcpBind | SocketAddrUse::UdpBind => {
                addr.ip().is_unspecified() && addr.port() == 0
            }
            // Nothing listens.
            SocketAddrUse::TcpListen | SocketAddrUse::TcpAccept => false,
        };
        Box::pin(async move { allowed })
    });
    Ok(Some(builder.build()))
}

/// The WASI context of a plugin granted nothing: its output to the tail, no
/// folders, variables or addresses. Cannot fail, so a process can make it
/// when its guest first calls WASI rather than when it starts.
pub(crate) fn ungranted_wasi_ctx(output: &GuestOutput) -> WasiCtx {
    writing_to(output).build()
}

/// A builder whose stdout and stderr go to the process's output tail.
fn writing_to(output: &GuestOutput) -> WasiCtxBuilder {
    let mut builder = WasiCtxBuilder::new();
    builder.stdout(output.clone()).stderr(output.clone());
    builder
}
