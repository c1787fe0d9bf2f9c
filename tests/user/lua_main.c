/*
 * A small Lua interpreter for the user-programs step and make bench-user:
 * `lua SCRIPT [ARGS...]` runs the script file with Lua 5.4's standard
 * libraries, `arg` set as the lua command sets it (arg[0] the script,
 * arg[1..] its arguments, arg[-1] this program) and the arguments passed
 * to the chunk as `...`. An error prints its message on stderr and exits
 * with 1. Our own driver over Debian's liblua5.4.a, linked with
 * gcc -static (glibc) and -lm (mk/user.mk), not the lua command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

/* Sets the global `arg`: argv[1] at index 0, argv[0] at -1, the rest
 * from 1. */
static void lua_main_set_arg(lua_State *lua, int argc, char **argv)
{
	lua_createtable(lua, argc - 2, 2);
	for (int i = 0; i < argc; i++) {
		lua_pushstring(lua, argv[i]);
		lua_rawseti(lua, -2, i - 1);
	}
	lua_setglobal(lua, "arg");
}

/* Loads the script argv[1] and calls it with argv[2..] as `...`.
 * Returns LUA_OK, or an error code with the error object on the stack. */
static int lua_main_run(lua_State *lua, int argc, char **argv)
{
	int status = luaL_loadfile(lua, argv[1]);

	if (status != LUA_OK)
		return status;
	luaL_checkstack(lua, argc, "too many arguments to the script");
	for (int i = 2; i < argc; i++)
		lua_pushstring(lua, argv[i]);
	return lua_pcall(lua, argc - 2, 0, 0);
}

/* The error object on top of the stack as a line on stderr. */
static void lua_main_report(lua_State *lua, const char *program)
{
	const char *message = lua_tostring(lua, -1);

	if (message)
		fprintf(stderr, "%s: %s\n", program, message);
	else
		fprintf(stderr, "%s: (error object is a %s value)\n", program,
			luaL_typename(lua, -1));
}

int main(int argc, char **argv)
{
	const char *program = argc > 0 ? argv[0] : "lua";

	if (argc < 2) {
		fprintf(stderr, "usage: %s SCRIPT [ARGS...]\n", program);
		return 1;
	}
	lua_State *lua = luaL_newstate();
	if (!lua) {
		fprintf(stderr, "%s: cannot create a Lua state (no memory)\n",
			program);
		return 1;
	}
	luaL_openlibs(lua);
	lua_main_set_arg(lua, argc, argv);
	int status = lua_main_run(lua, argc, argv);
	if (status != LUA_OK)
		lua_main_report(lua, program);
	lua_close(lua);
	return status == LUA_OK ? 0 : 1;
}
