-- The interpreter's driver (tests/user/lua_main.c): `arg` and `...` as the
-- lua command sets them, and an error's way out. Prints its arguments;
-- when the first is "fail", raises an error (message on stderr, exit 1).
print("arg[0] " .. arg[0])
print("arg[-1] ends in /lua: " .. tostring(arg[-1]:sub(-4) == "/lua"))
print("#arg " .. #arg .. ", " .. select("#", ...) .. " in ...")
for i = 1, #arg do
  print(string.format("arg[%d] %q %s", i, arg[i], tostring(arg[i] == select(i, ...))))
end
if arg[1] == "fail" then
  error("failed as asked, with " .. (#arg - 1) .. " more arguments")
end
