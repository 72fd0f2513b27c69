/** `npm run openapi`: writes docs/openapi.json from the route schemas. */
import { writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { OPENAPI_FILE, renderOpenApiDocument } from './generate.js';

await writeFile(OPENAPI_FILE, await renderOpenApiDocument());
console.log(`wrote ${relative(process.cwd(), OPENAPI_FILE)}`);
