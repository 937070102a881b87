import { defineConfig } from "vitest/config";

// The console is served under /console/, beside the API on the same origin locally and from its
// own bucket in AWS. Its settings are read at start from config.json beside the built files
// (public/config.json is the local stack's), never compiled in.
export default defineConfig({
  base: "/console/",
  build: {
    // The CSP allows no inline script or style, and no data: URLs: every asset is a file.
    assetsInlineLimit: 0,
    // The polyfill would be bundled into the entry; every browser the console supports
    // preloads modules itself.
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    rolldownOptions: {
      input: {
        main: "index.html",
        // The page the identity provider's silent sign-in returns to, inside a hidden iframe.
        silent: "silent-callback.html",
      },
    },
  },
  // `npm run dev`: the API of a running `make run`, on the development server's own origin.
  server: {
    proxy: {
      "/v1": "http://127.0.0.1:3000",
      "/_local": "http://127.0.0.1:3000",
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
  },
});
