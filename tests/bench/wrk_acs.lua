-- make bench (bench_broker.sh): POST /saml/acs with pre-generated answers,
-- each exactly once.
--   wrk -s wrk_acs.lua URL -- BODIES FIRST COUNT THREADS COOKIE
-- BODIES holds one form body (SAMLResponse=...&RelayState=...) per line;
-- COOKIE is the browser's, which its requests were made with;
-- lines FIRST .. FIRST+COUNT-1 are this run's, and each of the THREADS wrk
-- threads posts its own share. A 302 is a sign-in; anything else is a
-- failure, and the first one is kept to be shown.
--
-- wrk asks for a request whenever a connection is free, also once a
-- thread's bodies are all out and their answers still due: delay() parks
-- those connections (a minute, past any bound) and, should one wake, it
-- asks GET /healthz (200, not counted; /saml/acs never answers 200). The
-- thread stops when its last answer is in. wrk's own duration is only the
-- bound: the rate is answers over the time from the first request to the
-- last answer, read from CLOCK_MONOTONIC.
local ffi = require("ffi")
ffi.cdef [[
struct timespec { long tv_sec; long tv_nsec; };
int clock_gettime(int clock, struct timespec *ts);
]]
local CLOCK_MONOTONIC = 1

local function now()
   local ts = ffi.new("struct timespec")
   ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
   return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

-- Main state: one entry per thread, read back in done().
local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("index", #threads)
end

-- Thread state: these are globals so that done() can get them.
bodies, sent, signins, failures, first_failure, t_first, t_last = {}, 0, 0, 0, nil, nil, nil
-- wrk 4.1 calls request() once on its first thread before the run, to
-- count pipelined requests; that call must not use up a body.
counted = false

function init(args)
   local path, first, count, nthreads = args[1], tonumber(args[2]), tonumber(args[3]),
      tonumber(args[4])
   local cookie = args[5]
   local share = math.floor(count / nthreads)
   local lo = first + (index - 1) * share
   local hi = index == nthreads and first + count - 1 or lo + share - 1
   local headers = { ["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = cookie }
   local n = 0

   for line in io.lines(path) do
      n = n + 1
      if n > hi then break end
      if n >= lo then
         bodies[#bodies + 1] = wrk.format("POST", "/saml/acs", headers, line)
      end
   end
   filler = wrk.format("GET", "/healthz")
end

function delay()
   return sent < #bodies and 0 or 60000
end

function request()
   if index == 1 and not counted then
      counted = true
      return filler
   end
   if sent == #bodies then return filler end
   sent = sent + 1
   if t_first == nil then t_first = now() end
   return bodies[sent]
end

function response(status, headers, body)
   if status == 200 then return end
   if status == 302 then
      signins = signins + 1
   else
      failures = failures + 1
      if first_failure == nil then
         first_failure = status .. " " .. string.sub(string.gsub(body, "%s+", " "), 1, 300)
      end
   end
   t_last = now()
   if signins + failures == #bodies then wrk.thread:stop() end
end

function done(summary, latency, requests)
   local s, f, n, first, last, why = 0, 0, 0, math.huge, 0, ""
   local e = summary.errors

   for _, t in ipairs(threads) do
      s = s + t:get("signins")
      f = f + t:get("failures")
      n = n + t:get("sent")
      first = math.min(first, t:get("t_first") or math.huge)
      last = math.max(last, t:get("t_last") or 0)
      why = t:get("first_failure") or why
   end
   io.write(string.format("wrk-acs sent=%d signins=%d failures=%d seconds=%.6f socket_errors=%d\n",
                          n, s, f, last > first and last - first or 0,
                          e.connect + e.read + e.write + e.timeout))
   if why ~= "" then io.write("wrk-acs first failure: " .. why .. "\n") end
end
