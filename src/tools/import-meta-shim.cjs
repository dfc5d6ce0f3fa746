/**
 * esbuild settings for every CommonJS bundle of the app (the precompiled app, the bench's scale run):
 * `import` statements resolve to a package's ES module build, and some of those (the Kubernetes
 * models' validator) call `createRequire(import.meta.url)`, which a CommonJS bundle leaves empty.
 * This gives them the bundle's own URL, so their requires resolve from the checkout's node_modules.
 */
module.exports = {
  define: { "import.meta.url": "__bundleFileUrl" },
  banner: { js: 'var __bundleFileUrl = require("node:url").pathToFileURL(__filename).href;' },
};
