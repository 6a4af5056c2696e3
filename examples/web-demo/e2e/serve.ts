/** Serves the production build (dist/, from `npm run build:page`) on http://127.0.0.1:4173 until stopped. */
import { join } from 'node:path';
import { DEMO_ROOT } from './build';
import { serveStatic } from './server';

const server = await serveStatic([{ prefix: '/', dir: join(DEMO_ROOT, 'dist') }], Number(process.env.PORT ?? 4173));
console.log(`emoje web demo (production build): ${server.url}/`);
process.on('SIGINT', () => void server.close().then(() => process.exit(0)));
