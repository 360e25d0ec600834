//! TLS for PostgreSQL connections, with libpq's `sslmode` meanings, so that a URL written for
//! `psql` means the same to custos:
//!
//! | `sslmode` | encrypted | server certificate checked |
//! |---|---|---|
//! | `disable` | never | — |
//! | `allow`, `prefer` (the default) | when the server offers it | no |
//! | `require` | always | no; against `sslrootcert` when one is given (as `verify-ca`) |
//! | `verify-ca` | always | chain, against `sslrootcert` or the system's roots |
//! | `verify-full` | always | chain and host name |
//!
//! The driver knows only `disable`, `prefer` and `require`, and not `sslrootcert`: those two
//! parameters are read here and taken off the URL before it reaches the driver.

use percent_encoding::percent_decode_str;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::path::PathBuf;
use std::sync::Arc;
use tokio_postgres::config::SslMode as DriverMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The driver's configuration for `url`, with the connector its `sslmode` asks for. Errors
/// say what is wrong with the URL, without repeating it (it may hold a password).
pub(crate) fn driver_config(
    url: &str,
) -> Result<(tokio_postgres::Config, MakeRustlsConnect), String> {
    let (driver_url, read) = TlsSettings::split(url)?;
    let mut config: tokio_postgres::Config = driver_url.parse().map_err(|e| format!("{e}"))?;
    let tls = match read {
        Some(tls) => {
            config.ssl_mode(tls.driver_mode());
            tls
        }
        None => TlsSettings::from_driver(config.get_ssl_mode()),
    };
    Ok((config, tls.connector()?))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// What a connection URL asks of TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TlsSettings {
    pub mode: SslMode,
    /// `sslrootcert`: a PEM file of the certificates to trust; `None` for the system's roots.
    pub root_cert: Option<PathBuf>,
}

impl TlsSettings {
    /// Splits `sslmode` and `sslrootcert` off `url`, returning what is left for the driver.
    /// A URL that is not of the `postgres://` form (`host=... dbname=...`) is left to the
    /// driver whole (`None`): it reads `disable`, `prefer` and `require` itself.
    pub fn split(url: &str) -> Result<(String, Option<TlsSettings>), String> {
        let mut settings = TlsSettings {
            mode: SslMode::Prefer,
            root_cert: None,
        };
        let is_url = url::Url::parse(url)
            .is_ok_and(|parsed| matches!(parsed.scheme(), "postgres" | "postgresql"));
        if !is_url {
            return Ok((url.to_owned(), None));
        }
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        // The other parameters go to the driver byte for byte: it percent-decodes them itself,
        // and re-encoding could change them (a space must stay `%20`, not become `+`).
        let mut rest = Vec::new();
        let mut mode = None;
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded = || percent_decode_str(value).decode_utf8_lossy().into_owned();
            match key {
                "sslmode" => mode = Some(decoded()),
                "sslrootcert" if value == "system" => settings.root_cert = None,
                "sslrootcert" => settings.root_cert = Some(PathBuf::from(decoded())),
                _ => rest.push(pair),
            }
        }
        settings.mode = match mode.as_deref() {
            None | Some("allow" | "prefer") => SslMode::Prefer,
            Some("disable") => SslMode::Disable,
            Some("require") if settings.root_cert.is_some() => SslMode::VerifyCa,
            Some("require") => SslMode::Require,
            Some("verify-ca") => SslMode::VerifyCa,
            Some("verify-full") => SslMode::VerifyFull,
            Some(other) => {
                return Err(format!(
                    "sslmode={other}: use disable, allow, prefer, require, verify-ca or verify-full"
                ));
            }
        };
        let driver_url = if rest.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", rest.join("&"))
        };
        Ok((driver_url, Some(settings)))
    }

    /// The settings of a connection string the driver read itself.
    pub fn from_driver(mode: DriverMode) -> TlsSettings {
        TlsSettings {
            mode: match mode {
                DriverMode::Disable => SslMode::Disable,
                DriverMode::Require => SslMode::Require,
                _ => SslMode::Prefer,
            },
            root_cert: None,
        }
    }

    /// What the driver is told: whether to ask the server for TLS, and whether to insist.
    pub fn driver_mode(&self) -> DriverMode {
        match self.mode {
            SslMode::Disable => DriverMode::Disable,
            SslMode::Prefer => DriverMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => DriverMode::Require,
        }
    }

    /// The connector that checks the server's certificate as the mode says.
    pub fn connector(&self) -> Result<MakeRustlsConnect, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier: Arc<dyn ServerCertVerifier> = match self.mode {
            SslMode::Disable | SslMode::Prefer | SslMode::Require => {
                Arc::new(EncryptOnly(provider.signature_verification_algorithms))
            }
            SslMode::VerifyCa | SslMode::VerifyFull => {
                let roots = Arc::new(self.roots()?);
                let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                    .build()
                    .map_err(|e| format!("cannot check server certificates: {e}"))?;
                if self.mode == SslMode::VerifyFull {
                    webpki
                } else {
                    Arc::new(ChainOnly(webpki))
                }
            }
        };
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("cannot set up TLS: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(MakeRustlsConnect::new(config))
    }

    fn roots(&self) -> Result<RootCertStore, String> {
        let mut roots = RootCertStore::empty();
        match &self.root_cert {
            Some(path) => {
                let shown = path.display();
                let certs = CertificateDer::pem_file_iter(path)
                    .map_err(|e| format!("sslrootcert={shown}: cannot read it: {e}"))?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("sslrootcert={shown}: not a PEM certificate file: {e}"))?;
                let (added, _) = roots.add_parsable_certificates(certs);
                if added == 0 {
                    return Err(format!(
                        "sslrootcert={shown}: holds no usable certificate; give the PEM file of the CA that signed the server's certificate"
                    ));
                }
            }
            None => {
                let found = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(found.certs);
                if roots.is_empty() {
                    return Err(
                        "no system root certificates were found: give sslrootcert=PATH, the PEM file of the CA that signed the server's certificate"
                            .to_owned(),
                    );
                }
            }
        }
        Ok(roots)
    }
}

/// `prefer` and `require` without a root certificate, as libpq: the connection is encrypted,
/// and whoever answers is not authenticated. The handshake's signatures are still checked.
#[derive(Debug)]
struct EncryptOnly(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted root; the name in the certificate may differ
/// from the host connected to.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // The chain is checked before the name, so a name error means the chain was trusted.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_parameters_are_taken_off_the_url_and_the_rest_is_kept() {
        let (rest, read) = TlsSettings::split(
            "postgres://u:p%40ss@db.example:5433/custos?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&options=-c%20search_path%3Dx&application_name=custos",
        )
        .unwrap();
        assert_eq!(
            rest,
            "postgres://u:p%40ss@db.example:5433/custos?options=-c%20search_path%3Dx&application_name=custos"
        );
        let read = read.unwrap();
        assert_eq!(read.mode, SslMode::VerifyFull);
        assert_eq!(read.root_cert, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(read.driver_mode(), DriverMode::Require);

        let (rest, read) = TlsSettings::split("postgresql://h/d?sslmode=require").unwrap();
        assert_eq!(rest, "postgresql://h/d");
        assert_eq!(read.unwrap().mode, SslMode::Require);
        // libpq: `require` with a root certificate checks the chain.
        let (_, read) =
            TlsSettings::split("postgres://h/d?sslmode=require&sslrootcert=ca.pem").unwrap();
        assert_eq!(read.unwrap().mode, SslMode::VerifyCa);
        let (_, read) = TlsSettings::split("postgres://h/d").unwrap();
        assert_eq!(read.unwrap().mode, SslMode::Prefer);
        let (_, read) =
            TlsSettings::split("postgres://h/d?sslmode=verify-ca&sslrootcert=system").unwrap();
        assert_eq!(
            read.unwrap(),
            TlsSettings {
                mode: SslMode::VerifyCa,
                root_cert: None
            }
        );

        let error = TlsSettings::split("postgres://h/d?sslmode=verify").unwrap_err();
        assert!(
            error.contains("sslmode=verify") && error.contains("verify-full"),
            "{error}"
        );
        // The key=value form is the driver's to read.
        let (rest, read) = TlsSettings::split("host=h dbname=d sslmode=require").unwrap();
        assert_eq!(
            (rest.as_str(), read),
            ("host=h dbname=d sslmode=require", None)
        );
    }

    #[test]
    fn an_unreadable_root_certificate_is_named() {
        let (_, read) = TlsSettings::split(
            "postgres://h/d?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
        )
        .unwrap();
        let error = read.unwrap().connector().err().unwrap();
        assert!(error.contains("sslrootcert=/nonexistent/ca.pem"), "{error}");
        let empty =
            std::env::temp_dir().join(format!("custos-empty-ca-{}.pem", std::process::id()));
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let url = format!(
            "postgres://h/d?sslmode=verify-ca&sslrootcert={}",
            empty.display()
        );
        let error = TlsSettings::split(&url)
            .unwrap()
            .1
            .unwrap()
            .connector()
            .err()
            .unwrap();
        assert!(error.contains("no usable certificate"), "{error}");
        let _ = std::fs::remove_file(empty);
    }

    /// The CA of the test server's certificate (`ci-postgres.sh` makes it); `None` skips the
    /// connection tests outside CI.
    fn test_ca() -> Option<String> {
        match std::env::var("CUSTOS_TEST_POSTGRES_CA") {
            Ok(path) => Some(path),
            Err(_) if std::env::var_os("CI").is_some() => {
                panic!(
                    "CI is set but CUSTOS_TEST_POSTGRES_CA is not: run crates/custos-store/ci-postgres.sh"
                )
            }
            Err(_) => {
                eprintln!(
                    "SKIP: set CUSTOS_TEST_POSTGRES_CA (see crates/custos-store/ci-postgres.sh)"
                );
                None
            }
        }
    }

    /// Whether the session the URL opens is encrypted, or the error (with its causes).
    async fn encrypted(url: &str) -> Result<bool, String> {
        let (config, connector) = driver_config(url)?;
        let (client, connection) = config.connect(connector).await.map_err(|e| {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            text
        })?;
        tokio::spawn(connection);
        let row = client
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(row.get(0))
    }

    #[tokio::test]
    async fn sslmode_means_what_it_means_to_libpq() {
        let Some(ca) = test_ca() else {
            return;
        };
        let at = |host: &str, query: &str| {
            format!("postgres://custos:custos@{host}:5432/custos_test{query}")
        };
        let trusted = format!("&sslrootcert={ca}");
        for (url, expected) in [
            (at("127.0.0.1", "?sslmode=disable"), Ok(false)),
            (at("127.0.0.1", ""), Ok(true)),
            (at("127.0.0.1", "?sslmode=require"), Ok(true)),
            (
                at("localhost", &format!("?sslmode=verify-full{trusted}")),
                Ok(true),
            ),
            // The certificate names `localhost`, not the address: the chain is trusted, the
            // name is not.
            (
                at("127.0.0.1", &format!("?sslmode=verify-ca{trusted}")),
                Ok(true),
            ),
            (
                at("127.0.0.1", &format!("?sslmode=require{trusted}")),
                Ok(true),
            ),
            (
                at("127.0.0.1", &format!("?sslmode=verify-full{trusted}")),
                Err("not valid for name"),
            ),
            // The test CA is not among the system's roots.
            (
                at("localhost", "?sslmode=verify-full"),
                Err("UnknownIssuer"),
            ),
        ] {
            match (encrypted(&url).await, expected) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{url}"),
                (Err(error), Err(want)) => {
                    assert!(
                        error.contains(want) && error.contains("certificate"),
                        "{url}: {error}"
                    )
                }
                (got, want) => panic!("{url}: got {got:?}, expected {want:?}"),
            }
        }
    }
}
