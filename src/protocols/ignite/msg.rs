//! MessagePack as Ignite uses it (shared/protocols/ignite3-client.md §3): values written one after
//! another, integers in their smallest form, UUIDs as extension 3.

use rmp::decode;
use rmp::encode;

use crate::core::error::{Error, Result};

pub fn malformed(what: impl std::fmt::Display) -> Error {
    Error::malformed(format!("Ignite message: {what}"))
}

/// Writes values to a message payload.
#[derive(Default)]
pub struct Writer(pub Vec<u8>);

impl Writer {
    pub fn int(&mut self, v: i64) -> &mut Self {
        let _ = encode::write_sint(&mut self.0, v);
        self
    }

    pub fn nil(&mut self) -> &mut Self {
        let _ = encode::write_nil(&mut self.0);
        self
    }

    pub fn opt_int(&mut self, v: Option<i64>) -> &mut Self {
        match v {
            Some(v) => self.int(v),
            None => self.nil(),
        }
    }

    pub fn bool(&mut self, v: bool) -> &mut Self {
        let _ = encode::write_bool(&mut self.0, v);
        self
    }

    pub fn str(&mut self, v: &str) -> &mut Self {
        let _ = encode::write_str(&mut self.0, v);
        self
    }

    pub fn bin(&mut self, v: &[u8]) -> &mut Self {
        let _ = encode::write_bin(&mut self.0, v);
        self
    }
}

/// Reads values from a message payload; every read checks what it finds.
pub struct Reader<'a> {
    pub buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf }
    }

    fn peek(&self) -> Result<u8> {
        self.buf
            .first()
            .copied()
            .ok_or_else(|| malformed("ends early"))
    }

    /// Consumes a nil if one is next.
    pub fn nil(&mut self) -> Result<bool> {
        if self.peek()? == 0xc0 {
            self.buf = &self.buf[1..];
            return Ok(true);
        }
        Ok(false)
    }

    pub fn long(&mut self) -> Result<i64> {
        decode::read_int(&mut self.buf).map_err(|e| malformed(format!("integer expected ({e})")))
    }

    /// A count of items that follow: never negative, and never more than the bytes left
    /// (each item takes one at least), so a count from the wire cannot drop or invent items.
    pub fn count(&mut self) -> Result<usize> {
        let n = self.int()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.buf.len())
            .ok_or_else(|| malformed(format!("a count of {n} with {} bytes left", self.buf.len())))
    }

    pub fn int(&mut self) -> Result<i32> {
        decode::read_int(&mut self.buf)
            .map_err(|e| malformed(format!("32-bit integer expected ({e})")))
    }

    pub fn opt_long(&mut self) -> Result<Option<i64>> {
        Ok(if self.nil()? {
            None
        } else {
            Some(self.long()?)
        })
    }

    pub fn bool(&mut self) -> Result<bool> {
        decode::read_bool(&mut self.buf).map_err(|e| malformed(format!("boolean expected ({e})")))
    }

    pub fn str(&mut self) -> Result<String> {
        let len = decode::read_str_len(&mut self.buf)
            .map_err(|e| malformed(format!("string expected ({e})")))? as usize;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| malformed("string is not UTF-8"))
    }

    pub fn opt_str(&mut self) -> Result<Option<String>> {
        Ok(if self.nil()? { None } else { Some(self.str()?) })
    }

    pub fn bin(&mut self) -> Result<&'a [u8]> {
        let len = decode::read_bin_len(&mut self.buf)
            .map_err(|e| malformed(format!("binary expected ({e})")))? as usize;
        self.take(len)
    }

    pub fn uuid(&mut self) -> Result<[u8; 16]> {
        let (kind, data) = decode::read_fixext16(&mut self.buf)
            .map_err(|e| malformed(format!("UUID expected ({e})")))?;
        if kind != 3 {
            return Err(malformed(format!("extension {kind} where a UUID belongs")));
        }
        Ok(data)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.buf.len() < n {
            return Err(malformed("ends early"));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    /// Skips one value of any type (unknown extensions, fields a newer server adds).
    pub fn skip(&mut self) -> Result<()> {
        self.skip_nested(0)
    }

    fn skip_nested(&mut self, depth: usize) -> Result<()> {
        if depth > 32 {
            return Err(malformed("nested too deep"));
        }
        let m = self.peek()?;
        let n = |r: &mut Self, k: usize| -> Result<usize> {
            let b = r.take(k)?;
            Ok(b.iter().fold(0usize, |acc, x| acc << 8 | usize::from(*x)))
        };
        self.buf = &self.buf[1..];
        match m {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => {}
            0x80..=0x8f => {
                (0..(m & 0x0f) as usize * 2).try_for_each(|_| self.skip_nested(depth + 1))?
            }
            0x90..=0x9f => {
                (0..(m & 0x0f) as usize).try_for_each(|_| self.skip_nested(depth + 1))?
            }
            0xa0..=0xbf => {
                self.take((m & 0x1f) as usize)?;
            }
            0xc4 | 0xd9 => {
                let len = n(self, 1)?;
                self.take(len)?;
            }
            0xc5 | 0xda => {
                let len = n(self, 2)?;
                self.take(len)?;
            }
            0xc6 | 0xdb => {
                let len = n(self, 4)?;
                self.take(len)?;
            }
            0xc7 => {
                let len = n(self, 1)?;
                self.take(len.saturating_add(1))?;
            }
            0xc8 => {
                let len = n(self, 2)?;
                self.take(len.saturating_add(1))?;
            }
            0xc9 => {
                let len = n(self, 4)?;
                self.take(len.saturating_add(1))?;
            }
            0xca | 0xce | 0xd2 => {
                self.take(4)?;
            }
            0xcb | 0xcf | 0xd3 => {
                self.take(8)?;
            }
            0xcc | 0xd0 => {
                self.take(1)?;
            }
            0xcd | 0xd1 => {
                self.take(2)?;
            }
            0xd4 => {
                self.take(2)?;
            }
            0xd5 => {
                self.take(3)?;
            }
            0xd6 => {
                self.take(5)?;
            }
            0xd7 => {
                self.take(9)?;
            }
            0xd8 => {
                self.take(17)?;
            }
            0xdc | 0xdd => {
                let count = n(self, if m == 0xdc { 2 } else { 4 })?;
                (0..count).try_for_each(|_| self.skip_nested(depth + 1))?;
            }
            0xde | 0xdf => {
                let count = n(self, if m == 0xde { 2 } else { 4 })?;
                (0..count.saturating_mul(2)).try_for_each(|_| self.skip_nested(depth + 1))?;
            }
            other => return Err(malformed(format!("unknown marker {other:#x}"))),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_counts_at_their_maximum_are_errors_not_overflows() {
        // ext32 of 0xffffffff bytes (+1 for its type overflows a 32-bit usize), map32 of
        // 0xffffffff pairs (twice that overflows too), str32/bin32 past the end.
        for bytes in [
            &[0xc9, 0xff, 0xff, 0xff, 0xff, 0x01][..],
            &[0xc8, 0xff, 0xff, 0x01],
            &[0xdf, 0xff, 0xff, 0xff, 0xff, 0x01],
            &[0xdd, 0xff, 0xff, 0xff, 0xff],
            &[0xdb, 0xff, 0xff, 0xff, 0xff, b'a'],
            &[0xc6, 0xff, 0xff, 0xff, 0xff],
        ] {
            let e = Reader::new(bytes).skip().unwrap_err();
            assert_eq!(e.origin, crate::core::Origin::Malformed, "{bytes:x?}");
        }
    }

    #[test]
    fn integers_take_their_smallest_form() {
        let mut w = Writer::default();
        w.int(1).int(300).int(-1).int(262147).int(1 << 40);
        assert_eq!(
            w.0,
            [
                0x01, 0xcd, 0x01, 0x2c, 0xff, 0xce, 0x00, 0x04, 0x00, 0x03, 0xcf, 0, 0, 1, 0, 0, 0,
                0, 0
            ]
        );
        let mut r = Reader::new(&w.0);
        assert_eq!(
            (
                r.int().unwrap(),
                r.int().unwrap(),
                r.int().unwrap(),
                r.int().unwrap()
            ),
            (1, 300, -1, 262147)
        );
        assert!(r.int().is_err(), "a 64-bit value is no int");
    }

    #[test]
    fn skips_any_value_and_refuses_garbage() {
        let mut w = Writer::default();
        w.str("key").bin(&[1, 2]).nil().int(-40000);
        w.0.extend([0x92, 0x01, 0xa1, b'x']); // [1, "x"]
        w.0.extend([0xd8, 3].iter().chain([0u8; 16].iter()));
        w.bool(true);
        let mut r = Reader::new(&w.0);
        for _ in 0..6 {
            r.skip().unwrap();
        }
        assert!(r.bool().unwrap());
        assert!(Reader::new(&[0xc1]).skip().is_err());
        assert!(Reader::new(&[0xdb, 0xff, 0xff, 0xff, 0xff]).skip().is_err());
        assert!(Reader::new(&[0xa5, b'a']).str().is_err());
    }
}
