//! An OpenID provider on loopback for tests: it publishes its discovery document and its RSA
//! keys over plain HTTP on 127.0.0.1, as an identity provider does over HTTPS, and signs RS256
//! tokens with them. Its keys are made when it starts; it stops when dropped.

use crate::oidc::{Provider, TrustedIssuer};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use axum::Json;
use axum::extract::State;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// URL-safe base64 without padding, as JWTs and JWKs write bytes.
pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A signing key and the id it is published under.
struct Key {
    kid: String,
    pair: KeyPair,
}

impl Key {
    fn new(kid: &str) -> Self {
        Self {
            kid: kid.to_owned(),
            pair: KeyPair::generate(KeySize::Rsa2048).expect("an RSA key"),
        }
    }

    /// The public key as a JWK.
    fn jwk(&self) -> Value {
        let public = self.pair.public_key();
        json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": base64url(public.modulus().big_endian_without_leading_zero()),
            "e": base64url(public.exponent().big_endian_without_leading_zero()),
        })
    }

    /// `claims` signed with this key, its header naming `kid`.
    fn sign(&self, kid: &str, claims: &Value) -> String {
        let header = json!({ "alg": "RS256", "typ": "JWT", "kid": kid });
        let input = format!(
            "{}.{}",
            base64url(header.to_string().as_bytes()),
            base64url(claims.to_string().as_bytes())
        );
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .expect("a signature");
        format!("{input}.{}", base64url(&signature))
    }
}

/// What the server publishes, and how often its keys were read.
struct Published {
    issuer: String,
    keys: Mutex<Vec<Key>>,
    reads: AtomicUsize,
}

/// An identity provider on loopback.
pub struct TestIssuer {
    published: Arc<Published>,
    /// Never published: it signs tokens no published key verifies.
    stranger: Key,
    server: tokio::task::JoinHandle<()>,
}

impl TestIssuer {
    /// Starts one on a free port of 127.0.0.1, with one key.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let address = listener.local_addr().expect("its address");
        let published = Arc::new(Published {
            issuer: format!("http://{address}/issuer"),
            keys: Mutex::new(vec![Key::new("key-1")]),
            reads: AtomicUsize::new(0),
        });
        let app = axum::Router::new()
            .route("/issuer/.well-known/openid-configuration", get(discovery))
            .route("/issuer/keys", get(keys))
            .with_state(published.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            published,
            stranger: Key::new("stranger"),
            server,
        }
    }

    /// Its issuer URL (`iss`).
    pub fn issuer(&self) -> &str {
        &self.published.issuer
    }

    /// It, trusted as `provider`'s identity provider for `audiences`.
    pub fn trusted_as(&self, provider: Provider, audiences: &[&str]) -> TrustedIssuer {
        TrustedIssuer {
            provider,
            issuer: self.issuer().to_owned(),
            audiences: audiences.iter().map(|a| (*a).to_owned()).collect(),
        }
    }

    /// `claims` signed with its current key.
    pub fn sign(&self, claims: &Value) -> String {
        let keys = self.published.keys.lock().expect("not poisoned");
        let current = keys.last().expect("a key");
        current.sign(&current.kid, claims)
    }

    /// `claims` signed with a key it never published, named by that key's own id.
    pub fn unpublished_token(&self, claims: &Value) -> String {
        self.stranger.sign(&self.stranger.kid, claims)
    }

    /// `claims` signed with a key it never published, but naming its current key's id.
    pub fn forged_token(&self, claims: &Value) -> String {
        let keys = self.published.keys.lock().expect("not poisoned");
        let current = keys.last().expect("a key");
        self.stranger.sign(&current.kid, claims)
    }

    /// Publishes a new key beside the others and signs with it from now on.
    pub fn rotate(&self) {
        let mut keys = self.published.keys.lock().expect("not poisoned");
        let kid = format!("key-{}", keys.len() + 1);
        keys.push(Key::new(&kid));
    }

    /// How many times its keys were read.
    pub fn key_reads(&self) -> usize {
        self.published.reads.load(Ordering::SeqCst)
    }
}

impl Drop for TestIssuer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn discovery(State(published): State<Arc<Published>>) -> Json<Value> {
    Json(json!({
        "issuer": published.issuer,
        "jwks_uri": format!("{}/keys", published.issuer),
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

async fn keys(State(published): State<Arc<Published>>) -> Json<Value> {
    published.reads.fetch_add(1, Ordering::SeqCst);
    let keys = published.keys.lock().expect("not poisoned");
    Json(json!({ "keys": keys.iter().map(Key::jwk).collect::<Vec<_>>() }))
}
