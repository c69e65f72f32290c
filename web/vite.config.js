// zeropark dashboard build / 看板构建配置.
// The app lives under /app/ on the zeropark server (GET / stays the landing page).
// For development and browser tests without the C++ server serving dist/, both `vite` and
// `vite preview` proxy /api to the zeropark server given by ZEROPARK_API
// (default http://127.0.0.1:8080).
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

const target = process.env.ZEROPARK_API || 'http://127.0.0.1:8080'
const proxy = { '/api': { target, changeOrigin: false } }

export default defineConfig({
  base: '/app/',
  plugins: [vue()],
  server: { host: '127.0.0.1', port: 5173, strictPort: true, proxy },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true, proxy },
  build: {
    outDir: 'dist',
    sourcemap: false,
    // One chunk (~840 kB, ~280 kB gzip, cached as immutable): Vue, ECharts core and the pages.
    chunkSizeWarningLimit: 1000,
  },
})
