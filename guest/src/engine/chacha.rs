//! The engine's own ChaCha20-Poly1305 (RFC 8439), for records when the host
//! does not protect them (jco, `{host_crypto, false}`).
//!
//! ring's portable ChaCha20 works one 64-byte block at a time. Here four
//! blocks run side by side, word `i` of each block in one lane of a
//! wasm SIMD vector (`simd128`, enabled for the guest in `host/build.rs`).
//! Elsewhere (the native unit tests) the same rounds run on `[u32; 4]`.
//! Poly1305 is in [`super::poly1305`].

use super::poly1305::Poly1305;

/// Bytes of a key, a nonce and a tag.
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Four 64-byte blocks.
const BATCH: usize = 256;

/// One word of four blocks: wasm SIMD in the guest.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[derive(Clone, Copy)]
struct Lanes(core::arch::wasm32::v128);

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl Lanes {
    #[inline(always)]
    fn splat(v: u32) -> Lanes {
        Lanes(core::arch::wasm32::u32x4_splat(v))
    }

    #[inline(always)]
    fn new(v: [u32; 4]) -> Lanes {
        Lanes(core::arch::wasm32::u32x4(v[0], v[1], v[2], v[3]))
    }

    #[inline(always)]
    fn add(self, o: Lanes) -> Lanes {
        Lanes(core::arch::wasm32::i32x4_add(self.0, o.0))
    }

    /// `(self ^ o) <<< N`: wasm has no vector rotation, so two shifts and
    /// an or.
    #[inline(always)]
    fn xor_rotl<const N: u32>(self, o: Lanes) -> Lanes {
        use core::arch::wasm32::*;
        let x = v128_xor(self.0, o.0);
        Lanes(v128_or(i32x4_shl(x, N), u32x4_shr(x, 32 - N)))
    }

    /// `(self ^ o) <<< 16` or `<<< 8`, a whole-byte rotation: one byte
    /// swizzle by `by` (from [`ByteRotations`]).
    #[inline(always)]
    fn xor_rot_bytes(self, o: Lanes, by: Lanes) -> Lanes {
        use core::arch::wasm32::*;
        Lanes(i8x16_swizzle(v128_xor(self.0, o.0), by.0))
    }

    /// Rows to columns: word `i` of lane `b` becomes word `b` of lane `i`.
    #[inline(always)]
    fn transpose([a, b, c, d]: [Lanes; 4]) -> [Lanes; 4] {
        use core::arch::wasm32::{i32x4_shuffle, i64x2_shuffle};
        let t0 = i32x4_shuffle::<0, 4, 1, 5>(a.0, b.0);
        let t1 = i32x4_shuffle::<2, 6, 3, 7>(a.0, b.0);
        let t2 = i32x4_shuffle::<0, 4, 1, 5>(c.0, d.0);
        let t3 = i32x4_shuffle::<2, 6, 3, 7>(c.0, d.0);
        [
            Lanes(i64x2_shuffle::<0, 2>(t0, t2)),
            Lanes(i64x2_shuffle::<1, 3>(t0, t2)),
            Lanes(i64x2_shuffle::<0, 2>(t1, t3)),
            Lanes(i64x2_shuffle::<1, 3>(t1, t3)),
        ]
    }

    /// The four words, little-endian, into `out`. Two 64-bit halves into
    /// an array, which LLVM merges into one `v128.store` (a v128 store of
    /// its own would need `unsafe`, which this crate forbids).
    #[inline(always)]
    fn store(self, out: &mut [u8; 16]) {
        use core::arch::wasm32::u64x2_extract_lane as half;
        out[..8].copy_from_slice(&half::<0>(self.0).to_le_bytes());
        out[8..].copy_from_slice(&half::<1>(self.0).to_le_bytes());
    }

    /// `data ^= self`, 16 bytes: one `v128.load`, `v128.xor`, `v128.store`
    /// once LLVM has merged the halves.
    #[inline(always)]
    fn xor_into(self, data: &mut [u8; 16]) {
        use core::arch::wasm32::{u64x2, v128_xor};
        let half = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
        let d = u64x2(half(&data[..8]), half(&data[8..]));
        Lanes(v128_xor(d, self.0)).store(data);
    }
}

/// The byte orders that rotate each 32-bit lane left by 16 and by 8 bits.
///
/// They go through `black_box` once per batch on purpose. Seeing a constant
/// mask, LLVM turns the swizzle into an `i8x16.shuffle` whose second operand
/// is undefined, and Cranelift makes that `vpermi2b` with the mask reloaded
/// every time: 18% slower than shifts on this CPU. A mask LLVM cannot see
/// stays a swizzle, `vpaddusb` + `vpshufb`: 3% faster than two shifts and an or.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
struct ByteRotations {
    by16: Lanes,
    by8: Lanes,
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl ByteRotations {
    #[inline(always)]
    fn new() -> ByteRotations {
        use core::arch::wasm32::i8x16;
        let (by16, by8) = std::hint::black_box((
            i8x16(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13),
            i8x16(3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14),
        ));
        ByteRotations {
            by16: Lanes(by16),
            by8: Lanes(by8),
        }
    }

    #[inline(always)]
    fn rot16(&self, x: Lanes, o: Lanes) -> Lanes {
        x.xor_rot_bytes(o, self.by16)
    }

    #[inline(always)]
    fn rot8(&self, x: Lanes, o: Lanes) -> Lanes {
        x.xor_rot_bytes(o, self.by8)
    }
}

/// Shifts elsewhere: the lanes of the native tests are words, not bytes.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
struct ByteRotations;

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
impl ByteRotations {
    fn new() -> ByteRotations {
        ByteRotations
    }

    fn rot16(&self, x: Lanes, o: Lanes) -> Lanes {
        x.xor_rotl::<16>(o)
    }

    fn rot8(&self, x: Lanes, o: Lanes) -> Lanes {
        x.xor_rotl::<8>(o)
    }
}

/// One word of four blocks: plain lane arithmetic elsewhere (native tests).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[derive(Clone, Copy)]
struct Lanes([u32; 4]);

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
impl Lanes {
    fn splat(v: u32) -> Lanes {
        Lanes([v; 4])
    }

    fn new(v: [u32; 4]) -> Lanes {
        Lanes(v)
    }

    fn add(self, o: Lanes) -> Lanes {
        Lanes(std::array::from_fn(|i| self.0[i].wrapping_add(o.0[i])))
    }

    fn xor_rotl<const N: u32>(self, o: Lanes) -> Lanes {
        Lanes(std::array::from_fn(|i| (self.0[i] ^ o.0[i]).rotate_left(N)))
    }

    fn transpose(w: [Lanes; 4]) -> [Lanes; 4] {
        std::array::from_fn(|b| Lanes(std::array::from_fn(|i| w[i].0[b])))
    }

    fn store(self, out: &mut [u8; 16]) {
        for (o, w) in out.chunks_exact_mut(4).zip(self.0) {
            o.copy_from_slice(&w.to_le_bytes());
        }
    }

    fn xor_into(self, data: &mut [u8; 16]) {
        let mut ks = [0u8; 16];
        self.store(&mut ks);
        xor(data, &ks);
    }
}

#[inline(always)]
fn quarter_round(x: &mut [Lanes; 16], r: &ByteRotations, [a, b, c, d]: [usize; 4]) {
    x[a] = x[a].add(x[b]);
    x[d] = r.rot16(x[d], x[a]);
    x[c] = x[c].add(x[d]);
    x[b] = x[b].xor_rotl::<12>(x[c]);
    x[a] = x[a].add(x[b]);
    x[d] = r.rot8(x[d], x[a]);
    x[c] = x[c].add(x[d]);
    x[b] = x[b].xor_rotl::<7>(x[c]);
}

/// A ChaCha20 key and nonce.
struct ChaCha20 {
    key: [u32; 8],
    nonce: [u32; 3],
}

impl ChaCha20 {
    fn new(key: &[u8; KEY_LEN], nonce: &[u8; NONCE_LEN]) -> ChaCha20 {
        let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        ChaCha20 {
            key: std::array::from_fn(|i| word(&key[i * 4..])),
            nonce: std::array::from_fn(|i| word(&nonce[i * 4..])),
        }
    }

    /// The keystream of blocks `counter .. counter + 4`, 16 bytes a
    /// vector in stream order.
    #[inline(always)]
    fn keystream(&self, counter: u32) -> [Lanes; BATCH / 16] {
        let k = &self.key;
        let n = &self.nonce;
        let ctr = Lanes::new([
            counter,
            counter.wrapping_add(1),
            counter.wrapping_add(2),
            counter.wrapping_add(3),
        ]);
        let init = [
            Lanes::splat(0x6170_7865),
            Lanes::splat(0x3320_646e),
            Lanes::splat(0x7962_2d32),
            Lanes::splat(0x6b20_6574),
            Lanes::splat(k[0]),
            Lanes::splat(k[1]),
            Lanes::splat(k[2]),
            Lanes::splat(k[3]),
            Lanes::splat(k[4]),
            Lanes::splat(k[5]),
            Lanes::splat(k[6]),
            Lanes::splat(k[7]),
            ctr,
            Lanes::splat(n[0]),
            Lanes::splat(n[1]),
            Lanes::splat(n[2]),
        ];
        let mut x = init;
        let r = ByteRotations::new();
        // Ten double rounds written out, not a loop: Cranelift's register
        // allocator then spills about 29 vectors a double round instead of
        // 55, as nothing has to be in place for a back edge (~7% faster
        // guest-only ChaCha20-Poly1305, BENCHMARKS.md).
        let double_round = |x: &mut [Lanes; 16]| {
            quarter_round(x, &r, [0, 4, 8, 12]);
            quarter_round(x, &r, [1, 5, 9, 13]);
            quarter_round(x, &r, [2, 6, 10, 14]);
            quarter_round(x, &r, [3, 7, 11, 15]);
            quarter_round(x, &r, [0, 5, 10, 15]);
            quarter_round(x, &r, [1, 6, 11, 12]);
            quarter_round(x, &r, [2, 7, 8, 13]);
            quarter_round(x, &r, [3, 4, 9, 14]);
        };
        double_round(&mut x);
        double_round(&mut x);
        double_round(&mut x);
        double_round(&mut x);
        double_round(&mut x);
        double_round(&mut x);
        double_round(&mut x);
        double_round(&mut x);
        double_round(&mut x);
        double_round(&mut x);
        let mut out = [Lanes::splat(0); BATCH / 16];
        for g in 0..4 {
            let w: [Lanes; 4] = std::array::from_fn(|i| x[4 * g + i].add(init[4 * g + i]));
            // Words 4g..4g+4 of the four blocks: 16 bytes of each.
            for (block, words) in Lanes::transpose(w).into_iter().enumerate() {
                out[block * 4 + g] = words;
            }
        }
        out
    }

    /// The keystream of blocks `counter .. counter + 4`, as bytes.
    fn batch(&self, counter: u32, out: &mut [u8; BATCH]) {
        let (chunks, _) = out.as_chunks_mut::<16>();
        for (o, k) in chunks.iter_mut().zip(self.keystream(counter)) {
            k.store(o);
        }
    }

    /// `data ^=` the keystream of blocks `counter .. counter + 4`, straight
    /// from the vectors: no keystream buffer, no byte loop.
    fn xor_batch(&self, counter: u32, data: &mut [u8; BATCH]) {
        let (chunks, _) = data.as_chunks_mut::<16>();
        for (d, k) in chunks.iter_mut().zip(self.keystream(counter)) {
            k.xor_into(d);
        }
    }

    /// Blocks 0 to 3: the Poly1305 key is the first 32 bytes, the
    /// message's keystream starts at block 1.
    fn first_batch(&self) -> [u8; BATCH] {
        let mut ks = [0u8; BATCH];
        self.batch(0, &mut ks);
        ks
    }

    /// XOR `data` with the keystream from block 1 on; `first` is
    /// [`Self::first_batch`].
    fn apply(&self, data: &mut [u8], first: &[u8; BATCH]) {
        let (head, rest) = data.split_at_mut(data.len().min(BATCH - 64));
        xor(head, &first[64..]);
        let (whole, tail) = rest.as_chunks_mut::<BATCH>();
        let mut counter = 4u32;
        for chunk in whole {
            self.xor_batch(counter, chunk);
            counter = counter.wrapping_add(4);
        }
        if !tail.is_empty() {
            let mut ks = [0u8; BATCH];
            self.batch(counter, &mut ks);
            xor(tail, &ks);
            ks.fill(0);
        }
    }
}

fn xor(data: &mut [u8], ks: &[u8]) {
    for (d, k) in data.iter_mut().zip(ks) {
        *d ^= k;
    }
}

/// The tag over `aad` and `ciphertext`, keyed by the first 32 bytes of `first`.
fn tag(first: &[u8; BATCH], aad: &[u8], ciphertext: &[u8]) -> [u8; TAG_LEN] {
    let mut poly_key = [0u8; 32];
    poly_key.copy_from_slice(&first[..32]);
    let mut mac = Poly1305::new(&poly_key);
    poly_key.fill(0);
    mac.update_padded(aad);
    mac.update_padded(ciphertext);
    let mut lengths = [0u8; 16];
    lengths[..8].copy_from_slice(&(aad.len() as u64).to_le_bytes());
    lengths[8..].copy_from_slice(&(ciphertext.len() as u64).to_le_bytes());
    mac.blocks(&lengths);
    mac.finalize()
}

/// ChaCha20-Poly1305 under one key.
pub(super) struct ChaCha20Poly1305 {
    key: [u8; KEY_LEN],
}

impl Drop for ChaCha20Poly1305 {
    fn drop(&mut self) {
        self.key.fill(0);
    }
}

impl ChaCha20Poly1305 {
    /// `None` unless `key` is 32 bytes.
    pub(super) fn new(key: &[u8]) -> Option<ChaCha20Poly1305> {
        Some(ChaCha20Poly1305 {
            key: key.try_into().ok()?,
        })
    }

    fn cipher(&self, nonce: &[u8]) -> Option<ChaCha20> {
        Some(ChaCha20::new(&self.key, nonce.try_into().ok()?))
    }
}

/// Record protection (`crypto::RecordKey` wraps these).
impl ChaCha20Poly1305 {
    pub(crate) fn seal(&self, nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(plaintext.len() + TAG_LEN);
        out.extend_from_slice(plaintext);
        let tag = self.seal_in_place(nonce, aad, &mut out)?;
        out.extend_from_slice(&tag);
        Some(out)
    }

    pub(crate) fn open(&self, nonce: &[u8], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        let mut out = sealed.to_vec();
        let len = self.open_in_place(nonce, aad, &mut out)?;
        out.truncate(len);
        Some(out)
    }

    pub(crate) fn seal_in_place(
        &self,
        nonce: &[u8],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Option<[u8; TAG_LEN]> {
        let cipher = self.cipher(nonce)?;
        let mut first = cipher.first_batch();
        cipher.apply(buf, &first);
        let t = tag(&first, aad, buf);
        first.fill(0);
        Some(t)
    }

    pub(crate) fn open_in_place(&self, nonce: &[u8], aad: &[u8], buf: &mut [u8]) -> Option<usize> {
        let cipher = self.cipher(nonce)?;
        let body_len = buf.len().checked_sub(TAG_LEN)?;
        let (body, received) = buf.split_at_mut(body_len);
        // The tag is over the ciphertext: check it before decrypting.
        let mut first = cipher.first_batch();
        let expected = tag(&first, aad, body);
        // Every byte compared, whatever differs.
        let diff = expected
            .iter()
            .zip(received.iter())
            .fold(0u8, |d, (a, b)| d | (a ^ b));
        let authentic = std::hint::black_box(diff) == 0;
        if authentic {
            cipher.apply(body, &first);
        }
        first.fill(0);
        authentic.then_some(body_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    const SUNSCREEN: &[u8] = b"Ladies and Gentlemen of the class of '99: If I could offer you \
only one tip for the future, sunscreen would be it.";

    /// RFC 8439 section 2.3.2: one block.
    #[test]
    fn block_function_vector() {
        let key: [u8; 32] = std::array::from_fn(|i| i as u8);
        let nonce = hex("000000090000004a00000000");
        let c = ChaCha20::new(&key, nonce.as_slice().try_into().unwrap());
        let mut ks = [0u8; BATCH];
        c.batch(1, &mut ks);
        assert_eq!(
            ks[..64].to_vec(),
            hex(
                "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e
                 d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"
            )
        );
    }

    /// RFC 8439 section 2.8.2: the AEAD.
    #[test]
    fn aead_vector() {
        let key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        let nonce = hex("070000004041424344454647");
        let aad = hex("50515253c0c1c2c3c4c5c6c7");
        let aead = ChaCha20Poly1305::new(&key).unwrap();
        let sealed = aead.seal(&nonce, &aad, SUNSCREEN).unwrap();
        let (ct, t) = sealed.split_at(SUNSCREEN.len());
        assert_eq!(
            ct.to_vec(),
            hex(
                "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6
                 3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36
                 92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc
                 3ff4def08e4b7a9de576d26586cec64b6116"
            )
        );
        assert_eq!(t.to_vec(), hex("1ae10b594f09e26a7e902ecbd0600691"));
        assert_eq!(aead.open(&nonce, &aad, &sealed).unwrap(), SUNSCREEN);
    }

    /// The same bytes as ring's, at every length around the batch edges,
    /// and any flipped bit refused.
    #[test]
    fn agrees_with_ring() {
        use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305};
        let key: Vec<u8> = (0..32).map(|i| (i * 7 + 3) as u8).collect();
        let ours = ChaCha20Poly1305::new(&key).unwrap();
        let ring_key = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &key).unwrap());
        let lengths = (0..600).chain([1023, 1024, 1025, 16384, 16385 + 255]);
        for (i, len) in lengths.enumerate() {
            let nonce: [u8; 12] = std::array::from_fn(|j| (i + j) as u8);
            let aad = vec![i as u8; i % 13];
            let plain: Vec<u8> = (0..len).map(|j| (j * 31 + i) as u8).collect();
            let sealed = ours.seal(&nonce, &aad, &plain).unwrap();
            let mut theirs = plain.clone();
            ring_key
                .seal_in_place_append_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(&aad),
                    &mut theirs,
                )
                .unwrap();
            assert_eq!(sealed, theirs, "length {len}");
            assert_eq!(ours.open(&nonce, &aad, &sealed).unwrap(), plain);
            let mut bad = sealed.clone();
            bad[(i * 5) % sealed.len()] ^= 1 << (i % 8);
            assert!(ours.open(&nonce, &aad, &bad).is_none(), "length {len}");
        }
        assert!(ours.open(&[0; 12], &[], &[0; 15]).is_none());
        assert!(ours.seal(&[0; 11], &[], b"x").is_none());
        assert!(ChaCha20Poly1305::new(&[0; 31]).is_none());
    }
}
