//! The payloads of the DNS and SIP floods, shared by `tests/it/flood.rs` (ten
//! million of them through the whole pipeline) and `benches/dissect.rs` (one
//! message through a flow's dissector), so that both measure the same bytes.
//! `r` and `r2` are two random words: each pair gives another name or call.

/// A standard query for `A` of three random 10-letter labels.
pub fn dns_query(r: u64, r2: u64) -> Vec<u8> {
    let mut q = ((r >> 48) as u16).to_be_bytes().to_vec();
    q.extend_from_slice(&[1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    for i in 0..3 {
        q.push(10);
        q.extend((0..10).map(|k| b'a' + ((r2 >> ((i * 10 + k) % 60)) % 26) as u8));
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

/// An INVITE from one hijacked PBX to a new number, a new Call-ID each time.
pub fn sip_invite(r: u64, r2: u64) -> Vec<u8> {
    format!(
        "INVITE sip:+290{r2:010}@proxy.example SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.9:5060\r\n\
         From: <sip:pbx@10.0.0.9>;tag={r:x}\r\nTo: <sip:+290{r2:010}@proxy.example>\r\n\
         Call-ID: {r:016x}{r2:016x}@pbx\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}
