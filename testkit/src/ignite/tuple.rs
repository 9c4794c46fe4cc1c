//! BinaryTuple as the node writes and reads it.

use super::wire::R;

pub(super) fn tuple(elements: &[Option<Vec<u8>>]) -> Vec<u8> {
    let total: usize = elements.iter().flatten().map(Vec::len).sum();
    let width = if total <= 0xFF {
        1
    } else if total <= 0xFFFF {
        2
    } else {
        4
    };
    let mut out = vec![match width {
        1 => 0,
        2 => 1,
        _ => 2,
    }];
    let mut end = 0u32;
    for e in elements {
        end += e.as_ref().map_or(0, |v| v.len() as u32);
        out.extend(&end.to_le_bytes()[..width]);
    }
    for e in elements.iter().flatten() {
        out.extend(e);
    }
    out
}

pub(super) fn untuple(b: &[u8], n: usize) -> R<Vec<Option<Vec<u8>>>> {
    let width = 1usize << (b.first().ok_or("empty tuple")? & 3);
    let base = 1 + n * width;
    if b.len() < base {
        return Err("tuple shorter than its offsets".into());
    }
    let mut prev = 0usize;
    let mut out = Vec::new();
    for i in 0..n {
        let mut le = [0u8; 8];
        le[..width].copy_from_slice(&b[1 + i * width..1 + (i + 1) * width]);
        let end = u64::from_le_bytes(le) as usize;
        if end < prev || base + end > b.len() {
            return Err("bad tuple offsets".into());
        }
        out.push((end > prev).then(|| b[base + prev..base + end].to_vec()));
        prev = end;
    }
    Ok(out)
}

pub(super) fn le_int(b: &[u8]) -> i64 {
    let mut le = [0u8; 8];
    le[..b.len()].copy_from_slice(b);
    let v = i64::from_le_bytes(le);
    let shift = 64 - 8 * b.len() as u32;
    (v << shift) >> shift
}

pub(super) fn shrink(v: i64) -> Vec<u8> {
    let n = [1usize, 2, 4, 8]
        .into_iter()
        .find(|&n| n == 8 || (v << (64 - 8 * n)) >> (64 - 8 * n) == v)
        .unwrap();
    v.to_le_bytes()[..n].to_vec()
}
