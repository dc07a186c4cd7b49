-- Recent Neovim versions already know these; this keeps older runtimes working.
vim.filetype.add({
  extension = {
    bicep = 'bicep',
    bicepparam = 'bicep-params',
  },
})
