;; The least a consumer can cost: the `consumer` world (asterai:whatsapp/incoming-handler)
;; in one small core module, built into a component by `bench-tool component` for
;; `make bench`. Every message gets no actions and every status and other webhook update
;; is ignored, as with examples/no-consumer, but without Rust's std: no table, no shim, no start-up code, and
;; a linear memory of one page (64 KiB), grown only for a larger message. So a composition
;; with it costs little more than `whatsapp` itself: a GET instantiates it without touching
;; any of its pages, and a webhook adds only the pages the message is copied into.
;;
;; One page rather than none: under `wasmtime serve`, growing a memory costs an mprotect
;; when it grows and another when the instance is reset, and the second flushes the TLB of
;; every CPU. Measured with hello world in front of it (make bench's (b0) and (c0)), the
;; one-page memory made POSTs about 20 % faster and GETs no slower than a zero-page one.
;;
;; Memory: bytes 0..8 hold the answer of on-message (an empty list: pointer 8, length 0);
;; everything the host copies in (the arguments and their strings) is bump-allocated from 16
;; on, growing the memory as needed, and freed all at once after each call (the
;; post-return of on-message, the end of on-status and of on-update). A consumer that keeps nothing
;; between calls needs no more of an allocator than that.
(module
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 16))

  ;; cabi_realloc(old, old_size, align, new_size): a fresh block (the canonical ABI only
  ;; allocates here: old_size is 0), aligned, with the memory grown to hold it.
  (func (export "cabi_realloc")
    (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $ptr i32) (local $end i32) (local $have i32)
    (local.set $ptr
      (i32.and
        (i32.add (global.get $next) (i32.sub (local.get $align) (i32.const 1)))
        (i32.sub (i32.const 0) (local.get $align))))
    (local.set $end (i32.add (local.get $ptr) (local.get $size)))
    (local.set $have (i32.shl (memory.size) (i32.const 16)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq
              (memory.grow
                (i32.shr_u
                  (i32.add (i32.sub (local.get $end) (local.get $have)) (i32.const 65535))
                  (i32.const 16)))
              (i32.const -1))
          (then unreachable))))
    (if (local.get $old_size)
      (then (memory.copy (local.get $ptr) (local.get $old) (local.get $old_size))))
    (global.set $next (local.get $end))
    (local.get $ptr))

  ;; on-message: func(message, delivery) -> list<action>. The message flattens to more
  ;; than 16 values, so both arguments were copied in, as one tuple (its address is the
  ;; parameter), and the delivery's attempt is not read; the answer is the empty list at 0.
  ;; (0.4.0's delivery changed no core signature here.)
  (func (export "asterai:whatsapp/incoming-handler@0.4.0#on-message")
    (param $args i32) (result i32)
    (if (i32.eqz (memory.size))
      (then (drop (memory.grow (i32.const 1)))))
    (i32.store (i32.const 0) (i32.const 8))
    (i32.store (i32.const 4) (i32.const 0))
    (i32.const 0))

  ;; After the caller has read the answer: free everything.
  (func (export "cabi_post_asterai:whatsapp/incoming-handler@0.4.0#on-message")
    (param $answer i32)
    (global.set $next (i32.const 16)))

  ;; on-status: func(status-update, delivery): ignored, and the copy freed. The record
  ;; flattens to more than 16 values, so the arguments are passed by address, as the
  ;; message's are.
  (func (export "asterai:whatsapp/incoming-handler@0.4.0#on-status")
    (param $args i32)
    (global.set $next (i32.const 16)))

  ;; on-update: func(webhook-update, delivery): ignored, and the copy freed. Passed by
  ;; address too (more than 16 flat values); no result, so no post-return.
  (func (export "asterai:whatsapp/incoming-handler@0.4.0#on-update")
    (param $args i32)
    (global.set $next (i32.const 16)))
)
