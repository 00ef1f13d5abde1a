-- wrk script of `make bench`: POSTs a webhook body with its precomputed signature.
--   BENCH_BODY      file with the exact bytes to send (the signature covers them)
--   BENCH_SIG       hex HMAC-SHA256 of those bytes with the App Secret
--   BENCH_DELAY_MS  optional pause before each request on a connection (bounds the rate)
local file = assert(io.open(assert(os.getenv("BENCH_BODY"), "BENCH_BODY unset"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Hub-Signature-256"] = "sha256=" .. assert(os.getenv("BENCH_SIG"), "BENCH_SIG unset")

local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if pause and pause > 0 then
   function delay()
      return pause
   end
end
