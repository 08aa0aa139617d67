# asgardeo-mcp in remote mode: `docker build -t asgardeo-mcp .`, then
#   docker run -p 8000:8000 -e BASE_URL=... -e CLIENT_ID=... -e CLIENT_SECRET=... \
#     -e ASGARDEO_MCP_PUBLIC_URL=https://mcp.example.com asgardeo-mcp
# Multi-stage: the release binary built with the locked dependencies, then a distroless runtime
# (glibc and CA certificates only, no shell) running as a non-root user.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin asgardeo-mcp \
 && strip target/release/asgardeo-mcp

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/asgardeo-mcp /usr/local/bin/asgardeo-mcp
USER nonroot:nonroot
EXPOSE 8000
ENV ASGARDEO_MCP_BIND=0.0.0.0 ASGARDEO_MCP_PORT=8000
ENTRYPOINT ["/usr/local/bin/asgardeo-mcp"]
CMD ["serve", "--http"]
