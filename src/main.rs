//! The `asgardeo-mcp` binary; everything it does lives in [`asgardeo_mcp::cli`].

fn main() -> std::process::ExitCode {
    asgardeo_mcp::cli::main()
}
