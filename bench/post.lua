-- wrk: a new comment per request (the same body twice would be refused as a duplicate).
local counter = 0
-- Each wrk thread has its own Lua state, seeded alike: tell them apart by a table's address.
math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000003)
local prefix = tostring(math.random(1, 1e9))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  local body = string.format(
    '{"site":"bench","article":"writes","url":"https://bench.example/writes","title":"Bench",' ..
    '"author":"Lectrice","body":"Commentaire « %s-%d » sur l’article"}', prefix, counter)
  return wrk.format(nil, "/api/v1/comments", nil, body)
end
