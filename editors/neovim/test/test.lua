-- End-to-end test of editors/neovim with the real mtlsguard language server.
--
--   MTLSGUARD_BIN=/path/to/mtlsguard nvim --headless -u NONE -l editors/neovim/test/test.lua
--
-- For each fixture (Bicep and ARM JSON): open a copy, wait for the mtlsguard
-- diagnostic, hover it (the rule's page), request code actions, apply "Set clientCertMode to 'Required'"
-- through vim.lsp.buf.code_action, :write, check the file on disk, and check
-- that the diagnostic clears. Exits non-zero on any failure.

local script = debug.getinfo(1, 'S').source:sub(2)
local neovim_dir = vim.fs.dirname(vim.fs.dirname(vim.fs.normalize(vim.fn.fnamemodify(script, ':p'))))
local editors_dir = vim.fs.dirname(neovim_dir)
local fixtures = editors_dir .. '/fixtures'
local bin = os.getenv('MTLSGUARD_BIN') or 'mtlsguard'
local timeout = tonumber(os.getenv('MTLSGUARD_TEST_TIMEOUT_MS') or '') or 20000

local EXPECTED_MESSAGE = "clientCertMode is 'Optional': set it to 'Required' to require client certificates"
local EXPECTED_CODE = 'app-service-client-cert'
-- Fix titles quote the value as the file's language does.
local FIX_TITLES = { bicep = "Set clientCertMode to 'Required'", json = 'Set clientCertMode to "Required"' }

local passed, failed = 0, 0
local function log(fmt, ...)
  io.stdout:write(string.format(fmt, ...) .. '\n')
  io.stdout:flush()
end

-- The configuration under test, exactly as a user would load it.
vim.opt.runtimepath:prepend(neovim_dir)
vim.cmd('filetype on')
vim.lsp.config('mtlsguard', { cmd = { bin, 'server' } })
vim.lsp.enable('mtlsguard')

local function read_file(path)
  local f = assert(io.open(path, 'rb'))
  local s = f:read('*a')
  f:close()
  return s
end

local function copy_fixture(name, dir)
  local dst = dir .. '/' .. name
  local f = assert(io.open(dst, 'wb'))
  f:write(read_file(fixtures .. '/' .. name))
  f:close()
  return dst
end

local function mtls_diagnostics(buf)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.source == 'mtlsguard' then
      table.insert(out, d)
    end
  end
  return out
end

local function describe_diags(diags)
  local parts = {}
  for _, d in ipairs(diags) do
    table.insert(parts, string.format('%d:%d [%s] %s', d.lnum + 1, d.col + 1, tostring(d.code), d.message))
  end
  return '{' .. table.concat(parts, '; ') .. '}'
end

--- Runs one scenario; `expect` describes the fixture.
local function scenario(name, fixture, expect)
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir, 'p')
  -- A root marker so the server gets a workspace folder like in a real project.
  vim.fn.mkdir(dir .. '/.git', 'p')
  local path = copy_fixture(fixture, dir)
  local ok, err = pcall(function()
    vim.cmd.edit(vim.fn.fnameescape(path))
    local buf = vim.api.nvim_get_current_buf()
    assert(vim.bo[buf].filetype == expect.filetype,
      ('filetype is %q, expected %q'):format(vim.bo[buf].filetype, expect.filetype))

    -- 1. The server starts and attaches.
    local client
    assert(vim.wait(timeout, function()
      client = vim.lsp.get_clients({ bufnr = buf, name = 'mtlsguard' })[1]
      return client ~= nil and client.initialized
    end, 50), 'mtlsguard did not attach to the buffer')
    log('  attached: %s (client id %d)', client.name, client.id)

    -- 2. The diagnostic appears on the clientCertMode line.
    local diag
    local ok_diag = vim.wait(timeout, function()
      for _, d in ipairs(mtls_diagnostics(buf)) do
        if d.code == EXPECTED_CODE then
          diag = d
          return true
        end
      end
      return false
    end, 50)
    assert(ok_diag, 'no ' .. EXPECTED_CODE .. ' diagnostic; got ' .. describe_diags(mtls_diagnostics(buf)))
    log('  diagnostic: %d:%d [%s] %s', diag.lnum + 1, diag.col + 1, diag.code, diag.message)
    assert(diag.message == EXPECTED_MESSAGE, 'unexpected message: ' .. diag.message)
    local line = vim.api.nvim_buf_get_lines(buf, diag.lnum, diag.lnum + 1, true)[1]
    assert(line:find('clientCertMode', 1, true), 'diagnostic is not on the clientCertMode line: ' .. line)

    if expect.severity then
      assert(vim.wait(timeout, function()
        local d = mtls_diagnostics(buf)[1]
        return d ~= nil and d.severity == expect.severity
      end, 50), ('severity is not %s: %s'):format(vim.diagnostic.severity[expect.severity],
        vim.inspect(vim.tbl_map(function(d) return d.severity end, mtls_diagnostics(buf)))))
      log('  severity: %s', vim.diagnostic.severity[expect.severity])
    end
    if expect.only_diagnostics then
      return
    end

    -- 3. Hover on the finding (what `K` shows): the rule's page, in Markdown.
    vim.api.nvim_win_set_cursor(0, { diag.lnum + 1, diag.col })
    local hover = client:request_sync('textDocument/hover',
      vim.lsp.util.make_position_params(0, client.offset_encoding), timeout, buf)
    assert(hover and not hover.err and hover.result, 'hover request failed: ' .. vim.inspect(hover))
    local contents = hover.result.contents
    local text = type(contents) == 'table' and (contents.value or '') or tostring(contents)
    assert(text:find(EXPECTED_CODE, 1, true), 'hover does not name the rule: ' .. text)
    assert(text:find('How to fix', 1, true) or text:find('how to fix', 1, true),
      'hover has no fix section: ' .. text)
    log('  hover: %d characters of %s', #text, contents.kind or 'plaintext')

    -- 4. Code actions for the diagnostic's range include the fix.
    local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
    params.context = {
      diagnostics = vim.lsp.diagnostic.from(vim.diagnostic.get(buf, { lnum = diag.lnum })),
      only = { 'quickfix' },
    }
    local resp = client:request_sync('textDocument/codeAction', params, timeout, buf)
    assert(resp and not resp.err, 'codeAction request failed: ' .. vim.inspect(resp))
    local titles = {}
    local fix
    for _, action in ipairs(resp.result or {}) do
      table.insert(titles, action.title)
      if action.title == expect.fix_title then
        fix = action
      end
    end
    log('  code actions: %s', table.concat(titles, ' | '))
    assert(fix, 'no code action titled ' .. expect.fix_title)
    assert(fix.kind == 'quickfix', 'fix kind is ' .. tostring(fix.kind))

    -- 5. Apply it the way a user does (:lua vim.lsp.buf.code_action()), picking
    --    the fix by title; Neovim resolves and applies the edit.
    local tick = vim.b[buf].changedtick
    vim.lsp.buf.code_action({
      context = { only = { 'quickfix' } },
      filter = function(a) return a.title == expect.fix_title end,
      apply = true,
    })
    assert(vim.wait(timeout, function() return vim.b[buf].changedtick ~= tick end, 50),
      'the quick fix did not change the buffer')
    vim.cmd('silent write')

    -- 6. The file on disk holds the fix.
    local text = read_file(path)
    assert(text:find(expect.fixed, 1, true), 'file on disk lacks ' .. expect.fixed .. ':\n' .. text)
    assert(not text:find('Optional', 1, true), 'file on disk still says Optional:\n' .. text)
    log('  on disk: %s', vim.trim(text:match('[^\n]*clientCertMode[^\n]*')))

    -- 7. The diagnostic clears.
    assert(vim.wait(timeout, function()
      for _, d in ipairs(mtls_diagnostics(buf)) do
        if d.code == EXPECTED_CODE then
          return false
        end
      end
      return true
    end, 50), 'the diagnostic did not clear: ' .. describe_diags(mtls_diagnostics(buf)))
    log('  diagnostic cleared')
  end)
  vim.cmd('silent! %bwipeout!')
  vim.fn.delete(dir, 'rf')
  if ok then
    passed = passed + 1
    log('ok - %s', name)
  else
    failed = failed + 1
    log('not ok - %s: %s', name, tostring(err))
  end
end

log('neovim %s, server %s', tostring(vim.version()), bin)
scenario('bicep: diagnostic, quick fix, saved, cleared', 'app.bicep', {
  filetype = 'bicep',
  fixed = "clientCertMode: 'Required'",
  fix_title = FIX_TITLES.bicep,
})
scenario('arm json: diagnostic, quick fix, saved, cleared', 'azuredeploy.json', {
  filetype = 'json',
  fixed = '"clientCertMode": "Required"',
  fix_title = FIX_TITLES.json,
})

-- Settings from vim.lsp.config reach the server (workspace/didChangeConfiguration
-- with the `mtlsguard` section): raising the rule to 'error' turns the warning
-- into an error.
for _, c in ipairs(vim.lsp.get_clients()) do
  c:stop(true)
end
vim.lsp.config('mtlsguard', {
  settings = { mtlsguard = { rules = { [EXPECTED_CODE] = 'error' } } },
})
scenario('settings: rules level from vim.lsp.config settings', 'app.bicep', {
  filetype = 'bicep',
  severity = vim.diagnostic.severity.ERROR,
  only_diagnostics = true,
})

for _, c in ipairs(vim.lsp.get_clients()) do
  c:stop(true)
end
log('neovim: %d passed, %d failed', passed, failed)
os.exit(failed == 0 and passed > 0 and 0 or 1)
