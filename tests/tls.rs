//! TLS trust: a server whose certificate comes from a private CA is refused until that CA is
//! given (CERT_PATH), and `doctor` says which. The TLS front is a loopback proxy to the sandbox.

// These tests drive the embedded sandbox (the default `sandbox` feature).
#![cfg(feature = "sandbox")]

mod common;

use std::sync::Arc;

use asgardeo_mcp::api::{Upstream, UpstreamSettings};
use asgardeo_mcp::cli::doctor;
use common::Fixture;
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A private CA and a certificate it signed for 127.0.0.1; returns (CA PEM, TLS acceptor).
fn private_ca() -> (String, TlsAcceptor) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let ca_issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca_issuer)
        .unwrap();
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .unwrap();
    (ca.pem(), TlsAcceptor::from(Arc::new(config)))
}

/// Terminates TLS on a free loopback port and forwards each connection to `target`.
async fn tls_front(acceptor: TlsAcceptor, target: std::net::SocketAddr) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                let Ok(mut plain) = tokio::net::TcpStream::connect(target).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    port
}

#[tokio::test]
async fn a_private_ca_is_trusted_only_when_given() {
    let f = Fixture::default().await;
    let (ca_pem, acceptor) = private_ca();
    let port = tls_front(acceptor, f.sandbox.addr).await;
    let base = format!("https://127.0.0.1:{port}/t/sandbox");
    let creds = &f.sandbox.credentials;

    let untrusted = Upstream::new(UpstreamSettings::new(
        &base,
        &creds.client_id,
        &creds.client_secret,
    ))
    .unwrap();
    let report = doctor::diagnose(&untrusted).await;
    let tls = report
        .checks
        .iter()
        .find(|c| c.name == "reachability and TLS")
        .unwrap();
    assert!(
        tls.status == doctor::Status::Fail && tls.detail.contains("CERT_PATH"),
        "{}",
        tls.detail
    );

    let mut settings = UpstreamSettings::new(&base, &creds.client_id, &creds.client_secret);
    settings.extra_ca_pem = Some(ca_pem.into_bytes());
    let trusted = Upstream::new(settings).unwrap();
    let report = doctor::diagnose(&trusted).await;
    assert!(report.healthy(), "{report:?}");
    let page = trusted
        .applications()
        .get_all_applications()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(page.total_results.unwrap() > 0);
}
