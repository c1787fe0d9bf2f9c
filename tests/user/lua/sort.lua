-- Sorting: a table of 10^5 numbers (arg[1]) sorted by table.sort's own
-- order, and a fifth as many records (a number key and a name string
-- each) sorted by key and by name through Lua comparators; prints samples
-- and checksums of each order. Deterministic: the data come from
-- math.random with a fixed seed.
local count = tonumber(arg[1]) or 100000
local record_count = count // 5

-- A fixed seed: Lua 5.4's generator (xoshiro256**) then gives the same
-- numbers on every machine.
math.randomseed(2026)
local function next_number(range)
  return math.random(0, range - 1)
end

local letters = "abcdefghijklmnopqrstuvwxyz"
local function make_name()
  local length = 4 + next_number(8)
  local bytes = {}
  for i = 1, length do
    local at = 1 + next_number(#letters)
    bytes[i] = letters:sub(at, at)
  end
  return table.concat(bytes)
end

local records = {}
for i = 1, record_count do
  records[i] = { key = next_number(1000000), name = make_name(), serial = i }
end

-- The order's checksum: a position-weighted sum of the serial numbers.
local function checksum(list)
  local sum = 0
  for i = 1, #list do
    sum = (sum + i * list[i].serial) % 4294967291
  end
  return sum
end

local function show(label, list)
  local first, middle, last = list[1], list[#list // 2], list[#list]
  print(string.format("%-8s first %7d %-12s middle %7d %-12s last %7d %-12s checksum %d",
                      label, first.key, first.name, middle.key, middle.name,
                      last.key, last.name, checksum(list)))
end

-- table.sort is not stable: every comparator breaks ties by serial.
table.sort(records, function(a, b)
  if a.key ~= b.key then return a.key < b.key end
  return a.serial < b.serial
end)
show("by-key", records)

table.sort(records, function(a, b)
  if a.name ~= b.name then return a.name < b.name end
  return a.serial < b.serial
end)
show("by-name", records)

-- Plain numbers too: an array of 10^5 floats, sorted, summed in order.
local numbers = {}
for i = 1, count do
  numbers[i] = next_number(1000000) / 1000
end
table.sort(numbers)
local sum = 0
for i = 1, #numbers do
  sum = sum + numbers[i]
end
print(string.format("numbers %d min %.3f median %.3f max %.3f sum %.3f",
                    #numbers, numbers[1], numbers[#numbers // 2 + 1],
                    numbers[#numbers], sum))
