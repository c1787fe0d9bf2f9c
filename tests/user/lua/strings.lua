-- String work: string.rep and table.concat build strings of a few hundred
-- KiB to 3 MiB, string.gsub rewrites them (patterns, a table and a
-- function as replacements), string.format and string.byte sum them up.
-- Every intermediate string is new memory: Lua strings are immutable.
local rounds = tonumber(arg[1]) or 4

-- A checksum of a string's bytes, sampled every 7th byte (fast enough in
-- Lua, still touching every page of a large string).
local function digest(text)
  local sum = #text
  for i = 1, #text, 7 do
    sum = (sum * 33 + text:byte(i)) % 4294967291
  end
  return sum
end

local function report(label, text)
  print(string.format("%-10s %8d bytes  digest %10d  head %q", label, #text,
                      digest(text), text:sub(1, 24)))
end

-- A line of "record" text, repeated.
local line = "alpha=1;beta=22;gamma=333;delta=4444;epsilon=55555\n"
local block = string.rep(line, 4096)
report("rep", block)

-- Numbers doubled by a function replacement.
local doubled = block:gsub("%d+", function(digits)
  return tostring(tonumber(digits) * 2)
end)
report("doubled", doubled)

-- Names through a table replacement; the unknown ones stay.
local renamed = doubled:gsub("%a+", { alpha = "A", gamma = "GAMMA", epsilon = "e" })
report("renamed", renamed)

-- Fields swapped around each "=" with captures.
local swapped = renamed:gsub("(%w+)=(%w+)", "%2:%1")
report("swapped", swapped)

-- Rounds of growth: each round joins the previous text, its reverse and
-- its upper case with table.concat, then keeps a window of at most 1 MiB
-- of it, at an offset that moves with the round.
local limit = 1024 * 1024
local text = swapped
for round = 1, rounds do
  local parts = { text, text:reverse(), text:upper() }
  text = table.concat(parts, "|")
  if #text > limit then
    local from = 1 + (round * 99991) % (#text - limit)
    text = text:sub(from, from + limit - 1)
  end
  report("round" .. round, text)
end

-- Counting with gsub (the count is its second result) and find.
local _, semicolons = text:gsub(";", ";")
local _, colons = text:gsub(":", ":")
local first_bar = text:find("|", 1, true)
print(string.format("semicolons %d colons %d first bar at %d", semicolons,
                    colons, first_bar))

-- Many small strings: formatted lines, joined once.
local lines = {}
for i = 1, 50000 do
  lines[i] = string.format("%06d:%x:%s", i, i * 2654435761 % 4294967296,
                           string.rep(string.char(97 + i % 26), i % 13))
end
report("formatted", table.concat(lines, "\n"))
