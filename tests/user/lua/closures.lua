-- Closures and the collector: generations of closures that capture
-- upvalues, linked lists of tables, a weak-keyed cache, coroutines; most
-- of it becomes garbage while more is made, so the collector walks and
-- frees a heap of a few MiB over and over. Prints only values computed
-- from the data (never collectgarbage("count"), never an address).
local generations = tonumber(arg[1]) or 6

-- A counter closure per item, each with its own upvalues.
local function make_counter(start, step)
  local value = start
  return function()
    value = value + step
    return value
  end
end

-- A list of n nodes, each holding a closure and a small table.
local function make_list(n, seed)
  local head
  for i = 1, n do
    head = { next = head, tick = make_counter(i, seed % 7 + 1),
             data = { i, i * seed, tostring(i) } }
  end
  return head
end

local function walk(head, times)
  local sum, node = 0, head
  while node do
    for _ = 1, times do
      sum = (sum + node.tick()) % 4294967291
    end
    sum = (sum + node.data[2] + #node.data[3]) % 4294967291
    node = node.next
  end
  return sum
end

-- Weak keys: entries go when their key is no longer reachable.
local cache = setmetatable({}, { __mode = "k" })

local kept = {}
local total = 0
for generation = 1, generations do
  local list = make_list(8000, generation)
  cache[list] = generation
  total = (total + walk(list, 3)) % 4294967291
  -- Keep every third generation alive until the end; drop the others.
  if generation % 3 == 0 then
    kept[#kept + 1] = list
  end
  print(string.format("generation %2d sum %10d", generation, total))
end

collectgarbage("collect")
local alive = 0
for _, generation in pairs(cache) do
  alive = alive + generation
end
print(string.format("kept %d lists, cache holds the generations summing to %d",
                    #kept, alive))

-- Coroutines: producers of sequences, each with its own stack.
local function producer(n, factor)
  return coroutine.wrap(function()
    for i = 1, n do
      coroutine.yield(i * factor)
    end
  end)
end
local sum = 0
for factor = 1, 200 do
  for value in producer(500, factor) do
    sum = (sum + value) % 4294967291
  end
end
print("coroutine sum " .. sum)

-- Memoised recursion through a closure table.
local memo = {}
local function partitions(n, largest)
  if n == 0 then return 1 end
  if n < 0 or largest == 0 then return 0 end
  local key = n * 1000 + largest
  local known = memo[key]
  if known then return known end
  local count = (partitions(n - largest, largest) + partitions(n, largest - 1)) % 1000000007
  memo[key] = count
  return count
end
print("partitions(400) mod 1e9+7 = " .. partitions(400, 400))
