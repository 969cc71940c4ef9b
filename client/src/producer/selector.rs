//! [`MessageQueueSelector`]: picks the queue of an ordered send
//! (CLIENT-API.md §5).

use crate::message::{Message, MessageQueue};

/// Chooses one of a topic's queues for a message, from a user argument
/// (e.g. an order id, so one order's messages share a queue).
pub trait MessageQueueSelector<A: ?Sized>: Send + Sync {
    /// The chosen queue, or `None` to fail the send.
    fn select<'q>(
        &self,
        mqs: &'q [MessageQueue],
        msg: &Message,
        arg: &A,
    ) -> Option<&'q MessageQueue>;
}

impl<A: ?Sized, F> MessageQueueSelector<A> for F
where
    F: Fn(&[MessageQueue], &Message, &A) -> usize + Send + Sync,
{
    /// A closure returns an index; it is taken modulo the queue count.
    fn select<'q>(
        &self,
        mqs: &'q [MessageQueue],
        msg: &Message,
        arg: &A,
    ) -> Option<&'q MessageQueue> {
        if mqs.is_empty() {
            return None;
        }
        mqs.get(self(mqs, msg, arg) % mqs.len())
    }
}

/// Java's `hashCode` of a selector argument, so a Rust producer puts a key
/// on the same queue index a Java producer would.
pub trait JavaHashCode {
    /// The value of Java's `hashCode()` for the equivalent Java object.
    fn java_hash_code(&self) -> i32;
}

impl JavaHashCode for str {
    fn java_hash_code(&self) -> i32 {
        protocol::message::tag::java_string_hash(self)
    }
}

impl JavaHashCode for String {
    fn java_hash_code(&self) -> i32 {
        self.as_str().java_hash_code()
    }
}

impl JavaHashCode for i32 {
    fn java_hash_code(&self) -> i32 {
        *self
    }
}

impl JavaHashCode for i64 {
    fn java_hash_code(&self) -> i32 {
        (*self ^ (*self >> 32)) as i32
    }
}

impl JavaHashCode for u32 {
    fn java_hash_code(&self) -> i32 {
        *self as i32
    }
}

impl JavaHashCode for u64 {
    fn java_hash_code(&self) -> i32 {
        (*self as i64).java_hash_code()
    }
}

impl<T: JavaHashCode + ?Sized> JavaHashCode for &T {
    fn java_hash_code(&self) -> i32 {
        (**self).java_hash_code()
    }
}

/// `abs(arg.hashCode() % n)`: the same key always maps to the same queue
/// (Java's `SelectMessageQueueByHash`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SelectMessageQueueByHash;

impl<A: JavaHashCode + ?Sized> MessageQueueSelector<A> for SelectMessageQueueByHash {
    fn select<'q>(
        &self,
        mqs: &'q [MessageQueue],
        _msg: &Message,
        arg: &A,
    ) -> Option<&'q MessageQueue> {
        if mqs.is_empty() {
            return None;
        }
        let n = i32::try_from(mqs.len()).unwrap_or(i32::MAX);
        let v = (arg.java_hash_code() % n).unsigned_abs() as usize;
        mqs.get(v)
    }
}

/// A random queue (Java's `SelectMessageQueueByRandom`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SelectMessageQueueByRandom;

impl<A: ?Sized> MessageQueueSelector<A> for SelectMessageQueueByRandom {
    fn select<'q>(
        &self,
        mqs: &'q [MessageQueue],
        _msg: &Message,
        _arg: &A,
    ) -> Option<&'q MessageQueue> {
        if mqs.is_empty() {
            return None;
        }
        mqs.get(rand::random::<usize>() % mqs.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_java() {
        let mqs: Vec<_> = (0..8).map(|i| MessageQueue::new("T", "b", i)).collect();
        let m = Message::new("T", "x");
        // "order-1".hashCode() == -1207111310 in Java; % 8 == -6 -> 6
        assert_eq!("order-1".java_hash_code(), -1207111310);
        let q = SelectMessageQueueByHash
            .select(&mqs, &m, "order-1")
            .unwrap();
        assert_eq!(q.queue_id, 6);
        let q = SelectMessageQueueByHash.select(&mqs, &m, &13i32).unwrap();
        assert_eq!(q.queue_id, 5);
        assert!(SelectMessageQueueByHash.select(&[], &m, &1i32).is_none());
        let by_index = |_: &[MessageQueue], _: &Message, a: &usize| *a;
        assert_eq!(by_index.select(&mqs, &m, &9).unwrap().queue_id, 1);
        assert!(SelectMessageQueueByRandom.select(&mqs, &m, &()).is_some());
    }
}
