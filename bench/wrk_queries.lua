-- wrk script: GET /api/search for each query of $QUERIES (one URL-encoded query per line), in turn.
local queries = {}
local path = os.getenv("QUERIES") or "queries.txt"
for line in io.lines(path) do
  if #line > 0 then queries[#queries + 1] = line end
end
local i = 0

request = function()
  i = i % #queries + 1
  return wrk.format("GET", "/api/search?limit=10&q=" .. queries[i])
end

done = function(summary, latency, requests)
  io.write(string.format("requests %d, errors connect %d read %d write %d status %d timeout %d\n",
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
  io.write(string.format("latency p50 %.2f ms, p99 %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
