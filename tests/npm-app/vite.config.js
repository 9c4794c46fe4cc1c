// Vite's dev server pre-bundles dependencies into node_modules/.vite, away from the wasm file
// that webdbc loads from next to itself; excluded, webdbc is served as it is installed.
export default { optimizeDeps: { exclude: ["webdbc"] } };
