-- wrk: a new comment per request (the same body twice would be refused as a duplicate).
local counter = 0
-- Each wrk thread has its own Lua state, seeded alike: tell them apart by a table's address.
math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000003)
local prefix = tostring(math.random(1, 1e9))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  -- Many readers, as on a news site: each post from its own address (engage trusts one proxy
  -- hop in the benchmark), so the duplicate check and the limits see one sender's history.
  local headers = {["Content-Type"] = "application/json",
                   ["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.random(0, 255),
                                                       math.floor(counter / 256) % 256,
                                                       counter % 256)}
  local body = string.format(
    '{"site":"bench","article":"writes","url":"https://bench.example/writes","title":"Bench",' ..
    '"author":"Lectrice","body":"Commentaire « %s-%d » sur l’article"}', prefix, counter)
  return wrk.format(nil, "/api/v1/comments", headers, body)
end
