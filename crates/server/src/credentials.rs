//! Credentials: API keys (with their secrets, for the signed scheme of the Binance-compatible
//! API) and guest session tokens, each naming an account; kept apart from the journal (which
//! holds no secret and can be shared) in `credentials.jsonl` in the data directory.
//!
//! # Invariant
//! A credential is handed to its client only after its line is durable (written and
//! `fdatasync`ed by [`Credentials::flush`], which the engine calls after the journal commit that
//! holds the account's creation). A torn last line (a crash mid-write) was never handed out and
//! is ignored at load; a bad line elsewhere stops start-up.

use bourse_core::{AccountId, AssetId};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What a credential is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// A visitor of the terminal: the token is kept by the browser.
    Guest,
    /// An API key created by the admin, with a secret.
    Api,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Line {
    kind: CredentialKind,
    account: AccountId,
    name: String,
    key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    /// What the account was opened with, `(asset, whole coins)`: what an admin reset gives back.
    #[serde(default)]
    funding: Vec<(AssetId, Decimal)>,
}

/// A client order id given as a string (Binance's `newClientOrderId`), beside the 64-bit id the
/// core knows it by.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LabelLine {
    label_account: AccountId,
    client_id: u64,
    label: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum Record {
    Credential(Line),
    Label(LabelLine),
}

/// Most string client order ids remembered (oldest forgotten first: its orders then show the
/// 64-bit id as digits).
pub const MAX_CLIENT_ID_LABELS: usize = 1_000_000;

/// The 64-bit client order id of a string one: the number itself for digits below 2^63, else
/// FNV-1a 64 of the bytes with the top bit set (a collision between two of an account's open
/// orders would answer "Duplicate order sent."; at 2^-64 per pair it is not expected).
pub fn client_id_for(label: &str) -> u64 {
    if !label.is_empty() && label.len() <= 19 && label.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = label.parse::<u64>() {
            if n < 1 << 63 && n.to_string() == label {
                return n;
            }
        }
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in label.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h | 1 << 63
}

/// Why the credentials file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A line other than a torn last one does not parse.
    #[error("{path}: line {line} is not a credential record: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Line number, from 1.
        line: usize,
        /// Parser message.
        reason: String,
    },
}

/// The credential store (see the module docs).
pub struct Credentials {
    path: PathBuf,
    file: File,
    by_key: HashMap<String, AccountId>,
    secrets: HashMap<String, String>,
    names: BTreeMap<AccountId, String>,
    funding: BTreeMap<AccountId, Vec<(AssetId, Decimal)>>,
    labels: HashMap<(AccountId, u64), String>,
    label_order: std::collections::VecDeque<(AccountId, u64)>,
    pending: Vec<u8>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("path", &self.path)
            .field("count", &self.by_key.len())
            .finish_non_exhaustive()
    }
}

/// `bytes` random bytes from the operating system, as lowercase hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source is available");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

impl Credentials {
    /// Load (or create) the file at `path`.
    ///
    /// # Errors
    /// [`CredentialsError`].
    pub fn open(path: &Path) -> Result<Credentials, CredentialsError> {
        let io = |source| CredentialsError::Io {
            path: path.to_path_buf(),
            source,
        };
        let text = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io(e)),
        };
        let mut by_key = HashMap::new();
        let mut secrets = HashMap::new();
        let mut names = BTreeMap::new();
        let mut funding = BTreeMap::new();
        let mut labels = HashMap::new();
        let mut label_order = std::collections::VecDeque::new();
        // Only newline-terminated lines were ever flushed whole.
        let complete = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        for (i, raw) in text[..complete].split(|&b| b == b'\n').enumerate() {
            if raw.is_empty() {
                continue;
            }
            let record: Record =
                serde_json::from_slice(raw).map_err(|e| CredentialsError::Corrupt {
                    path: path.to_path_buf(),
                    line: i + 1,
                    reason: e.to_string(),
                })?;
            let line = match record {
                Record::Credential(line) => line,
                Record::Label(l) => {
                    remember(
                        &mut labels,
                        &mut label_order,
                        l.label_account,
                        l.client_id,
                        l.label,
                    );
                    continue;
                }
            };
            by_key.insert(line.key.clone(), line.account);
            if let Some(s) = line.secret {
                secrets.insert(line.key, s);
            }
            names.insert(line.account, line.name);
            funding.insert(line.account, line.funding);
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        if complete < text.len() {
            file.set_len(complete as u64).map_err(io)?;
        }
        Ok(Credentials {
            path: path.to_path_buf(),
            file,
            by_key,
            secrets,
            names,
            funding,
            labels,
            label_order,
            pending: Vec::new(),
        })
    }

    /// Add a credential for `account`, opened with `funding` (`(asset, whole coins)`), durable at
    /// the next [`flush`](Self::flush); returns the key (`bg_…` for guests, `bk_…` for API keys)
    /// and, for API keys, the secret.
    pub fn add(
        &mut self,
        kind: CredentialKind,
        account: AccountId,
        name: &str,
        funding: &[(AssetId, Decimal)],
    ) -> (String, Option<String>) {
        let key = match kind {
            CredentialKind::Guest => format!("bg_{}", random_hex(16)),
            CredentialKind::Api => format!("bk_{}", random_hex(16)),
        };
        let secret = (kind == CredentialKind::Api).then(|| random_hex(32));
        let line = Line {
            kind,
            account,
            name: name.to_string(),
            key: key.clone(),
            secret: secret.clone(),
            funding: funding.to_vec(),
        };
        serde_json::to_writer(&mut self.pending, &line).expect("a credential line serializes");
        self.pending.push(b'\n');
        self.by_key.insert(key.clone(), account);
        if let Some(s) = &secret {
            self.secrets.insert(key.clone(), s.clone());
        }
        self.names.insert(account, name.to_string());
        self.funding.insert(account, funding.to_vec());
        (key, secret)
    }

    /// Make everything added durable: one write and one `fdatasync`.
    ///
    /// # Errors
    /// [`CredentialsError::Io`]: the new credentials must then not be handed out.
    pub fn flush(&mut self) -> Result<(), CredentialsError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let io = |source| CredentialsError::Io {
            path: self.path.clone(),
            source,
        };
        self.file.write_all(&self.pending).map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.pending.clear();
        Ok(())
    }

    /// The account a key or token names.
    pub fn account_of(&self, key: &str) -> Option<AccountId> {
        self.by_key.get(key).copied()
    }

    /// The secret of an API key.
    pub fn secret_of(&self, key: &str) -> Option<&str> {
        self.secrets.get(key).map(String::as_str)
    }

    /// The name given to an account.
    pub fn name_of(&self, account: AccountId) -> Option<&str> {
        self.names.get(&account).map(String::as_str)
    }

    /// Every account with a credential and what it was opened with (`(asset, whole coins)`),
    /// in account order.
    pub fn funding(&self) -> &BTreeMap<AccountId, Vec<(AssetId, Decimal)>> {
        &self.funding
    }

    /// The 64-bit client order id for `label` of `account` ([`client_id_for`]); a label that is
    /// not its own digits is remembered (durable at the next [`flush`](Self::flush), with the
    /// journal commit of the order that carries it).
    pub fn client_id(&mut self, account: AccountId, label: &str) -> u64 {
        let id = client_id_for(label);
        if id.to_string() != label
            && self.labels.get(&(account, id)).map(String::as_str) != Some(label)
        {
            let line = Record::Label(LabelLine {
                label_account: account,
                client_id: id,
                label: label.to_string(),
            });
            serde_json::to_writer(&mut self.pending, &line).expect("a label line serializes");
            self.pending.push(b'\n');
            remember(
                &mut self.labels,
                &mut self.label_order,
                account,
                id,
                label.to_string(),
            );
        }
        id
    }

    /// The API key (with its account and secret) of the account named `name`, if it has one
    /// (the smallest key when several).
    pub fn api_key_named(&self, name: &str) -> Option<(AccountId, String, String)> {
        self.secrets
            .iter()
            .filter_map(|(k, s)| {
                let a = *self.by_key.get(k)?;
                (self.names.get(&a).map(String::as_str) == Some(name))
                    .then(|| (a, k.clone(), s.clone()))
            })
            .min_by(|x, y| x.1.cmp(&y.1))
    }

    /// The string form of `account`'s client order id `id`: the label it was given, or its
    /// digits.
    pub fn label_of(&self, account: AccountId, id: u64) -> String {
        self.labels
            .get(&(account, id))
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }
}

fn remember(
    labels: &mut HashMap<(AccountId, u64), String>,
    order: &mut std::collections::VecDeque<(AccountId, u64)>,
    account: AccountId,
    id: u64,
    label: String,
) {
    if labels.insert((account, id), label).is_none() {
        order.push_back((account, id));
        while order.len() > MAX_CLIENT_ID_LABELS {
            if let Some(old) = order.pop_front() {
                labels.remove(&old);
            }
        }
    }
}
