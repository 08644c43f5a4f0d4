//! `{packet, Type}` framing of application data: raw, 1/2/4-byte length
//! headers and lines (more of `erlang:decode_packet/3` is to come).

use super::options::Packet;
use super::Reason;

/// Take one complete packet off the front of `buf`, if there is one.
/// Length-prefixed packets are returned without their header, as Erlang does.
pub(crate) fn take(buf: &mut Vec<u8>, packet: Packet) -> Option<Vec<u8>> {
    match packet {
        Packet::Raw => (!buf.is_empty()).then(|| std::mem::take(buf)),
        Packet::Len(n) => {
            let n = n as usize;
            if buf.len() < n {
                return None;
            }
            let len = buf[..n].iter().fold(0usize, |acc, b| (acc << 8) | *b as usize);
            if buf.len() < n + len {
                return None;
            }
            let payload = buf[n..n + len].to_vec();
            buf.drain(..n + len);
            Some(payload)
        }
        Packet::Line => {
            let end = buf.iter().position(|b| *b == b'\n')?;
            Some(buf.drain(..=end).collect())
        }
    }
}

/// Take exactly `len` bytes (raw mode `recv(S, Len)`).
pub(crate) fn take_exact(buf: &mut Vec<u8>, len: usize) -> Option<Vec<u8>> {
    (buf.len() >= len).then(|| buf.drain(..len).collect())
}

/// Frame data for `send`: length-prefixed modes get their header.
pub(crate) fn encode(data: &[u8], packet: Packet) -> Result<Vec<u8>, Reason> {
    match packet {
        Packet::Raw | Packet::Line => Ok(data.to_vec()),
        Packet::Len(n) => {
            let n = n as usize;
            if n < 8 && data.len() >= 1usize << (8 * n) {
                return Err(Reason::Einval);
            }
            let mut out = Vec::with_capacity(n + data.len());
            out.extend_from_slice(&(data.len() as u64).to_be_bytes()[8 - n..]);
            out.extend_from_slice(data);
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_headers_round_trip() {
        for n in [1u8, 2, 4] {
            let framed = encode(b"hello", Packet::Len(n)).unwrap();
            assert_eq!(framed.len(), n as usize + 5);
            let mut buf = framed[..framed.len() - 1].to_vec();
            assert_eq!(take(&mut buf, Packet::Len(n)), None, "incomplete packet");
            buf.push(b'o');
            buf.extend_from_slice(&encode(b"x", Packet::Len(n)).unwrap());
            assert_eq!(take(&mut buf, Packet::Len(n)).unwrap(), b"hello");
            assert_eq!(take(&mut buf, Packet::Len(n)).unwrap(), b"x");
            assert!(buf.is_empty());
        }
        assert_eq!(encode(&[0; 256], Packet::Len(1)), Err(Reason::Einval));
    }

    #[test]
    fn lines_and_raw() {
        let mut buf = b"a\nbc".to_vec();
        assert_eq!(take(&mut buf, Packet::Line).unwrap(), b"a\n");
        assert_eq!(take(&mut buf, Packet::Line), None);
        assert_eq!(take(&mut buf, Packet::Raw).unwrap(), b"bc");
        assert_eq!(take(&mut buf, Packet::Raw), None);
        let mut buf = b"abcdef".to_vec();
        assert_eq!(take_exact(&mut buf, 4).unwrap(), b"abcd");
        assert_eq!(take_exact(&mut buf, 4), None);
    }
}
