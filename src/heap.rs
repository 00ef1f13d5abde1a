//! The instance's heap: small blocks recycled by size class, in front of the system
//! allocator (wasi-libc's dlmalloc in the component).
//!
//! A reply allocates and frees dozens of small blocks (the webhook's body, its JSON
//! containers and strings, the Markdown tokens, the Graph request's URL and headers), and
//! each dlmalloc `malloc` and `free` is a few hundred wasm instructions. Here a freed
//! block of at most [`LARGEST`] bytes goes on the free list of its size class (16, 32, ...
//! 1024 bytes), and the next allocation of that class takes it back in a few
//! instructions. Larger blocks, and blocks aligned to more than 8 bytes, go to the system
//! allocator as they are.
//!
//! Memory: a list is filled only by frees, so an instance holds at most, per class, the
//! most blocks it once had in use at the same time. A reused instance settles as it did
//! with dlmalloc alone (`tests/webhook_reuse.rs` holds it to that); what a class keeps is
//! not given back for another size.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::ptr;

/// The smallest class's size: a block of any class holds the pointer that links it into
/// its free list.
const SMALLEST: usize = 16;
/// How many classes, each twice the size of the one before.
const CLASSES: usize = 7;
/// The largest class's size.
pub const LARGEST: usize = SMALLEST << (CLASSES - 1);
/// The alignment of every class's blocks: the system allocator's own (`malloc`'s on
/// wasm32), so that it is asked with a plain `malloc`.
const ALIGN: usize = 8;

/// Size classes over `system`. Not `Sync`: the component's one instance of it is made
/// `Sync` where there is one thread (see `component`).
pub struct Heap<A> {
    system: A,
    /// The head of each class's free list (null: empty). A free block's first word
    /// points to the next one.
    free: [Cell<*mut u8>; CLASSES],
}

impl<A> Heap<A> {
    /// Empty lists in front of `system`.
    pub const fn new(system: A) -> Self {
        Heap {
            system,
            free: [const { Cell::new(ptr::null_mut()) }; CLASSES],
        }
    }
}

// SAFETY: a component instance on wasm32 without the `atomics` feature has one thread
// (WASI 0.2 can start no other), so the lists are never touched by two at once.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
unsafe impl<A: Sync> Sync for Heap<A> {}

/// The class of a layout: the smallest that holds its size, when its size is at most
/// [`LARGEST`] and its alignment at most [`ALIGN`].
fn class_of(layout: Layout) -> Option<usize> {
    if layout.size() > LARGEST || layout.align() > ALIGN {
        return None;
    }
    let size = layout.size().max(SMALLEST).next_power_of_two();
    Some((size.trailing_zeros() - SMALLEST.trailing_zeros()) as usize)
}

/// The layout of every block of `class`.
fn class_layout(class: usize) -> Layout {
    // SAFETY: the size is a power of two of at most LARGEST bytes, and ALIGN is a power of
    // two: the layout is valid.
    unsafe { Layout::from_size_align_unchecked(SMALLEST << class, ALIGN) }
}

// SAFETY: every block handed out is valid for its layout: a class's block has the class's
// size (at least the layout's) and ALIGN (at least the layout's alignment); any other is
// the system allocator's. A block is on a free list only after it was deallocated, and
// leaves it when it is handed out again, so no block is in use twice. Blocks go back to
// the allocator they came from: `class_of` gives the same class for the same layout.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Heap<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(class) = class_of(layout) else {
            return self.system.alloc(layout);
        };
        let Some(list) = self.free.get(class) else {
            return self.system.alloc(layout);
        };
        let block = list.get();
        if block.is_null() {
            return self.system.alloc(class_layout(class));
        }
        // SAFETY: a free block starts with the link written by `dealloc`.
        list.set(block.cast::<*mut u8>().read());
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        match class_of(layout).and_then(|class| self.free.get(class)) {
            Some(list) => {
                // SAFETY: the block is at least SMALLEST bytes, aligned to ALIGN, and no
                // longer in use: its first word can hold the link.
                block.cast::<*mut u8>().write(list.get());
                list.set(block);
            }
            None => self.system.dealloc(block, layout),
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller gives a new size that is valid with the layout's alignment.
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        match (class_of(layout), class_of(new_layout)) {
            // The block already has room for the new size.
            (Some(old), Some(new)) if old == new => block,
            (None, None) => self.system.realloc(block, layout, new_size),
            _ => {
                let moved = self.alloc(new_layout);
                if !moved.is_null() {
                    ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                    self.dealloc(block, layout);
                }
                moved
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::System;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).expect("valid layout")
    }

    #[test]
    fn sizes_fall_in_the_smallest_class_that_holds_them() {
        for (size, class) in [(1, 0), (16, 0), (17, 1), (32, 1), (33, 2), (64, 2), (65, 3)] {
            assert_eq!(class_of(layout(size, 1)), Some(class), "{size} bytes");
        }
        assert_eq!(class_of(layout(LARGEST, 8)), Some(CLASSES - 1));
        assert_eq!(class_of(layout(LARGEST + 1, 1)), None, "too large");
        assert_eq!(class_of(layout(8, 16)), None, "aligned to more than 8");
    }

    #[test]
    fn a_freed_block_is_handed_out_again_for_its_class_only() {
        let heap = Heap::new(System);
        unsafe {
            let a = heap.alloc(layout(24, 8));
            assert!(!a.is_null());
            heap.dealloc(a, layout(24, 8));
            let other_class = heap.alloc(layout(8, 8));
            assert_ne!(
                other_class, a,
                "a 16-byte block does not come from the 32 list"
            );
            let same_class = heap.alloc(layout(30, 4));
            assert_eq!(same_class, a, "a 30-byte block is the freed 32-byte one");
            heap.dealloc(same_class, layout(30, 4));
            heap.dealloc(other_class, layout(8, 8));
        }
    }

    #[test]
    fn blocks_are_aligned_and_hold_their_bytes_through_reallocations() {
        let heap = Heap::new(System);
        unsafe {
            let mut size = 1;
            let mut block = heap.alloc(layout(size, 1));
            block.write(7);
            // Up through every class and into the system allocator, then back down.
            for new_size in [2, 16, 17, 100, 1024, 1025, 5000, 300, 200, 12, 1] {
                block = heap.realloc(block, layout(size, 1), new_size);
                assert!(!block.is_null());
                assert_eq!(
                    block.read(),
                    7,
                    "the first byte survives {size} -> {new_size}"
                );
                size = new_size;
            }
            heap.dealloc(block, layout(size, 1));
            for size in [1, 16, 40, 100, 1024] {
                let b = heap.alloc(layout(size, 8));
                assert_eq!(b as usize % 8, 0, "{size} bytes aligned to 8");
                heap.dealloc(b, layout(size, 8));
            }
        }
    }

    #[test]
    fn many_blocks_of_one_class_are_all_distinct_and_all_reused() {
        let heap = Heap::new(System);
        let l = layout(48, 8);
        unsafe {
            let first: Vec<*mut u8> = (0..100).map(|_| heap.alloc(l)).collect();
            for (i, &b) in first.iter().enumerate() {
                b.write_bytes(i as u8, 48);
            }
            for (i, &b) in first.iter().enumerate() {
                assert_eq!(b.add(47).read(), i as u8, "no two blocks overlap");
            }
            for &b in &first {
                heap.dealloc(b, l);
            }
            let mut second: Vec<*mut u8> = (0..100).map(|_| heap.alloc(l)).collect();
            let mut sorted_first = first.clone();
            sorted_first.sort();
            second.sort();
            assert_eq!(
                second, sorted_first,
                "the second round takes back the first's blocks"
            );
            for &b in &second {
                heap.dealloc(b, l);
            }
        }
    }
}
