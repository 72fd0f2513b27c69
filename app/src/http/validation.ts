import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/** A canonical decimal integer: no sign games, no exponent, no hex, no padding, at most 16 digits. */
const DECIMAL_INTEGER = /^(?:0|-?[1-9][0-9]{0,15})$/;

/**
 * Validates requests with TypeBox's compiled checker.
 *
 * Bodies are JSON and are checked as they are: no coercion, so `"quantity": "2"` is a 400, not a 2.
 * Query strings, path parameters and headers arrive as text; a property declared as an integer is
 * converted only when the text is a plain decimal integer. ("1.5", "0x10", "1e3" and " 7" stay text
 * and fail the check, where a general converter would truncate or reinterpret them.)
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = Compile(schema);
  const convert =
    httpPart === 'body' ? (value: unknown) => value : (value: unknown) => convertIntegers(schema, value);
  return (input: unknown) => {
    const value = convert(input);
    if (check.Check(value)) return { value };
    return { error: check.Errors(value).map(explainNoNulPattern) };
  };
};

/**
 * The JSON Schema `pattern` of a string without U+0000, which PostgreSQL `text` cannot hold:
 * declared in the schema so the API's document says it. (An unpaired surrogate cannot be excluded by
 * a pattern every regular-expression engine reads alike, so routes check that with
 * `unstorableTextProblem`.)
 */
export const NO_NUL_PATTERN = '^[^\\u0000]*$';
const NUL_PROBLEM = 'must not contain U+0000';

/** A failed NO_NUL_PATTERN says so in words instead of quoting the pattern. */
function explainNoNulPattern<E extends { keyword: string; message: string; params: unknown }>(error: E): E {
  const pattern = (error.params as { pattern?: unknown } | undefined)?.pattern;
  return error.keyword === 'pattern' && pattern === NO_NUL_PATTERN
    ? { ...error, message: NUL_PROBLEM }
    : error;
}

function convertIntegers(schema: TSchema, value: unknown): unknown {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties;
  if (!properties || typeof value !== 'object' || value === null) return value;
  const source = value as Record<string, unknown>;
  let converted: Record<string, unknown> | undefined;
  for (const [key, property] of Object.entries(properties)) {
    const raw = source[key];
    if (property.type === 'integer' && typeof raw === 'string' && DECIMAL_INTEGER.test(raw)) {
      converted ??= { ...source };
      converted[key] = Number(raw);
    }
  }
  return converted ?? value;
}

/**
 * Why PostgreSQL `text` could not hold this string exactly, or `undefined` when it can. U+0000 is
 * refused by the server (a 500 if it got that far). An unpaired UTF-16 surrogate (JSON allows
 * `"\ud800"`) has no UTF-8 form: the driver would send U+FFFD instead and the stored text would
 * differ from what the client was told was saved.
 */
export function unstorableTextProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return NUL_PROBLEM;
  if (/\p{Cs}/u.test(text)) return 'must be well-formed Unicode (no unpaired surrogate)';
  return undefined;
}
