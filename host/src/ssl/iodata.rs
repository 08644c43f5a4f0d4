//! What `send` takes: Erlang's `iodata()`, bytes owned or borrowed.
//!
//! Owned bytes (a `Vec<u8>`, a `String`, received [`Data`]) move to the
//! connection without a copy; borrowed ones (`&[u8]`, `&str`, `b"..."`,
//! `&Vec<u8>`) are copied once, as they must be. An echo that sends back
//! what it received pays nothing for the hand-over.

use std::borrow::Cow;

use super::Data;

/// Bytes for [`send`](super::send).
pub trait Iodata {
    /// The bytes, moved when owned.
    fn into_bytes(self) -> Vec<u8>;
}

impl Iodata for Vec<u8> {
    fn into_bytes(self) -> Vec<u8> {
        self
    }
}

impl Iodata for String {
    fn into_bytes(self) -> Vec<u8> {
        String::into_bytes(self)
    }
}

impl Iodata for Box<[u8]> {
    fn into_bytes(self) -> Vec<u8> {
        self.into_vec()
    }
}

impl<const N: usize> Iodata for [u8; N] {
    fn into_bytes(self) -> Vec<u8> {
        self.to_vec()
    }
}

/// An http packet has no bytes to send: it sends nothing, as its
/// [`Data::as_bytes`] is empty.
impl Iodata for Data {
    fn into_bytes(self) -> Vec<u8> {
        Data::into_bytes(self)
    }
}

impl Iodata for Cow<'_, [u8]> {
    fn into_bytes(self) -> Vec<u8> {
        self.into_owned()
    }
}

impl Iodata for Cow<'_, str> {
    fn into_bytes(self) -> Vec<u8> {
        self.into_owned().into_bytes()
    }
}

/// Anything borrowed that is bytes: copied once.
impl<T: AsRef<[u8]> + ?Sized> Iodata for &T {
    fn into_bytes(self) -> Vec<u8> {
        self.as_ref().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_bytes_move_and_borrowed_ones_are_copied() {
        let v = vec![1u8, 2, 3];
        let at = v.as_ptr();
        let moved = Iodata::into_bytes(v);
        assert_eq!(moved.as_ptr(), at);
        let d = Data::Binary(vec![4u8; 9]);
        let at = d.as_bytes().as_ptr();
        let moved = Iodata::into_bytes(d);
        assert_eq!(moved.as_ptr(), at);
        let s = String::from("abc");
        let at = s.as_ptr();
        let moved = Iodata::into_bytes(s);
        assert_eq!(moved.as_ptr(), at);
        let kept = vec![5u8; 4];
        let borrowed: &[u8] = &kept;
        let copy = Iodata::into_bytes(borrowed);
        assert_eq!(copy, kept);
        assert_ne!(copy.as_ptr(), kept.as_ptr());
        assert_eq!(Iodata::into_bytes("hi"), b"hi");
        assert_eq!(Iodata::into_bytes(b"hi"), b"hi");
        let string = String::from("s");
        assert_eq!(Iodata::into_bytes(&string), b"s");
        assert_eq!(string, "s");
    }
}
