import { isUtf8 } from 'node:buffer';
import { errorCodes, type FastifyInstance } from 'fastify';

/**
 * Replaces Fastify's JSON body parser with the same parser behind a UTF-8 check. JSON text is UTF-8
 * (RFC 8259 §8.1); Fastify decodes whatever arrives, with U+FFFD in place of each invalid byte, so a
 * note sent with such bytes would be acknowledged and stored altered. Such a body is now refused as
 * malformed JSON (400 INVALID_JSON). Prototype-poisoning keys are still refused, as by default.
 */
export function useStrictJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    if (!isUtf8(body)) {
      done(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), undefined);
      return;
    }
    void parseJson(request, body.toString('utf8'), done);
  });
}
