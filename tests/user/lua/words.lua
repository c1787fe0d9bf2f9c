-- Word frequencies over a generated text: arg[1] words (50,000: about
-- 250 KiB of text, some 8,000 distinct words) made from syllables by
-- math.random with a fixed seed, joined with
-- table.concat, split again with string.gmatch, counted in a table and
-- printed most frequent first (ties by word). Deterministic: no clock, a
-- fixed seed, and nothing is printed in pairs() order (Lua seeds its
-- string hashes at random).
local words = tonumber(arg[1]) or 50000

-- A fixed seed: Lua 5.4's generator (xoshiro256**) then gives the same
-- numbers on every machine.
math.randomseed(14)
local function next_number(range)
  return math.random(0, range - 1)
end

local syllables = { "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "be",
                    "do", "fu", "ga", "hi", "ju", "po", "ze" }
local function make_word()
  -- Short words are frequent, long ones rare: a Zipf-like spread.
  local length = 1 + next_number(2) + next_number(2) * next_number(3)
  local parts = {}
  for i = 1, length do
    parts[i] = syllables[1 + next_number(#syllables)]
  end
  return table.concat(parts)
end

local pieces = {}
for i = 1, words do
  pieces[i] = make_word()
end
local text = table.concat(pieces, " ")
pieces = nil

local counts, distinct, total = {}, 0, 0
for word in text:gmatch("%a+") do
  local seen = counts[word]
  if not seen then
    distinct = distinct + 1
  end
  counts[word] = (seen or 0) + 1
  total = total + 1
end

local order = {}
for word in pairs(counts) do
  order[#order + 1] = word
end
table.sort(order, function(a, b)
  if counts[a] ~= counts[b] then
    return counts[a] > counts[b]
  end
  return a < b
end)

print(string.format("text %d bytes, %d words, %d distinct", #text, total, distinct))
for i = 1, 20 do
  local word = order[i]
  print(string.format("%3d %-16s %7d", i, word, counts[word]))
end
local checksum = 0
for i, word in ipairs(order) do
  checksum = (checksum * 31 + counts[word] * i + #word) % 4294967291
end
print("rare words: " .. table.concat(order, ",", #order - 4, #order))
print("checksum " .. checksum)
