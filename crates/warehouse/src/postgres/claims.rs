//! Claims: how concurrent loads of one table share out the keys their files have in common
//! without one ever waiting on another's uncommitted rows.
//!
//! Two running loads that both write key `k` cannot both commit it, and whichever writes it
//! first holds it until it commits: the other's `COPY` waits. If each holds a key the other
//! wants, neither can finish (a deadlock, or a chain of waits as long as the files). A valid
//! outcome needs one load to win *every* key two files share (the one that commits first),
//! so the loads must agree on an order before they write. Here it is the order they start in:
//!
//! 1. **Register.** A load notes its transaction id in `sift_load_claims` (a short transaction
//!    of its own, serialised per table, so the sequence numbers are in commit order) and sees
//!    the loads that started before it (*older*) and still run.
//! 2. **Publish.** When its file is read (the seal), a load publishes its keys: the file's
//!    first-occurrence set, which it already keeps. For one integer key that is the bitmap,
//!    serialised; for other keys, sorted 64-bit hashes of the encoded keys ([`key_hash`]),
//!    published only when a younger load is registered (else the claim is *waived*: no one can
//!    need it, and hashing millions of keys is not free).
//! 3. **Write.** A load with no older running load writes as it reads, as before. One with
//!    older loads holds its rows (up to [`BUFFER_BYTES`], then it waits, which pauses its
//!    reading) until every older load has published; then it writes every row whose key no
//!    older load claims, and *defers* the rest. It waits at most [`GRACE`] past its own seal
//!    (or a full buffer): a small file does not stall behind a much bigger one still being
//!    read. Past the grace it writes beside the loads that have not published, and the unique
//!    index settles any key they share (the optimistic design below, whose rare deadlock
//!    sends the file to run again alone).
//! 4. **Settle.** At its seal a load waits for the older loads it deferred keys to, then
//!    probes the deferred keys: present ones are `already_present`, the others (an older
//!    load that failed) are written now.
//!
//! An older load never writes a key a younger one writes (the younger defers every key the
//! older claims), and a load only ever waits for older ones: there is no cycle, so no
//! deadlock, and first occurrence wins in start order. What a younger load defers it never
//! sends, so shared keys cost a probe instead of a `COPY` that fails. Each batch is still sent
//! in a savepoint with the unique index as the arbiter (`send_beside_others`), which settles
//! the rare cases claims do not cover (a load that waived its claim before a younger one
//! registered, rows of a writer other than sift).
//!
//! A load's row stops counting when its transaction ends (`pg_xact_status`), so a crashed
//! load holds no one up; rows of ended loads are deleted an hour on, at a later registration.

use std::time::Duration;

use hashbrown::HashSet;
use sift_model::{Batch, TableSpec};
use sqlx::PgPool;

use super::keys::{ClaimKeys, key_hash};
use crate::error::{Error, Result};
use crate::keys::FileKeys;
use crate::stable_hash;

/// Memory a load may hold while it waits for older loads' claims; past it, it waits for
/// them before taking more rows.
pub(super) const BUFFER_BYTES: usize = 256 << 20;

/// Pause between two looks at the registry while waiting.
const POLL: Duration = Duration::from_millis(10);

/// How long a load that has read its file (or filled its buffer) waits for older loads'
/// claims before it writes without the missing ones (see the module docs).
pub(super) const GRACE: Duration = Duration::from_secs(2);

/// The blob's first byte: what follows.
const WAIVED: u8 = 0;
const BITMAP: u8 = 1;
const HASHES: u8 = 2;

/// Rows of a batch, by index, to send or settle.
pub(super) type Rows = (Batch, Vec<usize>);

/// One load's place among the table's concurrent loads.
pub(super) struct Peers {
    table: String,
    source_uri: String,
    seq: i64,
    /// The claims of older loads, once all of them have published (`None` until then).
    older: Option<Vec<Claim>>,
    /// Rows held until `older` is known, and their estimated size.
    held: Vec<Rows>,
    held_bytes: usize,
    /// Rows whose key an older load claims, and those loads' transactions.
    deferred: Vec<Rows>,
    awaited: HashSet<i64>,
}

/// What the older loads have published so far.
struct Older {
    claims: Vec<Claim>,
    /// Running older loads that have not published yet.
    pending: usize,
}

impl Older {
    /// The claims, once every running older load has published.
    fn complete(self) -> Option<Vec<Claim>> {
        (self.pending == 0).then_some(self.claims)
    }
}

/// An older load's published keys.
struct Claim {
    xid: i64,
    keys: ClaimSet,
}

enum ClaimSet {
    Bitmap(roaring::RoaringTreemap),
    Hashes(Vec<u64>),
}

impl ClaimSet {
    fn contains(&self, key: u64) -> bool {
        match self {
            ClaimSet::Bitmap(bitmap) => bitmap.contains(key),
            ClaimSet::Hashes(sorted) => sorted.binary_search(&key).is_ok(),
        }
    }
}

impl Peers {
    /// Registers the load whose transaction is `tx` on `table` and sees which older loads run.
    pub(super) async fn register(
        pool: &PgPool,
        tx: &mut sqlx::PgConnection,
        table: &TableSpec,
        source_uri: &str,
    ) -> sqlx::Result<Self> {
        let xid = sqlx::query_scalar!(r#"SELECT pg_current_xact_id()::text::bigint AS "xid!""#)
            .fetch_one(&mut *tx)
            .await?;
        let name = &table.name;
        let mut register = pool.begin().await?;
        sqlx::query!("SELECT pg_advisory_xact_lock($1)", stable_hash(&format!("sift claims {name}")))
            .execute(&mut *register)
            .await?;
        sqlx::query!(
            "DELETE FROM sift_load_claims WHERE table_name = $1 AND registered_at < now() - interval '1 hour' \
             AND pg_xact_status(xid::text::xid8) IS DISTINCT FROM 'in progress'",
            name
        )
        .execute(&mut *register)
        .await?;
        let seq = sqlx::query_scalar!(
            "INSERT INTO sift_load_claims (table_name, xid) VALUES ($1, $2) RETURNING seq",
            name,
            xid
        )
        .fetch_one(&mut *register)
        .await?;
        register.commit().await?;
        let mut peers = Self {
            table: name.clone(),
            source_uri: source_uri.to_owned(),
            seq,
            older: None,
            held: Vec::new(),
            held_bytes: 0,
            deferred: Vec::new(),
            awaited: HashSet::new(),
        };
        peers.older = peers.older_claims(pool).await?.complete();
        Ok(peers)
    }

    /// Takes a batch's new rows; returns the rows to send now (in file order).
    pub(super) async fn admit(&mut self, pool: &PgPool, table: &TableSpec, rows: Rows) -> Result<Vec<Rows>> {
        if self.older.is_none() {
            self.held_bytes += rows.0.frame().estimated_size();
            self.held.push(rows);
            self.older = self.older_claims(pool).await.map_err(|e| self.error(e))?.complete();
            if self.older.is_none() && self.held_bytes > BUFFER_BYTES {
                tracing::debug!(table = %self.table, held_bytes = self.held_bytes, "waiting for older loads' claims");
                self.older = Some(self.wait_for_older(pool).await?);
            }
            if self.older.is_none() {
                return Ok(Vec::new());
            }
            return self.release_held(table);
        }
        Ok(vec![self.split(table, rows)?])
    }

    /// At the seal: publishes this load's keys, then returns the held rows to send once the
    /// older loads' claims are known.
    pub(super) async fn seal(
        &mut self,
        pool: &PgPool,
        table: &TableSpec,
        seen: &FileKeys,
    ) -> Result<Vec<Rows>> {
        self.publish(pool, seen).await.map_err(|e| self.error(e))?;
        if self.older.is_none() {
            self.older = Some(self.wait_for_older(pool).await?);
        }
        self.release_held(table)
    }

    /// The held rows, split now that the older loads' claims are known.
    fn release_held(&mut self, table: &TableSpec) -> Result<Vec<Rows>> {
        self.held_bytes = 0;
        let held = std::mem::take(&mut self.held);
        held.into_iter().map(|rows| self.split(table, rows)).collect()
    }

    /// Waits for the older loads this one deferred keys to; returns the deferred rows, to be
    /// probed again and the absent ones sent.
    pub(super) async fn settle(&mut self, pool: &PgPool) -> Result<Vec<Rows>> {
        let awaited: Vec<i64> = self.awaited.drain().collect();
        while !awaited.is_empty() {
            let running = sqlx::query_scalar!(
                r#"SELECT count(*) AS "running!" FROM unnest($1::bigint[]) AS x(xid)
                   WHERE pg_xact_status(x.xid::text::xid8) = 'in progress'"#,
                &awaited
            )
            .fetch_one(pool)
            .await
            .map_err(|e| self.error(e))?;
            if running == 0 {
                break;
            }
            tokio::time::sleep(POLL).await;
        }
        let deferred = std::mem::take(&mut self.deferred);
        if !deferred.is_empty() {
            let rows: usize = deferred.iter().map(|(_, rows)| rows.len()).sum();
            tracing::debug!(source_uri = %self.source_uri, rows, "keys left to older loads; probing them now those ended");
        }
        Ok(deferred)
    }

    /// Splits `rows` into those no older load claims (returned) and the deferred rest.
    fn split(&mut self, table: &TableSpec, (batch, rows): Rows) -> Result<Rows> {
        let claims = self.older.as_deref().unwrap_or_default();
        if claims.is_empty() || rows.is_empty() {
            return Ok((batch, rows));
        }
        let keys = ClaimKeys::of(&batch, table)?;
        let mut scratch = Vec::new();
        let (mut mine, mut deferred) = (Vec::with_capacity(rows.len()), Vec::new());
        for i in rows {
            let key = keys.key(i, &mut scratch);
            match claims.iter().find(|c| c.keys.contains(key)) {
                Some(claim) => {
                    self.awaited.insert(claim.xid);
                    deferred.push(i);
                }
                None => mine.push(i),
            }
        }
        if !deferred.is_empty() {
            self.deferred.push((batch.clone(), deferred));
        }
        Ok((batch, mine))
    }

    /// The claims of the older loads that run or committed, as published so far.
    async fn older_claims(&self, pool: &PgPool) -> sqlx::Result<Older> {
        let rows = sqlx::query!(
            r#"SELECT seq, claims IS NOT NULL AS "published!", pg_xact_status(xid::text::xid8) AS status
               FROM sift_load_claims WHERE table_name = $1 AND seq < $2"#,
            self.table,
            self.seq
        )
        .fetch_all(pool)
        .await?;
        let mut wanted = Vec::new();
        let mut pending = 0;
        for row in rows {
            match (row.status.as_deref(), row.published) {
                (Some("in progress"), false) => pending += 1,
                (Some("in progress" | "committed"), true) => wanted.push(row.seq),
                _ => {}
            }
        }
        let claims = if wanted.is_empty() {
            Vec::new()
        } else {
            let blobs = sqlx::query!(
                r#"SELECT xid, claims AS "claims!" FROM sift_load_claims WHERE seq = ANY($1) AND claims IS NOT NULL"#,
                &wanted
            )
            .fetch_all(pool)
            .await?;
            blobs
                .into_iter()
                .filter_map(|row| decode(&row.claims).map(|keys| Claim { xid: row.xid, keys }))
                .collect()
        };
        Ok(Older { claims, pending })
    }

    /// Waits up to [`GRACE`] for every running older load to publish; then goes on with the
    /// claims published by then (a load that has not published is left to the unique index).
    async fn wait_for_older(&self, pool: &PgPool) -> Result<Vec<Claim>> {
        let deadline = tokio::time::Instant::now() + GRACE;
        loop {
            let older = self.older_claims(pool).await.map_err(|e| self.error(e))?;
            if older.pending == 0 || tokio::time::Instant::now() >= deadline {
                if older.pending > 0 {
                    tracing::debug!(table = %self.table, pending = older.pending, "older loads still reading: writing beside them");
                }
                return Ok(older.claims);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Publishes this load's keys (see the module docs for when a claim is waived).
    async fn publish(&self, pool: &PgPool, seen: &FileKeys) -> sqlx::Result<()> {
        let blob = match seen {
            FileKeys::None => vec![WAIVED],
            FileKeys::Integer(bitmap) => {
                let mut blob = Vec::with_capacity(bitmap.serialized_size() + 1);
                blob.push(BITMAP);
                bitmap.serialize_into(&mut blob).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
                blob
            }
            FileKeys::Bytes(keys) => {
                let younger = sqlx::query_scalar!(
                    r#"SELECT EXISTS (SELECT 1 FROM sift_load_claims WHERE table_name = $1 AND seq > $2
                       AND pg_xact_status(xid::text::xid8) = 'in progress') AS "younger!""#,
                    self.table,
                    self.seq
                )
                .fetch_one(pool)
                .await?;
                if younger {
                    let mut hashes: Vec<u64> = keys.iter().map(|k| key_hash(k)).collect();
                    hashes.sort_unstable();
                    hashes.dedup();
                    let mut blob = Vec::with_capacity(hashes.len() * 8 + 1);
                    blob.push(HASHES);
                    blob.extend(hashes.iter().flat_map(|h| h.to_le_bytes()));
                    blob
                } else {
                    vec![WAIVED]
                }
            }
        };
        sqlx::query!("UPDATE sift_load_claims SET claims = $1 WHERE seq = $2", blob, self.seq)
            .execute(pool)
            .await?;
        Ok(())
    }

    fn error(&self, source: sqlx::Error) -> Error {
        Error::Load { source_uri: self.source_uri.clone(), source }
    }
}

/// A published blob's keys; `None` for a waived (or unreadable) claim, which defers nothing.
fn decode(blob: &[u8]) -> Option<ClaimSet> {
    let (&tag, rest) = blob.split_first()?;
    match tag {
        BITMAP => roaring::RoaringTreemap::deserialize_from(rest).ok().map(ClaimSet::Bitmap),
        HASHES => Some(ClaimSet::Hashes(
            rest.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default())).collect(),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests fail loudly by design.

    use super::*;

    #[test]
    fn blobs_decode_to_the_keys_they_were_made_of() {
        let mut bitmap = roaring::RoaringTreemap::new();
        bitmap.extend([1_u64, 7, 1 << 40]);
        let mut blob = vec![BITMAP];
        bitmap.serialize_into(&mut blob).unwrap();
        let Some(ClaimSet::Bitmap(back)) = decode(&blob) else { panic!("not a bitmap") };
        assert_eq!(back, bitmap);
        let mut blob = vec![HASHES];
        blob.extend([3_u64, 9, 40].iter().flat_map(|h| h.to_le_bytes()));
        let set = decode(&blob).unwrap();
        assert!(set.contains(9) && !set.contains(8));
        assert!(decode(&[WAIVED]).is_none() && decode(&[]).is_none() && decode(&[9, 1]).is_none());
    }
}
