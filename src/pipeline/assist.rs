//! Help for a hot flow.
//!
//! A flow belongs to one worker: its state changes in packet order there.
//! When most of a worker's batch is the datagrams of one flow (a SIP INVITE
//! flood from one PBX: one 5-tuple, a new call every packet), that worker
//! sets the pace of the whole run while the others idle. The part of
//! dissecting a datagram that needs no flow state, its [`Preparer`]
//! (reading the message), is then cut into [`Job`]s that idle workers take
//! from a shared queue. The owner does the jobs nobody started yet itself, as
//! it would have without help, and applies every result in packet order.
//!
//! The outputs do not depend on who did a job, nor on the thread count:
//! `prepare` is a pure function of the datagram, and
//! [`crate::dissect::Session::feed_prepared`] does what `feed` would.
//!
//! A worker plans the batches already queued for it, not only the one it is
//! on, and posts their jobs in packet order: helpers work ahead of the owner.
//! When the owner reaches a job a helper is still on, it does a later job
//! nobody took rather than sleep. The queue is bounded: when it is full, the
//! owner keeps the work.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::{Receiver, Sender, TryRecvError, bounded};

use super::Batch;
use crate::capture::Chunk;
use crate::decode::ipproto;
use crate::dissect::engine::FlowApp;
use crate::dissect::{Prepared, Preparer};
use crate::flow::FlowTable;

/// Datagrams per job: a few tens of microseconds of work, so that a job
/// pays for its hand-over and the owner seldom waits on one long.
pub const JOB: usize = 64;
/// Datagrams of one flow a batch must hold before they are handed out.
pub const HOT: usize = 2 * JOB;
/// Jobs the queue holds, for all workers: those of the batches a worker
/// plans, twice over. A stale job (one its owner did itself meanwhile) keeps
/// its chunks alive until a worker drops it, so the queue stays bounded.
pub const QUEUED: usize = 2 * (AHEAD + 1) * super::BATCH / JOB;
/// Batches a worker plans ahead of the one it is on, when they are queued:
/// as many as its queue holds, with the one it is on. Helpers then always
/// have a job nobody took while the flood lasts (SIP INVITE flood, 3 M
/// packets, five alternating runs each: 2.0-2.5 M packets/s planning 2
/// batches ahead, 2.4-2.7 M planning 4, 2.2-2.9 M planning 7).
pub const AHEAD: usize = super::QUEUE - 1;

/// The shared queue of jobs.
pub fn queue() -> (Sender<Job>, Receiver<Job>) {
    bounded(QUEUED)
}

/// Datagrams of one flow to prepare, and who took them.
struct Work {
    prepare: Preparer,
    /// The batch's chunks the datagrams lie in.
    chunks: Vec<Chunk>,
    /// Each datagram: index in `chunks`, offset, length.
    items: Vec<(u16, u32, u32)>,
    /// Set by whoever does the work: a helper, or the owner.
    taken: AtomicBool,
}

impl Work {
    /// Claims the work; false if someone already did.
    fn claim(&self) -> bool {
        !self.taken.swap(true, Ordering::AcqRel)
    }

    fn run(&self) -> Vec<Option<Prepared>> {
        self.items
            .iter()
            .map(|&(c, off, len)| {
                let data = self.chunks.get(c as usize)?;
                let data = data.get(off as usize..off as usize + len as usize)?;
                Some((self.prepare)(data))
            })
            .collect()
    }
}

/// A job in the queue.
pub struct Job {
    work: Arc<Work>,
    done: Sender<Vec<Option<Prepared>>>,
}

impl Job {
    /// Does the job, unless its owner already took it.
    pub fn run(self) {
        if self.work.claim() {
            // The owner waits for this (capacity 1: never blocks); gone only
            // if it panicked.
            let _ = self.done.send(self.work.run());
        }
    }
}

/// The owner's side of one job.
struct Pending {
    /// Indices in the batch of the job's packets, increasing.
    packets: Vec<u16>,
    work: Arc<Work>,
    done: Receiver<Vec<Option<Prepared>>>,
    /// Whether the job is in the queue (it may not be, if the queue was full).
    posted: bool,
    outcome: Outcome,
}

/// Who did a job, once the owner knows.
enum Outcome {
    /// Not settled yet.
    Open,
    /// The owner reads the datagrams as they come, unprepared.
    Inline,
    /// Prepared: by a helper, or by the owner while it waited for another job.
    Done {
        results: Vec<Option<Prepared>>,
        by_helper: bool,
    },
}

/// The jobs of one batch, as its owner goes through it.
#[derive(Default)]
pub struct Assist {
    jobs: Vec<Pending>,
    /// The job, and the position in it, of the next packet to look for.
    job: usize,
    pos: usize,
}

impl Assist {
    /// Hands out the datagrams of the batch's hot flow, if it has one that a
    /// dissector claimed (a flow only just starting gets help from its next
    /// batch on). Costs one pass over the batch otherwise.
    pub fn plan(batch: &Batch, table: &FlowTable<FlowApp>, queue: &Sender<Job>) -> Assist {
        let Some((key, hash)) = hot_flow(batch) else {
            return Assist::default();
        };
        if key.proto == ipproto::TCP {
            return Assist::default();
        }
        let packets: Vec<u16> = batch
            .pkts
            .iter()
            .enumerate()
            .filter(|(_, p)| p.flow.hash == hash && p.flow.key == key && p.payload_len > 0)
            .map(|(i, _)| i as u16)
            .collect();
        if packets.len() < HOT {
            return Assist::default();
        }
        let Some(prepare) = table.get(&key, hash).and_then(FlowApp::preparer) else {
            return Assist::default();
        };
        let mut jobs = Vec::with_capacity(packets.len().div_ceil(JOB));
        let mut posts = Vec::with_capacity(jobs.capacity());
        for part in packets.chunks(JOB) {
            let first = batch.pkts[part[0] as usize].chunk;
            let last = batch.pkts[part[part.len() - 1] as usize].chunk;
            let items = part
                .iter()
                .map(|&i| {
                    let p = &batch.pkts[i as usize];
                    (p.chunk - first, p.payload_off, p.payload_len)
                })
                .collect();
            let work = Arc::new(Work {
                prepare,
                chunks: batch.chunks[first as usize..=last as usize].to_vec(),
                items,
                taken: AtomicBool::new(false),
            });
            let (done_tx, done_rx) = bounded(1);
            posts.push(Job {
                work: work.clone(),
                done: done_tx,
            });
            jobs.push(Pending {
                packets: part.to_vec(),
                work,
                done: done_rx,
                posted: false,
                outcome: Outcome::Open,
            });
        }
        for (job, pending) in posts.into_iter().zip(jobs.iter_mut()) {
            if queue.try_send(job).is_err() {
                break;
            }
            pending.posted = true;
        }
        Assist {
            jobs,
            job: 0,
            pos: 0,
        }
    }

    /// What a helper prepared for packet `i` of the batch, if anything.
    /// Packets are asked for in increasing order (some may be skipped).
    pub fn take(&mut self, i: usize) -> Option<&Prepared> {
        let (job, pos) = loop {
            let pending = self.jobs.get(self.job)?;
            let Some(&at) = pending.packets.get(self.pos) else {
                self.job += 1;
                self.pos = 0;
                continue;
            };
            let at = at as usize;
            if at > i {
                return None;
            }
            self.pos += 1;
            if at == i {
                break (self.job, self.pos - 1);
            }
        };
        self.resolve(job);
        match &self.jobs[job].outcome {
            Outcome::Done { results, .. } => results.get(pos)?.as_ref(),
            _ => None,
        }
    }

    /// Settles who does job `j`: if nobody started it, the owner, as its
    /// datagrams come; else the helper's results, waited for. While a helper
    /// is still on it, the owner does a later job nobody took (the last
    /// one), rather than sleep and wake.
    fn resolve(&mut self, j: usize) {
        loop {
            let pending = &mut self.jobs[j];
            if !matches!(pending.outcome, Outcome::Open) {
                return;
            }
            if !pending.posted || pending.work.claim() {
                pending.outcome = Outcome::Inline;
                return;
            }
            match pending.done.try_recv() {
                Ok(results) => {
                    pending.outcome = from_helper(Some(results));
                    return;
                }
                // The helper panicked; the join reports it.
                Err(TryRecvError::Disconnected) => {
                    pending.outcome = Outcome::Inline;
                    return;
                }
                Err(TryRecvError::Empty) => {}
            }
            let later = self.jobs[j + 1..]
                .iter_mut()
                .rev()
                .find(|p| matches!(p.outcome, Outcome::Open) && p.posted && p.work.claim());
            match later {
                Some(p) => {
                    p.outcome = Outcome::Done {
                        results: p.work.run(),
                        by_helper: false,
                    }
                }
                None => {
                    let pending = &mut self.jobs[j];
                    pending.outcome = from_helper(pending.done.recv().ok());
                    return;
                }
            }
        }
    }

    /// Whether some of the batch's datagrams were handed out.
    pub fn helps(&self) -> bool {
        self.jobs.iter().any(|j| j.posted)
    }

    /// Datagrams helpers read so far.
    pub fn helped(&self) -> u64 {
        self.jobs
            .iter()
            .filter(|j| {
                matches!(
                    j.outcome,
                    Outcome::Done {
                        by_helper: true,
                        ..
                    }
                )
            })
            .map(|j| j.packets.len() as u64)
            .sum()
    }
}

/// A helper's results, if it sent them.
fn from_helper(results: Option<Vec<Option<Prepared>>>) -> Outcome {
    match results {
        Some(results) => Outcome::Done {
            results,
            by_helper: true,
        },
        None => Outcome::Inline,
    }
}

/// The only flow that can hold more than half of the batch's packets
/// (Boyer and Moore's majority vote: one pass, no table); the caller counts
/// its packets.
fn hot_flow(batch: &Batch) -> Option<(crate::flow::FlowKey, u64)> {
    let mut lead: Option<&super::WorkPacket> = None;
    let mut votes = 0usize;
    for p in &batch.pkts {
        match lead {
            Some(l) if l.flow.hash == p.flow.hash && l.flow.key == p.flow.key => votes += 1,
            _ if votes == 0 => {
                lead = Some(p);
                votes = 1;
            }
            _ => votes -= 1,
        }
    }
    lead.map(|l| (l.flow.key, l.flow.hash))
}
