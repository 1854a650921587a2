import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig } from 'vite';

const require = createRequire(import.meta.url);
// The API's human docs page (/api/v1/docs) loads Swagger UI from /api-docs/: copy it from node_modules.
const SWAGGER_FILES = ['swagger-ui-bundle.js', 'swagger-ui.css', 'swagger-ui-standalone-preset.js',
  'favicon-16x16.png', 'favicon-32x32.png', 'oauth2-redirect.html', 'LICENSE'];

function swaggerUiAssets() {
  const dir = dirname(require.resolve('swagger-ui-dist/package.json'));
  return {
    name: 'chronos-swagger-ui-assets',
    generateBundle() {
      for (const file of SWAGGER_FILES) {
        this.emitFile({ type: 'asset', fileName: `api-docs/${file}`, source: readFileSync(join(dir, file)) });
      }
    },
    configureServer(server) {
      server.middlewares.use('/api-docs', (req, res, next) => {
        const file = req.url.split('?')[0].replace(/^\//, '');
        if (!SWAGGER_FILES.includes(file)) return next();
        res.setHeader('Content-Type', file.endsWith('.css') ? 'text/css' : file.endsWith('.js')
          ? 'text/javascript' : file.endsWith('.png') ? 'image/png' : 'text/html');
        res.end(readFileSync(join(dir, file)));
        return undefined;
      });
    },
  };
}

export default defineConfig({
  plugins: [swaggerUiAssets()],
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: { '/api': 'http://127.0.0.1:8000' },
  },
  preview: { host: '127.0.0.1' },
  build: { outDir: 'dist', assetsDir: 'assets', sourcemap: false, target: 'es2022' },
  test: { include: ['tests/**/*.test.js'], environment: 'node' },
});
