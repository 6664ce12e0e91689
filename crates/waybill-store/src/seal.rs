//! Ed25519 seals over the heads of a case's two hash chains.
//!
//! `waybill case seal CASE --key FILE` signs the message
//!
//! ```text
//! waybill-seal/1
//! manifest <head> <lines>
//! custody <head> <lines>
//! ```
//!
//! where `<head>` is the SHA-256 of the chain's last line (64 zeros when
//! empty) and `<lines>` its line count, with the examiner's Ed25519 private key
//! (PKCS#8 PEM, as `openssl genpkey -algorithm ed25519` or `waybill case keygen`
//! write it). The seal is appended to `seals.jsonl` (one JSON object per line:
//! the heads and counts, the public key in hex, the signature in hex) and the
//! custody log records the act. A seal covers the chains as they stood: since
//! each chain line carries the hash of the one before, a valid signature over
//! line *n*'s hash vouches for lines 1‥*n*; later lines are not covered.

use std::path::Path;

use ed25519_dalek::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _, EncodePrivateKey as _, EncodePublicKey as _};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::StoreError;
use crate::chain::{Chain, GENESIS, sha256_hex};

/// The file seals are appended to.
pub const SEALS: &str = "seals.jsonl";

/// One seal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    /// `waybill-seal/1`.
    pub version: String,
    /// SHA-256 of the manifest's last sealed line.
    pub manifest_head: String,
    /// Manifest lines covered.
    pub manifest_lines: usize,
    /// SHA-256 of the custody log's last sealed line.
    pub custody_head: String,
    /// Custody lines covered.
    pub custody_lines: usize,
    /// `Ed25519`.
    pub algorithm: String,
    /// The signer's public key, hex (32 bytes).
    pub public_key: String,
    /// The signature over [`Seal::message`], hex (64 bytes).
    pub signature: String,
}

/// What is wrong with a seal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealProblem {
    /// The chain no longer has the sealed line, or it hashes differently.
    ChainChanged {
        /// `manifest.jsonl` or `custody.jsonl`.
        chain: &'static str,
        /// What was found.
        detail: String,
    },
    /// The signature does not verify with the seal's key.
    BadSignature,
    /// The seal's key or signature is not well-formed.
    Malformed(String),
    /// Signed by a key other than the one the examiner trusts.
    UntrustedKey(String),
}

impl std::fmt::Display for SealProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ChainChanged { chain, detail } => write!(f, "{chain} changed since it was sealed: {detail}"),
            Self::BadSignature => f.write_str("the signature does not verify"),
            Self::Malformed(d) => write!(f, "malformed seal: {d}"),
            Self::UntrustedKey(k) => write!(f, "signed by key {k}, not the trusted key"),
        }
    }
}

impl Seal {
    /// The bytes that are signed.
    pub fn message(&self) -> String {
        format!(
            "{}\nmanifest {} {}\ncustody {} {}\n",
            self.version, self.manifest_head, self.manifest_lines, self.custody_head, self.custody_lines
        )
    }

    /// Signs the chains as they stand.
    pub fn sign(manifest: &Chain, custody: &Chain, key: &SigningKey) -> Self {
        let mut seal = Self {
            version: "waybill-seal/1".into(),
            manifest_head: manifest.head(),
            manifest_lines: manifest.lines().len(),
            custody_head: custody.head(),
            custody_lines: custody.lines().len(),
            algorithm: "Ed25519".into(),
            public_key: hex(key.verifying_key().as_bytes()),
            signature: String::new(),
        };
        seal.signature = hex(&key.sign(seal.message().as_bytes()).to_bytes());
        seal
    }

    /// Checks the signature, and that both chains still hold the sealed lines
    /// (chain links themselves are checked by [`Chain::verify`]).
    pub fn check(&self, manifest: &Chain, custody: &Chain, trusted: Option<&VerifyingKey>) -> Result<(), SealProblem> {
        for (name, chain, head, n) in [
            ("manifest.jsonl", manifest, &self.manifest_head, self.manifest_lines),
            ("custody.jsonl", custody, &self.custody_head, self.custody_lines),
        ] {
            let got = match n {
                0 => GENESIS.to_owned(),
                n => match chain.lines().get(n - 1) {
                    Some(l) => sha256_hex(l.as_bytes()),
                    None => {
                        return Err(SealProblem::ChainChanged {
                            chain: name,
                            detail: format!("sealed with {n} lines, has {}", chain.lines().len()),
                        });
                    }
                },
            };
            if got != *head {
                return Err(SealProblem::ChainChanged {
                    chain: name,
                    detail: format!("line {n} hashes to {got}, sealed as {head}"),
                });
            }
        }
        let key = unhex::<32>(&self.public_key)
            .and_then(|b| VerifyingKey::from_bytes(&b).ok())
            .ok_or_else(|| SealProblem::Malformed("public key".into()))?;
        if let Some(t) = trusted
            && t != &key
        {
            return Err(SealProblem::UntrustedKey(self.public_key.clone()));
        }
        let sig = unhex::<64>(&self.signature)
            .map(|b| Signature::from_bytes(&b))
            .ok_or_else(|| SealProblem::Malformed("signature".into()))?;
        key.verify(self.message().as_bytes(), &sig).map_err(|_| SealProblem::BadSignature)
    }
}

/// Reads an Ed25519 private key: PKCS#8 PEM, or 32 bytes hex (the seed).
pub fn read_signing_key(path: &Path) -> Result<SigningKey, StoreError> {
    let text = fs_err::read_to_string(path)?;
    let t = text.trim();
    if let Some(seed) = unhex::<32>(t) {
        return Ok(SigningKey::from_bytes(&seed));
    }
    SigningKey::from_pkcs8_pem(t).map_err(|e| {
        StoreError::layout(path, &format!("not an Ed25519 private key (PKCS#8 PEM or 64 hex digits): {e}"))
    })
}

/// Reads an Ed25519 public key: SPKI PEM, or 32 bytes hex.
pub fn read_verifying_key(path: &Path) -> Result<VerifyingKey, StoreError> {
    let text = fs_err::read_to_string(path)?;
    let t = text.trim();
    if let Some(b) = unhex::<32>(t) {
        return VerifyingKey::from_bytes(&b).map_err(|e| StoreError::layout(path, &format!("not an Ed25519 key: {e}")));
    }
    VerifyingKey::from_public_key_pem(t)
        .map_err(|e| StoreError::layout(path, &format!("not an Ed25519 public key (SPKI PEM or 64 hex digits): {e}")))
}

/// A new key pair from the system's random source: the private key as PKCS#8
/// PEM and the public key as SPKI PEM.
pub fn generate() -> Result<(String, String, String), StoreError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| StoreError::Io(std::io::Error::other(e.to_string())))?;
    let key = SigningKey::from_bytes(&seed);
    let private = key
        .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|e| StoreError::Io(std::io::Error::other(e.to_string())))?;
    let public = key
        .verifying_key()
        .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|e| StoreError::Io(std::io::Error::other(e.to_string())))?;
    Ok((private.to_string(), public, hex(key.verifying_key().as_bytes())))
}

/// The seals of a case (none when `seals.jsonl` is absent).
pub fn load(root: &Path) -> Result<Vec<Seal>, StoreError> {
    let path = root.join(SEALS);
    let text = match fs_err::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| StoreError::layout(&path, &format!("line {}: {e}", i + 1))))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chains(dir: &Path) -> (Chain, Chain) {
        let mut m = Chain::load(&dir.join("m.jsonl")).unwrap();
        let mut c = Chain::load(&dir.join("c.jsonl")).unwrap();
        m.append(&serde_json::json!({"id": "I0001"})).unwrap();
        c.append(&serde_json::json!({"action": "ingest"})).unwrap();
        (m, c)
    }

    /// RFC 8032 section 7.1, test 1: the key pair and the signature of the empty message.
    #[test]
    fn rfc8032_vector() {
        let seed = unhex::<32>("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60").unwrap();
        let key = SigningKey::from_bytes(&seed);
        assert_eq!(
            hex(key.verifying_key().as_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert_eq!(
            hex(&key.sign(b"").to_bytes()),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
    }

    #[test]
    fn seal_holds_until_a_sealed_line_changes() {
        let dir = tempfile::tempdir().unwrap();
        let (m, mut c) = chains(dir.path());
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let seal = Seal::sign(&m, &c, &key);
        assert_eq!(seal.check(&m, &c, None), Ok(()));
        assert_eq!(seal.check(&m, &c, Some(&key.verifying_key())), Ok(()));
        // Lines appended later are not covered, and do not break the seal.
        c.append(&serde_json::json!({"action": "analyze"})).unwrap();
        assert_eq!(seal.check(&m, &c, None), Ok(()));
        // Another key.
        let other = SigningKey::from_bytes(&[8u8; 32]).verifying_key();
        assert!(matches!(seal.check(&m, &c, Some(&other)), Err(SealProblem::UntrustedKey(_))));
        // A forged signature.
        let mut forged = seal.clone();
        forged.custody_lines = 2;
        forged.custody_head = c.head();
        assert_eq!(forged.check(&m, &c, None), Err(SealProblem::BadSignature));
        // A rewritten sealed line.
        std::fs::write(dir.path().join("m.jsonl"), "{\"id\":\"I0002\",\"prev\":\"0\"}\n").unwrap();
        let m2 = Chain::load(&dir.path().join("m.jsonl")).unwrap();
        assert!(matches!(seal.check(&m2, &c, None), Err(SealProblem::ChainChanged { chain: "manifest.jsonl", .. })));
    }

    #[test]
    fn keys_round_trip_through_pem() {
        let dir = tempfile::tempdir().unwrap();
        let (private, public, hex_pub) = generate().unwrap();
        assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
        std::fs::write(dir.path().join("k.pem"), &private).unwrap();
        std::fs::write(dir.path().join("k.pub"), &public).unwrap();
        let k = read_signing_key(&dir.path().join("k.pem")).unwrap();
        let v = read_verifying_key(&dir.path().join("k.pub")).unwrap();
        assert_eq!(k.verifying_key(), v);
        assert_eq!(hex(v.as_bytes()), hex_pub);
        std::fs::write(dir.path().join("bad.pem"), "not a key").unwrap();
        assert!(read_signing_key(&dir.path().join("bad.pem")).is_err());
    }
}
