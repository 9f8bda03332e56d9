/* Recipes: load one or more Lua modules into one sandbox, probe their hooks once, call
 * them with borrowed C data and turn what they return into C results, checking every
 * entry (a malformed return value is a recipe error naming the hook and its file:line).
 * Absent hooks run the defaults documented in recipe.h and recipes/API.md, in C. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/lua_internal.h"

#ifndef ENTRAIN_RECIPES_DIR
#define ENTRAIN_RECIPES_DIR "recipes"
#endif

static const char *const hook_names[ENT_LUA_N_HOOKS] = {"plan", "select", "compress",
                                                        "should_stop", "on_generation_end"};

const char *ent_lua_hook_name(ent_lua_hook h)
{
    return h < ENT_LUA_N_HOOKS ? hook_names[h] : "?";
}

const char *ent_lua_recipes_dir(const char *given)
{
    if (given && *given)
        return given;
    const char *env = getenv("ENTRAIN_RECIPES_DIR");
    return env && *env ? env : ENTRAIN_RECIPES_DIR;
}

typedef struct module {
    char *display; /* "novelty.lua" for a shipped recipe, the path as given otherwise */
    char *text;
    size_t len;
} module;

typedef struct load_ctx {
    ent_lua_recipe *r;
    module *mods;
    size_t n;
    const ent_lua_recipe_opts *o;
} load_ctx;

/* ---- Loading ---- */

static void set_limit(lua_State *L, const char *k, long v)
{
    if (v > 0) {
        lua_pushinteger(L, (lua_Integer)v);
        lua_setfield(L, -2, k);
    }
}

static void setup_recipe(lua_State *L, void *ud)
{
    const ent_lua_recipe_opts *o = ud;
    ent_lua_set_register(L);
    ent_lua_metrics_register(L);
    int entrain = lua_gettop(L);
    const char *params = o->params_lua && *o->params_lua ? o->params_lua : "{}";
    const char *code = lua_pushfstring(L, "return %s", params);
    ent_lua_load_text(L, code, strlen(code), "=params");
    lua_call(L, 0, 1);
    if (!lua_istable(L, -1))
        luaL_error(L, "params: not a table");
    lua_setfield(L, entrain, "params");
    lua_pop(L, 1);
    lua_newtable(L);
    set_limit(L, "max_generations", o->max_generations);
    set_limit(L, "label_budget_per_generation", o->label_budget_per_generation);
    set_limit(L, "label_budget_total", o->label_budget_total);
    lua_setfield(L, entrain, "limits");
    lua_newtable(L);
    if (o->campaign_name) {
        lua_pushstring(L, o->campaign_name);
        lua_setfield(L, -2, "name");
    }
    lua_setfield(L, entrain, "campaign");
    lua_createtable(L, ENT_LUA_N_HOOKS, 0);
    for (int h = 0; h < ENT_LUA_N_HOOKS; h++) {
        lua_pushstring(L, hook_names[h]);
        lua_rawseti(L, -2, h + 1);
    }
    lua_setfield(L, entrain, "hooks");
}

static int load_modules(lua_State *L)
{
    load_ctx *c = lua_touserdata(L, 1);
    ent_lua_recipe *r = c->r;
    for (size_t i = 0; i < c->n; i++) {
        const module *m = &c->mods[i];
        const char *chunk = lua_pushfstring(L, "@%s", m->display);
        ent_lua_load_text(L, m->text, m->len, chunk);
        lua_call(L, 0, 1);
        if (!lua_istable(L, -1))
            return luaL_error(L,
                              "%s: a recipe must return a table of hooks "
                              "(local R = {} ... return R), it returned a %s",
                              m->display, luaL_typename(L, -1));
        int t = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, t)) {
            const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
            int h = 0;
            while (k && h < ENT_LUA_N_HOOKS && strcmp(hook_names[h], k))
                h++;
            if (k && h < ENT_LUA_N_HOOKS) {
                if (!lua_isfunction(L, -1))
                    return luaL_error(L, "%s: hook '%s' must be a function, not a %s",
                                      m->display, k, luaL_typename(L, -1));
                if (r->ref[h] != LUA_NOREF)
                    return luaL_error(L,
                                      "hook '%s' is defined by both %s and %s (give each "
                                      "hook once)",
                                      k, r->src[h], m->display);
                lua_Debug ar;
                lua_pushvalue(L, -1);
                lua_getinfo(L, ">S", &ar);
                r->line[h] = ar.linedefined;
                r->src[h] = ent_lua_strdup(m->display);
                if (!r->src[h])
                    return luaL_error(L, "out of memory");
                lua_pushvalue(L, -1);
                r->ref[h] = luaL_ref(L, LUA_REGISTRYINDEX);
            } else if (lua_isfunction(L, -1) && (!k || k[0] != '_')) {
                return luaL_error(L,
                                  "%s: unknown hook '%s' (hooks: plan, select, compress, "
                                  "should_stop, on_generation_end; name helper functions "
                                  "with a leading '_')",
                                  m->display, k ? k : "?");
            }
            lua_pop(L, 1);
        }
        lua_settop(L, 1);
    }
    return 0;
}

static int shipped(const char *s)
{
    if (!(*s >= 'a' && *s <= 'z'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static ent_status read_module(const ent_lua_recipe_opts *o, const char *name, module *m,
                              ent_error *err)
{
    char path[4096];
    if (shipped(name)) {
        snprintf(path, sizeof path, "%s/%s.lua", ent_lua_recipes_dir(o->recipes_dir), name);
        char disp[300];
        snprintf(disp, sizeof disp, "%s.lua", name);
        m->display = ent_lua_strdup(disp);
    } else {
        if (name[0] != '/' && o->base_dir && *o->base_dir)
            snprintf(path, sizeof path, "%s/%s", o->base_dir, name);
        else
            snprintf(path, sizeof path, "%s", name);
        m->display = ent_lua_strdup(name);
    }
    if (!m->display)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    ent_status s = ent_lua_read_file(path, &m->text, &m->len, err);
    if (s == ENT_EIO && shipped(name))
        ent_error_set(err, ENT_EIO,
                      "recipe '%s': cannot read %s (shipped recipes: novelty, "
                      "compress, converged)",
                      name, path);
    return s;
}

ent_status ent_lua_recipe_load(const ent_lua_recipe_opts *o, ent_lua_recipe **out,
                               ent_error *err)
{
    *out = NULL;
    if (!o || !o->recipes || o->n_recipes == 0)
        return ent_error_set(err, ENT_EINVAL, "no recipe given");
    ent_lua_recipe *r = calloc(1, sizeof *r);
    module *mods = calloc(o->n_recipes, sizeof *mods);
    if (!r || !mods) {
        free(r);
        free(mods);
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    }
    for (int h = 0; h < ENT_LUA_N_HOOKS; h++)
        r->ref[h] = LUA_NOREF;
    ent_status s = ENT_OK;
    ent_lua_buf text = {0};
    for (size_t i = 0; s == ENT_OK && i < o->n_recipes; i++) {
        s = read_module(o, o->recipes[i], &mods[i], err);
        if (s == ENT_OK) {
            ent_lua_buf_addf(&text, "-- entrain recipe: %s\n", mods[i].display);
            ent_lua_buf_add(&text, mods[i].text, mods[i].len);
            if (mods[i].len && mods[i].text[mods[i].len - 1] != '\n')
                ent_lua_buf_add(&text, "\n", 1);
        }
    }
    if (s == ENT_OK && (text.oom || !text.p))
        s = ent_error_set(err, ENT_ENOMEM, "out of memory");
    if (s == ENT_OK) {
        r->text = text.p;
        text.p = NULL;
        s = ent_lua_sha256_hex(r->text, strlen(r->text), r->hash, err);
    }
    ent_lua_buf_free(&text);
    if (s == ENT_OK)
        s = ent_lua_sandbox_create(&o->limits, o->log, o->log_ud, setup_recipe, (void *)o,
                                   &r->sb, err);
    if (s == ENT_OK) {
        load_ctx c = {r, mods, o->n_recipes, o};
        s = ent_lua_sandbox_call(r->sb, load_modules, &c, ENT_ERECIPE, err);
    }
    for (size_t i = 0; i < o->n_recipes; i++) {
        free(mods[i].display);
        free(mods[i].text);
    }
    free(mods);
    if (s != ENT_OK) {
        ent_lua_recipe_destroy(r);
        return s;
    }
    *out = r;
    return ENT_OK;
}

void ent_lua_recipe_destroy(ent_lua_recipe *r)
{
    if (!r)
        return;
    ent_lua_sandbox_destroy(r->sb);
    for (int h = 0; h < ENT_LUA_N_HOOKS; h++)
        free(r->src[h]);
    free(r->text);
    free(r);
}

const char *ent_lua_recipe_hash(const ent_lua_recipe *r)
{
    return r->hash;
}

const char *ent_lua_recipe_text(const ent_lua_recipe *r)
{
    return r->text;
}

const char *ent_lua_recipe_hook_source(const ent_lua_recipe *r, ent_lua_hook h)
{
    return h < ENT_LUA_N_HOOKS ? r->src[h] : NULL;
}

size_t ent_lua_recipe_memory(const ent_lua_recipe *r)
{
    return r->sb->mem_used;
}

const char *ent_lua_recipe_last_error(const ent_lua_recipe *r)
{
    return r->sb->last_error ? r->sb->last_error : "";
}

uint64_t ent_lua_generation_seed(uint64_t campaign_seed, long generation)
{
    return ent_lua_mix_seed(campaign_seed, 0x1000 + (uint64_t)generation);
}

/* ---- Results ---- */

void ent_lua_decisions_clear(ent_lua_decisions *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->items[i].reason);
    free(d->items);
    d->items = NULL;
    d->n = 0;
}

void ent_lua_tasks_clear(ent_lua_tasks *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        ent_lua_task *k = &t->items[i];
        free(k->kind);
        for (size_t j = 0; j < k->n_params; j++) {
            free(k->params[j].key);
            free(k->params[j].text);
        }
        free(k->params);
    }
    free(t->items);
    t->items = NULL;
    t->n = 0;
}

const ent_lua_param *ent_lua_task_param(const ent_lua_task *t, const char *key)
{
    for (size_t i = 0; i < t->n_params; i++)
        if (!strcmp(t->params[i].key, key))
            return &t->params[i];
    return NULL;
}
