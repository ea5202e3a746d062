-- wrk script for bench/registry_near.py: "near me" requests at random points from a fixed list.
--
--   wrk -t1 -c64 -d10s --latency -s bench/near.lua http://127.0.0.1:PORT -- POINTS_FILE [RADIUS_M] [SEED]
--
-- POINTS_FILE has one "lat,lon" per line (the benchmark writes it, seeded, so every run asks the same
-- questions). Each request picks one of them at random; the paths are built once, in init().

local paths = {}

function init(args)
  local file = args[1]
  if file == nil then
    error("usage: wrk ... -s near.lua URL -- POINTS_FILE [RADIUS_M] [SEED]")
  end
  local radius = args[2] or "500"
  math.randomseed(tonumber(args[3] or "1"))
  for line in io.lines(file) do
    local lat, lon = line:match("^%s*([-%d.]+)%s*,%s*([-%d.]+)")
    if lat then
      paths[#paths + 1] = "/api/v1/devices?lat=" .. lat .. "&lon=" .. lon .. "&radius_m=" .. radius
    end
  end
  if #paths == 0 then
    error("no points in " .. file)
  end
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
