-- mtlsguard language server configuration for Neovim >= 0.11.
--
-- Put the editors/neovim folder on 'runtimepath' (or copy this file to
-- ~/.config/nvim/lsp/mtlsguard.lua), then:
--
--   vim.lsp.enable('mtlsguard')
--
-- Override any field with vim.lsp.config('mtlsguard', { ... }), e.g.
--
--   vim.lsp.config('mtlsguard', {
--     cmd = { '/path/to/mtlsguard', 'server' },
--     settings = { mtlsguard = { rules = { ['unused-suppression'] = 'off' } } },
--   })

---@type vim.lsp.Config
return {
  cmd = { 'mtlsguard', 'server' },
  -- ARM templates are plain JSON files; the server ignores JSON documents whose
  -- "$schema" is not a deploymentTemplate.json schema. .bicepparam files are
  -- 'bicep-params' (ftdetect/bicep.lua), which the server reads as Bicep.
  filetypes = { 'bicep', 'bicep-params', 'json', 'jsonc' },
  root_markers = { 'mtlsguard.toml', 'bicepconfig.json', '.git' },
  -- Same shape as the `mtlsguard` settings section; sent as initializationOptions.
  init_options = {
    showSyntaxErrors = false,
    rules = vim.empty_dict(),
  },
  -- Sent with workspace/didChangeConfiguration after start-up and whenever you
  -- change it (see :help vim.lsp.Client).
  settings = {
    mtlsguard = {
      showSyntaxErrors = false,
      rules = vim.empty_dict(),
    },
  },
}
