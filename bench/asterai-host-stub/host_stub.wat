;; A stand-in for the asterai runtime's host API, so that asterai's own WhatsApp component
;; (bench/asterai-whatsapp) runs under bench-tool, which links only WASI: the world `host`
;; of asterai:host@1.0.0 (asterai's runtime/wit/asterai_host.wit, vendored in
;; bench/asterai-whatsapp/wit/deps/asterai-host/), built into a component by
;; `bench-tool component` and composed with `wac plug` for `make bench`. It is to asterai's
;; component what bench/ack-consumer is to ours: the consumer does nothing.
;;
;;   get-component          any name: that name, version 0.1.0, exporting
;;                          asterai:whatsapp/incoming-handler@0.1.0, no functions listed
;;   component-implements   true
;;   call-component-function  ok("null") at once, as a function without a result answers
;;   get-runtime-info       version "bench-host-stub"
;;   list-components, list-other-components  empty lists
;;
;; Memory (one page): the answers are fixed, at the addresses below, but for the name in
;; get-component's, which is the caller's own argument. Everything the caller copies in (the
;; arguments' strings) is bump-allocated from 256 on and freed all at once: at the end of
;; call-component-function and component-implements (their answers do not point at it),
;; and in the post-return of get-component (its answer does).
;;
;;     0..16   call-component-function's answer: result ok (0), string at 128, length 4
;;    16..64   get-component's answer: option some (1), then component-info at 20:
;;             name 20 (filled in), version 28, interfaces 36, description 44 (none),
;;             functions 56 (empty)
;;    64..72   get-runtime-info's answer: version string at 200, length 15
;;    72..80   list-components' and list-other-components' answer: an empty list
;;   128..     "null", "0.1.0", the interface's name, the list of it, the version
(module
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 256))

  (data (i32.const 4) "\80\00\00\00\04\00\00\00")
  (data (i32.const 16) "\01")
  (data (i32.const 28) "\84\00\00\00\05\00\00\00\c0\00\00\00\01\00\00\00")
  (data (i32.const 64) "\c8\00\00\00\0f\00\00\00")
  (data (i32.const 128) "null")
  (data (i32.const 132) "0.1.0")
  (data (i32.const 144) "asterai:whatsapp/incoming-handler@0.1.0")
  (data (i32.const 192) "\90\00\00\00\27\00\00\00")
  (data (i32.const 200) "bench-host-stub")

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

  ;; get-runtime-info: func() -> runtime-info.
  (func (export "asterai:host/api@1.0.0#get-runtime-info") (result i32)
    (i32.const 64))

  ;; list-components, list-other-components: func() -> list<component-info>.
  (func (export "asterai:host/api@1.0.0#list-components") (result i32)
    (i32.const 72))
  (func (export "asterai:host/api@1.0.0#list-other-components") (result i32)
    (i32.const 72))

  ;; get-component: func(name: string) -> option<component-info>: the name (copied in by
  ;; the caller) goes into the answer, and stays allocated until the post-return.
  (func (export "asterai:host/api@1.0.0#get-component")
    (param $name i32) (param $name_len i32) (result i32)
    (i32.store (i32.const 20) (local.get $name))
    (i32.store (i32.const 24) (local.get $name_len))
    (i32.const 16))
  (func (export "cabi_post_asterai:host/api@1.0.0#get-component")
    (param $answer i32)
    (global.set $next (i32.const 256)))

  ;; component-implements: func(component-name: string, interface-name: string) -> bool.
  (func (export "asterai:host/api@1.0.0#component-implements")
    (param i32 i32 i32 i32) (result i32)
    (global.set $next (i32.const 256))
    (i32.const 1))

  ;; call-component-function: func(component-name: string, function-name: string,
  ;; args-json: string) -> result<string, call-error>: ok("null"), the arguments freed.
  (func (export "asterai:host/api@1.0.0#call-component-function")
    (param i32 i32 i32 i32 i32 i32) (result i32)
    (global.set $next (i32.const 256))
    (i32.const 0))
)
