-- make bench (bench_broker.sh): wrk's totals on one line, for the script
-- to add up over its rounds. Only done() is defined, so wrk still sends one
-- prebuilt request and runs no Lua per request or response.
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("wrk-total requests=%d us=%d status_errors=%d socket_errors=%d\n",
                          summary.requests, summary.duration, e.status,
                          e.connect + e.read + e.write + e.timeout))
end
