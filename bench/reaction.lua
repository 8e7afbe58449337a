-- wrk: a reaction per request from ever-new readers, cycling through the six reactions.
local counter = 0
-- Each wrk thread has its own Lua state, seeded alike: tell them apart by a table's address.
math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000003)
local prefix = tostring(math.random(1, 1e9))
local kinds = {"like", "love", "haha", "wow", "sad", "angry"}
wrk.method = "PUT"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  local headers = {["X-Engage-Reader"] = string.format("bench-%s-%08d", prefix, counter),
                   ["Content-Type"] = "application/json"}
  local body = string.format(
    '{"site":"bench","article":"writes","url":"https://bench.example/writes","title":"Bench",' ..
    '"reaction":"%s"}', kinds[counter % 6 + 1])
  return wrk.format("PUT", "/api/v1/reaction", headers, body)
end
