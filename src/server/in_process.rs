//! A client and this server in one process over an in-memory pipe: what `asgardeo-mcp call`,
//! the tests and the benchmark use to talk to the server exactly as a host would.

use rmcp::service::{ClientLifecycleMode, ClientServiceExt, RunningService};
use rmcp::{ClientHandler, RoleClient, ServiceExt};

use super::AsgardeoServer;

/// A connected client; dropping it ends the session and the server task with it.
pub struct InProcess<C: ClientHandler> {
    pub client: RunningService<RoleClient, C>,
    server: tokio::task::JoinHandle<()>,
}

impl<C: ClientHandler> InProcess<C> {
    /// Closes the session and waits for the server side to finish its in-flight calls.
    pub async fn close(mut self) {
        let _ = self.client.close().await;
        let _ = (&mut self.server).await;
    }
}

impl<C: ClientHandler> std::ops::Deref for InProcess<C> {
    type Target = RunningService<RoleClient, C>;
    fn deref(&self) -> &Self::Target {
        &self.client
    }
}

/// Connects `handler` (use `()` for a plain client) to `server` with the `initialize`
/// handshake of protocols up to 2025-11-25.
pub async fn connect_in_process<C: ClientHandler>(
    server: AsgardeoServer,
    handler: C,
) -> Result<InProcess<C>, rmcp::service::ClientInitializeError> {
    connect_in_process_with(server, handler, ClientLifecycleMode::Initialize).await
}

/// Connects `handler` to `server` with the given lifecycle (`Discover` for the stateless
/// 2026-07-28 protocol).
pub async fn connect_in_process_with<C: ClientHandler>(
    server: AsgardeoServer,
    handler: C,
    lifecycle: ClientLifecycleMode,
) -> Result<InProcess<C>, rmcp::service::ClientInitializeError> {
    let (server_io, client_io) = tokio::io::duplex(1 << 20);
    let server = tokio::spawn(async move {
        match server.serve(server_io).await {
            Ok(service) => {
                let _ = service.waiting().await;
            }
            Err(err) => tracing::warn!(error = %err, "in-process session did not start"),
        }
    });
    let client = match lifecycle {
        ClientLifecycleMode::Initialize => handler.serve(client_io).await?,
        other => handler.serve_with_lifecycle(client_io, other).await?,
    };
    Ok(InProcess { client, server })
}
